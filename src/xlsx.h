/* SPDX-License-Identifier: ISC */
/* xlsx.h: one table as an Excel workbook (.xlsx), which spreadsheet
 * programs open with its columns and characters intact whatever their
 * locale's separator and encoding: the attendees beside their CSV. */
#pragma once

#include <glib.h>

typedef struct _Xlsx Xlsx;

/* Begins a workbook of one sheet named @sheet whose first row holds the
 * @n cells of @header (bold, frozen, with a filter). Returns NULL with
 * @error when its scratch files cannot be made. Finish it with
 * xlsx_finish(), or free it with xlsx_free(). */
Xlsx *xlsx_new(const char *sheet, const char *const *header, guint n, GError **error);

/* Appends a row of @n cells (UTF-8 text; NULL is empty), below the last. */
void xlsx_add_row(Xlsx *x, const char *const *cells, guint n);

/* Returns the workbook's bytes and frees @x. NULL with @error when it
 * cannot be written. */
GBytes *xlsx_finish(Xlsx *x, GError **error);

void xlsx_free(Xlsx *x);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Xlsx, xlsx_free)
