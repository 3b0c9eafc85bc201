/* SPDX-License-Identifier: ISC */
/* compose.c: outgoing mail. Headers are built only with GMime's address
 * and header calls from cleaned values, the Message-ID is always our own,
 * and nothing from an incoming message is copied into a header raw. */

#include "autoconfig.h"

#include "compose.h"

#include <string.h>
#include <unistd.h>

#include "context.h"
#include "mime.h"
#include "record.h"
#include "template.h"
#include "text.h"

const char *const compose_kinds[] = {"registered",
				     "updated",
				     "unchanged",
				     "cancelled",
				     "status",
				     "error",
				     "help",
				     "programme",
				     "delegation",
				     "confirm-request",
				     "waitlisted",
				     "promoted",
				     "organiser-done",
				     "broadcast",
				     "itinerary",
				     "daily-programme",
				     "organiser-digest",
				     "forwarded",
				     "organiser-forward",
				     "asked",
				     "sent-to-owner",
				     "forgotten",
				     NULL};

G_DEFINE_QUARK(convene - compose - error - quark, compose_error)

struct _Composer {
	const Config *cfg;
	GHashTable *templates; /* "lang/kind" → Template */
	GHashTable *contexts;  /* "lang" or "lang/activity" → sealed JsonObject */
	GHashTable *lists;     /* "lang" → the form's sealed JsonArray */
};

Composer *compose_new(const Config *cfg)
{
	Composer *c = g_new0(Composer, 1);

	mime_init();
	c->cfg = cfg;
	c->templates =
	    g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)tmpl_free);
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
static JsonObject *cached_context(Composer *c, char *key,
				  JsonObject *(*make)(Composer *c, gconstpointer data),
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
	return context_event(c->cfg, lang);
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

	return context_activity(c->cfg, k->act, k->lang);
}

JsonObject *compose_activity(Composer *c, const ConfigActivity *act, const char *lang)
{
	ActivityKey k = {act, lang};

	return cached_context(c, g_strdup_printf("%s/%s", lang, act->id), make_activity, &k);
}

JsonArray *compose_form(Composer *c, const char *lang)
{
	JsonArray *a = g_hash_table_lookup(c->lists, lang);

	if (a == NULL) {
		a = context_form(c->cfg, lang);
		json_array_seal(a);
		g_hash_table_insert(c->lists, g_strdup(lang), a);
	}
	return json_array_ref(a);
}

/* A registration with a value in every field it can show, a day, a place
 * and a waiting list: the attendee whose context the check walks. */
static Attendee *sample_attendee(const Config *cfg)
{
	Attendee *a = attendee_new();
	const ConfigDay *day = g_ptr_array_index(cfg->days, 0);

	a->email = g_strdup(cfg->event_address);
	a->name = g_strdup(cfg->event_name);
	a->language = g_strdup(cfg->languages[0]);
	a->status = ATTENDEE_CONFIRMED;
	g_ptr_array_add(a->days, g_strdup(day->date));
	if (cfg->activities->len > 0) {
		const ConfigActivity *first = g_ptr_array_index(cfg->activities, 0);
		const ConfigActivity *last =
		    g_ptr_array_index(cfg->activities, cfg->activities->len - 1);

		g_ptr_array_add(a->activities, g_strdup(first->id));
		g_ptr_array_add(a->waitlist, g_strdup(last->id));
	}
	return a;
}

/* Checks the names of @kind's templates in @lang against the context the
 * answers' code builds (context.c) for @sample: the event and the
 * attendee, which every kind but the organisers' digest gets; what a kind
 * adds beside them is taken on trust. The digest builds its own (digest.c,
 * from the store), so its names are taken on trust too. */
static void check_names(Composer *c, const Attendee *sample, const char *lang, const char *kind,
			const Template *t, const Template *html, GString *problems)
{
	g_autoptr(JsonObject) ctx = json_object_new();
	g_autofree char *txt = g_strconcat(kind, ".txt", NULL);
	g_autofree char *htm = g_strconcat(kind, ".html", NULL);
	g_autofree char *txt_path = g_build_filename(c->cfg->templates_dir, lang, txt, NULL);
	g_autofree char *html_path = g_build_filename(c->cfg->templates_dir, lang, htm, NULL);

	if (strcmp(kind, "organiser-digest") != 0) {
		g_autofree guint *positions = g_new0(guint, sample->waitlist->len + 1);
		JsonObject *a = context_attendee(c, c->cfg, sample, lang, CONTEXT_FULL);

		for (guint i = 0; i < sample->waitlist->len; i++)
			positions[i] = 1;
		json_object_set_array_member(a, "waitlist_details",
					     context_waitlist(c->cfg, sample, lang, positions));
		json_object_set_object_member(ctx, "event", compose_event(c, lang));
		json_object_set_object_member(ctx, "attendee", a);
	}
	tmpl_check_names(t, ctx, txt_path, problems);
	if (html != NULL)
		tmpl_check_names(html, ctx, html_path, problems);
}

gboolean compose_check_templates(const Config *cfg, GError **error)
{
	g_autoptr(GString) problems = g_string_new(NULL);
	g_autoptr(Composer) composer = compose_new(cfg);
	g_autoptr(Attendee) sample = sample_attendee(cfg);

	for (char **lang = cfg->languages; *lang != NULL; lang++) {
		for (const char *const *kind = compose_kinds; *kind != NULL; kind++) {
			g_autoptr(GError) e = NULL;
			g_autoptr(Template) t = tmpl_load(cfg->templates_dir, *lang, *kind, &e);
			g_autoptr(Template) html = NULL;

			if (t != NULL && tmpl_html_exists(cfg->templates_dir, *lang, *kind))
				html = tmpl_load_html(cfg->templates_dir, *lang, *kind, &e);
			if (e != NULL)
				g_string_append_printf(problems, "%s\n", e->message);
			else
				check_names(composer, sample, *lang, *kind, t, html, problems);
		}
	}
	if (problems->len == 0)
		return TRUE;
	g_string_truncate(problems, problems->len - 1);
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
 * yet MIME. Stored in the outbox as a record (record.h) of the fields
 * below, the attachments, when there are any, as a GVariant (file name,
 * type, iTIP method or "", content) in its field. Drafts stored before
 * were a GVariant of DRAFT_V1_TYPE, fields in the same order, the format
 * version first. */
#define DRAFT_V1_TYPE "(usssssssbxa(sssay))"
#define ATTACHMENTS_TYPE "a(sssay)"

typedef struct {
	const char *lang, *subject, *text;
	const char *html; /* "" for none */
	const char *to_name;
	const char *in_reply_to; /* "" for none */
	const char *references;	 /* "" for none */
	const char *reply_to;	 /* "" or NULL (version 1) for none */
	const char *reply_to_name;
	gboolean auto_replied; /* an answer, not a mail of our own */
	gint64 when;	       /* its date, Unix seconds */
	GVariant *attachments; /* ATTACHMENTS_TYPE, owned; NULL for none */
	GVariant *v1;	       /* a version 1 draft the texts point into, owned */
} Draft;

static void draft_clear(Draft *d)
{
	g_clear_pointer(&d->attachments, g_variant_unref);
	g_clear_pointer(&d->v1, g_variant_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(Draft, draft_clear)

enum {
	DF_LANG,
	DF_SUBJECT,
	DF_TEXT,
	DF_HTML,
	DF_TO_NAME,
	DF_IN_REPLY_TO,
	DF_REFERENCES,
	DF_REPLY_TO,
	DF_REPLY_TO_NAME,
	DF_AUTO_REPLIED,
	DF_DATE,
	DF_ATTACHMENTS,
	DF_N
};

static const RecordSpec draft_fields[DF_N] = {
    [DF_LANG] = {"lang", RECORD_STRING, TRUE},
    [DF_SUBJECT] = {"subject", RECORD_STRING, TRUE},
    [DF_TEXT] = {"text", RECORD_STRING, TRUE},
    [DF_HTML] = {"html", RECORD_STRING, FALSE},
    [DF_TO_NAME] = {"to_name", RECORD_STRING, FALSE},
    [DF_IN_REPLY_TO] = {"in_reply_to", RECORD_STRING, FALSE},
    [DF_REFERENCES] = {"references", RECORD_STRING, FALSE},
    [DF_REPLY_TO] = {"reply_to", RECORD_STRING, FALSE},
    [DF_REPLY_TO_NAME] = {"reply_to_name", RECORD_STRING, FALSE},
    [DF_AUTO_REPLIED] = {"auto_replied", RECORD_BOOLEAN, FALSE},
    [DF_DATE] = {"date", RECORD_INT64, TRUE},
    [DF_ATTACHMENTS] = {"attachments", RECORD_BYTES, FALSE},
};

/* Returns a message passed on whole as a message/rfc822 part, as mail
 * clients forward as an attachment; one GMime cannot read goes as the file
 * it is. */
static GMimeObject *message_part(const char *filename, const void *bytes, gsize len)
{
	g_autoptr(GMimeStream) stream = g_mime_stream_mem_new_with_buffer(bytes, len);
	g_autoptr(GMimeParser) parser = g_mime_parser_new_with_stream(stream);
	g_autoptr(GMimeMessage) m = g_mime_parser_construct_message(parser, NULL);
	GMimeMessagePart *part;

	if (m == NULL)
		return NULL;
	part = g_mime_message_part_new_with_message("rfc822", m);
	g_mime_object_set_disposition(GMIME_OBJECT(part), GMIME_DISPOSITION_ATTACHMENT);
	g_mime_object_set_content_disposition_parameter(GMIME_OBJECT(part), "filename", filename);
	return GMIME_OBJECT(part);
}

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

	if (strcmp(type, "message/rfc822") == 0) {
		GMimeObject *whole = message_part(filename, bytes, len);

		if (whole != NULL) {
			g_object_unref(part);
			return whole;
		}
		g_object_unref(part);
		part = g_mime_part_new_with_type("application", "octet-stream");
		ct = g_mime_object_get_content_type(GMIME_OBJECT(part));
		method = "";
	} else if (strcmp(mime_type[0], "text") == 0) {
		/* Text only: a workbook is bytes, with no charset. */
		g_mime_content_type_set_parameter(ct, "charset", "utf-8");
	}
	if (*method != '\0')
		g_mime_content_type_set_parameter(ct, "method", method);
	g_mime_part_set_content(part, wrapper);
	g_mime_object_set_disposition(GMIME_OBJECT(part), GMIME_DISPOSITION_ATTACHMENT);
	g_mime_part_set_filename(part, filename);
	g_mime_part_set_content_encoding(part, GMIME_CONTENT_ENCODING_BASE64);
	return GMIME_OBJECT(part);
}

/* Every text part is UTF-8 and says so: g_mime_text_part_set_text()
 * would pick ISO-8859-1 for text that fits it, against the HTML's own
 * <meta charset="utf-8">. */
static GMimeObject *text_part(const char *subtype, const char *text)
{
	GMimeTextPart *part = g_mime_text_part_new_with_subtype(subtype);
	g_autoptr(GMimeStream) stream = g_mime_stream_mem_new_with_buffer(text, strlen(text));
	g_autoptr(GMimeDataWrapper) wrapper =
	    g_mime_data_wrapper_new_with_stream(stream, GMIME_CONTENT_ENCODING_DEFAULT);

	g_mime_part_set_content(GMIME_PART(part), wrapper);
	g_mime_text_part_set_charset(part, "utf-8");
	g_mime_object_encode(GMIME_OBJECT(part), GMIME_ENCODING_CONSTRAINT_7BIT);
	return GMIME_OBJECT(part);
}

/* Returns the content of a mail: its text, with @html as an alternative
 * when not empty, then every attachment of @attachments (a(sssay), or NULL
 * for none). */
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
	if (attachments != NULL && g_variant_n_children(attachments) > 0) {
		GMimeMultipart *mixed = g_mime_multipart_new_with_subtype("mixed");

		g_mime_multipart_add(mixed, content);
		g_variant_iter_init(&iter, attachments);
		while (
		    g_variant_iter_next(&iter, "(&s&s&s@ay)", &filename, &type, &method, &data)) {
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
	g_autofree char *references = NULL, *reply_to = NULL, *reply_to_name = NULL;
	g_autoptr(GString) draft = record_new();
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
	if (mail->reply_to != NULL) {
		reply_to = text_clean_address(mail->reply_to);
		reply_to_name = text_clean_line(mail->reply_to_name);
	}
	if (!record_add_string(draft, "lang", mail->lang) ||
	    !record_add_string(draft, "subject", clean_subject) ||
	    !record_add_string(draft, "text", body) || !record_add_string(draft, "html", markup) ||
	    !record_add_string(draft, "to_name", to_name) ||
	    !record_add_string(draft, "in_reply_to", in_reply_to) ||
	    !record_add_string(draft, "references", references) ||
	    !record_add_string(draft, "reply_to", reply_to) ||
	    !record_add_string(draft, "reply_to_name", reply_to_name)) {
		g_set_error(error, COMPOSE_ERROR, COMPOSE_ERROR_DRAFT,
			    "the %s mail to %s is not valid UTF-8", mail->kind, mail->to_address);
		return NULL;
	}
	record_add_boolean(draft, "auto_replied", mail->auto_replied);
	record_add_int64(draft, "date", now);
	if (mail->n_attachments > 0) {
		GVariantBuilder attachments;
		g_autoptr(GVariant) value = NULL;
		g_autoptr(GBytes) bytes = NULL;

		g_variant_builder_init(&attachments, G_VARIANT_TYPE(ATTACHMENTS_TYPE));
		for (guint i = 0; i < mail->n_attachments; i++) {
			const ComposeAttachment *att = &mail->attachments[i];
			gsize len;
			const void *data = g_bytes_get_data(att->data, &len);

			g_variant_builder_add(
			    &attachments, "(sss@ay)", att->filename, att->type,
			    att->method != NULL ? att->method : "",
			    g_variant_new_fixed_array(G_VARIANT_TYPE_BYTE, data, len, 1));
		}
		value = g_variant_ref_sink(g_variant_builder_end(&attachments));
		bytes = g_variant_get_data_as_bytes(value);
		record_add_bytes(draft, "attachments", bytes);
	}

	row = outbox_row_new();
	row->state = OUTBOX_QUEUED;
	row->kind = g_strdup(mail->kind);
	row->sender = g_strdup(cfg->event_address);
	row->recipient = g_strdup(mail->to_address);
	row->message_id = new_message_id(address_domain(cfg->event_address), now);
	row->draft = g_string_free_to_bytes(g_steal_pointer(&draft));
	row->created_at = now;
	row->updated_at = now;
	row->next_try_at = now;
	return row;
}

/* Reads the draft @bytes into @d, whose texts point into @bytes or d->v1.
 * Returns FALSE when it does not decode; clear @d either way. */
static gboolean draft_read(GBytes *bytes, Draft *d)
{
	gsize size;
	const char *data = g_bytes_get_data(bytes, &size);
	g_autoptr(GBytes) attachments = NULL;
	RecordField f[DF_N];
	guint32 version = 0;
	gboolean ok;

	if (size >= sizeof version)
		memcpy(&version, data, sizeof version);
	if (version == 1) {
		d->v1 = g_variant_ref_sink(
		    g_variant_new_from_bytes(G_VARIANT_TYPE(DRAFT_V1_TYPE), bytes, FALSE));
		if (!g_variant_is_normal_form(d->v1))
			return FALSE;
		g_variant_get(d->v1, "(u&s&s&s&s&s&s&sbx@" ATTACHMENTS_TYPE ")", &version, &d->lang,
			      &d->subject, &d->text, &d->html, &d->to_name, &d->in_reply_to,
			      &d->references, &d->auto_replied, &d->when, &d->attachments);
		return TRUE;
	}
	ok = record_read(data, size, draft_fields, DF_N, f, NULL);
	if (ok) {
		d->lang = record_field_string(&f[DF_LANG]);
		d->subject = record_field_string(&f[DF_SUBJECT]);
		d->text = record_field_string(&f[DF_TEXT]);
		d->html = f[DF_HTML].present ? record_field_string(&f[DF_HTML]) : "";
		d->to_name = f[DF_TO_NAME].present ? record_field_string(&f[DF_TO_NAME]) : "";
		d->in_reply_to =
		    f[DF_IN_REPLY_TO].present ? record_field_string(&f[DF_IN_REPLY_TO]) : "";
		d->references =
		    f[DF_REFERENCES].present ? record_field_string(&f[DF_REFERENCES]) : "";
		d->reply_to = f[DF_REPLY_TO].present ? record_field_string(&f[DF_REPLY_TO]) : "";
		d->reply_to_name =
		    f[DF_REPLY_TO_NAME].present ? record_field_string(&f[DF_REPLY_TO_NAME]) : "";
		d->auto_replied = record_field_boolean(&f[DF_AUTO_REPLIED]);
		d->when = record_field_int64(&f[DF_DATE]);
		attachments = record_field_bytes(&f[DF_ATTACHMENTS]);
	}
	record_fields_clear(f, DF_N);
	if (!ok)
		return FALSE;
	if (attachments == NULL)
		return TRUE;
	d->attachments = g_variant_ref_sink(
	    g_variant_new_from_bytes(G_VARIANT_TYPE(ATTACHMENTS_TYPE), attachments, FALSE));
	return g_variant_is_normal_form(d->attachments);
}

GBytes *compose_finish(const Config *cfg, const OutboxRow *row, GError **error)
{
	g_autoptr(GMimeMessage) m = NULL;
	g_autoptr(GMimeObject) content = NULL;
	g_autoptr(GDateTime) utc = NULL, date = NULL;
	g_autoptr(GMimeFormatOptions) format = NULL;
	g_auto(Draft) d = {0};
	char *wire;

	if (row->message != NULL)
		return g_bytes_ref(row->message);
	mime_init();
	if (row->draft == NULL || !draft_read(row->draft, &d)) {
		g_set_error(error, COMPOSE_ERROR, COMPOSE_ERROR_DRAFT,
			    "outbox row %" G_GUINT64_FORMAT " has no message, or a draft this "
			    "convene cannot read",
			    row->id);
		return NULL;
	}
	m = g_mime_message_new(TRUE);
	g_mime_message_add_mailbox(m, GMIME_ADDRESS_TYPE_FROM, cfg->event_name, cfg->event_address);
	g_mime_message_add_mailbox(m, GMIME_ADDRESS_TYPE_TO, *d.to_name ? d.to_name : NULL,
				   row->recipient);
	g_mime_message_set_subject(m, d.subject, "utf-8");
	utc = g_date_time_new_from_unix_utc(d.when);
	date = g_date_time_to_timezone(utc, cfg->tz);
	g_mime_message_set_date(m, date);
	g_mime_message_set_message_id(m, row->message_id);
	if (*d.in_reply_to != '\0') {
		g_autofree char *bracketed = g_strdup_printf("<%s>", d.in_reply_to);

		g_mime_object_set_header(GMIME_OBJECT(m), "In-Reply-To", bracketed, NULL);
	}
	if (*d.references != '\0')
		g_mime_object_set_header(GMIME_OBJECT(m), "References", d.references, NULL);
	if (d.reply_to != NULL && *d.reply_to != '\0')
		g_mime_message_add_mailbox(m, GMIME_ADDRESS_TYPE_REPLY_TO,
					   *d.reply_to_name ? d.reply_to_name : NULL, d.reply_to);
	g_mime_object_set_header(GMIME_OBJECT(m), "Auto-Submitted",
				 d.auto_replied ? "auto-replied" : "auto-generated", NULL);
	g_mime_object_set_header(GMIME_OBJECT(m), "X-Loop", cfg->event_address, NULL);
	g_mime_object_set_header(GMIME_OBJECT(m), "Content-Language", d.lang, NULL);
	content = mail_content(d.text, d.html, d.attachments);
	g_mime_message_set_mime_part(m, content);

	format = g_mime_format_options_new();
	g_mime_format_options_set_newline_format(format, GMIME_NEWLINE_FORMAT_UNIX);
	wire = g_mime_object_to_string(GMIME_OBJECT(m), format);
	return g_bytes_new_take(wire, strlen(wire));
}
