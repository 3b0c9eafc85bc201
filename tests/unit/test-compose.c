/* SPDX-License-Identifier: ISC */
/* test-compose.c: mail with an HTML twin and attachments, read back with
 * GMime as a mail client would: the text and HTML alternatives, the HTML
 * with every value escaped, and the files as sent. Templates are written
 * to a temp dir of the test's own. */

#include "autoconfig.h"

#include "campus.h"
#include "compose.h"

#include <string.h>

#include <glib/gstdio.h>

#include "mime.h"
#include "template.h"

typedef struct {
	char *dir;
	Config *cfg;
} Fixture;

static void write_file(const char *dir, const char *name, const char *text)
{
	g_autofree char *path = g_build_filename(dir, name, NULL);
	g_autoptr(GError) error = NULL;

	g_file_set_contents(path, text, -1, &error);
	g_assert_no_error(error);
}

static void fixture_set_up(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *en = NULL;

	(void)data;
	f->dir = g_dir_make_tmp("test-compose-XXXXXX", &error);
	g_assert_no_error(error);
	en = g_build_filename(f->dir, "en", NULL);
	g_assert_cmpint(g_mkdir(en, 0700), ==, 0);
	write_file(en, "notice.txt", "Subject: Notice for {{who}}\nHello {{who}}.\n");
	write_file(en, "notice.html", "<p>Hello <b>{{who}}</b>{{#list}}, {{.}}{{/list}}.</p>\n");
	write_file(en, "plain.txt", "Subject: Plain\nJust text.\n");
	f->cfg = campus_load("");
	g_free(f->cfg->templates_dir);
	f->cfg->templates_dir = g_strdup(f->dir);
}

static void fixture_tear_down(Fixture *f, gconstpointer data)
{
	const char *names[] = {"en/notice.txt", "en/notice.html", "en/plain.txt", "en"};

	(void)data;
	for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
		g_autofree char *path = g_build_filename(f->dir, names[i], NULL);

		g_assert_cmpint(g_remove(path), ==, 0);
	}
	g_assert_cmpint(g_rmdir(f->dir), ==, 0);
	g_free(f->dir);
	config_free(f->cfg);
}

/* Builds @row's message from its draft, as the sender does, and parses it. */
static GMimeMessage *parse(const Config *cfg, const OutboxRow *row)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) message = compose_finish(cfg, row, &error);
	gsize len;
	const char *data;

	g_assert_no_error(error);
	g_assert_null(row->message);
	data = g_bytes_get_data(message, &len);
	g_autoptr(GMimeStream) stream = g_mime_stream_mem_new_with_buffer(data, len);
	g_autoptr(GMimeParser) parser = g_mime_parser_new_with_stream(stream);
	GMimeMessage *m = g_mime_parser_construct_message(parser, NULL);

	g_assert_nonnull(m);
	return m;
}

static char *part_text(GMimeObject *part)
{
	g_assert_true(GMIME_IS_TEXT_PART(part));
	return g_mime_text_part_get_text(GMIME_TEXT_PART(part));
}

static char *part_bytes(GMimeObject *part)
{
	GMimeDataWrapper *content = g_mime_part_get_content(GMIME_PART(part));
	g_autoptr(GMimeStream) out = g_mime_stream_mem_new();
	GByteArray *array;

	g_mime_data_wrapper_write_to_stream(content, out);
	array = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(out));
	return g_strndup((const char *)array->data, array->len);
}

static void test_html_twin_and_attachments(Fixture *f, gconstpointer data)
{
	g_autoptr(Composer) c = compose_new(f->cfg);
	g_autoptr(JsonObject) ctx = json_object_new();
	g_autoptr(GError) error = NULL;
	g_autoptr(OutboxRow) row = NULL;
	g_autoptr(GMimeMessage) m = NULL;
	static const char calendar[] = "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n";
	static const char sheet[] = "\xEF\xBB\xBF"
				    "a,b\r\n1,2\r\n";
	g_autoptr(GBytes) ics = g_bytes_new_static(calendar, strlen(calendar));
	g_autoptr(GBytes) csv = g_bytes_new_static(sheet, strlen(sheet));
	JsonArray *list = json_array_new();
	ComposeAttachment files[] = {
	    {"itinerary.ics", "text/calendar", "REQUEST", ics},
	    {"attendees.csv", "text/csv", NULL, csv},
	};
	ComposeMail mail = {
	    .kind = "notice",
	    .lang = "en",
	    .ctx = ctx,
	    .to_address = "ana@example.ro",
	    .auto_replied = FALSE,
	    .attachments = files,
	    .n_attachments = G_N_ELEMENTS(files),
	};
	GMimeObject *body, *alt, *part;
	g_autofree char *text = NULL, *html = NULL, *cal = NULL, *table = NULL;

	(void)data;
	json_object_set_string_member(ctx, "who", "<script>alert('Ana & co')</script>");
	json_array_add_string_element(list, "\"quoted\"");
	json_object_set_array_member(ctx, "list", list);
	row = compose_mail(c, &mail, 1756713600, &error);
	g_assert_no_error(error);
	m = parse(f->cfg, row);

	g_assert_cmpstr(g_mime_object_get_header(GMIME_OBJECT(m), "Auto-Submitted"), ==,
			"auto-generated");
	body = g_mime_message_get_mime_part(m);
	g_assert_true(g_mime_content_type_is_type(g_mime_object_get_content_type(body), "multipart",
						  "mixed"));
	g_assert_cmpint(g_mime_multipart_get_count(GMIME_MULTIPART(body)), ==, 3);

	alt = g_mime_multipart_get_part(GMIME_MULTIPART(body), 0);
	g_assert_true(g_mime_content_type_is_type(g_mime_object_get_content_type(alt), "multipart",
						  "alternative"));
	text = part_text(g_mime_multipart_get_part(GMIME_MULTIPART(alt), 0));
	html = part_text(g_mime_multipart_get_part(GMIME_MULTIPART(alt), 1));
	/* The text part says it as it is; the HTML part cannot be scripted. */
	g_assert_cmpstr(text, ==, "Hello <script>alert('Ana & co')</script>.\n");
	g_assert_cmpstr(
	    html, ==,
	    "<p>Hello <b>&lt;script&gt;alert(&#39;Ana &amp; co&#39;)&lt;/script&gt;</b>, "
	    "&quot;quoted&quot;.</p>\n");

	part = g_mime_multipart_get_part(GMIME_MULTIPART(body), 1);
	g_assert_true(
	    g_mime_content_type_is_type(g_mime_object_get_content_type(part), "text", "calendar"));
	g_assert_cmpstr(g_mime_object_get_content_type_parameter(part, "method"), ==, "REQUEST");
	g_assert_cmpstr(g_mime_object_get_content_type_parameter(part, "charset"), ==, "utf-8");
	g_assert_cmpstr(g_mime_part_get_filename(GMIME_PART(part)), ==, "itinerary.ics");
	cal = part_bytes(part);
	g_assert_cmpstr(cal, ==, "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n");

	part = g_mime_multipart_get_part(GMIME_MULTIPART(body), 2);
	g_assert_true(
	    g_mime_content_type_is_type(g_mime_object_get_content_type(part), "text", "csv"));
	g_assert_cmpstr(g_mime_part_get_filename(GMIME_PART(part)), ==, "attendees.csv");
	table = part_bytes(part);
	g_assert_cmpstr(table, ==,
			"\xEF\xBB\xBF"
			"a,b\r\n1,2\r\n");
}

static void test_plain_stays_single_part(Fixture *f, gconstpointer data)
{
	g_autoptr(Composer) c = compose_new(f->cfg);
	g_autoptr(JsonObject) ctx = json_object_new();
	g_autoptr(GError) error = NULL;
	g_autoptr(OutboxRow) row = NULL;
	g_autoptr(GMimeMessage) m = NULL;
	ComposeMail mail = {
	    .kind = "plain", .lang = "en", .ctx = ctx, .to_address = "a@example.org"};

	(void)data;
	row = compose_mail(c, &mail, 1756713600, &error);
	g_assert_no_error(error);
	m = parse(f->cfg, row);
	g_assert_true(GMIME_IS_TEXT_PART(g_mime_message_get_mime_part(m)));
}

/* A draft is built the same way every time (a retry sends the mail the
 * relay refused, not another); one that cannot be read is refused with an
 * error, never sent empty. */
static void test_draft_built_again(Fixture *f, gconstpointer data)
{
	g_autoptr(Composer) c = compose_new(f->cfg);
	g_autoptr(JsonObject) ctx = json_object_new();
	g_autoptr(GError) error = NULL;
	g_autoptr(OutboxRow) row = NULL;
	g_autoptr(GMimeMessage) one = NULL, two = NULL;
	g_autoptr(GBytes) none = NULL;
	ComposeMail mail = {.kind = "plain",
			    .lang = "en",
			    .ctx = ctx,
			    .to_address = "a@example.org",
			    .to_name = "Ágnes Kovács",
			    .in_reply_to = "their.id@example.hu",
			    .auto_replied = TRUE};

	(void)data;
	row = compose_mail(c, &mail, 1756713600, &error);
	g_assert_no_error(error);
	one = parse(f->cfg, row);
	two = parse(f->cfg, row);
	g_assert_cmpstr(g_mime_message_get_message_id(one), ==, row->message_id);
	g_assert_cmpstr(g_mime_message_get_message_id(two), ==, row->message_id);
	g_assert_cmpstr(g_mime_object_get_header(GMIME_OBJECT(one), "Date"), ==,
			g_mime_object_get_header(GMIME_OBJECT(two), "Date"));
	g_assert_cmpstr(g_mime_object_get_header(GMIME_OBJECT(one), "In-Reply-To"), ==,
			"<their.id@example.hu>");
	g_assert_cmpstr(g_mime_object_get_header(GMIME_OBJECT(one), "Auto-Submitted"), ==,
			"auto-replied");

	g_bytes_unref(row->draft);
	row->draft = g_bytes_new_static("\x01\0\0\0garbage", 11);
	none = compose_finish(f->cfg, row, &error);
	g_assert_null(none);
	g_assert_error(error, COMPOSE_ERROR, COMPOSE_ERROR_DRAFT);
	g_clear_error(&error);
	g_clear_pointer(&row->draft, g_bytes_unref);
	none = compose_finish(f->cfg, row, &error);
	g_assert_null(none);
	g_assert_error(error, COMPOSE_ERROR, COMPOSE_ERROR_DRAFT);
}

/* A draft queued by an earlier convene (a GVariant, format version 1) is
 * still built into its mail after an upgrade; a draft of a version this
 * convene does not know is refused. */
static void test_draft_version_1(Fixture *f, gconstpointer data)
{
	static const char calendar[] = "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n";
	g_auto(GVariantBuilder) files = G_VARIANT_BUILDER_INIT(G_VARIANT_TYPE("a(sssay)"));
	g_autoptr(GVariant) old = NULL;
	g_autoptr(OutboxRow) row = outbox_row_new();
	g_autoptr(GMimeMessage) m = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) none = NULL;
	g_autofree char *text = NULL, *ics = NULL;
	GMimeMultipart *mixed;

	(void)data;
	g_variant_builder_add(&files, "(sss@ay)", "itinerary.ics", "text/calendar", "REQUEST",
			      g_variant_new_fixed_array(G_VARIANT_TYPE_BYTE, calendar,
							strlen(calendar), 1));
	old = g_variant_ref_sink(g_variant_new("(usssssssbx@a(sssay))", 1, "fr", "Votre programme",
					       "Bonjour Ágnes.\n", "", "Ágnes Kovács", "", "",
					       FALSE, (gint64)1756713600,
					       g_variant_builder_end(&files)));
	row->id = 7;
	row->recipient = g_strdup("agnes@example.hu");
	row->message_id = g_strdup("old.draft@campus.example.org");
	row->draft = g_variant_get_data_as_bytes(old);
	m = parse(f->cfg, row);
	g_assert_cmpstr(g_mime_message_get_subject(m), ==, "Votre programme");
	g_assert_cmpstr(g_mime_object_get_header(GMIME_OBJECT(m), "Auto-Submitted"), ==,
			"auto-generated");
	mixed = GMIME_MULTIPART(g_mime_message_get_mime_part(m));
	g_assert_cmpint(g_mime_multipart_get_count(mixed), ==, 2);
	text = part_text(g_mime_multipart_get_part(mixed, 0));
	g_assert_cmpstr(text, ==, "Bonjour Ágnes.\n");
	ics = part_bytes(g_mime_multipart_get_part(mixed, 1));
	g_assert_cmpstr(ics, ==, calendar);

	g_bytes_unref(row->draft);
	row->draft = g_bytes_new_static("\x09\0\0\0later", 9);
	none = compose_finish(f->cfg, row, &error);
	g_assert_null(none);
	g_assert_error(error, COMPOSE_ERROR, COMPOSE_ERROR_DRAFT);
}

static void test_html_template_errors(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(Template) t = tmpl_new_html_from_string("<p>{{#x}}</p>\n", "x.html", &error);

	g_assert_null(t);
	g_assert_error(error, TMPL_ERROR, TMPL_ERROR_SYNTAX);
	g_assert_nonnull(strstr(error->message, "x.html:1:"));
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_mime_init();
	g_test_add("/compose/html-twin-and-attachments", Fixture, NULL, fixture_set_up,
		   test_html_twin_and_attachments, fixture_tear_down);
	g_test_add("/compose/plain-stays-single-part", Fixture, NULL, fixture_set_up,
		   test_plain_stays_single_part, fixture_tear_down);
	g_test_add("/compose/draft-built-again", Fixture, NULL, fixture_set_up,
		   test_draft_built_again, fixture_tear_down);
	g_test_add("/compose/draft-version-1", Fixture, NULL, fixture_set_up, test_draft_version_1,
		   fixture_tear_down);
	g_test_add_func("/compose/html-template-errors", test_html_template_errors);
	return g_test_run();
}
