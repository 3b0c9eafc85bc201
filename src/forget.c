/* SPDX-License-Identifier: ISC */
/* forget.c: erasing a person, at their request (FORGET, confirmed by a
 * round trip to their address), at the organisers' (convenectl forget), or
 * for everyone once the event's retention period is over. It must never
 * leave their address or name in the store, and never erase anything on an
 * unconfirmed word: the request is always asked of the address itself. */

#include "autoconfig.h"

#include "forget.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "confirm.h"
#include "journal.h"
#include "log.h"
#include "register.h"

/* Why a row not yet sent never goes. */
#define WITHDRAWN "withdrawn: it held the data of a person since erased"

/* TRUE when @hay holds one of @needles (lower-case), in any ASCII case. */
static gboolean bytes_mention(GBytes *hay, const GPtrArray *needles)
{
	gsize size;
	const char *data;
	g_autofree char *lower = NULL;

	if (hay == NULL)
		return FALSE;
	data = g_bytes_get_data(hay, &size);
	lower = g_malloc(size + 1);
	/* A draft's fields are separated by NULs: read it as one text. */
	for (gsize i = 0; i < size; i++)
		lower[i] = data[i] == '\0' ? ' ' : g_ascii_tolower(data[i]);
	lower[size] = '\0';
	for (guint i = 0; i < needles->len; i++) {
		const char *n = g_ptr_array_index(needles, i);

		if (strstr(lower, n) != NULL)
			return TRUE;
	}
	return FALSE;
}

typedef struct {
	GArray *ids; /* guint64: rows to someone else */
} Rows;

static gboolean collect_row(const OutboxRow *row, gpointer data)
{
	Rows *rows = data;

	g_array_append_val(rows->ids, row->id);
	return TRUE;
}

/* Removes the text of every row that names @a (@email, and the name)
 * though it goes to someone else: digests, their CSV, forwarded messages.
 * A digest made while @a was registered names them whatever its
 * attachments' encoding. */
static gboolean forget_mentions(Reply *r, const char *email, const Attendee *a,
				ForgetReport *report, GError **error)
{
	g_autoptr(GPtrArray) needles = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GArray) ids = g_array_new(FALSE, FALSE, sizeof(guint64));
	Rows rows = {ids};

	g_ptr_array_add(needles, g_ascii_strdown(email, -1));
	/* A short name ("Ana") would match too much that is not theirs. */
	if (a != NULL && a->name != NULL && g_utf8_strlen(a->name, -1) >= 5)
		g_ptr_array_add(needles, g_ascii_strdown(a->name, -1));
	if (!store_outbox_foreach(r->txn, collect_row, &rows, error))
		return FALSE;
	for (guint i = 0; i < ids->len; i++) {
		g_autoptr(OutboxRow) row = store_outbox_get(r->txn, g_array_index(ids, guint64, i),
							    error);
		gboolean named;

		if (row == NULL)
			return FALSE;
		if (row->message == NULL && row->draft == NULL)
			continue;
		named = bytes_mention(row->message, needles) || bytes_mention(row->draft, needles) ||
			(a != NULL && strcmp(row->kind, "organiser-digest") == 0 &&
			 row->created_at >= a->registered_at);
		if (!named)
			continue;
		report->mentions++;
		if (row->state == OUTBOX_QUEUED || row->state == OUTBOX_SENDING) {
			g_clear_pointer(&row->message, g_bytes_unref);
			g_clear_pointer(&row->draft, g_bytes_unref);
			g_free(row->last_reply);
			row->last_reply = g_strdup(WITHDRAWN);
			row->state = OUTBOX_FAILED;
			row->owner = 0;
			row->updated_at = r->ctx->now;
			if (!store_outbox_put(r->txn, row, error))
				return FALSE;
		}
		if (!store_outbox_drop_content(r->txn, row->id, error))
			return FALSE;
	}
	return TRUE;
}

/* Notes the erasure itself, anonymously, for the organisers' digest. */
static gboolean note_erased(StoreTxn *txn, const char *why, gint64 now, GError **error)
{
	g_autoptr(StoreJournalEntry) e = store_journal_entry_new();

	e->when = now;
	e->action = g_strdup(STORE_JOURNAL_ANONYMOUS);
	e->email = g_strdup("");
	e->detail = g_strdup(why);
	return store_journal_add(txn, e, error);
}

gboolean forget_person(Reply *r, const char *email, ForgetReport *report, GError **error)
{
	const Config *cfg = r->ctx->cfg;
	g_autoptr(Attendee) a = NULL;
	g_autoptr(GHashTable) people = g_hash_table_new(g_str_hash, g_str_equal);
	StoreForgotten done;
	GError *e = NULL;

	a = store_attendee_get(r->txn, email, &e);
	if (e != NULL) {
		g_propagate_error(error, e);
		return FALSE;
	}
	/* Once the event is over, the places it took are history: counts kept,
	 * nobody promoted. */
	if (a != NULL && a->status == ATTENDEE_CONFIRMED && !register_event_over(cfg, r->ctx->now)) {
		g_autoptr(Attendee) current = attendee_copy(a);
		g_autoptr(Attendee) was = register_cancel_now(r, current, error);

		if (was == NULL)
			return FALSE;
	}
	for (guint i = 0; i < cfg->activities->len; i++) {
		const ConfigActivity *act = g_ptr_array_index(cfg->activities, i);
		StorePlaces p;

		if (!store_places_get(r->txn, act->id, &p, error) ||
		    !store_waiting_remove(r->txn, act->id, &p, email, error) ||
		    !store_places_put(r->txn, act->id, &p, error))
			return FALSE;
	}
	if (!forget_mentions(r, email, a, report, error))
		return FALSE;
	g_hash_table_add(people, (gpointer)email);
	if (!store_forget(r->txn, people, NULL, &done, error))
		return FALSE;
	report->people += done.attendees;
	report->store.attendees += done.attendees;
	report->store.requests += done.requests;
	report->store.rows += done.rows;
	report->store.journal += done.journal;
	report->store.other += done.other;
	return done.attendees == 0 ||
	       note_erased(r->txn, r->organiser ? "organisers" : "request", r->ctx->now, error);
}

static void add_erased(JsonObject *ctx, gpointer data)
{
	const ForgetReport *report = data;
	JsonObject *o = json_object_new();

	json_object_set_boolean_member(o, "registration", report->people > 0);
	json_object_set_int_member(o, "requests", report->store.requests);
	json_object_set_int_member(o, "messages", report->store.rows + report->mentions);
	json_object_set_int_member(o, "history", report->store.journal);
	json_object_set_object_member(ctx, "erased", o);
}

gboolean forget_request(Reply *r, Attendee *existing, GError **error)
{
	ForgetReport report = {0};
	const char *email = r->outcome->email;

	/* Always a round trip to the address erased, whoever wrote. */
	if (!r->confirmed && !reply_own(r)) {
		if (existing == NULL) {
			/* Nothing of theirs, and nothing said of them. */
			return confirm_tell_asked(r, email, error);
		}
		if (!confirm_ask_owner(r, "forget", existing, existing, error))
			return FALSE;
		return confirm_tell_asked(r, email, error);
	}
	if (!r->confirmed)
		return confirm_ask(r, "forget", existing, error);
	if (!forget_person(r, email, &report, error))
		return FALSE;
	r->outcome->action = "forgotten";
	log_event(LOG_INFO, "forgotten", "by", "request", NULL);
	/* The last mail they get: it shows nothing of what was kept. */
	return reply_to_sender_with(r, "forgotten", NULL, add_erased, &report, error);
}

gboolean forget_by_organisers(const CommandContext *ctx, StoreTxn *txn, const char *email,
			      ForgetReport *report, gboolean *found, GError **error)
{
	const Config *cfg = ctx->cfg;
	Message msg = {
	    .from_address = cfg->organisers[0] != NULL ? cfg->organisers[0] : cfg->event_address,
	    .from_name = "",
	    .subject = "",
	    .body = "",
	};
	CommandOutcome outcome = {0};
	Reply r = {.ctx = ctx,
		   .txn = txn,
		   .msg = &msg,
		   .outcome = &outcome,
		   .lang = cfg->languages[0],
		   .confirmed = TRUE,
		   .organiser = TRUE};
	gboolean ok;

	*report = (ForgetReport){0};
	r.req = request_parse(cfg, "", NULL, "");
	ok = forget_person(&r, email, report, error);
	request_free(r.req);
	command_outcome_clear(&outcome);
	*found = report->people + report->store.requests + report->store.rows + report->mentions +
		     report->store.journal + report->store.other >
		 0;
	return ok;
}

gint64 forget_retention_at(const Config *cfg)
{
	const ConfigDay *last = g_ptr_array_index(cfg->days, cfg->days->len - 1);
	g_autoptr(GDateTime) end =
	    g_date_time_new(cfg->tz, g_date_get_year(&last->gdate), g_date_get_month(&last->gdate),
			    g_date_get_day(&last->gdate), 0, 0, 0);
	g_autoptr(GDateTime) at = end != NULL ? g_date_time_add_days(end, 1 + cfg->retention_days)
					      : NULL;

	return at != NULL ? g_date_time_to_unix(at) : G_MAXINT64;
}

typedef struct {
	const Config *cfg;
	gint64 now;
	gboolean done;	/* the mark was there: nothing to do */
	StoreForgotten forgotten;
	guint mentions;
} Retention;

static gboolean retention_write(StoreTxn *txn, gpointer data, GError **error)
{
	Retention *rt = data;
	g_autoptr(StoreMark) m = NULL;
	g_autoptr(GArray) ids = g_array_new(FALSE, FALSE, sizeof(guint64));
	Rows rows = {ids};
	StoreMark mark = {rt->now, 0, (char *)"erased"};
	GError *e = NULL;

	m = store_mark_get(txn, FORGET_RETENTION_MARK, &e);
	if (e != NULL) {
		g_propagate_error(error, e);
		return FALSE;
	}
	rt->done = m != NULL;
	if (rt->done)
		return TRUE;
	if (!store_forget(txn, NULL, (const char *const *)rt->cfg->organisers, &rt->forgotten,
			  error))
		return FALSE;
	/* What is left goes to the organisers: digests, forwards. */
	if (!store_outbox_foreach(txn, collect_row, &rows, error))
		return FALSE;
	for (guint i = 0; i < ids->len; i++)
		if (!store_outbox_drop_content(txn, g_array_index(ids, guint64, i), error))
			return FALSE;
	rt->mentions = ids->len;
	mark.value = rt->forgotten.attendees;
	return note_erased(txn, "retention", rt->now, error) &&
	       store_mark_put(txn, FORGET_RETENTION_MARK, &mark, error);
}

gboolean forget_retention(const Config *cfg, Store *store, gint64 now, guint *erased,
			  GError **error)
{
	Retention rt = {cfg, now, FALSE, {0}, 0};
	g_autofree char *people = NULL, *days = NULL;
	g_autoptr(StoreMark) m = NULL;
	GError *e = NULL;
	StoreTxn *txn;

	*erased = 0;
	if (now < forget_retention_at(cfg))
		return TRUE;
	/* Every tick after it reads; only the first writes. */
	txn = store_read_begin(store, error);
	if (txn == NULL)
		return FALSE;
	m = store_mark_get(txn, FORGET_RETENTION_MARK, &e);
	store_read_end(txn);
	if (e != NULL) {
		g_propagate_error(error, e);
		return FALSE;
	}
	if (m != NULL)
		return TRUE;
	if (!store_write(store, retention_write, &rt, error))
		return FALSE;
	if (rt.done)
		return TRUE;
	*erased = rt.forgotten.attendees;
	people = g_strdup_printf("%u", rt.forgotten.attendees);
	days = g_strdup_printf("%u", cfg->retention_days);
	log_event(LOG_INFO, "retention-erased", "registrations", people, "retention_days", days,
		  NULL);
	return store_compact(store, error);
}

/* Removes from @dir the files that name @needles; adds them to *@removed. */
static gboolean forget_dir_files(const char *dir, const GPtrArray *needles, guint *removed,
				 GError **error)
{
	g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
	const char *name;
	guint before = *removed;
	int fd;

	if (d == NULL)
		return TRUE; /* a Maildir never made holds nothing */
	while ((name = g_dir_read_name(d)) != NULL) {
		g_autofree char *path = g_build_filename(dir, name, NULL);
		g_autofree char *text = NULL;
		g_autoptr(GBytes) bytes = NULL;
		gsize len;

		if (!g_file_test(path, G_FILE_TEST_IS_REGULAR) ||
		    !g_file_get_contents(path, &text, &len, NULL))
			continue;
		bytes = g_bytes_new_take(g_steal_pointer(&text), len);
		if (!bytes_mention(bytes, needles))
			continue;
		if (g_unlink(path) != 0) {
			int saved = errno;

			g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(saved),
				    "cannot remove %s: %s", path, g_strerror(saved));
			return FALSE;
		}
		(*removed)++;
	}
	if (*removed > before && (fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		fsync(fd);
		close(fd);
	}
	return TRUE;
}

gboolean forget_files(const Config *cfg, const char *email, guint *removed, GError **error)
{
	g_autoptr(GPtrArray) needles = g_ptr_array_new_with_free_func(g_free);
	const char *const dirs[][2] = {
	    {cfg->intake_dir, "cur"},
	    {cfg->quarantine_dir, "new"},
	    {cfg->quarantine_dir, "cur"},
	};

	*removed = 0;
	g_ptr_array_add(needles, g_ascii_strdown(email, -1));
	for (guint i = 0; i < G_N_ELEMENTS(dirs); i++) {
		g_autofree char *dir = NULL;

		if (dirs[i][0] == NULL)
			continue;
		dir = g_build_filename(dirs[i][0], dirs[i][1], NULL);
		if (!forget_dir_files(dir, needles, removed, error))
			return FALSE;
	}
	return TRUE;
}
