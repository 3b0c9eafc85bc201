/* SPDX-License-Identifier: ISC */
/* log.h: one line per event, key=value, to syslog (LOG_MAIL) or stderr.
 * Callers pass values that may come from mail: they are cleaned here, so a
 * CR or LF in a Subject can never forge a log line. */
#pragma once

#include <glib.h>
#include <syslog.h>

/* Sends later lines to stderr (@to_stderr) or to syslog under @ident. */
void log_init(const char *ident, gboolean to_stderr);

/* Logs "event=@event" followed by the key=value pairs given as a
 * NULL-terminated list of (const char *key, const char *value) pairs.
 * Values with spaces or quotes are quoted; control characters are
 * replaced; NULL values are skipped. */
void log_event(int priority, const char *event, ...) G_GNUC_NULL_TERMINATED;
