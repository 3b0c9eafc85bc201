/* SPDX-License-Identifier: ISC */
/* register.c: registrations as people write them. A request with any
 * problem changes nothing; a registration is checked whole (required
 * fields, overlaps, the deadline) before it is stored, and places are
 * taken in the same transaction. Every field is handled through the field
 * table: nothing here names a field but the few with a rule of their own
 * (the address that keys a registration, activities and their days). */

#include "autoconfig.h"

#include "register.h"

#include <string.h>

#include "confirm.h"
#include "journal.h"
#include "lang.h"
#include "places.h"

static int compare_str(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Applies the fields @f gives to @a, and nothing else. Activities asked
 * for replace both the places held and those waited for. */
static void apply_fields(const Config *cfg, Attendee *a, const RequestFields *f)
{
	GHashTableIter it;
	gpointer id, values;

	g_hash_table_iter_init(&it, f->values);
	while (g_hash_table_iter_next(&it, &id, &values)) {
		const Field *field = config_field(cfg, id);

		/* The address names whose registration it is; it is no value. */
		if (field == NULL || strcmp(field->id, "email") == 0 ||
		    (field->flags & FIELD_WRITABLE) == 0)
			continue;
		field_set(field, a, values);
		if (field->type == FIELD_ACTIVITIES)
			g_ptr_array_set_size(a->waitlist, 0);
	}
}

/* Makes every chosen activity's day one of @a's days: added with a note
 * when the person listed days themselves. */
static void complete_days(const Config *cfg, Attendee *a, Request *req, gboolean days_given)
{
	for (guint i = 0; i < a->activities->len + a->waitlist->len; i++) {
		const char *id = i < a->activities->len
				     ? g_ptr_array_index(a->activities, i)
				     : g_ptr_array_index(a->waitlist, i - a->activities->len);
		const ConfigActivity *act = config_activity_find(cfg, id);

		if (act == NULL || attendee_list_has(a->days, act->day))
			continue;
		g_ptr_array_add(a->days, g_strdup(act->day));
		if (days_given) {
			const char *choice[] = {act->id, NULL};

			request_add_problem(req->notes, 0, "day-added", act->day, choice);
		}
	}
	g_ptr_array_sort(a->days, compare_str);
}

/* Adds a problem for each required field @a lacks; @who names the person
 * in a delegation (NULL for the sender). */
static void check_required(const Config *cfg, Request *req, const Attendee *a, guint line,
			   const char *who, const char *lang)
{
	const Language *l = config_language(cfg, lang);

	for (guint i = 0; i < cfg->fields->len; i++) {
		const Field *f = g_ptr_array_index(cfg->fields, i);
		g_autoptr(GPtrArray) values = NULL;
		g_autofree char *label = NULL;
		gboolean missing;

		if ((f->flags & FIELD_REQUIRED) == 0 || !field_applies(f, a))
			continue;
		values = field_get(f, a);
		/* Waiting for a place is asking for an activity. */
		missing = values->len == 0 && !(f->type == FIELD_ACTIVITIES && a->waitlist->len > 0);
		if (!missing)
			continue;
		label = who != NULL ? g_strdup_printf("%s (%s)", field_label(f, l), who)
				    : g_strdup(field_label(f, l));
		request_add_field_problem(req->problems, line, "missing-field", f->id, label, NULL);
	}
}

/* Adds a problem for each pair of chosen activities that run at the same
 * time: nobody can be at both. */
static void check_overlaps(const Config *cfg, Request *req, const Attendee *a, guint line)
{
	g_autoptr(GPtrArray) all = g_ptr_array_new();

	for (guint i = 0; i < a->activities->len; i++)
		g_ptr_array_add(all, g_ptr_array_index(a->activities, i));
	for (guint i = 0; i < a->waitlist->len; i++)
		g_ptr_array_add(all, g_ptr_array_index(a->waitlist, i));
	for (guint i = 0; i < all->len; i++) {
		const ConfigActivity *x = config_activity_find(cfg, g_ptr_array_index(all, i));

		for (guint k = i + 1; x != NULL && k < all->len; k++) {
			const ConfigActivity *y = config_activity_find(cfg, g_ptr_array_index(all, k));
			const char *pair[] = {x->id, y != NULL ? y->id : NULL, NULL};

			/* "HH:MM" strings compare as times do. */
			if (y == NULL || strcmp(x->day, y->day) != 0 || strcmp(x->start, y->end) >= 0 ||
			    strcmp(y->start, x->end) >= 0)
				continue;
			request_add_problem(req->problems, line, "overlap", x->day, pair);
		}
	}
}

/* A message counts when it reached us, or at convene's clock if that is
 * earlier (as it is under --now): not when it happens to be read. */
static gboolean deadline_passed(const Config *cfg, const Message *msg, gint64 now)
{
	gint64 at = msg->received_at > 0 ? MIN(msg->received_at, now) : now;

	return cfg->registration_deadline > 0 && at > cfg->registration_deadline;
}

gboolean register_event_over(const Config *cfg, gint64 now)
{
	const ConfigDay *last = g_ptr_array_index(cfg->days, cfg->days->len - 1);
	g_autoptr(GDateTime) end =
	    g_date_time_new(cfg->tz, g_date_get_year(&last->gdate), g_date_get_month(&last->gdate),
			    g_date_get_day(&last->gdate), 0, 0, 0);
	g_autoptr(GDateTime) after = end != NULL ? g_date_time_add_days(end, 1) : NULL;

	return after != NULL && now >= g_date_time_to_unix(after);
}

/* Returns the registration @email would have after @r's request (common
 * lines, then @person's block if any). *@update says whether a
 * registration existed; a pending one does not count. */
static Attendee *planned_registration(Reply *r, const char *email, const Attendee *existing,
				      const RequestFields *person, gboolean *update)
{
	const Config *cfg = r->ctx->cfg;
	Request *req = r->req;
	Attendee *a;
	const char *lang;

	*update = existing != NULL && existing->status == ATTENDEE_CONFIRMED;
	if (*update) {
		a = attendee_copy(existing);
		/* Once they change it themselves, it is theirs alone. */
		if (strcmp(email, r->msg->from_address) == 0)
			g_clear_pointer(&a->registered_by, g_free);
	} else {
		a = attendee_new();
		a->email = g_strdup(email);
		a->registered_at = r->ctx->now;
		if (strcmp(email, r->msg->from_address) != 0)
			a->registered_by = g_strdup(r->msg->from_address);
	}
	a->status = ATTENDEE_CONFIRMED;
	apply_fields(cfg, a, &req->fields);
	if (person != NULL)
		apply_fields(cfg, a, person);
	complete_days(cfg, a, req,
		      request_fields_get(&req->fields, "days") != NULL ||
			  (person != NULL && request_fields_get(person, "days") != NULL));
	lang = person != NULL ? request_fields_text(person, "language") : NULL;
	if (a->language == NULL)
		a->language = g_strdup(lang != NULL ? lang : r->lang);
	a->updated_at = r->ctx->now;
	return a;
}

/* Checks what may block a new registration or a change, adding problems.
 * Organisers register anyone, closed or past the deadline. */
static void check_registration(Reply *r, const Attendee *a, gboolean update, guint line,
			       const char *who)
{
	const Config *cfg = r->ctx->cfg;

	if (!update && !r->organiser && cfg->policy == CONFIG_POLICY_CLOSED)
		request_add_problem(r->req->problems, line, "registration-closed", cfg->event_name,
				    NULL);
	else if (!update && !r->organiser && deadline_passed(cfg, r->msg, r->ctx->now))
		request_add_problem(r->req->problems, line, "deadline-passed", cfg->event_name, NULL);
	else if (register_event_over(cfg, r->ctx->now))
		request_add_problem(r->req->problems, line, "event-over", cfg->event_name, NULL);
	check_required(cfg, r->req, a, line, who, r->lang);
	check_overlaps(cfg, r->req, a, line);
}

/* Tells each person promoted from a waiting list, in the transaction that
 * promoted them. */
static gboolean notify_promoted(Reply *r, GPtrArray *promoted, GError **error)
{
	for (guint i = 0; i < promoted->len; i++) {
		g_autoptr(Attendee) p = NULL;
		GError *e = NULL;

		p = store_attendee_get(r->txn, g_ptr_array_index(promoted, i), &e);
		if (e != NULL) {
			g_propagate_error(error, e);
			return FALSE;
		}
		if (p != NULL && !reply_notify(r, "promoted", p, NULL, error))
			return FALSE;
	}
	return TRUE;
}

/* Stores @a in place of @before, taking and giving up places, and tells
 * whoever was promoted. Activities @a may not attend become notes. Sets
 * *@waiting when @a now waits for a place it did not wait for before. */
static gboolean commit_registration(Reply *r, const Attendee *before, Attendee *a,
				    gboolean *waiting, GError **error)
{
	const Config *cfg = r->ctx->cfg;
	g_autoptr(GPtrArray) refused = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GPtrArray) promoted = g_ptr_array_new_with_free_func(g_free);

	if (!places_reconcile(r->txn, cfg, before, a, r->ctx->now, refused, promoted, error))
		return FALSE;
	for (guint i = 0; i < refused->len; i++) {
		const ConfigActivity *act = config_activity_find(cfg, g_ptr_array_index(refused, i));

		request_add_problem(r->req->notes, 0, "not-eligible", act->id,
				    (const char *const *)act->countries);
	}
	*waiting = FALSE;
	for (guint i = 0; i < a->waitlist->len; i++)
		if (before == NULL || before->status != ATTENDEE_CONFIRMED ||
		    !attendee_list_has(before->waitlist, g_ptr_array_index(a->waitlist, i)))
			*waiting = TRUE;
	if (!store_attendee_put(r->txn, a, error) ||
	    !journal_note_change(r->txn, cfg, before, a, r->ctx->now, error))
		return FALSE;
	r->outcome->people++;
	return notify_promoted(r, promoted, error);
}

/* TRUE when @a holds what @b holds, field by field (times apart). */
static gboolean same_registration(const Config *cfg, const Attendee *a, const Attendee *b)
{
	if (a->status != b->status)
		return FALSE;
	for (guint i = 0; i < cfg->fields->len; i++) {
		const Field *f = g_ptr_array_index(cfg->fields, i);
		g_autofree char *x = NULL, *y = NULL;

		if (f->type == FIELD_TIME)
			continue;
		x = field_get_text(f, a);
		y = field_get_text(f, b);
		if (strcmp(x, y) != 0)
			return FALSE;
	}
	return TRUE;
}

static void add_changes(JsonObject *ctx, gpointer data)
{
	json_object_set_array_member(ctx, "changes", data);
	json_object_set_boolean_member(ctx, "has_changes", json_array_get_length(data) > 0);
}

gboolean register_form(Reply *r, Attendee *existing, GError **error)
{
	Request *req = r->req;
	g_autoptr(Attendee) a = NULL;
	JsonArray *changes;
	gboolean update, waiting;
	const char *kind;

	if (req->command == COMMAND_UPDATE &&
	    (existing == NULL || existing->status != ATTENDEE_CONFIRMED)) {
		request_add_problem(req->problems, 0, "not-registered", r->outcome->email, NULL);
		return reply_error(r, existing, error);
	}
	a = planned_registration(r, r->outcome->email, existing, NULL, &update);
	check_registration(r, a, update, 0, NULL);
	if (req->problems->len > 0)
		/* Nothing changes: the answer shows what is stored, if anything. */
		return reply_error(r, existing, error);
	if (!update && confirm_needed(r)) {
		/* A pending registration holds no place: the request shows what
		 * it asks for, not what is stored until it is confirmed. */
		g_autoptr(Attendee) asked = attendee_copy(a);

		a->status = ATTENDEE_PENDING;
		if (!commit_registration(r, existing, a, &waiting, error))
			return FALSE;
		asked->status = ATTENDEE_PENDING;
		return confirm_ask(r, "register", asked, error);
	}
	if (update && same_registration(r->ctx->cfg, existing, a)) {
		/* A form that repeats what is stored: nothing moves, not even
		 * updated_at, and the answer says so. */
		r->outcome->action = "unchanged";
		return reply_to_sender(r, "unchanged", existing, error);
	}
	if (!commit_registration(r, existing, a, &waiting, error))
		return FALSE;
	r->outcome->action = update ? "updated" : "registered";
	kind = waiting ? "waitlisted" : r->outcome->action;
	if (!update)
		return reply_to_sender(r, kind, a, error);
	changes = context_changes(r->ctx->cfg, existing, a, r->lang);
	return reply_to_sender_with(r, kind, a, add_changes, changes, error);
}

/* A delegation's member registered by someone else: not changed, but
 * asked at their own address; the leader's summary says so, and shows
 * only the address the leader wrote. */
static gboolean ask_member(Reply *r, const Attendee *existing, const RequestFields *p,
			   JsonArray *people, GError **error)
{
	g_autoptr(Attendee) shown = NULL;
	JsonObject *entry;
	gboolean update;

	shown = planned_registration(r, existing->email, existing, p, &update);
	if (!confirm_ask_owner(r, "update", existing, shown, error))
		return FALSE;
	entry = json_object_new();
	json_object_set_string_member(entry, "email", existing->email);
	json_object_set_boolean_member(entry, "asked", TRUE);
	json_array_add_object_element(people, entry);
	return TRUE;
}

gboolean register_delegation(Reply *r, GError **error)
{
	Request *req = r->req;
	g_autoptr(JsonObject) summary = NULL;
	g_autoptr(GPtrArray) asked = g_ptr_array_new_with_free_func(g_free);
	JsonArray *people;
	guint mine = 0;

	/* First pass: check everyone, change nothing. A member someone else
	 * registered is not checked: what they hold is none of the
	 * leader's business, and they will be asked. */
	for (guint i = 0; i < req->people->len; i++) {
		const RequestFields *p = g_ptr_array_index(req->people, i);
		const char *email = request_fields_text(p, "email");
		const char *name;
		g_autoptr(Attendee) existing = NULL, a = NULL;
		GError *e = NULL;
		gboolean update;

		if (email == NULL)
			continue; /* already a problem: "attendee-without-address" */
		existing = store_attendee_get(r->txn, email, &e);
		if (e != NULL) {
			g_propagate_error(error, e);
			return FALSE;
		}
		if (!reply_may_change(r, existing))
			continue;
		mine++;
		a = planned_registration(r, email, existing, p, &update);
		name = a->name != NULL ? a->name : email;
		check_registration(r, a, update, p->line, name);
	}
	if (req->problems->len > 0)
		return reply_error(r, NULL, error);
	/* The sender's round trip, for what the sender may change; the
	 * others are asked themselves. */
	if (mine > 0 && confirm_needed(r))
		return confirm_ask(r, "register", NULL, error);

	/* Second pass: store each, from the store as it now is (an earlier
	 * member may have freed a place a later one waited for). */
	summary = reply_context(r, NULL, r->lang, CONTEXT_SHARED, error);
	if (summary == NULL)
		return FALSE;
	people = json_array_new();
	json_object_set_array_member(summary, "people", people);
	for (guint i = 0; i < req->people->len; i++) {
		const RequestFields *p = g_ptr_array_index(req->people, i);
		const char *email = request_fields_text(p, "email");
		g_autoptr(Attendee) existing = NULL, a = NULL;
		GError *e = NULL;
		gboolean update, waiting;
		JsonObject *entry;
		const char *kind;

		existing = store_attendee_get(r->txn, email, &e);
		if (e != NULL) {
			g_propagate_error(error, e);
			return FALSE;
		}
		if (!reply_may_change(r, existing)) {
			if (!ask_member(r, existing, p, people, error))
				return FALSE;
			g_ptr_array_add(asked, g_strdup(existing->email));
			continue;
		}
		a = planned_registration(r, email, existing, p, &update);
		if (update && same_registration(r->ctx->cfg, existing, a)) {
			/* Nothing to change, nobody to tell. */
			entry = context_attendee(r->ctx->composer, r->ctx->cfg, existing, r->lang,
						 r->organiser ? CONTEXT_FULL : CONTEXT_SHARED);
			json_object_set_boolean_member(entry, "unchanged", TRUE);
			json_array_add_object_element(people, entry);
			continue;
		}
		if (!commit_registration(r, existing, a, &waiting, error))
			return FALSE;
		kind = waiting ? "waitlisted" : update ? "updated" : "registered";
		if (g_strcmp0(a->email, r->msg->from_address) != 0 &&
		    !reply_notify_change(r, kind, update ? existing : NULL, a, "registered_by",
					 error))
			return FALSE;
		entry = context_attendee(r->ctx->composer, r->ctx->cfg, a, r->lang,
					 r->organiser ? CONTEXT_FULL : CONTEXT_SHARED);
		/* One flag per outcome, for the template's words. */
		json_object_set_boolean_member(entry, kind, TRUE);
		json_array_add_object_element(people, entry);
	}
	if (asked->len == req->people->len) {
		/* Nobody registered: the sender learns only who was asked. */
		g_autofree char *who = NULL;

		g_ptr_array_add(asked, NULL);
		who = g_strjoinv(", ", (char **)asked->pdata);
		return confirm_tell_asked(r, who, error);
	}
	json_object_set_int_member(summary, "count", req->people->len - asked->len);
	r->outcome->action = "delegation";
	return reply_send(r, "delegation", r->lang, summary, r->msg->from_address, r->msg->from_name,
			  TRUE, error);
}

Attendee *register_cancel_now(Reply *r, Attendee *existing, GError **error)
{
	g_autoptr(Attendee) before = attendee_copy(existing);
	gboolean waiting;

	existing->status = ATTENDEE_CANCELLED;
	existing->updated_at = r->ctx->now;
	if (!commit_registration(r, before, existing, &waiting, error))
		return NULL;
	before->status = ATTENDEE_CANCELLED;
	return g_steal_pointer(&before);
}

gboolean register_cancel(Reply *r, Attendee *existing, GError **error)
{
	g_autoptr(Attendee) was = NULL;

	if (existing == NULL || existing->status == ATTENDEE_CANCELLED) {
		request_add_problem(r->req->problems, 0, "not-registered", r->outcome->email, NULL);
		return reply_error(r, existing, error);
	}
	if (register_event_over(r->ctx->cfg, r->ctx->now)) {
		request_add_problem(r->req->problems, 0, "event-over", r->ctx->cfg->event_name, NULL);
		return reply_error(r, existing, error);
	}
	if (!reply_may_change(r, existing)) {
		if (!confirm_ask_owner(r, "cancel", existing, existing, error))
			return FALSE;
		return confirm_tell_asked(r, existing->email, error);
	}
	if (confirm_needed(r))
		return confirm_ask(r, "cancel", existing, error);
	was = register_cancel_now(r, existing, error);
	if (was == NULL)
		return FALSE;
	r->outcome->action = "cancelled";
	return reply_to_sender(r, "cancelled", was, error);
}

/* Removes @id from @list; TRUE when it was there. */
static gboolean list_drop(GPtrArray *list, const char *id)
{
	for (guint i = 0; i < list->len; i++) {
		if (strcmp(g_ptr_array_index(list, i), id) == 0) {
			g_ptr_array_remove_index(list, i);
			return TRUE;
		}
	}
	return FALSE;
}

gboolean register_withdraw(Reply *r, Attendee *existing, GError **error)
{
	const Config *cfg = r->ctx->cfg;
	Request *req = r->req;
	g_autoptr(Attendee) a = NULL;
	gboolean waiting;
	JsonArray *changes;

	if (existing == NULL || existing->status != ATTENDEE_CONFIRMED) {
		request_add_problem(req->problems, 0, "not-registered", r->outcome->email, NULL);
		return reply_error(r, existing, error);
	}
	if (register_event_over(cfg, r->ctx->now)) {
		request_add_problem(req->problems, 0, "event-over", cfg->event_name, NULL);
		return reply_error(r, existing, error);
	}
	a = attendee_copy(existing);
	for (guint i = 0; i < req->withdraw->len; i++) {
		const char *id = g_ptr_array_index(req->withdraw, i);
		const ConfigActivity *act = config_activity_find(cfg, id);

		if (!list_drop(a->activities, id) && !list_drop(a->waitlist, id))
			request_add_problem(req->notes, 0, "not-held", act != NULL ? act->title : id,
					    NULL);
	}
	for (guint i = 0; i < req->withdraw_days->len; i++) {
		const char *day = g_ptr_array_index(req->withdraw_days, i);
		g_autofree char *label = lang_day_label(config_language(cfg, r->lang), day);
		gboolean held = list_drop(a->days, day);

		for (guint k = 0; k < cfg->activities->len; k++) {
			const ConfigActivity *act = g_ptr_array_index(cfg->activities, k);

			if (strcmp(act->day, day) == 0)
				held = (list_drop(a->activities, act->id) | list_drop(a->waitlist, act->id)) ||
				       held;
		}
		if (!held)
			request_add_problem(req->notes, 0, "not-held", label, NULL);
	}
	if (!reply_may_change(r, existing)) {
		/* The owner sees what would be given up, and the notes about it;
		 * the sender, none of it. */
		if (!confirm_ask_owner(r, "withdraw", existing, a, error))
			return FALSE;
		g_ptr_array_set_size(req->notes, 0);
		return confirm_tell_asked(r, existing->email, error);
	}
	if (same_registration(cfg, existing, a)) {
		r->outcome->action = "unchanged";
		return reply_to_sender(r, "unchanged", existing, error);
	}
	if (a->activities->len + a->waitlist->len == 0) {
		/* Giving up all of it is a cancellation: asked for, not guessed. */
		request_add_problem(req->problems, 0, "withdraw-all", req->withdraw_text, NULL);
		return reply_error(r, existing, error);
	}
	a->updated_at = r->ctx->now;
	if (!commit_registration(r, existing, a, &waiting, error))
		return FALSE;
	r->outcome->action = "updated";
	changes = context_changes(cfg, existing, a, r->lang);
	return reply_to_sender_with(r, "updated", a, add_changes, changes, error);
}
