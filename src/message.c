/* message.c: incoming mail through GMime into a Message. It must never let a
 * raw header value out (everything is cleaned) and never parse a file
 * larger than the configured limit. */
#include "message.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include "mime.h"
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "text.h"

/* Deeper MIME than this is not a registration form; refuse it rather than
 * walk it. */
#define MESSAGE_MAX_DEPTH 32

G_DEFINE_QUARK(convene-message-error-quark, message_error)

void message_free(Message *msg)
{
	if (msg == NULL)
		return;
	g_free(msg->from_address);
	g_free(msg->from_name);
	g_free(msg->message_id);
	g_free(msg->references);
	g_free(msg->subject);
	g_free(msg->body);
	g_free(msg->robot);
	g_free(msg);
}

static void message_init_gmime(void)
{
	static gsize done;

	if (g_once_init_enter(&done)) {
		g_mime_init();
		g_once_init_leave(&done, 1);
	}
}

static const char *header(GMimeMessage *m, const char *name)
{
	return g_mime_object_get_header(GMIME_OBJECT(m), name);
}

/* Returns why @m is machine mail that must not be answered (RFC 3834 and
 * the list-manager conventions), or NULL for a person's mail. */
static char *robot_reason(GMimeMessage *m, const char *from, const char *own_address)
{
	static const char *const list_headers[] = {"List-Id", "List-Unsubscribe", "List-Post",
						   "List-Help", "List-Subscribe", "List-Owner",
						   "List-Archive"};
	const char *v;
	GMimeObject *body = g_mime_message_get_mime_part(m);

	v = header(m, "Auto-Submitted");
	if (v != NULL) {
		g_autofree char *clean = text_clean_line(v);

		if (g_ascii_strncasecmp(clean, "no", 2) != 0 ||
		    (clean[2] != '\0' && clean[2] != ' ' && clean[2] != ';' && clean[2] != '('))
			return g_strdup_printf("Auto-Submitted: %s", clean);
	}
	v = header(m, "Precedence");
	if (v != NULL) {
		g_autofree char *clean = text_clean_line(v);

		if (g_ascii_strcasecmp(clean, "bulk") == 0 || g_ascii_strcasecmp(clean, "junk") == 0 ||
		    g_ascii_strcasecmp(clean, "list") == 0)
			return g_strdup_printf("Precedence: %s", clean);
	}
	for (guint i = 0; i < G_N_ELEMENTS(list_headers); i++)
		if (header(m, list_headers[i]) != NULL)
			return g_strdup_printf("%s header", list_headers[i]);
	v = header(m, "Return-Path");
	if (v != NULL) {
		g_autofree char *clean = text_clean_line(v);

		if (strcmp(clean, "<>") == 0 || strcmp(clean, "") == 0)
			return g_strdup("empty Return-Path");
		if (g_ascii_strncasecmp(clean, "<mailer-daemon@", 15) == 0 ||
		    g_ascii_strncasecmp(clean, "mailer-daemon@", 14) == 0)
			return g_strdup("Return-Path from MAILER-DAEMON");
	}
	if (g_str_has_prefix(from, "mailer-daemon@") || g_str_has_prefix(from, "postmaster@"))
		return g_strdup_printf("From %s", from);
	v = header(m, "X-Loop");
	if (v != NULL) {
		g_autofree char *clean = text_clean_address(v);

		if (strstr(clean, own_address) != NULL)
			return g_strdup("X-Loop of our own");
	}
	if (g_ascii_strcasecmp(from, own_address) == 0)
		return g_strdup("From our own address");
	if (body != NULL && GMIME_IS_MULTIPART(body)) {
		GMimeContentType *ct = g_mime_object_get_content_type(body);

		if (g_mime_content_type_is_type(ct, "multipart", "report"))
			return g_strdup("multipart/report (delivery or read report)");
	}
	return NULL;
}

typedef struct {
	GMimeTextPart *text;
	int depth;
	gboolean too_deep;
} BodySearch;

static gboolean is_attachment(GMimeObject *part)
{
	GMimeContentDisposition *d = g_mime_object_get_content_disposition(part);

	return d != NULL && g_mime_content_disposition_is_attachment(d);
}

/* Depth-first search for the first text/plain part that is not an
 * attachment, refusing to go deeper than MESSAGE_MAX_DEPTH. */
static void find_text(GMimeObject *obj, BodySearch *s)
{
	if (s->text != NULL || s->too_deep)
		return;
	if (++s->depth > MESSAGE_MAX_DEPTH) {
		s->too_deep = TRUE;
		return;
	}
	if (GMIME_IS_MULTIPART(obj)) {
		GMimeMultipart *mp = GMIME_MULTIPART(obj);
		int n = g_mime_multipart_get_count(mp);

		for (int i = 0; i < n && s->text == NULL && !s->too_deep; i++)
			find_text(g_mime_multipart_get_part(mp, i), s);
	} else if (GMIME_IS_TEXT_PART(obj) && !is_attachment(obj)) {
		GMimeContentType *ct = g_mime_object_get_content_type(obj);

		if (g_mime_content_type_is_type(ct, "text", "plain"))
			s->text = GMIME_TEXT_PART(obj);
	}
	s->depth--;
}

/* Returns @text with CRLF and lone CR made LF, NULs dropped, valid UTF-8. */
static char *normalise_text(const char *text)
{
	g_autofree char *valid = g_utf8_make_valid(text, -1);
	GString *out = g_string_sized_new(strlen(valid));

	for (const char *p = valid; *p != '\0'; p++) {
		if (*p == '\r') {
			g_string_append_c(out, '\n');
			if (p[1] == '\n')
				p++;
		} else {
			g_string_append_c(out, *p);
		}
	}
	return g_string_free(out, FALSE);
}

static char *digest_id(const char *path)
{
	g_autofree char *contents = NULL;
	gsize len = 0;

	if (!g_file_get_contents(path, &contents, &len, NULL))
		return NULL;
	return g_compute_checksum_for_data(G_CHECKSUM_SHA256, (const guchar *)contents, len);
}

static char *build_references(GMimeMessage *m, const char *message_id)
{
	const char *refs = header(m, "References");
	g_autofree char *clean = text_clean_line(refs);
	GString *out = g_string_new(NULL);

	if (refs != NULL) {
		GMimeReferences *list = g_mime_references_parse(NULL, clean);

		for (int i = 0; list != NULL && i < g_mime_references_length(list); i++) {
			g_autofree char *id = text_clean_line(g_mime_references_get_message_id(list, i));

			g_string_append_printf(out, "%s<%s>", out->len ? " " : "", id);
		}
		if (list != NULL)
			g_mime_references_free(list);
	}
	g_string_append_printf(out, "%s<%s>", out->len ? " " : "", message_id);
	return g_string_free(out, FALSE);
}

Message *message_read_file(const char *path, guint64 max_size, const char *own_address,
			   GError **error)
{
	g_autoptr(Message) msg = NULL;
	g_autoptr(GMimeStream) stream = NULL;
	g_autoptr(GMimeParser) parser = NULL;
	g_autoptr(GMimeMessage) m = NULL;
	InternetAddressList *from;
	InternetAddress *addr = NULL;
	BodySearch search = {0};
	struct stat st;
	int fd;

	message_init_gmime();
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0) {
		int err = errno;

		if (fd >= 0)
			close(fd);
		g_set_error(error, MESSAGE_ERROR, MESSAGE_ERROR_READ, "cannot read %s: %s", path,
			    g_strerror(err));
		return NULL;
	}
	if (max_size > 0 && (guint64)st.st_size > max_size) {
		close(fd);
		g_set_error(error, MESSAGE_ERROR, MESSAGE_ERROR_TOO_BIG,
			    "%lld bytes, over limits.max-message-size %" G_GUINT64_FORMAT,
			    (long long)st.st_size, max_size);
		return NULL;
	}
	stream = g_mime_stream_fs_new(fd);
	parser = g_mime_parser_new_with_stream(stream);
	g_mime_parser_set_format(parser, GMIME_FORMAT_MESSAGE);
	m = g_mime_parser_construct_message(parser, NULL);
	if (m == NULL) {
		g_set_error(error, MESSAGE_ERROR, MESSAGE_ERROR_PARSE, "not a MIME message");
		return NULL;
	}

	msg = g_new0(Message, 1);
	from = g_mime_message_get_from(m);
	for (int i = 0; from != NULL && i < internet_address_list_length(from); i++) {
		InternetAddress *a = internet_address_list_get_address(from, i);

		if (INTERNET_ADDRESS_IS_MAILBOX(a)) {
			addr = a;
			break;
		}
	}
	if (addr != NULL) {
		const char *spec = internet_address_mailbox_get_idn_addr(INTERNET_ADDRESS_MAILBOX(addr));

		msg->from_address = text_clean_address(spec);
		msg->from_name = text_clean_line(internet_address_get_name(addr));
	}
	if (msg->from_address == NULL || strchr(msg->from_address, '@') == NULL ||
	    strchr(msg->from_address, ' ') != NULL || msg->from_address[0] == '@') {
		g_set_error(error, MESSAGE_ERROR, MESSAGE_ERROR_NO_SENDER, "no usable From address");
		return NULL;
	}

	if (g_mime_message_get_message_id(m) != NULL)
		msg->message_id = text_clean_line(g_mime_message_get_message_id(m));
	if (msg->message_id == NULL || msg->message_id[0] == '\0') {
		g_autofree char *digest = digest_id(path);

		if (digest == NULL) {
			g_set_error(error, MESSAGE_ERROR, MESSAGE_ERROR_READ, "cannot read %s", path);
			return NULL;
		}
		g_free(msg->message_id);
		msg->message_id = g_strdup_printf("sha256-%s@no-message-id.invalid", digest);
	}
	msg->references = build_references(m, msg->message_id);
	msg->subject = text_clean_line(g_mime_message_get_subject(m));
	msg->robot = robot_reason(m, msg->from_address, own_address);

	if (g_mime_message_get_mime_part(m) != NULL)
		find_text(g_mime_message_get_mime_part(m), &search);
	if (search.too_deep) {
		g_set_error(error, MESSAGE_ERROR, MESSAGE_ERROR_NESTING,
			    "MIME nested deeper than %d levels", MESSAGE_MAX_DEPTH);
		return NULL;
	}
	if (search.text != NULL) {
		g_autofree char *text = g_mime_text_part_get_text(search.text);

		msg->body = normalise_text(text != NULL ? text : "");
	} else {
		msg->body = g_strdup("");
	}
	return g_steal_pointer(&msg);
}
