/* SPDX-License-Identifier: ISC */
/* test-store.c: the store keeps what it is given across transactions and
 * restarts, grows when full and refuses records it cannot read. Each test
 * works in its own scratch directory; lmdb.h is included only to plant a
 * record of an unknown version, never to check the store's own writes. */

#include "autoconfig.h"

#include "store.h"

#include <string.h>

#include <glib/gstdio.h>
#include <lmdb.h>

static char *scratch_new(void)
{
	g_autoptr(GError) error = NULL;
	char *dir = g_dir_make_tmp("test-store-XXXXXX", &error);

	g_assert_no_error(error);
	return dir;
}

static void scratch_free(char *dir)
{
	g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
	const char *name;

	while (d != NULL && (name = g_dir_read_name(d)) != NULL) {
		g_autofree char *path = g_build_filename(dir, name, NULL);

		g_assert_cmpint(g_remove(path), ==, 0);
	}
	g_assert_cmpint(g_rmdir(dir), ==, 0);
	g_free(dir);
}

static Store *open_store(const char *dir)
{
	g_autoptr(GError) error = NULL;
	Store *store = store_open(dir, &error);

	g_assert_no_error(error);
	g_assert_nonnull(store);
	return store;
}

static void add_all(GPtrArray *to, const char *const *items)
{
	for (; *items != NULL; items++)
		g_ptr_array_add(to, g_strdup(*items));
}

static Attendee *attendee_full(const char *email, const char *name)
{
	static const char *const days[] = {"2025-09-15", "2025-09-16", NULL};
	static const char *const activities[] = {"visit-le-poool", "dinner", NULL};
	static const char *const waitlist[] = {"boat-trip", NULL};
	Attendee *a = attendee_new();

	a->email = g_strdup(email);
	a->name = g_strdup(name);
	a->organisation = g_strdup("Universitatea din București");
	a->country = g_strdup("RO");
	a->role = g_strdup("speaker");
	a->delegation = g_strdup("Délégation roumaine");
	a->language = g_strdup("fr");
	a->status = ATTENDEE_CONFIRMED;
	add_all(a->days, days);
	add_all(a->activities, activities);
	add_all(a->waitlist, waitlist);
	a->diet = g_strdup("vegetarian, no nuts");
	a->accessibility = g_strdup("step-free access");
	a->arrival = g_strdup("2025-09-14 18:30");
	a->departure = g_strdup("2025-09-17 09:00");
	a->registered_at = 1756713600;
	a->updated_at = 1756800000;
	return a;
}

static void assert_list_equal(const GPtrArray *a, const GPtrArray *b)
{
	g_assert_cmpuint(a->len, ==, b->len);
	for (guint i = 0; i < a->len; i++)
		g_assert_cmpstr(g_ptr_array_index(a, i), ==, g_ptr_array_index(b, i));
}

static void assert_attendee_equal(const Attendee *a, const Attendee *b)
{
	g_assert_cmpstr(a->email, ==, b->email);
	g_assert_cmpstr(a->name, ==, b->name);
	g_assert_cmpstr(a->organisation, ==, b->organisation);
	g_assert_cmpstr(a->country, ==, b->country);
	g_assert_cmpstr(a->role, ==, b->role);
	g_assert_cmpstr(a->delegation, ==, b->delegation);
	g_assert_cmpstr(a->language, ==, b->language);
	g_assert_cmpint(a->status, ==, b->status);
	assert_list_equal(a->days, b->days);
	assert_list_equal(a->activities, b->activities);
	assert_list_equal(a->waitlist, b->waitlist);
	g_assert_cmpstr(a->diet, ==, b->diet);
	g_assert_cmpstr(a->accessibility, ==, b->accessibility);
	g_assert_cmpstr(a->arrival, ==, b->arrival);
	g_assert_cmpstr(a->departure, ==, b->departure);
	g_assert_cmpint(a->registered_at, ==, b->registered_at);
	g_assert_cmpint(a->updated_at, ==, b->updated_at);
}

static const char crlf_message[] = "From: convene@example.org\r\n"
				   "Subject: =?UTF-8?B?w45uc2NyaWVyZQ==?=\r\n"
				   "\r\n"
				   "a\0b\0\0c\r\n.\r\n";

static OutboxRow *outbox_full(void)
{
	OutboxRow *row = outbox_row_new();

	row->state = OUTBOX_SENDING;
	row->kind = g_strdup("registered");
	row->sender = g_strdup("convene@example.org");
	row->recipient = g_strdup("stefan.ionescu@example.ro");
	row->message_id = g_strdup("20250901.1@convene.example.org");
	row->message = g_bytes_new_static(crlf_message, sizeof crlf_message);
	/* Opaque to the store: any bytes, NULs too. */
	row->draft = g_bytes_new_static("draft\0with\0NULs", 16);
	row->attempts = 3;
	row->created_at = 1756713600;
	row->updated_at = 1756713660;
	row->next_try_at = 1756714200;
	row->last_reply = g_strdup("451 4.3.0 Try again later");
	return row;
}

static void assert_outbox_equal(const OutboxRow *a, const OutboxRow *b)
{
	g_assert_cmpuint(a->id, ==, b->id);
	g_assert_cmpint(a->state, ==, b->state);
	g_assert_cmpstr(a->kind, ==, b->kind);
	g_assert_cmpstr(a->sender, ==, b->sender);
	g_assert_cmpstr(a->recipient, ==, b->recipient);
	g_assert_cmpstr(a->message_id, ==, b->message_id);
	g_assert_true((a->message == NULL) == (b->message == NULL));
	if (a->message != NULL)
		g_assert_true(g_bytes_equal(a->message, b->message));
	g_assert_true((a->draft == NULL) == (b->draft == NULL));
	if (a->draft != NULL)
		g_assert_true(g_bytes_equal(a->draft, b->draft));
	g_assert_cmpuint(a->attempts, ==, b->attempts);
	g_assert_cmpint(a->created_at, ==, b->created_at);
	g_assert_cmpint(a->updated_at, ==, b->updated_at);
	g_assert_cmpint(a->next_try_at, ==, b->next_try_at);
	g_assert_cmpstr(a->last_reply, ==, b->last_reply);
}

static gboolean put_attendees(StoreTxn *txn, gpointer user_data, GError **error)
{
	GPtrArray *attendees = user_data;

	for (guint i = 0; i < attendees->len; i++)
		if (!store_attendee_put(txn, g_ptr_array_index(attendees, i), error))
			return FALSE;
	return TRUE;
}

static void write_attendees(Store *store, GPtrArray *attendees)
{
	g_autoptr(GError) error = NULL;

	g_assert_true(store_write(store, put_attendees, attendees, &error));
	g_assert_no_error(error);
}

static gboolean add_rows(StoreTxn *txn, gpointer user_data, GError **error)
{
	GPtrArray *rows = user_data;

	for (guint i = 0; i < rows->len; i++)
		if (!store_outbox_add(txn, g_ptr_array_index(rows, i), error))
			return FALSE;
	return TRUE;
}

static void test_attendee_round_trip(void)
{
	char *dir = scratch_new();
	Store *store = open_store(dir);
	g_autoptr(GPtrArray) written =
	    g_ptr_array_new_with_free_func((GDestroyNotify)attendee_free);
	g_autoptr(Attendee) bare = attendee_new();
	g_autofree char *long_email = NULL;
	g_autoptr(GError) error = NULL;
	StoreTxn *txn;

	g_ptr_array_add(written, attendee_full("stefan.ionescu@example.ro", "Ștefan Ionescu"));
	g_ptr_array_add(written, attendee_full("kovacs.zoltan@example.hu", "Kovács Zoltán"));
	bare->email = g_strdup("bare@example.org");
	g_ptr_array_add(written, attendee_copy(bare));
	/* Longer than LMDB's 511-byte key limit. */
	long_email = g_strnfill(600, 'x');
	long_email[599] = '\0';
	memcpy(long_email + 580, "@example.org", strlen("@example.org"));
	g_ptr_array_add(written, attendee_full(long_email, "Kovács Zoltán"));
	write_attendees(store, written);

	txn = store_read_begin(store, &error);
	g_assert_no_error(error);
	for (guint i = 0; i < written->len; i++) {
		const Attendee *want = g_ptr_array_index(written, i);
		g_autoptr(Attendee) got = store_attendee_get(txn, want->email, &error);

		g_assert_no_error(error);
		g_assert_nonnull(got);
		assert_attendee_equal(got, want);
	}
	{
		g_autoptr(Attendee) got = store_attendee_get(txn, "bare@example.org", &error);

		g_assert_null(got->name);
		g_assert_null(got->departure);
		g_assert_cmpuint(got->days->len, ==, 0);
	}
	g_assert_null(store_attendee_get(txn, "nobody@example.org", &error));
	g_assert_no_error(error);
	store_read_end(txn);

	store_close(store);
	scratch_free(dir);
}

static gboolean update_row(StoreTxn *txn, gpointer user_data, GError **error)
{
	return store_outbox_put(txn, user_data, error);
}

static void test_outbox_round_trip(void)
{
	char *dir = scratch_new();
	Store *store = open_store(dir);
	g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func((GDestroyNotify)outbox_row_free);
	g_autoptr(GError) error = NULL;
	OutboxRow *row;
	StoreTxn *txn;

	g_ptr_array_add(rows, outbox_full());
	g_ptr_array_add(rows, outbox_row_new());
	g_assert_true(store_write(store, add_rows, rows, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(((OutboxRow *)g_ptr_array_index(rows, 0))->id, ==, 1);
	g_assert_cmpuint(((OutboxRow *)g_ptr_array_index(rows, 1))->id, ==, 2);

	row = g_ptr_array_index(rows, 0);
	row->state = OUTBOX_SENT;
	row->attempts = 4;
	g_clear_pointer(&row->last_reply, g_free);
	row->last_reply = g_strdup("250 2.0.0 Ok: queued as 4Xyz");
	g_assert_true(store_write(store, update_row, row, &error));
	g_assert_no_error(error);

	txn = store_read_begin(store, &error);
	g_assert_no_error(error);
	for (guint i = 0; i < rows->len; i++) {
		const OutboxRow *want = g_ptr_array_index(rows, i);
		g_autoptr(OutboxRow) got = store_outbox_get(txn, want->id, &error);

		g_assert_no_error(error);
		assert_outbox_equal(got, want);
	}
	g_assert_null(store_outbox_get(txn, 3, &error));
	g_assert_error(error, STORE_ERROR, STORE_ERROR_NOT_FOUND);
	store_read_end(txn);

	/* An id store_outbox_add never handed out is refused. */
	g_clear_error(&error);
	row->id = 3;
	g_assert_false(store_write(store, update_row, row, &error));
	g_assert_error(error, STORE_ERROR, STORE_ERROR_FAILED);

	store_close(store);
	scratch_free(dir);
}

static gboolean collect_email(const Attendee *a, gpointer user_data)
{
	g_ptr_array_add(user_data, g_strdup(a->email));
	return TRUE;
}

static gboolean collect_two_emails(const Attendee *a, gpointer user_data)
{
	GPtrArray *emails = user_data;

	g_ptr_array_add(emails, g_strdup(a->email));
	return emails->len < 2;
}

static void test_attendee_order(void)
{
	static const char *const shuffled[] = {
	    "zoe@example.org",	"ana@example.ro", "kovacs.zoltan@example.hu",
	    "ana.b@example.ro", "m@example.com",  NULL,
	};
	static const char *const sorted[] = {
	    "ana.b@example.ro", "ana@example.ro",  "kovacs.zoltan@example.hu",
	    "m@example.com",	"zoe@example.org", NULL,
	};
	char *dir = scratch_new();
	Store *store = open_store(dir);
	g_autoptr(GPtrArray) written =
	    g_ptr_array_new_with_free_func((GDestroyNotify)attendee_free);
	g_autoptr(GPtrArray) all = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GPtrArray) two = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GError) error = NULL;
	StoreTxn *txn;

	for (guint i = 0; shuffled[i] != NULL; i++)
		g_ptr_array_add(written, attendee_full(shuffled[i], "Someone"));
	write_attendees(store, written);

	txn = store_read_begin(store, &error);
	g_assert_no_error(error);
	g_assert_true(store_attendee_foreach(txn, collect_email, all, &error));
	g_assert_no_error(error);
	g_assert_true(store_attendee_foreach(txn, collect_two_emails, two, &error));
	g_assert_no_error(error);
	store_read_end(txn);

	g_assert_cmpuint(all->len, ==, g_strv_length((char **)sorted));
	for (guint i = 0; i < all->len; i++)
		g_assert_cmpstr(g_ptr_array_index(all, i), ==, sorted[i]);
	g_assert_cmpuint(two->len, ==, 2);
	g_assert_cmpstr(g_ptr_array_index(two, 1), ==, sorted[1]);

	store_close(store);
	scratch_free(dir);
}

static gboolean collect_id(const OutboxRow *row, gpointer user_data)
{
	g_array_append_val(user_data, row->id);
	return TRUE;
}

static void test_outbox_order(void)
{
	char *dir = scratch_new();
	Store *store = open_store(dir);
	g_autoptr(GPtrArray) first =
	    g_ptr_array_new_with_free_func((GDestroyNotify)outbox_row_free);
	g_autoptr(GPtrArray) second =
	    g_ptr_array_new_with_free_func((GDestroyNotify)outbox_row_free);
	g_autoptr(GArray) ids = g_array_new(FALSE, FALSE, sizeof(guint64));
	g_autoptr(GError) error = NULL;
	StoreTxn *txn;

	/* Two transactions, crossing 255/256 where little-endian keys would
	 * sort 256 before 2. */
	for (guint i = 0; i < 200; i++)
		g_ptr_array_add(first, outbox_row_new());
	for (guint i = 0; i < 150; i++)
		g_ptr_array_add(second, outbox_row_new());
	g_assert_true(store_write(store, add_rows, first, &error));
	g_assert_true(store_write(store, add_rows, second, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(((OutboxRow *)g_ptr_array_index(first, 0))->id, ==, 1);
	g_assert_cmpuint(((OutboxRow *)g_ptr_array_index(second, 0))->id, ==, 201);
	g_assert_cmpuint(((OutboxRow *)g_ptr_array_index(second, 149))->id, ==, 350);

	txn = store_read_begin(store, &error);
	g_assert_no_error(error);
	g_assert_true(store_outbox_foreach(txn, collect_id, ids, &error));
	g_assert_no_error(error);
	store_read_end(txn);

	g_assert_cmpuint(ids->len, ==, 350);
	for (guint i = 0; i < ids->len; i++)
		g_assert_cmpuint(g_array_index(ids, guint64, i), ==, i + 1);

	store_close(store);
	scratch_free(dir);
}

static gboolean add_seen(StoreTxn *txn, gpointer user_data, GError **error)
{
	const char *const *ids = user_data;

	for (; *ids != NULL; ids++)
		if (!store_seen_add(txn, *ids, 1756713600, error))
			return FALSE;
	return TRUE;
}

static gboolean seen(Store *store, const char *message_id)
{
	g_autoptr(GError) error = NULL;
	StoreTxn *txn = store_read_begin(store, &error);
	gboolean result = FALSE;

	g_assert_no_error(error);
	g_assert_true(store_seen_has(txn, message_id, &result, &error));
	g_assert_no_error(error);
	store_read_end(txn);
	return result;
}

static void test_seen(void)
{
	char *dir = scratch_new();
	Store *store = open_store(dir);
	g_autoptr(GError) error = NULL;
	g_autofree char *long_id = NULL;
	g_autofree char *long_hex = NULL;
	g_autofree char *lookalike = NULL;
	const char *ids[3] = {"CAF=abc.123@mail.example.com", NULL, NULL};
	GString *s = g_string_new(NULL);

	while (s->len < 2000)
		g_string_append(s, "part.of.a.very.long.id.");
	g_string_append(s, "@example.com");
	long_id = g_string_free(s, FALSE);
	long_hex = g_compute_checksum_for_string(G_CHECKSUM_SHA256, long_id, -1);
	lookalike = g_strconcat("sha256:", long_hex, NULL);
	ids[1] = long_id;

	g_assert_false(seen(store, ids[0]));
	g_assert_false(seen(store, long_id));
	g_assert_true(store_write(store, add_seen, ids, &error));
	g_assert_no_error(error);
	g_assert_true(seen(store, ids[0]));
	g_assert_true(seen(store, long_id));
	g_assert_false(seen(store, "CAF=abc.124@mail.example.com"));
	/* A Message-ID spelled like the long one's stored key is a different one. */
	g_assert_false(seen(store, lookalike));

	store_close(store);
	scratch_free(dir);
}

static char *next_after_empty(StoreTxn *txn, StorePlaces *p, GError **error)
{
	char *email = NULL;

	g_assert_true(store_waiting_pop(txn, "boat-trip", p, &email, error));
	return email;
}

/* Waiting lists keep arrival order through joins, departures from the
 * middle and promotions from the front, with a long address among them,
 * and survive the transaction that wrote them. */
static gboolean waiting_story(StoreTxn *txn, gpointer user_data, GError **error)
{
	const char *long_address = user_data;
	StorePlaces p, boat = {0, 0, 0};
	g_autofree char *first = NULL, *second = NULL;

	if (!store_places_get(txn, "boat-trip", &p, error))
		return FALSE;
	g_assert_cmpuint(p.taken, ==, 0);
	g_assert_cmpuint(p.waiting, ==, 0);
	p.taken = 40;
	if (!store_waiting_add(txn, "boat-trip", &p, "ana@example.ro", error) ||
	    !store_waiting_add(txn, "boat-trip", &p, long_address, error) ||
	    !store_waiting_add(txn, "boat-trip", &p, "bela@example.hu", error) ||
	    !store_waiting_add(txn, "boat-trip", &p, "ana@example.ro", error) ||
	    !store_waiting_add(txn, "boat", &boat, "cora@example.fr", error) ||
	    !store_places_put(txn, "boat", &boat, error))
		return FALSE;
	/* Adding someone already waiting changes nothing; another activity's
	 * list (whose id is a prefix of this one's) is apart. */
	g_assert_cmpuint(p.waiting, ==, 3);
	g_assert_cmpuint(boat.waiting, ==, 1);
	g_assert_cmpuint(store_waiting_position(txn, "boat-trip", "ana@example.ro", error), ==, 1);
	g_assert_cmpuint(store_waiting_position(txn, "boat-trip", long_address, error), ==, 2);
	g_assert_cmpuint(store_waiting_position(txn, "boat-trip", "cora@example.fr", error), ==, 0);
	if (!store_places_put(txn, "boat-trip", &p, error) ||
	    !store_waiting_remove(txn, "boat-trip", &p, long_address, error) ||
	    !store_waiting_remove(txn, "boat-trip", &p, "nobody@example.org", error))
		return FALSE;
	g_assert_cmpuint(p.waiting, ==, 2);
	if (!store_places_put(txn, "boat-trip", &p, error))
		return FALSE;
	g_assert_cmpuint(store_waiting_position(txn, "boat-trip", "bela@example.hu", error), ==, 2);
	if (!store_waiting_pop(txn, "boat-trip", &p, &first, error) ||
	    !store_waiting_pop(txn, "boat-trip", &p, &second, error))
		return FALSE;
	g_assert_cmpstr(first, ==, "ana@example.ro");
	g_assert_cmpstr(second, ==, "bela@example.hu");
	g_assert_cmpuint(p.waiting, ==, 0);
	g_assert_null(next_after_empty(txn, &p, error));
	return store_places_put(txn, "boat-trip", &p, error) &&
	       store_waiting_add(txn, "boat-trip", &p, "dan@example.de", error) &&
	       store_places_put(txn, "boat-trip", &p, error);
}

static void test_waiting_lists(void)
{
	char *dir = scratch_new();
	Store *store = open_store(dir);
	g_autoptr(GError) error = NULL;
	g_autofree char *long_address = g_strnfill(300, 'x');
	g_autofree char *address = g_strconcat(long_address, "@example.org", NULL);
	StoreTxn *txn;
	StorePlaces p;

	g_assert_true(store_write(store, waiting_story, address, &error));
	g_assert_no_error(error);
	store_close(store);
	store = open_store(dir);
	txn = store_read_begin(store, &error);
	g_assert_no_error(error);
	g_assert_true(store_places_get(txn, "boat-trip", &p, &error));
	g_assert_cmpuint(p.taken, ==, 40);
	g_assert_cmpuint(p.waiting, ==, 1);
	g_assert_cmpuint(store_waiting_position(txn, "boat-trip", "dan@example.de", &error), ==, 1);
	g_assert_cmpuint(store_waiting_position(txn, "boat", "cora@example.fr", &error), ==, 1);
	g_assert_cmpuint(store_waiting_position(txn, "boat-trip", "ana@example.ro", &error), ==, 0);
	g_assert_no_error(error);
	store_read_end(txn);
	store_close(store);
	scratch_free(dir);
}

static gboolean write_then_fail(StoreTxn *txn, gpointer user_data, GError **error)
{
	g_autoptr(Attendee) a = attendee_full("ana@example.ro", "Ana Popescu");
	g_autoptr(OutboxRow) row = outbox_full();
	guint *calls = user_data;

	(*calls)++;
	if (!store_attendee_put(txn, a, error) || !store_outbox_add(txn, row, error) ||
	    !store_seen_add(txn, "abandoned@example.ro", 1, error))
		return FALSE;
	g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NOSPC, "the caller changed its mind");
	return FALSE;
}

static void test_write_abort(void)
{
	char *dir = scratch_new();
	Store *store = open_store(dir);
	g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func((GDestroyNotify)outbox_row_free);
	g_autoptr(GArray) ids = g_array_new(FALSE, FALSE, sizeof(guint64));
	g_autoptr(GError) error = NULL;
	guint calls = 0;
	gboolean has = TRUE;
	StoreTxn *txn;

	g_assert_false(store_write(store, write_then_fail, &calls, &error));
	g_assert_error(error, G_FILE_ERROR, G_FILE_ERROR_NOSPC);
	g_assert_cmpuint(calls, ==, 1);
	g_clear_error(&error);

	txn = store_read_begin(store, &error);
	g_assert_no_error(error);
	g_assert_null(store_attendee_get(txn, "ana@example.ro", &error));
	g_assert_no_error(error);
	g_assert_true(store_outbox_foreach(txn, collect_id, ids, &error));
	g_assert_cmpuint(ids->len, ==, 0);
	g_assert_true(store_seen_has(txn, "abandoned@example.ro", &has, &error));
	g_assert_false(has);
	store_read_end(txn);

	/* The abandoned transaction's outbox id is handed out again. */
	g_ptr_array_add(rows, outbox_row_new());
	g_assert_true(store_write(store, add_rows, rows, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(((OutboxRow *)g_ptr_array_index(rows, 0))->id, ==, 1);

	store_close(store);
	scratch_free(dir);
}

/* Text that is not UTF-8 (a Latin-1 name here) is refused, never altered. */
static void test_text_must_be_utf8(void)
{
	char *dir = scratch_new();
	Store *store = open_store(dir);
	g_autoptr(GPtrArray) written =
	    g_ptr_array_new_with_free_func((GDestroyNotify)attendee_free);
	g_autoptr(GError) error = NULL;
	StoreTxn *txn;

	g_ptr_array_add(written, attendee_full("kovacs.zoltan@example.hu", "Kov\xe1"
									   "cs Zolt\xe1"
									   "n"));
	g_assert_false(store_write(store, put_attendees, written, &error));
	g_assert_error(error, STORE_ERROR, STORE_ERROR_FAILED);
	g_assert_nonnull(strstr(error->message, "name"));
	g_clear_error(&error);

	txn = store_read_begin(store, &error);
	g_assert_null(store_attendee_get(txn, "kovacs.zoltan@example.hu", &error));
	g_assert_no_error(error);
	store_read_end(txn);

	store_close(store);
	scratch_free(dir);
}

static gboolean read_inside_write(StoreTxn *txn, gpointer user_data, GError **error)
{
	Store *store = user_data;
	g_autoptr(GError) nested = NULL;

	g_assert_null(store_read_begin(store, &nested));
	g_assert_error(nested, STORE_ERROR, STORE_ERROR_FAILED);
	return store_seen_add(txn, "outer@example.ro", 1, error);
}

/* LMDB gives a thread one transaction at a time; nesting is refused every
 * time, not only on the day the map fills up. */
static void test_one_transaction_at_a_time(void)
{
	char *dir = scratch_new();
	Store *store = open_store(dir);
	g_autoptr(GError) error = NULL;
	guint calls = 0;
	StoreTxn *txn;

	txn = store_read_begin(store, &error);
	g_assert_no_error(error);
	g_assert_null(store_read_begin(store, &error));
	g_assert_error(error, STORE_ERROR, STORE_ERROR_FAILED);
	g_clear_error(&error);
	g_assert_false(store_write(store, write_then_fail, &calls, &error));
	g_assert_error(error, STORE_ERROR, STORE_ERROR_FAILED);
	g_assert_cmpuint(calls, ==, 0);
	g_clear_error(&error);
	store_read_end(txn);

	g_assert_true(store_write(store, read_inside_write, store, &error));
	g_assert_no_error(error);
	g_assert_true(seen(store, "outer@example.ro"));

	store_close(store);
	scratch_free(dir);
}

static gboolean write_everything(StoreTxn *txn, gpointer user_data, GError **error)
{
	g_autoptr(Attendee) a = attendee_full("stefan.ionescu@example.ro", "Ștefan Ionescu");
	OutboxRow *row = user_data;

	return store_attendee_put(txn, a, error) && store_outbox_add(txn, row, error) &&
	       store_seen_add(txn, "once@example.ro", 1756713600, error);
}

static void test_reopen(void)
{
	char *dir = scratch_new();
	Store *store = open_store(dir);
	g_autoptr(OutboxRow) row = outbox_full();
	g_autoptr(Attendee) want = attendee_full("stefan.ionescu@example.ro", "Ștefan Ionescu");
	g_autoptr(GPtrArray) more = g_ptr_array_new_with_free_func((GDestroyNotify)outbox_row_free);
	g_autoptr(GError) error = NULL;
	StoreTxn *txn;

	g_assert_true(store_write(store, write_everything, row, &error));
	g_assert_no_error(error);
	store_close(store);

	store = open_store(dir);
	txn = store_read_begin(store, &error);
	g_assert_no_error(error);
	{
		g_autoptr(Attendee) got = store_attendee_get(txn, want->email, &error);
		g_autoptr(OutboxRow) got_row = store_outbox_get(txn, row->id, &error);

		g_assert_no_error(error);
		assert_attendee_equal(got, want);
		assert_outbox_equal(got_row, row);
	}
	store_read_end(txn);
	g_assert_true(seen(store, "once@example.ro"));

	/* The counter survives too: ids are never reused after a restart. */
	g_ptr_array_add(more, outbox_row_new());
	g_assert_true(store_write(store, add_rows, more, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(((OutboxRow *)g_ptr_array_index(more, 0))->id, ==, 2);

	store_close(store);
	scratch_free(dir);
}

#define BIG_MESSAGE_SIZE (64 * 1024)
#define BIG_ROWS_PER_TXN 128
#define BIG_TXNS 5

typedef struct {
	GBytes *message;
	guint calls;
} BigBatch;

static gboolean add_big_rows(StoreTxn *txn, gpointer user_data, GError **error)
{
	BigBatch *batch = user_data;

	batch->calls++;
	for (guint i = 0; i < BIG_ROWS_PER_TXN; i++) {
		g_autoptr(OutboxRow) row = outbox_row_new();

		row->kind = g_strdup("itinerary");
		row->message = g_bytes_ref(batch->message);
		if (!store_outbox_add(txn, row, error))
			return FALSE;
	}
	return TRUE;
}

typedef struct {
	GBytes *message;
	guint64 count;
	StoreTxn *txn;
} BigCheck;

static gboolean check_big_row(const OutboxRow *row, gpointer user_data)
{
	BigCheck *check = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(OutboxRow) full = NULL;

	check->count++;
	g_assert_cmpuint(row->id, ==, check->count);
	/* Listed without its message; read one by one with it. */
	g_assert_null(row->message);
	full = store_outbox_get(check->txn, row->id, &error);
	g_assert_no_error(error);
	g_assert_true(g_bytes_equal(full->message, check->message));
	return TRUE;
}

static void test_map_full_grows(void)
{
	char *dir = scratch_new();
	Store *store = open_store(dir);
	g_autofree guchar *data = g_malloc(BIG_MESSAGE_SIZE);
	g_autoptr(GBytes) message = NULL;
	g_autoptr(GError) error = NULL;
	BigBatch batch = {0};
	BigCheck check = {0};
	StoreTxn *txn;

	for (guint i = 0; i < BIG_MESSAGE_SIZE; i++)
		data[i] = i * 7 + i / 251;
	message = g_bytes_new(data, BIG_MESSAGE_SIZE);
	batch.message = message;

	/* 40 MiB against a 16 MiB map: some transactions must be rerun. */
	for (guint t = 0; t < BIG_TXNS; t++) {
		g_assert_true(store_write(store, add_big_rows, &batch, &error));
		g_assert_no_error(error);
	}
	g_assert_cmpuint(batch.calls, >, BIG_TXNS);
	store_close(store);

	store = open_store(dir);
	check.message = message;
	txn = store_read_begin(store, &error);
	g_assert_no_error(error);
	check.txn = txn;
	g_assert_true(store_outbox_foreach(txn, check_big_row, &check, &error));
	g_assert_no_error(error);
	store_read_end(txn);
	g_assert_cmpuint(check.count, ==, BIG_TXNS * BIG_ROWS_PER_TXN);

	store_close(store);
	scratch_free(dir);
}

static GBytes *zero_message(void)
{
	g_autofree guchar *data = g_malloc0(BIG_MESSAGE_SIZE);

	return g_bytes_new(data, BIG_MESSAGE_SIZE);
}

/* Another process (convenectl beside the daemon) grows the map past this
 * one's; this process adopts the new size instead of failing. The other
 * process is this test run again, told the directory by the environment. */
static void test_map_grown_elsewhere(void)
{
	g_autoptr(GBytes) message = zero_message();
	g_autoptr(GError) error = NULL;
	BigBatch batch = {message, 0};
	BigCheck check = {message, 0, NULL};
	Store *store;
	StoreTxn *txn;
	char *dir;

	if (g_test_subprocess()) {
		store = open_store(g_getenv("TEST_STORE_DIR"));
		for (guint t = 0; t < 3; t++) {
			g_assert_true(store_write(store, add_big_rows, &batch, &error));
			g_assert_no_error(error);
		}
		store_close(store);
		return;
	}

	dir = scratch_new();
	store = open_store(dir);
	g_assert_true(g_setenv("TEST_STORE_DIR", dir, TRUE));
	g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
	g_unsetenv("TEST_STORE_DIR");
	g_test_trap_assert_passed();

	txn = store_read_begin(store, &error);
	g_assert_no_error(error);
	check.txn = txn;
	g_assert_true(store_outbox_foreach(txn, check_big_row, &check, &error));
	g_assert_no_error(error);
	store_read_end(txn);
	g_assert_cmpuint(check.count, ==, 3 * BIG_ROWS_PER_TXN);

	g_assert_true(store_write(store, add_big_rows, &batch, &error));
	g_assert_no_error(error);

	store_close(store);
	scratch_free(dir);
}

/* Writes @record under @key in database "attendees" behind the store's back. */
static void plant_record(const char *dir, const char *table, const char *key, GVariant *record)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_val k = {strlen(key), (void *)key};
	MDB_val v = {g_variant_get_size(record), (void *)g_variant_get_data(record)};

	g_assert_cmpint(mdb_env_create(&env), ==, 0);
	g_assert_cmpint(mdb_env_set_maxdbs(env, 4), ==, 0);
	g_assert_cmpint(mdb_env_open(env, dir, 0, 0600), ==, 0);
	g_assert_cmpint(mdb_txn_begin(env, NULL, 0, &txn), ==, 0);
	g_assert_cmpint(mdb_dbi_open(txn, table, 0, &dbi), ==, 0);
	g_assert_cmpint(mdb_put(txn, dbi, &k, &v, 0), ==, 0);
	g_assert_cmpint(mdb_txn_commit(txn), ==, 0);
	mdb_env_close(env);
}

static void plant_attendee_record(const char *dir, const char *key, GVariant *record)
{
	plant_record(dir, "attendees", key, record);
}

/* A store written when an activity's waiting list was one string keeps its
 * order: read as it is, moved into records of their own by the next write. */
static gboolean promote_one(StoreTxn *txn, gpointer data, GError **error)
{
	char **first = data;
	StorePlaces p;

	if (!store_places_get(txn, "boat-trip", &p, error))
		return FALSE;
	g_assert_cmpuint(p.taken, ==, 2);
	g_assert_cmpuint(p.waiting, ==, 2);
	g_assert_cmpuint(store_waiting_position(txn, "boat-trip", "bela@example.hu", error), ==, 2);
	if (!store_waiting_pop(txn, "boat-trip", &p, first, error))
		return FALSE;
	return store_places_put(txn, "boat-trip", &p, error);
}

static void test_old_waiting_list(void)
{
	char *dir = scratch_new();
	g_auto(GVariantBuilder) fields = G_VARIANT_BUILDER_INIT(G_VARIANT_TYPE_VARDICT);
	g_autoptr(GVariant) old = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *first = NULL;
	Store *store;
	StoreTxn *txn;
	StorePlaces p;

	store_close(open_store(dir));
	g_variant_builder_add(&fields, "{sv}", "taken", g_variant_new_int64(2));
	g_variant_builder_add(&fields, "{sv}", "queue",
			      g_variant_new_string("ana@example.ro\nbela@example.hu"));
	old = g_variant_ref_sink(g_variant_new("(u@a{sv})", 1, g_variant_builder_end(&fields)));
	plant_record(dir, "places", "boat-trip", old);

	store = open_store(dir);
	txn = store_read_begin(store, &error);
	g_assert_no_error(error);
	g_assert_true(store_places_get(txn, "boat-trip", &p, &error));
	g_assert_cmpuint(p.taken, ==, 2);
	g_assert_cmpuint(p.waiting, ==, 2);
	store_read_end(txn);

	g_assert_true(store_write(store, promote_one, &first, &error));
	g_assert_no_error(error);
	g_assert_cmpstr(first, ==, "ana@example.ro");

	txn = store_read_begin(store, &error);
	g_assert_true(store_places_get(txn, "boat-trip", &p, &error));
	g_assert_cmpuint(p.waiting, ==, 1);
	g_assert_cmpuint(store_waiting_position(txn, "boat-trip", "bela@example.hu", &error), ==, 1);
	g_assert_no_error(error);
	store_read_end(txn);
	store_close(store);
	scratch_free(dir);
}

/* A store written before records had version 2 (GVariant dictionaries)
 * still reads, and a record rewritten reads back the same. */
static void test_version_1_records(void)
{
	char *dir = scratch_new();
	const char *days[] = {"2025-09-15", "2025-09-16"};
	const char *none[] = {NULL};
	g_auto(GVariantBuilder) fields = G_VARIANT_BUILDER_INIT(G_VARIANT_TYPE_VARDICT);
	g_autoptr(GVariant) old = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) again = g_ptr_array_new_with_free_func((GDestroyNotify)attendee_free);
	g_autoptr(Attendee) a = NULL;
	g_autoptr(Attendee) b = NULL;
	Store *store;
	StoreTxn *txn;

	store_close(open_store(dir));
	g_variant_builder_add(&fields, "{sv}", "email", g_variant_new_string("ana@example.ro"));
	g_variant_builder_add(&fields, "{sv}", "name", g_variant_new_string("Ana Ionescu"));
	g_variant_builder_add(&fields, "{sv}", "status", g_variant_new_string("confirmed"));
	g_variant_builder_add(&fields, "{sv}", "days", g_variant_new_strv(days, 2));
	g_variant_builder_add(&fields, "{sv}", "activities", g_variant_new_strv(none, 0));
	g_variant_builder_add(&fields, "{sv}", "registered_at", g_variant_new_int64(1756713600));
	g_variant_builder_add(&fields, "{sv}", "updated_at", g_variant_new_int64(1756800000));
	old = g_variant_ref_sink(g_variant_new("(u@a{sv})", 1, g_variant_builder_end(&fields)));
	plant_attendee_record(dir, "ana@example.ro", old);

	store = open_store(dir);
	txn = store_read_begin(store, &error);
	a = store_attendee_get(txn, "ana@example.ro", &error);
	g_assert_no_error(error);
	store_read_end(txn);
	g_assert_nonnull(a);
	g_assert_cmpstr(a->name, ==, "Ana Ionescu");
	g_assert_cmpint(a->status, ==, ATTENDEE_CONFIRMED);
	g_assert_cmpuint(a->days->len, ==, 2);
	g_assert_cmpstr(g_ptr_array_index(a->days, 1), ==, "2025-09-16");
	g_assert_cmpuint(a->activities->len, ==, 0);
	g_assert_null(a->organisation);
	g_assert_cmpint(a->updated_at, ==, 1756800000);

	g_ptr_array_add(again, attendee_copy(a));
	write_attendees(store, again);
	txn = store_read_begin(store, &error);
	b = store_attendee_get(txn, "ana@example.ro", &error);
	g_assert_no_error(error);
	store_read_end(txn);
	assert_attendee_equal(a, b);
	store_close(store);
	scratch_free(dir);
}

static gboolean count_attendee(const Attendee *a, gpointer user_data)
{
	(void)a;
	(*(guint *)user_data)++;
	return TRUE;
}

static void test_unknown_version(void)
{
	char *dir = scratch_new();
	g_auto(GVariantBuilder) fields = G_VARIANT_BUILDER_INIT(G_VARIANT_TYPE_VARDICT);
	g_autoptr(GVariant) future = NULL;
	g_autoptr(GVariant) garbled = NULL;
	g_autoptr(GError) error = NULL;
	Store *store;
	StoreTxn *txn;
	guint count = 0;

	store_close(open_store(dir));
	g_variant_builder_add(&fields, "{sv}", "email", g_variant_new_string("ana@example.ro"));
	future =
	    g_variant_ref_sink(g_variant_new("(u@a{sv})", 999, g_variant_builder_end(&fields)));
	plant_attendee_record(dir, "ana@example.ro", future);
	garbled = g_variant_ref_sink(g_variant_new("(us)", 1, "not a dictionary at all"));
	plant_attendee_record(dir, "bob@example.org", garbled);

	store = open_store(dir);
	txn = store_read_begin(store, &error);
	g_assert_no_error(error);

	g_assert_null(store_attendee_get(txn, "ana@example.ro", &error));
	g_assert_error(error, STORE_ERROR, STORE_ERROR_VERSION);
	g_assert_nonnull(strstr(error->message, "attendees"));
	g_assert_nonnull(strstr(error->message, "ana@example.ro"));
	g_assert_nonnull(strstr(error->message, "999"));
	g_clear_error(&error);

	g_assert_null(store_attendee_get(txn, "bob@example.org", &error));
	g_assert_error(error, STORE_ERROR, STORE_ERROR_CORRUPT);
	g_clear_error(&error);

	g_assert_false(store_attendee_foreach(txn, count_attendee, &count, &error));
	g_assert_error(error, STORE_ERROR, STORE_ERROR_VERSION);
	g_assert_cmpuint(count, ==, 0);
	store_read_end(txn);

	store_close(store);
	scratch_free(dir);
}

/* --- erasure (issue #16) ------------------------------------------------------- */

static gboolean forget_fill(StoreTxn *txn, gpointer data, GError **error)
{
	g_autoptr(Attendee) ana = attendee_full("ana@example.ro", "Ana Popescu");
	g_autoptr(Attendee) bo = attendee_full("bo@example.fi", "Bo Berg");
	g_autoptr(OutboxRow) to_ana = outbox_full();
	g_autoptr(OutboxRow) to_bo = outbox_full();
	g_autoptr(StoreJournalEntry) e = store_journal_entry_new();
	StorePending p = {.token = (char *)"t1", .email = (char *)"bo@example.fi",
			  .action = (char *)"update", .asked_by = (char *)"ana@example.ro",
			  .created_at = 1, .expires_at = 2};
	StoreMark m = {1, 0, (char *)"sent"};
	gboolean allowed;

	(void)data;
	g_free(to_ana->recipient);
	to_ana->recipient = g_strdup("ana@example.ro");
	g_free(to_bo->recipient);
	to_bo->recipient = g_strdup("bo@example.fi");
	e->when = 1;
	e->action = g_strdup("registered");
	e->email = g_strdup("ana@example.ro");
	e->name = g_strdup("Ana Popescu");
	g_ptr_array_add(e->fields, g_strdup("name"));
	g_ptr_array_add(e->before, g_strdup(""));
	g_ptr_array_add(e->after, g_strdup("Ana Popescu"));
	return store_attendee_put(txn, ana, error) && store_attendee_put(txn, bo, error) &&
	       store_outbox_add(txn, to_ana, error) && store_outbox_add(txn, to_bo, error) &&
	       store_journal_add(txn, e, error) && store_pending_put(txn, &p, error) &&
	       store_mark_put(txn, "itinerary/2025-09-12/ana@example.ro", &m, error) &&
	       store_rate_take(txn, "ana@example.ro", 1, 10, &allowed, error) &&
	       store_due_add(txn, "ana@example.ro", 1, error);
}

static gboolean forget_ana(StoreTxn *txn, gpointer data, GError **error)
{
	g_autoptr(GHashTable) people = g_hash_table_new(g_str_hash, g_str_equal);

	g_hash_table_add(people, (gpointer) "ana@example.ro");
	return store_forget(txn, people, NULL, data, error);
}

static gboolean count_row(const OutboxRow *row, gpointer data)
{
	g_assert_cmpstr(row->recipient, ==, "bo@example.fi");
	(*(guint *)data)++;
	return TRUE;
}

static gboolean check_anonymous(const StoreJournalEntry *e, gpointer data)
{
	g_assert_cmpstr(e->action, ==, STORE_JOURNAL_ANONYMOUS);
	g_assert_cmpstr(e->detail, ==, "registered");
	g_assert_cmpstr(e->email, ==, "");
	g_assert_null(e->name);
	g_assert_cmpuint(e->fields->len, ==, 0);
	(*(guint *)data)++;
	return TRUE;
}

/* Greps the whole state directory, as an organiser would. */
static gboolean dir_names(const char *dir, const char *needle)
{
	g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
	const char *name;

	while (d != NULL && (name = g_dir_read_name(d)) != NULL) {
		g_autofree char *path = g_build_filename(dir, name, NULL);
		g_autofree char *text = NULL;
		gsize len;

		if (g_file_get_contents(path, &text, &len, NULL))
			for (gsize i = 0; i + strlen(needle) <= len; i++)
				if (memcmp(text + i, needle, strlen(needle)) == 0)
					return TRUE;
	}
	return FALSE;
}

static void test_forget(void)
{
	char *dir = scratch_new();
	Store *store = open_store(dir);
	g_autoptr(GError) error = NULL;
	g_autoptr(Attendee) ana = NULL, bo = NULL;
	g_autoptr(StorePending) p = NULL;
	g_autoptr(StoreMark) m = NULL;
	StoreForgotten done;
	StoreTxn *txn;
	guint rows = 0, entries = 0;

	g_assert_true(store_write(store, forget_fill, NULL, &error));
	g_assert_no_error(error);
	g_assert_true(dir_names(dir, "ana@example.ro"));
	g_assert_true(store_write(store, forget_ana, &done, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(done.attendees, ==, 1);
	g_assert_cmpuint(done.requests, ==, 1);
	g_assert_cmpuint(done.rows, ==, 1);
	g_assert_cmpuint(done.journal, ==, 1);
	g_assert_true(store_compact(store, &error));
	g_assert_no_error(error);
	g_assert_false(dir_names(dir, "ana@example.ro"));
	g_assert_false(dir_names(dir, "Ana Popescu"));

	txn = store_read_begin(store, &error);
	g_assert_no_error(error);
	ana = store_attendee_get(txn, "ana@example.ro", &error);
	bo = store_attendee_get(txn, "bo@example.fi", &error);
	p = store_pending_get(txn, "t1", &error);
	m = store_mark_get(txn, "itinerary/2025-09-12/ana@example.ro", &error);
	g_assert_true(store_outbox_foreach(txn, count_row, &rows, &error));
	g_assert_true(store_journal_foreach(txn, 0, check_anonymous, &entries, &error));
	store_read_end(txn);
	g_assert_no_error(error);
	g_assert_null(ana);
	g_assert_nonnull(bo);
	g_assert_null(p);
	g_assert_null(m);
	g_assert_cmpuint(rows, ==, 1);
	g_assert_cmpuint(entries, ==, 1);
	store_close(store);
	scratch_free(dir);
}

static gboolean add_bo(StoreTxn *txn, gpointer data, GError **error)
{
	g_autoptr(Attendee) a = attendee_full(data, "Bo Berg");

	return store_attendee_put(txn, a, error);
}

/* Another process compacts the store this one keeps open: this one's next
 * transaction adopts the new file, and what it writes there stays. */
static void test_compacted_elsewhere(void)
{
	g_autoptr(GError) error = NULL;
	Store *store;
	StoreTxn *txn;
	GStatBuf before, after;
	g_autofree char *data = NULL;
	guint n = 0;
	char *dir;

	if (g_test_subprocess()) {
		store = open_store(g_getenv("TEST_STORE_DIR"));
		g_assert_true(store_write(store, add_bo, (gpointer) "b@example.fi", &error));
		g_assert_true(store_compact(store, &error));
		g_assert_no_error(error);
		store_close(store);
		return;
	}
	dir = scratch_new();
	data = g_build_filename(dir, "data.mdb", NULL);
	store = open_store(dir);
	g_assert_true(store_write(store, add_bo, (gpointer) "a@example.fi", &error));
	g_assert_cmpint(g_stat(data, &before), ==, 0);
	g_assert_true(g_setenv("TEST_STORE_DIR", dir, TRUE));
	g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
	g_unsetenv("TEST_STORE_DIR");
	g_test_trap_assert_passed();
	g_assert_cmpint(g_stat(data, &after), ==, 0);
	g_assert_cmpuint(before.st_ino, !=, after.st_ino);

	g_assert_true(store_write(store, add_bo, (gpointer) "c@example.fi", &error));
	g_assert_no_error(error);
	store_close(store);
	store = open_store(dir);
	txn = store_read_begin(store, &error);
	g_assert_true(store_attendee_foreach(txn, count_attendee, &n, &error));
	store_read_end(txn);
	g_assert_no_error(error);
	g_assert_cmpuint(n, ==, 3);
	store_close(store);
	scratch_free(dir);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/store/attendee-round-trip", test_attendee_round_trip);
	g_test_add_func("/store/outbox-round-trip", test_outbox_round_trip);
	g_test_add_func("/store/attendee-order", test_attendee_order);
	g_test_add_func("/store/outbox-order", test_outbox_order);
	g_test_add_func("/store/seen", test_seen);
	g_test_add_func("/store/waiting-lists", test_waiting_lists);
	g_test_add_func("/store/write-abort", test_write_abort);
	g_test_add_func("/store/text-must-be-utf8", test_text_must_be_utf8);
	g_test_add_func("/store/one-transaction-at-a-time", test_one_transaction_at_a_time);
	g_test_add_func("/store/reopen", test_reopen);
	g_test_add_func("/store/map-full-grows", test_map_full_grows);
	g_test_add_func("/store/map-grown-elsewhere", test_map_grown_elsewhere);
	g_test_add_func("/store/unknown-version", test_unknown_version);
	g_test_add_func("/store/old-waiting-list", test_old_waiting_list);
	g_test_add_func("/store/version-1-records", test_version_1_records);
	g_test_add_func("/store/forget", test_forget);
	g_test_add_func("/store/compacted-elsewhere", test_compacted_elsewhere);
	return g_test_run();
}
