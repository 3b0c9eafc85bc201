/* SPDX-License-Identifier: ISC */
/* command.h: what convene does about one message: the registration change,
 * the Message-ID marked seen and every reply, all inside the caller's
 * write transaction so that they commit together or not at all. */
#pragma once

#include <glib.h>

#include "compose.h"
#include "config.h"
#include "message.h"
#include "request.h"
#include "store.h"

typedef struct {
	const Config *cfg;
	Composer *composer;
	gint64 now;            /* Unix seconds, from the clock module */
	GBytes *secret;        /* of the confirmation tokens (token_secret_load()) */
	gboolean organiser;    /* convenectl on the server: the organisers act */
} CommandContext;

typedef struct {
	const char *action;    /* "registered", "updated", "cancelled", "status",
				* "help", "programme", "delegation", "error",
				* "confirm-request", "broadcast", "organiser-cancel",
				* "not-organiser", "bounce", "bounce-ignored",
				* "duplicate", "robot" */
	char *email;           /* whose registration, or NULL */
	guint replies;         /* outbox rows queued */
	guint limited;         /* answers held back by the hourly limit */
	guint people;          /* registrations changed (several for a delegation) */
	char *problems;        /* for "error": what was wrong, a line each, in the
				* answer's language */
} CommandOutcome;

/* Decides what @msg asks for and writes its effects into @txn. It may run
 * again on the same message if the transaction is redone, so @outcome is
 * reset at the start. *@parsed, when not NULL, is request_parse() of @msg
 * made beforehand (outside the transaction): it is used and freed, and
 * *@parsed cleared, so that a second run parses anew. Returns FALSE with
 * @error only for trouble on our side (the store, a template): the
 * transaction must then be abandoned. */
gboolean command_apply(const CommandContext *ctx, StoreTxn *txn, const Message *msg,
		       Request **parsed, CommandOutcome *outcome, GError **error);

/* Returns request_parse() of @msg as command_apply() would make it, or NULL
 * for a message it answers without reading (a robot's, a bounce). Pure:
 * any thread may call it. */
Request *command_parse(const Config *cfg, const Message *msg);

void command_outcome_clear(CommandOutcome *outcome);

/* Cancels @email's registration for the organisers (convenectl cancel), in
 * @txn: the places it frees go to those waiting, and they and @email are
 * told. Sets *@found to whether there was a registration to cancel. */
gboolean command_cancel_by_organisers(const CommandContext *ctx, StoreTxn *txn, const char *email,
				      gboolean *found, CommandOutcome *outcome, GError **error);
