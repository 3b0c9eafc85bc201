/* SPDX-License-Identifier: ISC */
/* csv.h: attendees as a CSV file that spreadsheet programs open as they
 * are: UTF-8 with a byte order mark, RFC 4180 quoting, CRLF line ends. */
#pragma once

#include <glib.h>
#include <stdio.h>

#include "attendee.h"
#include "config.h"
#include "store.h"

/* Appends one RFC 4180 record of @n @cells (UTF-8; NULL is empty) to @out.
 * A cell is quoted when it holds a comma, quote, CR or LF, or spaces at an
 * end; one that a spreadsheet would run as a formula (starting with =, +,
 * -, @, tab or CR) is prefixed with an apostrophe. */
void csv_append_record(GString *out, const char *const *cells, guint n);

/* Returns the names of the attendee table's columns, one per field of
 * @cfg's table (borrowed from it). Free the array. */
GPtrArray *csv_attendee_columns(const Config *cfg);

/* Returns @a's cells in the attendee table, times in the event's zone
 * from @cfg, lists joined with "; " (char *, freed with the array). */
GPtrArray *csv_attendee_cells(const Config *cfg, const Attendee *a);

/* Returns a new string holding the byte order mark and the header record
 * of the attendee table: one column per field of @cfg's table. */
GString *csv_attendees_begin(const Config *cfg);

/* Appends @a's record to @out, times in the event's zone from @cfg. */
void csv_attendees_add(GString *out, const Config *cfg, const Attendee *a);

/* Returns the whole attendee table, in order of email, read in @txn. */
GBytes *csv_attendees(const Config *cfg, StoreTxn *txn, GError **error);

/* Writes the attendee table to @out. */
gboolean csv_attendees_write(const Config *cfg, Store *store, FILE *out, GError **error);
