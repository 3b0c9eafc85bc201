/* SPDX-License-Identifier: ISC */
/* forward.c: passes people's messages to the organisers. Nothing of the
 * message reaches a header but its sender's address, cleaned, as the
 * Reply-To that lets an organiser answer with one click; the message goes
 * whole as an attachment, never pasted into our text. It never writes to
 * an organiser for a sender beyond the hourly limit: such a message is
 * listed in the digest only. */

#include "autoconfig.h"

#include "forward.h"

#include <string.h>

#include "journal.h"

gboolean forward_has_question(const Reply *r)
{
	for (guint i = 0; i < r->req->prose->len; i++)
		if (strchr(g_ptr_array_index(r->req->prose, i), '?') != NULL)
			return TRUE;
	return FALSE;
}

/* The message's first lines of the person's own, for the organisers to see
 * at a glance. */
static JsonArray *first_lines(const Request *req)
{
	JsonArray *lines = json_array_new();

	for (guint i = 0; i < req->prose->len && i < JOURNAL_FORWARD_LINES; i++)
		json_array_add_string_element(lines, g_ptr_array_index(req->prose, i));
	return lines;
}

gboolean forward_to_organisers(Reply *r, const Attendee *existing, gboolean tell,
			       GError **error)
{
	const Config *cfg = r->ctx->cfg;
	const char *lang = cfg->languages[0];
	ComposeAttachment original = {"message.eml", "message/rfc822", NULL, r->msg->raw};
	guint limited = r->outcome->limited;

	if (!journal_note_forward(r->txn, r->msg->from_address, r->msg->from_name,
				  r->msg->subject, r->req->prose, r->ctx->now, error))
		return FALSE;
	if (tell) {
		r->outcome->action = "forwarded";
		if (!reply_to_sender(r, "forwarded", existing, error))
			return FALSE;
		/* Over the hourly limit: the digest lists it, nobody else is written to. */
		if (r->outcome->limited > limited)
			return TRUE;
	}
	for (guint i = 0; cfg->organisers[i] != NULL; i++) {
		g_autoptr(JsonObject) ctx = reply_context(r, existing, lang, CONTEXT_FULL, error);
		g_autoptr(OutboxRow) row = NULL;
		ComposeMail mail = {
		    .kind = "organiser-forward",
		    .lang = lang,
		    .ctx = ctx,
		    .to_address = cfg->organisers[i],
		    .reply_to = r->msg->from_address,
		    .reply_to_name = r->msg->from_name,
		    .auto_replied = FALSE,
		    .attachments = r->msg->raw != NULL ? &original : NULL,
		    .n_attachments = r->msg->raw != NULL ? 1 : 0,
		};

		if (ctx == NULL)
			return FALSE;
		json_object_set_string_member(ctx, "sender_name", r->msg->from_name);
		json_object_set_array_member(ctx, "lines", first_lines(r->req));
		row = compose_mail(r->ctx->composer, &mail, r->ctx->now, error);
		if (row == NULL || !store_outbox_add(r->txn, row, error))
			return FALSE;
		r->outcome->replies++;
	}
	return TRUE;
}
