/* SPDX-License-Identifier: ISC */
/* test-attention.c: what needs the organisers, read from a store: an error
 * answer leaves the list once its sender's registration changes, a
 * refusal stays; confirmations count once two days old; waiting lists
 * keep their order and the time each person asked; a quarantined message
 * is named by its headers, with the command that releases it. */

#include "autoconfig.h"

#include "attention.h"

#include <glib/gstdio.h>
#include <string.h>

#include "campus.h"

#define NOW 1757404800 /* 2025-09-09T08:00:00Z */
#define DAY (24 * 3600)
#define ORANGE "visit-orange-cyberdefense"

typedef struct {
	char *dir;
	Config *cfg;
	Store *store;
} Fixture;

static void rm_rf(const char *path)
{
	g_autoptr(GDir) d = g_dir_open(path, 0, NULL);
	const char *name;

	while (d != NULL && (name = g_dir_read_name(d)) != NULL) {
		g_autofree char *child = g_build_filename(path, name, NULL);

		rm_rf(child);
	}
	g_remove(path);
}

static void setup(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *state = NULL;

	(void)data;
	f->dir = g_dir_make_tmp("test-attention-XXXXXX", &error);
	g_assert_no_error(error);
	f->cfg = campus_load("");
	g_free(f->cfg->quarantine_dir);
	f->cfg->quarantine_dir = g_build_filename(f->dir, "quarantine", NULL);
	state = g_build_filename(f->dir, "state", NULL);
	f->store = store_open(state, &error);
	g_assert_no_error(error);
}

static void teardown(Fixture *f, gconstpointer data)
{
	(void)data;
	store_close(f->store);
	config_free(f->cfg);
	rm_rf(f->dir);
	g_free(f->dir);
}

/* Journals @action for @email at @when, with one field @field: @before
 * -> @after when @field is not NULL. */
static void journal(StoreTxn *txn, const char *action, const char *email, gint64 when,
		    const char *field, const char *before, const char *after)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(StoreJournalEntry) e = store_journal_entry_new();

	e->when = when;
	e->action = g_strdup(action);
	e->email = g_strdup(email);
	e->detail = g_strdup("Registration");
	if (field != NULL) {
		g_ptr_array_add(e->fields, g_strdup(field));
		g_ptr_array_add(e->before, g_strdup(before));
		g_ptr_array_add(e->after, g_strdup(after));
	}
	g_assert_true(store_journal_add(txn, e, &error));
	g_assert_no_error(error);
}

static JsonObject *build(Fixture *f)
{
	g_autoptr(GError) error = NULL;
	StoreTxn *txn = store_read_begin(f->store, &error);
	JsonObject *o;

	g_assert_no_error(error);
	o = attention_build(txn, f->cfg, "en", NOW, FALSE, &error);
	store_read_end(txn);
	g_assert_no_error(error);
	g_assert_nonnull(o);
	return o;
}

static JsonArray *items(JsonObject *o, const char *list)
{
	return json_object_get_array_member(json_object_get_object_member(o, list), "items");
}

static void test_nothing(Fixture *f, gconstpointer data)
{
	g_autoptr(JsonObject) o = build(f);

	(void)data;
	g_assert_false(json_object_get_boolean_member(o, "any"));
	g_assert_cmpuint(json_array_get_length(items(o, "errors")), ==, 0);
}

static gboolean write_answers(StoreTxn *txn, gpointer data, GError **error)
{
	(void)data;
	(void)error;
	journal(txn, "error", "ana@example.ro", NOW - 3 * DAY, "unknown-day", "4", "Thursday");
	journal(txn, "refused", "late@example.fi", NOW - 2 * DAY, "deadline-passed", "0", "closed");
	journal(txn, "error", "old@example.fi", NOW - 30 * DAY, "unknown-day", "2", "Friday");
	journal(txn, "registered", "ana@example.ro", NOW - DAY, NULL, NULL, NULL);
	journal(txn, "error", "zoltan@example.hu", NOW - DAY, "unknown-day", "1", "Sunday");
	journal(txn, "error", "zoltan@example.hu", NOW - 60, "unknown-day", "1", "Saturday");
	return TRUE;
}

static void test_answers(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonObject) o = NULL;
	JsonObject *item;

	(void)data;
	g_assert_true(store_write(f->store, write_answers, NULL, &error));
	o = build(f);
	/* Ana put hers right; the old one is past; Zoltán's last counts. */
	g_assert_cmpuint(json_array_get_length(items(o, "errors")), ==, 1);
	item = json_array_get_object_element(items(o, "errors"), 0);
	g_assert_cmpstr(json_object_get_string_member(item, "email"), ==, "zoltan@example.hu");
	item = json_array_get_object_element(json_object_get_array_member(item, "problems"), 0);
	g_assert_cmpstr(json_object_get_string_member(item, "text"), ==, "Saturday");
	g_assert_cmpstr(json_object_get_string_member(item, "line"), ==, "1");
	g_assert_cmpuint(json_array_get_length(items(o, "refusals")), ==, 1);
	item = json_array_get_object_element(items(o, "refusals"), 0);
	g_assert_cmpstr(json_object_get_string_member(item, "email"), ==, "late@example.fi");
	/* Line 0 is the message as a whole. */
	item = json_array_get_object_element(json_object_get_array_member(item, "problems"), 0);
	g_assert_false(json_object_has_member(item, "line"));
	g_assert_true(json_object_get_boolean_member(o, "any"));
}

static gboolean write_waiting(StoreTxn *txn, gpointer data, GError **error)
{
	StorePlaces p;
	StorePending pending = {.email = (char *)"ana@example.ro",
				.action = (char *)"register",
				.from_name = (char *)"Ana Popescu",
				.created_at = NOW - 3 * DAY,
				.expires_at = NOW + 4 * DAY};
	StorePending recent = {.email = (char *)"new@example.ro",
			       .action = (char *)"register",
			       .created_at = NOW - DAY,
			       .expires_at = NOW + 6 * DAY};

	(void)data;
	pending.token = (char *)"t1";
	recent.token = (char *)"t2";
	if (!store_places_get(txn, ORANGE, &p, error) ||
	    !store_waiting_add(txn, ORANGE, &p, "bogdan@example.ro", error) ||
	    !store_waiting_add(txn, ORANGE, &p, "ana@example.ro", error) ||
	    !store_places_put(txn, ORANGE, &p, error) || !store_pending_put(txn, &pending, error) ||
	    !store_pending_put(txn, &recent, error))
		return FALSE;
	journal(txn, "registered", "ana@example.ro", NOW - 2 * DAY, "waitlist", "", ORANGE);
	return TRUE;
}

static void test_waiting_and_pending(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonObject) o = NULL;
	g_autoptr(GDateTime) asked = g_date_time_new_from_unix_utc(NOW - 2 * DAY);
	g_autofree char *at = g_date_time_format_iso8601(asked);
	JsonObject *list, *item;
	JsonArray *people;

	(void)data;
	g_assert_true(store_write(f->store, write_waiting, NULL, &error));
	g_assert_no_error(error);
	o = build(f);
	g_assert_cmpuint(json_array_get_length(items(o, "waiting")), ==, 1);
	list = json_array_get_object_element(items(o, "waiting"), 0);
	g_assert_cmpstr(json_object_get_string_member(list, "id"), ==, ORANGE);
	people = json_object_get_array_member(list, "people");
	g_assert_cmpuint(json_array_get_length(people), ==, 2);
	item = json_array_get_object_element(people, 0);
	g_assert_cmpstr(json_object_get_string_member(item, "email"), ==, "bogdan@example.ro");
	g_assert_cmpint(json_object_get_int_member(item, "position"), ==, 1);
	item = json_array_get_object_element(people, 1);
	g_assert_cmpstr(json_object_get_string_member(item, "email"), ==, "ana@example.ro");
	g_assert_cmpstr(json_object_get_string_member(item, "at"), ==, at);

	g_assert_cmpuint(json_array_get_length(items(o, "pending")), ==, 1);
	item = json_array_get_object_element(items(o, "pending"), 0);
	g_assert_cmpstr(json_object_get_string_member(item, "name"), ==, "Ana Popescu");
	g_assert_cmpint(json_object_get_int_member(item, "days"), ==, 3);
}

static void test_quarantine(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonObject) o = NULL;
	g_autofree char *new_dir = g_build_filename(f->cfg->quarantine_dir, "new", NULL);
	g_autofree char *path = g_build_filename(new_dir, "1757400000.M1P1Q1.host", NULL);
	g_autofree char *name = NULL;
	JsonObject *item;

	(void)data;
	g_assert_cmpint(g_mkdir_with_parents(new_dir, 0700), ==, 0);
	g_assert_true(g_file_set_contents(path,
					  "Subject: =?UTF-8?B?xJBvcsSRZQ==?= and\r\n more\r\n"
					  "From: =?UTF-8?Q?Mikko_J=C3=A4=C3=A4skel=C3=A4inen?=\r\n"
					  "Date: Mon, 8 Sep 2025 10:00:00 +0300\r\n\r\nFrom: not this\r\n",
					  -1, &error));
	o = build(f);
	g_assert_cmpuint(json_array_get_length(items(o, "quarantine")), ==, 1);
	item = json_array_get_object_element(items(o, "quarantine"), 0);
	g_assert_cmpstr(json_object_get_string_member(item, "from"), ==, "Mikko Jääskeläinen");
	g_assert_cmpstr(json_object_get_string_member(item, "subject"), ==, "Đorđe and more");
	g_assert_cmpstr(json_object_get_string_member(item, "date"), ==,
			"Mon, 8 Sep 2025 10:00:00 +0300");
	g_assert_cmpstr(json_object_get_string_member(item, "reason"), ==, "no usable From address");
	g_assert_cmpstr(json_object_get_string_member(item, "release"), ==,
			"convenectl release 1757400000.M1P1Q1.host");
	g_assert_true(json_object_get_boolean_member(item, "new"));

	g_free(f->cfg->intake_dir);
	f->cfg->intake_dir = g_build_filename(f->dir, "inbox", NULL);
	g_assert_false(attention_release(f->cfg, "no-such-file", NULL, &error));
	g_assert_error(error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
	g_clear_error(&error);
	g_assert_true(attention_release(f->cfg, path, &name, &error));
	g_assert_no_error(error);
	g_assert_cmpstr(name, ==, "1757400000.M1P1Q1.host");
	g_assert_false(g_file_test(path, G_FILE_TEST_EXISTS));
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add("/attention/nothing", Fixture, NULL, setup, test_nothing, teardown);
	g_test_add("/attention/answers", Fixture, NULL, setup, test_answers, teardown);
	g_test_add("/attention/waiting-and-pending", Fixture, NULL, setup, test_waiting_and_pending,
		   teardown);
	g_test_add("/attention/quarantine", Fixture, NULL, setup, test_quarantine, teardown);
	return g_test_run();
}
