/* SPDX-License-Identifier: ISC */
/* journal.h: what happened to registrations, noted in the transaction that
 * made it happen, for the organisers' digest and the attendees' itineraries.
 * command.c calls these after each registration it stores. */
#pragma once

#include <glib.h>

#include "attendee.h"
#include "config.h"
#include "store.h"

/* Notes that @a (as just stored in @txn, at @now, in place of @before, the
 * record as it was stored until then, or NULL) may have changed: journals
 * "registered", "updated" (with what changed, field by field of @cfg's
 * table) or "cancelled", and marks the attendee's itinerary due when its
 * schedule changed. A record that changed nothing an attendee or organiser
 * sees notes nothing. Call after every store_attendee_put() of a
 * registration. Write txn only. */
gboolean journal_note_change(StoreTxn *txn, const Config *cfg, const Attendee *before,
			     const Attendee *a, gint64 now, GError **error);

/* Notes that machine mail from @from was ignored because of @reason (both
 * already clean, one line). Write txn only. */
gboolean journal_note_robot(StoreTxn *txn, const char *from, const char *reason, gint64 now,
			    GError **error);

/* How many of a passed-on message's lines the journal keeps. */
#define JOURNAL_FORWARD_LINES 3

/* Notes that a person's message (from @from, @name, with @subject) was
 * passed to the organisers, with its first @lines (char *, the person's
 * own, already clean), for the digest. Write txn only. */
gboolean journal_note_forward(StoreTxn *txn, const char *from, const char *name,
			      const char *subject, const GPtrArray *lines, gint64 now,
			      GError **error);

/* The mark holding when the first registration was noted (its when). */
#define JOURNAL_FIRST_REGISTRATION "first-registration"

/* TRUE when a problem of @code refuses what was asked for a reason no
 * rewording changes (the deadline, registration closed, the event over,
 * an activity the person's country may not take): a refusal, which the
 * organisers may want to overrule, rather than an error to correct. */
gboolean journal_refusal(const char *code);

/* Notes that the answer to a message from @from (@name, with @subject)
 * was @action: "error" (nothing changed, for @problems) or "refused"
 * (@problems holds the refusals). @problems are RequestProblem *, noted
 * with their code, line and text in @lang. Write txn only. */
gboolean journal_note_answer(StoreTxn *txn, const Config *cfg, const char *action,
			     const char *from, const char *name, const char *subject,
			     const GPtrArray *problems, const char *lang, gint64 now,
			     GError **error);

/* Notes that an answer of @kind to @to was held back by the hourly limit
 * on answers. Write txn only. */
gboolean journal_note_limited(StoreTxn *txn, const char *to, const char *kind, gint64 now,
			      GError **error);
