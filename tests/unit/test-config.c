/* SPDX-License-Identifier: ISC */
/* test-config.c: the configuration file as an organiser writes it. The
 * shipped CAMPUS file loads; a file with mistakes gets every one of them
 * back at once, each at its line. Writes only inside its own temp dir. */

#include "autoconfig.h"

#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

/* A day and an event: the least a file can hold and still load. */
#define MINIMAL                                                                                    \
	"event {\n"                                                                                \
	"	name = \"Test event\"\n"                                                                 \
	"	timezone = \"Europe/Paris\"\n"                                                           \
	"	address = \"Register@Example.ORG\"\n"                                                    \
	"}\n"                                                                                      \
	"day \"2025-09-15\" { title = \"Monday\" }\n"

typedef struct {
	char *dir;
	char *path;
} Fixture;

typedef struct {
	int line;
	const char *says;
} Expected;

static void fixture_set_up(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;

	(void)data;
	f->dir = g_dir_make_tmp("test-config-XXXXXX", &error);
	g_assert_no_error(error);
	f->path = g_build_filename(f->dir, "convene.conf", NULL);
}

static void fixture_tear_down(Fixture *f, gconstpointer data)
{
	(void)data;
	g_remove(f->path);
	g_rmdir(f->dir);
	g_free(f->path);
	g_free(f->dir);
}

/* Loads @text with the sources' templates (a language is its directory
 * there), set on the line of "paths {" or after the text, so that the
 * lines the tests expect problems on stay where they are. */
static Config *load_text(Fixture *f, const char *text, GError **error)
{
	g_autoptr(GError) write_error = NULL;
	const char *top = g_getenv("top_srcdir") != NULL ? g_getenv("top_srcdir") : ".";
	g_autofree char *templates = g_build_filename(top, "templates", NULL);
	g_autofree char *set = g_strdup_printf("paths { templates = \"%s\" ", templates);
	g_autoptr(GString) full = g_string_new(text);

	if (strstr(text, "paths {") != NULL && strstr(text, "templates =") == NULL)
		g_string_replace(full, "paths {", set, 1);
	else if (strstr(text, "templates =") == NULL)
		g_string_append_printf(full, "\n%s}\n", set);
	g_file_set_contents(f->path, full->str, -1, &write_error);
	g_assert_no_error(write_error);
	return config_load(f->path, error);
}

/* The error holds exactly @expected, one per line, in this order. */
static void assert_problems(Fixture *f, const GError *error, const Expected *expected, guint n)
{
	g_auto(GStrv) lines = NULL;

	g_assert_error(error, CONFIG_ERROR, CONFIG_ERROR_INVALID);
	g_test_message("%s", error->message);
	lines = g_strsplit(error->message, "\n", -1);
	g_assert_cmpuint(g_strv_length(lines), ==, n);
	for (guint i = 0; i < n; i++) {
		g_autofree char *prefix = g_strdup_printf("%s:%d: ", f->path, expected[i].line);
		g_autofree char *got = g_strndup(lines[i], strlen(prefix));

		g_assert_cmpstr(got, ==, prefix);
		g_assert_nonnull(strstr(lines[i], expected[i].says));
	}
}

/* The shipped file as it is: its "templates" is relative to the folder
 * convene runs in, the top of the sources (a separate build folder, as in
 * make distcheck, has none). */
static Config *load_shipped(GError **error)
{
	const char *top = g_getenv("top_srcdir") != NULL ? g_getenv("top_srcdir") : ".";
	g_autofree char *here = g_get_current_dir();
	Config *cfg;

	g_assert_cmpint(g_chdir(top), ==, 0);
	cfg = config_load("etc/convene.conf", error);
	g_assert_cmpint(g_chdir(here), ==, 0);
	return cfg;
}

static void test_shipped(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(Config) cfg = load_shipped(&error);
	const ConfigActivity *sekoia;
	const char *ids[] = {"kickoff-meeting",		  "visit-le-poool",
			     "visit-orange-cyberdefense", "local-ecosystem-talks",
			     "next-steps-workshop",	  "study-visit-sekoia"};
	const guint capacities[] = {0, 25, 20, 0, 0, 8};
	g_autoptr(GDateTime) deadline = NULL;

	g_assert_no_error(error);
	g_assert_nonnull(cfg);
	g_assert_cmpstr(cfg->event_timezone, ==, "Europe/Paris");
	g_assert_cmpstr(g_time_zone_get_identifier(cfg->tz), ==, "Europe/Paris");
	g_assert_cmpstr(cfg->event_address, ==, "register@campus.example.org");
	g_assert_true(config_has_language(cfg, "en"));
	g_assert_true(config_has_language(cfg, "fr"));
	g_assert_false(config_has_language(cfg, "de"));
	g_assert_cmpstr(cfg->languages[0], ==, "en");

	g_assert_cmpuint(cfg->days->len, ==, 3);
	g_assert_cmpstr(((ConfigDay *)g_ptr_array_index(cfg->days, 0))->date, ==, "2025-09-15");
	g_assert_cmpstr(((ConfigDay *)g_ptr_array_index(cfg->days, 2))->date, ==, "2025-09-17");
	g_assert_nonnull(config_day_find(cfg, "2025-09-16"));
	g_assert_null(config_day_find(cfg, "2025-09-18"));

	g_assert_cmpuint(cfg->activities->len, ==, G_N_ELEMENTS(ids));
	for (guint i = 0; i < G_N_ELEMENTS(ids); i++) {
		const ConfigActivity *a = g_ptr_array_index(cfg->activities, i);

		g_assert_cmpstr(a->id, ==, ids[i]);
		g_assert_true(config_activity_find(cfg, ids[i]) == a);
		g_assert_cmpuint(a->capacity, ==, capacities[i]);
		g_assert_nonnull(config_day_find(cfg, a->day));
		g_assert_cmpstr(a->start, <, a->end);
	}
	sekoia = config_activity_find(cfg, "study-visit-sekoia");
	g_assert_cmpstr(sekoia->day, ==, "2025-09-17");
	g_assert_cmpuint(g_strv_length(sekoia->countries), ==, 1);
	g_assert_cmpstr(sekoia->countries[0], ==, "RO");
	g_assert_cmpuint(g_strv_length(config_activity_find(cfg, "kickoff-meeting")->countries), ==,
			 0);
	g_assert_null(config_activity_find(cfg, "no-such-activity"));

	deadline = g_date_time_new_utc(2025, 9, 10, 21, 59, 0); /* 23:59 CEST */
	g_assert_cmpint(cfg->registration_deadline, ==, g_date_time_to_unix(deadline));
	g_assert_cmpint(cfg->policy, ==, CONFIG_POLICY_OPEN);
	g_assert_cmpint(cfg->transport_kind, ==, CONFIG_TRANSPORT_MAILDIR);
	g_assert_cmpstr(cfg->transport_dir, ==, "var/sent");
	g_assert_cmpstr(cfg->intake_dir, ==, "var/inbox");
	g_assert_cmpstr(cfg->quarantine_dir, ==, "var/inbox.quarantine");
	g_assert_cmpstr(cfg->file, ==, "etc/convene.conf");
}

static void test_all_errors_at_once(Fixture *f, gconstpointer data)
{
	static const char text[] = "event {\n"					   /*  1 */
				   "	name = \"Test\"   # a trailing comment\n"  /*  2 */
				   "	timezone = \"Mars/Olympus\"\n"		   /*  3 */
				   "	address = \"register@example.org\"\n"	   /*  4 */
				   "	languages = {\"en\",  # inside a list\n"   /*  5 */
				   "	             \"fr\"}\n"			   /*  6 */
				   "	colour = \"blue\"\n"			   /*  7 */
				   "}\n"					   /*  8 */
				   "// a C++ comment\n"				   /*  9 */
				   "/* a C comment\n"				   /* 10 */
				   "   on two lines */\n"			   /* 11 */
				   "day \"2025-09-15\" { title = \"Monday\" }\n"   /* 12 */
				   "day \"2025-02-30\" { title = \"No such\" }\n"  /* 13 */
				   "activity \"talk\" {\n"			   /* 14 */
				   "	title = \"Talk\"\n"			   /* 15 */
				   "	day = \"2025-09-18\"\n"			   /* 16 */
				   "	start = \"09:00\"  end = \"25:00\"\n"	   /* 17 */
				   "}\n"					   /* 18 */
				   "transport = \"smtp://relay.example.org:0\"\n"; /* 19 */
	static const Expected expected[] = {
	    {3, "event: unknown time zone 'Mars/Olympus'"},
	    {7, "no such option 'colour'"},
	    {13, "day \"2025-02-30\": not a date"},
	    {16, "activity \"talk\": day 2025-09-18 is not declared"},
	    {17, "activity \"talk\": end '25:00' is not a time"},
	    {19, "transport 'smtp://relay.example.org:0' must be"},
	};
	g_autoptr(GError) error = NULL;
	g_autoptr(Config) cfg = load_text(f, text, &error);

	(void)data;
	g_assert_null(cfg);
	assert_problems(f, error, expected, G_N_ELEMENTS(expected));
}

static void test_more_errors(Fixture *f, gconstpointer data)
{
	static const char text[] =
	    "event {\n"							    /*  1 */
	    "	name = \"Test\"\n"					    /*  2 */
	    "	timezone = \"UTC\"\n"					    /*  3 */
	    "	address = \"two@at@example.org\"\n"			    /*  4 */
	    "	organisers = {\"ok@example.org\", \"no at sign\"}\n"	    /*  5 */
	    "	languages = {\"en\", \"de\"}\n"				    /*  6 */
	    "	policy = \"maybe\"\n"					    /*  7 */
	    "	registration-deadline = \"2025-09-10 23:59\"\n"		    /*  8 */
	    "}\n"							    /*  9 */
	    "day \"2025-09-15\" {}\n"					    /* 10 */
	    "activity \"Bad Id\" {\n"					    /* 11 */
	    "	day = \"2025-09-15\"  start = \"10:00\"  end = \"09:00\"\n" /* 12 */
	    "}\n"							    /* 13 */
	    "activity \"a\" {\n"					    /* 14 */
	    "	day = \"2025-09-15\"  start = \"10:00\"  end = \"11:00\"\n" /* 15 */
	    "	capacity = -1\n"					    /* 16 */
	    "	aliases = {\"shared\"}  countries = {\"ROU\"}\n"	    /* 17 */
	    "}\n"							    /* 18 */
	    "activity \"b\" {\n"					    /* 19 */
	    "	day = \"2025-09-15\"  start = \"10:00\"  end = \"11:00\"\n" /* 20 */
	    "	aliases = {\"Shared\"}\n"				    /* 21 */
	    "}\n"							    /* 22 */
	    "smtp { starttls = \"sometimes\" }\n"			    /* 23 */
	    "schedule { digest-at = \"6pm\" }\n";			    /* 24 */
	static const Expected expected[] = {
	    {4, "event: address 'two@at@example.org' is not an email address"},
	    {5, "event: organisers: 'no at sign' is not an email address"},
	    {6, "event: language 'de' has no directory "},
	    {7, "event: policy 'maybe' must be open, confirm or closed"},
	    {8, "event: registration-deadline '2025-09-10 23:59' is not a date and time"},
	    {11, "activity \"Bad Id\": an activity id may only hold a-z, 0-9 and '-', at most 64 of them"},
	    {12, "activity \"Bad Id\": end 09:00 is not after start 10:00"},
	    {16, "activity \"a\": capacity must be 0 or more, not -1"},
	    {17, "activity \"a\": country 'ROU' is not a two-letter ISO code"},
	    {21, "activity \"b\": 'Shared' also names activity \"a\""},
	    {23, "smtp: starttls 'sometimes' must be none, opportunistic or required"},
	    {24, "schedule: digest-at '6pm' is not a time"},
	};
	g_autoptr(GError) error = NULL;
	g_autoptr(Config) cfg = load_text(f, text, &error);

	(void)data;
	g_assert_null(cfg);
	assert_problems(f, error, expected, G_N_ELEMENTS(expected));
}

static void test_missing_essentials(Fixture *f, gconstpointer data)
{
	static const Expected expected[] = {
	    {1, "event: name is required"},	   {1, "event: timezone is required"},
	    {1, "event: address is required"},	   {1, "no day declared"},
	    {2, "paths: state must not be empty"},
	};
	g_autoptr(GError) error = NULL;
	g_autoptr(Config) cfg =
	    load_text(f, "# nothing but a comment\npaths { state = \"\" }\n", &error);

	(void)data;
	g_assert_null(cfg);
	assert_problems(f, error, expected, G_N_ELEMENTS(expected));
}

static void test_syntax_error(Fixture *f, gconstpointer data)
{
	static const char text[] = "# a comment\n"
				   "event {\n"
				   "	name = \"Test\"\n"
				   "	timezone = = \"Europe/Paris\"\n"
				   "}\n";
	static const Expected expected[] = {
	    {4, "unexpected token '='"},
	};
	g_autoptr(GError) error = NULL;
	g_autoptr(Config) cfg = load_text(f, text, &error);

	(void)data;
	g_assert_null(cfg);
	assert_problems(f, error, expected, G_N_ELEMENTS(expected));
}

static void test_duplicate_activity(Fixture *f, gconstpointer data)
{
	static const char text[] =
	    MINIMAL "activity \"a\" { day = \"2025-09-15\" start = \"10:00\" end = \"11:00\" }\n"
		    "activity \"a\" { day = \"2025-09-15\" start = \"12:00\" end = \"13:00\" }\n";
	static const Expected expected[] = {
	    {8, "found duplicate title 'a'"},
	};
	g_autoptr(GError) error = NULL;
	g_autoptr(Config) cfg = load_text(f, text, &error);

	(void)data;
	g_assert_null(cfg);
	assert_problems(f, error, expected, G_N_ELEMENTS(expected));
}

static void test_missing_file(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(Config) cfg = config_load(f->path, &error);
	g_autofree char *message = g_strdup_printf("%s: %s", f->path, g_strerror(ENOENT));

	(void)data;
	g_assert_null(cfg);
	g_assert_error(error, CONFIG_ERROR, CONFIG_ERROR_READ);
	g_assert_cmpstr(error->message, ==, message);
}

static void test_smtp_transport(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(Config) with_port =
	    load_text(f, MINIMAL "transport = \"smtp://relay.example.org:587\"\n", &error);
	g_autoptr(Config) without_port = NULL;

	(void)data;
	g_assert_no_error(error);
	g_assert_cmpint(with_port->transport_kind, ==, CONFIG_TRANSPORT_SMTP);
	g_assert_cmpstr(with_port->transport, ==, "smtp://relay.example.org:587");
	g_assert_cmpstr(with_port->transport_host, ==, "relay.example.org");
	g_assert_cmpstr(with_port->transport_port, ==, "587");
	g_assert_null(with_port->transport_dir);

	without_port = load_text(f, MINIMAL "transport = \"smtp://relay.example.org\"\n", &error);
	g_assert_no_error(error);
	g_assert_cmpstr(without_port->transport_host, ==, "relay.example.org");
	g_assert_cmpstr(without_port->transport_port, ==, "25");
}

static void test_bad_transports(Fixture *f, gconstpointer data)
{
	const char *bad[] = {
	    "smtp://relay:65536", "smtp://:25",	     "smtp://relay:", "smtp://relay/x",
	    "smtps://relay",	  "smtp://[::1]:25", "maildir:",      "relay.example.org"};

	(void)data;
	for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autofree char *text = g_strdup_printf(MINIMAL "transport = \"%s\"\n", bad[i]);
		g_autofree char *says = g_strdup_printf("transport '%s' must be", bad[i]);
		const Expected expected[] = {{7, says}};
		g_autoptr(GError) error = NULL;
		g_autoptr(Config) cfg = load_text(f, text, &error);

		g_assert_null(cfg);
		assert_problems(f, error, expected, G_N_ELEMENTS(expected));
	}
}

static void test_defaults(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(Config) cfg = load_text(f, MINIMAL, &error);
	g_autoptr(Config) intake = NULL;

	(void)data;
	g_assert_no_error(error);
	g_assert_cmpstr(cfg->event_address, ==, "register@example.org");
	g_assert_cmpstr(cfg->event_location, ==, "");
	g_assert_cmpuint(g_strv_length(cfg->organisers), ==, 0);
	g_assert_cmpuint(g_strv_length(cfg->trusted_domains), ==, 0);
	g_assert_cmpuint(g_strv_length(cfg->languages), ==, 1);
	g_assert_cmpstr(cfg->languages[0], ==, "en");
	g_assert_cmpint(cfg->policy, ==, CONFIG_POLICY_CONFIRM);
	g_assert_cmpint(cfg->registration_deadline, ==, 0);
	g_assert_cmpuint(cfg->activities->len, ==, 0);

	g_assert_cmpstr(cfg->state_dir, ==, "/var/lib/convene");
	g_assert_cmpstr(cfg->intake_dir, ==, "/var/spool/convene/inbox");
	g_assert_cmpstr(cfg->quarantine_dir, ==, "/var/spool/convene/inbox.quarantine");
	g_assert_true(g_str_has_suffix(cfg->templates_dir, "/templates"));

	g_assert_cmpstr(cfg->transport, ==, "maildir:/var/spool/convene/sent");
	g_assert_cmpint(cfg->transport_kind, ==, CONFIG_TRANSPORT_MAILDIR);
	g_assert_cmpstr(cfg->transport_dir, ==, "/var/spool/convene/sent");
	g_assert_cmpint(cfg->smtp_starttls, ==, CONFIG_STARTTLS_REQUIRED);
	g_assert_null(cfg->smtp_user);
	g_assert_null(cfg->smtp_password_file);

	g_assert_cmpstr(cfg->programme_at, ==, "07:00");
	g_assert_cmpstr(cfg->digest_at, ==, "18:00");
	g_assert_cmpint(cfg->itinerary_days_before, ==, 3);
	g_assert_cmpuint(cfg->max_message_size, ==, 10485760);
	g_assert_cmpuint(cfg->replies_per_sender_per_hour, ==, 10);

	intake = load_text(f, MINIMAL "paths { intake = \"spool/in/\" }\n", &error);
	g_assert_no_error(error);
	g_assert_cmpstr(intake->quarantine_dir, ==, "spool/in.quarantine");
}

static void test_activity_defaults(Fixture *f, gconstpointer data)
{
	static const char text[] =
	    "event {\n"
	    "	name = \"Test\"  location = \"Rennes\"\n"
	    "	timezone = \"Europe/Paris\"  address = \"r@example.org\"\n"
	    "	languages = {\"FR\", \"en\"}\n"
	    "}\n"
	    "day \"2025-09-16\" { title = \"Tuesday\" }\n"
	    "day \"2025-09-15\" { title = \"Monday\" }\n"
	    "activity \"visit\" {\n"
	    "	day = \"2025-09-16\"  start = \"09:00\"  end = \"12:00\"\n"
	    "	aliases = {\"  la visite \"}  countries = {\"ro\", \"Hu\"}\n"
	    "}\n";
	g_autoptr(GError) error = NULL;
	g_autoptr(Config) cfg = load_text(f, text, &error);
	const ConfigActivity *a;

	(void)data;
	g_assert_no_error(error);
	g_assert_cmpstr(cfg->languages[0], ==, "fr");
	g_assert_cmpstr(((ConfigDay *)g_ptr_array_index(cfg->days, 0))->date, ==, "2025-09-15");
	g_assert_cmpstr(((ConfigDay *)g_ptr_array_index(cfg->days, 1))->title, ==, "Tuesday");
	g_assert_cmpint(g_date_get_day(&config_day_find(cfg, "2025-09-16")->gdate), ==, 16);
	a = config_activity_find(cfg, "visit");
	g_assert_cmpstr(a->title, ==, "visit");
	g_assert_cmpstr(a->location, ==, "Rennes");
	g_assert_cmpuint(a->capacity, ==, 0);
	g_assert_cmpstr(a->aliases[0], ==, "la visite");
	g_assert_cmpstr(a->countries[0], ==, "RO");
	g_assert_cmpstr(a->countries[1], ==, "HU");
}

static void add_test(const char *path, void (*test)(Fixture *, gconstpointer))
{
	g_test_add(path, Fixture, NULL, fixture_set_up, test, fixture_tear_down);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/config/shipped", test_shipped);
	add_test("/config/defaults", test_defaults);
	add_test("/config/activity-defaults", test_activity_defaults);
	add_test("/config/transport/smtp", test_smtp_transport);
	add_test("/config/transport/bad", test_bad_transports);
	add_test("/config/errors/all-at-once", test_all_errors_at_once);
	add_test("/config/errors/more", test_more_errors);
	add_test("/config/errors/missing-essentials", test_missing_essentials);
	add_test("/config/errors/syntax", test_syntax_error);
	add_test("/config/errors/duplicate-activity", test_duplicate_activity);
	add_test("/config/errors/missing-file", test_missing_file);
	return g_test_run();
}
