/* SPDX-License-Identifier: ISC */
/* sender.c: the outbox to the relay or the maildir: spool. A row is claimed
 * (state sending, owner this process) before it is sent, so that two
 * processes never send it both, and becomes sent only after the relay's 2xx
 * for its recipient (or the spool's durable rename). Each accepted row is
 * written to this process's ledger the moment the answer comes, before the
 * session goes on, and committed to the store soon after with others: a
 * process that dies sends again only what was on the wire, since the next
 * claim reads its ledger first. It never marks a row sent that the relay
 * has not accepted. */

#include "autoconfig.h"

#include "sender.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "bounce.h"
#include "compose.h"
#include "log.h"
#include "maildir.h"
#include "send.h"
#include "text.h"
#include "token.h"

/* Rows handed to the relay in one SMTP session, at most: fewer rows than
 * sessions times this are shared out evenly. */
#define SENDER_BATCH 200

/* Rows claimed at once, at most: their drafts are held in memory while
 * they are sent. A daemon claims again when they are done; sender_flush()
 * goes on until no row is due. */
#define SENDER_CLAIM_MAX 1000

/* sender_flush() commits the rows settled at least this often, in
 * milliseconds: a system crash then costs at most this much in copies
 * sent twice (a process that dies, nothing: the ledger has them). */
#define SENDER_COMMIT_MS 50

/* The maildir: spool makes its renames durable at least this often, in
 * milliseconds; only then do they count as delivered. */
#define SENDER_SPOOL_SYNC_MS 10

/* "outbox-ledger.PID.START" in the state directory. */
#define LEDGER_PREFIX "outbox-ledger."

struct _Sender {
	char *dir;	/* the state directory */
	GBytes *secret; /* tags the bounce addresses */
	char *ledger_path;
	int ledger_fd;		/* opened at the first accepted row; -1 before */
	gboolean ledger_failed; /* said once in the log */
	SenderWakeFunc wake;
	gpointer wake_data;

	GMutex lock;	      /* guards what follows */
	GCond settled;	      /* a row joined pending, or a delivery ended */
	GPtrArray *pending;   /* OutboxRow *, borrowed: settled, not yet committed */
	gint64 pending_since; /* monotonic time of the oldest of them */
	gboolean delivering;  /* sender_flush(): its delivery still runs */
};

Sender *sender_new(const Config *cfg, SenderWakeFunc wake, gpointer data, GError **error)
{
	g_autoptr(GBytes) secret = token_secret_load(cfg->state_dir, error);
	g_autofree char *name = NULL;
	Sender *s;

	if (secret == NULL)
		return NULL;
	s = g_new0(Sender, 1);
	s->dir = g_strdup(cfg->state_dir);
	s->secret = g_steal_pointer(&secret);
	/* The start time tells this process's ledger from one an earlier
	 * process with the same pid left. */
	name =
	    g_strdup_printf(LEDGER_PREFIX "%d.%" G_GINT64_FORMAT, (int)getpid(), g_get_real_time());
	s->ledger_path = g_build_filename(s->dir, name, NULL);
	s->ledger_fd = -1;
	s->wake = wake;
	s->wake_data = data;
	g_mutex_init(&s->lock);
	g_cond_init(&s->settled);
	s->pending = g_ptr_array_new();
	return s;
}

void sender_free(Sender *s)
{
	if (s == NULL)
		return;
	if (s->ledger_fd >= 0) {
		close(s->ledger_fd);
		if (s->pending->len == 0)
			g_unlink(s->ledger_path);
	}
	g_ptr_array_unref(s->pending);
	g_cond_clear(&s->settled);
	g_mutex_clear(&s->lock);
	g_bytes_unref(s->secret);
	g_free(s->ledger_path);
	g_free(s->dir);
	g_free(s);
}

/* Writes "ID UNIX-TIME REPLY" for @row, accepted, to the ledger. Called
 * with the lock held. A ledger that cannot be written costs copies after
 * a crash, never a row: the commit still comes. */
static void ledger_note(Sender *s, const OutboxRow *row)
{
	g_autofree char *line =
	    g_strdup_printf("%" G_GUINT64_FORMAT " %" G_GINT64_FORMAT " %s\n", row->id,
			    row->updated_at, row->last_reply != NULL ? row->last_reply : "");
	gsize len = strlen(line), done = 0;

	if (s->ledger_fd < 0)
		s->ledger_fd =
		    open(s->ledger_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	while (s->ledger_fd >= 0 && done < len) {
		ssize_t n = write(s->ledger_fd, line + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		done += (gsize)n;
	}
	if (done < len && !s->ledger_failed) {
		s->ledger_failed = TRUE;
		log_event(LOG_WARNING, "ledger-failed", "file", s->ledger_path, "reason",
			  g_strerror(errno), NULL);
	}
}

/* Hands settled @row to the next commit, noting it in the ledger first when
 * the relay accepted it. Called from a sending thread, which no longer
 * touches the row. */
static void hand_over(Sender *s, OutboxRow *row)
{
	gboolean first;

	g_mutex_lock(&s->lock);
	if (row->state == OUTBOX_SENT)
		ledger_note(s, row);
	g_ptr_array_add(s->pending, row);
	first = s->pending->len == 1;
	if (first) {
		s->pending_since = g_get_monotonic_time();
		g_cond_signal(&s->settled);
	}
	g_mutex_unlock(&s->lock);
	if (first && s->wake != NULL)
		s->wake(s->wake_data);
}

static gboolean save_rows(StoreTxn *txn, gpointer data, GError **error)
{
	GPtrArray *rows = data;

	for (guint i = 0; i < rows->len; i++)
		if (!store_outbox_put(txn, g_ptr_array_index(rows, i), error))
			return FALSE;
	return TRUE;
}

gboolean sender_commit(Sender *s, Store *store, GError **error)
{
	g_autoptr(GPtrArray) rows = NULL;
	gboolean ok;

	g_mutex_lock(&s->lock);
	rows = g_steal_pointer(&s->pending);
	s->pending = g_ptr_array_new();
	g_mutex_unlock(&s->lock);
	if (rows->len == 0)
		return TRUE;
	ok = store_write(store, save_rows, rows, error);
	g_mutex_lock(&s->lock);
	if (!ok) {
		/* Kept for the next commit. */
		g_ptr_array_extend_and_steal(rows, g_steal_pointer(&s->pending));
		s->pending = g_steal_pointer(&rows);
	} else if (s->pending->len == 0 && s->ledger_fd >= 0 && ftruncate(s->ledger_fd, 0) != 0) {
		/* Every row in it is committed; a longer ledger only costs reading. */
		log_event(LOG_WARNING, "ledger-failed", "file", s->ledger_path, "reason",
			  g_strerror(errno), NULL);
	}
	g_mutex_unlock(&s->lock);
	return ok;
}

/* --- claiming ---------------------------------------------------------------- */

/* What a dead process's ledger says: row @id was accepted at @when. */
typedef struct {
	guint64 id;
	gint64 pid;
	gint64 when;
	char *reply;
} LedgerEntry;

static void ledger_entry_free(gpointer data)
{
	LedgerEntry *e = data;

	g_free(e->reply);
	g_free(e);
}

/* TRUE when process @pid on this host is gone: its rows are nobody's. */
static gboolean owner_gone(gint64 pid)
{
	return pid <= 0 || (kill((pid_t)pid, 0) != 0 && errno == ESRCH);
}

/* Reads the ledger at @path, of process @pid, into @entries. A last line
 * cut short by the crash is no entry. */
static void ledger_read(const char *path, gint64 pid, GPtrArray *entries)
{
	g_autofree char *text = NULL;
	gsize len;
	char *line, *end;

	if (!g_file_get_contents(path, &text, &len, NULL))
		return;
	for (line = text; (end = memchr(line, '\n', len - (gsize)(line - text))) != NULL;
	     line = end + 1) {
		LedgerEntry *e;
		char *p, *q;
		guint64 id;
		gint64 when;

		*end = '\0';
		id = g_ascii_strtoull(line, &p, 10);
		if (p == line || *p != ' ')
			continue;
		when = g_ascii_strtoll(p + 1, &q, 10);
		if (q == p + 1 || (*q != ' ' && *q != '\0'))
			continue;
		e = g_new0(LedgerEntry, 1);
		e->id = id;
		e->pid = pid;
		e->when = when;
		e->reply = text_clean_line(*q == ' ' ? q + 1 : q);
		g_ptr_array_add(entries, e);
	}
}

/* Finds the ledgers that no living process writes: those of dead
 * processes, and one an earlier process with our pid left. Their paths go
 * to @paths, their entries to @entries. */
static void ledgers_left(Sender *s, GPtrArray *paths, GPtrArray *entries)
{
	g_autoptr(GDir) dir = g_dir_open(s->dir, 0, NULL);
	const char *name;
	gint64 self = getpid();

	while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
		g_autofree char *path = NULL;
		char *end;
		gint64 pid;

		if (!g_str_has_prefix(name, LEDGER_PREFIX))
			continue;
		pid = g_ascii_strtoll(name + strlen(LEDGER_PREFIX), &end, 10);
		if (*end != '.')
			continue;
		path = g_build_filename(s->dir, name, NULL);
		if (strcmp(path, s->ledger_path) == 0 || (pid != self && !owner_gone(pid)))
			continue;
		ledger_read(path, pid, entries);
		g_ptr_array_add(paths, g_steal_pointer(&path));
	}
}

typedef struct {
	gint64 now;
	GPtrArray *ledger; /* LedgerEntry *: rows dead processes had sent */
	GArray *ids;       /* guint64: the rows due */
	GPtrArray *rows;   /* OutboxRow *, owned: claimed */
	guint waiting;
	guint replayed;
} Claim;

/* Marks sent the rows a dead process's ledger says the relay accepted,
 * if they are still that process's, "sending". */
static gboolean replay_ledger(StoreTxn *txn, Claim *c, GError **error)
{
	c->replayed = 0;
	for (guint i = 0; i < c->ledger->len; i++) {
		const LedgerEntry *e = g_ptr_array_index(c->ledger, i);
		g_autoptr(OutboxRow) row = NULL;
		GError *local = NULL;

		row = store_outbox_get(txn, e->id, &local);
		if (g_error_matches(local, STORE_ERROR, STORE_ERROR_NOT_FOUND)) {
			g_clear_error(&local);
			continue;
		}
		if (local != NULL) {
			g_propagate_error(error, local);
			return FALSE;
		}
		if (row->state != OUTBOX_SENDING || row->owner != e->pid)
			continue;
		row->state = OUTBOX_SENT;
		row->attempts++;
		row->owner = 0;
		row->updated_at = e->when;
		g_free(row->last_reply);
		row->last_reply = g_strdup(e->reply);
		if (!store_outbox_put(txn, row, error))
			return FALSE;
		c->replayed++;
	}
	return TRUE;
}

static gboolean collect_due(const OutboxRow *row, gpointer data)
{
	Claim *c = data;
	gint64 self = getpid();

	/* A row another living process is sending is its business; one left
	 * "sending" by a process that died, or by an earlier process with our
	 * pid (we claim only when nothing of ours is on the way), is tried
	 * again. */
	if (row->state == OUTBOX_SENDING && row->owner != self && !owner_gone(row->owner))
		return TRUE;
	g_array_append_val(c->ids, row->id);
	return c->ids->len < SENDER_CLAIM_MAX;
}

/* Claims every due row for this process (state sending, owner our pid) in
 * one transaction, so that no other process sends it too. The due rows are
 * found through the store's index of rows waiting, and only they are read
 * with their drafts. */
static gboolean claim_due(StoreTxn *txn, gpointer data, GError **error)
{
	Claim *c = data;
	pid_t self = getpid();

	g_ptr_array_set_size(c->rows, 0);
	g_array_set_size(c->ids, 0);
	c->waiting = 0;
	if (!replay_ledger(txn, c, error) ||
	    !store_outbox_foreach_due(txn, c->now, collect_due, c, &c->waiting, error))
		return FALSE;
	for (guint i = 0; i < c->ids->len; i++) {
		OutboxRow *row = store_outbox_get(txn, g_array_index(c->ids, guint64, i), error);

		if (row == NULL)
			return FALSE;
		g_ptr_array_add(c->rows, row);
		row->state = OUTBOX_SENDING;
		row->owner = self;
		row->updated_at = c->now;
		if (!store_outbox_put(txn, row, error))
			return FALSE;
	}
	return TRUE;
}

GPtrArray *sender_claim(Sender *s, Store *store, gint64 now, SenderStats *stats, GError **error)
{
	g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GPtrArray) ledger = g_ptr_array_new_with_free_func(ledger_entry_free);
	g_autoptr(GArray) ids = g_array_new(FALSE, FALSE, sizeof(guint64));
	Claim c = {now, ledger, ids,
		   g_ptr_array_new_with_free_func((GDestroyNotify)outbox_row_free), 0, 0};

	/* Rows settled but not committed are still "sending" in the store,
	 * under our pid: they must not look like leftovers. */
	if (!sender_commit(s, store, error))
		return NULL;
	ledgers_left(s, paths, ledger);
	if (!store_write(store, claim_due, &c, error)) {
		g_ptr_array_unref(c.rows);
		return NULL;
	}
	if (paths->len > 0) {
		g_autofree char *files = g_strdup_printf("%u", paths->len);
		g_autofree char *sent = g_strdup_printf("%u", c.replayed);

		for (guint i = 0; i < paths->len; i++)
			g_unlink(g_ptr_array_index(paths, i));
		log_event(LOG_INFO, "ledger-replayed", "ledgers", files, "rows_sent", sent, NULL);
	}
	stats->waiting = c.waiting;
	return c.rows;
}

/* --- delivering -------------------------------------------------------------- */

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
	log_event(row->state == OUTBOX_FAILED ? LOG_WARNING : LOG_INFO, "delivery", "id", id, "to",
		  row->recipient, "state", outbox_state_to_string(row->state), "reply", reply,
		  NULL);
}

/* One delivery: its rows are taken a batch at a time by the sessions. */
typedef struct {
	Sender *sender;
	const Config *cfg;
	GPtrArray *rows;
	gint64 now;
	guint batch; /* rows per batch */
	guint sessions;
	GMutex lock;
	guint next;    /* the first row no session has taken */
	guint started; /* sessions that have taken their first batch */
	GError *error; /* why the transport could not be used; set once */
} Delivery;

/* One session's share of the work. */
typedef struct {
	Delivery *d;
	SenderStats stats;
	gboolean started;
} Session;

/* One batch of rows with their messages built from their drafts (NULL and
 * an error where a draft could not be read). */
typedef struct {
	Session *session;
	guint from, n;
	GBytes **messages;
	GError **errors;
	gboolean *done; /* settled already, as the relay accepted it */
	gboolean built; /* messages and errors are set */
} Built;

/* Takes the next batch for @session, or NULL when every row is taken or
 * the transport failed. A batch taken ahead (@ahead: to be built while
 * another is on the wire) waits until every session has one to send, so
 * that a short queue is shared out rather than taken by the first. */
static Built *batch_take(Session *session, gboolean ahead)
{
	Delivery *d = session->d;
	Built *b = NULL;

	g_mutex_lock(&d->lock);
	if (d->error == NULL && d->next < d->rows->len && (!ahead || d->started == d->sessions)) {
		b = g_new0(Built, 1);
		b->session = session;
		b->from = d->next;
		b->n = MIN(d->batch, d->rows->len - d->next);
		b->messages = g_new0(GBytes *, b->n);
		b->errors = g_new0(GError *, b->n);
		b->done = g_new0(gboolean, b->n);
		d->next += b->n;
		if (!session->started) {
			session->started = TRUE;
			d->started++;
		}
	}
	g_mutex_unlock(&d->lock);
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
	g_free(b->done);
	g_free(b);
}

static OutboxRow *built_row(Built *b, guint k)
{
	return g_ptr_array_index(b->session->d->rows, b->from + k);
}

/* Settles row @k of @b and hands it over, once. */
static void built_settle(Built *b, guint k, int status, const char *reply)
{
	Delivery *d = b->session->d;

	if (b->done[k])
		return;
	b->done[k] = TRUE;
	settle(d->cfg, built_row(b, k), status, reply, d->now, &b->session->stats);
	hand_over(d->sender, built_row(b, k));
}

/* Builds every message of @data (a Built); runs in a thread of its own
 * while the batch before it is on the wire. */
static gpointer batch_build(gpointer data)
{
	Built *b = data;

	for (guint k = 0; k < b->n; k++)
		b->messages[k] = compose_finish(b->session->d->cfg, built_row(b, k), &b->errors[k]);
	b->built = TRUE;
	return b;
}

/* The maildir: transport, as a local delivery agent would write it: each
 * message written and synced, and new/ synced every few milliseconds;
 * only then do the messages written before count as delivered. */
static gboolean spool_batch(Built *b)
{
	const Config *cfg = b->session->d->cfg;
	g_autoptr(GError) dir_error = NULL;
	gboolean dir_ok = maildir_create(cfg->transport_dir, &dir_error);
	gint64 since = 0;
	guint unsynced = 0; /* the first row written since the last sync */

	for (guint k = 0; k <= b->n && dir_ok; k++) {
		g_autoptr(GString) text = NULL;
		g_autoptr(GBytes) bytes = NULL;
		g_autofree char *bounce = NULL;
		gsize len;
		const char *data;

		if (k > unsynced &&
		    (k == b->n || g_get_monotonic_time() - since >= SENDER_SPOOL_SYNC_MS * 1000)) {
			dir_ok = maildir_sync(cfg->transport_dir, &dir_error);
			for (; dir_ok && unsynced < k; unsynced++)
				if (b->errors[unsynced] == NULL)
					built_settle(b, unsynced, 250,
						     "250 written to the maildir spool");
		}
		if (k == b->n || !dir_ok)
			break;
		if (k == unsynced)
			since = g_get_monotonic_time();
		if (b->messages[k] == NULL)
			continue;
		bounce = bounce_address(cfg->event_address, b->session->d->sender->secret,
					built_row(b, k)->id);
		data = g_bytes_get_data(b->messages[k], &len);
		text = g_string_sized_new(len + 256);
		g_string_append_printf(text, "Return-Path: <%s>\nDelivered-To: %s\n", bounce,
				       built_row(b, k)->recipient);
		g_string_append_len(text, data, (gssize)len);
		bytes = g_string_free_to_bytes(g_steal_pointer(&text));
		maildir_deliver_bytes_unsynced(cfg->transport_dir, bytes, NULL, &b->errors[k]);
	}
	for (guint k = 0; k < b->n; k++) {
		const GError *e = b->errors[k];

		/* A draft that cannot be built fails alone, whatever the spool did. */
		if (e != NULL && g_error_matches(e, COMPOSE_ERROR, COMPOSE_ERROR_DRAFT))
			built_settle(b, k, 554, e->message);
		else if (e != NULL)
			built_settle(b, k, 451, e->message);
		else if (!dir_ok)
			built_settle(b, k, 451, dir_error->message);
	}
	return TRUE;
}

typedef struct {
	Built *b;
	guint k;
} Accepted;

/* The relay accepted an item: it is settled and noted before the session
 * goes on to the next message. */
static void item_accepted(SendItem *item)
{
	Accepted *a = item->data;

	built_settle(a->b, a->k, item->status, item->reply != NULL ? item->reply : "");
}

static gboolean send_batch(Built *b, GError **error)
{
	Delivery *d = b->session->d;
	g_autofree SendItem *items = g_new0(SendItem, b->n);
	g_autofree Accepted *accepted = g_new0(Accepted, b->n);
	g_autoptr(GPtrArray) bounce = g_ptr_array_new_with_free_func(g_free);
	guint m = 0;
	gboolean ok = TRUE;

	for (guint k = 0; k < b->n; k++) {
		/* A draft that cannot be built fails alone. */
		if (b->messages[k] == NULL) {
			built_settle(b, k, 554, b->errors[k]->message);
			continue;
		}
		g_ptr_array_add(bounce, bounce_address(d->cfg->event_address, d->sender->secret,
						       built_row(b, k)->id));
		accepted[m] = (Accepted){b, k};
		items[m].reverse_path = g_ptr_array_index(bounce, bounce->len - 1);
		items[m].recipient = built_row(b, k)->recipient;
		items[m].message = b->messages[k];
		items[m].accepted = item_accepted;
		items[m].data = &accepted[m];
		m++;
	}
	if (m > 0)
		ok = send_smtp(d->cfg, items, m, error);
	for (guint i = 0; i < m; i++) {
		built_settle(b, accepted[i].k, items[i].status,
			     items[i].reply != NULL ? items[i].reply : "no reply");
		g_free(items[i].reply);
	}
	return ok;
}

/* A session: batch after batch, each next one built in a thread of its
 * own while the one before it is on the wire. */
static gpointer session_run(gpointer data)
{
	Session *session = data;
	Delivery *d = session->d;
	Built *current = batch_take(session, FALSE);

	while (current != NULL) {
		GError *error = NULL;
		GThread *builder = NULL;
		Built *next;
		gboolean ok;

		if (!current->built)
			batch_build(current);
		next = batch_take(session, TRUE);
		if (next != NULL)
			builder = g_thread_new("sender-build", batch_build, next);
		ok = d->cfg->transport_kind == CONFIG_TRANSPORT_MAILDIR
			 ? spool_batch(current)
			 : send_batch(current, &error);

		built_free(current);
		current = builder != NULL ? g_thread_join(builder) : batch_take(session, FALSE);
		if (!ok) {
			/* The relay is down or dropped us: what is left waits too. */
			for (guint k = 0; current != NULL && k < current->n; k++)
				built_settle(current, k, 0, error->message);
			g_clear_pointer(&current, built_free);
			g_mutex_lock(&d->lock);
			if (d->error == NULL)
				d->error = g_steal_pointer(&error);
			g_mutex_unlock(&d->lock);
			g_clear_error(&error);
		}
	}
	return session;
}

gboolean sender_deliver(Sender *s, const Config *cfg, GPtrArray *rows, gint64 now,
			SenderStats *stats, GError **error)
{
	Delivery d = {.sender = s, .cfg = cfg, .rows = rows, .now = now};
	guint n = cfg->transport_kind == CONFIG_TRANSPORT_MAILDIR ? 1 : MAX(cfg->smtp_sessions, 1);
	g_autofree Session *sessions = NULL;
	g_autofree GThread **threads = NULL;

	if (rows->len == 0)
		return TRUE;
	n = MIN(n, rows->len);
	d.batch = MIN(SENDER_BATCH, (rows->len + n - 1) / n);
	d.sessions = n;
	sessions = g_new0(Session, n);
	threads = g_new0(GThread *, n);
	g_mutex_init(&d.lock);
	for (guint i = 0; i < n; i++) {
		sessions[i].d = &d;
		threads[i] =
		    i == 0 ? NULL : g_thread_new("sender-session", session_run, &sessions[i]);
	}
	session_run(&sessions[0]);
	for (guint i = 0; i < n; i++) {
		if (threads[i] != NULL)
			g_thread_join(threads[i]);
		stats->sent += sessions[i].stats.sent;
		stats->deferred += sessions[i].stats.deferred;
		stats->failed += sessions[i].stats.failed;
	}
	g_mutex_clear(&d.lock);
	if (d.error == NULL)
		return TRUE;
	/* Rows no session took wait for a later try. */
	for (guint k = d.next; k < rows->len; k++) {
		SenderStats rest = {0};

		settle(cfg, g_ptr_array_index(rows, k), 0, d.error->message, now, &rest);
		stats->deferred += rest.deferred;
		stats->failed += rest.failed;
		hand_over(s, g_ptr_array_index(rows, k));
	}
	g_propagate_error(error, d.error);
	return FALSE;
}

/* --- all at once --------------------------------------------------------------- */

typedef struct {
	Sender *sender;
	const Config *cfg;
	GPtrArray *rows;
	gint64 now;
	SenderStats stats;
	GError *error;
	gboolean ok;
} Flush;

static gpointer flush_deliver(gpointer data)
{
	Flush *f = data;

	f->ok = sender_deliver(f->sender, f->cfg, f->rows, f->now, &f->stats, &f->error);
	g_mutex_lock(&f->sender->lock);
	f->sender->delivering = FALSE;
	g_cond_signal(&f->sender->settled);
	g_mutex_unlock(&f->sender->lock);
	return NULL;
}

/* Waits until the oldest settled row has waited SENDER_COMMIT_MS or the
 * delivery is over; returns FALSE once it is over. */
static gboolean flush_wait(Sender *s)
{
	gboolean delivering;

	g_mutex_lock(&s->lock);
	for (;;) {
		gint64 due = s->pending_since + SENDER_COMMIT_MS * 1000;

		if (!s->delivering)
			break;
		if (s->pending->len == 0)
			g_cond_wait(&s->settled, &s->lock);
		else if (g_get_monotonic_time() >= due)
			break;
		else
			g_cond_wait_until(&s->settled, &s->lock, due);
	}
	delivering = s->delivering;
	g_mutex_unlock(&s->lock);
	return delivering;
}

/* Claims at most SENDER_CLAIM_MAX rows, sends them and commits as the
 * answers come. Sets *@more when there may be more rows due. */
static gboolean flush_pass(Sender *s, const Config *cfg, Store *store, gint64 now,
			   SenderStats *stats, gboolean *more, GError **error)
{
	g_autoptr(GPtrArray) rows = NULL;
	GError *commit_error = NULL;
	Flush f = {s, cfg, NULL, now, {0}, NULL, TRUE};
	GThread *thread;

	*more = FALSE;
	rows = sender_claim(s, store, now, stats, error);
	if (rows == NULL)
		return FALSE;
	if (rows->len == 0)
		return TRUE;
	f.rows = rows;
	s->delivering = TRUE;
	thread = g_thread_new("sender-flush", flush_deliver, &f);
	while (flush_wait(s))
		if (commit_error == NULL)
			sender_commit(s, store, &commit_error);
	g_thread_join(thread);
	if (commit_error == NULL)
		sender_commit(s, store, &commit_error);
	stats->sent += f.stats.sent;
	stats->deferred += f.stats.deferred;
	stats->failed += f.stats.failed;
	if (commit_error != NULL) {
		g_clear_error(&f.error);
		g_propagate_error(error, commit_error);
		return FALSE;
	}
	if (!f.ok) {
		g_propagate_error(error, f.error);
		return FALSE;
	}
	*more = rows->len == SENDER_CLAIM_MAX;
	return TRUE;
}

gboolean sender_flush(const Config *cfg, Store *store, gint64 now, SenderStats *stats,
		      GError **error)
{
	Sender *s = sender_new(cfg, NULL, NULL, error);
	gboolean ok, more = TRUE;

	if (s == NULL)
		return FALSE;
	do
		ok = flush_pass(s, cfg, store, now, stats, &more, error);
	while (ok && more);
	sender_free(s);
	return ok;
}
