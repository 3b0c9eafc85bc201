/* SPDX-License-Identifier: ISC */
/* bench-itineraries.c: creates N attendees (10,000 unless told) in a scratch
 * store, then times queueing every one's itinerary (with its .ics), one
 * organisers' digest (with the CSV of all), and reports the peak RSS. A
 * measurement, not a test: it asserts nothing about speed. */

#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <glib/gstdio.h>

#include "compose.h"
#include "config.h"
#include "journal.h"
#include "schedule.h"
#include "store.h"

#define BATCH 500

static const char *const countries[] = {"RO", "FI", "RS", "HR", "IT", "HU", "FR"};
static const char *const diets[] = {NULL, NULL, NULL, "vegetarian", "vegan", "halal", "no gluten"};

typedef struct {
	guint from, n;
	gint64 now;
} Batch;

static gboolean add_batch(StoreTxn *txn, gpointer data, GError **error)
{
	Batch *b = data;

	for (guint i = b->from; i < b->from + b->n; i++) {
		g_autoptr(Attendee) a = attendee_new();

		a->email = g_strdup_printf("attendee%05u@example.org", i);
		a->name = g_strdup_printf("Attendee Nr. %u Kovács-Ionescu", i);
		a->organisation = g_strdup_printf("Organisation %u", i % 97);
		a->country = g_strdup(countries[i % G_N_ELEMENTS(countries)]);
		a->delegation = i % 3 == 0 ? g_strdup_printf("Delegation %u", i % 7) : NULL;
		a->language = g_strdup(i % 4 == 0 ? "fr" : "en");
		a->status = ATTENDEE_CONFIRMED;
		g_ptr_array_add(a->days, g_strdup("2025-09-15"));
		g_ptr_array_add(a->days, g_strdup("2025-09-16"));
		g_ptr_array_add(a->days, g_strdup("2025-09-17"));
		g_ptr_array_add(a->activities, g_strdup("kickoff-meeting"));
		g_ptr_array_add(a->activities,
				g_strdup(i % 2 ? "visit-le-poool" : "visit-orange-cyberdefense"));
		g_ptr_array_add(a->activities, g_strdup("local-ecosystem-talks"));
		g_ptr_array_add(a->activities, g_strdup("next-steps-workshop"));
		a->diet = g_strdup(diets[i % G_N_ELEMENTS(diets)]);
		a->accessibility = i % 50 == 0 ? g_strdup("step-free access") : NULL;
		a->arrival = g_strdup("Sunday 14 September, evening");
		a->registered_at = a->updated_at = b->now;
		if (!store_attendee_put(txn, a, error) ||
		    !journal_note_change(txn, NULL, a, b->now, error))
			return FALSE;
	}
	return TRUE;
}

static double seconds(void)
{
	return g_get_monotonic_time() / 1e6;
}

static long peak_rss_kb(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

/* RSS now, split into heap and stack (anonymous) and mapped files (the
 * LMDB map): the OS reclaims the latter at will. */
static void print_rss_parts(void)
{
	g_autofree char *status = NULL;
	g_auto(GStrv) lines = NULL;

	if (!g_file_get_contents("/proc/self/status", &status, NULL, NULL))
		return;
	lines = g_strsplit(status, "\n", -1);
	for (guint i = 0; lines[i] != NULL; i++)
		if (g_str_has_prefix(lines[i], "RssAnon:") ||
		    g_str_has_prefix(lines[i], "RssFile:"))
			printf("  now %s\n", lines[i]);
}

static void fail(const char *what, GError *error)
{
	fprintf(stderr, "bench-itineraries: %s: %s\n", what, error->message);
	exit(1);
}

int main(int argc, char **argv)
{
	guint n = argc > 1 ? (guint)atoi(argv[1]) : 10000;
	const char *top = g_getenv("top_srcdir") != NULL ? g_getenv("top_srcdir") : ".";
	g_autoptr(GError) error = NULL;
	g_autofree char *dir = g_dir_make_tmp("bench-itineraries-XXXXXX", &error);
	g_autofree char *conf = g_build_filename(top, "etc", "convene.conf", NULL);
	g_autoptr(Config) cfg = NULL;
	g_autoptr(Composer) composer = NULL;
	ScheduleStats stats = {0};
	gint64 now = 1756717200; /* 2025-09-01T09:00:00Z */
	guint digests = 0;
	Store *store;
	double t0, t_create, t_itineraries, t_digest;
	long rss_created, rss_itineraries;

	if (dir == NULL)
		fail("scratch directory", error);
	cfg = config_load(conf, &error);
	if (cfg == NULL)
		fail(conf, error);
	g_free(cfg->state_dir);
	cfg->state_dir = g_build_filename(dir, "state", NULL);
	g_free(cfg->templates_dir);
	cfg->templates_dir = g_build_filename(top, "templates", NULL);
	g_free(cfg->quarantine_dir);
	cfg->quarantine_dir = g_build_filename(dir, "quarantine", NULL);
	store = store_open(cfg->state_dir, &error);
	if (store == NULL)
		fail("store", error);
	composer = compose_new(cfg);

	t0 = seconds();
	for (guint from = 0; from < n; from += BATCH) {
		Batch b = {from, MIN(BATCH, n - from), now};

		if (!store_write(store, add_batch, &b, &error))
			fail("creating attendees", error);
	}
	t_create = seconds() - t0;
	rss_created = peak_rss_kb();

	t0 = seconds();
	if (!schedule_run(cfg, store, composer, now + 60, &stats, &error))
		fail("queueing itineraries", error);
	t_itineraries = seconds() - t0;
	rss_itineraries = peak_rss_kb();

	t0 = seconds();
	if (!schedule_by_hand(cfg, store, composer, SCHEDULE_BY_HAND_DIGEST, NULL, NULL, now + 120,
			      &digests, &error))
		fail("queueing the digest", error);
	t_digest = seconds() - t0;

	printf("attendees:        %u (created and journalled in %.2f s, peak RSS %ld KiB)\n", n,
	       t_create, rss_created);
	printf("itineraries:      %u queued with their .ics in %.2f s (%.0f per second, peak RSS "
	       "%ld KiB)\n",
	       stats.itineraries, t_itineraries, stats.itineraries / t_itineraries,
	       rss_itineraries);
	printf("organiser digest: %u queued with the CSV of all in %.2f s\n", digests, t_digest);
	printf("peak RSS:         %ld KiB\n", peak_rss_kb());
	print_rss_parts();
	store_close(store);
	{
		g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", dir);

		if (system(cmd) != 0)
			fprintf(stderr, "bench-itineraries: could not remove %s\n", dir);
	}
	return 0;
}
