/* SPDX-License-Identifier: ISC */
/* log.c: the program's only way to say what happened. It must never write a
 * raw value from a message (no CR, LF or control character reaches a line),
 * and never a password or token: callers do not pass them. */

#include "autoconfig.h"

#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "text.h"

typedef enum {
	LOG_SINK_STREAM,   /* stderr to a file or a pipe: lines as they are */
	LOG_SINK_TERMINAL, /* stderr to a person: each line with the time */
	LOG_SINK_JOURNAL,  /* stderr to journald: each line with "<N>" */
	LOG_SINK_SYSLOG,
} LogSink;

static LogSink log_sink = LOG_SINK_STREAM;

/* systemd gives a service whose stderr is the journal $JOURNAL_STREAM,
 * "DEVICE:INODE" of that stream (systemd.exec(5)); a program that inherited
 * the variable but writes elsewhere sees another file there. */
static gboolean stderr_is_journal(void)
{
	const char *stream = g_getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	return stream != NULL && sscanf(stream, "%llu:%llu", &dev, &ino) == 2 &&
	       fstat(STDERR_FILENO, &st) == 0 && (unsigned long long)st.st_dev == dev &&
	       (unsigned long long)st.st_ino == ino;
}

void log_init(const char *ident, gboolean to_stderr)
{
	if (!to_stderr) {
		log_sink = LOG_SINK_SYSLOG;
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_MAIL);
	} else if (stderr_is_journal()) {
		log_sink = LOG_SINK_JOURNAL;
	} else if (isatty(STDERR_FILENO)) {
		log_sink = LOG_SINK_TERMINAL;
	} else {
		log_sink = LOG_SINK_STREAM;
	}
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

/* Writes one finished line to the sink chosen by log_init(), @prefix (for a
 * stream or a terminal) included. */
static void emit(int priority, const char *prefix, const char *line)
{
	switch (log_sink) {
	case LOG_SINK_STREAM:
		fprintf(stderr, "%s%s\n", prefix, line);
		break;
	case LOG_SINK_TERMINAL: {
		g_autoptr(GDateTime) now = g_date_time_new_now_local();
		g_autofree char *stamp = g_date_time_format(now, "%F %T");

		fprintf(stderr, "%s %s%s\n", stamp, prefix, line);
		break;
	}
	case LOG_SINK_JOURNAL:
		/* sd-daemon(3): the journal reads the priority from the
		 * prefix and stamps the time itself. */
		fprintf(stderr, "<%d>%s\n", LOG_PRI(priority), line);
		break;
	case LOG_SINK_SYSLOG:
		syslog(priority, "%s", line);
		break;
	}
}

void log_text(int priority, const char *text)
{
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);

	for (guint i = 0; lines[i] != NULL; i++) {
		g_autofree char *clean = text_clean_line(lines[i]);

		if (*clean != '\0')
			emit(priority, "", clean);
	}
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

	emit(priority, "convene: ", line->str);
}
