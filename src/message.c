/* SPDX-License-Identifier: ISC */
/* message.c: incoming mail through GMime into a Message. It must never let a
 * raw header value out (everything is cleaned) and never parse a file
 * larger than the configured limit. */

#include "autoconfig.h"

#include "message.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <iconv.h>
#include <stdio.h>
#include "address.h"
#include "mime.h"
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "html.h"
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
	g_free(msg->detail);
	g_free(msg->content_language);
	g_clear_pointer(&msg->raw, g_bytes_unref);
	bounce_report_free(msg->report);
	g_free(msg);
}

/* The charsets partners' mail comes in. glibc loads a charset's converter
 * (a gconv module) when a descriptor for it is opened and unloads it soon
 * after the last is closed; every message then loaded and unloaded its
 * module again, and each unloading's munmap() stops every other core to
 * flush its TLB. One descriptor per charset held for the life of the
 * process keeps them loaded. */
static const char *const resident_charsets[] = {
	"ISO-8859-1", "ISO-8859-2", "ISO-8859-15", "ISO-8859-3", "ISO-8859-4", "ISO-8859-5",
	"ISO-8859-7", "ISO-8859-9", "ISO-8859-13", "ISO-8859-16", "CP1250", "CP1251",
	"CP1252", "CP1253", "CP1254", "CP1257", "KOI8-R", "UTF-7", NULL,
};

/* volatile: held, never read, which the compiler would otherwise drop. */
static iconv_t volatile resident[G_N_ELEMENTS(resident_charsets)];

static void keep_converters_loaded(void)
{
	/* Never closed, on purpose; a charset this libc lacks stays (iconv_t)-1. */
	for (guint i = 0; resident_charsets[i] != NULL; i++)
		resident[i] = iconv_open("UTF-8", resident_charsets[i]);
}

void mime_init(void)
{
	static gsize done;

	if (g_once_init_enter(&done)) {
		g_mime_init();
		keep_converters_loaded();
		g_once_init_leave(&done, 1);
	}
}

static const char *header(GMimeMessage *m, const char *name)
{
	return g_mime_object_get_header(GMIME_OBJECT(m), name);
}

/* Headers only robots write: Exchange's inbox rules, and the autoreply
 * markers of mail clients and servers that do not write Auto-Submitted. */
static const char *const autoreply_headers[] = {"X-Autoreply", "X-Autorespond",
						"X-MS-Exchange-Inbox-Rules-Loop"};

static GByteArray *part_bytes(GMimePart *part);

/* The iTIP methods a calendar client sends back on its own: an answer to
 * an invitation, a counter-proposal, a request for the latest version. */
static const char *calendar_robot_method(const char *method)
{
	static const char *const methods[] = {"REPLY", "COUNTER", "REFRESH"};
	g_autofree char *clean = text_clean_line(method);

	for (guint i = 0; i < G_N_ELEMENTS(methods); i++)
		if (g_ascii_strcasecmp(clean, methods[i]) == 0)
			return methods[i];
	return NULL;
}

/* TRUE when @obj holds a text/calendar part whose iTIP method (its
 * Content-Type's method, else its METHOD line) is one a calendar client
 * sends by itself; *@method is that method (static). */
static gboolean calendar_reply(GMimeObject *obj, int depth, const char **method)
{
	GMimeContentType *ct;

	if (obj == NULL || depth > MESSAGE_MAX_DEPTH)
		return FALSE;
	if (GMIME_IS_MULTIPART(obj)) {
		GMimeMultipart *mp = GMIME_MULTIPART(obj);

		for (int i = 0; i < g_mime_multipart_get_count(mp); i++)
			if (calendar_reply(g_mime_multipart_get_part(mp, i), depth + 1, method))
				return TRUE;
		return FALSE;
	}
	ct = g_mime_object_get_content_type(obj);
	if (!GMIME_IS_PART(obj) || !g_mime_content_type_is_type(ct, "text", "calendar"))
		return FALSE;
	if (g_mime_content_type_get_parameter(ct, "method") != NULL) {
		*method = calendar_robot_method(g_mime_content_type_get_parameter(ct, "method"));
		return *method != NULL;
	}
	{
		g_autoptr(GByteArray) bytes = part_bytes(GMIME_PART(obj));
		g_autofree char *text = NULL;
		const char *line;

		if (bytes == NULL)
			return FALSE;
		text = g_strndup((const char *)bytes->data, MIN(bytes->len, 65536));
		for (line = text; line != NULL; line = strchr(line, '\n')) {
			line += *line == '\n';
			if (g_ascii_strncasecmp(line, "METHOD:", 7) == 0) {
				g_autofree char *value = g_strndup(line + 7, strcspn(line + 7, "\r\n"));

				*method = calendar_robot_method(value);
				return *method != NULL;
			}
		}
	}
	return FALSE;
}

/* Returns why @m is machine mail that must not be answered (RFC 3834, the
 * list-manager conventions, the marks of autoresponders that ignore them,
 * and calendar clients' own answers), or NULL for a person's mail. */
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
		    g_ascii_strcasecmp(clean, "list") == 0 ||
		    g_ascii_strcasecmp(clean, "auto_reply") == 0)
			return g_strdup_printf("Precedence: %s", clean);
	}
	/* What out-of-office robots that ignore RFC 3834 write instead. */
	for (guint i = 0; i < G_N_ELEMENTS(autoreply_headers); i++) {
		v = header(m, autoreply_headers[i]);
		if (v != NULL) {
			g_autofree char *clean = text_clean_line(v);

			return g_strdup_printf("%s: %s", autoreply_headers[i], clean);
		}
	}
	if (calendar_reply(body, 0, &v))
		return g_strdup_printf("calendar %s (iMIP)", v);
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

typedef struct {
	GMimePart *plain;  /* the first text/plain part that is not an attachment */
	GMimePart *html;   /* else the first text/html one */
	int depth;
	gboolean too_deep;
} BodySearch;

static gboolean is_attachment(GMimeObject *part)
{
	GMimeContentDisposition *d = g_mime_object_get_content_disposition(part);

	return d != NULL && g_mime_content_disposition_is_attachment(d);
}

/* Depth-first search for the parts a person wrote, refusing to go deeper
 * than MESSAGE_MAX_DEPTH. Attached or forwarded messages are not entered:
 * what they hold was written by someone else. */
static void find_text(GMimeObject *obj, BodySearch *s)
{
	if (s->plain != NULL || s->too_deep)
		return;
	if (++s->depth > MESSAGE_MAX_DEPTH) {
		s->too_deep = TRUE;
		return;
	}
	if (GMIME_IS_MULTIPART(obj)) {
		GMimeMultipart *mp = GMIME_MULTIPART(obj);
		int n = g_mime_multipart_get_count(mp);

		for (int i = 0; i < n && s->plain == NULL && !s->too_deep; i++)
			find_text(g_mime_multipart_get_part(mp, i), s);
	} else if (GMIME_IS_PART(obj) && !is_attachment(obj)) {
		GMimeContentType *ct = g_mime_object_get_content_type(obj);

		if (g_mime_content_type_is_type(ct, "text", "plain"))
			s->plain = GMIME_PART(obj);
		else if (s->html == NULL && g_mime_content_type_is_type(ct, "text", "html"))
			s->html = GMIME_PART(obj);
	}
	s->depth--;
}

/* Returns TRUE if @obj nests multiparts or attached messages deeper than
 * @left more levels: such mail is built to hurt parsers, not to register. */
static gboolean too_deep(GMimeObject *obj, int left)
{
	if (left < 0)
		return TRUE;
	if (GMIME_IS_MULTIPART(obj)) {
		GMimeMultipart *mp = GMIME_MULTIPART(obj);

		for (int i = 0; i < g_mime_multipart_get_count(mp); i++)
			if (too_deep(g_mime_multipart_get_part(mp, i), left - 1))
				return TRUE;
	} else if (GMIME_IS_MESSAGE_PART(obj)) {
		GMimeMessage *inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));

		if (inner != NULL && g_mime_message_get_mime_part(inner) != NULL)
			return too_deep(g_mime_message_get_mime_part(inner), left - 1);
	}
	return FALSE;
}

/* Returns the part's content with its transfer encoding (base64,
 * quoted-printable) undone, still in its own charset. */
static GByteArray *part_bytes(GMimePart *part)
{
	GMimeDataWrapper *content = g_mime_part_get_content(part);
	g_autoptr(GMimeStream) mem = g_mime_stream_mem_new();
	GByteArray *bytes;

	if (content != NULL)
		g_mime_data_wrapper_write_to_stream(content, mem);
	bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
	g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(mem), FALSE);
	return bytes;
}

/* Top-level domains of the countries that write in windows-1250 when their
 * mail client declares nothing. */
static gboolean central_european(const char *address)
{
	static const char *const tlds[] = {".hu", ".ro", ".hr", ".rs", ".pl", ".cz", ".sk",
					   ".si", ".ba", ".me", ".al", ".mk"};

	for (guint i = 0; i < G_N_ELEMENTS(tlds); i++)
		if (g_str_has_suffix(address, tlds[i]))
			return TRUE;
	return FALSE;
}

static gboolean has_8bit(const guint8 *data, gsize len)
{
	for (gsize i = 0; i < len; i++)
		if (data[i] >= 0x80)
			return TRUE;
	return FALSE;
}

/* Returns @bytes as UTF-8. The declared charset is trusted unless the text
 * says otherwise: valid UTF-8 with 8-bit bytes is UTF-8 whatever the label
 * (Latin-1 text is virtually never valid UTF-8), and text that does not
 * convert from its label is read in the charset its sender's country
 * uses, so no name turns to mojibake. */
static char *to_utf8(GByteArray *bytes, const char *declared, const char *sender)
{
	const char *data = (const char *)bytes->data;
	gsize len = bytes->len;
	const char *fallback = central_european(sender) ? "WINDOWS-1250" : "WINDOWS-1252";
	char *out;

	if (len == 0)
		return g_strdup("");
	if (g_utf8_validate_len(data, len, NULL) &&
	    (has_8bit(bytes->data, len) || declared == NULL ||
	     g_ascii_strcasecmp(declared, "utf-8") == 0 ||
	     g_ascii_strcasecmp(declared, "us-ascii") == 0))
		return g_strndup(data, len);
	if (declared != NULL && g_ascii_strcasecmp(declared, "utf-8") != 0) {
		const char *name = g_mime_charset_iconv_name(declared);

		/* ISO-8859-1 labels stand for windows-1252 in practice (as HTML5
		 * reads them): Outlook's curly quotes are 0x91-0x94. */
		if (g_ascii_strcasecmp(g_mime_charset_canon_name(declared), "iso-8859-1") == 0)
			name = "WINDOWS-1252";
		out = g_convert(data, (gssize)len, "UTF-8", name, NULL, NULL, NULL);
		if (out != NULL)
			return out;
	}
	out = g_convert_with_fallback(data, (gssize)len, "UTF-8", fallback, "?", NULL, NULL, NULL);
	return out != NULL ? out : g_utf8_make_valid(data, (gssize)len);
}

/* Joins format=flowed lines (RFC 3676): a line ending in a space goes on
 * with the next one at the same quote depth; DelSp=yes drops that space;
 * space-stuffing is undone. */
static char *unflow(const char *text, gboolean delsp)
{
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	GString *out = g_string_new(NULL);
	int open_depth = -1; /* quote depth of a paragraph still being joined */

	for (char **l = lines; *l != NULL; l++) {
		const char *p = *l;
		int depth = 0;
		gsize len;
		gboolean flowed;

		while (*p == '>') {
			depth++;
			p++;
		}
		if (*p == ' ')
			p++;
		len = strlen(p);
		flowed = len > 0 && p[len - 1] == ' ' && strcmp(p, "-- ") != 0;
		if (open_depth >= 0 && open_depth != depth)
			g_string_append_c(out, '\n'); /* a paragraph cut by a change of depth */
		if (open_depth != depth) {
			for (int i = 0; i < depth; i++)
				g_string_append(out, "> ");
		}
		g_string_append_len(out, p, (gssize)(flowed && delsp ? len - 1 : len));
		if (flowed) {
			open_depth = depth;
		} else {
			g_string_append_c(out, '\n');
			open_depth = -1;
		}
	}
	if (out->len > 0 && out->str[out->len - 1] == '\n')
		g_string_truncate(out, out->len - 1);
	return g_string_free(out, FALSE);
}

/* Returns the text a person wrote in @s's part, as UTF-8 with LF ends. */
static char *body_text(BodySearch *s, const char *sender)
{
	GMimePart *part = s->plain != NULL ? s->plain : s->html;
	GMimeObject *obj;
	g_autoptr(GByteArray) bytes = NULL;
	g_autofree char *utf8 = NULL, *lf = NULL;
	const char *format;

	if (part == NULL)
		return g_strdup("");
	obj = GMIME_OBJECT(part);
	bytes = part_bytes(part);
	utf8 = to_utf8(bytes, g_mime_object_get_content_type_parameter(obj, "charset"), sender);
	lf = normalise_text(utf8);
	if (part == s->html)
		return html_to_text(lf, strlen(lf));
	format = g_mime_object_get_content_type_parameter(obj, "format");
	if (format != NULL && g_ascii_strcasecmp(format, "flowed") == 0) {
		const char *delsp = g_mime_object_get_content_type_parameter(obj, "delsp");

		return unflow(lf, delsp != NULL && g_ascii_strcasecmp(delsp, "yes") == 0);
	}
	return g_steal_pointer(&lf);
}

/* Returns what follows the '+' when the message was written to the event's
 * address with a detail (register+cancel@...), as the delivering MTA or the
 * sender's To and Cc say; NULL otherwise. */
static char *address_detail(GMimeMessage *m, const char *own_address)
{
	static const char *const headers[] = {"Delivered-To", "X-Original-To", "Envelope-To", "To",
					      "Cc"};
	const char *at = strchr(own_address, '@');
	g_autofree char *local = g_strndup(own_address, at != NULL ? (gsize)(at - own_address) : 0);

	if (at == NULL)
		return NULL;
	for (guint h = 0; h < G_N_ELEMENTS(headers); h++) {
		const char *value = header(m, headers[h]);
		g_autoptr(InternetAddressList) list = NULL;

		if (value == NULL)
			continue;
		list = internet_address_list_parse(NULL, value);
		for (int i = 0; list != NULL && i < internet_address_list_length(list); i++) {
			InternetAddress *a = internet_address_list_get_address(list, i);
			g_autofree char *addr = NULL;
			const char *plus, *aat;

			if (!INTERNET_ADDRESS_IS_MAILBOX(a))
				continue;
			addr = text_clean_address(
				internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(a)));
			plus = strchr(addr, '+');
			aat = strrchr(addr, '@');
			if (plus == NULL || aat == NULL || plus > aat ||
			    (gsize)(plus - addr) != strlen(local) ||
			    strncmp(addr, local, strlen(local)) != 0 || g_ascii_strcasecmp(aat, at) != 0)
				continue;
			return g_strndup(plus + 1, aat - plus - 1);
		}
	}
	return NULL;
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

/* Reads @bytes (kept as the message's raw form) as message_read_bytes()
 * says. */
static Message *read_message(GBytes *bytes, guint64 max_size, const char *own_address,
			     GError **error)
{
	gsize size;
	const void *data = g_bytes_get_data(bytes, &size);
	g_autoptr(Message) msg = NULL;
	g_autoptr(GMimeStream) stream = NULL;
	g_autoptr(GMimeParser) parser = NULL;
	g_autoptr(GMimeMessage) m = NULL;
	InternetAddressList *from;
	InternetAddress *addr = NULL;
	BodySearch search = {0};

	if (max_size > 0 && size > max_size) {
		g_set_error(error, MESSAGE_ERROR, MESSAGE_ERROR_TOO_BIG,
			    "%" G_GSIZE_FORMAT
			    " bytes, over limits.max-message-size %" G_GUINT64_FORMAT,
			    size, max_size);
		return NULL;
	}
	mime_init();
	stream = g_mime_stream_mem_new_with_buffer(data, size);
	parser = g_mime_parser_new_with_stream(stream);
	g_mime_parser_set_format(parser, GMIME_FORMAT_MESSAGE);
	m = g_mime_parser_construct_message(parser, NULL);
	if (m == NULL) {
		g_set_error(error, MESSAGE_ERROR, MESSAGE_ERROR_PARSE, "not a MIME message");
		return NULL;
	}

	msg = g_new0(Message, 1);
	msg->raw = g_bytes_ref(bytes);
	from = g_mime_message_get_from(m);
	for (int i = 0; from != NULL && i < internet_address_list_length(from); i++) {
		InternetAddress *a = internet_address_list_get_address(from, i);

		if (INTERNET_ADDRESS_IS_MAILBOX(a)) {
			addr = a;
			break;
		}
	}
	if (addr != NULL) {
		InternetAddressMailbox *mb = INTERNET_ADDRESS_MAILBOX(addr);
		const char *spec = internet_address_mailbox_get_addr(mb);

		/* An internationalised domain is given in its ASCII (IDNA) form;
		 * the conversion is skipped for the usual address, ASCII already. */
		if (!g_str_is_ascii(spec))
			spec = internet_address_mailbox_get_idn_addr(mb);

		msg->from_address = text_clean_address(spec);
		msg->from_name = text_clean_line(internet_address_get_name(addr));
	}
	if (msg->from_address == NULL || !address_valid(msg->from_address)) {
		g_set_error(error, MESSAGE_ERROR, MESSAGE_ERROR_NO_SENDER, "no usable From address");
		return NULL;
	}

	if (g_mime_message_get_message_id(m) != NULL)
		msg->message_id = text_clean_line(g_mime_message_get_message_id(m));
	if (msg->message_id == NULL || msg->message_id[0] == '\0') {
		g_autofree char *digest =
		    g_compute_checksum_for_data(G_CHECKSUM_SHA256, data, size);

		g_free(msg->message_id);
		msg->message_id = g_strdup_printf("sha256-%s@no-message-id.invalid", digest);
	}
	msg->references = build_references(m, msg->message_id);
	msg->subject = text_clean_line(g_mime_message_get_subject(m));
	msg->robot = robot_reason(m, msg->from_address, own_address);
	msg->detail = address_detail(m, own_address);
	/* Exchange marks its out-of-office notices so, and people's mail
	 * sometimes: only with an absence subject is it a robot's (command.c
	 * knows the subjects, from the languages' data). */
	msg->auto_response_suppress = header(m, "X-Auto-Response-Suppress") != NULL;
	if (header(m, "Content-Language") != NULL)
		msg->content_language = text_clean_line(header(m, "Content-Language"));
	if (bounce_is_address(msg->detail))
		msg->report = bounce_report_read(m);

	if (g_mime_message_get_mime_part(m) != NULL) {
		find_text(g_mime_message_get_mime_part(m), &search);
		search.too_deep = search.too_deep ||
				  too_deep(g_mime_message_get_mime_part(m), MESSAGE_MAX_DEPTH);
	}
	if (search.too_deep) {
		g_set_error(error, MESSAGE_ERROR, MESSAGE_ERROR_NESTING,
			    "MIME nested deeper than %d levels", MESSAGE_MAX_DEPTH);
		return NULL;
	}
	msg->body = body_text(&search, msg->from_address);
	return g_steal_pointer(&msg);
}

char *message_decode_words(const char *text)
{
	mime_init();
	if (text == NULL || strstr(text, "=?") == NULL)
		return g_strdup(text != NULL ? text : "");
	return g_mime_utils_header_decode_text(NULL, text);
}

Message *message_read_bytes(const void *data, gsize size, guint64 max_size, const char *own_address,
			    GError **error)
{
	g_autoptr(GBytes) bytes = g_bytes_new(data, size);

	return read_message(bytes, max_size, own_address, error);
}

Message *message_read_gbytes(GBytes *bytes, guint64 max_size, const char *own_address,
			     GError **error)
{
	return read_message(bytes, max_size, own_address, error);
}

/* Returns the content of the open file @fd, @size bytes by its fstat(),
 * reading no further than just past @max_size (0 = no limit) should it have
 * grown since; NULL with errno set when it cannot be read. */
static GByteArray *read_whole(int fd, gsize size, guint64 max_size)
{
	g_autoptr(GByteArray) bytes = g_byte_array_sized_new((guint)MIN(size, G_MAXUINT));
	guint8 buf[65536];
	ssize_t n;

	while ((n = read(fd, buf, sizeof buf)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return NULL;
		g_byte_array_append(bytes, buf, (guint)n);
		if (max_size > 0 && bytes->len > max_size)
			break;
	}
	return g_steal_pointer(&bytes);
}

Message *message_read_file(const char *path, guint64 max_size, const char *own_address,
			   GError **error)
{
	g_autoptr(GByteArray) bytes = NULL;
	struct stat st;
	int fd, err = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0) {
		err = errno;
	} else if (max_size > 0 && (guint64)st.st_size > max_size) {
		close(fd);
		g_set_error(error, MESSAGE_ERROR, MESSAGE_ERROR_TOO_BIG,
			    "%lld bytes, over limits.max-message-size %" G_GUINT64_FORMAT,
			    (long long)st.st_size, max_size);
		return NULL;
	} else if ((bytes = read_whole(fd, (gsize)st.st_size, max_size)) == NULL) {
		err = errno;
	}
	if (fd >= 0)
		close(fd);
	if (bytes == NULL) {
		g_set_error(error, MESSAGE_ERROR, MESSAGE_ERROR_READ, "cannot read %s: %s", path,
			    g_strerror(err));
		return NULL;
	}
	{
		g_autoptr(GBytes) whole = g_byte_array_free_to_bytes(g_steal_pointer(&bytes));

		return read_message(whole, max_size, own_address, error);
	}
}

/* How much of a file message_peek_file() reads for its headers. */
#define MESSAGE_PEEK_SIZE 65536

/* Returns the unfolded value of header @name in @headers (CRLF or LF
 * lines, up to the first empty one), decoded and cleaned, or "". */
static char *peek_header(char **lines, const char *name)
{
	size_t len = strlen(name);

	for (guint i = 0; lines[i] != NULL && *lines[i] != '\0'; i++) {
		g_autoptr(GString) value = NULL;
		g_autofree char *decoded = NULL;

		if (g_ascii_strncasecmp(lines[i], name, len) != 0 || lines[i][len] != ':')
			continue;
		value = g_string_new(lines[i] + len + 1);
		while (lines[i + 1] != NULL && (lines[i + 1][0] == ' ' || lines[i + 1][0] == '\t'))
			g_string_append(value, lines[++i]);
		decoded = message_decode_words(g_strstrip(value->str));
		return text_clean_line(decoded);
	}
	return g_strdup("");
}

gboolean message_peek_file(const char *path, char **from, char **subject, char **date,
			   GError **error)
{
	g_autofree char *buf = g_malloc(MESSAGE_PEEK_SIZE + 1);
	g_auto(GStrv) lines = NULL;
	FILE *f = fopen(path, "rb");
	size_t n;

	if (f == NULL) {
		g_set_error(error, MESSAGE_ERROR, MESSAGE_ERROR_READ, "cannot read %s: %s", path,
			    g_strerror(errno));
		return FALSE;
	}
	n = fread(buf, 1, MESSAGE_PEEK_SIZE, f);
	fclose(f);
	/* A NUL ends the headers, as an empty line would. */
	buf[n] = '\0';
	lines = g_strsplit(buf, "\n", -1);
	for (guint i = 0; lines[i] != NULL; i++) {
		size_t len = strlen(lines[i]);

		if (len > 0 && lines[i][len - 1] == '\r')
			lines[i][len - 1] = '\0';
	}
	*from = peek_header(lines, "From");
	*subject = peek_header(lines, "Subject");
	*date = peek_header(lines, "Date");
	return TRUE;
}
