/* SPDX-License-Identifier: ISC */
/* test-template.c: templates from strings and files, rendered against JSON
 * contexts; every syntax error is checked for its file name and line.
 * Touches nothing but a temporary directory of its own. */

#include "autoconfig.h"

#include <errno.h>
#include <string.h>

#include <glib/gstdio.h>

#include "template.h"

static JsonObject *context(const char *json)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonNode) node = json_from_string(json, &error);

	g_assert_no_error(error);
	g_assert_true(JSON_NODE_HOLDS_OBJECT(node));
	return json_object_ref(json_node_get_object(node));
}

/* Renders @text against the JSON object @json; returns the body, and the
 * subject through @subject when it is not NULL. */
static char *render(const char *text, const char *json, char **subject)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(Template) t = tmpl_new_from_string(text, "test.txt", &error);
	g_autoptr(JsonObject) ctx = context(json);
	g_autofree char *s = NULL;
	char *body = NULL;

	g_assert_no_error(error);
	g_assert_nonnull(t);
	tmpl_render(t, ctx, &s, &body);
	if (subject != NULL)
		*subject = g_steal_pointer(&s);
	return body;
}

static void assert_body(const char *body_template, const char *json, const char *expected)
{
	g_autofree char *text = g_strconcat("Subject: s\n", body_template, NULL);
	g_autofree char *body = render(text, json, NULL);

	g_assert_cmpstr(body, ==, expected);
}

static void assert_syntax_error(const char *text, const char *expected)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(Template) t = tmpl_new_from_string(text, "bad.txt", &error);

	g_assert_null(t);
	g_assert_error(error, TMPL_ERROR, TMPL_ERROR_SYNTAX);
	g_assert_cmpstr(error->message, ==, expected);
}

static void test_variables(void)
{
	const char *json = "{\"name\": \"Ana\", \"seats\": 42, \"big\": -9007199254740993,"
			   " \"fee\": 12.5, \"tiny\": 1e-7, \"yes\": true, \"no\": false,"
			   " \"nothing\": null, \"obj\": {\"a\": 1}, \"list\": [1, 2]}";

	assert_body("{{name}}|{{seats}}|{{big}}|{{fee}}|{{tiny}}|{{yes}}|{{no}}\n", json,
		    "Ana|42|-9007199254740993|12.5|1e-07|true|false\n");
	assert_body("[{{nothing}}][{{missing}}][{{obj}}][{{list}}]", json, "[][][][]");
	assert_body("Dear {{ name }}, {{seats}} seats.", json, "Dear Ana, 42 seats.");
}

static void test_values_are_verbatim(void)
{
	assert_body("<{{v}}>", "{\"v\": \"{{name}} <b>&amp;\\r\\nBcc: x\"}",
		    "<{{name}} <b>&amp;\r\nBcc: x>");
}

static void test_dotted_names(void)
{
	const char *json = "{\"event\": {\"venue\": {\"city\": \"Cluj\"}, \"name\": \"Meet\"},"
			   " \"city\": \"outer\", \"a\": {\"b\": \"not an object\"}}";

	assert_body("{{event.name}} in {{event.venue.city}}", json, "Meet in Cluj");
	assert_body("[{{event.venue.country}}][{{a.b.c}}][{{nope.city}}]", json, "[][][]");
	/* Once "event" is found, "event.city" does not fall back to "city". */
	assert_body("{{#event}}{{venue.city}}/{{event.city}}/{{city}}{{/event}}", json,
		    "Cluj//outer");
	/* An inner "a" hides the outer one, even when it lacks the member. */
	assert_body("{{#items}}[{{a.b}}]{{/items}}",
		    "{\"a\": {\"b\": \"outer\"}, \"items\": [{\"a\": {}}, {\"x\": 1}]}",
		    "[][outer]");
}

static void test_dot(void)
{
	assert_body("{{#tags}}<{{.}}>{{/tags}}", "{\"tags\": [\"a\", 3, true, null, 1.5]}",
		    "<a><3><true><><1.5>");
	assert_body("{{#name}}Dear {{.}},{{/name}}", "{\"name\": \"Ana\"}", "Dear Ana,");
	assert_body("[{{.}}]", "{\"x\": 1}", "[]");
}

static void test_sections_over_objects(void)
{
	const char *json = "{\"event\": \"Forum\", \"activities\": ["
			   " {\"title\": \"Opening\", \"speakers\": [{\"name\": \"Ana\"},"
			   "  {\"name\": \"Ion\"}]},"
			   " {\"title\": \"Lunch\", \"speakers\": []}]}";

	assert_body("{{#activities}}{{title}}@{{event}}:"
		    "{{#speakers}} {{name}} at {{title}};{{/speakers}}"
		    "{{^speakers}} nobody{{/speakers}}\n{{/activities}}",
		    json,
		    "Opening@Forum: Ana at Opening; Ion at Opening;\n"
		    "Lunch@Forum: nobody\n");
	assert_body("{{#activities.0}}x{{/activities.0}}", json, "");
}

static void test_sections_over_strings(void)
{
	assert_body("Days:{{#days}} {{.}}{{/days}}.", "{\"days\": [\"Mon\", \"Tue\"]}",
		    "Days: Mon Tue.");
	assert_body("{{#rows}}[{{#.}}{{.}},{{/.}}]{{/rows}}", "{\"rows\": [[1, 2], [], [\"x\"]]}",
		    "[1,2,][][x,]");
}

static void test_section_truthiness(void)
{
	const char *json = "{\"t\": true, \"f\": false, \"s\": \"x\", \"e\": \"\", \"one\": 1,"
			   " \"zero\": 0, \"half\": 0.5, \"nought\": 0.0, \"n\": null,"
			   " \"o\": {\"k\": \"v\"}, \"empty_o\": {}, \"a\": [0], \"empty_a\": []}";
	const char *names[] = {"t",	 "f", "s", "e",	      "one", "zero",	"half",
			       "nought", "n", "o", "empty_o", "a",   "empty_a", "missing"};
	const gboolean truthy[] = {TRUE,  FALSE, TRUE, FALSE, TRUE, FALSE, TRUE,
				   FALSE, FALSE, TRUE, TRUE,  TRUE, FALSE, FALSE};

	for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
		g_autofree char *text = g_strdup_printf("{{#%s}}yes{{/%s}}{{^%s}}no{{/%s}}",
							names[i], names[i], names[i], names[i]);

		g_test_message("section over %s", names[i]);
		assert_body(text, json, truthy[i] ? "yes" : "no");
	}
	assert_body("{{#o}}{{k}}{{/o}}", json, "v");
}

static void test_inverted_sections(void)
{
	const char *json = "{\"off\": false, \"none\": [], \"blank\": \"\", \"nil\": null,"
			   " \"on\": true, \"some\": [1]}";

	assert_body("{{^missing}}A{{/missing}}{{^none}}B{{/none}}{{^off}}C{{/off}}"
		    "{{^blank}}D{{/blank}}{{^nil}}E{{/nil}}",
		    json, "ABCDE");
	assert_body("[{{^on}}x{{/on}}{{^some}}y{{/some}}]", json, "[]");
	/* An inverted section brings nothing into scope. */
	assert_body("{{^none}}{{off}}{{/none}}", json, "false");
}

static void test_standalone_lines(void)
{
	const char *json = "{\"activities\": ["
			   " {\"title\": \"Opening\", \"start\": \"09:00\", \"end\": \"10:00\"},"
			   " {\"title\": \"Walk\", \"start\": \"15:00\", \"end\": \"17:00\"}],"
			   " \"waitlist\": []}";

	assert_body("Your activities:\n"
		    "{{#activities}}\n"
		    "- {{title}} ({{start}}–{{end}})\n"
		    "{{/activities}}\n"
		    "  {{^waitlist}}  \n"
		    "No waiting list.\n"
		    "\t{{/waitlist}}\n"
		    "{{#waitlist}}\n"
		    "never\n"
		    "{{/waitlist}}\n"
		    "End.\n",
		    json,
		    "Your activities:\n"
		    "- Opening (09:00–10:00)\n"
		    "- Walk (15:00–17:00)\n"
		    "No waiting list.\n"
		    "End.\n");
	/* CRLF lines, and a last tag with no newline after it. */
	assert_body("a\r\n{{#activities}}\r\n{{title}}\r\n{{/activities}}", json,
		    "a\r\nOpening\r\nWalk\r\n");
	/* A section tag as the very first line of the body. */
	assert_body("{{^waitlist}}\nfree\n{{/waitlist}}\n", json, "free\n");
}

static void test_lines_that_are_not_standalone(void)
{
	const char *json = "{\"x\": [1], \"v\": \"\"}";

	assert_body("a {{#x}}\nb\n{{/x}} c\n", json, "a \nb\n c\n");
	assert_body("{{#x}}{{/x}}\nnext\n", json, "\nnext\n");
	assert_body("before\n{{v}}\nafter\n", json, "before\n\nafter\n");
	assert_body("before\n  {{v}}  \nafter\n", json, "before\n    \nafter\n");
}

static void test_non_ascii(void)
{
	g_autofree char *subject = NULL;
	g_autofree char *body = NULL;

	body = render("Subject: Înscriere confirmată — {{event}}\n"
		      "Bună ziua {{name}}, café à {{city}}.\n"
		      "{{#people}}\n"
		      "· {{.}}\n"
		      "{{/people}}\n",
		      "{\"event\": \"Forumul Șării\", \"name\": \"Đorđe\", \"city\": \"Iași\","
		      " \"people\": [\"Émile\", \"Ștefan\", \"Đurđa\"]}",
		      &subject);

	g_assert_cmpstr(subject, ==, "Înscriere confirmată — Forumul Șării");
	g_assert_cmpstr(body, ==,
			"Bună ziua Đorđe, café à Iași.\n"
			"· Émile\n"
			"· Ștefan\n"
			"· Đurđa\n");
}

static void test_subject(void)
{
	const char *json = "{\"event\": \"Forum\", \"multi\": \" two\\nlines \\r\\n\\r\\nhere \","
			   " \"first\": true}";
	g_autofree char *s1 = NULL;
	g_autofree char *s2 = NULL;
	g_autofree char *s3 = NULL;
	g_autofree char *s4 = NULL;
	g_autofree char *b1 = render("Subject:   Registered for {{event}}  \r\nBody\n", json, &s1);
	g_autofree char *b2 = render("sUBJECT:{{multi}}", json, &s2);
	g_autofree char *b3 = render("SUBJECT: {{#first}}Welcome{{/first}}{{^first}}Again{{/first}}"
				     " to {{event}}\n",
				     json, &s3);
	g_autofree char *b4 = render("Subject:\n\n{{event}}\n", json, &s4);

	g_assert_cmpstr(s1, ==, "Registered for Forum");
	g_assert_cmpstr(b1, ==, "Body\n");
	g_assert_cmpstr(s2, ==, "two lines here");
	g_assert_cmpstr(b2, ==, "");
	g_assert_cmpstr(s3, ==, "Welcome to Forum");
	g_assert_cmpstr(b3, ==, "");
	g_assert_cmpstr(s4, ==, "");
	g_assert_cmpstr(b4, ==, "\nForum\n");
}

static void test_syntax_errors(void)
{
	assert_syntax_error("Subject: s\nline 2\nline {{3\n",
			    "bad.txt:3: \"{{\" without \"}}\" on the same line");
	assert_syntax_error("Subject: s\n\n\n{{",
			    "bad.txt:4: \"{{\" without \"}}\" on the same line");
	assert_syntax_error("Subject: s\n{{na\nme}}\n",
			    "bad.txt:2: \"{{\" without \"}}\" on the same line");
	assert_syntax_error("Subject: {{event\nbody\n",
			    "bad.txt:1: \"{{\" without \"}}\" on the same line");
	assert_syntax_error("Subject: s\n\n{{#list}}\n{{#inner}}\n{{/inner}}\n",
			    "bad.txt:3: {{#list}} is never closed");
	assert_syntax_error("Subject: s\n{{^empty}}\n", "bad.txt:2: {{^empty}} is never closed");
	assert_syntax_error("Subject: s\nok\n{{/list}}\n",
			    "bad.txt:3: {{/list}} closes no section");
	assert_syntax_error("Subject: s\n{{#a}}\n{{#b}}\n{{/a}}\n{{/b}}\n",
			    "bad.txt:4: {{/a}} does not close {{#b}} opened on line 3");
	assert_syntax_error("Subject: s\n{{^a}}\n\n{{/b}}\n",
			    "bad.txt:4: {{/b}} does not close {{^a}} opened on line 2");
	assert_syntax_error("Subject: {{#a}}x\n{{/a}}\n", "bad.txt:1: {{#a}} is never closed");
	assert_syntax_error("Subject: {{/a}}\n", "bad.txt:1: {{/a}} closes no section");
	assert_syntax_error("Subject: s\n\n{{}}\n", "bad.txt:3: bad tag {{}}: expected a name");
	assert_syntax_error("Subject: s\n{{# }}\n", "bad.txt:2: bad tag {{#}}: expected a name");
	assert_syntax_error("Subject: s\n{{{raw}}}\n",
			    "bad.txt:2: bad tag {{{raw}}: expected a name");
	assert_syntax_error("Subject: s\n{{>partial}}\n",
			    "bad.txt:2: bad tag {{>partial}}: expected a name");
	assert_syntax_error("Subject: s\n{{first name}}\n",
			    "bad.txt:2: bad tag {{first name}}: expected a name");
	assert_syntax_error("Subject: s\n{{a..b}}\n",
			    "bad.txt:2: bad tag {{a..b}}: expected a name");
	assert_syntax_error("Subject: s\n{{a.}}\n", "bad.txt:2: bad tag {{a.}}: expected a name");
	/* Line numbers still count the lines a standalone tag removes. */
	assert_syntax_error("Subject: s\n{{#a}}\n{{/a}}\n\n{{oops\n",
			    "bad.txt:5: \"{{\" without \"}}\" on the same line");
}

/* Rendering recurses once a level: a template nested a hundred thousand
 * deep overflowed the stack, so nesting is bounded when it is loaded. */
static void test_nesting_limit(void)
{
	g_autoptr(GString) text = g_string_new("Subject: s\n");

	for (int i = 0; i < 101; i++)
		g_string_append(text, "{{#a}}");
	assert_syntax_error(text->str, "bad.txt:2: sections nested deeper than 100");
}

static void test_missing_subject(void)
{
	const char *expected = "bad.txt:1: the first line must be \"Subject: ...\"";

	assert_syntax_error("", expected);
	assert_syntax_error("Subj", expected);
	assert_syntax_error("Dear {{name}},\n", expected);
	assert_syntax_error("\nSubject: late\n", expected);
	assert_syntax_error(" Subject: indented\n", expected);
	assert_syntax_error("Subject x\n", expected);
}

static void test_invalid_utf8(void)
{
	assert_syntax_error("Subject: s\nok\ncaf\xe9\n", "bad.txt:3: not valid UTF-8");
	assert_syntax_error("Subject: \xc3\x28\n", "bad.txt:1: not valid UTF-8");
}

static void test_byte_order_mark(void)
{
	g_autofree char *subject = NULL;
	g_autofree char *body = render("\xEF\xBB\xBFSubject: hi\nthere\n", "{}", &subject);

	g_assert_cmpstr(subject, ==, "hi");
	g_assert_cmpstr(body, ==, "there\n");
}

static void test_render_twice(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(Template) t =
	    tmpl_new_from_string("Subject: {{n}}\n{{#l}}{{.}}{{/l}}\n", "t", &error);
	g_autoptr(JsonObject) a = context("{\"n\": \"A\", \"l\": [1, 2]}");
	g_autoptr(JsonObject) b = context("{\"n\": \"B\"}");
	g_autofree char *sa = NULL;
	g_autofree char *ba = NULL;
	g_autofree char *sb = NULL;
	g_autofree char *bb = NULL;

	g_assert_no_error(error);
	tmpl_render(t, a, &sa, &ba);
	tmpl_render(t, b, &sb, &bb);
	g_assert_cmpstr(sa, ==, "A");
	g_assert_cmpstr(ba, ==, "12\n");
	g_assert_cmpstr(sb, ==, "B");
	g_assert_cmpstr(bb, ==, "\n");
}

/* A scratch template directory, removed by the test that made it. */
static char *make_template_dir(void)
{
	g_autoptr(GError) error = NULL;
	char *dir = g_dir_make_tmp("test-template-XXXXXX", &error);
	g_autofree char *en = NULL;

	g_assert_no_error(error);
	en = g_build_filename(dir, "en", NULL);
	g_assert_cmpint(g_mkdir(en, 0700), ==, 0);
	return dir;
}

static void write_template(const char *dir, const char *name, const char *text)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *path = g_build_filename(dir, "en", name, NULL);

	g_file_set_contents(path, text, -1, &error);
	g_assert_no_error(error);
}

static void remove_template_dir(const char *dir, const char *const *names)
{
	g_autofree char *en = g_build_filename(dir, "en", NULL);

	for (guint i = 0; names[i] != NULL; i++) {
		g_autofree char *path = g_build_filename(en, names[i], NULL);

		g_assert_cmpint(g_unlink(path), ==, 0);
	}
	g_assert_cmpint(g_rmdir(en), ==, 0);
	g_assert_cmpint(g_rmdir(dir), ==, 0);
}

static void test_load(void)
{
	const char *const files[] = {"registered.txt", "broken.txt", "nul.txt", NULL};
	g_autofree char *dir = make_template_dir();
	g_autofree char *broken_path = g_build_filename(dir, "en", "broken.txt", NULL);
	g_autofree char *expected = g_strdup_printf("%s:3: {{#days}} is never closed", broken_path);
	g_autofree char *nul_path = g_build_filename(dir, "en", "nul.txt", NULL);
	g_autofree char *nul_expected = g_strdup_printf("%s:2: not valid UTF-8", nul_path);
	g_autoptr(GError) error = NULL;
	g_autoptr(Template) t = NULL;
	g_autoptr(Template) broken = NULL;
	g_autoptr(Template) nul = NULL;
	g_autoptr(JsonObject) ctx = context("{\"name\": \"Ioana\", \"days\": [\"Mon\", \"Tue\"]}");
	g_autofree char *subject = NULL;
	g_autofree char *body = NULL;

	write_template(dir, "registered.txt",
		       "Subject: You are registered, {{name}}\n"
		       "Days:\n"
		       "{{#days}}\n"
		       "- {{.}}\n"
		       "{{/days}}\n");
	write_template(dir, "broken.txt", "Subject: x\n\n{{#days}}\n");
	/* A NUL byte would silently cut the template short. */
	g_file_set_contents(nul_path, "Subject: x\nab\0cd\n", 17, &error);
	g_assert_no_error(error);

	t = tmpl_load(dir, "en", "registered", &error);
	g_assert_no_error(error);
	g_assert_nonnull(t);
	tmpl_render(t, ctx, &subject, &body);
	g_assert_cmpstr(subject, ==, "You are registered, Ioana");
	g_assert_cmpstr(body, ==, "Days:\n- Mon\n- Tue\n");

	broken = tmpl_load(dir, "en", "broken", &error);
	g_assert_null(broken);
	g_assert_error(error, TMPL_ERROR, TMPL_ERROR_SYNTAX);
	g_assert_cmpstr(error->message, ==, expected);
	g_clear_error(&error);

	nul = tmpl_load(dir, "en", "nul", &error);
	g_assert_null(nul);
	g_assert_error(error, TMPL_ERROR, TMPL_ERROR_SYNTAX);
	g_assert_cmpstr(error->message, ==, nul_expected);

	remove_template_dir(dir, files);
}

static void test_load_missing(void)
{
	const char *const files[] = {NULL};
	g_autofree char *dir = make_template_dir();
	g_autofree char *path = g_build_filename(dir, "fr", "registered.txt", NULL);
	g_autofree char *prefix = g_strconcat(path, ": ", NULL);
	g_autoptr(GError) error = NULL;
	g_autoptr(Template) t = tmpl_load(dir, "fr", "registered", &error);

	g_assert_null(t);
	g_assert_error(error, TMPL_ERROR, TMPL_ERROR_READ);
	g_assert_true(g_str_has_prefix(error->message, prefix));
	g_assert_nonnull(strstr(error->message, g_strerror(ENOENT)));

	remove_template_dir(dir, files);
}

static void test_load_refuses_paths(void)
{
	const char *bad[][2] = {{"../en", "registered"},
				{"en", "../../etc/passwd"},
				{"", "registered"},
				{"en", ".hidden"},
				{"en/..", "x"}};

	for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(Template) t = tmpl_load("/nonexistent", bad[i][0], bad[i][1], &error);

		g_assert_null(t);
		g_assert_error(error, TMPL_ERROR, TMPL_ERROR_READ);
	}
}

/* Names are checked against a sample context: a typo under a member the
 * sample has is reported with its line; a name whose first part the
 * sample lacks is taken on trust; inside a list, the first element. */
static void test_check_names(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(Template) t = tmpl_new_from_string(
	    "Subject: {{event.nmae}}\n"
	    "Dear {{attendee.nmae}},\n"
	    "{{#attendee.fields}}{{label}}: {{value}} {{labl.x}}{{/attendee.fields}}\n"
	    "{{#attendee.wait}}x{{/attendee.wait}}{{^attendee.name}}y{{/attendee.name}}\n"
	    "{{token}} {{itinerary.calendar}} {{attendee.name}} {{.}}\n",
	    "t.txt", &error);
	g_autoptr(JsonObject) ctx =
	    context("{\"event\": {\"name\": \"E\"}, \"attendee\": {\"name\": "
		    "\"A\", \"fields\": [{\"label\": \"L\", \"value\": "
		    "\"V\", \"labl\": {}}]}}");
	g_autoptr(GString) problems = g_string_new(NULL);

	g_assert_no_error(error);
	tmpl_check_names(t, ctx, "t.txt", problems);
	g_assert_cmpstr(problems->str, ==,
			"t.txt:1: {{event.nmae}}: no such variable here\n"
			"t.txt:2: {{attendee.nmae}}: no such variable here\n"
			"t.txt:3: {{labl.x}}: no such variable here\n"
			"t.txt:4: {{#attendee.wait}}: no such section here\n");
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);

	g_test_add_func("/template/variables", test_variables);
	g_test_add_func("/template/values-are-verbatim", test_values_are_verbatim);
	g_test_add_func("/template/dotted-names", test_dotted_names);
	g_test_add_func("/template/dot", test_dot);
	g_test_add_func("/template/sections/objects", test_sections_over_objects);
	g_test_add_func("/template/sections/strings", test_sections_over_strings);
	g_test_add_func("/template/sections/truthiness", test_section_truthiness);
	g_test_add_func("/template/sections/inverted", test_inverted_sections);
	g_test_add_func("/template/standalone/removed", test_standalone_lines);
	g_test_add_func("/template/standalone/kept", test_lines_that_are_not_standalone);
	g_test_add_func("/template/non-ascii", test_non_ascii);
	g_test_add_func("/template/subject", test_subject);
	g_test_add_func("/template/errors/syntax", test_syntax_errors);
	g_test_add_func("/template/errors/nesting", test_nesting_limit);
	g_test_add_func("/template/errors/missing-subject", test_missing_subject);
	g_test_add_func("/template/errors/invalid-utf8", test_invalid_utf8);
	g_test_add_func("/template/byte-order-mark", test_byte_order_mark);
	g_test_add_func("/template/render-twice", test_render_twice);
	g_test_add_func("/template/load/good", test_load);
	g_test_add_func("/template/load/missing", test_load_missing);
	g_test_add_func("/template/load/refuses-paths", test_load_refuses_paths);
	g_test_add_func("/template/check-names", test_check_names);

	return g_test_run();
}
