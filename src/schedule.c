/* SPDX-License-Identifier: ISC */
/* schedule.c: decides from the clock what is due (a pure function of the
 * instant, the configuration and the first registration) and queues it,
 * keyed (kind, date, recipient) in the store so that a rerun, a restart or
 * a second process finds it done. It never sends: the sender does, later.
 * A send missed while convene was down goes out later the same day; once
 * the day is over it is logged as skipped, never sent late. */

#include "autoconfig.h"

#include "schedule.h"

#include <stdio.h>
#include <string.h>

#include "digest.h"
#include "forget.h"
#include "itinerary.h"
#include "journal.h"
#include "log.h"

/* Mails queued per write transaction: enough to share one durable commit
 * among many, few enough to keep each transaction short. */
#define SCHEDULE_BATCH 256

/* --- when: pure functions of the clock and the configuration ------------- */

static void local_date(const Config *cfg, gint64 t, GDate *date)
{
	g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc(t);
	g_autoptr(GDateTime) local = g_date_time_to_timezone(utc, cfg->tz);
	int y, m, d;

	g_date_time_get_ymd(local, &y, &m, &d);
	g_date_clear(date, 1);
	g_date_set_dmy(date, d, m, y);
}

/* The instant of wall-clock time @hhmm on @date in the event's zone. On a
 * day whose clocks skip that time, GLib moves it past the jump; on one that
 * sees it twice, the first is taken. */
static gint64 local_instant(const Config *cfg, const GDate *date, const char *hhmm)
{
	g_autoptr(GDateTime) dt = NULL;
	int h = 0, m = 0;

	if (!config_parse_time(hhmm, &h, &m))
		h = m = 0; /* config.c accepts only HH:MM */
	dt = g_date_time_new(cfg->tz, g_date_get_year(date), g_date_get_month(date),
			     g_date_get_day(date), h, m, 0);
	return g_date_time_to_unix(dt);
}

typedef struct {
	const Config *cfg;
	GDate start; /* the first registration's day */
	GDate today;
	gint64 now;
} Clock;

/* Calls @fn for the reminder, each programme and each digest from the
 * first registration's day to the last event day. */
typedef void (*SlotFunc)(const Clock *c, const char *kind, const GDate *date, const char *hhmm,
			 gpointer data);

static void each_slot(const Clock *c, SlotFunc fn, gpointer data)
{
	const Config *cfg = c->cfg;
	const ConfigDay *first = g_ptr_array_index(cfg->days, 0);
	const ConfigDay *last = g_ptr_array_index(cfg->days, cfg->days->len - 1);
	GDate d = first->gdate;

	g_date_subtract_days(&d, cfg->itinerary_days_before);
	fn(c, SCHEDULE_ITINERARY, &d, cfg->programme_at, data);
	for (guint i = 0; i < cfg->days->len; i++) {
		const ConfigDay *day = g_ptr_array_index(cfg->days, i);

		fn(c, SCHEDULE_PROGRAMME, &day->gdate, cfg->programme_at, data);
	}
	for (d = c->start; g_date_compare(&d, &last->gdate) <= 0; g_date_add_days(&d, 1))
		fn(c, SCHEDULE_DIGEST, &d, cfg->digest_at, data);
}

static gboolean clock_init(Clock *c, const Config *cfg, gint64 now, gint64 first_registration)
{
	if (first_registration == 0 || cfg->days->len == 0)
		return FALSE;
	c->cfg = cfg;
	c->now = now;
	local_date(cfg, first_registration, &c->start);
	local_date(cfg, now, &c->today);
	return TRUE;
}

static void add_if_come(const Clock *c, const char *kind, const GDate *date, const char *hhmm,
			gpointer data)
{
	GArray *slots = data;
	ScheduleSlot s = {kind, "", 0, FALSE};
	int today = g_date_compare(date, &c->today);

	if (g_date_compare(date, &c->start) < 0 || today > 0)
		return;
	s.at = local_instant(c->cfg, date, hhmm);
	if (today == 0 && c->now < s.at)
		return;
	s.past = today < 0;
	g_date_strftime(s.date, sizeof s.date, "%Y-%m-%d", date);
	g_array_append_val(slots, s);
}

static gint slot_compare(gconstpointer pa, gconstpointer pb)
{
	const ScheduleSlot *a = pa, *b = pb;

	if (a->at != b->at)
		return a->at < b->at ? -1 : 1;
	return strcmp(a->kind, b->kind);
}

GArray *schedule_slots(const Config *cfg, gint64 now, gint64 first_registration)
{
	GArray *slots = g_array_new(FALSE, FALSE, sizeof(ScheduleSlot));
	Clock c;

	if (!clock_init(&c, cfg, now, first_registration))
		return slots;
	each_slot(&c, add_if_come, slots);
	g_array_sort(slots, slot_compare);
	return slots;
}

/* --- queueing: in batches of write transactions ---------------------------- */

typedef struct {
	const Config *cfg;
	Composer *composer;
	gint64 now;
} Run;

static char *job_key(const char *kind, const char *date, const char *recipient)
{
	return g_strdup_printf("%s/%s/%s", kind, date, recipient);
}

/* One batch of recipients for one kind of mail. */
typedef struct {
	const Run *run;
	const ScheduleSlot *slot; /* NULL for itineraries after a change or by hand */
	const char *date;	  /* a programme's day */
	ItineraryReason reason;
	gboolean keyed; /* check and mark kind/date/recipient */
	GPtrArray *emails;
	guint from, n;
	guint queued; /* by the last run of batch_write */
} Batch;

static gboolean mark(StoreTxn *txn, const char *key, const char *what, gint64 when, GError **error)
{
	StoreMark m = {when, 0, (char *)what};

	return store_mark_put(txn, key, &m, error);
}

/* Returns whether @key was marked; FALSE with @error on a store failure
 * (told apart by *@error). */
static gboolean marked(StoreTxn *txn, const char *key, GError **error)
{
	g_autoptr(StoreMark) m = store_mark_get(txn, key, error);

	return m != NULL;
}

/* Whether the reminder would repeat an itinerary sent since it fell due. */
static gboolean reminder_covered(StoreTxn *txn, const char *email, gint64 since, GError **error)
{
	g_autoptr(StoreItinerary) state = store_itinerary_get(txn, email, error);

	return state != NULL && state->sent_at >= since;
}

/* Queues @b's mail for @a, if it is theirs to have; sets *@what to what
 * the send is marked with ("sent", "covered"), or NULL for no mark. */
static gboolean send_one(StoreTxn *txn, Batch *b, const Attendee *a, const char **what,
			 GError **error)
{
	const Run *run = b->run;
	const char *kind = b->slot != NULL ? b->slot->kind : SCHEDULE_ITINERARY;
	gboolean queued = FALSE;
	GError *local = NULL;

	/* Someone who does not come (now) is not marked: they may yet. */
	*what = NULL;
	if (strcmp(kind, SCHEDULE_PROGRAMME) == 0) {
		if (!itinerary_attends(run->cfg, a, b->date))
			return TRUE;
		*what = "sent";
		if (!itinerary_queue_day(txn, run->composer, run->cfg, a, b->date, run->now, error))
			return FALSE;
		b->queued++;
		return TRUE;
	}
	if (b->reason == ITINERARY_REMINDER) {
		if (a->status != ATTENDEE_CONFIRMED)
			return TRUE;
		if (reminder_covered(txn, a->email, b->slot->at, &local)) {
			*what = "covered";
			return TRUE;
		}
		if (local != NULL) {
			g_propagate_error(error, local);
			return FALSE;
		}
	}
	if (!itinerary_queue(txn, run->composer, run->cfg, a, b->reason, run->now, &queued, error))
		return FALSE;
	*what = "sent";
	b->queued += queued;
	return TRUE;
}

static gboolean batch_write(StoreTxn *txn, gpointer data, GError **error)
{
	Batch *b = data;

	/* store_write() may run this again after growing the map. */
	b->queued = 0;
	for (guint i = b->from; i < b->from + b->n; i++) {
		const char *email = g_ptr_array_index(b->emails, i);
		g_autofree char *key = NULL;
		g_autoptr(Attendee) a = NULL;
		const char *what = NULL;
		GError *local = NULL;

		if (b->keyed) {
			key = job_key(b->slot->kind, b->slot->date, email);
			if (marked(txn, key, &local))
				continue;
		} else if (b->slot == NULL) {
			gboolean due = FALSE;

			/* Another process may have sent it since we looked. */
			if (!store_due_take(txn, email, &due, error))
				return FALSE;
			if (!due)
				continue;
		}
		if (local == NULL)
			a = store_attendee_get(txn, email, &local);
		if (local != NULL) {
			g_propagate_error(error, local);
			return FALSE;
		}
		if (a != NULL && !send_one(txn, b, a, &what, error))
			return FALSE;
		if (b->keyed && what != NULL && !mark(txn, key, what, b->run->now, error))
			return FALSE;
	}
	return TRUE;
}

/* Queues for every one of @emails in batches; adds the mails to *@queued. */
static gboolean run_batches(Store *store, Batch *b, guint *queued, GError **error)
{
	for (b->from = 0; b->from < b->emails->len; b->from += SCHEDULE_BATCH) {
		b->n = MIN(SCHEDULE_BATCH, b->emails->len - b->from);
		if (!store_write(store, batch_write, b, error))
			return FALSE;
		*queued += b->queued;
	}
	return TRUE;
}

/* Collects the recipients of a kind of mail in one read transaction. */
typedef struct {
	const Config *cfg;
	StoreTxn *txn;
	const char *date; /* attendees of that day; NULL: every confirmed one */
	const char *kind; /* with @date: skip those already keyed; or NULL */
	const char *only; /* just this address, or NULL */
	GPtrArray *emails;
	GError *error;
} Who;

static gboolean collect_attendee(const Attendee *a, gpointer data)
{
	Who *w = data;
	gboolean wanted;

	if (w->only != NULL && strcmp(a->email, w->only) != 0)
		return TRUE;
	wanted = w->date != NULL && g_strcmp0(w->kind, SCHEDULE_ITINERARY) != 0
		     ? itinerary_attends(w->cfg, a, w->date)
		     : a->status == ATTENDEE_CONFIRMED || w->only != NULL;
	if (wanted && w->kind != NULL) {
		g_autofree char *key = job_key(w->kind, w->date, a->email);

		wanted = !marked(w->txn, key, &w->error);
		if (w->error != NULL)
			return FALSE;
	}
	if (wanted)
		g_ptr_array_add(w->emails, g_strdup(a->email));
	return TRUE;
}

static GPtrArray *recipients(Store *store, Who *w, GError **error)
{
	g_autoptr(GPtrArray) emails = g_ptr_array_new_with_free_func(g_free);
	gboolean ok;

	w->emails = emails;
	w->txn = store_read_begin(store, error);
	if (w->txn == NULL)
		return NULL;
	ok = store_attendee_foreach(w->txn, collect_attendee, w, error);
	store_read_end(w->txn);
	if (w->error != NULL) {
		g_propagate_error(error, w->error);
		return NULL;
	}
	return ok ? g_steal_pointer(&emails) : NULL;
}

static gboolean collect_due(const char *email, gint64 since, gpointer data)
{
	(void)since;
	g_ptr_array_add(data, g_strdup(email));
	return TRUE;
}

/* Reads the first registration and the itineraries due. */
static gboolean read_state(Store *store, gint64 *first, GPtrArray *due, GError **error)
{
	g_autoptr(StoreMark) m = NULL;
	GError *local = NULL;
	StoreTxn *txn = store_read_begin(store, error);
	gboolean ok;

	if (txn == NULL)
		return FALSE;
	m = store_mark_get(txn, JOURNAL_FIRST_REGISTRATION, &local);
	ok = local == NULL && store_due_foreach(txn, collect_due, due, &local);
	store_read_end(txn);
	if (!ok) {
		g_propagate_error(error, local);
		return FALSE;
	}
	*first = m != NULL ? m->when : 0;
	return TRUE;
}

/* The organisers' digest of @slot, or by hand when @slot is NULL. */
typedef struct {
	const Run *run;
	const ScheduleSlot *slot;
	DigestWindow window;
	const char *const *to;
	guint queued;
} DigestJob;

static gboolean digest_write(StoreTxn *txn, gpointer data, GError **error)
{
	DigestJob *job = data;
	const Run *run = job->run;
	g_autoptr(GPtrArray) to = g_ptr_array_new_with_free_func(g_free);

	job->queued = 0;
	for (const char *const *o = job->to; *o != NULL; o++) {
		g_autofree char *key = NULL;
		GError *local = NULL;

		if (job->slot != NULL) {
			key = job_key(SCHEDULE_DIGEST, job->slot->date, *o);
			if (marked(txn, key, &local))
				continue;
			if (local != NULL) {
				g_propagate_error(error, local);
				return FALSE;
			}
			if (!mark(txn, key, "sent", run->now, error))
				return FALSE;
		}
		g_ptr_array_add(to, g_strdup(*o));
	}
	if (to->len == 0)
		return TRUE;
	if (!digest_queue(txn, run->composer, run->cfg, (const char *const *)to->pdata, to->len,
			  &job->window, run->now, error))
		return FALSE;
	job->queued = to->len;
	return TRUE;
}

typedef struct {
	const char *key;
	const char *what;
	gint64 when;
	gboolean added;
} SlotMark;

static gboolean slot_mark_write(StoreTxn *txn, gpointer data, GError **error)
{
	SlotMark *m = data;
	GError *local = NULL;

	m->added = FALSE;
	if (marked(txn, m->key, &local))
		return TRUE;
	if (local != NULL) {
		g_propagate_error(error, local);
		return FALSE;
	}
	m->added = TRUE;
	return mark(txn, m->key, m->what, m->when, error);
}

static gboolean run_slot(const Run *run, Store *store, const ScheduleSlot *slot,
			 ScheduleStats *stats, GError **error)
{
	g_autofree char *key = g_strdup_printf("%s/%s", slot->kind, slot->date);
	SlotMark sm = {key, slot->past ? "skipped" : "run", run->now, FALSE};
	guint queued = 0;

	if (slot->past) {
		if (!store_write(store, slot_mark_write, &sm, error))
			return FALSE;
		if (sm.added) {
			log_event(LOG_WARNING, "schedule-skipped", "kind", slot->kind, "date",
				  slot->date, "reason", "its day is over: not sent late", NULL);
			stats->skipped++;
		}
		return TRUE;
	}
	if (strcmp(slot->kind, SCHEDULE_DIGEST) == 0) {
		DigestJob job = {run,
				 slot,
				 {TRUE, G_MININT64, G_MAXINT64},
				 (const char *const *)run->cfg->organisers,
				 0};

		if (!store_write(store, digest_write, &job, error))
			return FALSE;
		queued = job.queued;
		stats->digests += queued;
	} else {
		gboolean reminder = strcmp(slot->kind, SCHEDULE_ITINERARY) == 0;
		Who who = {run->cfg, NULL, slot->date, slot->kind, NULL, NULL, NULL};
		g_autoptr(GPtrArray) emails = recipients(store, &who, error);
		Batch b = {
		    run,  slot,	  slot->date, reminder ? ITINERARY_REMINDER : ITINERARY_CHANGE,
		    TRUE, emails, 0,	      0,
		    0};

		if (emails == NULL || !run_batches(store, &b, &queued, error))
			return FALSE;
		if (reminder)
			stats->reminders += queued;
		else
			stats->programmes += queued;
	}
	if (queued > 0) {
		g_autofree char *n = g_strdup_printf("%u", queued);

		log_event(LOG_INFO, "scheduled", "kind", slot->kind, "date", slot->date, "queued",
			  n, NULL);
	}
	return store_write(store, slot_mark_write, &sm, error);
}

gboolean schedule_run(const Config *cfg, Store *store, Composer *composer, gint64 now,
		      ScheduleStats *stats, GError **error)
{
	Run run = {cfg, composer, now};
	g_autoptr(GPtrArray) due = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GArray) slots = NULL;
	gint64 first = 0;

	if (!read_state(store, &first, due, error))
		return FALSE;
	if (due->len > 0) {
		Batch b = {&run, NULL, NULL, ITINERARY_CHANGE, FALSE, due, 0, 0, 0};
		guint queued = 0;

		if (!run_batches(store, &b, &queued, error))
			return FALSE;
		stats->itineraries += queued;
		if (queued > 0) {
			g_autofree char *n = g_strdup_printf("%u", queued);

			log_event(LOG_INFO, "scheduled", "kind", SCHEDULE_ITINERARY, "reason",
				  "registration changed", "queued", n, NULL);
		}
	}
	slots = schedule_slots(cfg, now, first);
	for (guint i = 0; i < slots->len; i++)
		if (!run_slot(&run, store, &g_array_index(slots, ScheduleSlot, i), stats, error))
			return FALSE;
	/* After the last slot: the last digest has told the organisers. */
	return forget_retention(cfg, store, now, &stats->erased, error);
}

/* --- by hand ------------------------------------------------------------------ */

static gboolean parse_day(const Config *cfg, const char *date, gint64 now, gboolean event_day,
			  GDate *out, GError **error)
{
	char ymd[11];

	if (date == NULL) {
		local_date(cfg, now, out);
	} else {
		g_date_clear(out, 1);
		g_date_set_parse(out, date);
		if (!g_date_valid(out) || strlen(date) != 10 || date[4] != '-') {
			g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
				    "--date %s: not a date YYYY-MM-DD", date);
			return FALSE;
		}
	}
	g_date_strftime(ymd, sizeof ymd, "%Y-%m-%d", out);
	if (event_day && config_day_find(cfg, ymd) == NULL) {
		const ConfigDay *first = g_ptr_array_index(cfg->days, 0);
		const ConfigDay *last = g_ptr_array_index(cfg->days, cfg->days->len - 1);

		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
			    "%s is not a day of the event (%s to %s): give --date", ymd,
			    first->date, last->date);
		return FALSE;
	}
	return TRUE;
}

gboolean schedule_by_hand(const Config *cfg, Store *store, Composer *composer, ScheduleByHand what,
			  const char *date, const char *address, gint64 now, guint *queued,
			  GError **error)
{
	Run run = {cfg, composer, now};
	char ymd[11];
	GDate day;

	*queued = 0;
	if (what == SCHEDULE_BY_HAND_DIGEST) {
		const char *one[] = {address, NULL};
		DigestJob job = {&run,
				 NULL,
				 {FALSE, G_MININT64, G_MAXINT64},
				 address != NULL ? one : (const char *const *)cfg->organisers,
				 0};

		if (date != NULL) {
			GDate before;

			if (!parse_day(cfg, date, now, FALSE, &day, error))
				return FALSE;
			before = day;
			g_date_subtract_days(&before, 1);
			job.window.from = local_instant(cfg, &before, cfg->digest_at);
			job.window.until = local_instant(cfg, &day, cfg->digest_at);
		}
		if (!store_write(store, digest_write, &job, error))
			return FALSE;
		*queued = job.queued;
		return TRUE;
	}
	if (!parse_day(cfg, date, now, what == SCHEDULE_BY_HAND_PROGRAMME, &day, error))
		return FALSE;
	g_date_strftime(ymd, sizeof ymd, "%Y-%m-%d", &day);
	{
		gboolean programme = what == SCHEDULE_BY_HAND_PROGRAMME;
		ScheduleSlot slot = {programme ? SCHEDULE_PROGRAMME : SCHEDULE_ITINERARY, "", now,
				     FALSE};
		Who who = {cfg, NULL, programme ? ymd : NULL, NULL, address, NULL, NULL};
		g_autoptr(GPtrArray) emails = recipients(store, &who, error);
		Batch b = {&run, &slot, ymd, ITINERARY_RESEND, FALSE, emails, 0, 0, 0};

		g_strlcpy(slot.date, ymd, sizeof slot.date);
		return emails != NULL && run_batches(store, &b, queued, error);
	}
}
