/* SPDX-License-Identifier: ISC */
/* confirm.c: the round trip. The token is only ever sent to the address
 * whose request it is (never to a Reply-To), is single use (its pending
 * request is deleted when used), and carries nothing but a MAC, so that a
 * confirmation proves the address's owner read our request. */

#include "autoconfig.h"

#include "confirm.h"

#include <string.h>

#include "token.h"

static gboolean trusted(const Config *cfg, const char *address)
{
	const char *at = strrchr(address, '@');

	return at != NULL && g_strv_contains((const char *const *)cfg->trusted_domains, at + 1);
}

gboolean confirm_needed(Reply *r)
{
	return !r->confirmed && !r->organiser && r->ctx->cfg->policy == CONFIG_POLICY_CONFIRM &&
	       !trusted(r->ctx->cfg, r->msg->from_address);
}

/* Keeps @r's message for @to's confirmation of @action and writes to @to in
 * @lang; @asked_by is the sender when the request is about @to's
 * registration but came from another address. */
static gboolean ask(Reply *r, const char *action, const Attendee *shown, const char *to,
		    const char *to_name, const char *lang, const char *asked_by, GError **error)
{
	const Message *msg = r->msg;
	gint64 expires = r->ctx->now + TOKEN_LIFETIME;
	g_autofree char *token = token_make(r->ctx->secret, to, action, expires);
	StorePending p = {
	    .token = token,
	    .email = (char *)to,
	    .action = (char *)action,
	    .subject = msg->subject,
	    .detail = msg->detail,
	    .body = msg->body,
	    .from_name = asked_by != NULL ? (char *)to_name : msg->from_name,
	    .message_id = msg->message_id,
	    .references = msg->references,
	    .asked_by = (char *)asked_by,
	    .created_at = r->ctx->now,
	    .expires_at = expires,
	};
	g_autoptr(JsonObject) ctx = NULL;

	if (!store_pending_put(r->txn, &p, error))
		return FALSE;
	ctx = reply_context(r, shown, lang, CONTEXT_FULL, error);
	if (ctx == NULL)
		return FALSE;
	json_object_set_string_member(ctx, "token", token);
	/* One flag per action, for the template's sections. */
	json_object_set_boolean_member(ctx, action, TRUE);
	if (asked_by != NULL) {
		json_object_set_string_member(ctx, "asked_by", asked_by);
	} else {
		if (r->req->people->len > 0)
			json_object_set_int_member(ctx, "people", r->req->people->len);
		if (r->req->argument != NULL)
			json_object_set_string_member(ctx, "argument", r->req->argument);
	}
	/* The owner's request is no answer to a message they wrote. */
	return reply_send(r, "confirm-request", lang, ctx, to, to_name, asked_by == NULL, error);
}

gboolean confirm_ask(Reply *r, const char *action, const Attendee *shown, GError **error)
{
	r->outcome->action = "confirm-request";
	return ask(r, action, shown, r->msg->from_address, r->msg->from_name, r->lang, NULL,
		   error);
}

gboolean confirm_ask_owner(Reply *r, const char *action, const Attendee *owner,
			   const Attendee *shown, GError **error)
{
	r->outcome->action = "asked-owner";
	return ask(r, action, shown, owner->email, owner->name, reply_language_of(r, owner),
		   r->msg->from_address, error);
}

static void add_asked(JsonObject *ctx, gpointer data)
{
	json_object_set_string_member(ctx, "about_address", data);
}

gboolean confirm_tell_asked(Reply *r, const char *email, GError **error)
{
	return reply_to_sender_with(r, "asked", NULL, add_asked, (gpointer)email, error);
}

/* Gives @to every field @from gives, over what @to had. */
static void merge_fields(RequestFields *to, const RequestFields *from)
{
	GHashTableIter it;
	gpointer id, values;

	g_hash_table_iter_init(&it, from->values);
	while (g_hash_table_iter_next(&it, &id, &values)) {
		GPtrArray *copy;

		/* Whose request it is was settled by the round trip. */
		if (strcmp(id, "email") == 0)
			continue;
		copy = g_ptr_array_new_with_free_func(g_free);

		for (guint i = 0; i < ((GPtrArray *)values)->len; i++)
			g_ptr_array_add(copy, g_strdup(g_ptr_array_index((GPtrArray *)values, i)));
		g_hash_table_replace(to->values, g_strdup(id), copy);
		g_hash_table_replace(to->lines, g_strdup(id),
				     g_hash_table_lookup(from->lines, id));
	}
}

/* Keeps of a delegation's blocks only @email's, read as that person's own
 * form: the common lines, then the block's. */
static void only_person(Request *req, const char *email)
{
	for (guint i = 0; i < req->people->len; i++) {
		const RequestFields *p = g_ptr_array_index(req->people, i);

		if (g_strcmp0(request_fields_text(p, "email"), email) == 0)
			merge_fields(&req->fields, p);
	}
	g_ptr_array_set_size(req->people, 0);
}

gboolean confirm_handle(Reply *r, const char *token, GError **error)
{
	const CommandContext *ctx = r->ctx;
	g_autoptr(StorePending) p = NULL;
	g_autoptr(Attendee) existing = NULL;
	Message original;
	Reply again;
	GError *e = NULL;
	const char *target;
	g_autoptr(Request) added = NULL;

	p = store_pending_get(r->txn, token, &e);
	if (e != NULL) {
		g_propagate_error(error, e);
		return FALSE;
	}
	if (p == NULL || strcmp(p->email, r->msg->from_address) != 0 ||
	    !token_check(ctx->secret, token, p->email, p->action, ctx->now)) {
		request_add_problem(r->req->problems, 0,
				    p != NULL && p->expires_at <= ctx->now ? "token-expired"
									   : "token-invalid",
				    token, NULL);
		return reply_error(r, NULL, error);
	}
	/* Lines written in the reply that confirms count with the request
	 * confirmed; a problem in them is answered, and the request waits. */
	if (r->req->problems->len > 0)
		return reply_error(r, NULL, error);
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
	added = g_steal_pointer(&r->req);
	r->req = request_parse(ctx->cfg, p->subject, p->detail, p->body);
	merge_fields(&r->req->fields, &added->fields);
	for (guint i = 0; i < added->notes->len; i++)
		g_ptr_array_add(r->req->notes, g_ptr_array_steal_index(added->notes, i--));
	again = *r;
	again.msg = &original;
	again.confirmed = TRUE;
	/* A request another address made about this one is carried out for
	 * this one alone, whatever else it named. */
	if (p->asked_by != NULL)
		only_person(r->req, p->email);
	target = p->asked_by == NULL ? request_fields_text(&r->req->fields, "email") : NULL;
	g_free(r->outcome->email);
	r->outcome->email = g_strdup(target != NULL ? target : p->email);
	existing = store_attendee_get(r->txn, r->outcome->email, &e);
	if (e != NULL) {
		g_propagate_error(error, e);
		return FALSE;
	}
	return command_dispatch(&again, existing, error);
}
