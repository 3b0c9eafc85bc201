/* SPDX-License-Identifier: ISC */
/* test-request.c: request.c read with strings alone: no file, no store, no
 * clock. The event is built here by hand, as the CAMPUS kick-off. */

#include "autoconfig.h"

#include <stdio.h>
#include <string.h>

#include "request.h"
#include "text.h"

static Config *campus;

static void add_day(Config *cfg, const char *date, const char *title)
{
	ConfigDay *d = g_new0(ConfigDay, 1);
	unsigned y, m, dd;

	d->date = g_strdup(date);
	d->title = g_strdup(title);
	g_assert_cmpint(sscanf(date, "%u-%u-%u", &y, &m, &dd), ==, 3);
	g_date_clear(&d->gdate, 1);
	g_date_set_dmy(&d->gdate, dd, m, y);
	g_ptr_array_add(cfg->days, d);
}

static void add_activity(Config *cfg, const char *id, const char *title, const char *day,
			 const char *start, const char *end, const char *aliases,
			 const char *countries)
{
	ConfigActivity *a = g_new0(ConfigActivity, 1);

	a->id = g_strdup(id);
	a->title = g_strdup(title);
	a->day = g_strdup(day);
	a->start = g_strdup(start);
	a->end = g_strdup(end);
	a->location = g_strdup("Rennes");
	a->aliases = g_strsplit(aliases, "|", -1);
	a->countries = countries != NULL ? g_strsplit(countries, "|", -1) : g_new0(char *, 1);
	config_activity_fold_names(a);
	g_ptr_array_add(cfg->activities, a);
}

static Config *make_campus(void)
{
	Config *cfg = g_new0(Config, 1);
	const char *languages[] = {"en", "fr", NULL};

	cfg->event_name = g_strdup("CAMPUS kick-off meeting");
	cfg->languages = g_strdupv((char **)languages);
	cfg->days = g_ptr_array_new();
	cfg->activities = g_ptr_array_new();
	add_day(cfg, "2025-09-15", "Partners' meeting");
	add_day(cfg, "2025-09-16", "Visits");
	add_day(cfg, "2025-09-17", "Ecosystem and next steps");
	add_activity(cfg, "kickoff-meeting", "Partners' kick-off meeting", "2025-09-15", "09:00",
		     "17:30", "kick-off|partners meeting|réunion des partenaires", NULL);
	add_activity(cfg, "visit-le-poool", "Visit of Le Poool / La French Tech", "2025-09-16",
		     "09:30", "12:00", "Le Poool|French Tech", NULL);
	add_activity(cfg, "visit-orange-cyberdefense", "Visit of Orange Cyberdefense",
		     "2025-09-16", "14:00", "17:00", "Orange|Orange Cyberdefense", NULL);
	add_activity(cfg, "local-ecosystem-talks", "Local ecosystem talks", "2025-09-17", "09:00",
		     "12:30", "Inria|IRISA|Cyberschool", NULL);
	add_activity(cfg, "next-steps-workshop", "Next steps workshop", "2025-09-17", "14:00",
		     "17:00", "workshop|atelier", NULL);
	add_activity(cfg, "study-visit-sekoia", "Study visit to Sekoia", "2025-09-17", "14:00",
		     "17:30", "Sekoia", "RO");
	return cfg;
}

static void free_campus(Config *cfg)
{
	for (guint i = 0; i < cfg->days->len; i++) {
		ConfigDay *d = g_ptr_array_index(cfg->days, i);

		g_free(d->date);
		g_free(d->title);
		g_free(d);
	}
	for (guint i = 0; i < cfg->activities->len; i++) {
		ConfigActivity *a = g_ptr_array_index(cfg->activities, i);

		g_free(a->id);
		g_free(a->title);
		g_free(a->day);
		g_free(a->start);
		g_free(a->end);
		g_free(a->location);
		g_strfreev(a->aliases);
		g_strfreev(a->countries);
		g_strfreev(a->folded);
		g_free(a);
	}
	g_ptr_array_unref(cfg->days);
	g_ptr_array_unref(cfg->activities);
	g_strfreev(cfg->languages);
	g_free(cfg->event_name);
	g_free(cfg);
}

static char *joined(const GPtrArray *list)
{
	GString *s = g_string_new(NULL);

	for (guint i = 0; list != NULL && i < list->len; i++)
		g_string_append_printf(s, "%s%s", i ? "," : "", (char *)g_ptr_array_index(list, i));
	return g_string_free(s, FALSE);
}

static void assert_days(const char *value, const char *expected)
{
	g_autofree char *body = g_strdup_printf("Days: %s\n", value);
	g_autoptr(Request) req = request_parse(campus, NULL, NULL, body);
	g_autofree char *got = joined(req->fields.days);

	g_assert_cmpuint(req->problems->len, ==, 0);
	g_assert_cmpstr(got, ==, expected);
}

static void test_plain_form(void)
{
	g_autoptr(Request) req = request_parse(
		campus, "Registration", NULL,
		"Hello,\n\nName: Ștefan Ionescu\nOrganisation: Digital Innovation Zone\n"
		"Country: Romania\nDays: all\nActivities: kickoff-meeting, visit-le-poool\n"
		"Diet: vegetarian\n\nBest regards,\nȘtefan\n");
	g_autofree char *acts = joined(req->fields.activities);

	g_assert_cmpint(req->command, ==, REQUEST_REGISTER);
	g_assert_cmpstr(req->fields.values[REQUEST_NAME], ==, "Ștefan Ionescu");
	g_assert_cmpstr(req->fields.values[REQUEST_ORGANISATION], ==, "Digital Innovation Zone");
	g_assert_cmpstr(req->fields.values[REQUEST_COUNTRY], ==, "RO");
	g_assert_cmpstr(req->fields.values[REQUEST_DIET], ==, "vegetarian");
	g_assert_cmpstr(acts, ==, "kickoff-meeting,visit-le-poool");
	g_assert_cmpuint(req->fields.days->len, ==, 3);
	g_assert_cmpuint(req->problems->len, ==, 0);
	g_assert_false(req->french);
	g_assert_cmpstr(request_language(req, campus), ==, "en");
}

static void test_french_form(void)
{
	g_autoptr(Request) req = request_parse(
		campus, "Inscription", NULL,
		"Nom : Kovács Zoltán\nOrganisme : Agence régionale\nPays : Hongrie\n"
		"Jours : lundi, mardi\nActivités : réunion des partenaires, Orange\n");
	g_autofree char *acts = joined(req->fields.activities);
	g_autofree char *days = joined(req->fields.days);

	g_assert_cmpint(req->command, ==, REQUEST_REGISTER);
	g_assert_true(req->french);
	g_assert_cmpstr(request_language(req, campus), ==, "fr");
	g_assert_cmpstr(req->fields.values[REQUEST_NAME], ==, "Kovács Zoltán");
	g_assert_cmpstr(req->fields.values[REQUEST_COUNTRY], ==, "HU");
	g_assert_cmpstr(acts, ==, "kickoff-meeting,visit-orange-cyberdefense");
	g_assert_cmpstr(days, ==, "2025-09-15,2025-09-16");
}

static void test_day_forms(void)
{
	assert_days("tous", "2025-09-15,2025-09-16,2025-09-17");
	assert_days("Mon", "2025-09-15");
	assert_days("Tuesday 16", "2025-09-16");
	assert_days("15", "2025-09-15");
	assert_days("16/09", "2025-09-16");
	assert_days("17.09.", "2025-09-17");
	assert_days("2025-09-15", "2025-09-15");
	assert_days("15 September", "2025-09-15");
	assert_days("Mon-Wed", "2025-09-15,2025-09-16,2025-09-17");
	assert_days("15-16", "2025-09-15,2025-09-16");
	assert_days("du 16 au 17", "2025-09-16,2025-09-17");
	assert_days("Monday and Wednesday", "2025-09-15,2025-09-17");
	assert_days("mercredi 17 septembre", "2025-09-17");
}

static void test_unknown_day(void)
{
	g_autoptr(Request) req = request_parse(campus, NULL, NULL, "Name: A\n\nDays: Monday, Thursday\n");
	const RequestProblem *p;
	g_autofree char *text = NULL;

	g_assert_cmpuint(req->problems->len, ==, 1);
	p = g_ptr_array_index(req->problems, 0);
	g_assert_cmpstr(p->code, ==, "unknown-day");
	g_assert_cmpuint(p->line, ==, 3);
	g_assert_cmpstr(p->text, ==, "Thursday");
	text = request_problem_describe(p, campus, "en");
	g_assert_cmpstr(text, ==,
			"Thursday: no such day; the event runs from Monday 15 September 2025 to "
			"Wednesday 17 September 2025");
}

static void test_activity_typo(void)
{
	g_autoptr(Request) req =
		request_parse(campus, NULL, NULL, "Activities: Orange Cyber Defence, visit-le-pool\n");
	g_autofree char *acts = joined(req->fields.activities);

	g_assert_cmpuint(req->problems->len, ==, 0);
	g_assert_cmpstr(acts, ==, "visit-le-poool,visit-orange-cyberdefense");
	g_assert_cmpuint(req->notes->len, ==, 2);
}

static void test_activity_unknown(void)
{
	g_autoptr(Request) req = request_parse(campus, NULL, NULL, "Activities: kickoff-meeting, gala dinner\n");
	const RequestProblem *p;

	g_assert_cmpuint(req->problems->len, ==, 1);
	p = g_ptr_array_index(req->problems, 0);
	g_assert_cmpstr(p->code, ==, "unknown-activity");
	g_assert_cmpstr(p->text, ==, "gala dinner");
	g_assert_cmpuint(g_strv_length(p->choices), ==, 3);
}

static void test_commands(void)
{
	static const struct {
		const char *subject, *body;
		RequestCommand command;
	} cases[] = {
		{"Re: CANCEL", "", REQUEST_CANCEL},
		{"TR: annuler mon inscription", "", REQUEST_CANCEL},
		{"Fwd: Re: status", "", REQUEST_STATUS},
		{"Question", "help\n", REQUEST_HELP},
		{"", "\n\nPROGRAMME please\n", REQUEST_PROGRAMME},
		{"aide", "", REQUEST_HELP},
		{"Re: CAMPUS kick-off: invitation", "Name: X\n", REQUEST_FORM},
		{"update", "Diet: none\n", REQUEST_UPDATE},
		{"", "Modifier\nRégime : sans gluten\n", REQUEST_UPDATE},
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(Request) req = request_parse(campus, cases[i].subject, NULL, cases[i].body);

		g_assert_cmpint(req->command, ==, cases[i].command);
	}
}

static void test_quoted_and_signature(void)
{
	g_autoptr(Request) req = request_parse(
		campus, "Re: Invitation", NULL,
		"Name: Ana Popescu\nOrganisation: INATECH SRL\nCountry: RO\nActivities: all\n"
		"-- \nAna Popescu\nCountry: Finland\n");
	g_autoptr(Request) quoted = request_parse(
		campus, "Re: Invitation", NULL,
		"Name: Ana Popescu\n\nOn Mon, 1 Sep 2025, Organiser wrote:\n> Name: ______\n"
		"> Country:\nCountry: FI\n");

	g_assert_cmpstr(req->fields.values[REQUEST_COUNTRY], ==, "RO");
	g_assert_cmpuint(req->fields.activities->len, ==, 5); /* all but the Romanian-only visit */
	g_assert_cmpstr(quoted->fields.values[REQUEST_NAME], ==, "Ana Popescu");
	/* An unquoted line under the quote is an inline answer. */
	g_assert_cmpstr(quoted->fields.values[REQUEST_COUNTRY], ==, "FI");
}

static void test_hygiene(void)
{
	g_autoptr(Request) req = request_parse(campus, NULL, NULL,
					       "Name: Evil\x01\x1b[31m Person\r\nDiet: \t none \n");

	g_assert_cmpstr(req->fields.values[REQUEST_NAME], ==, "Evil [31m Person");
	g_assert_cmpstr(req->fields.values[REQUEST_DIET], ==, "none");
}

static void test_blank_form_lines(void)
{
	g_autoptr(Request) req = request_parse(campus, NULL, NULL,
					       "Name: ________\nRole: ...\nLanguage: français\n");

	g_assert_null(req->fields.values[REQUEST_NAME]);
	g_assert_null(req->fields.values[REQUEST_ROLE]);
	g_assert_cmpstr(req->fields.values[REQUEST_LANGUAGE], ==, "fr");
}

static void test_list_on_lines(void)
{
	g_autoptr(Request) req = request_parse(
		campus, NULL, NULL, "Activities:\n- kickoff-meeting\n- next-steps-workshop\n\nDiet: none\n");
	g_autofree char *acts = joined(req->fields.activities);

	g_assert_cmpstr(acts, ==, "kickoff-meeting,next-steps-workshop");
	g_assert_cmpstr(req->fields.values[REQUEST_DIET], ==, "none");
}

static void test_outlook_header_block(void)
{
	g_autoptr(Request) req = request_parse(
		campus, "RE: Invitation", NULL,
		"Name: Szőke Ildikó\nCountry: HU\n\n________________________________\n"
		"From: CAMPUS kick-off meeting <register@campus.example.org>\n"
		"Sent: Friday, August 29, 2025 4:12 PM\nTo: Szőke Ildikó\n"
		"Subject: Invitation\n\nDays: all\nLanguage: French\n");
	g_autoptr(Request) fr = request_parse(
		campus, "RE: Invitation", NULL,
		"Pays : HU\n\nDe : CAMPUS <register@campus.example.org>\n"
		"Envoyé : vendredi 29 août 2025 16:12\nÀ : Ildikó\nObjet : Invitation\n\n"
		"Jours : tous\n");

	g_assert_cmpstr(req->fields.values[REQUEST_COUNTRY], ==, "HU");
	g_assert_null(req->fields.days);
	g_assert_null(req->fields.values[REQUEST_LANGUAGE]);
	g_assert_cmpstr(fr->fields.values[REQUEST_COUNTRY], ==, "HU");
	g_assert_null(fr->fields.days);
}

static void test_disclaimer(void)
{
	g_autoptr(Request) req = request_parse(
		campus, NULL, NULL,
		"Name: A\n\nCONFIDENTIALITY NOTICE: This e-mail is for the addressee only.\n"
		"Country: Finland\n");

	g_autoptr(Request) starred = request_parse(
		campus, NULL, NULL,
		"Name: B\n*** Avis de confidentialité : ce message est personnel ***\n"
		"Country: Finland\n");

	g_assert_cmpstr(req->fields.values[REQUEST_NAME], ==, "A");
	g_assert_null(req->fields.values[REQUEST_COUNTRY]);
	/* Stars, dashes or spaces before the opening words hide nothing. */
	g_assert_cmpstr(starred->fields.values[REQUEST_NAME], ==, "B");
	g_assert_null(starred->fields.values[REQUEST_COUNTRY]);
}

static void test_inline_answers(void)
{
	g_autoptr(Request) req = request_parse(
		campus, "Re: Invitation", NULL,
		"Hi, my answers are below.\n\nOn 29/08/2025 16:12, CAMPUS wrote:\n"
		"> Please fill in:\n> Name:\nKovács Zoltán\n> Country:\nHungary\n"
		"> Activities: ____\nkickoff-meeting\n> Days: all\n");

	g_assert_cmpstr(req->fields.values[REQUEST_NAME], ==, "Kovács Zoltán");
	g_assert_cmpstr(req->fields.values[REQUEST_COUNTRY], ==, "HU");
	g_assert_cmpuint(req->fields.activities->len, ==, 1);
	/* A quoted line with a value is the invitation's, not the answer. */
	g_assert_null(req->fields.days);
}

static void test_delegation_blocks(void)
{
	g_autoptr(Request) req = request_parse(
		campus, "Delegation", NULL,
		"Country: Romania\nActivities: kickoff-meeting\n\n"
		"Attendee: Ana Popescu <Ana.Popescu@example.ro>\nOrganisation: INATECH SRL\n\n"
		"Participant : Ion Munteanu, ion@example.ro\nActivities: all\n\n"
		"Attendee: nobody at all\n");
	const RequestFields *ana, *ion;
	const RequestProblem *p;

	g_assert_cmpuint(req->people->len, ==, 3);
	ana = g_ptr_array_index(req->people, 0);
	ion = g_ptr_array_index(req->people, 1);
	g_assert_cmpstr(ana->values[REQUEST_NAME], ==, "Ana Popescu");
	g_assert_cmpstr(ana->values[REQUEST_EMAIL], ==, "ana.popescu@example.ro");
	g_assert_cmpstr(ana->values[REQUEST_ORGANISATION], ==, "INATECH SRL");
	g_assert_cmpuint(ana->line, ==, 4);
	g_assert_cmpstr(ion->values[REQUEST_NAME], ==, "Ion Munteanu");
	g_assert_cmpstr(ion->values[REQUEST_EMAIL], ==, "ion@example.ro");
	g_assert_cmpuint(ion->activities->len, ==, 5);
	g_assert_cmpstr(req->fields.values[REQUEST_COUNTRY], ==, "RO");
	g_assert_cmpuint(req->problems->len, ==, 1);
	p = g_ptr_array_index(req->problems, 0);
	g_assert_cmpstr(p->code, ==, "attendee-without-address");
	g_assert_cmpuint(p->line, ==, 10);
}

static void test_plus_detail(void)
{
	g_autoptr(Request) cancel = request_parse(campus, "Question", "cancel", "Sorry!\n");
	g_autoptr(Request) subject_wins = request_parse(campus, "status", "cancel", "");

	g_assert_cmpint(cancel->command, ==, REQUEST_CANCEL);
	g_assert_cmpint(subject_wins->command, ==, REQUEST_STATUS);
}

static void test_countries(void)
{
	static const struct {
		const char *text, *code;
	} cases[] = {{"RO", "RO"}, {"ROU", "RO"}, {"Romania", "RO"}, {"Roumanie", "RO"},
		     {"România", "RO"}, {"Magyarország", "HU"}, {"Hongrie", "HU"},
		     {"Hrvatska", "HR"}, {"Srbija", "RS"}, {"Serbie", "RS"}, {"Suomi", "FI"},
		     {"Italia", "IT"}, {"italie", "IT"}, {"France", "FR"}};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *body = g_strdup_printf("Country: %s\n", cases[i].text);
		g_autoptr(Request) req = request_parse(campus, NULL, NULL, body);

		g_assert_cmpstr(req->fields.values[REQUEST_COUNTRY], ==, cases[i].code);
	}
}

/* Values are cleaned to one line whether plain ASCII (the quick way) or not. */
static void test_clean_line(void)
{
	static const char *const cases[][2] = {
	    {"Ana Popescu", "Ana Popescu"},
	    {"Ana  Popescu", "Ana Popescu"},
	    {" Ana", "Ana"},
	    {"Ana ", "Ana"},
	    {"Ana\tPopescu", "Ana Popescu"},
	    {"Ana\r\nBcc: x@example.org", "Ana Bcc: x@example.org"},
	    {"\xc8\x98tefan\xe2\x80\xa8Ionescu", "\xc8\x98tefan Ionescu"},
	    {"bad \xff byte", "bad \xef\xbf\xbd byte"},
	    {"", ""},
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *clean = text_clean_line(cases[i][0]);

		g_assert_cmpstr(clean, ==, cases[i][1]);
	}
}

int main(int argc, char **argv)
{
	int status;

	g_test_init(&argc, &argv, NULL);
	campus = make_campus();
	g_test_add_func("/request/plain-form", test_plain_form);
	g_test_add_func("/request/french-form", test_french_form);
	g_test_add_func("/request/day-forms", test_day_forms);
	g_test_add_func("/request/unknown-day", test_unknown_day);
	g_test_add_func("/request/activity-typo", test_activity_typo);
	g_test_add_func("/request/activity-unknown", test_activity_unknown);
	g_test_add_func("/request/commands", test_commands);
	g_test_add_func("/request/quoted-and-signature", test_quoted_and_signature);
	g_test_add_func("/request/hygiene", test_hygiene);
	g_test_add_func("/request/blank-form-lines", test_blank_form_lines);
	g_test_add_func("/request/list-on-lines", test_list_on_lines);
	g_test_add_func("/request/outlook-header-block", test_outlook_header_block);
	g_test_add_func("/request/disclaimer", test_disclaimer);
	g_test_add_func("/request/inline-answers", test_inline_answers);
	g_test_add_func("/request/delegation-blocks", test_delegation_blocks);
	g_test_add_func("/request/plus-detail", test_plus_detail);
	g_test_add_func("/request/countries", test_countries);
	g_test_add_func("/request/clean-line", test_clean_line);
	status = g_test_run();
	free_campus(campus);
	return status;
}
