/* SPDX-License-Identifier: ISC */
/* clock.h: the program's only source of the current time, so that --now
 * and the tests control it everywhere. */
#pragma once

#include <glib.h>

/* Sets the clock to @iso8601 (a date and time with or without an offset;
 * without one it is taken as UTC) from which time then runs on. Returns
 * FALSE with @error when it does not parse. */
gboolean clock_set_now(const char *iso8601, GError **error);

/* Returns the current instant as a new UTC GDateTime; unref it. */
GDateTime *clock_now(void);

/* Returns the current instant in Unix seconds. */
gint64 clock_now_unix(void);
