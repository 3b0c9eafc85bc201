/* SPDX-License-Identifier: ISC */
/* test-ics.c: the calendars convene attaches, read back with libical as a
 * calendar program would: the events, their UIDs and SEQUENCE, and local
 * times that stay right across the late-October daylight-saving change
 * using only the VTIMEZONE the file carries. */

#include "autoconfig.h"

#include "ics.h"

#include <string.h>

#include <libical/ical.h>

static const IcsEvent dst_events[] = {
    {"a-1@example.org", "Saturday, before the change", "Salle 1; Rennes", "Bring ID", "2025-10-25",
     "09:00", "10:30", FALSE},
    {"b-1@example.org", "Monday, after the change", "Le Poool", NULL, "2025-10-27", "09:00",
     "12:00", FALSE},
    {"c-1@example.org", "Withdrawn visit", "Orange", NULL, "2025-10-26", "14:00", "17:00", TRUE},
};

static IcsCalendar calendar_for(gboolean cancel)
{
	IcsCalendar cal = {
	    .tzid = "Europe/Paris",
	    .organiser_name = "CAMPUS, Rennes; \"kick-off\"",
	    .organiser_address = "register@campus.example.org",
	    .sequence = 3,
	    .stamp = 1761300000,
	    .cancel = cancel,
	};
	return cal;
}

/* Parses @bytes as a calendar program would. The caller frees it. */
static icalcomponent *parse(GBytes *bytes)
{
	gsize len;
	const char *data = g_bytes_get_data(bytes, &len);
	g_autofree char *text = g_strndup(data, len);
	icalcomponent *cal = icalparser_parse_string(text);

	g_assert_nonnull(cal);
	g_assert_cmpint(icalcomponent_isa(cal), ==, ICAL_VCALENDAR_COMPONENT);
	return cal;
}

static icalcomponent *find_event(icalcomponent *cal, const char *uid)
{
	for (icalcomponent *e = icalcomponent_get_first_component(cal, ICAL_VEVENT_COMPONENT);
	     e != NULL; e = icalcomponent_get_next_component(cal, ICAL_VEVENT_COMPONENT))
		if (g_strcmp0(icalcomponent_get_uid(e), uid) == 0)
			return e;
	g_assert_not_reached();
}

/* The UTC instant of @e's @kind (DTSTART or DTEND), converted with the
 * calendar's own VTIMEZONE named by the property's TZID. */
static time_t utc_of(icalcomponent *cal, icalcomponent *e, icalproperty_kind kind)
{
	icalproperty *p = icalcomponent_get_first_property(e, kind);
	icalparameter *tzid = icalproperty_get_first_parameter(p, ICAL_TZID_PARAMETER);
	icaltimezone *zone;
	struct icaltimetype t;

	g_assert_nonnull(tzid);
	g_assert_cmpstr(icalparameter_get_tzid(tzid), ==, "Europe/Paris");
	zone = icalcomponent_get_timezone(cal, icalparameter_get_tzid(tzid));
	g_assert_nonnull(zone);
	t = kind == ICAL_DTSTART_PROPERTY ? icalproperty_get_dtstart(p) : icalproperty_get_dtend(p);
	return icaltime_as_timet_with_zone(t, zone);
}

static time_t utc(const char *iso)
{
	g_autoptr(GDateTime) dt = g_date_time_new_from_iso8601(iso, NULL);

	g_assert_nonnull(dt);
	return (time_t)g_date_time_to_unix(dt);
}

static void test_request_across_dst(void)
{
	IcsCalendar cal = calendar_for(FALSE);
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) bytes = ics_calendar_new(&cal, dst_events, 3, &error);
	icalcomponent *parsed, *e, *vtz;

	g_assert_no_error(error);
	parsed = parse(bytes);
	/* A published agenda: nothing for a calendar to accept or answer. */
	g_assert_cmpint(icalcomponent_get_method(parsed), ==, ICAL_METHOD_PUBLISH);
	g_assert_cmpint(icalcomponent_count_components(parsed, ICAL_VEVENT_COMPONENT), ==, 3);
	vtz = icalcomponent_get_first_component(parsed, ICAL_VTIMEZONE_COMPONENT);
	g_assert_nonnull(vtz);
	g_assert_cmpstr(
	    icalproperty_get_tzid(icalcomponent_get_first_property(vtz, ICAL_TZID_PROPERTY)), ==,
	    "Europe/Paris");

	e = find_event(parsed, "a-1@example.org");
	g_assert_cmpstr(icalcomponent_get_summary(e), ==, "Saturday, before the change");
	g_assert_cmpstr(icalcomponent_get_location(e), ==, "Salle 1; Rennes");
	g_assert_cmpstr(icalcomponent_get_description(e), ==, "Bring ID");
	g_assert_cmpint(icalcomponent_get_sequence(e), ==, 3);
	g_assert_cmpint(icalcomponent_get_status(e), ==, ICAL_STATUS_CONFIRMED);
	/* 09:00 in Rennes is 07:00 UTC in summer time... */
	g_assert_cmpint(utc_of(parsed, e, ICAL_DTSTART_PROPERTY), ==, utc("2025-10-25T07:00:00Z"));
	g_assert_cmpint(utc_of(parsed, e, ICAL_DTEND_PROPERTY), ==, utc("2025-10-25T08:30:00Z"));
	/* ...and 08:00 UTC once the clocks went back. */
	e = find_event(parsed, "b-1@example.org");
	g_assert_cmpint(utc_of(parsed, e, ICAL_DTSTART_PROPERTY), ==, utc("2025-10-27T08:00:00Z"));
	g_assert_cmpint(utc_of(parsed, e, ICAL_DTEND_PROPERTY), ==, utc("2025-10-27T11:00:00Z"));
	g_assert_cmpint(
	    icalproperty_get_dtstart(icalcomponent_get_first_property(e, ICAL_DTSTART_PROPERTY))
		.hour,
	    ==, 9);

	e = find_event(parsed, "c-1@example.org");
	g_assert_cmpint(icalcomponent_get_status(e), ==, ICAL_STATUS_CANCELLED);
	g_assert_cmpint(utc_of(parsed, e, ICAL_DTSTART_PROPERTY), ==, utc("2025-10-26T13:00:00Z"));

	/* Nobody is asked to reply: no ATTENDEE, so no RSVP. */
	g_assert_null(icalcomponent_get_first_property(e, ICAL_ATTENDEE_PROPERTY));
	g_assert_cmpstr(icalproperty_get_organizer(
			    icalcomponent_get_first_property(e, ICAL_ORGANIZER_PROPERTY)),
			==, "mailto:register@campus.example.org");
	/* A name with a comma, a semicolon and quotes survives as one CN. */
	g_assert_cmpstr(icalparameter_get_cn(icalproperty_get_first_parameter(
			    icalcomponent_get_first_property(e, ICAL_ORGANIZER_PROPERTY),
			    ICAL_CN_PARAMETER)),
			==, "CAMPUS, Rennes; \"kick-off\"");
	icalcomponent_free(parsed);
}

static void test_lines_are_crlf(void)
{
	IcsCalendar cal = calendar_for(FALSE);
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) bytes = ics_calendar_new(&cal, dst_events, 1, &error);
	gsize len;
	const char *data = g_bytes_get_data(bytes, &len);

	g_assert_no_error(error);
	g_assert_true(g_str_has_prefix(data, "BEGIN:VCALENDAR\r\n"));
	for (gsize i = 0; i < len; i++)
		if (data[i] == '\n')
			g_assert_cmpint(data[i - 1], ==, '\r');
}

static void test_cancel(void)
{
	IcsCalendar cal = calendar_for(TRUE);
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) bytes = ics_calendar_new(&cal, dst_events, 2, &error);
	icalcomponent *parsed;

	g_assert_no_error(error);
	parsed = parse(bytes);
	/* A cancelled registration: the same events, each cancelled, still
	 * published, so that the calendar takes them out. */
	g_assert_cmpint(icalcomponent_get_method(parsed), ==, ICAL_METHOD_PUBLISH);
	for (icalcomponent *e = icalcomponent_get_first_component(parsed, ICAL_VEVENT_COMPONENT);
	     e != NULL; e = icalcomponent_get_next_component(parsed, ICAL_VEVENT_COMPONENT))
		g_assert_cmpint(icalcomponent_get_status(e), ==, ICAL_STATUS_CANCELLED);
	icalcomponent_free(parsed);
}

static void test_uid_is_stable(void)
{
	g_autofree char *a = ics_uid("ana@example.ro", "visit-le-poool", "campus.example.org");
	g_autofree char *again = ics_uid("ana@example.ro", "visit-le-poool", "campus.example.org");
	g_autofree char *other = ics_uid("ana@example.ro", "kickoff-meeting", "campus.example.org");
	g_autofree char *someone =
	    ics_uid("bob@example.ro", "visit-le-poool", "campus.example.org");

	g_assert_cmpstr(a, ==, again);
	g_assert_cmpstr(a, !=, other);
	g_assert_cmpstr(a, !=, someone);
	g_assert_true(g_str_has_suffix(a, "@campus.example.org"));
	g_assert_null(strstr(a, "ana"));
}

static void test_refusals(void)
{
	IcsCalendar cal = calendar_for(FALSE);
	IcsEvent bad = dst_events[0];
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) none = NULL;

	cal.tzid = "Europe/Atlantis";
	none = ics_calendar_new(&cal, dst_events, 1, &error);
	g_assert_null(none);
	g_assert_error(error, ICS_ERROR, ICS_ERROR_TIMEZONE);
	g_clear_error(&error);

	cal.tzid = "Europe/Paris";
	bad.start = "25:00";
	none = ics_calendar_new(&cal, &bad, 1, &error);
	g_assert_null(none);
	g_assert_error(error, ICS_ERROR, ICS_ERROR_TIME);
}

int main(int argc, char **argv)
{
	int rc;

	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/ics/request-across-dst", test_request_across_dst);
	g_test_add_func("/ics/lines-are-crlf", test_lines_are_crlf);
	g_test_add_func("/ics/cancel", test_cancel);
	g_test_add_func("/ics/uid-is-stable", test_uid_is_stable);
	g_test_add_func("/ics/refusals", test_refusals);
	rc = g_test_run();
	icaltimezone_free_builtin_timezones();
	return rc;
}
