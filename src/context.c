/* SPDX-License-Identifier: ISC */
/* context.c: the values templates show. It only reads: the configuration,
 * the field table, the languages' data and the attendee it is given; it
 * never decides who may see what beyond the audience it is told, and never
 * writes a word of any language itself. */

#include "autoconfig.h"

#include "context.h"

#include <string.h>

#include "country.h"
#include "field.h"
#include "lang.h"
#include "request.h"

static void set_text(JsonObject *o, const char *key, const char *value)
{
	json_object_set_string_member(o, key, value != NULL ? value : "");
}

JsonObject *context_activity(const Config *cfg, const ConfigActivity *act, const char *lang)
{
	JsonObject *o = json_object_new();
	g_autofree char *day = lang_day_label(config_language(cfg, lang), act->day);

	set_text(o, "id", act->id);
	set_text(o, "title", act->title);
	set_text(o, "day", act->day);
	set_text(o, "day_label", day);
	set_text(o, "start", act->start);
	set_text(o, "end", act->end);
	set_text(o, "location", act->location);
	set_text(o, "notes", act->notes);
	json_object_set_int_member(o, "capacity", act->capacity);
	return o;
}

JsonObject *context_event(const Config *cfg, const char *lang)
{
	const Language *l = config_language(cfg, lang);
	JsonObject *o = json_object_new();
	JsonArray *days = json_array_new();
	const ConfigDay *first = g_ptr_array_index(cfg->days, 0);
	const ConfigDay *last = g_ptr_array_index(cfg->days, cfg->days->len - 1);
	g_autofree char *from = lang_day_label(l, first->date);
	g_autofree char *to = lang_day_label(l, last->date);

	set_text(o, "name", cfg->event_name);
	set_text(o, "location", cfg->event_location);
	set_text(o, "address", cfg->event_address);
	set_text(o, "first_day", from);
	set_text(o, "last_day", to);
	/* Examples for the answers' advice, from this event's own programme. */
	{
		const ConfigDay *second = g_ptr_array_index(cfg->days, MIN(1u, cfg->days->len - 1));
		const ConfigActivity *act = g_ptr_array_index(cfg->activities, cfg->activities->len - 1);
		g_autofree char *day = g_strdup_printf("%02u/%02u", g_date_get_day(&second->gdate),
						       g_date_get_month(&second->gdate));
		g_autofree char *date = request_example_date(cfg);
		g_autofree char *countries = request_example_countries(cfg);

		for (guint i = 0; i < cfg->activities->len; i++) {
			const ConfigActivity *a = g_ptr_array_index(cfg->activities, i);

			/* One anyone may take, not the first: "all" is not the example. */
			if (g_strv_length(a->countries) == 0 && i > 0) {
				act = a;
				break;
			}
		}
		set_text(o, "example_activity", act->id);
		set_text(o, "example_day", day);
		set_text(o, "example_weekday", lang_weekday(l, g_date_get_weekday(&first->gdate)));
		set_text(o, "example_date", date);
		set_text(o, "example_countries", countries);
	}
	for (guint i = 0; i < cfg->days->len; i++) {
		const ConfigDay *d = g_ptr_array_index(cfg->days, i);
		JsonObject *day = json_object_new();
		JsonArray *acts = json_array_new();
		g_autofree char *label = lang_day_label(l, d->date);

		set_text(day, "date", d->date);
		set_text(day, "label", label);
		set_text(day, "title", d->title);
		for (guint k = 0; k < cfg->activities->len; k++) {
			const ConfigActivity *a = g_ptr_array_index(cfg->activities, k);

			if (strcmp(a->day, d->date) == 0)
				json_array_add_object_element(acts, context_activity(cfg, a, lang));
		}
		json_object_set_array_member(day, "activities", acts);
		json_array_add_object_element(days, day);
	}
	json_object_set_array_member(o, "days", days);
	return o;
}

char *context_value(const Config *cfg, const Field *f, const Attendee *a, const char *lang)
{
	const Language *l = config_language(cfg, lang);
	g_autoptr(GPtrArray) values = field_get(f, a);
	g_autoptr(GPtrArray) shown = g_ptr_array_new_with_free_func(g_free);

	for (guint i = 0; i < values->len; i++) {
		const char *v = g_ptr_array_index(values, i);

		switch (f->type) {
		case FIELD_COUNTRY: {
			const char *name = country_name(v, lang_code(l));

			g_ptr_array_add(shown, name != NULL ? g_strdup_printf("%s (%s)", name, v)
							    : g_strdup(v));
			break;
		}
		case FIELD_LANGUAGE: {
			const Language *named = config_has_language(cfg, v) ? config_language(cfg, v) : NULL;
			const char *name = named != NULL ? lang_word(named, "language", "names") : NULL;

			g_ptr_array_add(shown, g_strdup(name != NULL ? name : v));
			break;
		}
		case FIELD_STATUS: {
			const char *word = lang_word(l, "status", v);

			g_ptr_array_add(shown, g_strdup(word != NULL ? word : v));
			break;
		}
		case FIELD_YES_NO: {
			const char *word = lang_word(l, "formats", v);

			g_ptr_array_add(shown, g_strdup(word != NULL ? word : v));
			break;
		}
		case FIELD_DATE:
		case FIELD_DAYS:
			g_ptr_array_add(shown, lang_day_label(l, v));
			break;
		case FIELD_ACTIVITIES:
		case FIELD_WAITLIST: {
			const ConfigActivity *act = config_activity_find(cfg, v);

			g_ptr_array_add(shown, g_strdup(act != NULL ? act->title : v));
			break;
		}
		default:
			g_ptr_array_add(shown, g_strdup(v));
		}
	}
	g_ptr_array_add(shown, NULL);
	return lang_join(l, (const char *const *)shown->pdata);
}

/* The fields a summary lists one per line: all but the schedule (shown
 * with its times) and the times, for whoever may see them. */
static gboolean listed(const Field *f, ContextAudience audience)
{
	if ((f->flags & FIELD_SCHEDULE) != 0 || f->type == FIELD_TIME)
		return FALSE;
	return audience == CONTEXT_FULL || (f->flags & FIELD_SHARED) != 0;
}

static JsonArray *fields_json(const Config *cfg, const Attendee *a, const char *lang,
			      ContextAudience audience, JsonObject *values)
{
	const Language *l = config_language(cfg, lang);
	JsonArray *out = json_array_new();
	g_autoptr(GPtrArray) shown = g_ptr_array_new();
	g_autoptr(GPtrArray) texts = g_ptr_array_new_with_free_func(g_free);
	glong width = 0;

	for (guint i = 0; i < cfg->fields->len; i++) {
		const Field *f = g_ptr_array_index(cfg->fields, i);
		char *value;

		if (!listed(f, audience))
			continue;
		value = context_value(cfg, f, a, lang);
		set_text(values, f->id, value);
		if (*value == '\0') {
			g_free(value);
			continue;
		}
		g_ptr_array_add(shown, (gpointer)f);
		g_ptr_array_add(texts, value);
		width = MAX(width, g_utf8_strlen(field_label(f, l), -1));
	}
	for (guint i = 0; i < shown->len; i++) {
		const Field *f = g_ptr_array_index(shown, i);
		g_autofree char *pad = g_strnfill(width - g_utf8_strlen(field_label(f, l), -1), ' ');
		JsonObject *o = json_object_new();

		set_text(o, "id", f->id);
		set_text(o, "label", field_label(f, l));
		set_text(o, "value", g_ptr_array_index(texts, i));
		set_text(o, "pad", pad);
		json_array_add_object_element(out, o);
	}
	return out;
}

JsonObject *context_attendee(Composer *composer, const Config *cfg, const Attendee *a,
			     const char *lang, ContextAudience audience)
{
	const Language *l = config_language(cfg, lang);
	JsonObject *o = json_object_new();
	JsonObject *labels = json_object_new();
	JsonObject *values = json_object_new();
	JsonArray *days = json_array_new();
	JsonArray *acts = json_array_new();
	const char *status = attendee_status_to_string(a->status);

	set_text(o, "email", a->email);
	set_text(o, "name", a->name);
	set_text(o, "language", a->language);
	set_text(o, "status", status);
	set_text(o, "status_label", lang_word(l, "status", status));
	json_object_set_boolean_member(o, "cancelled", a->status == ATTENDEE_CANCELLED);
	json_object_set_array_member(o, "fields", fields_json(cfg, a, lang, audience, values));
	json_object_set_object_member(o, "values", values);
	for (guint i = 0; i < cfg->fields->len; i++) {
		const Field *f = g_ptr_array_index(cfg->fields, i);

		set_text(labels, f->id, field_label(f, l));
	}
	json_object_set_object_member(o, "labels", labels);
	for (guint i = 0; i < a->days->len; i++) {
		g_autofree char *label = lang_day_label(l, g_ptr_array_index(a->days, i));

		json_array_add_string_element(days, label);
	}
	json_object_set_array_member(o, "day_labels", days);
	for (guint i = 0; i < a->activities->len; i++) {
		const ConfigActivity *act =
		    config_activity_find(cfg, g_ptr_array_index(a->activities, i));

		if (act != NULL)
			json_array_add_object_element(acts, compose_activity(composer, act, lang));
	}
	json_object_set_array_member(o, "activity_details", acts);
	return o;
}

JsonArray *context_waitlist(const Config *cfg, const Attendee *a, const char *lang,
			    const guint *positions)
{
	JsonArray *list = json_array_new();

	for (guint i = 0; i < a->waitlist->len; i++) {
		const ConfigActivity *act =
		    config_activity_find(cfg, g_ptr_array_index(a->waitlist, i));
		JsonObject *item;

		if (act == NULL)
			continue;
		item = context_activity(cfg, act, lang);
		json_object_set_int_member(item, "position", positions[i]);
		json_array_add_object_element(list, item);
	}
	return list;
}

JsonArray *context_problems(const Config *cfg, const GPtrArray *list, const char *lang)
{
	JsonArray *arr = json_array_new();

	for (guint i = 0; i < list->len; i++) {
		const RequestProblem *p = g_ptr_array_index(list, i);
		JsonObject *o = json_object_new();
		g_autofree char *text = request_problem_describe(p, cfg, lang);

		json_object_set_int_member(o, "line", p->line);
		set_text(o, "code", p->code);
		set_text(o, "text", text);
		json_array_add_object_element(arr, o);
	}
	return arr;
}

JsonArray *context_form(const Config *cfg, const char *lang)
{
	const Language *l = config_language(cfg, lang);
	JsonArray *arr = json_array_new();

	for (guint i = 0; i < cfg->fields->len; i++) {
		const Field *f = g_ptr_array_index(cfg->fields, i);
		g_autofree char *accepted = NULL;
		JsonObject *o;

		/* The address is the sender's unless they write another. */
		if ((f->flags & FIELD_WRITABLE) == 0 ||
		    ((f->flags & FIELD_BUILTIN) != 0 && f->type == FIELD_EMAIL))
			continue;
		o = json_object_new();
		accepted = request_accepted(f, cfg, lang);
		set_text(o, "key", field_label(f, l));
		set_text(o, "field", f->id);
		set_text(o, "help", field_help(f, l));
		set_text(o, "accepted", accepted);
		json_object_set_boolean_member(o, "required", (f->flags & FIELD_REQUIRED) != 0);
		json_array_add_object_element(arr, o);
	}
	return arr;
}

JsonArray *context_changes(const Config *cfg, const Attendee *before, const Attendee *after,
			   const char *lang)
{
	const Language *l = config_language(cfg, lang);
	JsonArray *arr = json_array_new();

	for (guint i = 0; i < cfg->fields->len; i++) {
		const Field *f = g_ptr_array_index(cfg->fields, i);
		g_autofree char *was = NULL, *now = NULL;
		JsonObject *o;

		if (f->type == FIELD_TIME)
			continue;
		was = context_value(cfg, f, before, lang);
		now = context_value(cfg, f, after, lang);
		if (strcmp(was, now) == 0)
			continue;
		o = json_object_new();
		set_text(o, "label", field_label(f, l));
		set_text(o, "before", was);
		set_text(o, "after", now);
		json_array_add_object_element(arr, o);
	}
	return arr;
}
