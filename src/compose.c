/* compose.c: outgoing mail. Headers are built only with GMime's address
 * and header calls from cleaned values, the Message-ID is always our own,
 * and nothing from an incoming message is copied into a header raw. */
#include "compose.h"

#include <string.h>
#include <unistd.h>

#include "export.h"
#include "mime.h"
#include "template.h"
#include "text.h"

const char *const compose_kinds[] = {"registered", "updated", "cancelled", "status",
				     "error",      "help",    "programme", "delegation", "confirm-request",
				     "waitlisted", "promoted", "organiser-done", "broadcast",
				     "itinerary", "daily-programme", "organiser-digest", NULL};

G_DEFINE_QUARK(convene-compose-error-quark, compose_error)

struct _Composer {
	const Config *cfg;
	GHashTable *templates; /* "lang/kind" → Template */
	GHashTable *contexts;  /* "lang" or "lang/activity" → sealed JsonObject */
	GHashTable *lists;     /* the callers' keys → sealed JsonArray */
};

Composer *compose_new(const Config *cfg)
{
	Composer *c = g_new0(Composer, 1);

	mime_init();
	c->cfg = cfg;
	c->templates = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					     (GDestroyNotify)tmpl_free);
	c->contexts = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					    (GDestroyNotify)json_object_unref);
	c->lists = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					 (GDestroyNotify)json_array_unref);
	return c;
}

void compose_free(Composer *c)
{
	if (c == NULL)
		return;
	g_hash_table_unref(c->templates);
	g_hash_table_unref(c->contexts);
	g_hash_table_unref(c->lists);
	g_free(c);
}

/* Returns the cached context under @key, made by @make the first time. */
static JsonObject *cached_context(Composer *c, char *key, JsonObject *(*make)(Composer *c,
									       gconstpointer data),
				  gconstpointer data)
{
	JsonObject *o = g_hash_table_lookup(c->contexts, key);

	if (o == NULL) {
		o = make(c, data);
		json_object_seal(o);
		g_hash_table_insert(c->contexts, key, o);
	} else {
		g_free(key);
	}
	return json_object_ref(o);
}

static JsonObject *make_event(Composer *c, gconstpointer lang)
{
	return export_event(c->cfg, lang);
}

JsonObject *compose_event(Composer *c, const char *lang)
{
	return cached_context(c, g_strdup(lang), make_event, lang);
}

typedef struct {
	const ConfigActivity *act;
	const char *lang;
} ActivityKey;

static JsonObject *make_activity(Composer *c, gconstpointer data)
{
	const ActivityKey *k = data;

	(void)c;
	return export_activity(k->act, k->lang);
}

JsonObject *compose_activity(Composer *c, const ConfigActivity *act, const char *lang)
{
	ActivityKey k = {act, lang};

	return cached_context(c, g_strdup_printf("%s/%s", lang, act->id), make_activity, &k);
}

JsonArray *compose_list(Composer *c, const char *key, JsonArray *(*make)(gconstpointer data),
			gconstpointer data)
{
	JsonArray *a = g_hash_table_lookup(c->lists, key);

	if (a == NULL) {
		a = make(data);
		json_array_seal(a);
		g_hash_table_insert(c->lists, g_strdup(key), a);
	}
	return json_array_ref(a);
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

/* A draft: the mail with its templates rendered, everything decided, not
 * yet MIME. Serialised in the outbox as a GVariant of this type (format
 * version first): language, subject, text, HTML ("" for none), the
 * recipient's name, In-Reply-To and References ("" for none), whether it
 * is an answer, the date (Unix seconds), and the attachments (file name,
 * type, iTIP method or "", content). */
#define DRAFT_TYPE "(usssssssbxa(sssay))"
#define DRAFT_VERSION 1u

/* Returns the attachment (@filename, @type, @method, @data) as a MIME part
 * offered as a file. Base64, so that a CSV's CRLF line ends and BOM, or a
 * calendar's, reach the reader byte for byte. */
static GMimeObject *attachment_part(const char *filename, const char *type, const char *method,
				    GVariant *data)
{
	g_auto(GStrv) mime_type = g_strsplit(type, "/", 2);
	GMimePart *part = g_mime_part_new_with_type(
	    mime_type[0], mime_type[1] != NULL ? mime_type[1] : "octet-stream");
	GMimeContentType *ct = g_mime_object_get_content_type(GMIME_OBJECT(part));
	gsize len;
	const void *bytes = g_variant_get_fixed_array(data, &len, 1);
	g_autoptr(GMimeStream) stream = g_mime_stream_mem_new_with_buffer(bytes, len);
	g_autoptr(GMimeDataWrapper) wrapper =
	    g_mime_data_wrapper_new_with_stream(stream, GMIME_CONTENT_ENCODING_DEFAULT);

	g_mime_content_type_set_parameter(ct, "charset", "utf-8");
	if (*method != '\0')
		g_mime_content_type_set_parameter(ct, "method", method);
	g_mime_part_set_content(part, wrapper);
	g_mime_object_set_disposition(GMIME_OBJECT(part), GMIME_DISPOSITION_ATTACHMENT);
	g_mime_part_set_filename(part, filename);
	g_mime_part_set_content_encoding(part, GMIME_CONTENT_ENCODING_BASE64);
	return GMIME_OBJECT(part);
}

static GMimeObject *text_part(const char *subtype, const char *text)
{
	GMimeTextPart *part = g_mime_text_part_new_with_subtype(subtype);

	g_mime_text_part_set_text(part, text);
	g_mime_object_encode(GMIME_OBJECT(part), GMIME_ENCODING_CONSTRAINT_7BIT);
	return GMIME_OBJECT(part);
}

/* Returns the content of a mail: its text, with @html as an alternative
 * when not empty, then every attachment of @attachments (a(sssay)). */
static GMimeObject *mail_content(const char *text, const char *html, GVariant *attachments)
{
	g_autoptr(GMimeObject) content = text_part("plain", text);
	GVariantIter iter;
	const char *filename, *type, *method;
	GVariant *data;

	if (*html != '\0') {
		g_autoptr(GMimeObject) markup = text_part("html", html);
		GMimeMultipart *alternative = g_mime_multipart_new_with_subtype("alternative");

		g_mime_multipart_add(alternative, content);
		g_mime_multipart_add(alternative, markup);
		g_object_unref(content);
		content = GMIME_OBJECT(alternative);
	}
	if (g_variant_n_children(attachments) > 0) {
		GMimeMultipart *mixed = g_mime_multipart_new_with_subtype("mixed");

		g_mime_multipart_add(mixed, content);
		g_variant_iter_init(&iter, attachments);
		while (g_variant_iter_next(&iter, "(&s&s&s@ay)", &filename, &type, &method, &data)) {
			g_autoptr(GMimeObject) part = attachment_part(filename, type, method, data);

			g_mime_multipart_add(mixed, part);
			g_variant_unref(data);
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

/* Returns a new Message-ID (without <>) at @domain: the time, the process
 * and 96 random bits. GMime's generator reads /dev/urandom anew for every
 * id, three system calls a mail; GLib's generator is seeded from it once,
 * and uniqueness, not secrecy, is what an id needs. */
static char *new_message_id(const char *domain, gint64 now)
{
	return g_strdup_printf("%" G_GINT64_MODIFIER "x.%x.%08x%08x%08x@%s", now, (guint)getpid(),
			       g_random_int(), g_random_int(), g_random_int(), domain);
}

OutboxRow *compose_mail(Composer *c, const ComposeMail *mail, gint64 now, GError **error)
{
	const Config *cfg = c->cfg;
	const Template *t = composer_template(c, mail->lang, mail->kind, error);
	const Template *html = NULL;
	g_autofree char *subject = NULL, *body = NULL, *markup = NULL, *unused = NULL;
	g_autofree char *clean_subject = NULL, *to_name = NULL, *in_reply_to = NULL;
	g_autofree char *references = NULL;
	GVariantBuilder attachments;
	GVariant *draft;
	OutboxRow *row;

	if (t == NULL || !composer_html(c, mail->lang, mail->kind, &html, error))
		return NULL;
	tmpl_render(t, mail->ctx, &subject, &body);
	if (html != NULL)
		tmpl_render(html, mail->ctx, &unused, &markup);
	clean_subject = text_clean_line(subject);
	to_name = text_clean_line(mail->to_name);
	in_reply_to = text_clean_line(mail->in_reply_to);
	references = text_clean_line(mail->references);
	g_variant_builder_init(&attachments, G_VARIANT_TYPE("a(sssay)"));
	for (guint i = 0; i < mail->n_attachments; i++) {
		const ComposeAttachment *att = &mail->attachments[i];
		gsize len;
		const void *data = g_bytes_get_data(att->data, &len);

		g_variant_builder_add(&attachments, "(sss@ay)", att->filename, att->type,
				      att->method != NULL ? att->method : "",
				      g_variant_new_fixed_array(G_VARIANT_TYPE_BYTE, data, len, 1));
	}
	{
		/* The value API: g_variant_new() parses its format string anew. */
		GVariant *parts[] = {
		    g_variant_new_uint32(DRAFT_VERSION),
		    g_variant_new_string(mail->lang),
		    g_variant_new_string(clean_subject),
		    g_variant_new_string(body),
		    g_variant_new_string(markup != NULL ? markup : ""),
		    g_variant_new_string(to_name),
		    g_variant_new_string(in_reply_to),
		    g_variant_new_string(references),
		    g_variant_new_boolean(mail->auto_replied),
		    g_variant_new_int64(now),
		    g_variant_builder_end(&attachments),
		};

		draft = g_variant_ref_sink(g_variant_new_tuple(parts, G_N_ELEMENTS(parts)));
	}

	row = outbox_row_new();
	row->state = OUTBOX_QUEUED;
	row->kind = g_strdup(mail->kind);
	row->sender = g_strdup(cfg->event_address);
	row->recipient = g_strdup(mail->to_address);
	row->message_id = new_message_id(address_domain(cfg->event_address), now);
	row->draft = g_variant_get_data_as_bytes(draft);
	g_variant_unref(draft);
	row->created_at = now;
	row->updated_at = now;
	row->next_try_at = now;
	return row;
}

GBytes *compose_finish(const Config *cfg, const OutboxRow *row, GError **error)
{
	g_autoptr(GVariant) draft = NULL;
	g_autoptr(GVariant) attachments = NULL;
	g_autoptr(GMimeMessage) m = NULL;
	g_autoptr(GMimeObject) content = NULL;
	g_autoptr(GDateTime) utc = NULL, date = NULL;
	g_autoptr(GMimeFormatOptions) format = NULL;
	const char *lang, *subject, *text, *html, *to_name, *in_reply_to, *references;
	guint32 version = 0;
	gboolean auto_replied;
	gint64 when;
	char *wire;

	if (row->message != NULL)
		return g_bytes_ref(row->message);
	mime_init();
	if (row->draft != NULL)
		draft = g_variant_ref_sink(
		    g_variant_new_from_bytes(G_VARIANT_TYPE(DRAFT_TYPE), row->draft, FALSE));
	if (draft != NULL)
		g_variant_get_child(draft, 0, "u", &version);
	if (version != DRAFT_VERSION || !g_variant_is_normal_form(draft)) {
		g_set_error(error, COMPOSE_ERROR, COMPOSE_ERROR_DRAFT,
			    "outbox row %" G_GUINT64_FORMAT " has no message, or a draft this "
			    "convene cannot read",
			    row->id);
		return NULL;
	}
	g_variant_get(draft, "(u&s&s&s&s&s&s&sbx@a(sssay))", &version, &lang, &subject, &text,
		      &html, &to_name, &in_reply_to, &references, &auto_replied, &when,
		      &attachments);
	m = g_mime_message_new(TRUE);
	g_mime_message_add_mailbox(m, GMIME_ADDRESS_TYPE_FROM, cfg->event_name, cfg->event_address);
	g_mime_message_add_mailbox(m, GMIME_ADDRESS_TYPE_TO, *to_name ? to_name : NULL,
				   row->recipient);
	g_mime_message_set_subject(m, subject, "utf-8");
	utc = g_date_time_new_from_unix_utc(when);
	date = g_date_time_to_timezone(utc, cfg->tz);
	g_mime_message_set_date(m, date);
	g_mime_message_set_message_id(m, row->message_id);
	if (*in_reply_to != '\0') {
		g_autofree char *bracketed = g_strdup_printf("<%s>", in_reply_to);

		g_mime_object_set_header(GMIME_OBJECT(m), "In-Reply-To", bracketed, NULL);
	}
	if (*references != '\0')
		g_mime_object_set_header(GMIME_OBJECT(m), "References", references, NULL);
	g_mime_object_set_header(GMIME_OBJECT(m), "Auto-Submitted",
				 auto_replied ? "auto-replied" : "auto-generated", NULL);
	g_mime_object_set_header(GMIME_OBJECT(m), "X-Loop", cfg->event_address, NULL);
	g_mime_object_set_header(GMIME_OBJECT(m), "Content-Language", lang, NULL);
	content = mail_content(text, html, attachments);
	g_mime_message_set_mime_part(m, content);

	format = g_mime_format_options_new();
	g_mime_format_options_set_newline_format(format, GMIME_NEWLINE_FORMAT_UNIX);
	wire = g_mime_object_to_string(GMIME_OBJECT(m), format);
	return g_bytes_new_take(wire, strlen(wire));
}
