/* SPDX-License-Identifier: ISC */
/* test-schedule.c: what the scheduler decides from the clock alone, in the
 * event's time zone, for an event that crosses the late-October daylight
 * saving change; then, with a scratch store, that each send is queued once
 * however often it runs, caught up the same day and skipped a day later;
 * and the journal the digest reads. */

#include "autoconfig.h"

#include "schedule.h"

#include <string.h>

#include <glib/gstdio.h>

#include "itinerary.h"
#include "journal.h"

#define CONFIG_TEXT                                                                                \
	"event {\n"                                                                                \
	"	name = \"Autumn meeting\"\n"                                                             \
	"	location = \"Rennes\"\n"                                                                 \
	"	timezone = \"Europe/Paris\"\n"                                                           \
	"	address = \"register@autumn.example.org\"\n"                                             \
	"	organisers = {\"chair@autumn.example.org\", \"desk@autumn.example.org\"}\n"              \
	"	languages = {\"en\", \"fr\"}\n"                                                          \
	"	policy = \"open\"\n"                                                                     \
	"}\n"                                                                                      \
	"day \"2025-10-25\" { title = \"Saturday\" }\n"                                            \
	"day \"2025-10-26\" { title = \"Sunday: the clocks go back\" }\n"                          \
	"day \"2025-10-27\" { title = \"Monday\" }\n"                                              \
	"activity \"opening\" { title = \"Opening\" day = \"2025-10-25\" start = \"09:00\"\n"      \
	"	end = \"10:30\" location = \"Hall\" }\n"                                                 \
	"activity \"walk\" { title = \"Walk\" day = \"2025-10-26\" start = \"09:00\"\n"            \
	"	end = \"12:00\" capacity = 10 notes = \"Good shoes\" }\n"                                \
	"activity \"closing\" { title = \"Closing\" day = \"2025-10-27\" start = \"09:00\"\n"      \
	"	end = \"12:00\" }\n"                                                                     \
	"paths { state = \"%s/state\" intake = \"%s/inbox\" templates = \"%s/templates\" }\n"      \
	"transport = \"maildir:%s/sent\"\n"                                                        \
	"schedule { programme-at = \"07:00\" digest-at = \"18:00\" itinerary-days-before = 3 }\n"

typedef struct {
	char *dir;
	Config *cfg;
	Store *store;
	Composer *composer;
} Fixture;

static gint64 at(const char *iso)
{
	g_autoptr(GDateTime) dt = g_date_time_new_from_iso8601(iso, NULL);

	g_assert_nonnull(dt);
	return g_date_time_to_unix(dt);
}

static void fixture_set_up(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	const char *top = g_getenv("top_srcdir") != NULL ? g_getenv("top_srcdir") : ".";
	g_autofree char *path = NULL, *text = NULL;

	f->dir = g_dir_make_tmp("test-schedule-XXXXXX", &error);
	g_assert_no_error(error);
	path = g_build_filename(f->dir, "convene.conf", NULL);
	text = g_strdup_printf(CONFIG_TEXT, f->dir, f->dir, top, f->dir);
	g_file_set_contents(path, text, -1, &error);
	g_assert_no_error(error);
	f->cfg = config_load(path, &error);
	g_assert_no_error(error);
	if (data != NULL) {
		f->store = store_open(f->cfg->state_dir, &error);
		g_assert_no_error(error);
		f->composer = compose_new(f->cfg);
	}
}

static void remove_tree(const char *path)
{
	if (g_file_test(path, G_FILE_TEST_IS_DIR)) {
		g_autoptr(GDir) d = g_dir_open(path, 0, NULL);
		const char *name;

		while (d != NULL && (name = g_dir_read_name(d)) != NULL) {
			g_autofree char *child = g_build_filename(path, name, NULL);

			remove_tree(child);
		}
		g_assert_cmpint(g_rmdir(path), ==, 0);
	} else {
		g_assert_cmpint(g_remove(path), ==, 0);
	}
}

static void fixture_tear_down(Fixture *f, gconstpointer data)
{
	(void)data;
	compose_free(f->composer);
	store_close(f->store);
	config_free(f->cfg);
	remove_tree(f->dir);
	g_free(f->dir);
}

/* --- pure: slots from the clock ------------------------------------------- */

static const ScheduleSlot *find(GArray *slots, const char *kind, const char *date)
{
	for (guint i = 0; i < slots->len; i++) {
		const ScheduleSlot *s = &g_array_index(slots, ScheduleSlot, i);

		if (strcmp(s->kind, kind) == 0 && strcmp(s->date, date) == 0)
			return s;
	}
	return NULL;
}

static const gint64 first_registration = 1760947200; /* 2025-10-20T10:00:00+02:00 */

static void test_nothing_before_anyone_registers(Fixture *f, gconstpointer data)
{
	g_autoptr(GArray) slots = schedule_slots(f->cfg, at("2025-10-26T12:00:00Z"), 0);

	(void)data;
	g_assert_cmpuint(slots->len, ==, 0);
}

static void test_programme_at_seven(Fixture *f, gconstpointer data)
{
	g_autoptr(GArray) before =
	    schedule_slots(f->cfg, at("2025-10-25T06:59:59+02:00"), first_registration);
	g_autoptr(GArray) seven =
	    schedule_slots(f->cfg, at("2025-10-25T07:00:00+02:00"), first_registration);
	g_autoptr(GArray) later =
	    schedule_slots(f->cfg, at("2025-10-25T07:01:00+02:00"), first_registration);
	const ScheduleSlot *s;

	(void)data;
	g_assert_null(find(before, SCHEDULE_PROGRAMME, "2025-10-25"));
	s = find(seven, SCHEDULE_PROGRAMME, "2025-10-25");
	g_assert_nonnull(s);
	g_assert_false(s->past);
	g_assert_cmpint(s->at, ==, at("2025-10-25T05:00:00Z"));
	g_assert_nonnull(find(later, SCHEDULE_PROGRAMME, "2025-10-25"));
	g_assert_null(find(later, SCHEDULE_PROGRAMME, "2025-10-26"));
	/* The digest of the days before is behind us; today's is to come. */
	g_assert_true(find(seven, SCHEDULE_DIGEST, "2025-10-24")->past);
	g_assert_null(find(seven, SCHEDULE_DIGEST, "2025-10-25"));
	g_assert_null(find(seven, SCHEDULE_DIGEST, "2025-10-19"));
}

static void test_daylight_saving_change(Fixture *f, gconstpointer data)
{
	/* Sunday 26 October: 07:00 is 06:00 UTC, no longer 05:00. */
	g_autoptr(GArray) summer_hour =
	    schedule_slots(f->cfg, at("2025-10-26T05:30:00Z"), first_registration);
	g_autoptr(GArray) seven =
	    schedule_slots(f->cfg, at("2025-10-26T06:00:00Z"), first_registration);
	g_autoptr(GArray) digest =
	    schedule_slots(f->cfg, at("2025-10-26T17:00:00Z"), first_registration);
	const ScheduleSlot *s;

	(void)data;
	g_assert_null(find(summer_hour, SCHEDULE_PROGRAMME, "2025-10-26"));
	s = find(seven, SCHEDULE_PROGRAMME, "2025-10-26");
	g_assert_nonnull(s);
	g_assert_cmpint(s->at, ==, at("2025-10-26T06:00:00Z"));
	g_assert_null(find(seven, SCHEDULE_DIGEST, "2025-10-26"));
	s = find(digest, SCHEDULE_DIGEST, "2025-10-26");
	g_assert_nonnull(s);
	g_assert_cmpint(s->at, ==, at("2025-10-26T17:00:00Z"));
}

static void test_past_days_and_reminder(Fixture *f, gconstpointer data)
{
	g_autoptr(GArray) monday =
	    schedule_slots(f->cfg, at("2025-10-27T10:00:00+01:00"), first_registration);
	g_autoptr(GArray) after =
	    schedule_slots(f->cfg, at("2025-10-29T10:00:00+01:00"), first_registration);
	const ScheduleSlot *s;

	(void)data;
	g_assert_true(find(monday, SCHEDULE_PROGRAMME, "2025-10-25")->past);
	g_assert_true(find(monday, SCHEDULE_PROGRAMME, "2025-10-26")->past);
	g_assert_false(find(monday, SCHEDULE_PROGRAMME, "2025-10-27")->past);
	s = find(monday, SCHEDULE_ITINERARY, "2025-10-22");
	g_assert_nonnull(s);
	g_assert_true(s->past);
	g_assert_cmpint(s->at, ==, at("2025-10-22T05:00:00Z"));
	g_assert_nonnull(find(after, SCHEDULE_DIGEST, "2025-10-27"));
	g_assert_null(find(after, SCHEDULE_DIGEST, "2025-10-28"));
	for (guint i = 0; i < after->len; i++)
		g_assert_true(g_array_index(after, ScheduleSlot, i).past);
}

/* --- with a store: each send once ------------------------------------------ */

typedef struct {
	const Config *cfg;
	const Attendee *a;
	gint64 now;
} Put;

static gboolean put_one(StoreTxn *txn, gpointer data, GError **error)
{
	Put *p = data;
	GError *e = NULL;
	g_autoptr(Attendee) before = store_attendee_get(txn, p->a->email, &e);

	if (e != NULL) {
		g_propagate_error(error, e);
		return FALSE;
	}
	return store_attendee_put(txn, p->a, error) &&
	       journal_note_change(txn, p->cfg, before, p->a, p->now, error);
}

static void put(Fixture *f, const Attendee *a, const char *iso)
{
	g_autoptr(GError) error = NULL;
	Put p = {f->cfg, a, at(iso)};

	g_assert_true(store_write(f->store, put_one, &p, &error));
	g_assert_no_error(error);
}

static Attendee *attendee(const char *email, const char *name, const char *const *activities)
{
	Attendee *a = attendee_new();

	a->email = g_strdup(email);
	a->name = g_strdup(name);
	a->organisation = g_strdup("Test");
	a->country = g_strdup("RO");
	a->language = g_strdup("en");
	a->status = ATTENDEE_CONFIRMED;
	for (; *activities != NULL; activities++)
		g_ptr_array_add(a->activities, g_strdup(*activities));
	return a;
}

static void add_day(Attendee *a, const char *day)
{
	g_ptr_array_add(a->days, g_strdup(day));
}

static ScheduleStats run(Fixture *f, const char *iso)
{
	g_autoptr(GError) error = NULL;
	ScheduleStats stats = {0};

	g_assert_true(schedule_run(f->cfg, f->store, f->composer, at(iso), &stats, &error));
	g_assert_no_error(error);
	return stats;
}

typedef struct {
	const char *kind;
	guint n;
} Count;

static gboolean count_kind(const OutboxRow *row, gpointer data)
{
	Count *c = data;

	c->n += strcmp(row->kind, c->kind) == 0;
	return TRUE;
}

static guint queued(Fixture *f, const char *kind)
{
	g_autoptr(GError) error = NULL;
	Count c = {kind, 0};
	StoreTxn *txn = store_read_begin(f->store, &error);

	g_assert_no_error(error);
	g_assert_true(store_outbox_foreach(txn, count_kind, &c, &error));
	store_read_end(txn);
	return c.n;
}

static void test_each_send_once(Fixture *f, gconstpointer data)
{
	static const char *const ana_acts[] = {"opening", "walk", NULL};
	static const char *const bob_acts[] = {"closing", NULL};
	g_autoptr(Attendee) ana = attendee("ana@example.ro", "Ana Popescu", ana_acts);
	g_autoptr(Attendee) bob = attendee("bob@example.fi", "Bob Virtanen", bob_acts);
	ScheduleStats s;

	(void)data;
	add_day(ana, "2025-10-25");
	add_day(ana, "2025-10-26");
	add_day(bob, "2025-10-27");
	put(f, ana, "2025-10-20T10:00:00+02:00");
	put(f, bob, "2025-10-20T11:00:00+02:00");

	s = run(f, "2025-10-20T11:01:00+02:00");
	g_assert_cmpuint(s.itineraries, ==, 2);
	s = run(f, "2025-10-20T11:02:00+02:00");
	g_assert_cmpuint(s.itineraries + s.reminders + s.programmes + s.digests, ==, 0);

	/* The reminder, three days before, at 07:00. */
	s = run(f, "2025-10-22T06:59:00+02:00");
	g_assert_cmpuint(s.reminders, ==, 0);
	g_assert_cmpuint(s.skipped, ==, 2); /* the digests of the 20th and 21st */
	s = run(f, "2025-10-22T07:00:00+02:00");
	g_assert_cmpuint(s.reminders, ==, 2);
	g_assert_cmpuint(s.skipped, ==, 0);
	s = run(f, "2025-10-22T07:01:00+02:00");
	g_assert_cmpuint(s.reminders, ==, 0);

	/* Saturday's programme goes to Ana only, once. */
	s = run(f, "2025-10-25T06:59:00+02:00");
	g_assert_cmpuint(s.programmes, ==, 0);
	s = run(f, "2025-10-25T07:00:00+02:00");
	g_assert_cmpuint(s.programmes, ==, 1);
	s = run(f, "2025-10-25T07:01:00+02:00");
	g_assert_cmpuint(s.programmes, ==, 0);
	s = run(f, "2025-10-25T11:30:00+02:00");
	g_assert_cmpuint(s.programmes + s.digests + s.skipped, ==, 0);

	/* Down from Saturday noon to Sunday 10:00: Saturday's digest is lost,
	 * Sunday's programme is caught up. */
	s = run(f, "2025-10-26T10:00:00+01:00");
	g_assert_cmpuint(s.programmes, ==, 1);
	g_assert_cmpuint(s.skipped, ==, 1);
	s = run(f, "2025-10-26T18:00:00+01:00");
	g_assert_cmpuint(s.digests, ==, 2);
	s = run(f, "2025-10-26T18:30:00+01:00");
	g_assert_cmpuint(s.digests + s.skipped, ==, 0);

	/* Tuesday: Monday is over and was never run; nothing is sent late. */
	s = run(f, "2025-10-28T09:00:00+01:00");
	g_assert_cmpuint(s.programmes + s.digests + s.reminders, ==, 0);
	g_assert_cmpuint(s.skipped, ==, 2);
	s = run(f, "2025-10-28T09:05:00+01:00");
	g_assert_cmpuint(s.skipped, ==, 0);

	g_assert_cmpuint(queued(f, "itinerary"), ==, 4);
	g_assert_cmpuint(queued(f, "daily-programme"), ==, 2);
	g_assert_cmpuint(queued(f, "organiser-digest"), ==, 2);
}

static StoreItinerary *itinerary_state(Fixture *f, const char *email)
{
	g_autoptr(GError) error = NULL;
	StoreTxn *txn = store_read_begin(f->store, &error);
	StoreItinerary *it;

	g_assert_no_error(error);
	it = store_itinerary_get(txn, email, &error);
	store_read_end(txn);
	g_assert_no_error(error);
	g_assert_nonnull(it);
	return it;
}

static void test_changes_coalesce(Fixture *f, gconstpointer data)
{
	static const char *const both[] = {"opening", "walk", NULL};
	g_autoptr(Attendee) ana = attendee("ana@example.ro", "Ana Popescu", both);
	g_autoptr(StoreItinerary) first = NULL, second = NULL, third = NULL;
	ScheduleStats s;

	(void)data;
	put(f, ana, "2025-10-20T10:00:00+02:00");
	g_free(ana->diet);
	ana->diet = g_strdup("vegan");
	put(f, ana, "2025-10-20T10:01:00+02:00");
	s = run(f, "2025-10-20T10:02:00+02:00");
	g_assert_cmpuint(s.itineraries, ==, 1);
	first = itinerary_state(f, "ana@example.ro");
	g_assert_cmpuint(first->sequence, ==, 0);
	g_assert_cmpuint(first->activities->len, ==, 2);

	/* Walk withdrawn, then a second change, in one run: one mail. */
	g_ptr_array_remove_index(ana->activities, 1);
	put(f, ana, "2025-10-21T09:00:00+02:00");
	g_free(ana->arrival);
	ana->arrival = g_strdup("Friday evening");
	put(f, ana, "2025-10-21T09:05:00+02:00");
	s = run(f, "2025-10-21T09:06:00+02:00");
	g_assert_cmpuint(s.itineraries, ==, 1);
	second = itinerary_state(f, "ana@example.ro");
	g_assert_cmpuint(second->sequence, ==, 1);
	g_assert_cmpuint(second->activities->len, ==, 1);

	/* Cancelled: a last mail cancels what the calendar holds. */
	ana->status = ATTENDEE_CANCELLED;
	put(f, ana, "2025-10-21T10:00:00+02:00");
	s = run(f, "2025-10-21T10:01:00+02:00");
	g_assert_cmpuint(s.itineraries, ==, 1);
	third = itinerary_state(f, "ana@example.ro");
	g_assert_cmpuint(third->sequence, ==, 2);
	g_assert_cmpuint(third->activities->len, ==, 0);
	g_assert_cmpuint(queued(f, "itinerary"), ==, 3);
}

/* --- the journal --------------------------------------------------------------- */

static gboolean collect(const StoreJournalEntry *e, gpointer data)
{
	GString *out = data;

	g_string_append_printf(out, "%s %s:", e->action, e->email);
	for (guint i = 0; i < e->fields->len; i++)
		g_string_append_printf(out, " %s=%s>%s", (char *)g_ptr_array_index(e->fields, i),
				       (char *)g_ptr_array_index(e->before, i),
				       (char *)g_ptr_array_index(e->after, i));
	if (e->detail != NULL)
		g_string_append_printf(out, " (%s)", e->detail);
	g_string_append_c(out, '\n');
	return TRUE;
}

static gboolean robot(StoreTxn *txn, gpointer data, GError **error)
{
	(void)data;
	return journal_note_robot(txn, "mailer-daemon@example.org", "empty Return-Path",
				  at("2025-10-21T12:00:00Z"), error);
}

static void test_journal(Fixture *f, gconstpointer data)
{
	static const char *const acts[] = {"walk", NULL};
	g_autoptr(Attendee) ana = attendee("ana@example.ro", "Ana Popescu", acts);
	g_autoptr(GString) seen = g_string_new(NULL);
	g_autoptr(GError) error = NULL;
	StoreTxn *txn;

	(void)data;
	put(f, ana, "2025-10-20T10:00:00+02:00");
	ana->diet = g_strdup("vegetarian");
	put(f, ana, "2025-10-20T11:00:00+02:00");
	put(f, ana, "2025-10-20T12:00:00+02:00"); /* nothing changed: nothing noted */
	ana->status = ATTENDEE_CANCELLED;
	put(f, ana, "2025-10-20T13:00:00+02:00");
	g_assert_true(store_write(f->store, robot, NULL, &error));

	txn = store_read_begin(f->store, &error);
	g_assert_no_error(error);
	g_assert_true(store_journal_foreach(txn, 0, collect, seen, &error));
	store_read_end(txn);
	g_assert_cmpstr(
	    seen->str, ==,
	    "registered ana@example.ro: name=>Ana Popescu organisation=>Test country=>RO "
	    "language=>en activities=>walk\n"
	    "updated ana@example.ro: diet=>vegetarian\n"
	    "cancelled ana@example.ro: activities=walk>\n"
	    "robot mailer-daemon@example.org: (empty Return-Path)\n");

	g_string_truncate(seen, 0);
	txn = store_read_begin(f->store, &error);
	g_assert_true(store_journal_foreach(txn, 3, collect, seen, &error));
	store_read_end(txn);
	g_assert_cmpstr(seen->str, ==, "robot mailer-daemon@example.org: (empty Return-Path)\n");
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add("/schedule/nothing-before-anyone-registers", Fixture, NULL, fixture_set_up,
		   test_nothing_before_anyone_registers, fixture_tear_down);
	g_test_add("/schedule/programme-at-seven", Fixture, NULL, fixture_set_up,
		   test_programme_at_seven, fixture_tear_down);
	g_test_add("/schedule/daylight-saving-change", Fixture, NULL, fixture_set_up,
		   test_daylight_saving_change, fixture_tear_down);
	g_test_add("/schedule/past-days-and-reminder", Fixture, NULL, fixture_set_up,
		   test_past_days_and_reminder, fixture_tear_down);
	g_test_add("/schedule/run/each-send-once", Fixture, "store", fixture_set_up,
		   test_each_send_once, fixture_tear_down);
	g_test_add("/schedule/run/changes-coalesce", Fixture, "store", fixture_set_up,
		   test_changes_coalesce, fixture_tear_down);
	g_test_add("/schedule/journal", Fixture, "store", fixture_set_up, test_journal,
		   fixture_tear_down);
	return g_test_run();
}
