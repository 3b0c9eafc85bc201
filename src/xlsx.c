/* SPDX-License-Identifier: ISC */
/* xlsx.c: the only file that knows libxlsxwriter. The workbook is written
 * in constant memory (rows streamed to a scratch directory of our own,
 * mode 0700), so that ten thousand attendees cost what ten do; the scratch
 * directory is gone when the workbook is. Every cell is text: nothing
 * anyone wrote is ever run as a formula. */

#include "autoconfig.h"

#include "xlsx.h"

#include <glib/gstdio.h>
#include <xlsxwriter.h>

/* Excel holds at most this many characters in a cell. */
#define XLSX_CELL_MAX 32767

struct _Xlsx {
	char *dir;  /* the scratch directory */
	char *path; /* the workbook, in it */
	lxw_workbook *book;
	lxw_worksheet *sheet;
	lxw_row_t row;
	guint columns;
	GArray *widths; /* guint: the widest cell of each column, in characters */
};

/* Writes @text at (@x->row, @col), cut to what a cell holds. */
static void write_cell(Xlsx *x, guint col, const char *text, lxw_format *format)
{
	glong len;

	if (text == NULL || *text == '\0')
		return;
	len = g_utf8_strlen(text, -1);
	if (col < x->widths->len)
		g_array_index(x->widths, guint, col) =
		    MAX(g_array_index(x->widths, guint, col), (guint)MIN(len, 60));
	if (len > XLSX_CELL_MAX) {
		g_autofree char *cut = g_utf8_substring(text, 0, XLSX_CELL_MAX);

		worksheet_write_string(x->sheet, x->row, (lxw_col_t)col, cut, format);
		return;
	}
	worksheet_write_string(x->sheet, x->row, (lxw_col_t)col, text, format);
}

Xlsx *xlsx_new(const char *sheet, const char *const *header, guint n, GError **error)
{
	g_autoptr(Xlsx) x = g_new0(Xlsx, 1);
	lxw_workbook_options options = {.constant_memory = LXW_TRUE};
	lxw_format *bold;

	x->widths = g_array_new(FALSE, TRUE, sizeof(guint));
	g_array_set_size(x->widths, n);
	x->dir = g_dir_make_tmp("convene-xlsx-XXXXXX", error);
	if (x->dir == NULL)
		return NULL;
	x->path = g_build_filename(x->dir, "book.xlsx", NULL);
	options.tmpdir = x->dir;
	x->book = workbook_new_opt(x->path, &options);
	if (x->book != NULL)
		x->sheet = workbook_add_worksheet(x->book, sheet);
	if (x->sheet == NULL) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED,
			    "cannot begin a workbook in %s", x->dir);
		return NULL;
	}
	bold = workbook_add_format(x->book);
	format_set_bold(bold);
	for (guint i = 0; i < n; i++)
		write_cell(x, i, header[i], bold);
	x->columns = n;
	worksheet_freeze_panes(x->sheet, 1, 0);
	x->row = 1;
	return g_steal_pointer(&x);
}

void xlsx_add_row(Xlsx *x, const char *const *cells, guint n)
{
	for (guint i = 0; i < n; i++)
		write_cell(x, i, cells[i], NULL);
	x->row++;
}

GBytes *xlsx_finish(Xlsx *x, GError **error)
{
	g_autoptr(Xlsx) owned = x; /* freed on every return */
	char *contents = NULL;
	gsize len = 0;
	lxw_error rc;

	(void)owned;

	if (x->columns > 0)
		worksheet_autofilter(x->sheet, 0, 0, x->row - 1, (lxw_col_t)(x->columns - 1));
	/* Widths are only known now; in constant memory they may still be set. */
	for (guint i = 0; i < x->widths->len; i++)
		worksheet_set_column(x->sheet, (lxw_col_t)i, (lxw_col_t)i,
				     MAX(g_array_index(x->widths, guint, i), 8) + 2, NULL);
	rc = workbook_close(x->book);
	x->book = NULL;
	if (rc != LXW_NO_ERROR) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "cannot write %s: %s",
			    x->path, lxw_strerror(rc));
		return NULL;
	}
	if (!g_file_get_contents(x->path, &contents, &len, error))
		return NULL;
	return g_bytes_new_take(contents, len);
}

void xlsx_free(Xlsx *x)
{
	if (x == NULL)
		return;
	if (x->book != NULL)
		workbook_close(x->book);
	if (x->dir != NULL) {
		g_autoptr(GDir) d = g_dir_open(x->dir, 0, NULL);
		const char *name;

		while (d != NULL && (name = g_dir_read_name(d)) != NULL) {
			g_autofree char *path = g_build_filename(x->dir, name, NULL);

			g_unlink(path);
		}
		g_rmdir(x->dir);
	}
	g_free(x->dir);
	g_free(x->path);
	if (x->widths != NULL)
		g_array_unref(x->widths);
	g_free(x);
}
