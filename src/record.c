/* SPDX-License-Identifier: ISC */
/* record.c: the encoding of the store's records. Version 2, written since
 * GVariant's own cost (a value, bytes and a copy for every field, then a
 * generic serialiser) had grown to most of the cost of taking a
 * registration, and version 3, written since attendee records hold the
 * answers to the organisers' own questions (a field an older convene would
 * drop on rewriting the record, so it must refuse version 3), are laid out
 * as:
 *
 *   version   4 bytes, native byte order, like every number below
 *   then, for each field:
 *   type      1 byte, a RecordType letter
 *   name      1 byte of length, then the name (1 to 255 bytes)
 *   size      4 bytes: the size of the value
 *   value     text: its bytes and a NUL; a list: each text and its NUL;
 *             int64 and uint64: 8 bytes; uint32: 4; boolean: 1 (0 or 1);
 *             bytes: as they are
 *
 * Version 1 records, a GVariant "(ua{sv})", are still read. It must never
 * read past a record's end nor hand out text that is not UTF-8. */

#include "autoconfig.h"

#include "record.h"

#include <stdarg.h>
#include <string.h>

#define RECORD_VERSION 3
#define RECORD_V1_TYPE "(ua{sv})"

GQuark record_error_quark(void)
{
	return g_quark_from_static_string("record-error-quark");
}

GString *record_new(void)
{
	GString *record = g_string_sized_new(512);
	guint32 version = RECORD_VERSION;

	g_string_append_len(record, (const char *)&version, sizeof version);
	return record;
}

/* Appends a field's type, name and size, its value to follow: in one
 * append, as there are a few dozen fields to an answer. */
static void add_head(GString *record, RecordType type, const char *name, gsize size)
{
	size_t len = strlen(name);
	guint32 size32 = (guint32)size;
	char head[2 + G_MAXUINT8 + sizeof size32];

	g_assert(len > 0 && len <= G_MAXUINT8 && size <= G_MAXUINT32);
	head[0] = (char)type;
	head[1] = (char)len;
	memcpy(head + 2, name, len);
	memcpy(head + 2 + len, &size32, sizeof size32);
	g_string_append_len(record, head, 2 + len + sizeof size32);
}

static void add_field(GString *record, RecordType type, const char *name, const void *value,
		      gsize size)
{
	add_head(record, type, name, size);
	g_string_append_len(record, value, size);
}

gboolean record_add_string(GString *record, const char *name, const char *value)
{
	if (value == NULL)
		return TRUE;
	if (!g_utf8_validate(value, -1, NULL))
		return FALSE;
	add_field(record, RECORD_STRING, name, value, strlen(value) + 1);
	return TRUE;
}

gboolean record_add_strings(GString *record, const char *name, const GPtrArray *values)
{
	gsize size = 0;

	for (guint i = 0; i < values->len; i++) {
		if (!g_utf8_validate(g_ptr_array_index(values, i), -1, NULL))
			return FALSE;
		size += strlen(g_ptr_array_index(values, i)) + 1;
	}
	add_head(record, RECORD_STRINGS, name, size);
	for (guint i = 0; i < values->len; i++)
		g_string_append_len(record, g_ptr_array_index(values, i),
				    strlen(g_ptr_array_index(values, i)) + 1);
	return TRUE;
}

void record_add_int64(GString *record, const char *name, gint64 value)
{
	add_field(record, RECORD_INT64, name, &value, sizeof value);
}

void record_add_uint64(GString *record, const char *name, guint64 value)
{
	add_field(record, RECORD_UINT64, name, &value, sizeof value);
}

void record_add_uint32(GString *record, const char *name, guint32 value)
{
	add_field(record, RECORD_UINT32, name, &value, sizeof value);
}

void record_add_boolean(GString *record, const char *name, gboolean value)
{
	guint8 b = value ? 1 : 0;

	add_field(record, RECORD_BOOLEAN, name, &b, sizeof b);
}

void record_add_bytes(GString *record, const char *name, GBytes *value)
{
	gsize size;
	const void *data;

	if (value == NULL)
		return;
	data = g_bytes_get_data(value, &size);
	add_field(record, RECORD_BYTES, name, data, size);
}

static gboolean G_GNUC_PRINTF(2, 3) corrupt(GError **error, const char *format, ...)
{
	g_autofree char *why = NULL;
	va_list args;

	va_start(args, format);
	why = g_strdup_vprintf(format, args);
	va_end(args);
	g_set_error_literal(error, RECORD_ERROR, RECORD_ERROR_CORRUPT, why);
	return FALSE;
}

/* Whether the @size bytes at @data are NUL-terminated UTF-8 texts, one
 * (@one) or any number. */
static gboolean texts_valid(const char *data, gsize size, gboolean one)
{
	const char *end = data + size;
	guint n = 0;

	if (size > 0 && data[size - 1] != '\0')
		return FALSE;
	while (data < end) {
		const char *nul = memchr(data, '\0', end - data);

		if (!g_utf8_validate_len(data, nul - data, NULL))
			return FALSE;
		data = nul + 1;
		n++;
	}
	return one ? n == 1 : TRUE;
}

static gboolean value_valid(RecordType type, const char *data, gsize size)
{
	switch (type) {
	case RECORD_STRING:
		return texts_valid(data, size, TRUE);
	case RECORD_STRINGS:
		return texts_valid(data, size, FALSE);
	case RECORD_INT64:
	case RECORD_UINT64:
		return size == 8;
	case RECORD_UINT32:
		return size == 4;
	case RECORD_BOOLEAN:
		return size == 1 && (guint8)data[0] <= 1;
	case RECORD_BYTES:
		return TRUE;
	}
	return FALSE;
}

static gboolean read_v2(const char *data, gsize size, const RecordSpec *spec, guint n,
			RecordField *fields, GError **error)
{
	const char *p = data + sizeof(guint32), *end = data + size;

	while (p < end) {
		RecordType type;
		guint8 len;
		guint32 vsize;
		const char *name;
		gsize left = end - p;
		guint i = 0;

		if (left < 2 || left - 2 < (gsize)(guint8)p[1] + sizeof vsize)
			return corrupt(error, "a field runs past the end");
		type = (guint8)p[0];
		len = (guint8)p[1];
		name = p + 2;
		memcpy(&vsize, name + len, sizeof vsize);
		p = name + len + sizeof vsize;
		if ((gsize)(end - p) < vsize)
			return corrupt(error, "a field runs past the end");
		while (i < n && (fields[i].present || strlen(spec[i].name) != len ||
				 memcmp(spec[i].name, name, len) != 0))
			i++;
		if (i < n) {
			if (type != spec[i].type)
				return corrupt(error, "field %s is of the wrong type",
					       spec[i].name);
			if (!value_valid(type, p, vsize))
				return corrupt(error, "field %s is not well formed", spec[i].name);
			fields[i].present = TRUE;
			fields[i].data = p;
			fields[i].size = vsize;
		}
		p += vsize;
	}
	return TRUE;
}

static const GVariantType *v1_type(RecordType type)
{
	switch (type) {
	case RECORD_STRING:
		return G_VARIANT_TYPE_STRING;
	case RECORD_STRINGS:
		return G_VARIANT_TYPE_STRING_ARRAY;
	case RECORD_INT64:
		return G_VARIANT_TYPE_INT64;
	case RECORD_UINT64:
		return G_VARIANT_TYPE_UINT64;
	case RECORD_UINT32:
		return G_VARIANT_TYPE_UINT32;
	case RECORD_BOOLEAN:
		return G_VARIANT_TYPE_BOOLEAN;
	case RECORD_BYTES:
		return G_VARIANT_TYPE_BYTESTRING;
	}
	g_assert_not_reached();
}

static gboolean read_v1(const void *data, gsize size, const RecordSpec *spec, guint n,
			RecordField *fields, GError **error)
{
	/* A copy, because GVariant wants its data aligned and LMDB's is not. */
	g_autoptr(GBytes) bytes = g_bytes_new(data, size);
	g_autoptr(GVariant) record = g_variant_ref_sink(
	    g_variant_new_from_bytes(G_VARIANT_TYPE(RECORD_V1_TYPE), bytes, FALSE));
	g_autoptr(GVariant) normal = g_variant_get_normal_form(record);
	g_autoptr(GVariant) dict = NULL;
	gsize count;

	/* Checked once: when it is well formed, GVariant then reads the fields
	 * without checking each again. */
	if (normal != record)
		return corrupt(error, "not a well-formed %s", RECORD_V1_TYPE);
	dict = g_variant_get_child_value(record, 1);
	count = g_variant_n_children(dict);
	for (gsize k = 0; k < count; k++) {
		g_autoptr(GVariant) entry = g_variant_get_child_value(dict, k);
		g_autoptr(GVariant) key = g_variant_get_child_value(entry, 0);
		g_autoptr(GVariant) boxed = g_variant_get_child_value(entry, 1);
		const char *name = g_variant_get_string(key, NULL);
		guint i = 0;

		while (i < n && (fields[i].present || strcmp(name, spec[i].name) != 0))
			i++;
		if (i == n)
			continue;
		fields[i].value = g_variant_get_variant(boxed);
		fields[i].present = TRUE;
		if (!g_variant_is_of_type(fields[i].value, v1_type(spec[i].type)))
			return corrupt(error, "field %s is of the wrong type", spec[i].name);
	}
	return TRUE;
}

gboolean record_read(const void *data, gsize size, const RecordSpec *spec, guint n,
		     RecordField *fields, GError **error)
{
	guint32 version;

	memset(fields, 0, n * sizeof *fields);
	if (size < sizeof version)
		return corrupt(error, "too short for a format version");
	memcpy(&version, data, sizeof version);
	if (version == 1) {
		if (!read_v1(data, size, spec, n, fields, error))
			return FALSE;
	} else if (version == 2 || version == RECORD_VERSION) {
		if (!read_v2(data, size, spec, n, fields, error))
			return FALSE;
	} else {
		g_set_error(error, RECORD_ERROR, RECORD_ERROR_VERSION,
			    "format version %u; this convene reads versions 1 to %u", version,
			    RECORD_VERSION);
		return FALSE;
	}
	for (guint i = 0; i < n; i++)
		if (spec[i].required && !fields[i].present)
			return corrupt(error, "field %s is missing", spec[i].name);
	return TRUE;
}

void record_fields_clear(RecordField *fields, guint n)
{
	for (guint i = 0; i < n; i++) {
		g_clear_pointer(&fields[i].value, g_variant_unref);
		fields[i].present = FALSE;
	}
}

const char *record_field_string(const RecordField *f)
{
	if (!f->present)
		return NULL;
	return f->value != NULL ? g_variant_get_string(f->value, NULL) : f->data;
}

char *record_field_dup_string(const RecordField *f)
{
	return g_strdup(record_field_string(f));
}

void record_field_strings(const RecordField *f, GPtrArray *to)
{
	GVariantIter iter;
	const char *s;

	if (!f->present)
		return;
	if (f->value != NULL) {
		g_variant_iter_init(&iter, f->value);
		while (g_variant_iter_next(&iter, "&s", &s))
			g_ptr_array_add(to, g_strdup(s));
		return;
	}
	for (s = f->data; s < f->data + f->size; s += strlen(s) + 1)
		g_ptr_array_add(to, g_strdup(s));
}

/* The @size bytes of a fixed-size version 2 value. */
static void fixed(const RecordField *f, void *out, gsize size)
{
	memset(out, 0, size);
	if (f->present && f->value == NULL)
		memcpy(out, f->data, size);
}

gint64 record_field_int64(const RecordField *f)
{
	gint64 v;

	if (f->value != NULL)
		return g_variant_get_int64(f->value);
	fixed(f, &v, sizeof v);
	return v;
}

guint64 record_field_uint64(const RecordField *f)
{
	guint64 v;

	if (f->value != NULL)
		return g_variant_get_uint64(f->value);
	fixed(f, &v, sizeof v);
	return v;
}

guint32 record_field_uint32(const RecordField *f)
{
	guint32 v;

	if (f->value != NULL)
		return g_variant_get_uint32(f->value);
	fixed(f, &v, sizeof v);
	return v;
}

gboolean record_field_boolean(const RecordField *f)
{
	guint8 v;

	if (f->value != NULL)
		return g_variant_get_boolean(f->value);
	fixed(f, &v, sizeof v);
	return v != 0;
}

GBytes *record_field_bytes(const RecordField *f)
{
	if (!f->present)
		return NULL;
	if (f->value != NULL)
		return g_variant_get_data_as_bytes(f->value);
	return g_bytes_new(f->data, f->size);
}

guint32 record_version(const void *data, gsize size)
{
	guint32 version;

	if (size < sizeof version)
		return 0;
	memcpy(&version, data, sizeof version);
	return version;
}
