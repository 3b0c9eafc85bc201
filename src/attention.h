/* SPDX-License-Identifier: ISC */
/* attention.h: what needs an organiser, gathered in one place for the
 * daily digest (text, HTML) and "convenectl attention": messages passed to
 * them, error answers not yet put right, refusals, quarantined mail, failed
 * and bounced answers, senders held by the hourly limit, confirmations
 * long pending and every waiting list. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "config.h"
#include "store.h"

/* Events (messages passed on, errors, refusals, failures, held answers)
 * are reported for this many days after they happened. */
#define ATTENTION_DAYS 7
/* A confirmation unanswered for longer than this many days is reported. */
#define ATTENTION_PENDING_DAYS 2

/* Returns, as of @now, what needs an organiser, labelled in @lang, read
 * in @txn: an object with "any" (TRUE unless every list is empty) and one
 * member per list ("forwarded", "errors", "refusals", "quarantine",
 * "bounced", "failed", "limited", "pending", "waiting"), each an object
 * with "count", "more" (those left out of "items") and "items". Each
 * quarantined message not reported before is "new"; with @mark (a write
 * txn) it is marked reported. NULL with @error on a store error; the
 * caller frees the result. */
JsonObject *attention_build(StoreTxn *txn, const Config *cfg, const char *lang, gint64 now,
			    gboolean mark, GError **error);

/* Returns the label of instant @t for organisers reading @lang: the day
 * as the language writes it and the time, in the event's time zone. */
char *attention_when(const Config *cfg, const char *lang, gint64 t);

/* Moves the quarantined message @file (its name in the quarantine's new/
 * folder, or a path ending in that name) back into the intake's new/, to
 * be read again; *@name_out (when not NULL) is its name there. FALSE with
 * G_FILE_ERROR_NOENT when the quarantine holds no such message, or another
 * error when it cannot be moved (it then stays where it was). */
gboolean attention_release(const Config *cfg, const char *file, char **name_out, GError **error);

/* Returns @att (from attention_build()) as a CSV table like the
 * attendees' (csv.h): one record per item, with the columns list, email,
 * name, at, subject, detail and action (the command that deals with it). */
GBytes *attention_csv(JsonObject *att);
