/* sender.c: the outbox to the relay or the maildir: spool. A row becomes
 * sent only after the relay's 2xx for its recipient (or the spool's
 * durable rename); a crash in between sends it again with the same
 * Message-ID, never zero times. */
#include "sender.h"

#include <string.h>

#include "log.h"
#include "maildir.h"
#include "send.h"
#include "text.h"

/* Rows handed to the relay in one SMTP session. */
#define SENDER_BATCH 200

typedef struct {
	gint64 now;
	GPtrArray *rows; /* OutboxRow *, owned */
	guint waiting;
} Due;

static gboolean collect_due(const OutboxRow *row, gpointer data)
{
	Due *due = data;

	/* A row left "sending" by a crash is tried again. */
	if (row->state != OUTBOX_QUEUED && row->state != OUTBOX_SENDING)
		return TRUE;
	if (row->next_try_at > due->now) {
		due->waiting++;
		return TRUE;
	}
	g_ptr_array_add(due->rows, outbox_row_copy(row));
	return TRUE;
}

/* Retry after 1 minute, doubling to at most an hour. */
static gint64 backoff(guint attempts)
{
	gint64 delay = 60;

	for (guint i = 1; i < attempts && delay < 3600; i++)
		delay *= 2;
	return MIN(delay, 3600);
}

/* Records @status/@reply for @row at @now, in memory. */
static void settle(OutboxRow *row, int status, const char *reply, gint64 now, SenderStats *stats)
{
	g_autofree char *id = g_strdup_printf("%" G_GUINT64_FORMAT, row->id);

	row->attempts++;
	row->updated_at = now;
	g_free(row->last_reply);
	row->last_reply = text_clean_line(reply);
	if (status >= 200 && status < 300) {
		row->state = OUTBOX_SENT;
		stats->sent++;
	} else if (status >= 500 || now - row->created_at >= SENDER_GIVE_UP) {
		row->state = OUTBOX_FAILED;
		stats->failed++;
	} else {
		row->state = OUTBOX_QUEUED;
		row->next_try_at = now + backoff(row->attempts);
		stats->deferred++;
	}
	log_event(row->state == OUTBOX_FAILED ? LOG_WARNING : LOG_INFO, "delivery", "id", id, "to", row->recipient, "state",
		  outbox_state_to_string(row->state), "reply", reply, NULL);
}

static gboolean save_rows(StoreTxn *txn, gpointer data, GError **error)
{
	GPtrArray *rows = data;

	for (guint i = 0; i < rows->len; i++)
		if (!store_outbox_put(txn, g_ptr_array_index(rows, i), error))
			return FALSE;
	return TRUE;
}

/* The maildir: transport, as a local delivery agent would write it. */
static void spool_one(const Config *cfg, OutboxRow *row, gint64 now, SenderStats *stats)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GString) text = g_string_new(NULL);
	g_autoptr(GBytes) bytes = NULL;
	gsize len;
	const char *data = g_bytes_get_data(row->message, &len);

	g_string_append_printf(text, "Return-Path: <%s>\nDelivered-To: %s\n", row->sender,
			       row->recipient);
	g_string_append_len(text, data, (gssize)len);
	bytes = g_bytes_new(text->str, text->len);
	if (maildir_create(cfg->transport_dir, &error) &&
	    maildir_deliver_bytes(cfg->transport_dir, bytes, NULL, &error))
		settle(row, 250, "250 written to the maildir spool", now, stats);
	else
		settle(row, 451, error->message, now, stats);
}

static gboolean send_batch(const Config *cfg, GPtrArray *rows, guint from, guint n, gint64 now,
			   SenderStats *stats, GError **error)
{
	g_autofree SendItem *items = g_new0(SendItem, n);
	gboolean ok;

	for (guint i = 0; i < n; i++) {
		OutboxRow *row = g_ptr_array_index(rows, from + i);

		items[i].reverse_path = row->sender;
		items[i].recipient = row->recipient;
		items[i].message = row->message;
	}
	ok = send_smtp(cfg, items, n, error);
	for (guint i = 0; i < n; i++) {
		settle(g_ptr_array_index(rows, from + i), items[i].status,
		       items[i].reply != NULL ? items[i].reply : "no reply", now, stats);
		g_free(items[i].reply);
	}
	return ok;
}

gboolean sender_flush(const Config *cfg, Store *store, gint64 now, SenderStats *stats,
		      GError **error)
{
	Due due = {now, g_ptr_array_new_with_free_func((GDestroyNotify)outbox_row_free), 0};
	g_autoptr(GPtrArray) rows = due.rows;
	GError *send_error = NULL;
	StoreTxn *txn;
	gboolean ok;

	txn = store_read_begin(store, error);
	if (txn == NULL)
		return FALSE;
	ok = store_outbox_foreach(txn, collect_due, &due, error);
	store_read_end(txn);
	if (!ok)
		return FALSE;
	stats->waiting += due.waiting;
	if (rows->len == 0)
		return TRUE;

	for (guint i = 0; i < rows->len; i += SENDER_BATCH) {
		guint n = MIN(SENDER_BATCH, rows->len - i);

		if (cfg->transport_kind == CONFIG_TRANSPORT_MAILDIR) {
			for (guint k = 0; k < n; k++)
				spool_one(cfg, g_ptr_array_index(rows, i + k), now, stats);
		} else if (!send_batch(cfg, rows, i, n, now, stats, &send_error)) {
			/* The relay is down or dropped us: the rest waits too. */
			for (guint k = i + n; k < rows->len; k++)
				settle(g_ptr_array_index(rows, k), 0, send_error->message, now, stats);
			break;
		}
	}
	if (!store_write(store, save_rows, rows, error)) {
		g_clear_error(&send_error);
		return FALSE;
	}
	if (send_error != NULL) {
		g_propagate_error(error, send_error);
		return FALSE;
	}
	return TRUE;
}
