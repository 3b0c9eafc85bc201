/* SPDX-License-Identifier: ISC */
/* command.c: one message's decision, dispatched. It reads the request,
 * hands it to the module that acts on it (register.c, confirm.c,
 * organiser.c) or recognises a bounce, all in the transaction it is given;
 * a message with any problem changes nothing. It never sends anything
 * itself, never answers a robot, and never lets a message act for an
 * address that has not confirmed it (when the event's policy asks for
 * confirmation). */

#include "autoconfig.h"

#include "command.h"

#include <string.h>

#include "bounce.h"
#include "confirm.h"
#include "forget.h"
#include "forward.h"
#include "grammar.h"
#include "journal.h"
#include "organiser.h"
#include "register.h"
#include "reply.h"
#include "token.h"

void command_outcome_clear(CommandOutcome *outcome)
{
	g_clear_pointer(&outcome->email, g_free);
	g_clear_pointer(&outcome->problems, g_free);
	outcome->action = NULL;
	outcome->replies = 0;
	outcome->limited = 0;
	outcome->people = 0;
}

/* TRUE when @r's request names an address other than its sender's, in an
 * Email: line or a delegation's block. */
static gboolean names_another(const Reply *r)
{
	const char *from = r->msg->from_address;

	if (g_strcmp0(r->outcome->email, from) != 0)
		return TRUE;
	for (guint i = 0; i < r->req->people->len; i++) {
		const RequestFields *p = g_ptr_array_index(r->req->people, i);

		if (g_strcmp0(request_fields_text(p, "email"), from) != 0)
			return TRUE;
	}
	return FALSE;
}

static void add_about(JsonObject *ctx, gpointer data)
{
	json_object_set_string_member(ctx, "about_address", data);
}

/* STATUS or PROGRAMME naming another address: what it asks for goes to
 * that address, if a registration has it, and the sender learns only
 * that it went there. */
static gboolean answer_owner(Reply *r, const char *kind, const Attendee *owner, GError **error)
{
	if (owner != NULL && !reply_notify(r, kind, owner, "asked_by", error))
		return FALSE;
	r->outcome->action = "sent-to-owner";
	return reply_to_sender_with(r, "sent-to-owner", NULL, add_about, r->outcome->email, error);
}

gboolean command_dispatch(Reply *r, Attendee *existing, GError **error)
{
	Request *req = r->req;
	const char *kind;

	if (organiser_command(req, r->msg->from_address))
		return organiser_handle(r, error);
	/* An organiser acts for others by email once they have confirmed. */
	if (!r->organiser && organiser_is(r->ctx->cfg, r->msg->from_address) && names_another(r)) {
		if (!r->confirmed)
			return confirm_ask(r, "organiser", NULL, error);
		r->organiser = TRUE;
	}
	/* What a cancellation or a sentence gives up, or a doubt about it. */
	if (req->withdraw->len > 0 || req->withdraw_days->len > 0)
		return register_withdraw(r, existing, error);
	if (req->withdraw_text != NULL && req->problems->len > 0)
		return reply_error(r, existing, error);
	switch (req->command) {
	case COMMAND_FORM:
	case COMMAND_REGISTER:
	case COMMAND_UPDATE:
		/* A form for another address is that person's delegation of
		 * one: they are told, and asked when already registered. */
		if (req->people->len == 0 && req->form_lines > 0 &&
		    g_strcmp0(r->outcome->email, r->msg->from_address) != 0)
			request_as_delegation(req);
		if (req->people->len > 0)
			return register_delegation(r, error);
		/* Nothing here for convene to read: a person's question, a
		 * thank-you, under any subject ("Change of plans") but a
		 * registration's, which is answered with what it lacks. An
		 * empty message gets the form. */
		if (req->command != COMMAND_REGISTER && req->form_lines == 0 &&
		    req->prose->len > 0 && r->ctx->cfg->organisers[0] != NULL)
			return forward_to_organisers(r, existing, TRUE, error);
		if (req->command == COMMAND_FORM && req->form_lines == 0) {
			r->outcome->action = "help";
			return reply_to_sender(r, "help", existing, error);
		}
		/* A question beside the form goes to the organisers as well. */
		r->passed_on = forward_has_question(r) && r->ctx->cfg->organisers[0] != NULL;
		if (!register_form(r, existing, error))
			return FALSE;
		return !r->passed_on || forward_to_organisers(r, existing, FALSE, error);
	case COMMAND_CANCEL:
		return register_cancel(r, existing, error);
	case COMMAND_HELP:
		r->outcome->action = "help";
		return reply_to_sender(r, "help", existing, error);
	case COMMAND_PROGRAMME:
	case COMMAND_STATUS:
		kind = req->command == COMMAND_STATUS ? "status" : "programme";
		if (!reply_own(r))
			return answer_owner(r, kind, existing, error);
		r->outcome->action = kind;
		return reply_to_sender(r, kind, existing, error);
	case COMMAND_CONFIRM:
		/* A CONFIRM without a token we know of. */
		request_add_problem(req->problems, 0, "token-invalid",
				    req->argument != NULL ? req->argument : "", NULL);
		return reply_error(r, existing, error);
	case COMMAND_FORGET:
		return forget_request(r, existing, error);
	case COMMAND_REPORT:
	case COMMAND_EXPORT:
	case COMMAND_BROADCAST:
	case COMMAND_N:
		break;
	}
	r->outcome->action = "help";
	return reply_to_sender(r, "help", existing, error);
}

/* An out-of-office notice marked only by Exchange's header: its subject
 * says what it is ("Automatic reply: ...", "Réponse automatique : ..."). */
static gboolean absence_notice(const Config *cfg, const Message *msg)
{
	return msg->auto_response_suppress && grammar_robot_subject(cfg->grammar, msg->subject);
}

Request *command_parse(const Config *cfg, const Message *msg)
{
	if (bounce_is_address(msg->detail) || msg->robot != NULL || absence_notice(cfg, msg))
		return NULL;
	return request_parse(cfg, msg->subject, msg->detail, msg->body);
}

gboolean command_apply(const CommandContext *ctx, StoreTxn *txn, const Message *msg,
		       Request **parsed, CommandOutcome *outcome, GError **error)
{
	g_autoptr(Attendee) existing = NULL;
	g_autofree char *token = NULL;
	Reply r = {.ctx = ctx, .txn = txn, .msg = msg, .outcome = outcome, .organiser = ctx->organiser};
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
	if (absence_notice(ctx->cfg, msg)) {
		outcome->action = "robot";
		return journal_note_robot(txn, msg->from_address,
					  "X-Auto-Response-Suppress and an absence subject", ctx->now,
					  error);
	}

	if (parsed != NULL && *parsed != NULL)
		r.req = g_steal_pointer(parsed);
	else
		r.req = command_parse(ctx->cfg, msg);
	email = request_fields_text(&r.req->fields, "email");
	if (email == NULL)
		email = msg->from_address;
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
	r.lang = request_language(r.req, ctx->cfg, existing != NULL ? existing->language : NULL,
				  msg->content_language);

	/* A confirmation is a reply to our request (its subject and quoted
	 * text carry the token) or CONFIRM <token>. */
	token = token_find(r.req->argument);
	if (token == NULL)
		token = token_find(msg->subject);
	if (token == NULL)
		token = token_find(msg->body);
	if (token != NULL)
		ok = confirm_handle(&r, token, error);
	else
		ok = command_dispatch(&r, existing, error);
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
	Reply r = {.ctx = ctx,
		   .txn = txn,
		   .msg = &msg,
		   .outcome = outcome,
		   .lang = cfg->languages[0],
		   .confirmed = TRUE,
		   .organiser = TRUE};
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
	was = register_cancel_now(&r, a, error);
	if (was == NULL || !reply_notify(&r, "cancelled", was, "cancelled_by", error))
		ok = FALSE;
	outcome->action = "organiser-cancel";
	outcome->email = g_strdup(email);
	request_free(r.req);
	return ok;
}
