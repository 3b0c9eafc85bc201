/* compose.c: outgoing mail. Headers are built only with GMime's address
 * and header calls from cleaned values, the Message-ID is always our own,
 * and nothing from an incoming message is copied into a header raw. */
#include "compose.h"

#include <string.h>

#include "mime.h"
#include "template.h"
#include "text.h"

const char *const compose_kinds[] = {"registered", "updated", "cancelled", "status",
				     "error",      "help",    "programme", "delegation", "confirm-request",
				     "waitlisted", "promoted", "organiser-done", "broadcast",
				     "itinerary", "daily-programme", "organiser-digest", NULL};

struct _Composer {
	const Config *cfg;
	GHashTable *templates; /* "lang/kind" → Template */
};

Composer *compose_new(const Config *cfg)
{
	Composer *c = g_new0(Composer, 1);

	g_mime_init();
	c->cfg = cfg;
	c->templates = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					     (GDestroyNotify)tmpl_free);
	return c;
}

void compose_free(Composer *c)
{
	if (c == NULL)
		return;
	g_hash_table_unref(c->templates);
	g_free(c);
}

gboolean compose_check_templates(const Config *cfg, GError **error)
{
	g_autoptr(GString) problems = g_string_new(NULL);

	for (char **lang = cfg->languages; *lang != NULL; lang++) {
		for (const char *const *kind = compose_kinds; *kind != NULL; kind++) {
			g_autoptr(GError) e = NULL;
			g_autoptr(Template) t = tmpl_load(cfg->templates_dir, *lang, *kind, &e);
			g_autoptr(Template) html = NULL;

			if (t != NULL && tmpl_html_exists(cfg->templates_dir, *lang, *kind))
				html = tmpl_load_html(cfg->templates_dir, *lang, *kind, &e);
			if (e != NULL)
				g_string_append_printf(problems, "%s%s", problems->len ? "\n" : "",
						       e->message);
		}
	}
	if (problems->len == 0)
		return TRUE;
	g_set_error_literal(error, G_FILE_ERROR, G_FILE_ERROR_INVAL, problems->str);
	return FALSE;
}

static const Template *composer_template(Composer *c, const char *lang, const char *kind,
					 GError **error)
{
	g_autofree char *key = g_strdup_printf("%s/%s", lang, kind);
	Template *t = g_hash_table_lookup(c->templates, key);

	if (t != NULL)
		return t;
	t = tmpl_load(c->cfg->templates_dir, lang, kind, error);
	if (t != NULL)
		g_hash_table_insert(c->templates, g_steal_pointer(&key), t);
	return t;
}

/* Sets *@html to the HTML twin of template @kind in @lang, or to NULL when
 * there is none; absence is remembered like a template. */
static gboolean composer_html(Composer *c, const char *lang, const char *kind,
			      const Template **html, GError **error)
{
	g_autofree char *key = g_strdup_printf("%s/%s.html", lang, kind);
	gpointer found;
	Template *t = NULL;

	if (g_hash_table_lookup_extended(c->templates, key, NULL, &found)) {
		*html = found;
		return TRUE;
	}
	if (tmpl_html_exists(c->cfg->templates_dir, lang, kind)) {
		t = tmpl_load_html(c->cfg->templates_dir, lang, kind, error);
		if (t == NULL)
			return FALSE;
	}
	g_hash_table_insert(c->templates, g_steal_pointer(&key), t);
	*html = t;
	return TRUE;
}

/* Returns @att as a MIME part offered as a file. Base64, so that a CSV's
 * CRLF line ends and BOM, or a calendar's, reach the reader byte for byte. */
static GMimeObject *attachment_part(const ComposeAttachment *att)
{
	g_auto(GStrv) type = g_strsplit(att->type, "/", 2);
	GMimePart *part = g_mime_part_new_with_type(type[0], type[1] != NULL ? type[1] : "octet-stream");
	GMimeContentType *ct = g_mime_object_get_content_type(GMIME_OBJECT(part));
	gsize len;
	const char *data = g_bytes_get_data(att->data, &len);
	g_autoptr(GMimeStream) stream = g_mime_stream_mem_new_with_buffer(data, len);
	g_autoptr(GMimeDataWrapper) wrapper =
	    g_mime_data_wrapper_new_with_stream(stream, GMIME_CONTENT_ENCODING_DEFAULT);

	g_mime_content_type_set_parameter(ct, "charset", "utf-8");
	if (att->method != NULL)
		g_mime_content_type_set_parameter(ct, "method", att->method);
	g_mime_part_set_content(part, wrapper);
	g_mime_object_set_disposition(GMIME_OBJECT(part), GMIME_DISPOSITION_ATTACHMENT);
	g_mime_part_set_filename(part, att->filename);
	g_mime_part_set_content_encoding(part, GMIME_CONTENT_ENCODING_BASE64);
	return GMIME_OBJECT(part);
}

/* Returns the content of @mail around its text part @text: with the
 * template's HTML twin as an alternative when there is one, then every
 * attachment. NULL with @error when the HTML template is broken. */
static GMimeObject *mail_content(Composer *c, const ComposeMail *mail, GMimeObject *text,
				 GError **error)
{
	const Template *html = NULL;
	g_autoptr(GMimeObject) content = g_object_ref(text);

	if (!composer_html(c, mail->lang, mail->kind, &html, error))
		return NULL;
	if (html != NULL) {
		g_autofree char *unused = NULL, *markup = NULL;
		g_autoptr(GMimeTextPart) part = g_mime_text_part_new_with_subtype("html");
		GMimeMultipart *alternative = g_mime_multipart_new_with_subtype("alternative");

		tmpl_render(html, mail->ctx, &unused, &markup);
		g_mime_text_part_set_text(part, markup);
		g_mime_object_encode(GMIME_OBJECT(part), GMIME_ENCODING_CONSTRAINT_7BIT);
		g_mime_multipart_add(alternative, content);
		g_mime_multipart_add(alternative, GMIME_OBJECT(part));
		g_object_unref(content);
		content = GMIME_OBJECT(alternative);
	}
	if (mail->n_attachments > 0) {
		GMimeMultipart *mixed = g_mime_multipart_new_with_subtype("mixed");

		g_mime_multipart_add(mixed, content);
		for (guint i = 0; i < mail->n_attachments; i++) {
			g_autoptr(GMimeObject) part = attachment_part(&mail->attachments[i]);

			g_mime_multipart_add(mixed, part);
		}
		g_object_unref(content);
		content = GMIME_OBJECT(mixed);
	}
	return g_steal_pointer(&content);
}

static const char *address_domain(const char *address)
{
	const char *at = strrchr(address, '@');

	return at != NULL ? at + 1 : "localhost";
}

OutboxRow *compose_mail(Composer *c, const ComposeMail *mail, gint64 now, GError **error)
{
	const Config *cfg = c->cfg;
	const Template *t = composer_template(c, mail->lang, mail->kind, error);
	g_autofree char *subject = NULL, *body = NULL, *message_id = NULL, *text = NULL;
	g_autoptr(GMimeMessage) m = NULL;
	g_autoptr(GMimeTextPart) part = NULL;
	g_autoptr(GDateTime) utc = NULL, date = NULL;
	g_autoptr(GMimeFormatOptions) format = NULL;
	g_autoptr(GMimeObject) content = NULL;
	g_autofree char *to_name = text_clean_line(mail->to_name);
	OutboxRow *row;

	if (t == NULL)
		return NULL;
	tmpl_render(t, mail->ctx, &subject, &body);

	m = g_mime_message_new(TRUE);
	g_mime_message_add_mailbox(m, GMIME_ADDRESS_TYPE_FROM, cfg->event_name, cfg->event_address);
	g_mime_message_add_mailbox(m, GMIME_ADDRESS_TYPE_TO, *to_name ? to_name : NULL,
				   mail->to_address);
	{
		g_autofree char *clean = text_clean_line(subject);

		g_mime_message_set_subject(m, clean, "utf-8");
	}
	utc = g_date_time_new_from_unix_utc(now);
	date = g_date_time_to_timezone(utc, cfg->tz);
	g_mime_message_set_date(m, date);
	message_id = g_mime_utils_generate_message_id(address_domain(cfg->event_address));
	g_mime_message_set_message_id(m, message_id);
	if (mail->in_reply_to != NULL) {
		g_autofree char *id = text_clean_line(mail->in_reply_to);
		g_autofree char *bracketed = g_strdup_printf("<%s>", id);

		g_mime_object_set_header(GMIME_OBJECT(m), "In-Reply-To", bracketed, NULL);
	}
	if (mail->references != NULL) {
		g_autofree char *refs = text_clean_line(mail->references);

		g_mime_object_set_header(GMIME_OBJECT(m), "References", refs, NULL);
	}
	g_mime_object_set_header(GMIME_OBJECT(m), "Auto-Submitted",
				 mail->auto_replied ? "auto-replied" : "auto-generated", NULL);
	g_mime_object_set_header(GMIME_OBJECT(m), "X-Loop", cfg->event_address, NULL);
	g_mime_object_set_header(GMIME_OBJECT(m), "Content-Language", mail->lang, NULL);

	part = g_mime_text_part_new_with_subtype("plain");
	g_mime_text_part_set_text(part, body);
	g_mime_object_encode(GMIME_OBJECT(part), GMIME_ENCODING_CONSTRAINT_7BIT);
	content = mail_content(c, mail, GMIME_OBJECT(part), error);
	if (content == NULL)
		return NULL;
	g_mime_message_set_mime_part(m, content);

	format = g_mime_format_options_new();
	g_mime_format_options_set_newline_format(format, GMIME_NEWLINE_FORMAT_UNIX);
	text = g_mime_object_to_string(GMIME_OBJECT(m), format);

	row = outbox_row_new();
	row->state = OUTBOX_QUEUED;
	row->kind = g_strdup(mail->kind);
	row->sender = g_strdup(cfg->event_address);
	row->recipient = g_strdup(mail->to_address);
	row->message_id = g_steal_pointer(&message_id);
	{
		gsize len = strlen(text);

		row->message = g_bytes_new_take(g_steal_pointer(&text), len);
	}
	row->created_at = now;
	row->updated_at = now;
	row->next_try_at = now;
	return row;
}
