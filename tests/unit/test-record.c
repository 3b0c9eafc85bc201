/* SPDX-License-Identifier: ISC */
/* test-record.c: the store's record encoding: what is written reads back
 * the same, records written by earlier versions still read, and a record
 * that is cut short, mistyped or not UTF-8 is refused, never guessed at. */

#include "autoconfig.h"

#include <string.h>

#include "record.h"

enum { F_NAME, F_DAYS, F_NONE, F_WHEN, F_ID, F_TRIES, F_BOUNCED, F_N };

static const RecordSpec spec[F_N] = {
    [F_NAME] = {"name", RECORD_STRING, TRUE},
    [F_DAYS] = {"days", RECORD_STRINGS, FALSE},
    [F_NONE] = {"diet", RECORD_STRING, FALSE},
    [F_WHEN] = {"when", RECORD_INT64, TRUE},
    [F_ID] = {"id", RECORD_UINT64, TRUE},
    [F_TRIES] = {"tries", RECORD_UINT32, FALSE},
    [F_BOUNCED] = {"bounced", RECORD_BOOLEAN, FALSE},
};

static GString *sample(void)
{
	g_autoptr(GPtrArray) days = g_ptr_array_new();
	GString *r = record_new();

	g_ptr_array_add(days, "2025-09-15");
	g_ptr_array_add(days, "");
	g_ptr_array_add(days, "mardi 16");
	g_assert_true(record_add_string(r, "name", "Zsófia Kovács-Nagy"));
	g_assert_true(record_add_strings(r, "days", days));
	g_assert_true(record_add_string(r, "diet", NULL));
	record_add_string(r, "later", "a field a later version added");
	record_add_int64(r, "when", -1757923200);
	record_add_uint64(r, "id", G_MAXUINT64);
	record_add_uint32(r, "tries", 7);
	record_add_boolean(r, "bounced", TRUE);
	return r;
}

static void test_round_trip(void)
{
	g_autoptr(GString) r = sample();
	g_autoptr(GPtrArray) days = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GError) error = NULL;
	RecordField f[F_N];

	g_assert_true(record_read(r->str, r->len, spec, F_N, f, &error));
	g_assert_no_error(error);
	g_assert_cmpstr(record_field_string(&f[F_NAME]), ==, "Zsófia Kovács-Nagy");
	record_field_strings(&f[F_DAYS], days);
	g_assert_cmpuint(days->len, ==, 3);
	g_assert_cmpstr(g_ptr_array_index(days, 0), ==, "2025-09-15");
	g_assert_cmpstr(g_ptr_array_index(days, 1), ==, "");
	g_assert_cmpstr(g_ptr_array_index(days, 2), ==, "mardi 16");
	g_assert_false(f[F_NONE].present);
	g_assert_null(record_field_string(&f[F_NONE]));
	g_assert_cmpint(record_field_int64(&f[F_WHEN]), ==, -1757923200);
	g_assert_cmpuint(record_field_uint64(&f[F_ID]), ==, G_MAXUINT64);
	g_assert_cmpuint(record_field_uint32(&f[F_TRIES]), ==, 7);
	g_assert_true(record_field_boolean(&f[F_BOUNCED]));
	record_fields_clear(f, F_N);
}

static void test_empty_list(void)
{
	g_autoptr(GPtrArray) none = g_ptr_array_new();
	g_autoptr(GPtrArray) days = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GString) r = record_new();
	RecordField f[F_N];

	g_assert_true(record_add_string(r, "name", ""));
	g_assert_true(record_add_strings(r, "days", none));
	record_add_int64(r, "when", 0);
	record_add_uint64(r, "id", 1);
	g_assert_true(record_read(r->str, r->len, spec, F_N, f, NULL));
	g_assert_true(f[F_DAYS].present);
	record_field_strings(&f[F_DAYS], days);
	g_assert_cmpuint(days->len, ==, 0);
	g_assert_cmpstr(record_field_string(&f[F_NAME]), ==, "");
	record_fields_clear(f, F_N);
}

/* A record convene wrote before version 2: a GVariant "(ua{sv})". */
static void test_version_1(void)
{
	g_auto(GVariantBuilder) b = G_VARIANT_BUILDER_INIT(G_VARIANT_TYPE_VARDICT);
	const char *days[] = {"2025-09-16", "2025-09-17"};
	g_autoptr(GVariant) old = NULL;
	g_autoptr(GPtrArray) got = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GBytes) message = NULL;
	g_autoptr(GError) error = NULL;
	static const RecordSpec with_bytes[] = {{"name", RECORD_STRING, TRUE},
						{"message", RECORD_BYTES, FALSE}};
	RecordField f[F_N];

	g_variant_builder_add(&b, "{sv}", "name", g_variant_new_string("Ioana Ștefănescu"));
	g_variant_builder_add(&b, "{sv}", "days", g_variant_new_strv(days, 2));
	g_variant_builder_add(&b, "{sv}", "when", g_variant_new_int64(1757923200));
	g_variant_builder_add(&b, "{sv}", "id", g_variant_new_uint64(42));
	g_variant_builder_add(&b, "{sv}", "tries", g_variant_new_uint32(3));
	g_variant_builder_add(&b, "{sv}", "bounced", g_variant_new_boolean(FALSE));
	g_variant_builder_add(&b, "{sv}", "message",
			      g_variant_new_bytestring("From: a@example.org\r\n"));
	old = g_variant_ref_sink(g_variant_new("(u@a{sv})", 1, g_variant_builder_end(&b)));

	g_assert_true(record_read(g_variant_get_data(old), g_variant_get_size(old), spec, F_N, f,
				  &error));
	g_assert_no_error(error);
	g_assert_cmpstr(record_field_string(&f[F_NAME]), ==, "Ioana Ștefănescu");
	record_field_strings(&f[F_DAYS], got);
	g_assert_cmpuint(got->len, ==, 2);
	g_assert_cmpstr(g_ptr_array_index(got, 1), ==, "2025-09-17");
	g_assert_cmpint(record_field_int64(&f[F_WHEN]), ==, 1757923200);
	g_assert_cmpuint(record_field_uint64(&f[F_ID]), ==, 42);
	g_assert_cmpuint(record_field_uint32(&f[F_TRIES]), ==, 3);
	g_assert_false(record_field_boolean(&f[F_BOUNCED]));
	record_fields_clear(f, F_N);

	g_assert_true(record_read(g_variant_get_data(old), g_variant_get_size(old), with_bytes,
				  G_N_ELEMENTS(with_bytes), f, NULL));
	message = record_field_bytes(&f[1]);
	g_assert_cmpuint(g_bytes_get_size(message), ==, strlen("From: a@example.org\r\n") + 1);
	record_fields_clear(f, G_N_ELEMENTS(with_bytes));
}

static void assert_refused(const GString *r, gint code, const char *why)
{
	g_autoptr(GError) error = NULL;
	RecordField f[F_N];

	g_assert_false(record_read(r->str, r->len, spec, F_N, f, &error));
	g_assert_error(error, RECORD_ERROR, code);
	g_assert_nonnull(strstr(error->message, why));
	record_fields_clear(f, F_N);
}

static void test_refused(void)
{
	g_autoptr(GString) r = sample();
	g_autoptr(GString) missing = record_new();
	g_autoptr(GString) mistyped = record_new();
	g_autoptr(GString) future = g_string_new_len(r->str, r->len);
	g_autoptr(GString) bad_text = sample();
	guint32 v = 999;
	gsize at = 0;

	/* Cut at every length: never read past the end (run it under
	 * valgrind), and refused unless cut between two fields with every
	 * required one before the cut; cut inside a field, always refused. */
	for (gsize len = 0; len < r->len; len++) {
		g_autoptr(GString) cut = g_string_new_len(r->str, len);
		g_autoptr(GError) error = NULL;
		RecordField f[F_N];

		if (!record_read(cut->str, cut->len, spec, F_N, f, &error))
			g_assert_error(error, RECORD_ERROR, RECORD_ERROR_CORRUPT);
		else
			g_assert_true(f[F_ID].present && !f[F_BOUNCED].present);
		if (len > r->len - 8)
			g_assert_nonnull(error);
		record_fields_clear(f, F_N);
	}

	record_add_string(missing, "name", "Ana");
	record_add_uint64(missing, "id", 1);
	assert_refused(missing, RECORD_ERROR_CORRUPT, "field when is missing");

	record_add_string(mistyped, "name", "Ana");
	record_add_string(mistyped, "when", "yesterday");
	record_add_uint64(mistyped, "id", 1);
	assert_refused(mistyped, RECORD_ERROR_CORRUPT, "field when is of the wrong type");

	memcpy(future->str, &v, sizeof v);
	assert_refused(future, RECORD_ERROR_VERSION, "999");

	/* Text that is not UTF-8 is refused when written and when read. */
	g_assert_false(record_add_string(bad_text, "name", "Zs\xf3" "fia"));
	while (at + 3 <= bad_text->len && memcmp(bad_text->str + at, "Kov", 3) != 0)
		at++;
	g_assert_cmpuint(at + 3, <=, bad_text->len);
	bad_text->str[at + 1] = (char)0xf3;
	assert_refused(bad_text, RECORD_ERROR_CORRUPT, "field name");
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/record/round-trip", test_round_trip);
	g_test_add_func("/record/empty-list", test_empty_list);
	g_test_add_func("/record/version-1", test_version_1);
	g_test_add_func("/record/refused", test_refused);
	return g_test_run();
}
