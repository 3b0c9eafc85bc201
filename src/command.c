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
	outcome->limited = 0;
	outcome->people = 0;
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
	Request *req;
	CommandOutcome *outcome;
	const char *lang;      /* the sender's */
} Reply;

/* Returns the context every template gets: the event, the sender, and
 * @a's registration when there is one. */
static JsonObject *reply_context(Reply *r, const Attendee *a, const char *lang)
{
	const Config *cfg = r->ctx->cfg;
	JsonObject *ctx = json_object_new();

	json_object_set_object_member(ctx, "event", event_json(cfg, lang));
	json_object_set_string_member(ctx, "sender", r->msg->from_address);
	json_object_set_string_member(ctx, "their_subject", r->msg->subject);
	if (a != NULL)
		json_object_set_object_member(ctx, "attendee", attendee_json(cfg, a, lang));
	json_object_set_array_member(ctx, "problems", problems_json(cfg, r->req->problems, lang));
	json_object_set_array_member(ctx, "notes", problems_json(cfg, r->req->notes, lang));
	json_object_set_array_member(ctx, "form", form_json(lang));
	return ctx;
}

/* Queues mail @kind in @lang to @to, threaded to the message answered,
 * unless @to has had its hourly share of answers. */
static gboolean reply_send(Reply *r, const char *kind, const char *lang, JsonObject *ctx,
			   const char *to, const char *to_name, GError **error)
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
		.in_reply_to = r->msg->message_id,
		.references = r->msg->references,
		.auto_replied = TRUE,
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

/* Answers the sender with @kind, showing @a. */
static gboolean reply_to_sender(Reply *r, const char *kind, const Attendee *a, GError **error)
{
	g_autoptr(JsonObject) ctx = reply_context(r, a, r->lang);
	const char *name = a != NULL && a->name != NULL && g_strcmp0(a->email, r->msg->from_address) == 0
				   ? a->name
				   : r->msg->from_name;

	return reply_send(r, kind, r->lang, ctx, r->msg->from_address, name, error);
}

static gboolean reply_error(Reply *r, const Attendee *shown, GError **error)
{
	r->outcome->action = "error";
	return reply_to_sender(r, "error", shown, error);
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

/* Applies the fields @f names to @a, and nothing else. */
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
	if (f->activities != NULL)
		replace_list(a->activities, f->activities);
}

/* Makes every chosen activity's day one of @a's days: added with a note
 * when the person listed days themselves. */
static void complete_days(const Config *cfg, Attendee *a, Request *req, gboolean days_given)
{
	for (guint i = 0; i < a->activities->len; i++) {
		const ConfigActivity *act = config_activity_find(cfg, g_ptr_array_index(a->activities, i));

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
						REQUEST_COUNTRY, REQUEST_ACTIVITIES};
	const char *values[] = {a->name, a->organisation, a->country,
				a->activities->len > 0 ? "" : NULL};

	for (guint i = 0; i < G_N_ELEMENTS(required); i++) {
		g_autofree char *label = NULL;

		if (values[i] != NULL && (i == 3 || *values[i] != '\0'))
			continue;
		label = who != NULL ? g_strdup_printf("%s (%s)", request_field_label(required[i], lang), who)
				    : g_strdup(request_field_label(required[i], lang));
		request_add_problem(req->problems, line, "missing-field", label, NULL);
	}
}

/* Adds a problem for each pair of chosen activities that run at the same
 * time: nobody can be at both. */
static void check_overlaps(const Config *cfg, Request *req, const Attendee *a, guint line)
{
	for (guint i = 0; i < a->activities->len; i++) {
		const ConfigActivity *x = config_activity_find(cfg, g_ptr_array_index(a->activities, i));

		for (guint k = i + 1; x != NULL && k < a->activities->len; k++) {
			const ConfigActivity *y =
				config_activity_find(cfg, g_ptr_array_index(a->activities, k));
			const char *pair[] = {x->id, y != NULL ? y->id : NULL, NULL};

			/* "HH:MM" strings compare as times do. */
			if (y == NULL || strcmp(x->day, y->day) != 0 || strcmp(x->start, y->end) >= 0 ||
			    strcmp(y->start, x->end) >= 0)
				continue;
			request_add_problem(req->problems, line, "overlap", x->day, pair);
		}
	}
}

/* Returns the registration @email would have after @r's request (common
 * lines, then @person's block if any), or NULL when registrations are
 * closed to newcomers. *@update says whether one existed. */
static Attendee *planned_registration(Reply *r, const char *email, const Attendee *existing,
				      const RequestFields *person, gboolean *update)
{
	const Config *cfg = r->ctx->cfg;
	Request *req = r->req;
	Attendee *a;

	*update = existing != NULL && existing->status != ATTENDEE_CANCELLED;
	if (!*update && cfg->policy == CONFIG_POLICY_CLOSED)
		return NULL;
	if (*update) {
		a = attendee_copy(existing);
	} else {
		a = attendee_new();
		a->email = g_strdup(email);
		a->registered_at = r->ctx->now;
		a->status = ATTENDEE_CONFIRMED;
	}
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

static gboolean handle_form(Reply *r, Attendee *existing, GError **error)
{
	const Config *cfg = r->ctx->cfg;
	Request *req = r->req;
	g_autoptr(Attendee) a = NULL;
	gboolean update;

	if (req->command == REQUEST_UPDATE &&
	    (existing == NULL || existing->status == ATTENDEE_CANCELLED)) {
		request_add_problem(req->problems, 0, "not-registered", r->outcome->email, NULL);
		return reply_error(r, existing, error);
	}
	a = planned_registration(r, r->outcome->email, existing, NULL, &update);
	if (a == NULL) {
		request_add_problem(req->problems, 0, "registration-closed", cfg->event_name, NULL);
		return reply_error(r, existing, error);
	}
	check_required(req, a, 0, NULL, r->lang);
	check_overlaps(cfg, req, a, 0);
	if (req->problems->len > 0)
		/* Nothing changes: the answer shows what is stored, if anything. */
		return reply_error(r, existing, error);
	if (!store_attendee_put(r->txn, a, error))
		return FALSE;
	r->outcome->people++;
	r->outcome->action = update ? "updated" : "registered";
	return reply_to_sender(r, r->outcome->action, a, error);
}

/* A leader registers several people: each block is checked first, and only
 * when every one is right are they all stored; each person is told, and
 * the leader gets the summary. */
static gboolean handle_delegation(Reply *r, GError **error)
{
	Request *req = r->req;
	g_autoptr(GPtrArray) planned = g_ptr_array_new_with_free_func((GDestroyNotify)attendee_free);
	g_autoptr(GArray) updates = g_array_new(FALSE, FALSE, sizeof(gboolean));
	g_autoptr(JsonObject) summary = NULL;
	JsonArray *people;

	for (guint i = 0; i < req->people->len; i++) {
		const RequestFields *p = g_ptr_array_index(req->people, i);
		const char *email = p->values[REQUEST_EMAIL];
		g_autoptr(Attendee) existing = NULL;
		GError *e = NULL;
		Attendee *a;
		gboolean update;

		if (email == NULL)
			continue; /* already a problem: "attendee-without-address" */
		existing = store_attendee_get(r->txn, email, &e);
		if (e != NULL) {
			g_propagate_error(error, e);
			return FALSE;
		}
		a = planned_registration(r, email, existing, p, &update);
		if (a == NULL) {
			request_add_problem(req->problems, p->line, "registration-closed",
					    r->ctx->cfg->event_name, NULL);
			continue;
		}
		check_required(req, a, p->line, a->name != NULL ? a->name : email, r->lang);
		check_overlaps(r->ctx->cfg, req, a, p->line);
		g_ptr_array_add(planned, a);
		g_array_append_val(updates, update);
	}
	if (req->problems->len > 0)
		return reply_error(r, NULL, error);

	summary = reply_context(r, NULL, r->lang);
	people = json_array_new();
	for (guint i = 0; i < planned->len; i++) {
		Attendee *a = g_ptr_array_index(planned, i);
		const char *kind = g_array_index(updates, gboolean, i) ? "updated" : "registered";
		const char *lang = config_has_language(r->ctx->cfg, a->language) ? a->language : r->lang;
		g_autoptr(JsonObject) ctx = reply_context(r, a, lang);
		JsonObject *entry = attendee_json(r->ctx->cfg, a, r->lang);

		if (!store_attendee_put(r->txn, a, error))
			return FALSE;
		r->outcome->people++;
		json_object_set_string_member(ctx, "registered_by", r->msg->from_address);
		if (g_strcmp0(a->email, r->msg->from_address) != 0 &&
		    !reply_send(r, kind, lang, ctx, a->email, a->name, error))
			return FALSE;
		json_object_set_string_member(entry, "change", kind);
		json_array_add_object_element(people, entry);
	}
	json_object_set_array_member(summary, "people", people);
	json_object_set_int_member(summary, "count", planned->len);
	r->outcome->action = "delegation";
	return reply_send(r, "delegation", r->lang, summary, r->msg->from_address, r->msg->from_name,
			  error);
}

static gboolean handle_cancel(Reply *r, Attendee *existing, GError **error)
{
	if (existing == NULL || existing->status == ATTENDEE_CANCELLED) {
		request_add_problem(r->req->problems, 0, "not-registered", r->outcome->email, NULL);
		return reply_error(r, existing, error);
	}
	existing->status = ATTENDEE_CANCELLED;
	existing->updated_at = r->ctx->now;
	if (!store_attendee_put(r->txn, existing, error))
		return FALSE;
	r->outcome->people++;
	r->outcome->action = "cancelled";
	return reply_to_sender(r, "cancelled", existing, error);
}

gboolean command_apply(const CommandContext *ctx, StoreTxn *txn, const Message *msg,
		       CommandOutcome *outcome, GError **error)
{
	g_autoptr(Request) req = NULL;
	g_autoptr(Attendee) existing = NULL;
	Reply r = {ctx, txn, msg, NULL, outcome, NULL};
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

	req = request_parse(ctx->cfg, msg->subject, msg->detail, msg->body);
	r.req = req;
	email = req->fields.values[REQUEST_EMAIL] != NULL ? req->fields.values[REQUEST_EMAIL]
							 : msg->from_address;
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
	if (req->fields.values[REQUEST_LANGUAGE] == NULL && !req->french && existing != NULL &&
	    existing->language != NULL && config_has_language(ctx->cfg, existing->language))
		r.lang = existing->language;

	switch (req->command) {
	case REQUEST_FORM:
	case REQUEST_REGISTER:
	case REQUEST_UPDATE:
		if (req->people->len > 0)
			return handle_delegation(&r, error);
		return handle_form(&r, existing, error);
	case REQUEST_CANCEL:
		return handle_cancel(&r, existing, error);
	case REQUEST_HELP:
		outcome->action = "help";
		return reply_to_sender(&r, "help", existing, error);
	case REQUEST_PROGRAMME:
		outcome->action = "programme";
		return reply_to_sender(&r, "programme", existing, error);
	case REQUEST_STATUS:
	case REQUEST_CONFIRM:
		/* With nothing awaiting confirmation, CONFIRM answers like STATUS. */
		outcome->action = "status";
		return reply_to_sender(&r, "status", existing, error);
	}
	g_assert_not_reached();
}
