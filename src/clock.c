/* SPDX-License-Identifier: ISC */
/* clock.c: real time, or real time shifted so that it started at --now. */

#include "autoconfig.h"

#include "clock.h"

static gint64 offset_us; /* added to the real time, in microseconds */

gboolean clock_set_now(const char *iso8601, GError **error)
{
	g_autoptr(GTimeZone) utc = g_time_zone_new_utc();
	g_autoptr(GDateTime) dt = g_date_time_new_from_iso8601(iso8601, utc);

	if (dt == NULL) {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
			    "--now %s: not an ISO 8601 date and time (2025-09-15T07:00:00+02:00)",
			    iso8601);
		return FALSE;
	}
	offset_us = g_date_time_to_unix(dt) * G_USEC_PER_SEC +
		    g_date_time_get_microsecond(dt) - g_get_real_time();
	return TRUE;
}

GDateTime *clock_now(void)
{
	return g_date_time_new_from_unix_utc(clock_now_unix());
}

gint64 clock_now_unix(void)
{
	return (g_get_real_time() + offset_us) / G_USEC_PER_SEC;
}
