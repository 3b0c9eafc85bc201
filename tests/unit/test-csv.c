/* SPDX-License-Identifier: ISC */
/* test-csv.c: CSV records as RFC 4180 and spreadsheet programs read them:
 * the byte order mark, CRLF, quoting of what needs it and nothing else,
 * and no cell that a spreadsheet would run as a formula. */

#include "autoconfig.h"

#include "csv.h"

#include "campus.h"

#include <string.h>

static char *record(const char *const *cells, guint n)
{
	g_autoptr(GString) out = g_string_new(NULL);

	csv_append_record(out, cells, n);
	return g_strdup(out->str);
}

static void test_plain_cells_unquoted(void)
{
	const char *cells[] = {"ana@example.ro", "Ana Popescu", NULL, "RO"};
	g_autofree char *r = record(cells, G_N_ELEMENTS(cells));

	g_assert_cmpstr(r, ==, "ana@example.ro,Ana Popescu,,RO\r\n");
}

static void test_quoting(void)
{
	const char *cells[] = {"Kovács, Zoltán", "the \"Poool\"", "two\nlines", " padded",
			       "Đorđe Petrović"};
	g_autofree char *r = record(cells, G_N_ELEMENTS(cells));

	g_assert_cmpstr(r, ==,
			"\"Kovács, Zoltán\",\"the \"\"Poool\"\"\",\"two\nlines\",\" padded\","
			"Đorđe Petrović\r\n");
}

static void test_formulas_are_defused(void)
{
	const char *cells[] = {"=HYPERLINK(\"http://evil\")", "+33 1 23", "-", "@SUM(A1)", "a=b"};
	g_autofree char *r = record(cells, G_N_ELEMENTS(cells));

	g_assert_cmpstr(
	    r, ==,
	    "\"'=HYPERLINK(\"\"http://evil\"\")\",\"'+33 1 23\",\"'-\",\"'@SUM(A1)\",a=b\r\n");
}

/* One column per field of the table, in its order: the built-in fields,
 * then the organisers' own questions, then the times. */
static void test_attendee_table(void)
{
	g_autoptr(Config) cfg = campus_load("field \"tshirt\" { type = \"choice\" "
					    "choices = {\"S\", \"M\"} }\n"
					    "field \"dinner\" { type = \"yes-no\" }\n");
	g_autoptr(GString) out = csv_attendees_begin(cfg);
	g_autoptr(Attendee) a = attendee_new();
	const char *tshirt[] = {"M", NULL};

	g_assert_true(g_str_has_prefix(out->str, "\xEF\xBB\xBF"
						 "email,name,organisation,country,"));
	g_assert_true(g_str_has_suffix(out->str,
				       ",departure,tshirt,dinner,registered_at,updated_at\r\n"));
	g_assert_null(strchr(out->str + 3, '"'));
	g_string_truncate(out, 0);
	a->email = g_strdup("ana@example.ro");
	g_ptr_array_add(a->activities, g_strdup("kickoff-meeting"));
	g_ptr_array_add(a->activities, g_strdup("visit-le-poool"));
	g_hash_table_insert(a->answers, g_strdup("tshirt"), g_strdupv((char **)tshirt));
	csv_attendees_add(out, cfg, a);
	g_assert_true(g_str_has_prefix(out->str, "ana@example.ro,,,,,,,pending,,"
						 "kickoff-meeting; visit-le-poool,,,,,,M,,"));
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/csv/plain-cells-unquoted", test_plain_cells_unquoted);
	g_test_add_func("/csv/quoting", test_quoting);
	g_test_add_func("/csv/formulas-are-defused", test_formulas_are_defused);
	g_test_add_func("/csv/attendee-table", test_attendee_table);
	return g_test_run();
}
