/* SPDX-License-Identifier: ISC */
/* test-second-event.c: the shipped templates belong to whichever event
 * loads them. Every kind (compose_kinds) in every language of a second
 * event (tests/fixtures/second-event: Helsinki, its own days, activities
 * and question) is rendered with that event's contexts, each section once
 * shown and once not; nothing of the shipped CAMPUS event may come out. */

#include "autoconfig.h"

#include <string.h>

#include "campus.h"
#include "compose.h"
#include "context.h"
#include "country.h"
#include "grammar.h"
#include "request.h"
#include "template.h"

#define SECOND_EVENT "tests/fixtures/second-event/convene.conf"

/* What only the CAMPUS event says, read from its configuration: @words
 * (looked for in any case, anywhere) and @codes (its countries, looked for
 * as upper-case words: "FR", "RO"). */
typedef struct {
	GPtrArray *words;
	GPtrArray *codes;
} Campus;

static void add_word(GPtrArray *words, const char *w)
{
	if (w != NULL && *w != '\0')
		g_ptr_array_add(words, g_utf8_casefold(w, -1));
}

static void add_first_part(GPtrArray *words, const char *text)
{
	g_auto(GStrv) parts = g_strsplit(text, ", ", -1);

	add_word(words, parts[0]);
}

static void campus_words(Campus *c)
{
	g_autoptr(Config) cfg = campus_load("");
	g_auto(GStrv) name = g_strsplit(cfg->event_name, " ", -1);
	g_auto(GStrv) place = g_strsplit(cfg->event_location, ", ", -1);
	const char *home = country_of_timezone(cfg->event_timezone);

	c->words = g_ptr_array_new_with_free_func(g_free);
	c->codes = g_ptr_array_new_with_free_func(g_free);
	/* "CAMPUS": the words of its name written in capitals. */
	for (char **w = name; *w != NULL; w++) {
		g_autofree char *upper = g_ascii_strup(*w, -1);

		if (g_utf8_strlen(*w, -1) > 2 && strcmp(*w, upper) == 0)
			add_word(c->words, *w);
	}
	for (char **p = place; *p != NULL; p++)
		add_word(c->words, *p);
	add_word(c->words, cfg->event_timezone);
	add_word(c->words, strchr(cfg->event_timezone, '/') + 1);
	add_word(c->words, strchr(cfg->event_address, '@') + 1);
	for (char **o = cfg->organisers; *o != NULL; o++)
		add_word(c->words, *o);
	for (guint i = 0; i < cfg->days->len; i++) {
		const ConfigDay *d = g_ptr_array_index(cfg->days, i);

		add_word(c->words, d->date);
		g_ptr_array_add(c->words, g_strdup_printf("%02u/%02u", g_date_get_day(&d->gdate),
							  g_date_get_month(&d->gdate)));
	}
	for (guint i = 0; i < cfg->activities->len; i++) {
		const ConfigActivity *a = g_ptr_array_index(cfg->activities, i);

		add_word(c->words, a->id);
		add_word(c->words, a->title);
		add_first_part(c->words, a->location);
		for (char **k = a->countries; *k != NULL; k++)
			if (!g_ptr_array_find_with_equal_func(c->codes, *k, g_str_equal, NULL))
				g_ptr_array_add(c->codes, g_strdup(*k));
	}
	if (home != NULL && !g_ptr_array_find_with_equal_func(c->codes, home, g_str_equal, NULL))
		g_ptr_array_add(c->codes, g_strdup(home));
	g_assert_cmpuint(c->words->len, >, 20);
	g_assert_cmpuint(c->codes->len, ==, 2);
}

/* Fails, naming @where, when @text holds a word of @c. */
static void assert_no_campus(const Campus *c, const char *text, const char *where)
{
	g_autofree char *folded = g_utf8_casefold(text, -1);

	for (guint i = 0; i < c->words->len; i++) {
		const char *w = g_ptr_array_index(c->words, i);

		if (strstr(folded, w) != NULL)
			g_error("%s says \"%s\", a word of the CAMPUS event:\n%s", where, w, text);
	}
	for (guint i = 0; i < c->codes->len; i++) {
		const char *code = g_ptr_array_index(c->codes, i);

		for (const char *p = strstr(text, code); p != NULL; p = strstr(p + 1, code))
			if ((p == text || !g_ascii_isalnum(p[-1])) &&
			    !g_ascii_isalnum(p[strlen(code)]))
				g_error("%s names %s, a country of the CAMPUS event:\n%s", where,
					code, text);
	}
}

/* A registration for the second event: every day, its first activity,
 * waiting for its last, a diet and an answer to its question. */
static Attendee *sample_attendee(const Config *cfg, const char *lang)
{
	Attendee *a = attendee_new();
	const char *yes[] = {"yes", NULL};

	a->email = g_strdup("liis@example.ee");
	a->name = g_strdup("Liis Tamm");
	a->organisation = g_strdup("Tartu Data Lab");
	a->country = g_strdup("EE");
	a->language = g_strdup(lang);
	a->status = ATTENDEE_CONFIRMED;
	for (guint i = 0; i < cfg->days->len; i++)
		g_ptr_array_add(a->days,
				g_strdup(((ConfigDay *)g_ptr_array_index(cfg->days, i))->date));
	g_ptr_array_add(a->activities,
			g_strdup(((ConfigActivity *)g_ptr_array_index(cfg->activities, 0))->id));
	g_ptr_array_add(a->waitlist, g_strdup(((ConfigActivity *)g_ptr_array_index(
						   cfg->activities, cfg->activities->len - 1))
						  ->id));
	a->diet = g_strdup("vegetarian");
	g_hash_table_insert(a->answers, g_strdup("sauna"), g_strdupv((char **)yes));
	return a;
}

static void problem_free(gpointer data)
{
	RequestProblem *p = data;

	g_free(p->code);
	g_free(p->text);
	g_strfreev(p->choices);
	g_free(p->field);
	g_free(p);
}

/* Every problem a message can have, each about the event's own things. */
static JsonArray *sample_problems(const Config *cfg, const char *lang)
{
	g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func(problem_free);
	const ConfigDay *day = g_ptr_array_index(cfg->days, 0);
	const char *titles[] = {((ConfigActivity *)g_ptr_array_index(cfg->activities, 0))->title,
				((ConfigActivity *)g_ptr_array_index(cfg->activities, 1))->title,
				NULL};

	for (const char *const *code = grammar_problem_codes; *code != NULL; code++)
		request_add_field_problem(list, 3, *code, "country", day->date, titles);
	return context_problems(cfg, list, lang);
}

static JsonArray *all_activities(Composer *composer, const Config *cfg, const char *lang)
{
	JsonArray *arr = json_array_new();

	for (guint i = 0; i < cfg->activities->len; i++)
		json_array_add_object_element(
		    arr, compose_activity(composer, g_ptr_array_index(cfg->activities, i), lang));
	return arr;
}

/* What the kinds show, made by the code that makes it for real mail. */
static JsonObject *full_context(Composer *composer, const Config *cfg, const char *lang)
{
	JsonObject *ctx = json_object_new();
	JsonObject *event = context_event(cfg, lang);
	JsonArray *people = json_array_new();
	g_autoptr(Attendee) a = sample_attendee(cfg, lang);
	g_autoptr(Attendee) before = attendee_copy(a);

	g_free(before->diet);
	before->diet = g_strdup("none");
	json_array_add_object_element(people,
				      context_attendee(composer, cfg, a, lang, CONTEXT_SHARED));
	json_object_set_array_member(ctx, "days",
				     json_array_ref(json_object_get_array_member(event, "days")));
	json_object_set_object_member(ctx, "day",
				      json_object_ref(json_array_get_object_element(
					  json_object_get_array_member(event, "days"), 0)));
	json_object_set_object_member(ctx, "event", event);
	json_object_set_array_member(ctx, "form", context_form(cfg, lang));
	json_object_set_object_member(ctx, "attendee",
				      context_attendee(composer, cfg, a, lang, CONTEXT_FULL));
	json_object_set_array_member(ctx, "problems", sample_problems(cfg, lang));
	json_object_set_array_member(ctx, "notes", sample_problems(cfg, lang));
	json_object_set_array_member(ctx, "changes", context_changes(cfg, before, a, lang));
	json_object_set_array_member(ctx, "people", people);
	json_object_set_array_member(ctx, "activities", all_activities(composer, cfg, lang));
	json_object_set_array_member(ctx, "shared", all_activities(composer, cfg, lang));
	json_object_set_array_member(ctx, "waiting", all_activities(composer, cfg, lang));
	json_object_set_array_member(ctx, "withdrawn", all_activities(composer, cfg, lang));
	return ctx;
}

/* Sets @name (dotted) in @ctx where nothing answers it yet: a section
 * true, so that what it holds is rendered too, a value "[name]". */
static void show_name(JsonObject *ctx, const char *name, gboolean section)
{
	g_auto(GStrv) path = g_strsplit(name, ".", -1);
	JsonObject *o = ctx;

	for (char **p = path; *p != NULL; p++) {
		JsonNode *member = json_object_get_member(o, *p);

		if (member == NULL) {
			if (p[1] == NULL && section) {
				json_object_set_boolean_member(o, *p, TRUE);
				return;
			}
			if (p[1] == NULL) {
				g_autofree char *shown = g_strdup_printf("[%s]", name);

				json_object_set_string_member(o, *p, shown);
				return;
			}
			json_object_set_object_member(o, *p, json_object_new());
			member = json_object_get_member(o, *p);
		}
		if (!JSON_NODE_HOLDS_OBJECT(member) ||
		    json_object_is_immutable(json_node_get_object(member)))
			return;
		o = json_node_get_object(member);
	}
}

static char *read_template(const char *dir, const char *lang, const char *file)
{
	g_autofree char *path = g_build_filename(dir, lang, file, NULL);
	char *text = NULL;

	g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
	return text;
}

/* Renders @kind in @lang (and its HTML twin) with every section of its
 * own shown, then with none but the event's, and checks both. */
static void check_kind(const Campus *campus, Composer *composer, const Config *cfg,
		       const char *lang, const char *kind, GString *all)
{
	g_autofree char *file = g_strconcat(kind, ".txt", NULL);
	g_autofree char *source = read_template(cfg->templates_dir, lang, file);
	g_autoptr(GRegex) names = g_regex_new("{{([#^]?)\\s*([a-z_][a-z0-9_.]*)\\s*}}", 0, 0, NULL);
	g_autoptr(GMatchInfo) m = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(Template) t = tmpl_load(cfg->templates_dir, lang, kind, &error);
	g_autoptr(Template) html = NULL;
	g_autoptr(JsonObject) shown = full_context(composer, cfg, lang);
	g_autoptr(JsonObject) hidden = json_object_new();

	g_assert_no_error(error);
	if (tmpl_html_exists(cfg->templates_dir, lang, kind)) {
		g_autofree char *html_file = g_strconcat(kind, ".html", NULL);
		g_autofree char *html_source = read_template(cfg->templates_dir, lang, html_file);
		char *both = g_strconcat(source, html_source, NULL);

		html = tmpl_load_html(cfg->templates_dir, lang, kind, &error);
		g_assert_no_error(error);
		g_free(source);
		source = both;
	}
	/* Values first: a name that is both shows as a value. */
	for (int section = 0; section < 2; section++) {
		g_clear_pointer(&m, g_match_info_free);
		g_regex_match(names, source, 0, &m);
		for (; g_match_info_matches(m); g_match_info_next(m, NULL)) {
			g_autofree char *tag = g_match_info_fetch(m, 1);
			g_autofree char *name = g_match_info_fetch(m, 2);

			if ((*tag != '\0') == section)
				show_name(shown, name, section);
		}
	}
	json_object_set_object_member(hidden, "event", context_event(cfg, lang));
	json_object_set_array_member(hidden, "form", context_form(cfg, lang));
	for (int pass = 0; pass < 2; pass++) {
		JsonObject *ctx = pass == 0 ? shown : hidden;
		g_autofree char *where = g_strdup_printf("%s/%s.txt (sections %s)", lang, kind,
							 pass == 0 ? "shown" : "hidden");
		g_autofree char *subject = NULL, *body = NULL, *text = NULL;

		tmpl_render(t, ctx, &subject, &body);
		if (pass == 0 && *subject == '\0')
			g_error("%s: no subject", where);
		text = g_strconcat(subject, "\n", body, NULL);
		assert_no_campus(campus, text, where);
		g_string_append_printf(all, "==== %s\n%s\n", where, text);
		if (html != NULL) {
			g_autofree char *hs = NULL, *hb = NULL;

			tmpl_render(html, ctx, &hs, &hb);
			assert_no_campus(campus, hb, where);
			g_string_append_printf(all, "==== %s (HTML)\n%s\n", where, hb);
		}
	}
}

static void test_every_kind(void)
{
	g_autoptr(Config) cfg = campus_load_event(SECOND_EVENT, "");
	g_autoptr(Composer) composer = compose_new(cfg);
	g_autoptr(GString) all = g_string_new(NULL);
	g_autofree char *example = request_example_countries(cfg);
	Campus campus;
	guint kinds = 0;

	campus_words(&campus);
	g_assert_cmpstr(cfg->event_timezone, ==, "Europe/Helsinki");
	for (char **lang = cfg->languages; *lang != NULL; lang++)
		for (const char *const *kind = compose_kinds; *kind != NULL; kind++, kinds++)
			check_kind(&campus, composer, cfg, *lang, *kind, all);
	g_assert_cmpuint(kinds, ==,
			 g_strv_length(cfg->languages) * g_strv_length((char **)compose_kinds));
	g_assert_cmpuint(kinds, >=, 3 * 21);

	if (g_getenv("SECOND_EVENT_SHOW") != NULL)
		g_print("%s", all->str);
	/* What the examples say instead: this event's own. */
	g_assert_cmpstr(example, ==, "FI, EE");
	g_assert_nonnull(strstr(all->str, "\"Activities: harbour-tour\""));
	g_assert_nonnull(strstr(all->str, "\"Days: 05/03\""));
	g_assert_nonnull(strstr(all->str, "« Jours : 05/03 »"));
	g_assert_nonnull(strstr(all->str, "„Activități: harbour-tour”"));
	g_assert_nonnull(strstr(all->str, "ISO code (FI, EE…)"));
	g_assert_nonnull(strstr(all->str, "days such as 04/03"));
	g_assert_nonnull(strstr(all->str, "Helsinki, Uusimaa"));
	g_ptr_array_unref(campus.words);
	g_ptr_array_unref(campus.codes);
}

/* An event with no country to name says none, rather than another's. */
static void test_no_country(void)
{
	g_autoptr(Config) cfg = NULL;
	g_autofree char *example = NULL;
	g_autoptr(JsonArray) form = NULL;
	g_autofree char *text = NULL;

	cfg = campus_load_event(SECOND_EVENT, "");
	g_free(cfg->event_timezone);
	cfg->event_timezone = g_strdup("UTC");
	for (guint i = 0; i < cfg->activities->len; i++) {
		ConfigActivity *a = g_ptr_array_index(cfg->activities, i);

		g_strfreev(a->countries);
		a->countries = g_new0(char *, 1);
	}
	example = request_example_countries(cfg);
	g_assert_cmpstr(example, ==, "");
	form = context_form(cfg, "en");
	for (guint i = 0; i < json_array_get_length(form); i++) {
		JsonObject *o = json_array_get_object_element(form, i);

		if (strcmp(json_object_get_string_member(o, "field"), "country") == 0)
			text = g_strdup(json_object_get_string_member(o, "accepted"));
	}
	g_assert_cmpstr(text, ==, "a country's name or its ISO code");
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/second-event/every-kind", test_every_kind);
	g_test_add_func("/second-event/no-country", test_no_country);
	return g_test_run();
}
