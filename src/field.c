/* SPDX-License-Identifier: ISC */
/* field.c: the field table and the one way to read or change a field of an
 * attendee. The built-in fields are listed here once, with the member of
 * Attendee that keeps each; nothing else in convene names them one by one.
 * It never interprets what people wrote: that is the grammar's. */

#include "autoconfig.h"

#include "field.h"

#include <stddef.h>
#include <string.h>

#include "lang.h"

#define MEMBER(m) ((gssize)offsetof(Attendee, m))

static const struct {
	const char *id;
	FieldType type;
	guint flags;
	gssize member;
} builtins[] = {
    {"email", FIELD_EMAIL, FIELD_WRITABLE | FIELD_SHARED, MEMBER(email)},
    {"name", FIELD_TEXT, FIELD_WRITABLE | FIELD_REQUIRED | FIELD_SHARED, MEMBER(name)},
    {"organisation", FIELD_TEXT, FIELD_WRITABLE | FIELD_REQUIRED | FIELD_SHARED,
     MEMBER(organisation)},
    {"country", FIELD_COUNTRY, FIELD_WRITABLE | FIELD_REQUIRED, MEMBER(country)},
    {"role", FIELD_TEXT, FIELD_WRITABLE, MEMBER(role)},
    {"delegation", FIELD_TEXT, FIELD_WRITABLE | FIELD_SHARED, MEMBER(delegation)},
    {"language", FIELD_LANGUAGE, FIELD_WRITABLE, MEMBER(language)},
    {"status", FIELD_STATUS, FIELD_SHARED, MEMBER(status)},
    {"days", FIELD_DAYS, FIELD_WRITABLE | FIELD_SHARED | FIELD_SCHEDULE, MEMBER(days)},
    {"activities", FIELD_ACTIVITIES,
     FIELD_WRITABLE | FIELD_REQUIRED | FIELD_SHARED | FIELD_SCHEDULE, MEMBER(activities)},
    {"waitlist", FIELD_WAITLIST, FIELD_SHARED | FIELD_SCHEDULE, MEMBER(waitlist)},
    {"diet", FIELD_TEXT, FIELD_WRITABLE | FIELD_PREPARE, MEMBER(diet)},
    {"accessibility", FIELD_TEXT, FIELD_WRITABLE | FIELD_PREPARE, MEMBER(accessibility)},
    {"arrival", FIELD_TEXT, FIELD_WRITABLE, MEMBER(arrival)},
    {"departure", FIELD_TEXT, FIELD_WRITABLE, MEMBER(departure)},
    {"registered_at", FIELD_TIME, 0, MEMBER(registered_at)},
    {"updated_at", FIELD_TIME, 0, MEMBER(updated_at)},
};

Field *field_new(const char *id, FieldType type)
{
	Field *f = g_new0(Field, 1);

	f->id = g_strdup(id);
	f->type = type;
	f->member = -1;
	f->choices = g_new0(char *, 1);
	f->activities = g_new0(char *, 1);
	f->keys = g_new0(char *, 1);
	f->labels = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	f->help = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	return f;
}

Field *field_new_configured(const ConfigFieldSpec *spec)
{
	Field *f = field_new(spec->id, spec->type);
	GHashTableIter it;
	gpointer code, text;

	f->flags = FIELD_WRITABLE | (spec->required ? FIELD_REQUIRED : 0);
	f->line = spec->line;
	g_strfreev(f->choices);
	f->choices = g_strdupv(spec->choices);
	g_strfreev(f->activities);
	f->activities = g_strdupv(spec->activities);
	g_strfreev(f->keys);
	f->keys = g_strdupv(spec->keys);
	g_hash_table_iter_init(&it, spec->labels);
	while (g_hash_table_iter_next(&it, &code, &text))
		g_hash_table_insert(f->labels, g_strdup(code), g_strdup(text));
	g_hash_table_iter_init(&it, spec->help);
	while (g_hash_table_iter_next(&it, &code, &text))
		g_hash_table_insert(f->help, g_strdup(code), g_strdup(text));
	return f;
}

void field_free(Field *f)
{
	if (f == NULL)
		return;
	g_free(f->id);
	g_strfreev(f->choices);
	g_strfreev(f->activities);
	g_strfreev(f->keys);
	g_hash_table_unref(f->labels);
	g_hash_table_unref(f->help);
	g_free(f);
}

GPtrArray *field_table_new(void)
{
	GPtrArray *table = g_ptr_array_new_with_free_func((GDestroyNotify)field_free);

	for (guint i = 0; i < G_N_ELEMENTS(builtins); i++) {
		Field *f = field_new(builtins[i].id, builtins[i].type);

		f->flags = builtins[i].flags | FIELD_BUILTIN;
		f->member = builtins[i].member;
		g_ptr_array_add(table, f);
	}
	return table;
}

const GPtrArray *field_builtins(void)
{
	static GPtrArray *table;

	if (g_once_init_enter(&table))
		g_once_init_leave(&table, field_table_new());
	return table;
}

void field_table_insert(GPtrArray *table, Field *f)
{
	guint at = table->len;

	while (at > 0 && ((Field *)g_ptr_array_index(table, at - 1))->type == FIELD_TIME)
		at--;
	g_ptr_array_insert(table, at, f);
}

const Field *field_find(const GPtrArray *table, const char *id)
{
	for (guint i = 0; i < table->len; i++) {
		const Field *f = g_ptr_array_index(table, i);

		if (strcmp(f->id, id) == 0)
			return f;
	}
	return NULL;
}

gboolean field_is_list(const Field *f)
{
	return f->type == FIELD_DAYS || f->type == FIELD_ACTIVITIES || f->type == FIELD_WAITLIST ||
	       f->type == FIELD_MULTI_CHOICE;
}

/* A configured field's text for @l: for that language, else the first the
 * organisers wrote (kept under ""), else NULL. */
static const char *configured_text(GHashTable *texts, const Language *l)
{
	const char *text = l != NULL ? g_hash_table_lookup(texts, lang_code(l)) : NULL;

	return text != NULL ? text : g_hash_table_lookup(texts, "");
}

const char *field_label(const Field *f, const Language *l)
{
	const char *label;

	if ((f->flags & FIELD_BUILTIN) != 0)
		label = l != NULL ? lang_word(l, "fields", f->id) : NULL;
	else
		label = configured_text(f->labels, l);
	return label != NULL ? label : f->id;
}

const char *field_help(const Field *f, const Language *l)
{
	return configured_text(f->help, l);
}

static char **text_member(const Field *f, const Attendee *a)
{
	return (char **)((const char *)a + f->member);
}

static GPtrArray *list_member(const Field *f, const Attendee *a)
{
	return *(GPtrArray **)((const char *)a + f->member);
}

GPtrArray *field_get(const Field *f, const Attendee *a)
{
	GPtrArray *out = g_ptr_array_new_with_free_func(g_free);

	if (f->member < 0) {
		const char *const *values = g_hash_table_lookup(a->answers, f->id);

		for (guint i = 0; values != NULL && values[i] != NULL; i++)
			g_ptr_array_add(out, g_strdup(values[i]));
		return out;
	}
	switch (f->type) {
	case FIELD_DAYS:
	case FIELD_ACTIVITIES:
	case FIELD_WAITLIST: {
		const GPtrArray *list = list_member(f, a);

		for (guint i = 0; i < list->len; i++)
			g_ptr_array_add(out, g_strdup(g_ptr_array_index(list, i)));
		break;
	}
	case FIELD_STATUS:
		g_ptr_array_add(out, g_strdup(attendee_status_to_string(a->status)));
		break;
	case FIELD_TIME:
		break;
	default: {
		const char *value = *text_member(f, a);

		if (value != NULL && *value != '\0')
			g_ptr_array_add(out, g_strdup(value));
		break;
	}
	}
	return out;
}

char *field_get_text(const Field *f, const Attendee *a)
{
	g_autoptr(GPtrArray) values = NULL;

	if (f->type == FIELD_TIME)
		return g_strdup_printf("%" G_GINT64_FORMAT,
				       *(const gint64 *)((const char *)a + f->member));
	values = field_get(f, a);
	g_ptr_array_add(values, NULL);
	return g_strjoinv(", ", (char **)values->pdata);
}

void field_set(const Field *f, Attendee *a, const GPtrArray *values)
{
	g_return_if_fail((f->flags & FIELD_WRITABLE) != 0);

	if (f->member < 0) {
		GStrv copy = g_new0(char *, values->len + 1);

		for (guint i = 0; i < values->len; i++)
			copy[i] = g_strdup(g_ptr_array_index(values, i));
		if (values->len == 0) {
			g_strfreev(copy);
			g_hash_table_remove(a->answers, f->id);
		} else {
			g_hash_table_replace(a->answers, g_strdup(f->id), copy);
		}
		return;
	}
	if (field_is_list(f)) {
		GPtrArray *list = list_member(f, a);

		g_ptr_array_set_size(list, 0);
		for (guint i = 0; i < values->len; i++)
			g_ptr_array_add(list, g_strdup(g_ptr_array_index(values, i)));
		return;
	}
	g_free(*text_member(f, a));
	*text_member(f, a) = values->len > 0 ? g_strdup(g_ptr_array_index(values, 0)) : NULL;
}

gboolean field_applies(const Field *f, const Attendee *a)
{
	if (f->activities[0] == NULL)
		return TRUE;
	for (guint i = 0; f->activities[i] != NULL; i++)
		if (attendee_list_has(a->activities, f->activities[i]) ||
		    attendee_list_has(a->waitlist, f->activities[i]))
			return TRUE;
	return FALSE;
}
