/* SPDX-License-Identifier: ISC */
/* log.c: the program's only way to say what happened. It must never write a
 * raw value from a message (no CR, LF or control character reaches a line),
 * and never a password or token: callers do not pass them. */

#include "autoconfig.h"

#include "log.h"

#include <stdarg.h>
#include <stdio.h>

#include "text.h"

static gboolean log_to_stderr = TRUE;

void log_init(const char *ident, gboolean to_stderr)
{
	log_to_stderr = to_stderr;
	if (!to_stderr)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_MAIL);
}

static void append_value(GString *line, const char *value)
{
	g_autofree char *clean = text_clean_line(value);
	gboolean quote = *clean == '\0' || strpbrk(clean, " \"=\\") != NULL;

	if (!quote) {
		g_string_append(line, clean);
		return;
	}
	g_string_append_c(line, '"');
	for (const char *p = clean; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			g_string_append_c(line, '\\');
		g_string_append_c(line, *p);
	}
	g_string_append_c(line, '"');
}

void log_event(int priority, const char *event, ...)
{
	g_autoptr(GString) line = g_string_new("event=");
	va_list ap;
	const char *key;

	g_string_append(line, event);
	va_start(ap, event);
	while ((key = va_arg(ap, const char *)) != NULL) {
		const char *value = va_arg(ap, const char *);

		if (value == NULL)
			continue;
		g_string_append_printf(line, " %s=", key);
		append_value(line, value);
	}
	va_end(ap);

	if (log_to_stderr)
		fprintf(stderr, "convene: %s\n", line->str);
	else
		syslog(priority, "%s", line->str);
}
