/* SPDX-License-Identifier: ISC */
/* ics.h: iCalendar files (RFC 5545) for attendees' calendars, published
 * (iTIP METHOD:PUBLISH, RFC 5546): a personal agenda that calendars import,
 * where a withdrawn activity is its event again, STATUS:CANCELLED, with a
 * higher SEQUENCE. The only module that knows which library writes them. */
#pragma once

#include <glib.h>

#define ICS_ERROR (ics_error_quark())
GQuark ics_error_quark(void);

typedef enum {
	ICS_ERROR_TIMEZONE, /* no time zone data for the event's zone */
	ICS_ERROR_TIME,	    /* a day or time that is not one */
} IcsError;

typedef struct {
	const char *uid; /* stable across sends: see ics_uid() */
	const char *summary;
	const char *location;	 /* may be NULL */
	const char *description; /* may be NULL */
	const char *day;	 /* "YYYY-MM-DD", local to the calendar's zone */
	const char *start;	 /* "HH:MM" */
	const char *end;	 /* "HH:MM", after start */
	gboolean cancelled;	 /* withdrawn: STATUS:CANCELLED */
} IcsEvent;

typedef struct {
	const char *tzid;	    /* IANA zone of every event's times */
	const char *organiser_name; /* may be NULL */
	const char *organiser_address;
	guint sequence;	 /* SEQUENCE of every event */
	gint64 stamp;	 /* DTSTAMP, Unix seconds */
	gboolean cancel; /* every event withdrawn: the registration is cancelled */
} IcsCalendar;

/* Returns the text of a VCALENDAR (CRLF line ends) holding @n @events and
 * the VTIMEZONE their times refer to, newly allocated. Returns NULL with
 * @error when cal->tzid is unknown or an event's time does not parse. */
GBytes *ics_calendar_new(const IcsCalendar *cal, const IcsEvent *events, guint n, GError **error);

/* Returns a new UID for @activity of the attendee @email under @domain: the
 * same for the same three, whatever else changes, and free of the address. */
char *ics_uid(const char *email, const char *activity, const char *domain);
