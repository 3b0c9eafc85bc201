/* SPDX-License-Identifier: ISC */
/* csv.c: the attendee table as CSV. The cells come from mail people wrote,
 * so a cell must never break a record apart or run as a spreadsheet
 * formula; one column per field of the table, named as the export names
 * it, in the table's order. */

#include "autoconfig.h"

#include "csv.h"

#include <errno.h>
#include <string.h>

#include "export.h"
#include "field.h"

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

GPtrArray *csv_attendee_columns(const Config *cfg)
{
	GPtrArray *ids = g_ptr_array_new();

	for (guint i = 0; i < cfg->fields->len; i++)
		g_ptr_array_add(ids, ((Field *)g_ptr_array_index(cfg->fields, i))->id);
	return ids;
}

GString *csv_attendees_begin(const Config *cfg)
{
	GString *out = g_string_new("\xEF\xBB\xBF");
	g_autoptr(GPtrArray) ids = csv_attendee_columns(cfg);

	csv_append_record(out, (const char *const *)ids->pdata, ids->len);
	return out;
}

GPtrArray *csv_attendee_cells(const Config *cfg, const Attendee *a)
{
	GPtrArray *cells = g_ptr_array_new_with_free_func(g_free);

	for (guint i = 0; i < cfg->fields->len; i++) {
		const Field *f = g_ptr_array_index(cfg->fields, i);

		if (f->type == FIELD_TIME) {
			g_ptr_array_add(cells,
					export_time(cfg, *(const gint64 *)((const char *)a + f->member)));
		} else {
			g_autoptr(GPtrArray) values = field_get(f, a);

			g_ptr_array_add(values, NULL);
			g_ptr_array_add(cells, g_strjoinv("; ", (char **)values->pdata));
		}
	}
	return cells;
}

void csv_attendees_add(GString *out, const Config *cfg, const Attendee *a)
{
	g_autoptr(GPtrArray) cells = csv_attendee_cells(cfg, a);

	csv_append_record(out, (const char *const *)cells->pdata, cells->len);
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
	Table t = {cfg, csv_attendees_begin(cfg)};

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
