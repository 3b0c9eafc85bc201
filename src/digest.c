/* SPDX-License-Identifier: ISC */
/* digest.c: the organisers' daily digest. What needs them comes first, from
 * attention.c; everything else it reports is read in the caller's
 * transaction (the journal, the attendees, the outbox); it changes nothing
 * but the marks of what a daily digest has reported. Lists are cut short with a count, so a
 * digest stays readable and its size bounded however many attend: the CSV
 * holds everyone. */

#include "autoconfig.h"

#include "digest.h"

#include <string.h>

#include "attention.h"
#include "country.h"
#include "csv.h"
#include "forget.h"
#include "itinerary.h"
#include "field.h"
#include "lang.h"
#include "log.h"
#include "text.h"
#include "xlsx.h"

/* At most this many entries in each list of people. */
#define DIGEST_LIST_MAX 200
/* At most this many names beside each value to prepare for. */
#define DIGEST_NAMES_MAX 12
/* Width of the text capacity bars, in characters. */
#define DIGEST_BAR_WIDTH 20

typedef struct {
	guint taken, waiting;
} Places;

/* People who wrote alike the value of a field to prepare for. */
typedef struct {
	char *text; /* as first written */
	guint count;
	GPtrArray *names; /* char *, at most DIGEST_NAMES_MAX */
} Group;

typedef struct {
	const Config *cfg;
	const char *lang;
	const DigestWindow *window;
	guint erased;        /* people erased, at their request or the organisers' */
	guint64 last_seq;    /* the newest journal entry seen */

	/* changes and robots, from the journal */
	JsonArray *registered, *updated, *cancelled, *robots;
	guint changes, changes_shown;

	/* figures, from the attendees */
	guint confirmed, pending, cancelled_count;
	guint *per_day;		 /* by index in cfg->days */
	Places *places;		 /* by index in cfg->activities */
	GHashTable *countries;	 /* code → count (GUINT_TO_POINTER) */
	GHashTable *delegations; /* name → count */
	GHashTable *prepare;	 /* field id → (folded value → Group) */
	GString *csv;
	Xlsx *xlsx;		 /* the same rows as a workbook */
	GHashTable *answers;	 /* choice and yes-no field id → (value → count) */

	/* deliveries tried again later, from the outbox (failures need
	 * attention) */
	JsonArray *deferred;
} Digest;

static void group_free(gpointer data)
{
	Group *d = data;

	g_free(d->text);
	g_ptr_array_unref(d->names);
	g_free(d);
}

static void set_text(JsonObject *o, const char *key, const char *value)
{
	json_object_set_string_member(o, key, value != NULL ? value : "");
}

static char *local_label(const Digest *d, gint64 t)
{
	return attention_when(d->cfg, d->lang, t);
}

/* The label organisers read for a journal field: the field table's, or the
 * id of a field the configuration no longer has. */
static const char *journal_label(const Digest *d, const char *id)
{
	const Field *f = config_field(d->cfg, id);

	return f != NULL ? field_label(f, config_language(d->cfg, d->lang)) : id;
}

static JsonArray *field_list(const Digest *d, const StoreJournalEntry *e, gboolean with_before)
{
	JsonArray *list = json_array_new();

	for (guint i = 0; i < e->fields->len; i++) {
		JsonObject *o = json_object_new();

		set_text(o, "label", journal_label(d, g_ptr_array_index(e->fields, i)));
		if (with_before)
			set_text(o, "before", g_ptr_array_index(e->before, i));
		set_text(o, "after", g_ptr_array_index(e->after, i));
		json_array_add_object_element(list, o);
	}
	return list;
}

static gboolean in_window(const DigestWindow *w, gint64 t)
{
	return t >= w->from && t < w->until;
}

static gboolean add_entry(const StoreJournalEntry *e, gpointer data)
{
	Digest *d = data;
	g_autofree char *when = NULL;
	JsonObject *o;

	d->last_seq = e->seq;
	if (!in_window(d->window, e->when))
		return TRUE;
	/* An erased person's: counted, never named (forget.c). */
	if (strcmp(e->action, STORE_JOURNAL_ANONYMOUS) == 0) {
		if (g_strcmp0(e->detail, "request") == 0 || g_strcmp0(e->detail, "organisers") == 0)
			d->erased++;
		else
			d->changes++;
		return TRUE;
	}
	when = local_label(d, e->when);
	o = json_object_new();
	set_text(o, "email", e->email);
	set_text(o, "name", e->name != NULL ? e->name : e->email);
	set_text(o, "when", when);
	if (strcmp(e->action, "robot") == 0) {
		set_text(o, "reason", e->detail);
		json_array_add_object_element(d->robots, o);
		return TRUE;
	}
	/* Messages passed on, errors, refusals and held answers need the
	 * organisers: attention.c reports them. */
	if (strcmp(e->action, "registered") != 0 && strcmp(e->action, "updated") != 0 &&
	    strcmp(e->action, "cancelled") != 0) {
		json_object_unref(o);
		return TRUE;
	}
	d->changes++;
	if (d->changes_shown >= DIGEST_LIST_MAX) {
		json_object_unref(o);
		return TRUE;
	}
	d->changes_shown++;
	if (strcmp(e->action, "registered") == 0) {
		json_object_set_array_member(o, "details", field_list(d, e, FALSE));
		json_array_add_object_element(d->registered, o);
	} else if (strcmp(e->action, "cancelled") == 0) {
		set_text(o, "activities",
			 e->before->len > 0 ? g_ptr_array_index(e->before, 0) : "");
		json_array_add_object_element(d->cancelled, o);
	} else {
		json_object_set_array_member(o, "changes", field_list(d, e, TRUE));
		json_array_add_object_element(d->updated, o);
	}
	return TRUE;
}

/* From the event's last day on, when personal data is (or was) erased
 * (event.retention-days), and how many were erased on request. */
static gboolean retention_json(Digest *d, StoreTxn *txn, JsonObject *ctx, gint64 now,
			       GError **error)
{
	gint64 at = forget_retention_at(d->cfg);
	g_autoptr(StoreMark) done = NULL;
	g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc(at);
	g_autoptr(GDateTime) local = g_date_time_to_timezone(utc, d->cfg->tz);
	g_autofree char *ymd = g_date_time_format(local, "%Y-%m-%d");
	JsonObject *o;
	GError *e = NULL;

	json_object_set_int_member(ctx, "erased", d->erased);
	if (now < at - (gint64)(d->cfg->retention_days + 1) * 24 * 3600)
		return TRUE;
	done = store_mark_get(txn, FORGET_RETENTION_MARK, &e);
	if (e != NULL) {
		g_propagate_error(error, e);
		return FALSE;
	}
	o = json_object_new();
	set_text(o, "date", ymd);
	json_object_set_int_member(o, "days", d->cfg->retention_days);
	json_object_set_boolean_member(o, "done", done != NULL);
	json_object_set_int_member(o, "people", done != NULL ? (gint64)done->value : 0);
	json_object_set_object_member(ctx, "retention", o);
	return TRUE;
}

static void count(GHashTable *table, const char *key)
{
	guint n = GPOINTER_TO_UINT(g_hash_table_lookup(table, key));

	g_hash_table_insert(table, g_strdup(key), GUINT_TO_POINTER(n + 1));
}

/* Adds @a to the group of their value of each field to prepare for. */
static void add_prepare(Digest *d, const Attendee *a)
{
	for (guint i = 0; i < d->cfg->fields->len; i++) {
		const Field *f = g_ptr_array_index(d->cfg->fields, i);
		g_autofree char *value = NULL, *key = NULL;
		GHashTable *groups;
		Group *group;

		if ((f->flags & FIELD_PREPARE) == 0)
			continue;
		value = field_get_text(f, a);
		key = text_fold(value);
		if (*key == '\0')
			continue;
		groups = g_hash_table_lookup(d->prepare, f->id);
		if (groups == NULL) {
			groups = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, group_free);
			g_hash_table_insert(d->prepare, g_strdup(f->id), groups);
		}
		group = g_hash_table_lookup(groups, key);
		if (group == NULL) {
			group = g_new0(Group, 1);
			group->text = g_steal_pointer(&value);
			group->names = g_ptr_array_new_with_free_func(g_free);
			g_hash_table_insert(groups, g_steal_pointer(&key), group);
		}
		group->count++;
		if (group->names->len < DIGEST_NAMES_MAX)
			g_ptr_array_add(group->names,
					g_strdup(a->name != NULL ? a->name : a->email));
	}
}

/* Fields whose answers the digest counts per value: each a choice. */
static gboolean counted(const Field *f)
{
	return f->type == FIELD_YES_NO || f->type == FIELD_CHOICE || f->type == FIELD_MULTI_CHOICE;
}

static void count_answers(Digest *d, const Attendee *a)
{
	for (guint i = 0; i < d->cfg->fields->len; i++) {
		const Field *f = g_ptr_array_index(d->cfg->fields, i);
		const char *const *values = g_hash_table_lookup(a->answers, f->id);
		GHashTable *counts;

		if (!counted(f) || values == NULL)
			continue;
		counts = g_hash_table_lookup(d->answers, f->id);
		if (counts == NULL) {
			counts = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
			g_hash_table_insert(d->answers, g_strdup(f->id), counts);
		}
		for (guint k = 0; values[k] != NULL; k++)
			count(counts, values[k]);
	}
}

/* For each counted field, its label and every value with its count, in
 * the order of its choices ("T-shirt size: S 4, M 11, L 7"). */
static JsonArray *answers_json(const Digest *d)
{
	const Language *l = config_language(d->cfg, d->lang);
	JsonArray *arr = json_array_new();

	for (guint i = 0; i < d->cfg->fields->len; i++) {
		const Field *f = g_ptr_array_index(d->cfg->fields, i);
		GHashTable *counts = g_hash_table_lookup(d->answers, f->id);
		const char *const yes_no[] = {"yes", "no", NULL};
		const char *const *values = f->type == FIELD_YES_NO ? yes_no : (const char *const *)f->choices;
		g_autoptr(GPtrArray) parts = g_ptr_array_new_with_free_func(g_free);
		JsonArray *list;
		JsonObject *o;
		g_autofree char *text = NULL;

		if (!counted(f))
			continue;
		o = json_object_new();
		list = json_array_new();
		for (guint k = 0; values[k] != NULL; k++) {
			JsonObject *v = json_object_new();
			guint n = counts != NULL ? GPOINTER_TO_UINT(g_hash_table_lookup(counts, values[k])) : 0;
			const char *shown = f->type == FIELD_YES_NO ? lang_word(l, "formats", values[k])
								    : values[k];

			set_text(v, "value", shown);
			json_object_set_int_member(v, "count", n);
			json_array_add_object_element(list, v);
			g_ptr_array_add(parts, g_strdup_printf("%s %u", shown, n));
		}
		g_ptr_array_add(parts, NULL);
		text = lang_join(l, (const char *const *)parts->pdata);
		set_text(o, "label", field_label(f, l));
		set_text(o, "counts", text);
		json_object_set_array_member(o, "values", list);
		json_array_add_object_element(arr, o);
	}
	return arr;
}

static gboolean add_attendee(const Attendee *a, gpointer data)
{
	Digest *d = data;
	const Config *cfg = d->cfg;

	{
		g_autoptr(GPtrArray) cells = csv_attendee_cells(cfg, a);

		csv_append_record(d->csv, (const char *const *)cells->pdata, cells->len);
		if (d->xlsx != NULL)
			xlsx_add_row(d->xlsx, (const char *const *)cells->pdata, cells->len);
	}
	if (a->status == ATTENDEE_PENDING)
		d->pending++;
	if (a->status == ATTENDEE_CANCELLED)
		d->cancelled_count++;
	if (a->status != ATTENDEE_CONFIRMED)
		return TRUE;
	d->confirmed++;
	for (guint i = 0; i < cfg->days->len; i++)
		if (itinerary_attends(cfg, a,
				      ((const ConfigDay *)g_ptr_array_index(cfg->days, i))->date))
			d->per_day[i]++;
	for (guint i = 0; i < cfg->activities->len; i++) {
		const ConfigActivity *act = g_ptr_array_index(cfg->activities, i);

		if (attendee_list_has(a->activities, act->id))
			d->places[i].taken++;
		if (attendee_list_has(a->waitlist, act->id))
			d->places[i].waiting++;
	}
	count(d->countries, a->country != NULL && *a->country != '\0' ? a->country : "?");
	count_answers(d, a);
	if (a->delegation != NULL && *a->delegation != '\0')
		count(d->delegations, a->delegation);
	add_prepare(d, a);
	return TRUE;
}

static JsonObject *row_json(const OutboxRow *row)
{
	JsonObject *o = json_object_new();

	json_object_set_int_member(o, "id", (gint64)row->id);
	set_text(o, "to", row->recipient);
	set_text(o, "kind", row->kind);
	json_object_set_int_member(o, "attempts", row->attempts);
	set_text(o, "reply", row->last_reply);
	return o;
}

static gboolean add_row(const OutboxRow *row, gpointer data)
{
	Digest *d = data;

	if (row->state == OUTBOX_QUEUED && row->attempts > 0 &&
		 json_array_get_length(d->deferred) < DIGEST_LIST_MAX)
		json_array_add_object_element(d->deferred, row_json(row));
	return TRUE;
}

/* Sorts "count" descending, then "name" ascending. */
static gint by_count(gconstpointer pa, gconstpointer pb)
{
	JsonObject *a = *(JsonObject *const *)pa, *b = *(JsonObject *const *)pb;
	gint64 ca = json_object_get_int_member(a, "count"),
	       cb = json_object_get_int_member(b, "count");

	if (ca != cb)
		return ca > cb ? -1 : 1;
	return g_strcmp0(json_object_get_string_member(a, "name"),
			 json_object_get_string_member(b, "name"));
}

static JsonArray *sorted_array(GPtrArray *objects)
{
	JsonArray *arr = json_array_new();

	g_ptr_array_sort(objects, by_count);
	for (guint i = 0; i < objects->len; i++)
		json_array_add_object_element(arr, g_ptr_array_index(objects, i));
	return arr;
}

static JsonArray *counts_json(GHashTable *table, gboolean countries, const char *lang)
{
	g_autoptr(GPtrArray) objects = g_ptr_array_new();
	GHashTableIter iter;
	gpointer key, value;

	g_hash_table_iter_init(&iter, table);
	while (g_hash_table_iter_next(&iter, &key, &value)) {
		JsonObject *o = json_object_new();
		const char *name = countries ? country_name(key, lang) : NULL;

		set_text(o, "code", key);
		set_text(o, "name", name != NULL ? name : key);
		json_object_set_int_member(o, "count", GPOINTER_TO_UINT(value));
		g_ptr_array_add(objects, o);
	}
	return sorted_array(objects);
}

/* For each field to prepare for, in the table's order: its label and its
 * values, alike ones together, the most common first, each with the names
 * of those who wrote it. */
static JsonArray *prepare_json(const Digest *d)
{
	const Language *l = config_language(d->cfg, d->lang);
	JsonArray *arr = json_array_new();

	for (guint i = 0; i < d->cfg->fields->len; i++) {
		const Field *f = g_ptr_array_index(d->cfg->fields, i);
		GHashTable *groups = g_hash_table_lookup(d->prepare, f->id);
		g_autoptr(GPtrArray) objects = g_ptr_array_new();
		JsonObject *o;
		GHashTableIter iter;
		gpointer value;

		if ((f->flags & FIELD_PREPARE) == 0)
			continue;
		if (groups != NULL)
			g_hash_table_iter_init(&iter, groups);
		while (groups != NULL && g_hash_table_iter_next(&iter, NULL, &value)) {
			const Group *group = value;
			JsonObject *g = json_object_new();
			g_autofree char *names = NULL;

			g_ptr_array_add(group->names, NULL);
			names = g_strjoinv(", ", (char **)group->names->pdata);
			g_ptr_array_remove_index(group->names, group->names->len - 1);
			set_text(g, "name", group->text);
			json_object_set_int_member(g, "count", group->count);
			set_text(g, "names", names);
			json_object_set_int_member(g, "more", group->count - group->names->len);
			g_ptr_array_add(objects, g);
		}
		o = json_object_new();
		set_text(o, "label", field_label(f, l));
		json_object_set_boolean_member(o, "any", objects->len > 0);
		g_ptr_array_sort(objects, by_count);
		/* As many values as people, at worst: the CSV holds the rest. */
		json_object_set_int_member(o, "more",
					   objects->len - MIN(objects->len, DIGEST_LIST_MAX));
		while (objects->len > DIGEST_LIST_MAX)
			json_object_unref(g_ptr_array_steal_index(objects, objects->len - 1));
		json_object_set_array_member(o, "values", sorted_array(objects));
		json_array_add_object_element(arr, o);
	}
	return arr;
}

static JsonArray *days_json(const Digest *d)
{
	JsonArray *arr = json_array_new();

	for (guint i = 0; i < d->cfg->days->len; i++) {
		const ConfigDay *day = g_ptr_array_index(d->cfg->days, i);
		g_autofree char *label = lang_day_label(config_language(d->cfg, d->lang), day->date);
		JsonObject *o = json_object_new();

		set_text(o, "date", day->date);
		set_text(o, "label", label);
		json_object_set_int_member(o, "count", d->per_day[i]);
		json_array_add_object_element(arr, o);
	}
	return arr;
}

static JsonArray *activities_json(const Digest *d)
{
	JsonArray *arr = json_array_new();

	for (guint i = 0; i < d->cfg->activities->len; i++) {
		const ConfigActivity *act = g_ptr_array_index(d->cfg->activities, i);
		const Places *p = &d->places[i];
		g_autofree char *label = lang_day_label(config_language(d->cfg, d->lang), act->day);
		JsonObject *o = json_object_new();

		set_text(o, "id", act->id);
		set_text(o, "title", act->title);
		set_text(o, "day_label", label);
		set_text(o, "start", act->start);
		set_text(o, "end", act->end);
		json_object_set_int_member(o, "taken", p->taken);
		json_object_set_int_member(o, "waiting", p->waiting);
		if (act->capacity > 0) {
			/* Rounded up: one place taken shows. */
			guint width =
			    (MIN(p->taken, act->capacity) * DIGEST_BAR_WIDTH + act->capacity - 1) /
			    act->capacity;
			g_autofree char *bar = g_strdup_printf(
			    "[%.*s%.*s]", (int)width, "####################",
			    (int)(DIGEST_BAR_WIDTH - width), "....................");

			json_object_set_int_member(o, "capacity", act->capacity);
			json_object_set_int_member(
			    o, "percent", MIN(p->taken, act->capacity) * 100 / act->capacity);
			json_object_set_int_member(o, "free_percent",
						   100 - MIN(p->taken, act->capacity) * 100 /
							     act->capacity);
			set_text(o, "bar", bar);
			json_object_set_boolean_member(o, "full", p->taken >= act->capacity);
		}
		json_array_add_object_element(arr, o);
	}
	return arr;
}

/* The activities whose capacity was lowered below the places taken: nobody
 * lost a place, and the organisers should know how many are over. */
static JsonArray *overbooked_json(const Digest *d)
{
	JsonArray *arr = json_array_new();

	for (guint i = 0; i < d->cfg->activities->len; i++) {
		const ConfigActivity *act = g_ptr_array_index(d->cfg->activities, i);
		const Places *p = &d->places[i];
		JsonObject *o;

		if (act->capacity == 0 || p->taken <= act->capacity)
			continue;
		o = json_object_new();
		set_text(o, "id", act->id);
		set_text(o, "title", act->title);
		json_object_set_int_member(o, "taken", p->taken);
		json_object_set_int_member(o, "capacity", act->capacity);
		json_object_set_int_member(o, "over", p->taken - act->capacity);
		json_array_add_object_element(arr, o);
	}
	return arr;
}

static void digest_clear(Digest *d)
{
	g_clear_pointer(&d->registered, json_array_unref);
	g_clear_pointer(&d->updated, json_array_unref);
	g_clear_pointer(&d->cancelled, json_array_unref);
	g_clear_pointer(&d->robots, json_array_unref);
	g_clear_pointer(&d->deferred, json_array_unref);
	g_clear_pointer(&d->countries, g_hash_table_unref);
	g_clear_pointer(&d->delegations, g_hash_table_unref);
	g_clear_pointer(&d->prepare, g_hash_table_unref);
	g_clear_pointer(&d->answers, g_hash_table_unref);
	g_clear_pointer(&d->per_day, g_free);
	g_clear_pointer(&d->places, g_free);
	if (d->csv != NULL)
		g_string_free(d->csv, TRUE);
	d->csv = NULL;
	g_clear_pointer(&d->xlsx, xlsx_free);
}

static JsonObject *changes_json(Digest *d)
{
	JsonObject *o = json_object_new();

	json_object_set_boolean_member(o, "any_registered",
				       json_array_get_length(d->registered) > 0);
	json_object_set_boolean_member(o, "any_updated", json_array_get_length(d->updated) > 0);
	json_object_set_boolean_member(o, "any_cancelled", json_array_get_length(d->cancelled) > 0);
	json_object_set_array_member(o, "registered", g_steal_pointer(&d->registered));
	json_object_set_array_member(o, "updated", g_steal_pointer(&d->updated));
	json_object_set_array_member(o, "cancelled", g_steal_pointer(&d->cancelled));
	json_object_set_int_member(o, "count", d->changes);
	json_object_set_int_member(o, "more", d->changes - d->changes_shown);
	return o;
}

/* What went by without needing anyone: robots ignored, deliveries to be
 * tried again. */
static JsonObject *problems_json(Digest *d)
{
	JsonObject *o = json_object_new();
	gboolean any = json_array_get_length(d->robots) > 0 || json_array_get_length(d->deferred) > 0;

	json_object_set_boolean_member(o, "any", any);
	json_object_set_boolean_member(o, "any_robots", json_array_get_length(d->robots) > 0);
	json_object_set_boolean_member(o, "any_deferred", json_array_get_length(d->deferred) > 0);
	json_object_set_array_member(o, "robots", g_steal_pointer(&d->robots));
	json_object_set_array_member(o, "deferred", g_steal_pointer(&d->deferred));
	return o;
}

/* Reads everything the digest reports into @d and returns its template
 * context; the CSV stays in d->csv, the workbook in d->xlsx. */
static JsonObject *digest_build(Digest *d, StoreTxn *txn, gint64 now, GError **error)
{
	const Config *cfg = d->cfg;
	const DigestWindow *w = d->window;
	g_autoptr(StoreMark) cursor = NULL;
	g_autoptr(JsonObject) ctx = json_object_new();
	JsonObject *event, *totals, *attention;
	g_autofree char *generated = local_label(d, now);
	GError *local = NULL;
	guint64 after = 0;

	cursor = store_mark_get(txn, DIGEST_CURSOR, &local);
	if (local != NULL) {
		g_propagate_error(error, local);
		return NULL;
	}
	/* The daily digest, and its preview, follow the last daily digest; a
	 * digest of a given day is its window alone. */
	if (w->from == G_MININT64 && cursor != NULL)
		after = cursor->value;
	if (!store_journal_foreach(txn, after, add_entry, d, error) ||
	    !store_attendee_foreach(txn, add_attendee, d, error) ||
	    !store_outbox_foreach(txn, add_row, d, error))
		return NULL;
	/* A day's digest sent again tells what needed the organisers then. */
	attention = attention_build(txn, cfg, d->lang, MIN(now, w->until), w->scheduled, error);
	if (attention == NULL)
		return NULL;

	event = json_object_new();
	set_text(event, "name", cfg->event_name);
	set_text(event, "location", cfg->event_location);
	set_text(event, "address", cfg->event_address);
	json_object_set_object_member(ctx, "event", event);
	set_text(ctx, "generated", generated);
	if (w->from != G_MININT64) {
		g_autofree char *since = local_label(d, w->from);

		set_text(ctx, "since", since);
	} else if (cursor != NULL) {
		g_autofree char *since = local_label(d, cursor->when);

		set_text(ctx, "since", since);
	}
	json_object_set_boolean_member(ctx, "preview", !w->scheduled);
	json_object_set_object_member(ctx, "attention", attention);
	json_object_set_object_member(ctx, "changes", changes_json(d));
	totals = json_object_new();
	json_object_set_int_member(totals, "confirmed", d->confirmed);
	json_object_set_int_member(totals, "pending", d->pending);
	json_object_set_int_member(totals, "cancelled", d->cancelled_count);
	json_object_set_object_member(ctx, "totals", totals);
	json_object_set_array_member(ctx, "days", days_json(d));
	json_object_set_array_member(ctx, "activities", activities_json(d));
	json_object_set_array_member(ctx, "overbooked", overbooked_json(d));
	json_object_set_array_member(ctx, "countries", counts_json(d->countries, TRUE, d->lang));
	{
		JsonArray *answers = answers_json(d);

		json_object_set_boolean_member(ctx, "any_answers", json_array_get_length(answers) > 0);
		json_object_set_array_member(ctx, "answers", answers);
	}
	json_object_set_boolean_member(ctx, "any_delegations",
				       g_hash_table_size(d->delegations) > 0);
	json_object_set_array_member(ctx, "delegations", counts_json(d->delegations, FALSE, d->lang));
	json_object_set_array_member(ctx, "prepare", prepare_json(d));
	json_object_set_object_member(ctx, "problems", problems_json(d));
	if (!retention_json(d, txn, ctx, now, error))
		return NULL;
	return g_steal_pointer(&ctx);
}

gboolean digest_queue(StoreTxn *txn, Composer *composer, const Config *cfg,
		      const char *const *recipients, guint n, const DigestWindow *window,
		      gint64 now, GError **error)
{
	Digest d = {
	    .cfg = cfg,
	    .lang = cfg->languages[0],
	    .window = window,
	    .registered = json_array_new(),
	    .updated = json_array_new(),
	    .cancelled = json_array_new(),
	    .robots = json_array_new(),
	    .deferred = json_array_new(),
	    .per_day = g_new0(guint, cfg->days->len),
	    .places = g_new0(Places, MAX(cfg->activities->len, 1)),
	    .countries = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL),
	    .delegations = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL),
	    .prepare = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					     (GDestroyNotify)g_hash_table_unref),
	    .csv = csv_attendees_begin(cfg),
	    .answers = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					     (GDestroyNotify)g_hash_table_unref),
	};
	g_autoptr(JsonObject) ctx = NULL;
	g_autoptr(GBytes) csv = NULL;
	g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc(now);
	g_autoptr(GDateTime) local = g_date_time_to_timezone(utc, cfg->tz);
	g_autofree char *filename = g_date_time_format(local, "attendees-%Y-%m-%d.csv");
	g_autofree char *attention_name = g_date_time_format(local, "attention-%Y-%m-%d.csv");
	g_autoptr(GBytes) attention = NULL, workbook = NULL;
	g_autoptr(GPtrArray) columns = csv_attendee_columns(cfg);
	g_autoptr(GError) sheet_error = NULL;
	ComposeAttachment att[] = {
	    {filename, "text/csv", NULL, NULL},
	    {attention_name, "text/csv", NULL, NULL},
	    {"registrations.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	     NULL, NULL},
	};
	guint n_att = G_N_ELEMENTS(att);
	gboolean ok = FALSE;

	/* The workbook is a convenience: without scratch space the digest
	 * still goes, with the CSV. */
	d.xlsx = xlsx_new("registrations", (const char *const *)columns->pdata, columns->len,
			  &sheet_error);
	ctx = digest_build(&d, txn, now, error);
	if (ctx == NULL)
		goto out;
	csv = g_string_free_to_bytes(g_steal_pointer(&d.csv));
	att[0].data = csv;
	attention = attention_csv(json_object_get_object_member(ctx, "attention"));
	att[1].data = attention;
	if (d.xlsx != NULL)
		workbook = xlsx_finish(g_steal_pointer(&d.xlsx), &sheet_error);
	att[2].data = workbook;
	if (workbook == NULL) {
		log_event(LOG_WARNING, "digest-workbook-failed", "error", sheet_error->message, NULL);
		n_att--;
	}
	set_text(ctx, "csv", filename);
	set_text(ctx, "attention_csv", attention_name);
	for (guint i = 0; i < n; i++) {
		g_autoptr(OutboxRow) row = NULL;
		ComposeMail mail = {
		    .kind = "organiser-digest",
		    .lang = d.lang,
		    .ctx = ctx,
		    .to_address = recipients[i],
		    .auto_replied = FALSE,
		    .attachments = att,
		    .n_attachments = n_att,
		};

		row = compose_mail(composer, &mail, now, error);
		if (row == NULL || !store_outbox_add(txn, row, error))
			goto out;
	}
	if (window->scheduled) {
		StoreMark mark = {now, d.last_seq, (char *)"reported"};
		g_autoptr(StoreMark) cursor = NULL;
		GError *e = NULL;

		/* An empty journal since the last digest leaves last_seq 0:
		 * the cursor must not go back. */
		cursor = store_mark_get(txn, DIGEST_CURSOR, &e);
		if (e != NULL) {
			g_propagate_error(error, e);
			goto out;
		}
		if (cursor != NULL)
			mark.value = MAX(mark.value, cursor->value);
		if (!store_mark_put(txn, DIGEST_CURSOR, &mark, error))
			goto out;
	}
	ok = TRUE;
out:
	digest_clear(&d);
	return ok;
}
