/* SPDX-License-Identifier: ISC */
/* record.h: how the store writes a record: its format version, then named,
 * typed fields, so that a later version can add fields and still read
 * these. Version 3 is written; version 2 (the same layout, from before
 * attendees had answers) and version 1 (a GVariant "(ua{sv})") are still
 * read. A record that runs past its end, or a field of another type than
 * asked for, is corrupt: never guessed at. */
#pragma once

#include <glib.h>

#define RECORD_ERROR (record_error_quark())
GQuark record_error_quark(void);

typedef enum {
	RECORD_ERROR_VERSION, /* a format version this convene does not read */
	RECORD_ERROR_CORRUPT,
} RecordError;

/* A field's type, by GVariant's letter for it. */
typedef enum {
	RECORD_STRING = 's',  /* UTF-8 text */
	RECORD_STRINGS = 'a', /* a list of UTF-8 texts */
	RECORD_INT64 = 'x',
	RECORD_UINT64 = 't',
	RECORD_UINT32 = 'u',
	RECORD_BOOLEAN = 'b',
	RECORD_BYTES = 'y',   /* any bytes */
} RecordType;

/* A field a record may hold, and whether a record without it is corrupt. */
typedef struct {
	const char *name;
	RecordType type;
	gboolean required;
} RecordSpec;

/* A field as read. It borrows the record's bytes (version 2) or holds a
 * value of its own (version 1): read it with the record_field_ functions
 * while the record's bytes are alive, then clear it. */
typedef struct {
	gboolean present;
	const char *data;
	gsize size;
	GVariant *value;
} RecordField;

/* Starts a record of the current version. Free with g_string_free(). */
GString *record_new(void);

/* Add a field. A NULL @value adds nothing. Text must be UTF-8: the string
 * adders return FALSE and add nothing when it is not. */
gboolean record_add_string(GString *record, const char *name, const char *value);
gboolean record_add_strings(GString *record, const char *name, const GPtrArray *values);
void record_add_int64(GString *record, const char *name, gint64 value);
void record_add_uint64(GString *record, const char *name, guint64 value);
void record_add_uint32(GString *record, const char *name, guint32 value);
void record_add_boolean(GString *record, const char *name, gboolean value);
void record_add_bytes(GString *record, const char *name, GBytes *value);

/* Reads the @n fields of @spec from the @size bytes at @data into @fields,
 * in one pass; a name that comes twice counts the first time. Fields the
 * record has and @spec does not name are skipped. Returns FALSE with
 * @error set (RECORD_ERROR) when the version is not one this convene reads
 * or the record is corrupt. Clear @fields with record_fields_clear(), even
 * after a failure. */
gboolean record_read(const void *data, gsize size, const RecordSpec *spec, guint n,
		     RecordField *fields, GError **error);
void record_fields_clear(RecordField *fields, guint n);

/* A field's value, or NULL, 0 or FALSE when the record does not have it.
 * record_field_string() borrows; the others return what the caller owns,
 * and record_field_strings() appends copies to @to. */
const char *record_field_string(const RecordField *f);
char *record_field_dup_string(const RecordField *f);
void record_field_strings(const RecordField *f, GPtrArray *to);
gint64 record_field_int64(const RecordField *f);
guint64 record_field_uint64(const RecordField *f);
guint32 record_field_uint32(const RecordField *f);
gboolean record_field_boolean(const RecordField *f);
GBytes *record_field_bytes(const RecordField *f);

/* Returns the format version of the record at @data, 0 when it is too
 * short to have one. */
guint32 record_version(const void *data, gsize size);
