/* SPDX-License-Identifier: ISC */
/* csv.c: the attendee table as CSV. The cells come from mail people wrote,
 * so a cell must never break a record apart or run as a spreadsheet
 * formula; the columns follow the export contract's names and order. */

#include "autoconfig.h"

#include "csv.h"

#include <errno.h>
#include <string.h>

#include "export.h"

static const char *const columns[] = {
    "email",	     "name",	"organisation", "country",	 "role",       "delegation",
    "language",	     "status",	"days",		"activities",	 "waitlist",   "diet",
    "accessibility", "arrival", "departure",	"registered_at", "updated_at",
};

static void append_cell(GString *out, const char *cell)
{
	gsize len = strlen(cell);
	gboolean formula = strchr("=+-@\t\r", cell[0]) != NULL && cell[0] != '\0';
	gboolean quote = strpbrk(cell, ",\"\r\n") != NULL ||
			 (len > 0 && (cell[0] == ' ' || cell[len - 1] == ' ')) || formula;

	if (quote)
		g_string_append_c(out, '"');
	if (formula)
		g_string_append_c(out, '\'');
	for (const char *p = cell; *p != '\0'; p++) {
		if (*p == '"')
			g_string_append_c(out, '"');
		g_string_append_c(out, *p);
	}
	if (quote)
		g_string_append_c(out, '"');
}

void csv_append_record(GString *out, const char *const *cells, guint n)
{
	for (guint i = 0; i < n; i++) {
		if (i > 0)
			g_string_append_c(out, ',');
		append_cell(out, cells[i] != NULL ? cells[i] : "");
	}
	g_string_append(out, "\r\n");
}

GString *csv_attendees_begin(void)
{
	GString *out = g_string_new("\xEF\xBB\xBF");

	csv_append_record(out, columns, G_N_ELEMENTS(columns));
	return out;
}

void csv_attendees_add(GString *out, const Config *cfg, const Attendee *a)
{
	g_autofree char *days = attendee_list_join(a->days, "; ");
	g_autofree char *activities = attendee_list_join(a->activities, "; ");
	g_autofree char *waitlist = attendee_list_join(a->waitlist, "; ");
	g_autofree char *registered = export_time(cfg, a->registered_at);
	g_autofree char *updated = export_time(cfg, a->updated_at);
	const char *cells[] = {
	    a->email,
	    a->name,
	    a->organisation,
	    a->country,
	    a->role,
	    a->delegation,
	    a->language,
	    attendee_status_to_string(a->status),
	    days,
	    activities,
	    waitlist,
	    a->diet,
	    a->accessibility,
	    a->arrival,
	    a->departure,
	    registered,
	    updated,
	};

	G_STATIC_ASSERT(G_N_ELEMENTS(cells) == G_N_ELEMENTS(columns));
	csv_append_record(out, cells, G_N_ELEMENTS(cells));
}

typedef struct {
	const Config *cfg;
	GString *out;
} Table;

static gboolean add_one(const Attendee *a, gpointer data)
{
	Table *t = data;

	csv_attendees_add(t->out, t->cfg, a);
	return TRUE;
}

GBytes *csv_attendees(const Config *cfg, StoreTxn *txn, GError **error)
{
	Table t = {cfg, csv_attendees_begin()};

	if (!store_attendee_foreach(txn, add_one, &t, error)) {
		g_string_free(t.out, TRUE);
		return NULL;
	}
	return g_string_free_to_bytes(t.out);
}

gboolean csv_attendees_write(const Config *cfg, Store *store, FILE *out, GError **error)
{
	g_autoptr(GBytes) bytes = NULL;
	StoreTxn *txn = store_read_begin(store, error);
	gsize len;
	const char *data;

	if (txn == NULL)
		return FALSE;
	bytes = csv_attendees(cfg, txn, error);
	store_read_end(txn);
	if (bytes == NULL)
		return FALSE;
	data = g_bytes_get_data(bytes, &len);
	if (fwrite(data, 1, len, out) != len || fflush(out) != 0) {
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
			    "cannot write output: %s", g_strerror(errno));
		return FALSE;
	}
	return TRUE;
}
