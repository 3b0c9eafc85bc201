/* SPDX-License-Identifier: ISC */
/* organiser.c: the organisers' commands by email. Each acts only for an
 * address in event.organisers, and only once that address has confirmed
 * it by the round trip (never for a Reply-To); from anyone else the same
 * words do nothing at all, and nobody is written to. */

#include "autoconfig.h"

#include "organiser.h"

#include <string.h>

#include "address.h"
#include "confirm.h"
#include "csv.h"
#include "digest.h"
#include "register.h"

gboolean organiser_is(const Config *cfg, const char *address)
{
	return g_strv_contains((const char *const *)cfg->organisers, address);
}

/* An organiser's command: REPORT, EXPORT, BROADCAST, or CANCEL of
 * another address. */
gboolean organiser_command(const Request *req, const char *sender)
{
	g_autofree char *target = NULL;

	if (req->command == COMMAND_BROADCAST || req->command == COMMAND_REPORT ||
	    req->command == COMMAND_EXPORT)
		return TRUE;
	if (req->command != COMMAND_CANCEL || req->argument == NULL)
		return FALSE;
	target = address_parse(req->argument, NULL);
	return target != NULL && strcmp(target, sender) != 0;
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
		const char *lang = reply_language_of(r, a);
		g_autoptr(JsonObject) ctx = reply_context(r, a, lang, CONTEXT_FULL, error);

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
	g_autofree char *target = address_parse(r->req->argument, NULL);
	g_autoptr(Attendee) a = NULL, was = NULL;
	GError *e = NULL;
	Done done = {"cancel", 1};

	a = store_attendee_get(r->txn, target, &e);
	if (e != NULL) {
		g_propagate_error(error, e);
		return FALSE;
	}
	if (a == NULL || a->status == ATTENDEE_CANCELLED) {
		request_add_problem(r->req->problems, 0, "not-registered", target, NULL);
		return reply_error(r, NULL, error);
	}
	was = register_cancel_now(r, a, error);
	if (was == NULL || !reply_notify(r, "cancelled", was, "cancelled_by", error))
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
	ctx = reply_context(r, NULL, r->lang, CONTEXT_FULL, error);
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

gboolean organiser_handle(Reply *r, GError **error)
{
	if (!organiser_is(r->ctx->cfg, r->msg->from_address)) {
		/* Not an organiser: nothing is done and nobody is written to. */
		r->outcome->action = "not-organiser";
		return TRUE;
	}
	if (!r->confirmed)
		return confirm_ask(r, "organiser", NULL, error);
	r->organiser = TRUE;
	switch (r->req->command) {
	case COMMAND_BROADCAST:
		return run_broadcast(r, error);
	case COMMAND_REPORT:
		return run_report(r, error);
	case COMMAND_EXPORT:
		return run_export(r, error);
	default:
		return run_organiser_cancel(r, error);
	}
}
