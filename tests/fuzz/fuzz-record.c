/* SPDX-License-Identifier: ISC */
/* fuzz-record.c: any bytes as a stored record (record.c), read with each
 * field list the store reads records with (store.c, and compose.c's
 * drafts), then every field present read with its accessor, as the store
 * does. record.h's promise: a record is refused or read without a read past
 * its end, and no text handed out is other than UTF-8. */

#include "autoconfig.h"

#include <stddef.h>
#include <stdint.h>

#include "record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The field lists of store.c and compose.c, as they are there. */
static const RecordSpec attendee[] = {
    {"email", RECORD_STRING, TRUE},	     {"name", RECORD_STRING, FALSE},
    {"organisation", RECORD_STRING, FALSE},  {"country", RECORD_STRING, FALSE},
    {"role", RECORD_STRING, FALSE},	     {"delegation", RECORD_STRING, FALSE},
    {"language", RECORD_STRING, FALSE},	     {"status", RECORD_STRING, TRUE},
    {"days", RECORD_STRINGS, FALSE},	     {"activities", RECORD_STRINGS, FALSE},
    {"waitlist", RECORD_STRINGS, FALSE},     {"diet", RECORD_STRING, FALSE},
    {"accessibility", RECORD_STRING, FALSE}, {"arrival", RECORD_STRING, FALSE},
    {"departure", RECORD_STRING, FALSE},     {"registered_at", RECORD_INT64, TRUE},
    {"updated_at", RECORD_INT64, TRUE},
};
static const RecordSpec outbox[] = {
    {"id", RECORD_UINT64, TRUE},	 {"state", RECORD_STRING, TRUE},
    {"kind", RECORD_STRING, FALSE},	 {"sender", RECORD_STRING, FALSE},
    {"recipient", RECORD_STRING, FALSE}, {"message_id", RECORD_STRING, FALSE},
    {"message", RECORD_BYTES, FALSE},	 {"attempts", RECORD_UINT32, TRUE},
    {"created_at", RECORD_INT64, TRUE},	 {"updated_at", RECORD_INT64, TRUE},
    {"next_try_at", RECORD_INT64, TRUE}, {"last_reply", RECORD_STRING, FALSE},
    {"owner", RECORD_INT64, FALSE},	 {"bounced", RECORD_BOOLEAN, FALSE},
};
static const RecordSpec seen[] = {{"when", RECORD_INT64, TRUE}};
static const RecordSpec rate[] = {{"start", RECORD_INT64, TRUE}, {"count", RECORD_INT64, TRUE}};
static const RecordSpec places[] = {
    {"taken", RECORD_INT64, TRUE},
    {"waiting", RECORD_INT64, FALSE},
    {"next", RECORD_UINT64, FALSE},
    {"queue", RECORD_STRING, FALSE},
};
static const RecordSpec pending[] = {
    {"email", RECORD_STRING, TRUE},	  {"action", RECORD_STRING, TRUE},
    {"subject", RECORD_STRING, FALSE},	  {"detail", RECORD_STRING, FALSE},
    {"body", RECORD_STRING, FALSE},	  {"from_name", RECORD_STRING, FALSE},
    {"message_id", RECORD_STRING, FALSE}, {"references", RECORD_STRING, FALSE},
    {"created_at", RECORD_INT64, TRUE},	  {"expires_at", RECORD_INT64, TRUE},
};
static const RecordSpec meta[] = {{"value", RECORD_UINT64, TRUE}};
static const RecordSpec mark[] = {
    {"when", RECORD_INT64, TRUE},
    {"value", RECORD_UINT64, TRUE},
    {"what", RECORD_STRING, TRUE},
};
static const RecordSpec journal[] = {
    {"seq", RECORD_UINT64, TRUE},      {"when", RECORD_INT64, TRUE},
    {"action", RECORD_STRING, TRUE},   {"email", RECORD_STRING, TRUE},
    {"name", RECORD_STRING, FALSE},    {"detail", RECORD_STRING, FALSE},
    {"fields", RECORD_STRINGS, FALSE}, {"before", RECORD_STRINGS, FALSE},
    {"after", RECORD_STRINGS, FALSE},
};
static const RecordSpec itinerary[] = {
    {"sequence", RECORD_UINT64, TRUE},
    {"activities", RECORD_STRINGS, FALSE},
    {"sent_at", RECORD_INT64, TRUE},
};
static const RecordSpec due[] = {{"email", RECORD_STRING, TRUE}, {"since", RECORD_INT64, TRUE}};
static const RecordSpec draft[] = {
    {"lang", RECORD_STRING, TRUE},	  {"subject", RECORD_STRING, TRUE},
    {"text", RECORD_STRING, TRUE},	  {"html", RECORD_STRING, FALSE},
    {"to_name", RECORD_STRING, FALSE},	  {"in_reply_to", RECORD_STRING, FALSE},
    {"references", RECORD_STRING, FALSE}, {"auto_replied", RECORD_BOOLEAN, FALSE},
    {"date", RECORD_INT64, TRUE},	  {"attachments", RECORD_BYTES, FALSE},
};

static const struct {
	const RecordSpec *spec;
	guint n;
} specs[] = {
    {attendee, G_N_ELEMENTS(attendee)}, {outbox, G_N_ELEMENTS(outbox)},
    {seen, G_N_ELEMENTS(seen)},		{rate, G_N_ELEMENTS(rate)},
    {places, G_N_ELEMENTS(places)},	{pending, G_N_ELEMENTS(pending)},
    {meta, G_N_ELEMENTS(meta)},		{mark, G_N_ELEMENTS(mark)},
    {journal, G_N_ELEMENTS(journal)},	{itinerary, G_N_ELEMENTS(itinerary)},
    {due, G_N_ELEMENTS(due)},		{draft, G_N_ELEMENTS(draft)},
};

/* Reads @f, of @type, as the store would. */
static void read_field(const RecordField *f, RecordType type)
{
	g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GBytes) bytes = NULL;
	const char *text;

	switch (type) {
	case RECORD_STRING:
		text = record_field_string(f);
		g_assert(text != NULL && g_utf8_validate(text, -1, NULL));
		break;
	case RECORD_STRINGS:
		record_field_strings(f, list);
		for (guint i = 0; i < list->len; i++)
			g_assert(g_utf8_validate(g_ptr_array_index(list, i), -1, NULL));
		break;
	case RECORD_INT64:
		(void)record_field_int64(f);
		break;
	case RECORD_UINT64:
		(void)record_field_uint64(f);
		break;
	case RECORD_UINT32:
		(void)record_field_uint32(f);
		break;
	case RECORD_BOOLEAN:
		(void)record_field_boolean(f);
		break;
	case RECORD_BYTES:
		bytes = record_field_bytes(f);
		g_assert(bytes != NULL);
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_log_set_always_fatal(G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
	for (guint s = 0; s < G_N_ELEMENTS(specs); s++) {
		RecordField fields[32];
		g_autoptr(GError) error = NULL;

		g_assert(specs[s].n <= G_N_ELEMENTS(fields));
		if (record_read(data, size, specs[s].spec, specs[s].n, fields, &error)) {
			for (guint i = 0; i < specs[s].n; i++)
				if (fields[i].present)
					read_field(&fields[i], specs[s].spec[i].type);
		} else {
			g_assert(error != NULL && error->domain == RECORD_ERROR);
		}
		record_fields_clear(fields, specs[s].n);
	}
	return 0;
}
