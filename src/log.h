/* SPDX-License-Identifier: ISC */
/* log.h: one line per event, key=value, to syslog (LOG_MAIL) or stderr,
 * each with its priority (LOG_ERR, LOG_WARNING, LOG_INFO).
 * Callers pass values that may come from mail: they are cleaned here, so a
 * CR or LF in a Subject can never forge a log line. */
#pragma once

#include <glib.h>
#include <syslog.h>

/* Sends later lines to syslog under @ident (facility mail, with each line's
 * priority), or with @to_stderr to stderr: there, a line starts with its
 * priority as "<3>" when stderr is journald's (sd-daemon(3)), with the
 * local time when it is a terminal, and with "convene: " otherwise. */
void log_init(const char *ident, gboolean to_stderr);

/* Logs @text, one line per line of it, cleaned but otherwise as it is (no
 * "event=" and, on a stream, no prefix): for what a person must read as
 * written, such as every problem in a configuration file. */
void log_text(int priority, const char *text);

/* Logs "event=@event" followed by the key=value pairs given as a
 * NULL-terminated list of (const char *key, const char *value) pairs.
 * Values with spaces or quotes are quoted; control characters are
 * replaced; NULL values are skipped. */
void log_event(int priority, const char *event, ...) G_GNUC_NULL_TERMINATED;
