/* SPDX-License-Identifier: ISC */
/* reply.h: what every handler of a message shares: the message being
 * answered, the transaction its effects go into, and the one way to queue
 * an answer (template context, hourly limit, outbox row). */
#pragma once

#include <glib.h>

#include "command.h"
#include "context.h"

typedef struct {
	const CommandContext *ctx;
	StoreTxn *txn;
	const Message *msg;
	Request *req;
	CommandOutcome *outcome;
	const char *lang;    /* the sender's */
	gboolean confirmed;  /* acting on a confirmed round trip, or for the organisers */
	gboolean passed_on;  /* a question in the message goes to the organisers too */
	gboolean organiser;  /* acting for the organisers: convenectl, or an
			      * organiser's request they confirmed */
} Reply;

/* TRUE when @r's request is about the sender's own registration (the
 * address it names, r->outcome->email, is theirs), or the organisers act. */
gboolean reply_own(const Reply *r);

/* TRUE when @r's sender may change @a without asking its owner: it is
 * theirs, or one they registered for someone who has not changed it since
 * (not under policy "confirm", where only the owner's round trip changes
 * a registration), or no registration (NULL, cancelled), or the organisers
 * act. Anyone else's change is asked of the owner, at the owner's address. */
gboolean reply_may_change(const Reply *r, const Attendee *a);

/* Returns the context every template gets: the event, the sender, their
 * problems and notes, the form, and @a's registration (when not NULL) as
 * @audience may see it, with its waiting-list positions. NULL with @error
 * on a store error. */
JsonObject *reply_context(Reply *r, const Attendee *a, const char *lang, ContextAudience audience,
			  GError **error);

/* Queues mail @kind in @lang to @to (threaded to the message answered when
 * @answer), unless @to has had its hourly share of answers. */
gboolean reply_send(Reply *r, const char *kind, const char *lang, JsonObject *ctx, const char *to,
		    const char *to_name, gboolean answer, GError **error);

/* Answers the sender with @kind, showing @a as the sender may see it:
 * every field when it is theirs (or the organisers ask), the shared ones
 * (name, organisation, days, activities) when the sender registered it for
 * its owner, and nothing of anyone else's. @extra, when not NULL, adds
 * members to the context. */
gboolean reply_to_sender_with(Reply *r, const char *kind, const Attendee *a,
			      void (*extra)(JsonObject *ctx, gpointer data), gpointer data,
			      GError **error);
gboolean reply_to_sender(Reply *r, const char *kind, const Attendee *a, GError **error);

/* Answers the sender with the problems of their request: nothing changed. */
gboolean reply_error(Reply *r, const Attendee *shown, GError **error);

/* Tells @a (not the sender) of something done for them, in their own
 * language; @note_member, when not NULL, is set to the sender's address in
 * the context (who did it). */
gboolean reply_notify(Reply *r, const char *kind, const Attendee *a, const char *note_member,
		      GError **error);

/* As reply_notify(), with what changed from @before (NULL for a new
 * registration) as "changes". */
gboolean reply_notify_change(Reply *r, const char *kind, const Attendee *before,
			     const Attendee *a, const char *note_member, GError **error);

/* Returns the language @a reads: theirs when the event has it, else @r's. */
const char *reply_language_of(Reply *r, const Attendee *a);

/* Carries out @r's request for @existing (the registration it is about,
 * or NULL): command.c's dispatch, for a confirmed request read again. */
gboolean command_dispatch(Reply *r, Attendee *existing, GError **error);
