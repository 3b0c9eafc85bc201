/* SPDX-License-Identifier: ISC */
/* lmtp.c: the LMTP protocol, server side. It never acknowledges a message
 * before the delivery function says its effects are committed, answers
 * every recipient of a message after DATA as RFC 2033 asks, and never lets
 * a line from the client reach a log or a header unchecked. */

#include "autoconfig.h"

#include "lmtp.h"

#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "text.h"

/* Longest command line we read; the RFC's limit is 512 with its CRLF. */
#define LMTP_MAX_LINE 4096
/* Recipients one transaction may name. */
#define LMTP_MAX_RCPT 100

G_DEFINE_QUARK(convene-lmtp-error-quark, lmtp_error)

struct _Lmtp {
	GSocketService *service;
	char *unix_path;       /* the socket file to remove, or NULL */
	guint64 max_size;
	LmtpDeliverFunc deliver;
	gpointer user_data;
};

typedef struct {
	GDataInputStream *in;
	GOutputStream *out;
	char *from;            /* MAIL FROM's address, "" for the null sender */
	GPtrArray *rcpt;       /* char *, the RCPT TO addresses */
} Session;

static gboolean say(Session *s, const char *text)
{
	g_autofree char *line = g_strconcat(text, "\r\n", NULL);

	return g_output_stream_write_all(s->out, line, strlen(line), NULL, NULL, NULL);
}

/* Reads one line without its line end; NULL at the end or on error. */
static char *read_line(Session *s, gsize *len)
{
	char *line = g_data_input_stream_read_line(s->in, len, NULL, NULL);

	if (line != NULL && *len > 0 && line[*len - 1] == '\r')
		line[--*len] = '\0';
	return line;
}

/* Returns the address in "FROM:<a@b> SIZE=…" or "TO:<a@b>", lower-case, or
 * NULL when the argument is not of that form. */
static char *path_of(const char *arg, const char *keyword)
{
	gsize klen = strlen(keyword);
	const char *open, *close;
	g_autofree char *inside = NULL;

	if (g_ascii_strncasecmp(arg, keyword, klen) != 0)
		return NULL;
	open = strchr(arg + klen, '<');
	close = open != NULL ? strchr(open, '>') : NULL;
	if (open == NULL || close == NULL)
		return NULL;
	inside = g_strndup(open + 1, close - open - 1);
	if (strpbrk(inside, " \t\r\n<>\"") != NULL)
		return NULL;
	return g_ascii_strdown(inside, -1);
}

static void session_reset(Session *s)
{
	g_clear_pointer(&s->from, g_free);
	g_ptr_array_set_size(s->rcpt, 0);
}

/* Reads the message after DATA up to the lone dot, undoing dot-stuffing
 * and turning CRLF into LF. Returns FALSE when the connection ends first;
 * *@too_big when it outgrew @max. */
static gboolean read_data(Session *s, GString *msg, guint64 max, gboolean *too_big)
{
	*too_big = FALSE;
	for (;;) {
		gsize len;
		g_autofree char *line = read_line(s, &len);

		if (line == NULL)
			return FALSE;
		if (strcmp(line, ".") == 0)
			return TRUE;
		if (*too_big)
			continue;
		g_string_append_len(msg, line[0] == '.' ? line + 1 : line,
				    (gssize)(line[0] == '.' ? len - 1 : len));
		g_string_append_c(msg, '\n');
		if (max > 0 && msg->len > max) {
			*too_big = TRUE;
			g_string_truncate(msg, 0);
		}
	}
}

static void serve(Lmtp *lmtp, Session *s)
{
	g_autofree char *greeting = g_strdup_printf("220 %s convene LMTP ready", g_get_host_name());

	if (!say(s, greeting))
		return;
	for (;;) {
		gsize len;
		g_autofree char *line = read_line(s, &len);
		g_autofree char *verb = NULL;
		const char *arg;

		if (line == NULL)
			return;
		if (len > LMTP_MAX_LINE) {
			say(s, "500 5.5.2 Line too long");
			continue;
		}
		arg = strchr(line, ' ');
		verb = g_ascii_strup(line, arg != NULL ? arg - line : -1);
		arg = arg != NULL ? arg + 1 : "";

		if (strcmp(verb, "LHLO") == 0) {
			g_autofree char *size =
				g_strdup_printf("250 SIZE %" G_GUINT64_FORMAT, lmtp->max_size);

			session_reset(s);
			if (!say(s, "250-convene") || !say(s, "250-PIPELINING") ||
			    !say(s, "250-ENHANCEDSTATUSCODES") || !say(s, "250-8BITMIME") ||
			    !say(s, size))
				return;
		} else if (strcmp(verb, "MAIL") == 0) {
			g_autofree char *from = path_of(arg, "FROM:");

			if (s->from != NULL)
				say(s, "503 5.5.1 Nested MAIL command");
			else if (from == NULL)
				say(s, "501 5.5.4 Syntax: MAIL FROM:<address>");
			else {
				s->from = g_steal_pointer(&from);
				say(s, "250 2.1.0 Ok");
			}
		} else if (strcmp(verb, "RCPT") == 0) {
			g_autofree char *to = path_of(arg, "TO:");

			if (s->from == NULL)
				say(s, "503 5.5.1 MAIL first");
			else if (to == NULL || *to == '\0')
				say(s, "501 5.5.4 Syntax: RCPT TO:<address>");
			else if (s->rcpt->len >= LMTP_MAX_RCPT)
				say(s, "452 4.5.3 Too many recipients");
			else {
				g_ptr_array_add(s->rcpt, g_steal_pointer(&to));
				say(s, "250 2.1.5 Ok");
			}
		} else if (strcmp(verb, "DATA") == 0) {
			g_autoptr(GString) msg = g_string_new(NULL);
			g_autofree char *first = NULL;
			gboolean too_big;
			int code;
			g_autofree char *text = NULL;

			if (s->rcpt->len == 0) {
				say(s, "503 5.5.1 No valid recipients");
				continue;
			}
			if (!say(s, "354 End data with <CR><LF>.<CR><LF>"))
				return;
			/* What a delivery agent adds: where it came from and to whom,
			 * which keeps the address's +detail for the commands. */
			first = text_clean_address(g_ptr_array_index(s->rcpt, 0));
			g_string_append_printf(msg, "Return-Path: <%s>\nDelivered-To: %s\n", s->from,
					       first);
			if (!read_data(s, msg, lmtp->max_size, &too_big))
				return;
			if (too_big) {
				code = 552;
				text = g_strdup("5.3.4 Message too big");
			} else {
				g_autoptr(GBytes) bytes = g_bytes_new(msg->str, msg->len);

				code = lmtp->deliver(bytes, &text, lmtp->user_data);
			}
			for (guint i = 0; i < s->rcpt->len; i++) {
				g_autofree char *reply = g_strdup_printf("%d %s", code, text);

				if (!say(s, reply))
					return;
			}
			session_reset(s);
		} else if (strcmp(verb, "RSET") == 0) {
			session_reset(s);
			say(s, "250 2.0.0 Ok");
		} else if (strcmp(verb, "NOOP") == 0) {
			say(s, "250 2.0.0 Ok");
		} else if (strcmp(verb, "VRFY") == 0) {
			say(s, "252 2.5.2 Cannot VRFY");
		} else if (strcmp(verb, "QUIT") == 0) {
			say(s, "221 2.0.0 Bye");
			return;
		} else {
			say(s, "500 5.5.2 Command not recognised");
		}
	}
}

static gboolean on_connection(GThreadedSocketService *service, GSocketConnection *connection,
			      GObject *source, gpointer user_data)
{
	Lmtp *lmtp = user_data;
	Session s = {0};

	(void)service;
	(void)source;
	s.in = g_data_input_stream_new(g_io_stream_get_input_stream(G_IO_STREAM(connection)));
	g_data_input_stream_set_newline_type(s.in, G_DATA_STREAM_NEWLINE_TYPE_LF);
	s.out = g_io_stream_get_output_stream(G_IO_STREAM(connection));
	s.rcpt = g_ptr_array_new_with_free_func(g_free);
	serve(lmtp, &s);
	session_reset(&s);
	g_ptr_array_unref(s.rcpt);
	g_object_unref(s.in);
	g_io_stream_close(G_IO_STREAM(connection), NULL, NULL);
	return TRUE;
}

Lmtp *lmtp_start(const char *where, guint64 max_size, LmtpDeliverFunc deliver,
		 gpointer user_data, GError **error)
{
	g_autoptr(GSocketAddress) address = NULL;
	Lmtp *lmtp = g_new0(Lmtp, 1);

	lmtp->max_size = max_size;
	lmtp->deliver = deliver;
	lmtp->user_data = user_data;
	if (g_str_has_prefix(where, "unix:")) {
		lmtp->unix_path = g_strdup(where + 5);
		/* A socket left by a daemon that died; the caller holds the lock
		 * that proves no other is running. */
		g_unlink(lmtp->unix_path);
		address = g_unix_socket_address_new(lmtp->unix_path);
	} else {
		const char *colon = strrchr(where, ':');
		g_autofree char *host = g_strndup(where, colon - where);
		g_autoptr(GInetAddress) inet = g_inet_address_new_from_string(host);

		if (inet == NULL) {
			g_set_error(error, LMTP_ERROR, 0, "lmtp %s: the host must be an IP address",
				    where);
			g_free(lmtp);
			return NULL;
		}
		address = g_inet_socket_address_new(inet, (guint16)atoi(colon + 1));
	}
	/* Ten connections at once are plenty for one MTA. */
	lmtp->service = g_threaded_socket_service_new(10);
	if (!g_socket_listener_add_address(G_SOCKET_LISTENER(lmtp->service), address,
					   G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_DEFAULT, NULL, NULL,
					   error)) {
		g_prefix_error(error, "lmtp %s: ", where);
		lmtp_stop(lmtp);
		return NULL;
	}
	g_signal_connect(lmtp->service, "run", G_CALLBACK(on_connection), lmtp);
	g_socket_service_start(lmtp->service);
	log_event(LOG_INFO, "lmtp-listening", "address", where, NULL);
	return lmtp;
}

void lmtp_stop(Lmtp *lmtp)
{
	if (lmtp == NULL)
		return;
	g_socket_service_stop(lmtp->service);
	g_socket_listener_close(G_SOCKET_LISTENER(lmtp->service));
	g_object_unref(lmtp->service);
	if (lmtp->unix_path != NULL)
		g_unlink(lmtp->unix_path);
	g_free(lmtp->unix_path);
	g_free(lmtp);
}
