/* SPDX-License-Identifier: ISC */
/* reply.c: queues answers. Every mail a message causes is an outbox row
 * written in the transaction that holds the message's effects; nothing is
 * sent from here, and nobody beyond the hourly limit is written to. */

#include "autoconfig.h"

#include "reply.h"

#include <string.h>

#include "itinerary.h"
#include "journal.h"
#include "store.h"

gboolean reply_own(const Reply *r)
{
	return r->organiser || g_strcmp0(r->outcome->email, r->msg->from_address) == 0;
}

gboolean reply_may_change(const Reply *r, const Attendee *a)
{
	const char *from = r->msg->from_address;

	return r->organiser || a == NULL || a->status == ATTENDEE_CANCELLED ||
	       strcmp(a->email, from) == 0 ||
	       (r->ctx->cfg->policy != CONFIG_POLICY_CONFIRM &&
		g_strcmp0(a->registered_by, from) == 0);
}

const char *reply_language_of(Reply *r, const Attendee *a)
{
	return a != NULL && config_has_language(r->ctx->cfg, a->language) ? a->language : r->lang;
}

/* Adds the waiting-list entries of @a, with positions, to @o. */
static gboolean waitlist_json(Reply *r, JsonObject *o, const Attendee *a, const char *lang,
			      GError **error)
{
	g_autofree guint *positions = g_new0(guint, a->waitlist->len + 1);

	for (guint i = 0; i < a->waitlist->len; i++) {
		const char *id = g_ptr_array_index(a->waitlist, i);
		GError *e = NULL;

		if (config_activity_find(r->ctx->cfg, id) == NULL)
			continue;
		positions[i] = store_waiting_position(r->txn, id, a->email, &e);
		if (e != NULL) {
			g_propagate_error(error, e);
			return FALSE;
		}
	}
	json_object_set_array_member(o, "waitlist_details",
				     context_waitlist(r->ctx->cfg, a, lang, positions));
	return TRUE;
}

JsonObject *reply_context(Reply *r, const Attendee *a, const char *lang, ContextAudience audience,
			  GError **error)
{
	const Config *cfg = r->ctx->cfg;
	g_autoptr(JsonObject) ctx = json_object_new();

	json_object_set_object_member(ctx, "event", compose_event(r->ctx->composer, lang));
	json_object_set_string_member(ctx, "sender", r->msg->from_address);
	json_object_set_string_member(ctx, "their_subject", r->msg->subject);
	if (a != NULL) {
		JsonObject *o = context_attendee(r->ctx->composer, cfg, a, lang, audience);

		json_object_set_object_member(ctx, "attendee", o);
		if (!waitlist_json(r, o, a, lang, error))
			return NULL;
	}
	json_object_set_array_member(ctx, "problems", context_problems(cfg, r->req->problems, lang));
	json_object_set_array_member(ctx, "notes", context_problems(cfg, r->req->notes, lang));
	/* A section over a list repeats; a heading above it wants a flag. */
	json_object_set_boolean_member(ctx, "has_notes", r->req->notes->len > 0);
	json_object_set_boolean_member(ctx, "has_problems", r->req->problems->len > 0);
	json_object_set_boolean_member(ctx, "passed_on", r->passed_on);
	json_object_set_array_member(ctx, "form", compose_form(r->ctx->composer, lang));
	return g_steal_pointer(&ctx);
}

/* The answers that follow a change of a registration: they carry the
 * itinerary, when its schedule changed, rather than a second mail a
 * second later. */
static gboolean carries_itinerary(const char *kind)
{
	static const char *const kinds[] = {"registered", "updated", "waitlisted", "promoted",
					    "cancelled", NULL};

	return g_strv_contains(kinds, kind);
}

/* Queues @kind to @to as reply_send() says; @about, when not NULL, is the
 * registration the mail tells of (and @to its owner's address). */
static gboolean send_about(Reply *r, const char *kind, const char *lang, JsonObject *ctx,
			   const char *to, const char *to_name, gboolean answer,
			   const Attendee *about, GError **error)
{
	const Config *cfg = r->ctx->cfg;
	g_autoptr(OutboxRow) row = NULL;
	g_autoptr(GBytes) ics = NULL;
	ComposeAttachment calendar = {"itinerary.ics", "text/calendar", "PUBLISH", NULL};
	gboolean allowed = TRUE, due = FALSE;
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
		return journal_note_limited(r->txn, to, kind, r->ctx->now, error);
	}
	/* Taken only once the answer is sure to go: a held-back answer leaves
	 * the itinerary to the scheduler. */
	if (about != NULL && carries_itinerary(kind) && g_strcmp0(about->email, to) == 0 &&
	    !store_due_take(r->txn, about->email, &due, error))
		return FALSE;
	if (due) {
		JsonObject *itinerary = json_object_new();
		gboolean tell;

		json_object_set_object_member(ctx, "itinerary", itinerary);
		if (!itinerary_build(r->txn, r->ctx->composer, cfg, about, ITINERARY_CHANGE,
				     r->ctx->now, itinerary, &ics, &tell, error))
			return FALSE;
		if (!tell)
			json_object_remove_member(ctx, "itinerary");
		calendar.data = ics;
		if (ics != NULL) {
			mail.attachments = &calendar;
			mail.n_attachments = 1;
		}
	}
	row = compose_mail(r->ctx->composer, &mail, r->ctx->now, error);
	if (row == NULL || !store_outbox_add(r->txn, row, error))
		return FALSE;
	r->outcome->replies++;
	return TRUE;
}

gboolean reply_send(Reply *r, const char *kind, const char *lang, JsonObject *ctx, const char *to,
		    const char *to_name, gboolean answer, GError **error)
{
	return send_about(r, kind, lang, ctx, to, to_name, answer, NULL, error);
}

/* Notes for the organisers an answer of @kind that refuses or finds
 * fault: an error with all its problems, or the refusals among the notes
 * of an answer that otherwise stands. */
static gboolean note_answer(Reply *r, const char *kind, GError **error)
{
	const Config *cfg = r->ctx->cfg;
	gboolean is_error = strcmp(kind, "error") == 0;
	const GPtrArray *list = is_error ? r->req->problems : r->req->notes;
	g_autoptr(GPtrArray) refusals = g_ptr_array_new();

	for (guint i = 0; i < list->len; i++) {
		const RequestProblem *p = g_ptr_array_index(list, i);

		if (journal_refusal(p->code))
			g_ptr_array_add(refusals, (gpointer)p);
	}
	if (!is_error && refusals->len == 0)
		return TRUE;
	return journal_note_answer(r->txn, cfg, refusals->len > 0 ? "refused" : "error",
				   r->msg->from_address, r->msg->from_name, r->msg->subject,
				   is_error ? list : refusals, cfg->languages[0], r->ctx->now,
				   error);
}

gboolean reply_to_sender_with(Reply *r, const char *kind, const Attendee *a,
			      void (*extra)(JsonObject *ctx, gpointer data), gpointer data,
			      GError **error)
{
	const char *from = r->msg->from_address;
	gboolean own = a != NULL && strcmp(a->email, from) == 0;
	ContextAudience audience = CONTEXT_FULL;
	g_autoptr(JsonObject) ctx = NULL;
	const char *name = own && a->name != NULL ? a->name : r->msg->from_name;

	if (a != NULL && !own && !r->organiser) {
		if (g_strcmp0(a->registered_by, from) == 0)
			audience = CONTEXT_SHARED;
		else
			a = NULL; /* another's registration: not a word of it */
	}
	ctx = reply_context(r, a, r->lang, audience, error);
	if (ctx == NULL)
		return FALSE;
	if (extra != NULL)
		extra(ctx, data);
	if (!note_answer(r, kind, error))
		return FALSE;
	return send_about(r, kind, r->lang, ctx, from, name, TRUE, a, error);
}

gboolean reply_to_sender(Reply *r, const char *kind, const Attendee *a, GError **error)
{
	return reply_to_sender_with(r, kind, a, NULL, NULL, error);
}

gboolean reply_error(Reply *r, const Attendee *shown, GError **error)
{
	g_autoptr(GString) problems = g_string_new(NULL);

	for (guint i = 0; i < r->req->problems->len; i++) {
		const RequestProblem *p = g_ptr_array_index(r->req->problems, i);
		g_autofree char *said = request_problem_describe(p, r->ctx->cfg, r->lang);

		if (p->line > 0)
			g_string_append_printf(problems, "line %u: ", p->line);
		g_string_append_printf(problems, "%s\n", said);
	}
	g_free(r->outcome->problems);
	r->outcome->problems = g_string_free(g_steal_pointer(&problems), FALSE);
	r->outcome->action = "error";
	return reply_to_sender(r, "error", shown, error);
}

gboolean reply_notify(Reply *r, const char *kind, const Attendee *a, const char *note_member,
		      GError **error)
{
	return reply_notify_change(r, kind, NULL, a, note_member, error);
}

gboolean reply_notify_change(Reply *r, const char *kind, const Attendee *before,
			     const Attendee *a, const char *note_member, GError **error)
{
	const char *lang = reply_language_of(r, a);
	g_autoptr(JsonObject) ctx = reply_context(r, a, lang, CONTEXT_FULL, error);

	if (ctx == NULL)
		return FALSE;
	if (note_member != NULL)
		json_object_set_string_member(ctx, note_member, r->msg->from_address);
	if (before != NULL) {
		JsonArray *changes = context_changes(r->ctx->cfg, before, a, lang);

		json_object_set_boolean_member(ctx, "has_changes",
					       json_array_get_length(changes) > 0);
		json_object_set_array_member(ctx, "changes", changes);
	}
	return send_about(r, kind, lang, ctx, a->email, a->name, FALSE, a, error);
}
