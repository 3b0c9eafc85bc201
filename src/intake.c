/* SPDX-License-Identifier: ISC */
/* intake.c: the intake Maildir into the store. A message leaves new/ only
 * after the transaction holding its effects is durable (moved to cur/), or
 * into the quarantine when it is not mail we can read; it is never deleted
 * and never acknowledged early. Messages are taken in batches that share
 * one durable commit (group commit), as a synced LMDB commit costs far
 * more than reading a message. Messages an LMTP client holds until told
 * they are taken come from memory instead, and are acknowledged after
 * the commit in the same way. A reader thread parses the next batch (GMime,
 * and the requests as far as it has time: both pure) while this one decides,
 * commits and settles the current one, so that the work uses two cores. */

#include "autoconfig.h"

#include "intake.h"

#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "command.h"
#include "log.h"
#include "maildir.h"
#include "message.h"

typedef struct {
	char *name;            /* file name in new/ */
	Message *msg;
	Request *req;          /* parsed beforehand, or NULL */
	CommandOutcome outcome;
	gboolean committed;    /* its effects are durable: it may leave new/ */
} Item;

typedef struct {
	const CommandContext *ctx;
	Item *items;
	guint n;
} Batch;

/* How many batches the reader may have parsed ahead of the commits. */
#define INTAKE_AHEAD 2

/* A batch the reader thread hands over (the last has last set). */
typedef struct {
	Item items[INTAKE_BATCH];
	guint n;
	gboolean last;
} Chunk;

typedef struct {
	const Config *cfg;
	GPtrArray *names;
	GAsyncQueue *ready;    /* Chunk *, in order */
	GAsyncQueue *room;     /* one token per batch the reader may read ahead */
	GAsyncQueue *spent;    /* Chunk *, settled, for the reader to free */
	guint parse;           /* how many requests of a batch the reader parses */
	IntakeStats stats;     /* the reader's counts: messages read, quarantined
				* or deferred unread */
} Reader;

static void item_clear(Item *item)
{
	g_clear_pointer(&item->name, g_free);
	g_clear_pointer(&item->msg, message_free);
	g_clear_pointer(&item->req, request_free);
	command_outcome_clear(&item->outcome);
}

static gboolean apply_batch(StoreTxn *txn, gpointer data, GError **error)
{
	Batch *b = data;

	for (guint i = 0; i < b->n; i++)
		if (!command_apply(b->ctx, txn, b->items[i].msg, &b->items[i].req,
				   &b->items[i].outcome, error))
			return FALSE;
	return TRUE;
}

static void quarantine(const Config *cfg, const char *name, const char *reason,
		       IntakeStats *stats)
{
	g_autoptr(GError) error = NULL;

	if (!maildir_quarantine(cfg->intake_dir, name, cfg->quarantine_dir, &error)) {
		log_event(LOG_ERR, "quarantine-failed", "file", name, "reason", reason, "error",
			  error->message, NULL);
		stats->deferred++;
		return;
	}
	log_event(LOG_WARNING, "quarantined", "file", name, "reason", reason, "folder",
		  cfg->quarantine_dir, NULL);
	stats->quarantined++;
}

/* Reads new/@name into @item, and its request when @parse (or else
 * command_apply() parses it); a message that is not readable mail is
 * quarantined and FALSE returned, as it is for one to try again later. */
static gboolean read_item(const Config *cfg, const char *name, gboolean parse, Item *item,
			  IntakeStats *stats)
{
	g_autofree char *path = g_build_filename(cfg->intake_dir, "new", name, NULL);
	g_autoptr(GError) error = NULL;

	stats->messages++;
	item->msg = message_read_file(path, cfg->max_message_size, cfg->event_address, &error);
	if (item->msg != NULL) {
		GStatBuf st;

		/* The MTA (or convenectl deliver) wrote the file when the
		 * message arrived, whenever it is read. */
		if (g_stat(path, &st) == 0)
			item->msg->received_at = st.st_mtime;
		item->name = g_strdup(name);
		if (parse)
			item->req = command_parse(cfg, item->msg);
		return TRUE;
	}
	if (g_error_matches(error, MESSAGE_ERROR, MESSAGE_ERROR_READ)) {
		log_event(LOG_ERR, "deferred", "file", name, "reason", error->message, NULL);
		stats->deferred++;
	} else {
		quarantine(cfg, name, error->message, stats);
	}
	return FALSE;
}

/* Counts and logs what was done with a committed item. */
static void tell_outcome(const Item *item, IntakeStats *stats)
{
	const CommandOutcome *o = &item->outcome;
	g_autofree char *replies = g_strdup_printf("%u", o->replies);
	g_autofree char *limited = o->limited > 0 ? g_strdup_printf("%u", o->limited) : NULL;

	if (g_strcmp0(o->action, "duplicate") == 0)
		stats->duplicates++;
	else if (g_strcmp0(o->action, "robot") == 0 || g_str_has_prefix(o->action, "bounce"))
		stats->robots++;
	else if (o->replies > 0)
		stats->answered++;
	log_event(LOG_INFO, "message", "file", item->name, "via",
		  item->name == NULL ? "lmtp" : NULL, "message_id", item->msg->message_id, "from",
		  item->msg->from_address, "action", o->action, "email", o->email, "robot",
		  item->msg->robot, "replies", replies, "rate_limited", limited, NULL);
}

/* After the commit: the file leaves new/, and the outcome is told. */
static void settle_item(const Config *cfg, Item *item, IntakeStats *stats)
{
	g_autoptr(GError) error = NULL;

	if (!maildir_move_to_cur(cfg->intake_dir, item->name, &error))
		/* Committed: a second look at it later is a harmless duplicate. */
		log_event(LOG_ERR, "move-failed", "file", item->name, "reason", error->message, NULL);
	tell_outcome(item, stats);
}

/* Commits @n items in one transaction. Should that fail, each is tried in
 * a transaction of its own, so that one message in trouble holds back no
 * other; those that still fail stay in new/. */
static void commit_items(const CommandContext *ctx, Store *store, Item *items, guint n,
			 IntakeStats *stats)
{
	g_autoptr(GError) error = NULL;
	Batch batch = {ctx, items, n};

	if (n == 0)
		return;
	if (store_write(store, apply_batch, &batch, &error)) {
		for (guint i = 0; i < n; i++)
			items[i].committed = TRUE;
		return;
	}
	if (n == 1) {
		log_event(LOG_ERR, "deferred", "file", items[0].name, "message_id",
			  items[0].msg->message_id, "reason", error->message, NULL);
		stats->deferred++;
		return;
	}
	for (guint i = 0; i < n; i++)
		commit_items(ctx, store, &items[i], 1, stats);
}

/* Moves the committed items of @c to cur/ and tells their outcome. */
static void settle_chunk(const Config *cfg, Chunk *c, IntakeStats *stats)
{
	for (guint k = 0; k < c->n; k++)
		if (c->items[k].committed)
			settle_item(cfg, &c->items[k], stats);
}

/* Frees @c: in the reader's thread, which allocated it, as glibc's malloc
 * serves a thread from its own arena and frees from another thread contend
 * for that arena's lock. */
static void chunk_free(Chunk *c)
{
	for (guint k = 0; k < c->n; k++)
		item_clear(&c->items[k]);
	g_free(c);
}

/* Shares the parsing of requests between the reader and the committing
 * thread, whichever has time to spare: when a batch is still waiting to
 * be committed as the reader starts the next, the reader has time and
 * parses more of its requests; when none is, the committing thread is
 * waiting for it, and parses more of them itself. */
static void balance(Reader *rd)
{
	if (g_async_queue_length(rd->ready) > 0)
		rd->parse = MIN(rd->parse + INTAKE_BATCH / 8, INTAKE_BATCH);
	else
		rd->parse = rd->parse > INTAKE_BATCH / 8 ? rd->parse - INTAKE_BATCH / 8 : 0;
}

/* The reader thread: parses the names in order, a batch at a time, at most
 * INTAKE_AHEAD batches ahead of the commits. */
static gpointer reader_main(gpointer data)
{
	Reader *rd = data;
	guint i = 0;

	for (;;) {
		Chunk *c;
		gsize text = 0;

		g_async_queue_pop(rd->room);
		while ((c = g_async_queue_try_pop(rd->spent)) != NULL)
			chunk_free(c);
		balance(rd);
		c = g_new0(Chunk, 1);
		while (i < rd->names->len && c->n < INTAKE_BATCH && text < INTAKE_BATCH_TEXT) {
			if (read_item(rd->cfg, g_ptr_array_index(rd->names, i), c->n < rd->parse,
				      &c->items[c->n], &rd->stats))
				text += strlen(c->items[c->n++].msg->body);
			i++;
		}
		c->last = i >= rd->names->len;
		g_async_queue_push(rd->ready, c);
		if (c->last)
			return NULL;
	}
}

gboolean intake_run(const Config *cfg, Store *store, Composer *composer, GBytes *secret,
		    gint64 now, IntakeStats *stats, GError **error)
{
	CommandContext ctx = {.cfg = cfg, .composer = composer, .now = now, .secret = secret};
	g_autoptr(GPtrArray) names = NULL;
	g_autoptr(GError) sync_error = NULL;
	Reader rd = {cfg, NULL, NULL, NULL, NULL, INTAKE_BATCH, {0}};
	GThread *reader;
	gboolean last = FALSE;

	if (!maildir_create(cfg->intake_dir, error))
		return FALSE;
	names = maildir_list_new(cfg->intake_dir, error);
	if (names == NULL)
		return FALSE;
	if (names->len == 0)
		return TRUE;
	rd.names = names;
	rd.ready = g_async_queue_new();
	rd.room = g_async_queue_new();
	rd.spent = g_async_queue_new_full((GDestroyNotify)chunk_free);
	for (guint k = 0; k < INTAKE_AHEAD; k++)
		g_async_queue_push(rd.room, GUINT_TO_POINTER(1));
	reader = g_thread_new("intake-reader", reader_main, &rd);
	while (!last) {
		Chunk *c = g_async_queue_pop(rd.ready);

		g_async_queue_push(rd.room, GUINT_TO_POINTER(1));
		commit_items(&ctx, store, c->items, c->n, stats);
		last = c->last;
		settle_chunk(cfg, c, stats);
		g_async_queue_push(rd.spent, c);
	}
	g_thread_join(reader);
	g_async_queue_unref(rd.ready);
	g_async_queue_unref(rd.room);
	g_async_queue_unref(rd.spent); /* frees the batches the reader had no need to */
	stats->messages += rd.stats.messages;
	stats->quarantined += rd.stats.quarantined;
	stats->deferred += rd.stats.deferred;
	if (!maildir_sync(cfg->intake_dir, &sync_error))
		log_event(LOG_ERR, "sync-failed", "folder", cfg->intake_dir, "reason",
			  sync_error->message, NULL);
	return TRUE;
}

/* --- messages from memory (LMTP) ------------------------------------------ */

/* Puts @bytes, which are not mail we can read, durably in the quarantine. */
static gboolean quarantine_bytes(const Config *cfg, GBytes *bytes, const char *reason)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *name = NULL;

	if (!maildir_create(cfg->quarantine_dir, &error) ||
	    !maildir_deliver_bytes(cfg->quarantine_dir, bytes, &name, &error)) {
		log_event(LOG_ERR, "quarantine-failed", "via", "lmtp", "reason", reason, "error",
			  error->message, NULL);
		return FALSE;
	}
	log_event(LOG_WARNING, "quarantined", "via", "lmtp", "file", name, "reason", reason,
		  "folder", cfg->quarantine_dir, NULL);
	return TRUE;
}

typedef enum {
	MESSAGE_READ,        /* to be committed */
	MESSAGE_QUARANTINED, /* not mail: durably in the quarantine */
	MESSAGE_UNREAD,      /* could not be read or quarantined: deferred */
	MESSAGE_COMMITTED,
} MessageState;

struct _IntakeMessage {
	MessageState state;
	Item item;
};

IntakeMessage *intake_message_read(const Config *cfg, GBytes *bytes, gint64 received_at)
{
	g_autoptr(GError) error = NULL;
	IntakeMessage *m = g_new0(IntakeMessage, 1);

	m->item.msg = message_read_gbytes(bytes, cfg->max_message_size, cfg->event_address, &error);
	if (m->item.msg != NULL) {
		m->item.msg->received_at = received_at;
		m->item.req = command_parse(cfg, m->item.msg);
		m->state = MESSAGE_READ;
	} else if (g_error_matches(error, MESSAGE_ERROR, MESSAGE_ERROR_READ)) {
		log_event(LOG_ERR, "deferred", "via", "lmtp", "reason", error->message, NULL);
		m->state = MESSAGE_UNREAD;
	} else {
		m->state = quarantine_bytes(cfg, bytes, error->message) ? MESSAGE_QUARANTINED
									 : MESSAGE_UNREAD;
	}
	return m;
}

void intake_message_free(IntakeMessage *m)
{
	if (m == NULL)
		return;
	item_clear(&m->item);
	g_free(m);
}

IntakeVerdict intake_message_verdict(const IntakeMessage *m)
{
	return m->state == MESSAGE_QUARANTINED || m->state == MESSAGE_COMMITTED ? INTAKE_TAKEN
										: INTAKE_DEFERRED;
}

void intake_commit(const Config *cfg, Store *store, Composer *composer, GBytes *secret,
		   gint64 now, IntakeMessage *const *messages, guint n, IntakeStats *stats)
{
	CommandContext ctx = {.cfg = cfg, .composer = composer, .now = now, .secret = secret};
	g_autofree Item *items = g_new0(Item, n);
	g_autofree guint *slot = g_new0(guint, n);
	guint k = 0;

	stats->messages += n;
	for (guint i = 0; i < n; i++) {
		if (messages[i]->state == MESSAGE_READ) {
			/* commit_items() takes the items side by side: lent, then given back. */
			items[k] = messages[i]->item;
			slot[k++] = i;
		} else if (messages[i]->state == MESSAGE_QUARANTINED) {
			stats->quarantined++;
		} else if (messages[i]->state == MESSAGE_UNREAD) {
			stats->deferred++;
		}
	}
	commit_items(&ctx, store, items, k, stats);
	for (guint j = 0; j < k; j++) {
		IntakeMessage *m = messages[slot[j]];

		m->item = items[j];
		if (m->item.committed) {
			m->state = MESSAGE_COMMITTED;
			tell_outcome(&m->item, stats);
		}
	}
}
