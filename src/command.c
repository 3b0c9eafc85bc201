/* SPDX-License-Identifier: ISC */
/* command.c: one message's decision. It reads the request, changes the
 * registrations it may change, and queues every answer, all in the
 * transaction it is given; a message with any problem changes nothing. It
 * never sends anything itself, never answers a robot, and never lets a
 * message act for an address that has not confirmed it (when the event's
 * policy asks for confirmation). */

#include "autoconfig.h"

#include "command.h"

#include <string.h>

#include "bounce.h"
#include "country.h"
#include "csv.h"
#include "digest.h"
#include "export.h"
#include "journal.h"
#include "places.h"
#include "request.h"
#include "text.h"
#include "token.h"

void command_outcome_clear(CommandOutcome *outcome)
{
	g_clear_pointer(&outcome->email, g_free);
	outcome->action = NULL;
	outcome->replies = 0;
	outcome->limited = 0;
	outcome->people = 0;
}

/* --- template contexts ------------------------------------------------------ */

static JsonObject *attendee_json(Composer *composer, const Config *cfg, const Attendee *a,
				 const char *lang)
{
	JsonObject *o = export_attendee(cfg, a);
	JsonArray *days = json_array_new();
	JsonArray *acts = json_array_new();
	const char *country = country_name(a->country);

	json_object_set_string_member(o, "country_name", country != NULL ? country : "");
	for (guint i = 0; i < a->days->len; i++) {
		g_autofree char *label = text_day_label(g_ptr_array_index(a->days, i), lang);

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
	json_object_set_boolean_member(o, "cancelled", a->status == ATTENDEE_CANCELLED);
	return o;
}

static JsonArray *problems_json(const Config *cfg, const GPtrArray *list, const char *lang)
{
	JsonArray *arr = json_array_new();

	for (guint i = 0; i < list->len; i++) {
		const RequestProblem *p = g_ptr_array_index(list, i);
		JsonObject *o = json_object_new();
		g_autofree char *text = request_problem_describe(p, cfg, lang);

		json_object_set_int_member(o, "line", p->line);
		json_object_set_string_member(o, "code", p->code);
		json_object_set_string_member(o, "text", text);
		json_array_add_object_element(arr, o);
	}
	return arr;
}

static JsonArray *form_json(gconstpointer lang)
{
	JsonArray *arr = json_array_new();

	for (int f = 0; f < REQUEST_N_FIELDS; f++) {
		JsonObject *o = json_object_new();

		json_object_set_string_member(o, "key", request_field_label(f, lang));
		json_object_set_string_member(o, "field", request_field_name(f));
		json_array_add_object_element(arr, o);
	}
	return arr;
}

/* --- replies ---------------------------------------------------------------- */

typedef struct {
	const CommandContext *ctx;
	StoreTxn *txn;
	const Message *msg;
	Request *req;
	CommandOutcome *outcome;
	const char *lang;      /* the sender's */
	gboolean confirmed;    /* acting on a confirmed round trip */
} Reply;

/* Adds the waiting-list entries of @a, with positions, to @o. */
static gboolean waitlist_json(Reply *r, JsonObject *o, const Attendee *a, const char *lang,
			      GError **error)
{
	JsonArray *list = json_array_new();

	json_object_set_array_member(o, "waitlist_details", list);
	for (guint i = 0; i < a->waitlist->len; i++) {
		const ConfigActivity *act =
			config_activity_find(r->ctx->cfg, g_ptr_array_index(a->waitlist, i));
		GError *e = NULL;
		guint position;
		JsonObject *item;

		if (act == NULL)
			continue;
		position = store_waiting_position(r->txn, act->id, a->email, &e);
		if (e != NULL) {
			g_propagate_error(error, e);
			return FALSE;
		}
		item = export_activity(act, lang);
		json_object_set_int_member(item, "position", position);
		json_array_add_object_element(list, item);
	}
	return TRUE;
}

/* Returns the context every template gets: the event, the sender, and
 * @a's registration when there is one; NULL with @error on a store error. */
static JsonObject *reply_context(Reply *r, const Attendee *a, const char *lang, GError **error)
{
	const Config *cfg = r->ctx->cfg;
	g_autoptr(JsonObject) ctx = json_object_new();

	json_object_set_object_member(ctx, "event", compose_event(r->ctx->composer, lang));
	json_object_set_string_member(ctx, "sender", r->msg->from_address);
	json_object_set_string_member(ctx, "their_subject", r->msg->subject);
	if (a != NULL) {
		JsonObject *o = attendee_json(r->ctx->composer, cfg, a, lang);

		json_object_set_object_member(ctx, "attendee", o);
		if (!waitlist_json(r, o, a, lang, error))
			return NULL;
	}
	json_object_set_array_member(ctx, "problems", problems_json(cfg, r->req->problems, lang));
	json_object_set_array_member(ctx, "notes", problems_json(cfg, r->req->notes, lang));
	/* A section over a list repeats; a heading above it wants a flag. */
	json_object_set_boolean_member(ctx, "has_notes", r->req->notes->len > 0);
	json_object_set_boolean_member(ctx, "has_problems", r->req->problems->len > 0);
	{
		g_autofree char *key = g_strconcat("form/", lang, NULL);

		json_object_set_array_member(ctx, "form",
					     compose_list(r->ctx->composer, key, form_json, lang));
	}
	return g_steal_pointer(&ctx);
}

/* Queues mail @kind in @lang to @to (threaded to the message answered when
 * @answer), unless @to has had its hourly share of answers. */
static gboolean reply_send(Reply *r, const char *kind, const char *lang, JsonObject *ctx,
			   const char *to, const char *to_name, gboolean answer, GError **error)
{
	const Config *cfg = r->ctx->cfg;
	g_autoptr(OutboxRow) row = NULL;
	gboolean allowed = TRUE;
	ComposeMail mail = {
		.kind = kind,
		.lang = lang,
		.ctx = ctx,
		.to_address = to,
		.to_name = to_name,
		.in_reply_to = answer ? r->msg->message_id : NULL,
		.references = answer ? r->msg->references : NULL,
		.auto_replied = answer,
	};

	if (cfg->replies_per_sender_per_hour > 0 &&
	    !store_rate_take(r->txn, to, r->ctx->now, cfg->replies_per_sender_per_hour, &allowed,
			     error))
		return FALSE;
	if (!allowed) {
		r->outcome->limited++;
		return TRUE;
	}
	row = compose_mail(r->ctx->composer, &mail, r->ctx->now, error);
	if (row == NULL || !store_outbox_add(r->txn, row, error))
		return FALSE;
	r->outcome->replies++;
	return TRUE;
}

/* Answers the sender with @kind, showing @a; @extra, when not NULL, adds
 * members to the context. */
static gboolean reply_to_sender_with(Reply *r, const char *kind, const Attendee *a,
				     void (*extra)(JsonObject *ctx, gpointer data), gpointer data,
				     GError **error)
{
	g_autoptr(JsonObject) ctx = reply_context(r, a, r->lang, error);
	const char *name = a != NULL && a->name != NULL && g_strcmp0(a->email, r->msg->from_address) == 0
				   ? a->name
				   : r->msg->from_name;

	if (ctx == NULL)
		return FALSE;
	if (extra != NULL)
		extra(ctx, data);
	return reply_send(r, kind, r->lang, ctx, r->msg->from_address, name, TRUE, error);
}

static gboolean reply_to_sender(Reply *r, const char *kind, const Attendee *a, GError **error)
{
	return reply_to_sender_with(r, kind, a, NULL, NULL, error);
}

static gboolean reply_error(Reply *r, const Attendee *shown, GError **error)
{
	r->outcome->action = "error";
	return reply_to_sender(r, "error", shown, error);
}

/* Tells @a (not the sender) of a change made for them: a promotion from a
 * waiting list, a cancellation by the organisers, a delegation's booking. */
static gboolean notify(Reply *r, const char *kind, const Attendee *a, const char *note_member,
		       GError **error)
{
	const char *lang = config_has_language(r->ctx->cfg, a->language) ? a->language : r->lang;
	g_autoptr(JsonObject) ctx = reply_context(r, a, lang, error);

	if (ctx == NULL)
		return FALSE;
	if (note_member != NULL)
		json_object_set_string_member(ctx, note_member, r->msg->from_address);
	return reply_send(r, kind, lang, ctx, a->email, a->name, FALSE, error);
}

/* --- registration changes ------------------------------------------------------ */

static void set_text(char **field, const char *value)
{
	if (value != NULL) {
		g_free(*field);
		*field = g_strdup(value);
	}
}

static void replace_list(GPtrArray *to, const GPtrArray *from)
{
	g_ptr_array_set_size(to, 0);
	for (guint i = 0; i < from->len; i++)
		g_ptr_array_add(to, g_strdup(g_ptr_array_index(from, i)));
}

static int compare_str(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Applies the fields @f names to @a, and nothing else. Activities asked
 * for replace both the places held and those waited for. */
static void apply_fields(Attendee *a, const RequestFields *f)
{
	char **fields[REQUEST_N_FIELDS] = {
		[REQUEST_NAME] = &a->name,
		[REQUEST_ORGANISATION] = &a->organisation,
		[REQUEST_COUNTRY] = &a->country,
		[REQUEST_ROLE] = &a->role,
		[REQUEST_DIET] = &a->diet,
		[REQUEST_ACCESSIBILITY] = &a->accessibility,
		[REQUEST_ARRIVAL] = &a->arrival,
		[REQUEST_DEPARTURE] = &a->departure,
		[REQUEST_LANGUAGE] = &a->language,
		[REQUEST_DELEGATION] = &a->delegation,
	};

	for (int i = 0; i < REQUEST_N_FIELDS; i++)
		if (fields[i] != NULL)
			set_text(fields[i], f->values[i]);
	if (f->days != NULL)
		replace_list(a->days, f->days);
	if (f->activities != NULL) {
		replace_list(a->activities, f->activities);
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

/* Adds a problem for each field a registration cannot do without;
 * @who names the person in a delegation (NULL for the sender). */
static void check_required(Request *req, const Attendee *a, guint line, const char *who,
			   const char *lang)
{
	static const RequestField required[] = {REQUEST_NAME, REQUEST_ORGANISATION,
						REQUEST_COUNTRY};
	const char *values[] = {a->name, a->organisation, a->country};
	gboolean missing[G_N_ELEMENTS(required) + 1];

	for (guint i = 0; i < G_N_ELEMENTS(required); i++)
		missing[i] = values[i] == NULL || *values[i] == '\0';
	missing[G_N_ELEMENTS(required)] = a->activities->len + a->waitlist->len == 0;
	for (guint i = 0; i <= G_N_ELEMENTS(required); i++) {
		RequestField field = i < G_N_ELEMENTS(required) ? required[i] : REQUEST_ACTIVITIES;
		g_autofree char *label = NULL;

		if (!missing[i])
			continue;
		label = who != NULL ? g_strdup_printf("%s (%s)", request_field_label(field, lang), who)
				    : g_strdup(request_field_label(field, lang));
		request_add_problem(req->problems, line, "missing-field", label, NULL);
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

static gboolean deadline_passed(const Config *cfg, gint64 now)
{
	return cfg->registration_deadline > 0 && now > cfg->registration_deadline;
}

/* The event is over from midnight after its last day, event time. */
static gboolean event_over(const Config *cfg, gint64 now)
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

	*update = existing != NULL && existing->status == ATTENDEE_CONFIRMED;
	if (*update) {
		a = attendee_copy(existing);
	} else {
		a = attendee_new();
		a->email = g_strdup(email);
		a->registered_at = r->ctx->now;
	}
	a->status = ATTENDEE_CONFIRMED;
	apply_fields(a, &req->fields);
	if (person != NULL)
		apply_fields(a, person);
	complete_days(cfg, a, req,
		      req->fields.days != NULL || (person != NULL && person->days != NULL));
	if (a->language == NULL)
		a->language = g_strdup(person != NULL && person->values[REQUEST_LANGUAGE] != NULL
					       ? person->values[REQUEST_LANGUAGE]
					       : r->lang);
	a->updated_at = r->ctx->now;
	return a;
}

/* Checks what may block a new registration or a change, adding problems. */
static void check_registration(Reply *r, const Attendee *a, gboolean update, guint line,
			       const char *who)
{
	const Config *cfg = r->ctx->cfg;

	if (!update && cfg->policy == CONFIG_POLICY_CLOSED)
		request_add_problem(r->req->problems, line, "registration-closed", cfg->event_name,
				    NULL);
	else if (!update && deadline_passed(cfg, r->ctx->now))
		request_add_problem(r->req->problems, line, "deadline-passed", cfg->event_name, NULL);
	else if (event_over(cfg, r->ctx->now))
		request_add_problem(r->req->problems, line, "event-over", cfg->event_name, NULL);
	check_required(r->req, a, line, who, r->lang);
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
		if (p != NULL && !notify(r, "promoted", p, NULL, error))
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
	    !journal_note_change(r->txn, before, a, r->ctx->now, error))
		return FALSE;
	r->outcome->people++;
	return notify_promoted(r, promoted, error);
}

/* --- the confirmation round trip -------------------------------------------- */

static gboolean trusted(const Config *cfg, const char *address)
{
	const char *at = strrchr(address, '@');

	return at != NULL && g_strv_contains((const char *const *)cfg->trusted_domains, at + 1);
}

static gboolean needs_round_trip(Reply *r)
{
	return !r->confirmed && r->ctx->cfg->policy == CONFIG_POLICY_CONFIRM &&
	       !trusted(r->ctx->cfg, r->msg->from_address);
}

/* Keeps the message for later and asks its sender to confirm @action by
 * replying; @shown is what the answer shows (the planned registration). */
static gboolean ask_confirmation(Reply *r, const char *action, const Attendee *shown,
				 GError **error)
{
	const Message *msg = r->msg;
	gint64 expires = r->ctx->now + TOKEN_LIFETIME;
	g_autofree char *token = token_make(r->ctx->secret, msg->from_address, action, expires);
	StorePending p = {
		.token = token,
		.email = msg->from_address,
		.action = (char *)action,
		.subject = msg->subject,
		.detail = msg->detail,
		.body = msg->body,
		.from_name = msg->from_name,
		.message_id = msg->message_id,
		.references = msg->references,
		.created_at = r->ctx->now,
		.expires_at = expires,
	};
	g_autoptr(JsonObject) ctx = NULL;
	g_autofree char *kind = g_strdup_printf("confirm-%s", action);

	if (!store_pending_put(r->txn, &p, error))
		return FALSE;
	r->outcome->action = "confirm-request";
	ctx = reply_context(r, shown, r->lang, error);
	if (ctx == NULL)
		return FALSE;
	json_object_set_string_member(ctx, "token", token);
	json_object_set_boolean_member(ctx, strcmp(action, "register") == 0   ? "register"
					    : strcmp(action, "cancel") == 0 ? "cancel"
									    : "organiser",
				       TRUE);
	if (r->req->people->len > 0)
		json_object_set_int_member(ctx, "people", r->req->people->len);
	if (r->req->argument != NULL)
		json_object_set_string_member(ctx, "argument", r->req->argument);
	return reply_send(r, "confirm-request", r->lang, ctx, msg->from_address, msg->from_name,
			  TRUE, error);
}

/* --- handlers ------------------------------------------------------------------ */

static gboolean handle_form(Reply *r, Attendee *existing, GError **error)
{
	Request *req = r->req;
	g_autoptr(Attendee) a = NULL;
	gboolean update, waiting;
	const char *kind;

	if (req->command == REQUEST_UPDATE &&
	    (existing == NULL || existing->status != ATTENDEE_CONFIRMED)) {
		request_add_problem(req->problems, 0, "not-registered", r->outcome->email, NULL);
		return reply_error(r, existing, error);
	}
	a = planned_registration(r, r->outcome->email, existing, NULL, &update);
	check_registration(r, a, update, 0, NULL);
	if (req->problems->len > 0)
		/* Nothing changes: the answer shows what is stored, if anything. */
		return reply_error(r, existing, error);
	if (!update && needs_round_trip(r)) {
		a->status = ATTENDEE_PENDING;
		if (!commit_registration(r, existing, a, &waiting, error))
			return FALSE;
		return ask_confirmation(r, "register", a, error);
	}
	if (!commit_registration(r, existing, a, &waiting, error))
		return FALSE;
	r->outcome->action = update ? "updated" : "registered";
	kind = waiting ? "waitlisted" : r->outcome->action;
	return reply_to_sender(r, kind, a, error);
}

/* A leader registers several people: each block is checked first, and only
 * when every one is right are they all stored; each person is told, and
 * the leader gets the summary. */
static gboolean handle_delegation(Reply *r, GError **error)
{
	Request *req = r->req;
	g_autoptr(JsonObject) summary = NULL;
	JsonArray *people;

	/* First pass: check everyone, change nothing. */
	for (guint i = 0; i < req->people->len; i++) {
		const RequestFields *p = g_ptr_array_index(req->people, i);
		g_autoptr(Attendee) existing = NULL, a = NULL;
		GError *e = NULL;
		gboolean update;

		if (p->values[REQUEST_EMAIL] == NULL)
			continue; /* already a problem: "attendee-without-address" */
		existing = store_attendee_get(r->txn, p->values[REQUEST_EMAIL], &e);
		if (e != NULL) {
			g_propagate_error(error, e);
			return FALSE;
		}
		a = planned_registration(r, p->values[REQUEST_EMAIL], existing, p, &update);
		check_registration(r, a, update, p->line,
				   a->name != NULL ? a->name : p->values[REQUEST_EMAIL]);
	}
	if (req->problems->len > 0)
		return reply_error(r, NULL, error);
	if (needs_round_trip(r))
		return ask_confirmation(r, "register", NULL, error);

	/* Second pass: store each, from the store as it now is (an earlier
	 * member may have freed a place a later one waited for). */
	summary = reply_context(r, NULL, r->lang, error);
	if (summary == NULL)
		return FALSE;
	people = json_array_new();
	json_object_set_array_member(summary, "people", people);
	for (guint i = 0; i < req->people->len; i++) {
		const RequestFields *p = g_ptr_array_index(req->people, i);
		g_autoptr(Attendee) existing = NULL, a = NULL;
		GError *e = NULL;
		gboolean update, waiting;
		JsonObject *entry;
		const char *kind;

		existing = store_attendee_get(r->txn, p->values[REQUEST_EMAIL], &e);
		if (e != NULL) {
			g_propagate_error(error, e);
			return FALSE;
		}
		a = planned_registration(r, p->values[REQUEST_EMAIL], existing, p, &update);
		if (!commit_registration(r, existing, a, &waiting, error))
			return FALSE;
		kind = waiting ? "waitlisted" : update ? "updated" : "registered";
		if (g_strcmp0(a->email, r->msg->from_address) != 0 &&
		    !notify(r, kind, a, "registered_by", error))
			return FALSE;
		entry = attendee_json(r->ctx->composer, r->ctx->cfg, a, r->lang);
		json_object_set_string_member(entry, "change", kind);
		json_array_add_object_element(people, entry);
	}
	json_object_set_int_member(summary, "count", req->people->len);
	r->outcome->action = "delegation";
	return reply_send(r, "delegation", r->lang, summary, r->msg->from_address, r->msg->from_name,
			  TRUE, error);
}

/* Cancels @existing, freeing its places; returns, for the answers, the
 * registration as it was with the status it now has (the caller frees it),
 * or NULL with @error. */
static Attendee *cancel_registration(Reply *r, Attendee *existing, GError **error)
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

static gboolean handle_cancel(Reply *r, Attendee *existing, GError **error)
{
	g_autoptr(Attendee) was = NULL;

	if (existing == NULL || existing->status == ATTENDEE_CANCELLED) {
		request_add_problem(r->req->problems, 0, "not-registered", r->outcome->email, NULL);
		return reply_error(r, existing, error);
	}
	if (event_over(r->ctx->cfg, r->ctx->now)) {
		request_add_problem(r->req->problems, 0, "event-over", r->ctx->cfg->event_name, NULL);
		return reply_error(r, existing, error);
	}
	if (needs_round_trip(r))
		return ask_confirmation(r, "cancel", existing, error);
	was = cancel_registration(r, existing, error);
	if (was == NULL)
		return FALSE;
	r->outcome->action = "cancelled";
	return reply_to_sender(r, "cancelled", was, error);
}

static gboolean is_organiser(const Config *cfg, const char *address)
{
	return g_strv_contains((const char *const *)cfg->organisers, address);
}

/* An organiser's command: REPORT, EXPORT, BROADCAST, or CANCEL of
 * another address. */
static gboolean is_organiser_command(const Request *req, const char *sender)
{
	if (req->command == REQUEST_BROADCAST || req->command == REQUEST_REPORT ||
	    req->command == REQUEST_EXPORT)
		return TRUE;
	return req->command == REQUEST_CANCEL && req->argument != NULL &&
	       strchr(req->argument, '@') != NULL && strstr(req->argument, sender) == NULL;
}

typedef struct {
	const char *what;
	guint count;
} Done;

static void add_done(JsonObject *ctx, gpointer data)
{
	Done *d = data;

	/* One flag per action, for the template's sections. */
	json_object_set_boolean_member(ctx, d->what, TRUE);
	json_object_set_int_member(ctx, "count", d->count);
}

/* The text of a BROADCAST: what follows the command, less quoted lines
 * and the signature. */
static char *broadcast_text(const Request *req, const Message *msg)
{
	g_auto(GStrv) lines = g_strsplit(msg->body, "\n", -1);
	GString *text = g_string_new(NULL);

	for (guint i = req->command_line; lines[i] != NULL; i++) {
		if (strcmp(lines[i], "-- ") == 0)
			break;
		if (lines[i][0] == '>')
			continue;
		g_string_append_printf(text, "%s\n", lines[i]);
	}
	return g_strstrip(g_string_free(text, FALSE));
}

typedef struct {
	Reply *r;
	const char *subject;
	const char *text;
	guint sent;
	GPtrArray *recipients; /* Attendee *, owned */
} Broadcast;

static gboolean collect_confirmed(const Attendee *a, gpointer data)
{
	Broadcast *b = data;

	if (a->status == ATTENDEE_CONFIRMED)
		g_ptr_array_add(b->recipients, attendee_copy(a));
	return TRUE;
}

static gboolean run_broadcast(Reply *r, GError **error)
{
	g_autofree char *text = broadcast_text(r->req, r->msg);
	Broadcast b = {r, NULL, text, 0,
		       g_ptr_array_new_with_free_func((GDestroyNotify)attendee_free)};
	g_autoptr(GPtrArray) recipients = b.recipients;
	Done done = {"broadcast", 0};

	b.subject = r->req->command_line == 0 && r->req->argument != NULL ? r->req->argument
									    : r->ctx->cfg->event_name;
	if (!store_attendee_foreach(r->txn, collect_confirmed, &b, error))
		return FALSE;
	for (guint i = 0; i < recipients->len; i++) {
		Attendee *a = g_ptr_array_index(recipients, i);
		const char *lang = config_has_language(r->ctx->cfg, a->language) ? a->language : r->lang;
		g_autoptr(JsonObject) ctx = reply_context(r, a, lang, error);

		if (ctx == NULL)
			return FALSE;
		json_object_set_string_member(ctx, "subject", b.subject);
		json_object_set_string_member(ctx, "text", text);
		if (!reply_send(r, "broadcast", lang, ctx, a->email, a->name, FALSE, error))
			return FALSE;
		done.count++;
	}
	r->outcome->action = "broadcast";
	return reply_to_sender_with(r, "organiser-done", NULL, add_done, &done, error);
}

static gboolean run_organiser_cancel(Reply *r, GError **error)
{
	g_autofree char *target = text_clean_address(r->req->argument);
	g_autoptr(Attendee) a = NULL, was = NULL;
	GError *e = NULL;
	Done done = {"cancel", 1};

	g_strdelimit(target, "<>", ' ');
	g_strstrip(target);
	a = store_attendee_get(r->txn, target, &e);
	if (e != NULL) {
		g_propagate_error(error, e);
		return FALSE;
	}
	if (a == NULL || a->status == ATTENDEE_CANCELLED) {
		request_add_problem(r->req->problems, 0, "not-registered", target, NULL);
		return reply_error(r, NULL, error);
	}
	was = cancel_registration(r, a, error);
	if (was == NULL || !notify(r, "cancelled", was, "cancelled_by", error))
		return FALSE;
	r->outcome->action = "organiser-cancel";
	return reply_to_sender_with(r, "organiser-done", was, add_done, &done, error);
}

/* REPORT: the organisers' digest now, to the organiser who asked. */
static gboolean run_report(Reply *r, GError **error)
{
	const char *to[] = {r->msg->from_address};
	DigestWindow all = {FALSE, G_MININT64, G_MAXINT64};

	r->outcome->action = "report";
	if (!digest_queue(r->txn, r->ctx->composer, r->ctx->cfg, to, 1, &all, r->ctx->now, error))
		return FALSE;
	r->outcome->replies++;
	return TRUE;
}

/* EXPORT: every attendee as the CSV, attached to the answer. */
static gboolean run_export(Reply *r, GError **error)
{
	g_autoptr(GBytes) csv = csv_attendees(r->ctx->cfg, r->txn, error);
	g_autoptr(JsonObject) ctx = NULL;
	g_autoptr(OutboxRow) row = NULL;
	ComposeAttachment file = {"attendees.csv", "text/csv", NULL, csv};
	ComposeMail mail = {0};

	if (csv == NULL)
		return FALSE;
	ctx = reply_context(r, NULL, r->lang, error);
	if (ctx == NULL)
		return FALSE;
	json_object_set_boolean_member(ctx, "export", TRUE);
	mail = (ComposeMail){
		.kind = "organiser-done",
		.lang = r->lang,
		.ctx = ctx,
		.to_address = r->msg->from_address,
		.to_name = r->msg->from_name,
		.in_reply_to = r->msg->message_id,
		.references = r->msg->references,
		.auto_replied = TRUE,
		.attachments = &file,
		.n_attachments = 1,
	};
	row = compose_mail(r->ctx->composer, &mail, r->ctx->now, error);
	if (row == NULL || !store_outbox_add(r->txn, row, error))
		return FALSE;
	r->outcome->replies++;
	r->outcome->action = "export";
	return TRUE;
}

static gboolean handle_organiser(Reply *r, GError **error)
{
	if (!is_organiser(r->ctx->cfg, r->msg->from_address)) {
		/* Not an organiser: nothing is done and nobody is written to. */
		r->outcome->action = "not-organiser";
		return TRUE;
	}
	if (!r->confirmed)
		return ask_confirmation(r, "organiser", NULL, error);
	switch (r->req->command) {
	case REQUEST_BROADCAST:
		return run_broadcast(r, error);
	case REQUEST_REPORT:
		return run_report(r, error);
	case REQUEST_EXPORT:
		return run_export(r, error);
	default:
		return run_organiser_cancel(r, error);
	}
}

static gboolean dispatch(Reply *r, Attendee *existing, GError **error);

/* A reply carrying a token: the request it confirms is read again, as it
 * was written, and carried out for the address that confirmed it. */
static gboolean handle_confirmation(Reply *r, const char *token, GError **error)
{
	const CommandContext *ctx = r->ctx;
	g_autoptr(StorePending) p = NULL;
	g_autoptr(Attendee) existing = NULL;
	Message original;
	Reply again;
	GError *e = NULL;

	p = store_pending_get(r->txn, token, &e);
	if (e != NULL) {
		g_propagate_error(error, e);
		return FALSE;
	}
	if (p == NULL || strcmp(p->email, r->msg->from_address) != 0 ||
	    !token_check(ctx->secret, token, p->email, p->action, ctx->now)) {
		request_add_problem(r->req->problems, 0, p != NULL && p->expires_at <= ctx->now
								 ? "token-expired"
								 : "token-invalid",
				    token, NULL);
		return reply_error(r, NULL, error);
	}
	if (!store_pending_delete(r->txn, token, error))
		return FALSE;

	original = (Message){
		.from_address = p->email,
		.from_name = p->from_name,
		.message_id = r->msg->message_id,
		.references = r->msg->references,
		.subject = p->subject,
		.body = p->body,
		.detail = p->detail,
	};
	request_free(r->req);
	r->req = request_parse(ctx->cfg, p->subject, p->detail, p->body);
	again = *r;
	again.msg = &original;
	again.confirmed = TRUE;
	g_free(r->outcome->email);
	r->outcome->email = g_strdup(r->req->fields.values[REQUEST_EMAIL] != NULL
					     ? r->req->fields.values[REQUEST_EMAIL]
					     : p->email);
	existing = store_attendee_get(r->txn, r->outcome->email, &e);
	if (e != NULL) {
		g_propagate_error(error, e);
		return FALSE;
	}
	return dispatch(&again, existing, error);
}

static gboolean dispatch(Reply *r, Attendee *existing, GError **error)
{
	Request *req = r->req;

	if (is_organiser_command(req, r->msg->from_address))
		return handle_organiser(r, error);
	switch (req->command) {
	case REQUEST_FORM:
	case REQUEST_REGISTER:
	case REQUEST_UPDATE:
		if (req->people->len > 0)
			return handle_delegation(r, error);
		return handle_form(r, existing, error);
	case REQUEST_CANCEL:
		return handle_cancel(r, existing, error);
	case REQUEST_HELP:
		r->outcome->action = "help";
		return reply_to_sender(r, "help", existing, error);
	case REQUEST_PROGRAMME:
		r->outcome->action = "programme";
		return reply_to_sender(r, "programme", existing, error);
	case REQUEST_STATUS:
		r->outcome->action = "status";
		return reply_to_sender(r, "status", existing, error);
	case REQUEST_CONFIRM:
		/* A CONFIRM without a token we know of. */
		request_add_problem(req->problems, 0, "token-invalid",
				    req->argument != NULL ? req->argument : "", NULL);
		return reply_error(r, existing, error);
	case REQUEST_REPORT:
	case REQUEST_EXPORT:
	case REQUEST_BROADCAST:
		break; /* handled above */
	}
	g_assert_not_reached();
}

Request *command_parse(const Config *cfg, const Message *msg)
{
	if (bounce_is_address(msg->detail) || msg->robot != NULL)
		return NULL;
	return request_parse(cfg, msg->subject, msg->detail, msg->body);
}

gboolean command_apply(const CommandContext *ctx, StoreTxn *txn, const Message *msg,
		       Request **parsed, CommandOutcome *outcome, GError **error)
{
	g_autoptr(Attendee) existing = NULL;
	g_autofree char *token = NULL;
	Reply r = {ctx, txn, msg, NULL, outcome, NULL, FALSE};
	gboolean seen = FALSE, ok;
	const char *email;

	command_outcome_clear(outcome);
	if (!store_seen_has(txn, msg->message_id, &seen, error))
		return FALSE;
	if (seen) {
		outcome->action = "duplicate";
		return TRUE;
	}
	if (!store_seen_add(txn, msg->message_id, ctx->now, error))
		return FALSE;
	if (bounce_is_address(msg->detail))
		return bounce_apply(txn, ctx->secret, ctx->now, msg->detail, msg->report,
				    &outcome->action, &outcome->email, error);
	if (msg->robot != NULL) {
		outcome->action = "robot";
		return journal_note_robot(txn, msg->from_address, msg->robot, ctx->now, error);
	}

	if (parsed != NULL && *parsed != NULL)
		r.req = g_steal_pointer(parsed);
	else
		r.req = command_parse(ctx->cfg, msg);
	email = r.req->fields.values[REQUEST_EMAIL] != NULL ? r.req->fields.values[REQUEST_EMAIL]
							   : msg->from_address;
	outcome->email = g_strdup(email);
	{
		GError *e = NULL;

		existing = store_attendee_get(txn, email, &e);
		if (e != NULL) {
			request_free(r.req);
			g_propagate_error(error, e);
			return FALSE;
		}
	}
	r.lang = request_language(r.req, ctx->cfg);
	if (r.req->fields.values[REQUEST_LANGUAGE] == NULL && !r.req->french && existing != NULL &&
	    existing->language != NULL && config_has_language(ctx->cfg, existing->language))
		r.lang = existing->language;

	/* A confirmation is a reply to our request (its subject and quoted
	 * text carry the token) or CONFIRM <token>. */
	token = token_find(r.req->argument);
	if (token == NULL)
		token = token_find(msg->subject);
	if (token == NULL)
		token = token_find(msg->body);
	if (token != NULL)
		ok = handle_confirmation(&r, token, error);
	else
		ok = dispatch(&r, existing, error);
	request_free(r.req);
	return ok;
}

gboolean command_cancel_by_organisers(const CommandContext *ctx, StoreTxn *txn, const char *email,
				      gboolean *found, CommandOutcome *outcome, GError **error)
{
	const Config *cfg = ctx->cfg;
	Message msg = {
		.from_address = cfg->organisers[0] != NULL ? cfg->organisers[0] : cfg->event_address,
		.from_name = "",
		.subject = "",
		.body = "",
	};
	Reply r = {ctx, txn, &msg, NULL, outcome, cfg->languages[0], TRUE};
	g_autoptr(Attendee) a = NULL, was = NULL;
	GError *e = NULL;
	gboolean ok = TRUE;

	command_outcome_clear(outcome);
	*found = FALSE;
	a = store_attendee_get(txn, email, &e);
	if (e != NULL) {
		g_propagate_error(error, e);
		return FALSE;
	}
	if (a == NULL || a->status == ATTENDEE_CANCELLED)
		return TRUE;
	*found = TRUE;
	r.req = request_parse(cfg, "", NULL, "");
	was = cancel_registration(&r, a, error);
	if (was == NULL || !notify(&r, "cancelled", was, "cancelled_by", error))
		ok = FALSE;
	outcome->action = "organiser-cancel";
	outcome->email = g_strdup(email);
	request_free(r.req);
	return ok;
}
