/* SPDX-License-Identifier: ISC */
/* lmtpsession.c: the LMTP protocol, server side, from bytes to replies.
 * Every line is measured as it arrives, never after: a command line longer
 * than RFC 5321 allows ends the session, a data line longer than the
 * configured maximum or a message over the size limit is thrown away as it
 * streams and refused after its final dot. No memory grows beyond those
 * bounds, whatever the client sends; nothing is acknowledged before the
 * deliver function's outcome, and no byte from the client reaches a reply. */

#include "autoconfig.h"

#include "lmtpsession.h"

#include <stdarg.h>
#include <string.h>

typedef enum {
	STATE_COMMAND,
	STATE_DATA,
	STATE_WAIT, /* a message was handed to the deliver function */
	STATE_ENDED,
} State;

struct _LmtpSession {
	char *host;
	gsize max_line;
	guint64 max_size;
	LmtpSessionDeliverFunc deliver;
	gpointer user_data;

	State state;
	gboolean greeted; /* LHLO was given */
	guint errors;	  /* commands refused so far */
	GString *line;	  /* the command line being read, without its LF */

	char *from;	 /* MAIL FROM's address ("" for <>), or NULL */
	GPtrArray *rcpt; /* char *, the RCPT TO addresses */

	/* While in DATA: */
	GString *msg;	/* the message so far, NULL once it is refused */
	guint64 size;	/* its size, counted on when it is refused */
	gsize line_len; /* octets of the current line so far, CR included */
	char head[2];	/* the current line's first two octets */
	char last;	/* and its last so far */
	gboolean too_big;
	gboolean long_line;

	GString *out; /* replies not yet sent */
};

static void reply(LmtpSession *s, const char *format, ...) G_GNUC_PRINTF(2, 3);

static void reply(LmtpSession *s, const char *format, ...)
{
	va_list ap;

	va_start(ap, format);
	g_string_append_vprintf(s->out, format, ap);
	va_end(ap);
	g_string_append(s->out, "\r\n");
}

static void drop_message(LmtpSession *s)
{
	if (s->msg != NULL) {
		g_string_free(s->msg, TRUE);
		s->msg = NULL;
	}
}

static void end(LmtpSession *s)
{
	s->state = STATE_ENDED;
	drop_message(s);
}

/* A refused command: the client that keeps sending them is let go. */
static void refuse(LmtpSession *s, const char *text)
{
	reply(s, "%s", text);
	if (++s->errors >= LMTP_SESSION_MAX_ERRORS) {
		reply(s, "421 4.7.0 %s Too many errors; closing", s->host);
		end(s);
	}
}

static void reset_transaction(LmtpSession *s)
{
	g_clear_pointer(&s->from, g_free);
	g_ptr_array_set_size(s->rcpt, 0);
	drop_message(s);
	s->too_big = FALSE;
	s->long_line = FALSE;
	s->line_len = 0;
}

LmtpSession *lmtp_session_new(const char *host, gsize max_line, guint64 max_size,
			      LmtpSessionDeliverFunc deliver, gpointer user_data)
{
	LmtpSession *s = g_new0(LmtpSession, 1);

	s->host = g_strdup(host);
	s->max_line = MAX(max_line, 3);
	s->max_size = max_size;
	s->deliver = deliver;
	s->user_data = user_data;
	s->line = g_string_sized_new(128);
	s->rcpt = g_ptr_array_new_with_free_func(g_free);
	s->out = g_string_sized_new(256);
	reply(s, "220 %s LMTP convene ready", s->host);
	return s;
}

void lmtp_session_free(LmtpSession *s)
{
	if (s == NULL)
		return;
	reset_transaction(s);
	g_ptr_array_unref(s->rcpt);
	g_string_free(s->line, TRUE);
	g_string_free(s->out, TRUE);
	g_free(s->host);
	g_free(s);
}

/* --- commands ----------------------------------------------------------- */

/* An address as we take it: printable ASCII (no SMTPUTF8 is offered), no
 * space, quote, backslash or angle bracket, at most 254 octets (RFC 5321's
 * 256 for the path with its brackets). */
static gboolean address_ok(const char *a, gsize len)
{
	if (len > 254)
		return FALSE;
	for (gsize i = 0; i < len; i++)
		if (a[i] <= ' ' || a[i] >= 0x7f || strchr("<>\"\\", a[i]) != NULL)
			return FALSE;
	return TRUE;
}

/* Reads "FROM:<a@b>" (@keyword "FROM:") or "TO:<a@b>" at @arg: returns the
 * address, lower-case, and sets *@rest to what follows the path; NULL when
 * @arg is not of that form. */
static char *parse_path(const char *arg, const char *keyword, const char **rest)
{
	gsize klen = strlen(keyword);
	const char *open, *close;

	if (g_ascii_strncasecmp(arg, keyword, klen) != 0)
		return NULL;
	open = arg + klen;
	while (*open == ' ')
		open++;
	if (*open != '<')
		return NULL;
	close = strchr(open, '>');
	if (close == NULL || !address_ok(open + 1, (gsize)(close - open - 1)))
		return NULL;
	if (close[1] != '\0' && close[1] != ' ')
		return NULL;
	*rest = close + 1;
	return g_ascii_strdown(open + 1, close - open - 1);
}

/* Checks MAIL's parameters: SIZE (refused when over the limit) and BODY.
 * Returns NULL when they are fine, or the reply that refuses them. */
static char *mail_parameters(LmtpSession *s, const char *rest)
{
	g_auto(GStrv) params = g_strsplit(rest, " ", -1);

	for (guint i = 0; params[i] != NULL; i++) {
		const char *p = params[i];

		if (*p == '\0')
			continue;
		if (g_ascii_strncasecmp(p, "SIZE=", 5) == 0) {
			guint64 size = 0;

			if (!g_ascii_string_to_unsigned(p + 5, 10, 0, G_MAXUINT64, &size, NULL))
				return g_strdup("501 5.5.4 Syntax: SIZE=octets");
			if (s->max_size > 0 && size > s->max_size)
				return g_strdup_printf("552 5.3.4 Message too big: the limit is "
						       "%" G_GUINT64_FORMAT " octets",
						       s->max_size);
		} else if (g_ascii_strcasecmp(p, "BODY=7BIT") != 0 &&
			   g_ascii_strcasecmp(p, "BODY=8BITMIME") != 0) {
			return g_strdup("555 5.5.4 Unsupported MAIL parameter");
		}
	}
	return NULL;
}

static void do_lhlo(LmtpSession *s, const char *arg)
{
	if (*arg == '\0') {
		refuse(s, "501 5.5.4 Syntax: LHLO hostname");
		return;
	}
	reset_transaction(s);
	s->greeted = TRUE;
	reply(s, "250-%s", s->host);
	reply(s, "250-PIPELINING");
	reply(s, "250-ENHANCEDSTATUSCODES");
	reply(s, "250-8BITMIME");
	if (s->max_size > 0)
		reply(s, "250 SIZE %" G_GUINT64_FORMAT, s->max_size);
	else
		reply(s, "250 SIZE");
}

static void do_mail(LmtpSession *s, const char *arg)
{
	const char *rest = NULL;
	g_autofree char *from = NULL;
	g_autofree char *refused = NULL;

	if (!s->greeted) {
		refuse(s, "503 5.5.1 LHLO first");
		return;
	}
	if (s->from != NULL) {
		refuse(s, "503 5.5.1 Nested MAIL command");
		return;
	}
	from = parse_path(arg, "FROM:", &rest);
	if (from == NULL) {
		refuse(s, "501 5.5.4 Syntax: MAIL FROM:<address>");
		return;
	}
	refused = mail_parameters(s, rest);
	if (refused != NULL) {
		refuse(s, refused);
		return;
	}
	s->from = g_steal_pointer(&from);
	reply(s, "250 2.1.0 Ok");
}

static void do_rcpt(LmtpSession *s, const char *arg)
{
	const char *rest = NULL;
	g_autofree char *to = NULL;

	if (s->from == NULL) {
		refuse(s, "503 5.5.1 MAIL first");
		return;
	}
	to = parse_path(arg, "TO:", &rest);
	if (to == NULL || *to == '\0') {
		refuse(s, "501 5.5.4 Syntax: RCPT TO:<address>");
		return;
	}
	if (*rest != '\0' && strspn(rest, " ") != strlen(rest)) {
		refuse(s, "555 5.5.4 Unsupported RCPT parameter");
		return;
	}
	if (s->rcpt->len >= LMTP_SESSION_MAX_RCPT) {
		reply(s, "452 4.5.3 Too many recipients");
		return;
	}
	g_ptr_array_add(s->rcpt, g_steal_pointer(&to));
	reply(s, "250 2.1.5 Ok");
}

static void do_data(LmtpSession *s, const char *arg)
{
	(void)arg;
	if (s->from == NULL) {
		refuse(s, "503 5.5.1 MAIL first");
		return;
	}
	if (s->rcpt->len == 0) {
		refuse(s, "503 5.5.1 No valid recipients");
		return;
	}
	reply(s, "354 End data with <CR><LF>.<CR><LF>");
	/* What a delivery agent adds: where it came from and to whom, which
	 * keeps the address's +detail for the commands. */
	s->msg = g_string_sized_new(4096);
	g_string_append_printf(s->msg, "Return-Path: <%s>\nDelivered-To: %s\n", s->from,
			       (const char *)g_ptr_array_index(s->rcpt, 0));
	s->size = s->msg->len;
	s->line_len = 0;
	s->state = STATE_DATA;
}

static void do_rset(LmtpSession *s, const char *arg)
{
	(void)arg;
	reset_transaction(s);
	reply(s, "250 2.0.0 Ok");
}

static void do_noop(LmtpSession *s, const char *arg)
{
	(void)arg;
	reply(s, "250 2.0.0 Ok");
}

static void do_vrfy(LmtpSession *s, const char *arg)
{
	(void)arg;
	reply(s, "252 2.5.2 Cannot VRFY");
}

static void do_quit(LmtpSession *s, const char *arg)
{
	(void)arg;
	reply(s, "221 2.0.0 %s Bye", s->host);
	end(s);
}

static void do_helo(LmtpSession *s, const char *arg)
{
	(void)arg;
	/* RFC 2033 4.1: an LMTP server must not accept HELO or EHLO. */
	refuse(s, "500 5.5.1 This is LMTP: say LHLO");
}

static const struct {
	const char *verb;
	void (*run)(LmtpSession *s, const char *arg);
} commands[] = {
    {"LHLO", do_lhlo}, {"MAIL", do_mail}, {"RCPT", do_rcpt}, {"DATA", do_data}, {"RSET", do_rset},
    {"NOOP", do_noop}, {"VRFY", do_vrfy}, {"QUIT", do_quit}, {"HELO", do_helo}, {"EHLO", do_helo},
};

/* Runs the command line in s->line. */
static void command(LmtpSession *s)
{
	GString *line = s->line;
	const char *arg;
	gsize verb_len;

	if (line->len > 0 && line->str[line->len - 1] == '\r')
		g_string_truncate(line, line->len - 1);
	if (memchr(line->str, '\0', line->len) != NULL) {
		refuse(s, "500 5.5.2 Syntax error");
		return;
	}
	arg = strchr(line->str, ' ');
	verb_len = arg != NULL ? (gsize)(arg - line->str) : line->len;
	arg = arg != NULL ? arg + 1 : "";
	for (guint i = 0; i < G_N_ELEMENTS(commands); i++)
		if (verb_len == 4 && g_ascii_strncasecmp(line->str, commands[i].verb, 4) == 0) {
			commands[i].run(s, arg);
			return;
		}
	refuse(s, "500 5.5.2 Command not recognised");
}

/* Whether the command line being read, whose next @n octets are @data,
 * is a MAIL command (which may be longer than others). */
static gboolean is_mail(const GString *line, const char *data, gsize n)
{
	char head[5];
	gsize k = 0;

	for (gsize i = 0; i < line->len && k < sizeof head; i++)
		head[k++] = line->str[i];
	for (gsize i = 0; i < n && k < sizeof head; i++)
		head[k++] = data[i];
	return k == sizeof head && g_ascii_strncasecmp(head, "MAIL ", sizeof head) == 0;
}

/* Takes command bytes up to and with the first LF; returns how many. */
static gsize read_command(LmtpSession *s, const char *data, gsize len)
{
	const char *lf = memchr(data, '\n', len);
	gsize n = lf != NULL ? (gsize)(lf - data) : len;
	gsize limit = is_mail(s->line, data, n) ? LMTP_SESSION_MAIL_MAX : LMTP_SESSION_COMMAND_MAX;

	/* The line end is at least the LF: what comes before it, a CR
	 * included, may take the rest. */
	if (s->line->len + n > limit - 1) {
		reply(s, "500 5.5.2 Line too long: a command takes at most %zu octets", limit);
		end(s);
		return n;
	}
	g_string_append_len(s->line, data, n);
	if (lf == NULL)
		return n;
	command(s);
	g_string_truncate(s->line, 0);
	return n + 1;
}

/* --- the message ---------------------------------------------------------- */

/* After the final dot: the message is refused, or handed over. Both
 * limits are watched to the end, so that the refusal does not depend on
 * how the client's bytes were cut into packets. */
static void finish_data(LmtpSession *s)
{
	GBytes *message;

	if (s->too_big || s->long_line) {
		for (guint i = 0; i < s->rcpt->len; i++)
			if (s->too_big)
				reply(s,
				      "552 5.3.4 Message too big: the limit is %" G_GUINT64_FORMAT
				      " octets",
				      s->max_size);
			else
				reply(s,
				      "554 5.6.0 Message refused: a line is longer than %zu octets",
				      s->max_line);
		reset_transaction(s);
		s->state = STATE_COMMAND;
		return;
	}
	message = g_string_free_to_bytes(s->msg);
	s->msg = NULL;
	s->state = STATE_WAIT;
	s->deliver(message, s->user_data);
	g_bytes_unref(message);
}

static void check_size(LmtpSession *s, guint64 slack)
{
	if (s->max_size > 0 && s->size > s->max_size + slack) {
		s->too_big = TRUE;
		drop_message(s);
	}
}

/* At a data line's LF: the line ends the message, or joins it with its CR
 * dropped and its dot-stuffing undone. */
static void end_data_line(LmtpSession *s)
{
	gsize len = s->line_len;

	s->line_len = 0;
	if (s->head[0] == '.' && (len == 1 || (len == 2 && s->head[1] == '\r'))) {
		if (s->msg != NULL)
			g_string_truncate(s->msg, s->msg->len - len);
		finish_data(s);
		return;
	}
	if (len > 0 && s->last == '\r') {
		len--;
		s->size--;
		if (s->msg != NULL)
			g_string_truncate(s->msg, s->msg->len - 1);
	}
	if (len > 0 && s->head[0] == '.') {
		s->size--;
		if (s->msg != NULL)
			g_string_erase(s->msg, (gssize)(s->msg->len - len), 1);
	}
	s->size++;
	if (s->msg != NULL)
		g_string_append_c(s->msg, '\n');
	check_size(s, 0);
}

/* Takes message bytes up to and with the first LF; returns how many. */
static gsize read_data(LmtpSession *s, const char *data, gsize len)
{
	const char *lf = memchr(data, '\n', len);
	gsize n = lf != NULL ? (gsize)(lf - data) : len;

	for (gsize i = 0; i < n && s->line_len + i < sizeof s->head; i++)
		s->head[s->line_len + i] = data[i];
	if (n > 0)
		s->last = data[n - 1];
	s->line_len += n;
	s->size += n;
	if (s->line_len > s->max_line - 1) {
		s->long_line = TRUE;
		drop_message(s);
	}
	/* A line's CR is not kept and its LF not yet counted: one octet of
	 * slack until the line ends, and none counted for what may yet be
	 * the final dot. */
	if (s->line_len > 2 || s->head[0] != '.')
		check_size(s, 1);
	if (s->msg != NULL)
		g_string_append_len(s->msg, data, (gssize)n);
	if (lf == NULL)
		return n;
	end_data_line(s);
	return n + 1;
}

/* --- what the driver sees --------------------------------------------------- */

gsize lmtp_session_feed(LmtpSession *s, const char *data, gsize len)
{
	gsize taken = 0;

	while (taken < len && lmtp_session_wants_input(s)) {
		if (s->state == STATE_COMMAND)
			taken += read_command(s, data + taken, len - taken);
		else
			taken += read_data(s, data + taken, len - taken);
	}
	return taken;
}

void lmtp_session_delivered(LmtpSession *s, int code, const char *text)
{
	g_autofree char *clean = g_strdup(text != NULL ? text : "");

	/* An abort while the message was out has ended the session. */
	if (s->state != STATE_WAIT)
		return;
	for (char *p = clean; *p != '\0'; p++)
		if ((guchar)*p < ' ' || *p == 0x7f)
			*p = ' ';
	if (code < 200 || code > 599)
		code = 451;
	for (guint i = 0; i < s->rcpt->len; i++)
		reply(s, "%d %s", code, clean);
	reset_transaction(s);
	s->state = STATE_COMMAND;
}

void lmtp_session_abort(LmtpSession *s, const char *line)
{
	if (s->state == STATE_ENDED)
		return;
	reply(s, "%s", line);
	end(s);
}

const char *lmtp_session_output(LmtpSession *s, gsize *len)
{
	*len = s->out->len;
	return s->out->str;
}

void lmtp_session_output_consumed(LmtpSession *s, gsize n)
{
	g_string_erase(s->out, 0, (gssize)MIN(n, s->out->len));
}

gboolean lmtp_session_wants_input(const LmtpSession *s)
{
	return (s->state == STATE_COMMAND || s->state == STATE_DATA) &&
	       s->out->len < LMTP_SESSION_OUTPUT_MAX;
}

gboolean lmtp_session_waiting(const LmtpSession *s)
{
	return s->state == STATE_WAIT;
}

gboolean lmtp_session_ended(const LmtpSession *s)
{
	return s->state == STATE_ENDED;
}
