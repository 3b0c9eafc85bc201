/* SPDX-License-Identifier: ISC */
/* send.c: hands a batch of finished messages to the SMTP relay in one libESMTP
 * session and reports, per message, what the relay answered. It never retries,
 * rewrites a message or decides a message's fate, and never lets the SMTP
 * password reach a log line, an error message or anything but the relay. */

#include "autoconfig.h"

#include <dirent.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <auth-client.h> /* first: libesmtp.h then declares smtp_auth_set_context */
#include <libesmtp.h>

#include "send.h"

G_DEFINE_QUARK(send-error-quark, send_error)

/* Timeouts in milliseconds, each for one wait on the relay rather than for the
 * whole session. Below RFC 5321's minima (5, 5, 2, 3 and 10 minutes) so that a
 * hung relay holds the sender for minutes, not a quarter of an hour; the wait
 * after the final "." stays the longest because giving up there may deliver
 * a message twice. connect() itself is blocking: the kernel's SYN retries
 * (about two minutes) bound it. */
#define SEND_TIMEOUT_GREETING (60 * 1000L)  /* banner, EHLO, STARTTLS, AUTH */
#define SEND_TIMEOUT_ENVELOPE (120 * 1000L) /* MAIL, RCPT */
#define SEND_TIMEOUT_DATA (120 * 1000L)	    /* answer to DATA */
#define SEND_TIMEOUT_TRANSFER (180 * 1000L) /* each write of the content */
#define SEND_TIMEOUT_DATA2 (300 * 1000L)    /* answer to the final "." */

/* Octets of a message handed to libESMTP per call of the message callback. */
#define SEND_READ_BUFFER 32768

/* Longest relay reply line kept for error messages. */
#define SEND_REPLY_MAX 512

typedef struct {
	const Config *cfg;
	char *server;	   /* "host:port", for messages */
	guint16 port;	   /* the relay's TCP port, host order; 0 if unknown */

	auth_context_t auth;
	char *password; /* wiped before it is freed */

	/* What the protocol monitor and the event callback saw. */
	GString *line;	  /* relay reply line being read */
	char *last_reply; /* the relay's last complete reply line, cleaned */
	gboolean starttls_sent;
	gboolean tls_up;
	char *tls_problem; /* why TLS was refused, for SEND_ERROR_TLS */
	char *ext_problem; /* a required extension the relay lacks */
	gboolean auth_pending;
	gboolean authenticated;
	char *auth_refusal; /* the relay's answer to AUTH, cleaned */
	gboolean mail_started;

	/* The session's items, for the answers that come during it. */
	SendItem *items;
	smtp_message_t *messages;
	smtp_recipient_t *rcpts;
	gboolean *collected; /* status and reply set: accepted during the session */
} SendSession;

/* libESMTP frees the callback's context with free(): it is one malloc()ed
 * block that owns nothing. */
typedef struct {
	gsize pos; /* next octet of the message to convert */
	char out[SEND_READ_BUFFER];
} SendReader;

static GOnce send_ssl_once = G_ONCE_INIT;
static GOnce send_auth_once = G_ONCE_INIT;

static gpointer send_ssl_ctx_create(gpointer data)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	(void)data;
	if (ctx == NULL)
		return NULL;
	/* TLS 1.2 only. With 1.3 the relay's session tickets can arrive before
	 * libESMTP 1.1.0 has flushed EHLO; it then reads first, waits for an
	 * answer to a command it has not sent, and times out. */
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION);
	/* Verification runs but does not abort the handshake: libESMTP reads
	 * its result and asks send_event() whether to go on. */
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	SSL_CTX_set_default_verify_paths(ctx);
	return ctx;
}

/* One SSL_CTX for the whole process, never freed: libESMTP 1.1.0 frees its
 * own default context with the first session and crashes in the second, but
 * takes a reference on a context it is given. */
static SSL_CTX *send_ssl_ctx(void)
{
	return g_once(&send_ssl_once, send_ssl_ctx_create, NULL);
}

static gpointer send_auth_init(gpointer data)
{
	(void)data;
	auth_client_init();
	return GINT_TO_POINTER(1);
}

/* Returns @text (not necessarily NUL-terminated, @len octets) as valid UTF-8
 * on one line: control characters become spaces, runs of spaces one. */
static char *send_clean(const char *text, gssize len)
{
	g_autofree char *valid = g_utf8_make_valid(text, len);
	GString *out = g_string_sized_new(strlen(valid));

	for (const char *p = valid; *p != '\0'; p++) {
		char c = (guchar)*p < 0x20 || *p == 0x7f ? ' ' : *p;

		if (c == ' ' && (out->len == 0 || out->str[out->len - 1] == ' '))
			continue;
		g_string_append_c(out, c);
	}
	while (out->len > 0 && out->str[out->len - 1] == ' ')
		g_string_truncate(out, out->len - 1);
	return g_string_free(out, FALSE);
}

/* A mailbox goes into "MAIL FROM:<%s>" or "RCPT TO:<%s>" verbatim: refuse
 * anything that could end the command or the brackets. */
static gboolean send_mailbox_ok(const char *mailbox)
{
	for (const char *p = mailbox; *p != '\0'; p++) {
		if ((guchar)*p <= ' ' || *p == 0x7f || *p == '<' || *p == '>')
			return FALSE;
	}
	return TRUE;
}

/* The message callback: rewinds when @len is NULL, otherwise returns the next
 * chunk with every bare LF turned into CRLF, or NULL at the end. libESMTP
 * splits lines at CRLF only and does the dot-stuffing itself. */
static const char *send_message_read(void **ctx, int *len, void *arg)
{
	const SendItem *item = arg;
	SendReader *reader = *ctx;
	gsize size;
	const char *data = g_bytes_get_data(item->message, &size);
	gsize n = 0;

	if (reader == NULL) {
		reader = malloc(sizeof *reader);
		if (reader == NULL) {
			/* libESMTP drops the connection when errno is set. */
			errno = ENOMEM;
			if (len != NULL)
				*len = 0;
			return NULL;
		}
		reader->pos = 0;
		*ctx = reader;
	}
	if (len == NULL) {
		reader->pos = 0;
		return NULL;
	}
	while (reader->pos < size && n + 2 <= sizeof reader->out) {
		const char *start = data + reader->pos;
		gsize room = MIN(size - reader->pos, sizeof reader->out - n - 1);
		const char *lf = memchr(start, '\n', room);
		gsize copy = lf != NULL ? (gsize)(lf - start) : room;

		memcpy(reader->out + n, start, copy);
		n += copy;
		reader->pos += copy;
		if (lf == NULL)
			break;
		if (reader->pos == 0 || data[reader->pos - 1] != '\r')
			reader->out[n++] = '\r';
		reader->out[n++] = '\n';
		reader->pos++;
	}
	*len = (int)n;
	return n > 0 ? reader->out : NULL;
}

/* Turns the CHUNKING keyword of an EHLO reply in @buf into one nobody
 * knows, so that libESMTP sends with DATA. Its BDAT sends each message's
 * headers and body as separate chunks and waits on an answer to each:
 * against Postfix, which offers CHUNKING by default, that made one session
 * four times slower (41 messages a second against 166 with DATA, see
 * bench/RESULTS.md). libESMTP has no switch for it, and hands the monitor
 * the very buffer it then parses (siobuf.c: sio_fill()); a keyword split
 * across two reads is missed, and costs only time. */
static void send_hide_chunking(char *buf, int buflen)
{
	static const char keyword[] = "CHUNKING";
	const gsize klen = sizeof keyword - 1;

	for (int i = 0; i + 4 + (int)klen <= buflen; i++) {
		char *p = buf + i;

		if ((i == 0 || buf[i - 1] == '\n') && strncmp(p, "250", 3) == 0 &&
		    (p[3] == '-' || p[3] == ' ') &&
		    g_ascii_strncasecmp(p + 4, keyword, klen) == 0 &&
		    (i + 4 + (int)klen == buflen || !g_ascii_isalnum(p[4 + klen])))
			memcpy(p + 4, "X-NOBDAT", klen);
	}
}

/* Sees the protocol except message content (libESMTP mutes it during DATA):
 * keeps the relay's last reply and follows STARTTLS and AUTH. Of what we
 * write it looks at the command word only, since AUTH carries the password. */
static void send_monitor(const char *buf, int buflen, int writing, void *arg)
{
	SendSession *st = arg;

	if (writing == SMTP_CB_WRITING) {
		if (buflen >= 5 && g_ascii_strncasecmp(buf, "AUTH ", 5) == 0)
			st->auth_pending = TRUE;
		else if (buflen >= 8 && g_ascii_strncasecmp(buf, "STARTTLS", 8) == 0)
			st->starttls_sent = TRUE;
		else if (buflen >= 10 && g_ascii_strncasecmp(buf, "MAIL FROM:", 10) == 0)
			st->mail_started = TRUE;
		return;
	}
	if (writing != SMTP_CB_READING)
		return;
	send_hide_chunking((char *)buf, buflen);
	for (int i = 0; i < buflen; i++) {
		if (buf[i] != '\n') {
			if (st->line->len < SEND_REPLY_MAX)
				g_string_append_c(st->line, buf[i]);
			continue;
		}
		/* Only the last line of a reply, "NNN text", ends it. */
		if (st->line->len >= 3 && g_ascii_isdigit(st->line->str[0]) &&
		    (st->line->len == 3 || st->line->str[3] != '-')) {
			int code = (int)g_ascii_strtoll(st->line->str, NULL, 10);

			g_free(st->last_reply);
			st->last_reply = send_clean(st->line->str, st->line->len);
			if (st->auth_pending && code != 334) {
				st->auth_pending = FALSE;
				if (code / 100 == 2) {
					st->authenticated = TRUE;
				} else if (st->auth_refusal == NULL) {
					/* libESMTP tries the next mechanism; the
					 * first refusal says the most. */
					st->auth_refusal = g_strdup(st->last_reply);
				}
			}
		}
		g_string_truncate(st->line, 0);
	}
}

/* Returns @service (a number or a name like "submission") as a TCP port in
 * host order, or 0. */
static guint16 send_port_number(const char *service)
{
	struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM};
	struct addrinfo *res = NULL;
	guint16 port = 0;

	if (getaddrinfo(NULL, service, &hints, &res) == 0 && res != NULL &&
	    res->ai_addr->sa_family == AF_INET)
		port = ntohs(((const struct sockaddr_in *)(const void *)res->ai_addr)->sin_port);
	if (res != NULL)
		freeaddrinfo(res);
	return port;
}

/* Turns Nagle's algorithm off on the connection libESMTP has just made.
 * libESMTP writes a message in pieces of 2 KiB and waits for the relay's
 * answer after the last one; with Nagle that last piece waits for the
 * relay's delayed ACK (40 ms on Linux), so every message above 2 KiB cost
 * 40 ms and a session ran at 25 messages a second. libESMTP does not give
 * out its socket: it is this process's connected TCP socket to the relay's
 * port, and a session is made by one thread at a time. Setting the option
 * on any other such socket would change its timing, never its data. */
static void send_nodelay(guint16 port)
{
	DIR *dir = opendir("/proc/self/fd");
	struct dirent *entry;
	const int on = 1;

	if (dir == NULL || port == 0) {
		if (dir != NULL)
			closedir(dir);
		return;
	}
	while ((entry = readdir(dir)) != NULL) {
		guint64 fd;
		int protocol;
		socklen_t len = sizeof protocol;
		struct sockaddr_storage peer;
		socklen_t peer_len = sizeof peer;
		guint16 peer_port;

		if (!g_ascii_string_to_unsigned(entry->d_name, 10, 0, G_MAXINT, &fd, NULL) ||
		    (int)fd == dirfd(dir) ||
		    getsockopt((int)fd, SOL_SOCKET, SO_PROTOCOL, &protocol, &len) != 0 ||
		    protocol != IPPROTO_TCP ||
		    getpeername((int)fd, (struct sockaddr *)&peer, &peer_len) != 0)
			continue;
		if (peer.ss_family == AF_INET)
			peer_port = ntohs(((const struct sockaddr_in *)&peer)->sin_port);
		else if (peer.ss_family == AF_INET6)
			peer_port = ntohs(((const struct sockaddr_in6 *)&peer)->sin6_port);
		else
			continue;
		if (peer_port == port)
			setsockopt((int)fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
	}
	closedir(dir);
}

static char *send_status_text(const smtp_status_t *status)
{
	g_autofree char *text = send_clean(status->text != NULL ? status->text : "", -1);

	if (status->enh_class != 0)
		return g_strdup_printf("%d %d.%d.%d %s", status->code, status->enh_class,
				       status->enh_subject, status->enh_detail, text);
	return g_strdup_printf("%d %s", status->code, text);
}

/* Sets @item from what the relay said about its message: the first refusal
 * (MAIL, then RCPT) or the answer to the content. A 354 means the session
 * ended during the transfer: no answer, status 0. */
static void send_item_collect(SendItem *item, smtp_message_t message, smtp_recipient_t rcpt)
{
	const smtp_status_t *mail = smtp_reverse_path_status(message);
	const smtp_status_t *to = smtp_recipient_status(rcpt);
	const smtp_status_t *data = smtp_message_transfer_status(message);
	const smtp_status_t *final = NULL;

	if (mail->code != 0 && mail->code / 100 != 2)
		final = mail;
	else if (to->code != 0 && to->code / 100 != 2)
		final = to;
	else if (data->code / 100 == 2 || data->code / 100 == 4 || data->code / 100 == 5)
		final = data;
	if (final == NULL)
		return;
	item->status = final->code;
	item->reply = send_status_text(final);
}

/* The relay answered a message's content: an item it accepted is
 * reported at once, before the session goes on to the next message, so
 * that the caller can record it while nothing else is on the wire. */
static void send_message_sent(SendSession *st, smtp_message_t message)
{
	guint i = GPOINTER_TO_UINT(smtp_message_get_application_data(message));
	SendItem *item;

	if (i == 0 || st->items == NULL)
		return;
	item = &st->items[i - 1];
	if (st->collected[i - 1] || item->accepted == NULL)
		return;
	send_item_collect(item, message, st->rcpts[i - 1]);
	if (item->status / 100 != 2) {
		/* Read again at the end of the session, with the rest. */
		item->status = 0;
		g_clear_pointer(&item->reply, g_free);
		return;
	}
	st->collected[i - 1] = TRUE;
	item->accepted(item);
}

static void send_tls_refuse(SendSession *st, char *why)
{
	if (st->tls_problem == NULL)
		st->tls_problem = why;
	else
		g_free(why);
}

/* libESMTP's events: STARTTLS results and missing required extensions. In
 * opportunistic mode a certificate that cannot be verified is still better
 * than plain text; in required mode it ends the session. */
static void send_event(smtp_session_t session, int event_no, void *arg, ...)
{
	SendSession *st = arg;
	gboolean required = st->cfg->smtp_starttls == CONFIG_STARTTLS_REQUIRED;
	va_list ap;
	int *ok;

	va_start(ap, arg);
	switch (event_no) {
	case SMTP_EV_CONNECT:
		send_nodelay(st->port);
		break;
	case SMTP_EV_MESSAGESENT:
		send_message_sent(st, va_arg(ap, smtp_message_t));
		break;
	case SMTP_EV_STARTTLS_OK:
		st->tls_up = TRUE;
		/* AUTH only ever travels inside TLS. */
		if (st->auth != NULL)
			smtp_auth_set_context(session, st->auth);
		break;
	case SMTP_EV_EXTNA_STARTTLS:
		send_tls_refuse(st,
				g_strdup_printf("relay %s does not offer STARTTLS", st->server));
		break;
	case SMTP_EV_INVALID_PEER_CERTIFICATE: {
		long result = va_arg(ap, long);

		ok = va_arg(ap, int *);
		*ok = !required;
		if (required)
			send_tls_refuse(st, g_strdup_printf("relay %s: certificate not trusted: %s",
							    st->server,
							    X509_verify_cert_error_string(result)));
		break;
	}
	case SMTP_EV_NO_PEER_CERTIFICATE:
		ok = va_arg(ap, int *);
		*ok = !required;
		if (required)
			send_tls_refuse(
			    st, g_strdup_printf("relay %s presented no certificate", st->server));
		break;
	case SMTP_EV_WRONG_PEER_CERTIFICATE:
		ok = va_arg(ap, int *);
		*ok = !required;
		if (required)
			send_tls_refuse(st,
					g_strdup_printf("relay %s: certificate is not for host %s",
							st->server, st->cfg->transport_host));
		break;
	case SMTP_EV_WEAK_CIPHER:
		(void)va_arg(ap, int);
		ok = va_arg(ap, int *);
		*ok = 0;
		send_tls_refuse(st,
				g_strdup_printf("relay %s negotiated a weak cipher", st->server));
		break;
	case SMTP_EV_NO_CLIENT_CERTIFICATE:
	case SMTP_EV_UNUSABLE_CLIENT_CERTIFICATE:
	case SMTP_EV_UNUSABLE_CA_LIST:
		send_tls_refuse(st,
				g_strdup_printf("unusable TLS client files under ~/.authenticate "
						"(libESMTP reads them) for relay %s",
						st->server));
		break;
	case SMTP_EV_EXTNA_8BITMIME:
		if (st->ext_problem == NULL)
			st->ext_problem = g_strdup_printf(
			    "relay %s does not offer 8BITMIME, needed by an 8-bit message",
			    st->server);
		break;
	default:
		break;
	}
	va_end(ap);
}

/* The AUTH mechanism asks for the user name and the password. */
static int send_auth_interact(auth_client_request_t request, char **result, int fields, void *arg)
{
	SendSession *st = arg;

	for (int i = 0; i < fields; i++) {
		if (request[i].flags & AUTH_USER)
			result[i] = st->cfg->smtp_user;
		else if (request[i].flags & AUTH_PASS)
			result[i] = st->password;
		else
			return 0;
	}
	return 1;
}

static gboolean send_auth_prepare(SendSession *st, GError **error)
{
	const Config *cfg = st->cfg;
	g_autoptr(GError) local = NULL;
	gsize len;

	if (cfg->smtp_starttls == CONFIG_STARTTLS_NONE) {
		g_set_error(error, SEND_ERROR, SEND_ERROR_AUTH,
			    "smtp user is set but starttls is \"none\": convene sends "
			    "credentials only over TLS");
		return FALSE;
	}
	if (cfg->smtp_password_file == NULL || cfg->smtp_password_file[0] == '\0') {
		g_set_error(error, SEND_ERROR, SEND_ERROR_AUTH,
			    "smtp user is set but no password-file");
		return FALSE;
	}
	if (!g_file_get_contents(cfg->smtp_password_file, &st->password, &len, &local)) {
		g_set_error(error, SEND_ERROR, SEND_ERROR_AUTH,
			    "cannot read the SMTP password file: %s", local->message);
		return FALSE;
	}
	while (len > 0 && (st->password[len - 1] == '\n' || st->password[len - 1] == '\r'))
		st->password[--len] = '\0';
	if (len == 0 || strlen(st->password) != len) {
		g_set_error(error, SEND_ERROR, SEND_ERROR_AUTH,
			    "the SMTP password file %s is empty or holds a NUL",
			    cfg->smtp_password_file);
		return FALSE;
	}

	g_once(&send_auth_once, send_auth_init, NULL);
	st->auth = auth_create_context();
	if (st->auth == NULL) {
		g_set_error(error, SEND_ERROR, SEND_ERROR_FAILED, "out of memory");
		return FALSE;
	}
	/* PLAIN and LOGIN send the password as it is; TLS protects it. */
	auth_set_mechanism_flags(st->auth, AUTH_PLUGIN_PLAIN, 0);
	auth_set_interact_cb(st->auth, send_auth_interact, st);
	if (!auth_set_mechanism(st->auth, "PLAIN") && !auth_set_mechanism(st->auth, "LOGIN") &&
	    !auth_set_mechanism(st->auth, "CRAM-MD5")) {
		g_set_error(error, SEND_ERROR, SEND_ERROR_AUTH,
			    "no libESMTP SASL plugin (PLAIN, LOGIN, CRAM-MD5) can be loaded");
		return FALSE;
	}
	return TRUE;
}

/* The EHLO argument: our host name when it is qualified, else the domain we
 * receive mail for, since relays may refuse an unqualified EHLO. NULL leaves
 * libESMTP's default (uname). */
static const char *send_ehlo_name(const Config *cfg)
{
	const char *host = g_get_host_name();
	const char *at;

	if (strchr(host, '.') != NULL)
		return host;
	if (cfg->event_address != NULL && (at = strrchr(cfg->event_address, '@')) != NULL &&
	    at[1] != '\0')
		return at + 1;
	return NULL;
}

/* Octets above 127 make a message 8-bit; bare LFs each gain a CR on the wire. */
static void send_scan(GBytes *message, gboolean *eight_bit, gsize *wire_size)
{
	gsize size;
	const guchar *data = g_bytes_get_data(message, &size);
	const guchar *p = data, *lf;
	guchar any = 0;
	gsize bare = 0;

	/* Two simple passes, which the compiler and memchr() run many octets at
	 * a time: this runs over every octet sent. */
	for (gsize i = 0; i < size; i++)
		any |= data[i];
	while ((lf = memchr(p, '\n', size - (gsize)(p - data))) != NULL) {
		if (lf == data || lf[-1] != '\r')
			bare++;
		p = lf + 1;
	}
	*eight_bit = (any & 0x80) != 0;
	*wire_size = size + bare;
}

static void send_session_clear(SendSession *st)
{
	if (st->auth != NULL)
		auth_destroy_context(st->auth);
	if (st->password != NULL) {
		explicit_bzero(st->password, strlen(st->password));
		g_free(st->password);
	}
	g_free(st->server);
	g_string_free(st->line, TRUE);
	g_free(st->last_reply);
	g_free(st->tls_problem);
	g_free(st->ext_problem);
	g_free(st->auth_refusal);
}

/* Decides whether the session as a whole failed, and why. */
static gboolean send_session_check(SendSession *st, gboolean started, gboolean unanswered,
				   int smtp_err, GError **error)
{
	const Config *cfg = st->cfg;
	char buf[256];
	const char *why;

	if (st->tls_problem != NULL) {
		g_set_error_literal(error, SEND_ERROR, SEND_ERROR_TLS, st->tls_problem);
		return FALSE;
	}
	if (st->starttls_sent && !st->tls_up && (!started || unanswered)) {
		unsigned long ssl_err = ERR_peek_last_error();

		ERR_error_string_n(ssl_err, buf, sizeof buf);
		g_set_error(error, SEND_ERROR, SEND_ERROR_TLS, "relay %s: TLS handshake failed%s%s",
			    st->server, ssl_err != 0 ? ": " : "", ssl_err != 0 ? buf : "");
		return FALSE;
	}
	if (st->ext_problem != NULL) {
		g_set_error_literal(error, SEND_ERROR, SEND_ERROR_FAILED, st->ext_problem);
		return FALSE;
	}
	if (cfg->smtp_user != NULL && cfg->smtp_user[0] != '\0' && !st->authenticated &&
	    (st->auth_refusal != NULL || st->mail_started)) {
		if (st->auth_refusal != NULL)
			g_set_error(error, SEND_ERROR, SEND_ERROR_AUTH,
				    "relay %s refused authentication: %s", st->server,
				    st->auth_refusal);
		else if (!st->tls_up)
			g_set_error(error, SEND_ERROR, SEND_ERROR_AUTH,
				    "relay %s did not offer STARTTLS, and AUTH needs TLS",
				    st->server);
		else
			g_set_error(error, SEND_ERROR, SEND_ERROR_AUTH,
				    "relay %s offers no AUTH mechanism convene can use",
				    st->server);
		return FALSE;
	}
	if (started && !unanswered)
		return TRUE;

	why = smtp_err != 0 ? smtp_strerror(smtp_err, buf, sizeof buf) : NULL;
	if (st->last_reply == NULL)
		g_set_error(error, SEND_ERROR, SEND_ERROR_CONNECT, "cannot talk to relay %s: %s",
			    st->server, why != NULL ? why : "no answer");
	else
		g_set_error(error, SEND_ERROR, SEND_ERROR_CONNECT,
			    "relay %s ended the session early: %s (last reply: %s)", st->server,
			    why != NULL ? why : "no error reported", st->last_reply);
	return FALSE;
}

static gboolean send_session_setup(SendSession *st, smtp_session_t session, GError **error)
{
	const Config *cfg = st->cfg;
	const char *ehlo = send_ehlo_name(cfg);
	static const struct {
		int which;
		long ms;
	} timeouts[] = {
	    {Timeout_GREETING, SEND_TIMEOUT_GREETING}, {Timeout_ENVELOPE, SEND_TIMEOUT_ENVELOPE},
	    {Timeout_DATA, SEND_TIMEOUT_DATA},	       {Timeout_TRANSFER, SEND_TIMEOUT_TRANSFER},
	    {Timeout_DATA2, SEND_TIMEOUT_DATA2},
	};

	if (!smtp_set_server(session, st->server) ||
	    (ehlo != NULL && !smtp_set_hostname(session, ehlo)) ||
	    !smtp_set_eventcb(session, send_event, st) ||
	    !smtp_set_monitorcb(session, send_monitor, st, 0)) {
		g_set_error(error, SEND_ERROR, SEND_ERROR_FAILED, "cannot set up the session");
		return FALSE;
	}
	for (guint i = 0; i < G_N_ELEMENTS(timeouts); i++)
		smtp_set_timeout(session, timeouts[i].which | Timeout_OVERRIDE_RFC2822_MINIMUM,
				 timeouts[i].ms);

	switch (cfg->smtp_starttls) {
	case CONFIG_STARTTLS_NONE:
		smtp_starttls_enable(session, Starttls_DISABLED);
		return TRUE;
	case CONFIG_STARTTLS_OPPORTUNISTIC:
		smtp_starttls_enable(session, Starttls_ENABLED);
		break;
	case CONFIG_STARTTLS_REQUIRED:
		smtp_starttls_enable(session, Starttls_REQUIRED);
		break;
	}
	if (send_ssl_ctx() == NULL || !smtp_starttls_set_ctx(session, send_ssl_ctx())) {
		g_set_error(error, SEND_ERROR, SEND_ERROR_TLS, "cannot create the TLS context");
		return FALSE;
	}
	return TRUE;
}

/* Sends the items not marked in @skip over one session; returns TRUE when the
 * session ran to its end with an answer for each of them. */
static gboolean send_session_run(SendSession *st, SendItem *items, const gboolean *skip,
				 guint n_items, GError **error)
{
	smtp_session_t session = smtp_create_session();
	g_autofree smtp_message_t *messages = g_new0(smtp_message_t, n_items);
	g_autofree smtp_recipient_t *rcpts = g_new0(smtp_recipient_t, n_items);
	gboolean unanswered = FALSE, ok = FALSE;
	int started, smtp_err;

	if (session == NULL) {
		g_set_error(error, SEND_ERROR, SEND_ERROR_FAILED, "cannot create an SMTP session");
		return FALSE;
	}
	if (!send_session_setup(st, session, error))
		goto out;
	st->items = items;
	st->messages = messages;
	st->rcpts = rcpts;
	st->collected = g_new0(gboolean, n_items);

	for (guint i = 0; i < n_items; i++) {
		SendItem *item = &items[i];
		gboolean eight_bit;
		gsize wire_size;

		if (skip[i])
			continue;
		send_scan(item->message, &eight_bit, &wire_size);
		messages[i] = smtp_add_message(session);
		if (messages[i] == NULL ||
		    !smtp_set_reverse_path(messages[i], item->reverse_path) ||
		    (rcpts[i] = smtp_add_recipient(messages[i], item->recipient)) == NULL ||
		    !smtp_set_messagecb(messages[i], send_message_read, item) ||
		    !smtp_size_set_estimate(messages[i], wire_size) ||
		    (eight_bit && !smtp_8bitmime_set_body(messages[i], E8bitmime_8BITMIME))) {
			g_set_error(error, SEND_ERROR, SEND_ERROR_FAILED,
				    "cannot add a message to the session");
			goto out;
		}
		/* Its index, counted from 1, for send_message_sent(). */
		smtp_message_set_application_data_release(messages[i], GUINT_TO_POINTER(i + 1),
							  NULL);
	}

	ERR_clear_error();
	started = smtp_start_session(session);
	smtp_err = smtp_errno();
	for (guint i = 0; i < n_items; i++) {
		if (messages[i] == NULL)
			continue;
		if (!st->collected[i])
			send_item_collect(&items[i], messages[i], rcpts[i]);
		if (items[i].status == 0)
			unanswered = TRUE;
	}
	ok = send_session_check(st, started, unanswered, smtp_err, error);
	ERR_clear_error();

out:
	smtp_destroy_session(session);
	g_clear_pointer(&st->collected, g_free);
	st->items = NULL;
	st->messages = NULL;
	st->rcpts = NULL;
	return ok;
}

/* Runs the session with SIGPIPE held off: libESMTP write()s to a socket the
 * relay may have closed, and that must not kill the process. The signal is
 * blocked on this thread only and any that came is swallowed, so no other
 * thread's or handler's view of it changes. */
static gboolean send_session_run_nopipe(SendSession *st, SendItem *items, const gboolean *skip,
					guint n_items, GError **error)
{
	sigset_t pipe_set, old_set;
	gboolean ok;

	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old_set);
	ok = send_session_run(st, items, skip, n_items, error);
	if (!sigismember(&old_set, SIGPIPE)) {
		const struct timespec now = {0, 0};

		while (sigtimedwait(&pipe_set, NULL, &now) == SIGPIPE)
			;
		pthread_sigmask(SIG_SETMASK, &old_set, NULL);
	}
	return ok;
}

gboolean send_smtp(const Config *cfg, SendItem *items, guint n_items, GError **error)
{
	SendSession st = {.cfg = cfg};
	g_autoptr(GError) local = NULL;
	g_autofree gboolean *skip = NULL;
	guint n_send = 0;
	gboolean ok = FALSE;

	g_return_val_if_fail(cfg != NULL, FALSE);
	g_return_val_if_fail(items != NULL || n_items == 0, FALSE);
	g_return_val_if_fail(error == NULL || *error == NULL, FALSE);
	for (guint i = 0; i < n_items; i++) {
		g_return_val_if_fail(items[i].reverse_path != NULL, FALSE);
		g_return_val_if_fail(items[i].recipient != NULL, FALSE);
		g_return_val_if_fail(items[i].message != NULL, FALSE);
	}

	/* A mailbox goes into the MAIL or RCPT command verbatim: one that could
	 * end the command is refused here, for good, without a session. */
	skip = g_new0(gboolean, n_items);
	for (guint i = 0; i < n_items; i++) {
		items[i].status = 0;
		items[i].reply = NULL;
		if (send_mailbox_ok(items[i].reverse_path) && send_mailbox_ok(items[i].recipient) &&
		    items[i].recipient[0] != '\0') {
			n_send++;
			continue;
		}
		skip[i] = TRUE;
		items[i].status = 553;
		items[i].reply = g_strdup("553 5.1.3 address refused by convene, not sent");
	}
	if (n_send == 0)
		return TRUE;

	st.line = g_string_new(NULL);
	if (cfg->transport_host == NULL || cfg->transport_host[0] == '\0' ||
	    strchr(cfg->transport_host, ':') != NULL) {
		/* libESMTP splits "host:port" at the first colon. */
		g_set_error(&local, SEND_ERROR, SEND_ERROR_FAILED,
			    "relay host \"%s\" is empty or an IPv6 literal, which libESMTP "
			    "cannot use; give a host name",
			    cfg->transport_host != NULL ? cfg->transport_host : "");
		goto out;
	}
	st.server = g_strdup_printf("%s:%s", cfg->transport_host,
				    cfg->transport_port != NULL ? cfg->transport_port : "25");
	st.port = send_port_number(cfg->transport_port != NULL ? cfg->transport_port : "25");
	if (cfg->smtp_user != NULL && cfg->smtp_user[0] != '\0' && !send_auth_prepare(&st, &local))
		goto out;
	ok = send_session_run_nopipe(&st, items, skip, n_items, &local);

out:
	if (!ok) {
		for (guint i = 0; i < n_items; i++) {
			if (skip[i] || items[i].status / 100 == 2)
				continue;
			items[i].status = 0;
			g_free(items[i].reply);
			items[i].reply = g_strdup(local->message);
		}
		g_propagate_error(error, g_steal_pointer(&local));
	}
	send_session_clear(&st);
	return ok;
}
