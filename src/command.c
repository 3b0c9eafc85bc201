/* command.c: one message's decision. It reads the request, changes at most
 * the sender's registration, and queues the answer, all in the transaction
 * it is given; a message with any problem changes nothing. It never sends
 * anything itself and never answers a robot. */
#include "command.h"

#include <string.h>

#include "country.h"
#include "export.h"
#include "request.h"
#include "text.h"

void command_outcome_clear(CommandOutcome *outcome)
{
	g_clear_pointer(&outcome->email, g_free);
	outcome->action = NULL;
	outcome->replies = 0;
}

/* --- template contexts ------------------------------------------------------ */

static JsonObject *activity_json(const ConfigActivity *a, const char *lang)
{
	JsonObject *o = json_object_new();
	g_autofree char *day = text_day_label(a->day, lang);

	json_object_set_string_member(o, "id", a->id);
	json_object_set_string_member(o, "title", a->title);
	json_object_set_string_member(o, "day", a->day);
	json_object_set_string_member(o, "day_label", day);
	json_object_set_string_member(o, "start", a->start);
	json_object_set_string_member(o, "end", a->end);
	json_object_set_string_member(o, "location", a->location != NULL ? a->location : "");
	json_object_set_int_member(o, "capacity", a->capacity);
	return o;
}

static JsonObject *event_json(const Config *cfg, const char *lang)
{
	JsonObject *o = json_object_new();
	JsonArray *days = json_array_new();
	const ConfigDay *first = g_ptr_array_index(cfg->days, 0);
	const ConfigDay *last = g_ptr_array_index(cfg->days, cfg->days->len - 1);
	g_autofree char *from = text_day_label(first->date, lang);
	g_autofree char *to = text_day_label(last->date, lang);

	json_object_set_string_member(o, "name", cfg->event_name);
	json_object_set_string_member(o, "location", cfg->event_location);
	json_object_set_string_member(o, "address", cfg->event_address);
	json_object_set_string_member(o, "first_day", from);
	json_object_set_string_member(o, "last_day", to);
	for (guint i = 0; i < cfg->days->len; i++) {
		const ConfigDay *d = g_ptr_array_index(cfg->days, i);
		JsonObject *day = json_object_new();
		JsonArray *acts = json_array_new();
		g_autofree char *label = text_day_label(d->date, lang);

		json_object_set_string_member(day, "date", d->date);
		json_object_set_string_member(day, "label", label);
		json_object_set_string_member(day, "title", d->title != NULL ? d->title : "");
		for (guint k = 0; k < cfg->activities->len; k++) {
			const ConfigActivity *a = g_ptr_array_index(cfg->activities, k);

			if (strcmp(a->day, d->date) == 0)
				json_array_add_object_element(acts, activity_json(a, lang));
		}
		json_object_set_array_member(day, "activities", acts);
		json_array_add_object_element(days, day);
	}
	json_object_set_array_member(o, "days", days);
	return o;
}

static JsonObject *attendee_json(const Config *cfg, const Attendee *a, const char *lang)
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
			json_array_add_object_element(acts, activity_json(act, lang));
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

static JsonArray *form_json(const char *lang)
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
	CommandOutcome *outcome;
	const char *lang;
} Reply;

static gboolean reply_queue(Reply *r, const char *kind, const Attendee *a, const Request *req,
			    GError **error)
{
	const Config *cfg = r->ctx->cfg;
	g_autoptr(JsonObject) ctx = json_object_new();
	g_autoptr(OutboxRow) row = NULL;
	ComposeMail mail = {
		.kind = kind,
		.lang = r->lang,
		.ctx = ctx,
		.to_address = r->msg->from_address,
		.to_name = a != NULL && a->name != NULL ? a->name : r->msg->from_name,
		.in_reply_to = r->msg->message_id,
		.references = r->msg->references,
		.auto_replied = TRUE,
	};

	json_object_set_object_member(ctx, "event", event_json(cfg, r->lang));
	json_object_set_string_member(ctx, "sender", r->msg->from_address);
	json_object_set_string_member(ctx, "their_subject", r->msg->subject);
	if (a != NULL)
		json_object_set_object_member(ctx, "attendee", attendee_json(cfg, a, r->lang));
	if (req != NULL) {
		json_object_set_array_member(ctx, "problems", problems_json(cfg, req->problems, r->lang));
		json_object_set_array_member(ctx, "notes", problems_json(cfg, req->notes, r->lang));
	}
	json_object_set_array_member(ctx, "form", form_json(r->lang));

	row = compose_mail(r->ctx->composer, &mail, r->ctx->now, error);
	if (row == NULL || !store_outbox_add(r->txn, row, error))
		return FALSE;
	r->outcome->replies++;
	return TRUE;
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

/* Applies what @req says to @a. Every chosen activity's day is made one of
 * the attendee's days: added with a note when the person listed days. */
static void apply_request(const Config *cfg, Attendee *a, Request *req)
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

	for (int f = 0; f < REQUEST_N_FIELDS; f++)
		if (fields[f] != NULL)
			set_text(fields[f], req->values[f]);
	if (req->days != NULL)
		replace_list(a->days, req->days);
	if (req->activities != NULL)
		replace_list(a->activities, req->activities);
	for (guint i = 0; i < a->activities->len; i++) {
		const ConfigActivity *act = config_activity_find(cfg, g_ptr_array_index(a->activities, i));

		if (act == NULL || attendee_list_has(a->days, act->day))
			continue;
		g_ptr_array_add(a->days, g_strdup(act->day));
		if (req->days != NULL) {
			const char *choice[] = {act->id, NULL};

			request_add_problem(req->notes, 0, "day-added", act->day, choice);
		}
	}
	g_ptr_array_sort(a->days, compare_str);
}

static void require(Request *req, const char *value, RequestField field, const char *lang)
{
	if (value == NULL || *value == '\0')
		request_add_problem(req->problems, 0, "missing-field", request_field_label(field, lang),
				    NULL);
}

static gboolean handle_form(Reply *r, Request *req, Attendee *existing, GError **error)
{
	const Config *cfg = r->ctx->cfg;
	gboolean update = existing != NULL && existing->status != ATTENDEE_CANCELLED;
	g_autoptr(Attendee) a = NULL;

	if (req->command == REQUEST_UPDATE && !update) {
		request_add_problem(req->problems, 0, "not-registered", r->msg->from_address, NULL);
		r->outcome->action = "error";
		return reply_queue(r, "error", existing, req, error);
	}
	if (!update && cfg->policy == CONFIG_POLICY_CLOSED) {
		request_add_problem(req->problems, 0, "registration-closed", cfg->event_name, NULL);
		r->outcome->action = "error";
		return reply_queue(r, "error", existing, req, error);
	}
	if (update) {
		a = attendee_copy(existing);
	} else {
		a = attendee_new();
		a->email = g_strdup(r->outcome->email);
		a->registered_at = r->ctx->now;
		a->status = ATTENDEE_CONFIRMED;
	}
	apply_request(cfg, a, req);
	if (a->language == NULL)
		a->language = g_strdup(r->lang);
	require(req, a->name, REQUEST_NAME, r->lang);
	require(req, a->organisation, REQUEST_ORGANISATION, r->lang);
	require(req, a->country, REQUEST_COUNTRY, r->lang);
	if (a->activities->len == 0)
		require(req, NULL, REQUEST_ACTIVITIES, r->lang);
	if (req->problems->len > 0) {
		r->outcome->action = "error";
		/* Nothing changes: the answer shows what is stored, if anything. */
		return reply_queue(r, "error", existing, req, error);
	}
	a->updated_at = r->ctx->now;
	if (!store_attendee_put(r->txn, a, error))
		return FALSE;
	r->outcome->action = update ? "updated" : "registered";
	return reply_queue(r, r->outcome->action, a, req, error);
}

static gboolean handle_cancel(Reply *r, Request *req, Attendee *existing, GError **error)
{
	if (existing == NULL || existing->status == ATTENDEE_CANCELLED) {
		request_add_problem(req->problems, 0, "not-registered", r->msg->from_address, NULL);
		r->outcome->action = "error";
		return reply_queue(r, "error", existing, req, error);
	}
	existing->status = ATTENDEE_CANCELLED;
	existing->updated_at = r->ctx->now;
	if (!store_attendee_put(r->txn, existing, error))
		return FALSE;
	r->outcome->action = "cancelled";
	return reply_queue(r, "cancelled", existing, req, error);
}

gboolean command_apply(const CommandContext *ctx, StoreTxn *txn, const Message *msg,
		       CommandOutcome *outcome, GError **error)
{
	g_autoptr(Request) req = NULL;
	g_autoptr(Attendee) existing = NULL;
	Reply r = {ctx, txn, msg, outcome, NULL};
	gboolean seen = FALSE;
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
	if (msg->robot != NULL) {
		outcome->action = "robot";
		return TRUE;
	}

	req = request_parse(ctx->cfg, msg->subject, msg->body);
	email = req->values[REQUEST_EMAIL] != NULL ? req->values[REQUEST_EMAIL] : msg->from_address;
	outcome->email = g_strdup(email);
	{
		GError *e = NULL;

		existing = store_attendee_get(txn, email, &e);
		if (e != NULL) {
			g_propagate_error(error, e);
			return FALSE;
		}
	}
	r.lang = request_language(req, ctx->cfg);
	if (req->values[REQUEST_LANGUAGE] == NULL && !req->french && existing != NULL &&
	    existing->language != NULL && config_has_language(ctx->cfg, existing->language))
		r.lang = existing->language;

	switch (req->command) {
	case REQUEST_FORM:
	case REQUEST_REGISTER:
	case REQUEST_UPDATE:
		return handle_form(&r, req, existing, error);
	case REQUEST_CANCEL:
		return handle_cancel(&r, req, existing, error);
	case REQUEST_HELP:
		outcome->action = "help";
		return reply_queue(&r, "help", existing, req, error);
	case REQUEST_PROGRAMME:
		outcome->action = "programme";
		return reply_queue(&r, "programme", existing, req, error);
	case REQUEST_STATUS:
	case REQUEST_CONFIRM:
		/* With nothing awaiting confirmation, CONFIRM answers like STATUS. */
		outcome->action = "status";
		return reply_queue(&r, "status", existing, req, error);
	}
	g_assert_not_reached();
}
