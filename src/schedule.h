/* SPDX-License-Identifier: ISC */
/* schedule.h: the sends that come with the event's clock: each event day's
 * programme at schedule.programme-at, the organisers' digest at
 * schedule.digest-at from the first registration to the last day, and the
 * itinerary reminder schedule.itinerary-days-before the first day, all in
 * the event's time zone; and each itinerary due after a change. Each send
 * is keyed (kind, date, recipient) in the store, so none is made twice. */
#pragma once

#include <glib.h>

#include "compose.h"
#include "config.h"
#include "store.h"

#define SCHEDULE_ITINERARY "itinerary"
#define SCHEDULE_PROGRAMME "daily-programme"
#define SCHEDULE_DIGEST "organiser-digest"

/* One scheduled send, for every recipient it has. */
typedef struct {
	const char *kind; /* SCHEDULE_ITINERARY (the reminder), _PROGRAMME or _DIGEST */
	char date[11];	  /* the event-local day it belongs to, "YYYY-MM-DD" */
	gint64 at;	  /* the instant it falls due, Unix seconds */
	gboolean past;	  /* its day was over at the instant asked about */
} ScheduleSlot;

/* Returns (a new GArray of ScheduleSlot, in time order) every slot whose
 * time has come by @now: due earlier today (past FALSE) or on an earlier
 * day (past TRUE). Days start at the local day of @first_registration (Unix
 * seconds; 0, nobody registered yet, means no slot at all). A pure function
 * of its arguments: local times come from cfg->tz, daylight saving
 * included. */
GArray *schedule_slots(const Config *cfg, gint64 now, gint64 first_registration);

typedef struct {
	guint itineraries; /* after registrations and changes */
	guint reminders;
	guint programmes;
	guint digests;
	guint skipped; /* slots of a day that is over, never to be sent */
	guint erased;  /* registrations erased at the retention period's end */
} ScheduleStats;

/* Queues everything due at @now: the itineraries of registrations changed
 * since the last run (several changes of one attendee make one mail), then
 * every slot due today for each recipient not yet sent it. Slots of past
 * days never sent are skipped and logged, once. Commits in batches; a
 * failure leaves what was committed and the rest for the next run.
 * Returns FALSE with @error when the store or a template fails. */
gboolean schedule_run(const Config *cfg, Store *store, Composer *composer, gint64 now,
		      ScheduleStats *stats, GError **error);

/* What "convenectl digest" queues by hand, at once and whatever was sent
 * before (a preview or a re-send); nothing is marked sent. */
typedef enum {
	SCHEDULE_BY_HAND_DIGEST,    /* the organisers' digest: since the last daily
				     * one, or of @date's day */
	SCHEDULE_BY_HAND_ITINERARY, /* every confirmed attendee's itinerary */
	SCHEDULE_BY_HAND_PROGRAMME, /* @date's programme (default: today) */
} ScheduleByHand;

/* Queues @what at @now; @date ("YYYY-MM-DD") may be NULL, @address limits
 * it to one attendee (NULL: everyone). Sets *@queued to the mails queued.
 * Fails with G_OPTION_ERROR_BAD_VALUE for a @date that is no day of the
 * event where one is needed. */
gboolean schedule_by_hand(const Config *cfg, Store *store, Composer *composer, ScheduleByHand what,
			  const char *date, const char *address, gint64 now, guint *queued,
			  GError **error);
