/* SPDX-License-Identifier: ISC */
/* itinerary.h: each attendee's own schedule: the personal itinerary with
 * its calendar file, and the programme of one event day. Both are queued in
 * the caller's write transaction, never sent from here. */
#pragma once

#include <glib.h>

#include "attendee.h"
#include "compose.h"
#include "config.h"
#include "store.h"

typedef enum {
	ITINERARY_CHANGE,   /* the first itinerary, or one after a change */
	ITINERARY_REMINDER, /* schedule.itinerary-days-before the first day */
	ITINERARY_RESEND,   /* asked for by hand */
} ItineraryReason;

/* Queues @a's itinerary (template "itinerary", in their language) in @txn
 * at @now: their days and activities in order, arrival and departure, and
 * an .ics with one event per activity. Events withdrawn since the last
 * calendar sent go as cancelled; a cancelled attendee gets METHOD:CANCEL
 * for every event sent before. SEQUENCE is raised for a change, and the
 * attendee's itinerary state updated. Sets *@queued to FALSE when there is
 * nothing to tell (not coming, and never sent a calendar). */
gboolean itinerary_queue(StoreTxn *txn, Composer *composer, const Config *cfg, const Attendee *a,
			 ItineraryReason reason, gint64 now, gboolean *queued, GError **error);

/* Fills @ctx with @a's itinerary as itinerary_queue() tells it (days,
 * withdrawn, first, changed, reminder, cancelled, calendar, sequence) and
 * sets *@ics to its calendar (NULL when it has no event), recording in
 * @txn what the attendee's calendar is told: for an answer that carries
 * the itinerary itself. *@tell is FALSE when there is nothing to tell; the
 * caller frees *@ics. */
gboolean itinerary_build(StoreTxn *txn, Composer *composer, const Config *cfg, const Attendee *a,
			 ItineraryReason reason, gint64 now, JsonObject *ctx, GBytes **ics,
			 gboolean *tell, GError **error);

/* Returns TRUE if @a comes on @date ("YYYY-MM-DD"): confirmed, and that day
 * is one of theirs or holds one of their activities. */
gboolean itinerary_attends(const Config *cfg, const Attendee *a, const char *date);

/* Queues the programme of @date for @a (template "daily-programme"): their
 * activities that day and the sessions open to everyone, nothing of other
 * days. */
gboolean itinerary_queue_day(StoreTxn *txn, Composer *composer, const Config *cfg,
			     const Attendee *a, const char *date, gint64 now, GError **error);
