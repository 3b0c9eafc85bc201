/* SPDX-License-Identifier: ISC */
/* attention.c: gathers what needs an organiser from the journal, the
 * outbox, the pending confirmations, the waiting lists and the quarantine
 * folder. It reads; the only thing it writes, and only when asked, is the
 * mark that a quarantined message was reported. Each list is cut short
 * with a count, so that a digest stays readable however much goes wrong. */

#include "autoconfig.h"

#include "attention.h"

#include <string.h>

#include "csv.h"
#include "lang.h"
#include "maildir.h"
#include "message.h"

/* At most this many items in each list. */
#define ATTENTION_LIST_MAX 200

#define DAY_SECONDS (24 * 3600)

/* A list being gathered: its items and how many there were. */
typedef struct {
	JsonArray *items;
	guint count;
} List;

typedef struct {
	const Config *cfg;
	const char *lang;
	gint64 now, since;
	List forwarded, errors, refusals, quarantine, bounced, failed, limited, pending;
	/* The last error or refusal of each sender, until a change of their
	 * registration puts it right: address → JsonObject, in @answered's order. */
	GHashTable *answers;
	GPtrArray *answered;
	/* Held answers by recipient: address → JsonObject, in @held's order. */
	GHashTable *limits;
	GPtrArray *held;
	/* When each person asked to wait: "activity\naddress" → gint64 *. */
	GHashTable *asked;
	GPtrArray *pending_rows; /* StorePending * */
} Attention;

static void set_text(JsonObject *o, const char *key, const char *value)
{
	json_object_set_string_member(o, key, value != NULL ? value : "");
}

static void list_add(List *l, JsonObject *o)
{
	l->count++;
	if (json_array_get_length(l->items) < ATTENTION_LIST_MAX)
		json_array_add_object_element(l->items, o);
	else
		json_object_unref(o);
}

static JsonObject *list_json(List *l)
{
	JsonObject *o = json_object_new();

	json_object_set_int_member(o, "count", l->count);
	json_object_set_int_member(o, "more", l->count - json_array_get_length(l->items));
	json_object_set_array_member(o, "items", g_steal_pointer(&l->items));
	return o;
}

char *attention_when(const Config *cfg, const char *lang, gint64 t)
{
	g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc(t);
	g_autoptr(GDateTime) local = g_date_time_to_timezone(utc, cfg->tz);
	g_autofree char *ymd = g_date_time_format(local, "%Y-%m-%d");
	g_autofree char *day = lang_day_label(config_language(cfg, lang), ymd);

	return g_strdup_printf("%s, %02d:%02d", day, g_date_time_get_hour(local),
			       g_date_time_get_minute(local));
}

/* Sets "when" (the label) and "at" (ISO 8601, UTC) of @o to @t. */
static void set_time(const Attention *at, JsonObject *o, gint64 t)
{
	g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc(t);
	g_autofree char *iso = g_date_time_format_iso8601(utc);
	g_autofree char *label = attention_when(at->cfg, at->lang, t);

	set_text(o, "when", label);
	set_text(o, "at", iso);
}

/* Notes, from a journal entry that changed @e->email's waiting list, when
 * they asked for each activity they now wait for. */
static void note_asked(Attention *at, const StoreJournalEntry *e)
{
	for (guint i = 0; i < e->fields->len; i++) {
		g_auto(GStrv) before = NULL, after = NULL;

		if (strcmp(g_ptr_array_index(e->fields, i), "waitlist") != 0)
			continue;
		before = g_strsplit(g_ptr_array_index(e->before, i), ", ", -1);
		after = g_strsplit(g_ptr_array_index(e->after, i), ", ", -1);
		for (guint k = 0; after[k] != NULL; k++) {
			if (*after[k] == '\0' || g_strv_contains((const char *const *)before, after[k]))
				continue;
			g_hash_table_insert(at->asked, g_strconcat(after[k], "\n", e->email, NULL),
					    g_memdup2(&e->when, sizeof e->when));
		}
	}
}

static JsonObject *person_json(const Attention *at, const StoreJournalEntry *e)
{
	JsonObject *o = json_object_new();

	set_text(o, "email", e->email);
	set_text(o, "name", e->name != NULL && *e->name != '\0' ? e->name : e->email);
	set_time(at, o, e->when);
	return o;
}

static JsonObject *answer_json(const Attention *at, const StoreJournalEntry *e)
{
	JsonObject *o = person_json(at, e);
	JsonArray *problems = json_array_new();

	set_text(o, "subject", e->detail);
	set_text(o, "action", e->action);
	for (guint i = 0; i < e->fields->len; i++) {
		JsonObject *p = json_object_new();
		const char *line = g_ptr_array_index(e->before, i);

		set_text(p, "code", g_ptr_array_index(e->fields, i));
		/* Line 0 is the message as a whole: no line to show. */
		if (strcmp(line, "0") != 0)
			set_text(p, "line", line);
		set_text(p, "text", g_ptr_array_index(e->after, i));
		json_array_add_object_element(problems, p);
	}
	json_object_set_array_member(o, "problems", problems);
	return o;
}

static gboolean add_entry(const StoreJournalEntry *e, gpointer data)
{
	Attention *at = data;
	const char *a = e->action;
	gboolean recent = e->when >= at->since && e->when <= at->now;

	note_asked(at, e);
	if (strcmp(a, "registered") == 0 || strcmp(a, "updated") == 0 ||
	    strcmp(a, "cancelled") == 0) {
		/* What was refused or wrong is put right, or is past. */
		g_hash_table_remove(at->answers, e->email);
		return TRUE;
	}
	if (!recent)
		return TRUE;
	if (strcmp(a, "forwarded") == 0) {
		JsonObject *o = person_json(at, e);
		JsonArray *lines = json_array_new();

		set_text(o, "subject", e->detail);
		for (guint i = 0; i < e->after->len; i++)
			json_array_add_string_element(lines, g_ptr_array_index(e->after, i));
		json_object_set_array_member(o, "lines", lines);
		list_add(&at->forwarded, o);
	} else if (strcmp(a, "error") == 0 || strcmp(a, "refused") == 0) {
		g_hash_table_replace(at->answers, g_strdup(e->email), answer_json(at, e));
		g_ptr_array_add(at->answered, g_strdup(e->email));
	} else if (strcmp(a, "limited") == 0) {
		JsonObject *o = g_hash_table_lookup(at->limits, e->email);

		if (o == NULL) {
			o = json_object_new();
			set_text(o, "email", e->email);
			set_time(at, o, e->when);
			set_text(o, "first", json_object_get_string_member(o, "when"));
			g_hash_table_insert(at->limits, g_strdup(e->email), o);
			g_ptr_array_add(at->held, g_strdup(e->email));
		}
		json_object_set_int_member(o, "held",
					   json_object_get_int_member_with_default(o, "held", 0) + 1);
		set_time(at, o, e->when);
	}
	return TRUE;
}

/* Moves the answers not put right to the errors and refusals, each
 * sender once, at their last answer, in the order they were written. */
static void gather_answers(Attention *at)
{
	g_autoptr(GHashTable) last = g_hash_table_new(g_str_hash, g_str_equal);

	for (guint i = 0; i < at->answered->len; i++)
		g_hash_table_insert(last, g_ptr_array_index(at->answered, i), GUINT_TO_POINTER(i));
	for (guint i = 0; i < at->answered->len; i++) {
		const char *email = g_ptr_array_index(at->answered, i);
		JsonObject *o = g_hash_table_lookup(at->answers, email);

		if (o == NULL || GPOINTER_TO_UINT(g_hash_table_lookup(last, email)) != i)
			continue;
		list_add(strcmp(json_object_get_string_member(o, "action"), "refused") == 0
			     ? &at->refusals
			     : &at->errors,
			 json_object_ref(o));
	}
}

static gboolean add_row(const OutboxRow *row, gpointer data)
{
	Attention *at = data;
	JsonObject *o;

	if (row->state != OUTBOX_FAILED || row->updated_at < at->since || row->updated_at > at->now)
		return TRUE;
	o = json_object_new();
	json_object_set_int_member(o, "id", (gint64)row->id);
	set_text(o, "to", row->recipient);
	set_text(o, "kind", row->kind);
	json_object_set_int_member(o, "attempts", row->attempts);
	set_text(o, "reply", row->last_reply);
	set_time(at, o, row->updated_at);
	/* A bounce fails its row after the relay took it: reported apart. */
	list_add(row->bounced ? &at->bounced : &at->failed, o);
	return TRUE;
}

static gboolean add_pending(const StorePending *p, gpointer data)
{
	Attention *at = data;
	StorePending *copy;

	if (p->created_at > at->now - ATTENTION_PENDING_DAYS * DAY_SECONDS || p->expires_at <= at->now)
		return TRUE;
	copy = g_new0(StorePending, 1);
	copy->email = g_strdup(p->email);
	copy->from_name = g_strdup(p->from_name);
	copy->action = g_strdup(p->action);
	copy->created_at = p->created_at;
	g_ptr_array_add(at->pending_rows, copy);
	return TRUE;
}

static gint by_created(gconstpointer pa, gconstpointer pb)
{
	const StorePending *a = *(StorePending *const *)pa, *b = *(StorePending *const *)pb;

	if (a->created_at != b->created_at)
		return a->created_at < b->created_at ? -1 : 1;
	return g_strcmp0(a->email, b->email);
}

static void gather_pending(Attention *at)
{
	g_ptr_array_sort(at->pending_rows, by_created);
	for (guint i = 0; i < at->pending_rows->len; i++) {
		const StorePending *p = g_ptr_array_index(at->pending_rows, i);
		JsonObject *o = json_object_new();

		set_text(o, "email", p->email);
		set_text(o, "name", p->from_name != NULL && *p->from_name != '\0' ? p->from_name
										    : p->email);
		set_text(o, "action", p->action);
		json_object_set_int_member(o, "days", (at->now - p->created_at) / DAY_SECONDS);
		set_time(at, o, p->created_at);
		list_add(&at->pending, o);
	}
}

typedef struct {
	Attention *at;
	StoreTxn *txn;
	const char *activity;
	JsonArray *people;
	GError *error;
} Waiting;

static gboolean add_waiting(const char *email, guint position, gpointer data)
{
	Waiting *w = data;
	g_autofree char *key = g_strconcat(w->activity, "\n", email, NULL);
	const gint64 *asked = g_hash_table_lookup(w->at->asked, key);
	g_autoptr(Attendee) a = NULL;
	JsonObject *o;

	if (position > ATTENTION_LIST_MAX)
		return FALSE;
	a = store_attendee_get(w->txn, email, &w->error);
	if (w->error != NULL)
		return FALSE;
	o = json_object_new();
	json_object_set_int_member(o, "position", position);
	set_text(o, "email", email);
	set_text(o, "name", a != NULL && a->name != NULL ? a->name : email);
	/* A list older than the journal's account of it: the registration's
	 * last change is the latest they can have asked. */
	set_time(w->at, o, asked != NULL ? *asked : a != NULL ? a->updated_at : 0);
	json_array_add_object_element(w->people, o);
	return TRUE;
}

static gboolean gather_waiting(Attention *at, StoreTxn *txn, JsonObject *into, GError **error)
{
	JsonArray *items = json_array_new();
	guint lists = 0;

	json_object_set_array_member(into, "items", items);
	for (guint i = 0; i < at->cfg->activities->len; i++) {
		const ConfigActivity *act = g_ptr_array_index(at->cfg->activities, i);
		Waiting w = {at, txn, act->id, json_array_new(), NULL};
		StorePlaces p;
		JsonObject *o;
		g_autofree char *day = NULL;

		if (!store_places_get(txn, act->id, &p, error) ||
		    !store_waiting_foreach(txn, act->id, add_waiting, &w, error)) {
			json_array_unref(w.people);
			return FALSE;
		}
		if (w.error != NULL) {
			json_array_unref(w.people);
			g_propagate_error(error, w.error);
			return FALSE;
		}
		if (json_array_get_length(w.people) == 0) {
			json_array_unref(w.people);
			continue;
		}
		lists++;
		day = lang_day_label(config_language(at->cfg, at->lang), act->day);
		o = json_object_new();
		set_text(o, "id", act->id);
		set_text(o, "title", act->title);
		set_text(o, "day_label", day);
		json_object_set_int_member(o, "capacity", act->capacity);
		json_object_set_int_member(o, "waiting", MAX(p.waiting, json_array_get_length(w.people)));
		json_object_set_int_member(o, "more", MAX(p.waiting, json_array_get_length(w.people)) -
							  json_array_get_length(w.people));
		json_object_set_array_member(o, "people", w.people);
		json_array_add_object_element(items, o);
	}
	json_object_set_int_member(into, "count", lists);
	json_object_set_int_member(into, "more", 0);
	return TRUE;
}

/* Lists the quarantine's new/ folder: who wrote each message, its subject
 * and date, why it could not be read, and the command that releases it. */
static gboolean gather_quarantine(Attention *at, StoreTxn *txn, gboolean mark, JsonObject *into,
				  GError **error)
{
	const Config *cfg = at->cfg;
	g_autofree char *folder = g_build_filename(cfg->quarantine_dir, "new", NULL);
	g_autoptr(GPtrArray) names = NULL;
	guint fresh = 0;

	set_text(into, "folder", cfg->quarantine_dir);
	if (g_file_test(folder, G_FILE_TEST_IS_DIR)) {
		g_autoptr(GError) local = NULL;

		names = maildir_list_new(cfg->quarantine_dir, &local);
		if (names == NULL)
			/* The digest still goes: it says the folder is unreadable. */
			set_text(into, "error", local->message);
	}
	for (guint i = 0; names != NULL && i < names->len; i++) {
		const char *name = g_ptr_array_index(names, i);
		g_autofree char *key = g_strconcat("quarantine/", name, NULL);
		g_autofree char *path = g_build_filename(folder, name, NULL);
		g_autofree char *from = NULL, *subject = NULL, *date = NULL, *release = NULL;
		g_autoptr(StoreMark) seen = NULL;
		g_autoptr(GError) why = NULL;
		g_autoptr(Message) msg = NULL;
		GError *local = NULL;
		JsonObject *o;

		seen = store_mark_get(txn, key, &local);
		if (local != NULL) {
			g_propagate_error(error, local);
			return FALSE;
		}
		if (seen == NULL) {
			fresh++;
			if (mark) {
				StoreMark m = {at->now, 0, (char *)"reported"};

				if (!store_mark_put(txn, key, &m, error))
					return FALSE;
			}
		}
		if (at->quarantine.count >= ATTENTION_LIST_MAX) {
			at->quarantine.count++;
			continue;
		}
		o = json_object_new();
		set_text(o, "file", name);
		json_object_set_boolean_member(o, "new", seen == NULL);
		if (!message_peek_file(path, &from, &subject, &date, &why)) {
			set_text(o, "reason", why->message);
			list_add(&at->quarantine, o);
			continue;
		}
		/* Read again as intake read it, it fails for the same reason. */
		msg = message_read_file(path, cfg->max_message_size, cfg->event_address, &why);
		set_text(o, "from", from);
		set_text(o, "subject", subject);
		set_text(o, "date", date);
		set_text(o, "reason", why != NULL ? why->message : "");
		release = g_strdup_printf("convenectl release %s", name);
		set_text(o, "release", release);
		list_add(&at->quarantine, o);
	}
	json_object_set_int_member(into, "new", fresh);
	return TRUE;
}

static void attention_clear(Attention *at)
{
	List *lists[] = {&at->forwarded, &at->errors,  &at->refusals, &at->quarantine,
			 &at->bounced,	 &at->failed, &at->limited,  &at->pending};

	for (guint i = 0; i < G_N_ELEMENTS(lists); i++)
		g_clear_pointer(&lists[i]->items, json_array_unref);
	g_clear_pointer(&at->answers, g_hash_table_unref);
	g_clear_pointer(&at->answered, g_ptr_array_unref);
	g_clear_pointer(&at->limits, g_hash_table_unref);
	g_clear_pointer(&at->held, g_ptr_array_unref);
	g_clear_pointer(&at->asked, g_hash_table_unref);
	g_clear_pointer(&at->pending_rows, g_ptr_array_unref);
}

JsonObject *attention_build(StoreTxn *txn, const Config *cfg, const char *lang, gint64 now,
			    gboolean mark, GError **error)
{
	Attention at = {
	    .cfg = cfg,
	    .lang = lang,
	    .now = now,
	    .since = now - ATTENTION_DAYS * DAY_SECONDS,
	    .answers = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					     (GDestroyNotify)json_object_unref),
	    .answered = g_ptr_array_new_with_free_func(g_free),
	    .limits = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					    (GDestroyNotify)json_object_unref),
	    .held = g_ptr_array_new_with_free_func(g_free),
	    .asked = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free),
	    .pending_rows = g_ptr_array_new_with_free_func((GDestroyNotify)store_pending_free),
	};
	List *lists[] = {&at.forwarded, &at.errors,  &at.refusals, &at.quarantine,
			 &at.bounced,	&at.failed, &at.limited,  &at.pending};
	const char *names[] = {"forwarded", "errors",	"refusals", "quarantine",
			       "bounced",   "failed", "limited",  "pending"};
	g_autoptr(JsonObject) o = json_object_new();
	g_autoptr(JsonObject) quarantine = json_object_new();
	g_autoptr(JsonObject) waiting = json_object_new();
	JsonObject *result = NULL;
	gboolean any = FALSE;

	for (guint i = 0; i < G_N_ELEMENTS(lists); i++)
		lists[i]->items = json_array_new();
	if (!store_journal_foreach(txn, 0, add_entry, &at, error) ||
	    !store_outbox_foreach(txn, add_row, &at, error) ||
	    !store_pending_foreach(txn, add_pending, &at, error) ||
	    !gather_quarantine(&at, txn, mark, quarantine, error) ||
	    !gather_waiting(&at, txn, waiting, error))
		goto out;
	gather_answers(&at);
	gather_pending(&at);
	for (guint i = 0; i < at.held->len; i++) {
		JsonObject *h = g_hash_table_lookup(at.limits, g_ptr_array_index(at.held, i));

		list_add(&at.limited, json_object_ref(h));
	}
	for (guint i = 0; i < G_N_ELEMENTS(lists); i++) {
		JsonObject *l;

		any = any || lists[i]->count > 0;
		if (lists[i] == &at.quarantine) {
			json_object_set_int_member(quarantine, "count", at.quarantine.count);
			json_object_set_int_member(
			    quarantine, "more",
			    at.quarantine.count - json_array_get_length(at.quarantine.items));
			json_object_set_array_member(quarantine, "items",
						     g_steal_pointer(&at.quarantine.items));
			any = any || json_object_has_member(quarantine, "error");
			json_object_set_object_member(o, names[i], g_steal_pointer(&quarantine));
			continue;
		}
		l = list_json(lists[i]);
		json_object_set_object_member(o, names[i], l);
	}
	any = any || json_object_get_int_member(waiting, "count") > 0;
	json_object_set_object_member(o, "waiting", g_steal_pointer(&waiting));
	json_object_set_boolean_member(o, "any", any);
	result = g_steal_pointer(&o);
out:
	attention_clear(&at);
	return result;
}

gboolean attention_release(const Config *cfg, const char *file, char **name_out, GError **error)
{
	g_autofree char *name = g_path_get_basename(file);
	g_autofree char *path = g_build_filename(cfg->quarantine_dir, "new", name, NULL);

	if (*name == '.' || !g_file_test(path, G_FILE_TEST_IS_REGULAR)) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NOENT, "no message %s in %s/new", name,
			    cfg->quarantine_dir);
		return FALSE;
	}
	if (!maildir_create(cfg->intake_dir, error) ||
	    !maildir_move_new(cfg->quarantine_dir, name, cfg->intake_dir, error))
		return FALSE;
	if (name_out != NULL)
		*name_out = g_steal_pointer(&name);
	return TRUE;
}

/* Joins member @key of each object (or each string) of array @arr. */
static char *join_member(JsonArray *arr, const char *key, const char *sep)
{
	g_autoptr(GPtrArray) parts = g_ptr_array_new();

	for (guint i = 0; arr != NULL && i < json_array_get_length(arr); i++) {
		JsonNode *node = json_array_get_element(arr, i);

		if (JSON_NODE_HOLDS_OBJECT(node))
			g_ptr_array_add(parts, (gpointer)json_object_get_string_member_with_default(
						   json_node_get_object(node), key, ""));
		else
			g_ptr_array_add(parts, (gpointer)json_node_get_string(node));
	}
	g_ptr_array_add(parts, NULL);
	return g_strjoinv(sep, (char **)parts->pdata);
}

static const char *member(JsonObject *o, const char *key)
{
	return json_object_get_string_member_with_default(o, key, "");
}

static char *int_member(JsonObject *o, const char *key)
{
	return g_strdup_printf("%" G_GINT64_FORMAT, json_object_get_int_member_with_default(o, key, 0));
}

/* Appends the record of item @o of list @list to @out. */
static void csv_item(GString *out, const char *list, JsonObject *o)
{
	g_autofree char *detail = NULL, *action = NULL;
	const char *email = member(o, "email"), *at = member(o, "at"), *subject = member(o, "subject");

	if (strcmp(list, "forwarded") == 0) {
		detail = join_member(json_object_get_array_member(o, "lines"), NULL, " / ");
	} else if (strcmp(list, "errors") == 0 || strcmp(list, "refusals") == 0) {
		detail = join_member(json_object_get_array_member(o, "problems"), "text", "; ");
	} else if (strcmp(list, "quarantine") == 0) {
		email = member(o, "from");
		at = member(o, "date");
		detail = g_strdup(member(o, "reason"));
		action = g_strdup(member(o, "release"));
	} else if (strcmp(list, "bounced") == 0 || strcmp(list, "failed") == 0) {
		g_autofree char *id = int_member(o, "id");

		email = member(o, "to");
		subject = member(o, "kind");
		detail = g_strdup(member(o, "reply"));
		action = g_strdup_printf("convenectl retry %s", id);
	} else if (strcmp(list, "limited") == 0) {
		detail = int_member(o, "held");
	} else if (strcmp(list, "pending") == 0) {
		detail = int_member(o, "days");
	}
	{
		const char *cells[] = {list, email, member(o, "name"), at, subject, detail, action};

		csv_append_record(out, cells, G_N_ELEMENTS(cells));
	}
}

GBytes *attention_csv(JsonObject *att)
{
	static const char *const lists[] = {"forwarded", "errors", "refusals", "quarantine",
					    "bounced",	 "failed", "limited",  "pending"};
	static const char *const header[] = {"list",	"email",  "name", "at",
					     "subject", "detail", "action"};
	GString *out = g_string_new("\xEF\xBB\xBF");
	JsonArray *waiting = json_object_get_array_member(
	    json_object_get_object_member(att, "waiting"), "items");

	csv_append_record(out, header, G_N_ELEMENTS(header));
	for (guint i = 0; i < G_N_ELEMENTS(lists); i++) {
		JsonArray *items =
		    json_object_get_array_member(json_object_get_object_member(att, lists[i]), "items");

		for (guint k = 0; k < json_array_get_length(items); k++)
			csv_item(out, lists[i], json_array_get_object_element(items, k));
	}
	/* A waiting list: the activity as subject, the place as detail. */
	for (guint i = 0; i < json_array_get_length(waiting); i++) {
		JsonObject *list = json_array_get_object_element(waiting, i);
		JsonArray *people = json_object_get_array_member(list, "people");

		for (guint k = 0; k < json_array_get_length(people); k++) {
			JsonObject *p = json_array_get_object_element(people, k);
			g_autofree char *position = int_member(p, "position");
			const char *cells[] = {"waiting",	    member(p, "email"),
					       member(p, "name"),   member(p, "at"),
					       member(list, "id"),  position,
					       ""};

			csv_append_record(out, cells, G_N_ELEMENTS(cells));
		}
	}
	return g_string_free_to_bytes(out);
}
