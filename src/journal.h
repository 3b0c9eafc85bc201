/* SPDX-License-Identifier: ISC */
/* journal.h: what happened to registrations, noted in the transaction that
 * made it happen, for the organisers' digest and the attendees' itineraries.
 * command.c calls these after each registration it stores. */
#pragma once

#include <glib.h>

#include "attendee.h"
#include "store.h"

/* Notes that @a (as just stored in @txn, at @now, in place of @before, the
 * record as it was stored until then, or NULL) may have changed: journals
 * "registered", "updated" (with what changed) or "cancelled", and marks the
 * attendee's itinerary due. A record that changed nothing an attendee or
 * organiser sees notes nothing. Call after every store_attendee_put() of a
 * registration. Write txn only. */
gboolean journal_note_change(StoreTxn *txn, const Attendee *before, const Attendee *a, gint64 now,
			     GError **error);

/* Notes that machine mail from @from was ignored because of @reason (both
 * already clean, one line). Write txn only. */
gboolean journal_note_robot(StoreTxn *txn, const char *from, const char *reason, gint64 now,
			    GError **error);

/* The mark holding when the first registration was noted (its when). */
#define JOURNAL_FIRST_REGISTRATION "first-registration"
