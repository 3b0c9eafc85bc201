/* SPDX-License-Identifier: ISC */
/* sender.c: the outbox to the relay or the maildir: spool. A row is claimed
 * (state sending, owner this process) before it is sent, so that two
 * processes never send it both, and becomes sent only after the relay's 2xx
 * for its recipient (or the spool's durable rename); a crash in between
 * sends it again with the same Message-ID, never zero times. */

#include "autoconfig.h"

#include "sender.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "bounce.h"
#include "compose.h"
#include "log.h"
#include "maildir.h"
#include "send.h"
#include "text.h"
#include "token.h"

/* Rows handed to the relay in one SMTP session. */
#define SENDER_BATCH 200

typedef struct {
	gint64 now;
	GPtrArray *rows; /* OutboxRow *, owned */
	guint waiting;
} Due;

/* TRUE when process @pid on this host is gone: its rows are nobody's. */
static gboolean owner_gone(gint64 pid)
{
	return pid <= 0 || (kill((pid_t)pid, 0) != 0 && errno == ESRCH);
}

static gboolean collect_due(const OutboxRow *row, gpointer data)
{
	Due *due = data;

	/* A row another living process is sending is its business; one left
	 * "sending" by a process that died is tried again. */
	if (row->state == OUTBOX_SENDING && !owner_gone(row->owner))
		return TRUE;
	if (row->state != OUTBOX_QUEUED && row->state != OUTBOX_SENDING)
		return TRUE;
	if (row->next_try_at > due->now) {
		due->waiting++;
		return TRUE;
	}
	g_ptr_array_add(due->rows, outbox_row_copy(row));
	return TRUE;
}

/* Claims every due row for this process (state sending, owner our pid) in
 * one transaction, so that no other process sends it too. */
static gboolean claim_due(StoreTxn *txn, gpointer data, GError **error)
{
	Due *due = data;
	pid_t self = getpid();

	g_ptr_array_set_size(due->rows, 0);
	due->waiting = 0;
	if (!store_outbox_foreach(txn, collect_due, due, error))
		return FALSE;
	for (guint i = 0; i < due->rows->len; i++) {
		OutboxRow *row = g_ptr_array_index(due->rows, i);

		row->state = OUTBOX_SENDING;
		row->owner = self;
		row->updated_at = due->now;
		if (!store_outbox_put(txn, row, error))
			return FALSE;
	}
	return TRUE;
}

/* The wait before try number @attempts + 1: the first wait, doubling, up to
 * the longest. */
static gint64 backoff(const Config *cfg, guint attempts)
{
	gint64 delay = cfg->smtp_retry_first;

	for (guint i = 1; i < attempts && delay < cfg->smtp_retry_max; i++)
		delay *= 2;
	return MIN(delay, (gint64)cfg->smtp_retry_max);
}

/* Records @status/@reply for @row at @now, in memory. */
static void settle(const Config *cfg, OutboxRow *row, int status, const char *reply, gint64 now,
		   SenderStats *stats)
{
	g_autofree char *id = g_strdup_printf("%" G_GUINT64_FORMAT, row->id);

	row->attempts++;
	row->updated_at = now;
	row->owner = 0;
	g_free(row->last_reply);
	row->last_reply = text_clean_line(reply);
	if (status >= 200 && status < 300) {
		row->state = OUTBOX_SENT;
		stats->sent++;
	} else if (status >= 500 || now - row->created_at >= cfg->smtp_give_up_after) {
		row->state = OUTBOX_FAILED;
		stats->failed++;
	} else {
		row->state = OUTBOX_QUEUED;
		row->next_try_at = now + backoff(cfg, row->attempts);
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

/* One batch of rows with their messages built from their drafts (NULL and
 * an error where a draft could not be read). */
typedef struct {
	const Config *cfg;
	GBytes *secret; /* tags the bounce addresses */
	GPtrArray *rows;
	guint from, n;
	GBytes **messages;
	GError **errors;
} Built;

static Built *built_new(const Config *cfg, GBytes *secret, GPtrArray *rows, guint from, guint n)
{
	Built *b = g_new0(Built, 1);

	b->cfg = cfg;
	b->secret = secret;
	b->rows = rows;
	b->from = from;
	b->n = n;
	b->messages = g_new0(GBytes *, n);
	b->errors = g_new0(GError *, n);
	return b;
}

static void built_free(Built *b)
{
	for (guint k = 0; k < b->n; k++) {
		g_clear_pointer(&b->messages[k], g_bytes_unref);
		g_clear_error(&b->errors[k]);
	}
	g_free(b->messages);
	g_free(b->errors);
	g_free(b);
}

/* Builds every message of @data (a Built); runs in a thread of its own
 * while the batch before it is on the wire. */
static gpointer build_batch(gpointer data)
{
	Built *b = data;

	for (guint k = 0; k < b->n; k++)
		b->messages[k] =
		    compose_finish(b->cfg, g_ptr_array_index(b->rows, b->from + k), &b->errors[k]);
	return b;
}

/* The maildir: transport, as a local delivery agent would write it: each
 * message written and synced, then new/ synced once for the batch before
 * any of them counts as delivered. */
static void spool_batch(const Config *cfg, Built *b, gint64 now, SenderStats *stats)
{
	g_autoptr(GError) dir_error = NULL;
	gboolean dir_ok = maildir_create(cfg->transport_dir, &dir_error);

	for (guint k = 0; dir_ok && k < b->n; k++) {
		OutboxRow *row = g_ptr_array_index(b->rows, b->from + k);
		g_autofree char *bounce = bounce_address(cfg->event_address, b->secret, row->id);
		g_autoptr(GString) text = g_string_new(NULL);
		g_autoptr(GBytes) bytes = NULL;
		gsize len;
		const char *data;

		if (b->messages[k] == NULL)
			continue;
		data = g_bytes_get_data(b->messages[k], &len);
		g_string_append_printf(text, "Return-Path: <%s>\nDelivered-To: %s\n", bounce,
				       row->recipient);
		g_string_append_len(text, data, (gssize)len);
		bytes = g_string_free_to_bytes(g_steal_pointer(&text));
		maildir_deliver_bytes_unsynced(cfg->transport_dir, bytes, NULL, &b->errors[k]);
	}
	if (dir_ok)
		dir_ok = maildir_sync(cfg->transport_dir, &dir_error);
	for (guint k = 0; k < b->n; k++) {
		OutboxRow *row = g_ptr_array_index(b->rows, b->from + k);
		const GError *e = b->errors[k];

		/* A draft that cannot be built fails alone, whatever the spool did. */
		if (e != NULL && g_error_matches(e, COMPOSE_ERROR, COMPOSE_ERROR_DRAFT))
			settle(cfg, row, 554, e->message, now, stats);
		else if (!dir_ok)
			settle(cfg, row, 451, dir_error->message, now, stats);
		else if (e != NULL)
			settle(cfg, row, 451, e->message, now, stats);
		else
			settle(cfg, row, 250, "250 written to the maildir spool", now, stats);
	}
}

static gboolean send_batch(const Config *cfg, Built *b, gint64 now, SenderStats *stats,
			   GError **error)
{
	g_autofree SendItem *items = g_new0(SendItem, b->n);
	g_autofree OutboxRow **sent = g_new0(OutboxRow *, b->n);
	g_autoptr(GPtrArray) bounce = g_ptr_array_new_with_free_func(g_free);
	guint m = 0;
	gboolean ok = TRUE;

	for (guint k = 0; k < b->n; k++) {
		OutboxRow *row = g_ptr_array_index(b->rows, b->from + k);

		/* A draft that cannot be built fails alone. */
		if (b->messages[k] == NULL) {
			settle(cfg, row, 554, b->errors[k]->message, now, stats);
			continue;
		}
		g_ptr_array_add(bounce, bounce_address(cfg->event_address, b->secret, row->id));
		items[m].reverse_path = g_ptr_array_index(bounce, m);
		items[m].recipient = row->recipient;
		items[m].message = b->messages[k];
		sent[m++] = row;
	}
	if (m > 0)
		ok = send_smtp(cfg, items, m, error);
	for (guint i = 0; i < m; i++) {
		settle(cfg, sent[i], items[i].status,
		       items[i].reply != NULL ? items[i].reply : "no reply", now, stats);
		g_free(items[i].reply);
	}
	return ok;
}

GPtrArray *sender_claim(Store *store, gint64 now, SenderStats *stats, GError **error)
{
	Due due = {now, g_ptr_array_new_with_free_func((GDestroyNotify)outbox_row_free), 0};

	if (!store_write(store, claim_due, &due, error)) {
		g_ptr_array_unref(due.rows);
		return NULL;
	}
	stats->waiting += due.waiting;
	return due.rows;
}

gboolean sender_deliver(const Config *cfg, GPtrArray *rows, gint64 now, SenderStats *stats,
			GError **error)
{
	g_autoptr(GBytes) secret = NULL;
	Built *current;

	if (rows->len == 0)
		return TRUE;
	secret = token_secret_load(cfg->state_dir, error);
	if (secret == NULL)
		return FALSE;
	/* Messages are built from their drafts in this thread for the first
	 * batch, then each next batch in a thread of its own while the one
	 * before it is sent. */
	current = build_batch(built_new(cfg, secret, rows, 0, MIN(SENDER_BATCH, rows->len)));
	while (current != NULL) {
		guint next_from = current->from + current->n;
		GThread *builder = NULL;
		GError *send_error = NULL;
		gboolean ok = TRUE;

		if (next_from < rows->len)
			builder = g_thread_new(
			    "sender-build", build_batch,
			    built_new(cfg, secret, rows, next_from,
				      MIN(SENDER_BATCH, rows->len - next_from)));
		if (cfg->transport_kind == CONFIG_TRANSPORT_MAILDIR)
			spool_batch(cfg, current, now, stats);
		else
			ok = send_batch(cfg, current, now, stats, &send_error);
		built_free(current);
		current = builder != NULL ? g_thread_join(builder) : NULL;
		if (!ok) {
			/* The relay is down or dropped us: the rest waits too. */
			if (current != NULL)
				built_free(current);
			for (guint k = next_from; k < rows->len; k++)
				settle(cfg, g_ptr_array_index(rows, k), 0, send_error->message, now,
				       stats);
			g_propagate_error(error, send_error);
			return FALSE;
		}
	}
	return TRUE;
}

gboolean sender_settle(Store *store, GPtrArray *rows, GError **error)
{
	return rows->len == 0 || store_write(store, save_rows, rows, error);
}

gboolean sender_flush(const Config *cfg, Store *store, gint64 now, SenderStats *stats,
		      GError **error)
{
	g_autoptr(GPtrArray) rows = sender_claim(store, now, stats, error);
	GError *send_error = NULL;

	if (rows == NULL)
		return FALSE;
	sender_deliver(cfg, rows, now, stats, &send_error);
	if (!sender_settle(store, rows, error)) {
		g_clear_error(&send_error);
		return FALSE;
	}
	if (send_error != NULL) {
		g_propagate_error(error, send_error);
		return FALSE;
	}
	return TRUE;
}
