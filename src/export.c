/* SPDX-License-Identifier: ISC */
/* export.c: JSON out of the store, written with json-glib. Read-only: it
 * never begins a write transaction. */

#include "autoconfig.h"

#include "export.h"

#include "field.h"
#include "text.h"

#include <errno.h>

char *export_time(const Config *cfg, gint64 t)
{
	g_autoptr(GDateTime) utc = NULL, local = NULL;

	if (t == 0)
		return g_strdup("");
	utc = g_date_time_new_from_unix_utc(t);
	local = g_date_time_to_timezone(utc, cfg->tz);
	return g_date_time_format(local, "%Y-%m-%dT%H:%M:%S%:z");
}

static void set_string(JsonObject *o, const char *key, const char *value)
{
	json_object_set_string_member(o, key, value != NULL ? value : "");
}

static void set_list(JsonObject *o, const char *key, const GPtrArray *list)
{
	JsonArray *a = json_array_sized_new(list->len);

	for (guint i = 0; i < list->len; i++)
		json_array_add_string_element(a, g_ptr_array_index(list, i));
	json_object_set_array_member(o, key, a);
}

static void set_time(JsonObject *o, const char *key, const Config *cfg, gint64 t)
{
	g_autofree char *s = export_time(cfg, t);

	json_object_set_string_member(o, key, s);
}

/* A configured field's value as JSON of its type: yes-no a boolean, a
 * number a number, multi-choice an array, the rest text. An answer whose
 * field is no longer configured is kept as its text. */
static JsonNode *answer_json(const Field *f, const char *const *values)
{
	JsonNode *node = json_node_alloc();
	guint n = g_strv_length((char **)values);

	if ((f != NULL && f->type == FIELD_MULTI_CHOICE) || (f == NULL && n > 1)) {
		JsonArray *a = json_array_sized_new(n);

		for (guint i = 0; i < n; i++)
			json_array_add_string_element(a, values[i]);
		/* The node takes a reference of its own. */
		json_node_init_array(node, a);
		json_array_unref(a);
		return node;
	}
	if (f != NULL && f->type == FIELD_YES_NO)
		return json_node_init_boolean(node, g_strcmp0(values[0], "yes") == 0);
	if (f != NULL && f->type == FIELD_NUMBER && values[0] != NULL) {
		char *end;
		gint64 i = g_ascii_strtoll(values[0], &end, 10);

		if (*end == '\0')
			return json_node_init_int(node, i);
		return json_node_init_double(node, g_ascii_strtod(values[0], NULL));
	}
	return json_node_init_string(node, values[0] != NULL ? values[0] : "");
}

static JsonObject *answers_json(const Config *cfg, const Attendee *a)
{
	JsonObject *o = json_object_new();
	g_autoptr(GList) ids = g_list_sort(g_hash_table_get_keys(a->answers), (GCompareFunc)strcmp);

	/* Configured fields in their order, then any the configuration lost. */
	for (guint i = 0; i < cfg->fields->len; i++) {
		const Field *f = g_ptr_array_index(cfg->fields, i);
		const char *const *values = g_hash_table_lookup(a->answers, f->id);

		if ((f->flags & FIELD_BUILTIN) == 0 && values != NULL)
			json_object_set_member(o, f->id, answer_json(f, values));
	}
	for (GList *id = ids; id != NULL; id = id->next)
		if (!json_object_has_member(o, id->data))
			json_object_set_member(o, id->data,
					       answer_json(NULL, g_hash_table_lookup(a->answers, id->data)));
	return o;
}

JsonObject *export_attendee(const Config *cfg, const Attendee *a)
{
	JsonObject *o = json_object_new();

	for (guint i = 0; i < cfg->fields->len; i++) {
		const Field *f = g_ptr_array_index(cfg->fields, i);

		if ((f->flags & FIELD_BUILTIN) == 0)
			continue;
		/* The answers come where the configured fields begin. */
		if (f->type == FIELD_TIME && !json_object_has_member(o, "answers"))
			json_object_set_object_member(o, "answers", answers_json(cfg, a));
		if (f->type == FIELD_TIME) {
			set_time(o, f->id, cfg, *(const gint64 *)((const char *)a + f->member));
		} else if (field_is_list(f)) {
			g_autoptr(GPtrArray) values = field_get(f, a);

			set_list(o, f->id, values);
		} else {
			g_autofree char *value = field_get_text(f, a);

			set_string(o, f->id, value);
		}
	}
	return o;
}

JsonObject *export_outbox_row(const Config *cfg, const OutboxRow *row)
{
	JsonObject *o = json_object_new();

	json_object_set_int_member(o, "id", (gint64)row->id);
	set_string(o, "state", outbox_state_to_string(row->state));
	set_string(o, "kind", row->kind);
	set_string(o, "recipient", row->recipient);
	set_string(o, "sender", row->sender);
	set_string(o, "message_id", row->message_id);
	json_object_set_int_member(o, "attempts", row->attempts);
	set_time(o, "created_at", cfg, row->created_at);
	set_time(o, "updated_at", cfg, row->updated_at);
	set_time(o, "next_try_at", cfg, row->state == OUTBOX_QUEUED ? row->next_try_at : 0);
	json_object_set_boolean_member(o, "bounced", row->bounced);
	if (row->last_reply != NULL)
		set_string(o, "last_reply", row->last_reply);
	else
		json_object_set_null_member(o, "last_reply");
	return o;
}

gboolean export_write_node(JsonNode *node, FILE *out, GError **error)
{
	g_autoptr(JsonGenerator) gen = json_generator_new();
	g_autofree char *text = NULL;

	json_generator_set_pretty(gen, TRUE);
	json_generator_set_indent(gen, 2);
	json_generator_set_root(gen, node);
	text = json_generator_to_data(gen, NULL);
	if (fputs(text, out) == EOF || fputc('\n', out) == EOF || fflush(out) != 0) {
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
			    "cannot write output: %s", g_strerror(errno));
		return FALSE;
	}
	return TRUE;
}

typedef struct {
	const Config *cfg;
	JsonArray *array;
	int state; /* outbox rows: only those in this state; -1 for every row */
} Collect;

static gboolean collect_attendee(const Attendee *a, gpointer data)
{
	Collect *c = data;

	json_array_add_object_element(c->array, export_attendee(c->cfg, a));
	return TRUE;
}

static gboolean collect_row(const OutboxRow *row, gpointer data)
{
	Collect *c = data;

	if (c->state < 0 || (int)row->state == c->state)
		json_array_add_object_element(c->array, export_outbox_row(c->cfg, row));
	return TRUE;
}

static gboolean export_all(const Config *cfg, Store *store, gboolean outbox, int state, FILE *out,
			   GError **error)
{
	g_autoptr(JsonNode) root = json_node_new(JSON_NODE_ARRAY);
	Collect c = {cfg, json_array_new(), state};
	GError *local = NULL;
	StoreTxn *txn;
	gboolean ok;

	json_node_take_array(root, c.array);
	txn = store_read_begin(store, error);
	if (txn == NULL)
		return FALSE;
	ok = outbox ? store_outbox_foreach(txn, collect_row, &c, &local)
		    : store_attendee_foreach(txn, collect_attendee, &c, &local);
	store_read_end(txn);
	/* Damaged records are left out and named: the others are written all
	 * the same. */
	if (!ok && !g_error_matches(local, STORE_ERROR, STORE_ERROR_CORRUPT) &&
	    !g_error_matches(local, STORE_ERROR, STORE_ERROR_VERSION)) {
		g_propagate_error(error, local);
		return FALSE;
	}
	if (!export_write_node(root, out, error)) {
		g_clear_error(&local);
		return FALSE;
	}
	if (local != NULL) {
		g_propagate_error(error, local);
		return FALSE;
	}
	return TRUE;
}

gboolean export_attendees_json(const Config *cfg, Store *store, FILE *out, GError **error)
{
	return export_all(cfg, store, FALSE, -1, out, error);
}

gboolean export_queue_json(const Config *cfg, Store *store, int state, FILE *out, GError **error)
{
	return export_all(cfg, store, TRUE, state, out, error);
}

typedef struct {
	guint by_status[ATTENDEE_CANCELLED + 1];
	guint by_state[OUTBOX_FAILED + 1];
	guint bounced;
} Counts;

static gboolean count_attendee(const Attendee *a, gpointer data)
{
	((Counts *)data)->by_status[a->status]++;
	return TRUE;
}

static gboolean count_row(const OutboxRow *row, gpointer data)
{
	((Counts *)data)->by_state[row->state]++;
	((Counts *)data)->bounced += row->bounced;
	return TRUE;
}

static guint count_files(const char *dir)
{
	g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
	guint n = 0;

	while (d != NULL && g_dir_read_name(d) != NULL)
		n++;
	return n;
}

JsonObject *export_stats(const Config *cfg, Store *store, GError **error)
{
	g_autoptr(JsonObject) o = json_object_new();
	JsonObject *attendees = json_object_new(), *outbox = json_object_new();
	JsonArray *activities = json_array_new();
	g_autofree char *quarantine = g_build_filename(cfg->quarantine_dir, "new", NULL);
	Counts c = {{0}, {0}, 0};
	guint current = 0, older = 0;
	StoreTxn *txn;
	gboolean ok;

	json_object_set_object_member(o, "attendees", attendees);
	json_object_set_array_member(o, "activities", activities);
	json_object_set_object_member(o, "outbox", outbox);
	txn = store_read_begin(store, error);
	if (txn == NULL)
		return NULL;
	ok = store_attendee_foreach(txn, count_attendee, &c, error) &&
	     store_outbox_foreach(txn, count_row, &c, error) &&
	     store_attendee_formats(txn, &current, &older, error);
	for (guint i = 0; ok && i < cfg->activities->len; i++) {
		const ConfigActivity *act = g_ptr_array_index(cfg->activities, i);
		JsonObject *a = json_object_new();
		StorePlaces p = {0, 0, 0};

		ok = store_places_get(txn, act->id, &p, error);
		json_object_set_string_member(a, "id", act->id);
		json_object_set_int_member(a, "taken", p.taken);
		json_object_set_int_member(a, "capacity", act->capacity);
		json_object_set_int_member(a, "waiting", p.waiting);
		json_array_add_object_element(activities, a);
	}
	store_read_end(txn);
	if (!ok)
		return NULL;
	for (int st = ATTENDEE_PENDING; st <= ATTENDEE_CANCELLED; st++)
		json_object_set_int_member(attendees, attendee_status_to_string(st), c.by_status[st]);
	for (int st = OUTBOX_QUEUED; st <= OUTBOX_FAILED; st++)
		json_object_set_int_member(outbox, outbox_state_to_string(st), c.by_state[st]);
	json_object_set_int_member(outbox, "bounced", c.bounced);
	json_object_set_int_member(o, "quarantined", count_files(quarantine));
	{
		JsonObject *records = json_object_new();

		json_object_set_int_member(records, "current_format", current);
		json_object_set_int_member(records, "older_format", older);
		json_object_set_object_member(o, "attendee_records", records);
	}
	return g_steal_pointer(&o);
}
