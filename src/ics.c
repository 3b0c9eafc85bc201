/* SPDX-License-Identifier: ISC */
/* ics.c: attendee calendars written with libical, the only file that
 * includes it. Times are written as local times with the event's TZID and
 * that zone's VTIMEZONE, so calendars show 09:00 whichever side of a
 * daylight-saving change the day falls; nothing here reads the clock. */

#include "autoconfig.h"

#include "ics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libical/ical.h>

#include "config.h"

GQuark ics_error_quark(void)
{
	return g_quark_from_static_string("ics-error-quark");
}

char *ics_uid(const char *email, const char *activity, const char *domain)
{
	g_autofree char *digest = g_compute_checksum_for_string(G_CHECKSUM_SHA256, email, -1);

	/* 20 hex digits keep UIDs short and tell 2^80 attendees apart. */
	digest[20] = '\0';
	return g_strdup_printf("%s-%s@%s", activity, digest, domain);
}

/* Parses "YYYY-MM-DD" and "HH:MM" into a floating local time. */
static gboolean local_time(const char *day, const char *hhmm, struct icaltimetype *t,
			   GError **error)
{
	int y, mo, d, h, mi;
	char tail;

	if (day == NULL || hhmm == NULL || sscanf(day, "%4d-%2d-%2d%c", &y, &mo, &d, &tail) != 3 ||
	    !config_parse_time(hhmm, &h, &mi) || !g_date_valid_dmy(d, mo, y)) {
		g_set_error(error, ICS_ERROR, ICS_ERROR_TIME, "%s %s: not a day and a time",
			    day != NULL ? day : "(none)", hhmm != NULL ? hhmm : "(none)");
		return FALSE;
	}
	*t = icaltime_null_time();
	t->year = y;
	t->month = mo;
	t->day = d;
	t->hour = h;
	t->minute = mi;
	return TRUE;
}

static icalproperty *zoned(icalproperty *p, const char *tzid)
{
	icalproperty_add_parameter(p, icalparameter_new_tzid(tzid));
	return p;
}

static icalproperty *person(icalproperty *p, const char *name)
{
	if (name != NULL && *name != '\0')
		icalproperty_add_parameter(p, icalparameter_new_cn(name));
	return p;
}

/* Returns a new VTIMEZONE for @zone named @tzid, trimmed to the years
 * from @first to @last so that it does not carry the zone's whole history.
 * Trimming is costly and its result always the same, so each one made is
 * kept (per process, like libical's own zone data) and copies are given. */
static icalcomponent *vtimezone(icaltimezone *zone, const char *tzid, int first, int last)
{
	static GHashTable *made; /* "tzid first last" → icalcomponent */
	g_autofree char *key = g_strdup_printf("%s %d %d", tzid, first, last);
	icalcomponent *vtz;

	if (made == NULL)
		made = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					     (GDestroyNotify)icalcomponent_free);
	vtz = g_hash_table_lookup(made, key);
	if (vtz == NULL) {
		struct icaltimetype from = icaltime_null_time(), until = icaltime_null_time();

		vtz = icalcomponent_new_clone(icaltimezone_get_component(zone));
		from.year = first;
		from.month = from.day = 1;
		from.zone = icaltimezone_get_utc_timezone();
		until.year = last + 1;
		until.month = until.day = 1;
		until.zone = icaltimezone_get_utc_timezone();
		icaltimezone_truncate_vtimezone(vtz, from, until, 0);
		/* libical names system zones with its own prefix; calendars
		 * know the IANA name. */
		icalproperty_set_tzid(icalcomponent_get_first_property(vtz, ICAL_TZID_PROPERTY),
				      tzid);
		g_hash_table_insert(made, g_steal_pointer(&key), vtz);
	}
	return icalcomponent_new_clone(vtz);
}

static icalcomponent *vevent(const IcsCalendar *cal, const IcsEvent *ev, struct icaltimetype start,
			     struct icaltimetype end)
{
	icalcomponent *e = icalcomponent_new(ICAL_VEVENT_COMPONENT);
	g_autofree char *organiser = g_strconcat("mailto:", cal->organiser_address, NULL);

	icalcomponent_add_property(e, icalproperty_new_uid(ev->uid));
	icalcomponent_add_property(e, icalproperty_new_dtstamp(icaltime_from_timet_with_zone(
					  (time_t)cal->stamp, 0, icaltimezone_get_utc_timezone())));
	icalcomponent_add_property(e, zoned(icalproperty_new_dtstart(start), cal->tzid));
	icalcomponent_add_property(e, zoned(icalproperty_new_dtend(end), cal->tzid));
	icalcomponent_add_property(e, icalproperty_new_sequence((int)cal->sequence));
	icalcomponent_add_property(e, icalproperty_new_summary(ev->summary));
	if (ev->location != NULL && *ev->location != '\0')
		icalcomponent_add_property(e, icalproperty_new_location(ev->location));
	if (ev->description != NULL && *ev->description != '\0')
		icalcomponent_add_property(e, icalproperty_new_description(ev->description));
	icalcomponent_add_property(e, icalproperty_new_status(ev->cancelled || cal->cancel
								  ? ICAL_STATUS_CANCELLED
								  : ICAL_STATUS_CONFIRMED));
	icalcomponent_add_property(e, icalproperty_new_transp(ICAL_TRANSP_OPAQUE));
	/* A published agenda names who publishes it (RFC 5546 wants an
	 * ORGANIZER) and no ATTENDEE: there is nothing to accept or decline. */
	icalcomponent_add_property(
	    e, person(icalproperty_new_organizer(organiser), cal->organiser_name));
	return e;
}

GBytes *ics_calendar_new(const IcsCalendar *cal, const IcsEvent *events, guint n, GError **error)
{
	icaltimezone *zone = icaltimezone_get_builtin_timezone(cal->tzid);
	icalcomponent *vcal = NULL;
	struct icaltimetype *starts = NULL, *ends = NULL;
	int first_year = G_MAXINT, last_year = 0;
	GBytes *bytes = NULL;
	char *text;

	if (zone == NULL) {
		g_set_error(error, ICS_ERROR, ICS_ERROR_TIMEZONE,
			    "no time zone data for %s (the tzdata package has it)", cal->tzid);
		return NULL;
	}
	starts = g_new(struct icaltimetype, MAX(n, 1));
	ends = g_new(struct icaltimetype, MAX(n, 1));
	for (guint i = 0; i < n; i++) {
		if (!local_time(events[i].day, events[i].start, &starts[i], error) ||
		    !local_time(events[i].day, events[i].end, &ends[i], error))
			goto out;
		first_year = MIN(first_year, starts[i].year);
		last_year = MAX(last_year, starts[i].year);
	}

	vcal = icalcomponent_new(ICAL_VCALENDAR_COMPONENT);
	icalcomponent_add_property(
	    vcal, icalproperty_new_prodid("-//convene//convene " PACKAGE_VERSION "//EN"));
	icalcomponent_add_property(vcal, icalproperty_new_version("2.0"));
	icalcomponent_add_property(vcal, icalproperty_new_calscale("GREGORIAN"));
	/* A personal agenda, published: never a meeting request that a
	 * calendar would offer to accept or decline, and answer. */
	icalcomponent_add_property(vcal, icalproperty_new_method(ICAL_METHOD_PUBLISH));
	if (n > 0)
		icalcomponent_add_component(vcal,
					    vtimezone(zone, cal->tzid, first_year, last_year));
	for (guint i = 0; i < n; i++)
		icalcomponent_add_component(vcal, vevent(cal, &events[i], starts[i], ends[i]));

	text = icalcomponent_as_ical_string_r(vcal);
	bytes = g_bytes_new(text, strlen(text));
	free(text);
out:
	if (vcal != NULL)
		icalcomponent_free(vcal);
	g_free(starts);
	g_free(ends);
	return bytes;
}
