/* SPDX-License-Identifier: ISC */
/* test-request.c: request.c read with strings alone: no file, no store, no
 * clock. The event is built here by hand, as the CAMPUS kick-off. */

#include "autoconfig.h"

#include <stdio.h>
#include <string.h>

#include "campus.h"
#include "request.h"
#include "text.h"

static Config *campus;
static Config *questions; /* the CAMPUS event with questions of its own */

/* Fields an organiser adds, as the configuration would hold them. */
static const char fields_conf[] =
	"field \"tshirt\" {\n"
	"  type = \"choice\"\n"
	"  choices = {\"S\", \"M\", \"L\", \"XL\"}\n"
	"  label = {\"en=T-shirt size\", \"fr=Taille de t-shirt\", \"ro=Mărime tricou\"}\n"
	"  keys = {\"T-shirt\", \"Taille\", \"Tricou\"}\n"
	"}\n"
	"field \"dinner\" {\n"
	"  type = \"yes-no\"\n"
	"  required = true\n"
	"  label = {\"en=Dinner\", \"fr=Dîner\", \"ro=Cină\"}\n"
	"}\n"
	"field \"hotel-night\" {\n"
	"  type = \"date\"\n"
	"  label = {\"en=Hotel night\", \"fr=Nuit d'hôtel\", \"ro=Noapte la hotel\"}\n"
	"}\n"
	"field \"topics\" {\n"
	"  type = \"multi-choice\"\n"
	"  choices = {\"Cloud\", \"OT/ICS\", \"Identity\"}\n"
	"  activities = {\"next-steps-workshop\"}\n"
	"  label = {\"en=Topics\", \"fr=Sujets\", \"ro=Teme\"}\n"
	"}\n"
	"field \"guests\" {\n"
	"  type = \"number\"\n"
	"  label = \"Guests\"\n"
	"}\n";

/* What @f gives field @id, joined with commas; NULL when not given. */
static char *joined_field(const RequestFields *f, const char *id)
{
	const GPtrArray *list = request_fields_get(f, id);
	GString *s;

	if (list == NULL)
		return NULL;
	s = g_string_new(NULL);
	for (guint i = 0; i < list->len; i++)
		g_string_append_printf(s, "%s%s", i ? "," : "", (char *)g_ptr_array_index(list, i));
	return g_string_free(s, FALSE);
}

#define FIELD(req, id) request_fields_text(&(req)->fields, (id))

static void assert_days(const char *value, const char *expected)
{
	g_autofree char *body = g_strdup_printf("Days: %s\n", value);
	g_autoptr(Request) req = request_parse(campus, NULL, NULL, body);
	g_autofree char *got = joined_field(&req->fields, "days");

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
	g_autofree char *acts = joined_field(&req->fields, "activities");

	g_assert_cmpint(req->command, ==, COMMAND_REGISTER);
	g_assert_cmpstr(FIELD(req, "name"), ==, "Ștefan Ionescu");
	g_assert_cmpstr(FIELD(req, "organisation"), ==, "Digital Innovation Zone");
	g_assert_cmpstr(FIELD(req, "country"), ==, "RO");
	g_assert_cmpstr(FIELD(req, "diet"), ==, "vegetarian");
	g_assert_cmpstr(acts, ==, "kickoff-meeting,visit-le-poool");
	g_assert_cmpuint(request_fields_get(&req->fields, "days")->len, ==, 3);
	g_assert_cmpuint(req->problems->len, ==, 0);
	g_assert_cmpstr(req->language, ==, "en");
	g_assert_cmpstr(request_language(req, campus, NULL, NULL), ==, "en");
	/* What is not a form line is kept for a person to read. */
	g_assert_cmpuint(req->prose->len, ==, 3);
}

static void test_french_form(void)
{
	g_autoptr(Request) req = request_parse(
		campus, "Inscription", NULL,
		"Nom : Kovács Zoltán\nOrganisme : Agence régionale\nPays : Hongrie\n"
		"Jours : lundi, mardi\nActivités : réunion des partenaires, Orange\n");
	g_autofree char *acts = joined_field(&req->fields, "activities");
	g_autofree char *days = joined_field(&req->fields, "days");

	g_assert_cmpint(req->command, ==, COMMAND_REGISTER);
	g_assert_cmpstr(request_language(req, campus, "en", NULL), ==, "fr");
	g_assert_cmpstr(FIELD(req, "name"), ==, "Kovács Zoltán");
	g_assert_cmpstr(FIELD(req, "country"), ==, "HU");
	g_assert_cmpstr(acts, ==, "kickoff-meeting,visit-orange-cyberdefense");
	g_assert_cmpstr(days, ==, "2025-09-15,2025-09-16");
}

static void test_romanian_form(void)
{
	g_autoptr(Request) req = request_parse(
		campus, "Înscriere", NULL,
		"Nume: Ana Popescu\nOrganizație: INATECH SRL\nȚara: România\n"
		"Zile: luni, marți\nActivități: kickoff-meeting, Sekoia\nDietă: fără gluten\n");
	g_autofree char *days = joined_field(&req->fields, "days");

	g_assert_cmpint(req->command, ==, COMMAND_REGISTER);
	g_assert_cmpstr(req->language, ==, "ro");
	g_assert_cmpstr(FIELD(req, "organisation"), ==, "INATECH SRL");
	g_assert_cmpstr(FIELD(req, "country"), ==, "RO");
	g_assert_cmpstr(FIELD(req, "diet"), ==, "fără gluten");
	g_assert_cmpstr(days, ==, "2025-09-15,2025-09-16");
	g_assert_cmpuint(req->problems->len, ==, 0);
}

/* A misspelt key is read, with a note, and never decides the language;
 * "Activites" among English keys (French without its accent) does not
 * turn the answer French either. */
static void test_misspelt_key(void)
{
	g_autoptr(Request) req = request_parse(
		campus, NULL, NULL,
		"Name: Matti Virtanen\nOrganisation: VTT\nCountry: Finland\n"
		"Activitis: kickoff-meeting\n");
	g_autoptr(Request) accent = request_parse(
		campus, NULL, NULL,
		"Name: Matti Virtanen\nOrganisation: VTT\nCountry: Finland\n"
		"Activites: kickoff-meeting\n");
	const RequestProblem *note;

	g_assert_cmpuint(req->problems->len, ==, 0);
	g_assert_cmpuint(req->notes->len, ==, 1);
	note = g_ptr_array_index(req->notes, 0);
	g_assert_cmpstr(note->code, ==, "guessed-key");
	g_assert_cmpuint(note->line, ==, 4);
	g_assert_nonnull(request_fields_get(&req->fields, "activities"));
	g_assert_cmpstr(req->language, ==, "en");
	g_assert_cmpstr(request_language(req, campus, "fr", NULL), ==, "en");
	g_assert_nonnull(request_fields_get(&accent->fields, "activities"));
	g_assert_cmpstr(request_language(accent, campus, "fr", NULL), ==, "en");
}

/* Which language answers: the Language line, then most of the words, then
 * the stored language, then Content-Language, then the first. */
static void test_language_choice(void)
{
	g_autoptr(Request) form = request_parse(campus, NULL, NULL, "Langue : roumain\nNom : X\n");
	g_autoptr(Request) neutral = request_parse(campus, NULL, NULL, "Organisation: X\n");
	g_autoptr(Request) empty = request_parse(campus, NULL, NULL, "Thank you!\n");

	g_assert_cmpstr(request_language(form, campus, "en", NULL), ==, "ro");
	/* "Organisation" is English and French alike: nothing leads. */
	g_assert_null(neutral->language);
	g_assert_cmpstr(request_language(neutral, campus, "fr", "en"), ==, "fr");
	g_assert_cmpstr(request_language(empty, campus, NULL, "ro-RO"), ==, "ro");
	g_assert_cmpstr(request_language(empty, campus, "de", "de-DE"), ==, "en");
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
	assert_days("luni și miercuri", "2025-09-15,2025-09-17");
	assert_days("de luni până miercuri", "2025-09-15,2025-09-16,2025-09-17");
	assert_days("on the 16th", "2025-09-16");
}

static void test_unknown_day(void)
{
	g_autoptr(Request) req = request_parse(campus, NULL, NULL, "Name: A\n\nDays: Monday, Thursday\n");
	const RequestProblem *p;
	g_autofree char *text = NULL, *fr = NULL, *ro = NULL;

	g_assert_cmpuint(req->problems->len, ==, 1);
	p = g_ptr_array_index(req->problems, 0);
	g_assert_cmpstr(p->code, ==, "unknown-day");
	g_assert_cmpuint(p->line, ==, 3);
	g_assert_cmpstr(p->text, ==, "Thursday");
	text = request_problem_describe(p, campus, "en");
	g_assert_cmpstr(text, ==,
			"Thursday: no such day; the event runs from Monday 15 September 2025 to "
			"Wednesday 17 September 2025");
	fr = request_problem_describe(p, campus, "fr");
	g_assert_cmpstr(fr, ==,
			"Thursday : ce jour ne fait pas partie de l'événement, qui a lieu du lundi 15 "
			"septembre 2025 au mercredi 17 septembre 2025");
	ro = request_problem_describe(p, campus, "ro");
	g_assert_cmpstr(ro, ==,
			"Thursday: această zi nu face parte din eveniment, care are loc între luni, 15 "
			"septembrie 2025 și miercuri, 17 septembrie 2025");
}

static void test_activity_typo(void)
{
	g_autoptr(Request) req =
		request_parse(campus, NULL, NULL, "Activities: Orange Cyber Defence, visit-le-pool\n");
	g_autofree char *acts = joined_field(&req->fields, "activities");

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

/* "visit" fits several activities as well: a problem naming them all, and
 * no guess. */
static void test_activity_ambiguous(void)
{
	g_autoptr(Request) req = request_parse(campus, NULL, NULL, "Activities: visit\n");
	const RequestProblem *p;

	g_assert_cmpuint(req->problems->len, ==, 1);
	p = g_ptr_array_index(req->problems, 0);
	g_assert_cmpstr(p->code, ==, "ambiguous-activity");
	g_assert_cmpuint(g_strv_length(p->choices), >=, 2);
	g_assert_true(g_strv_contains((const char *const *)p->choices, "visit-le-poool"));
	g_assert_true(g_strv_contains((const char *const *)p->choices, "visit-orange-cyberdefense"));
}

static void test_commands(void)
{
	static const struct {
		const char *subject, *body;
		Command command;
	} cases[] = {
		{"Re: CANCEL", "", COMMAND_CANCEL},
		{"TR: annuler mon inscription", "", COMMAND_CANCEL},
		{"Fwd: Re: status", "", COMMAND_STATUS},
		{"Question", "help\n", COMMAND_HELP},
		{"", "\n\nPROGRAMME please\n", COMMAND_PROGRAMME},
		{"aide", "", COMMAND_HELP},
		{"Re: CAMPUS kick-off: invitation", "Name: X\n", COMMAND_FORM},
		{"update", "Diet: none\n", COMMAND_UPDATE},
		{"", "Modifier\nRégime : sans gluten\n", COMMAND_UPDATE},
		{"Anulare", "", COMMAND_CANCEL},
		{"Răs: stare", "", COMMAND_STATUS},
		/* A form under "Re: Programme" is a form. */
		{"Re: Programme: CAMPUS kick-off meeting", "Diet: vegan\n", COMMAND_FORM},
		{"OUBLIER", "", COMMAND_FORGET},
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

	g_assert_cmpstr(FIELD(req, "country"), ==, "RO");
	/* all but the Romanian-only visit */
	g_assert_cmpuint(request_fields_get(&req->fields, "activities")->len, ==, 5);
	g_assert_cmpstr(FIELD(quoted, "name"), ==, "Ana Popescu");
	/* An unquoted line under the quote is an inline answer. */
	g_assert_cmpstr(FIELD(quoted, "country"), ==, "FI");
}

static void test_hygiene(void)
{
	g_autoptr(Request) req = request_parse(campus, NULL, NULL,
					       "Name: Evil\x01\x1b[31m Person\r\nDiet: \t none \n");

	g_assert_cmpstr(FIELD(req, "name"), ==, "Evil [31m Person");
	g_assert_cmpstr(FIELD(req, "diet"), ==, "none");
}

static void test_blank_form_lines(void)
{
	g_autoptr(Request) req = request_parse(campus, NULL, NULL,
					       "Name: ________\nRole: ...\nLanguage: français\n");

	g_assert_null(FIELD(req, "name"));
	g_assert_null(FIELD(req, "role"));
	g_assert_cmpstr(FIELD(req, "language"), ==, "fr");
}

static void test_list_on_lines(void)
{
	g_autoptr(Request) req = request_parse(
		campus, NULL, NULL, "Activities:\n- kickoff-meeting\n- next-steps-workshop\n\nDiet: none\n");
	g_autofree char *acts = joined_field(&req->fields, "activities");

	g_assert_cmpstr(acts, ==, "kickoff-meeting,next-steps-workshop");
	g_assert_cmpstr(FIELD(req, "diet"), ==, "none");
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
	g_autoptr(Request) ro = request_parse(
		campus, "RE: Invitație", NULL,
		"Țara: RO\n\nDe la: CAMPUS <register@campus.example.org>\n"
		"Trimis: vineri, 29 august 2025 16:12\nCătre: Ana\nSubiect: Invitație\n\n"
		"Zile: toate\n");

	g_assert_cmpstr(FIELD(req, "country"), ==, "HU");
	g_assert_null(request_fields_get(&req->fields, "days"));
	g_assert_null(FIELD(req, "language"));
	g_assert_cmpstr(FIELD(fr, "country"), ==, "HU");
	g_assert_null(request_fields_get(&fr->fields, "days"));
	g_assert_cmpstr(FIELD(ro, "country"), ==, "RO");
	g_assert_null(request_fields_get(&ro->fields, "days"));
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

	g_assert_cmpstr(FIELD(req, "name"), ==, "A");
	g_assert_null(FIELD(req, "country"));
	/* Stars, dashes or spaces before the opening words hide nothing. */
	g_assert_cmpstr(FIELD(starred, "name"), ==, "B");
	g_assert_null(FIELD(starred, "country"));
}

static void test_inline_answers(void)
{
	g_autoptr(Request) req = request_parse(
		campus, "Re: Invitation", NULL,
		"Hi, my answers are below.\n\nOn 29/08/2025 16:12, CAMPUS wrote:\n"
		"> Please fill in:\n> Name:\nKovács Zoltán\n> Country:\nHungary\n"
		"> Activities: ____\nkickoff-meeting\n> Days: all\n");

	g_assert_cmpstr(FIELD(req, "name"), ==, "Kovács Zoltán");
	g_assert_cmpstr(FIELD(req, "country"), ==, "HU");
	g_assert_cmpuint(request_fields_get(&req->fields, "activities")->len, ==, 1);
	/* A quoted line with a value is the invitation's, not the answer. */
	g_assert_null(request_fields_get(&req->fields, "days"));
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
	g_assert_cmpstr(request_fields_text(ana, "name"), ==, "Ana Popescu");
	g_assert_cmpstr(request_fields_text(ana, "email"), ==, "ana.popescu@example.ro");
	g_assert_cmpstr(request_fields_text(ana, "organisation"), ==, "INATECH SRL");
	g_assert_cmpuint(ana->line, ==, 4);
	g_assert_cmpstr(request_fields_text(ion, "name"), ==, "Ion Munteanu");
	g_assert_cmpstr(request_fields_text(ion, "email"), ==, "ion@example.ro");
	g_assert_cmpuint(request_fields_get(ion, "activities")->len, ==, 5);
	g_assert_cmpstr(FIELD(req, "country"), ==, "RO");
	g_assert_cmpuint(req->problems->len, ==, 1);
	p = g_ptr_array_index(req->problems, 0);
	g_assert_cmpstr(p->code, ==, "attendee-without-address");
	g_assert_cmpuint(p->line, ==, 10);
}

static void test_plus_detail(void)
{
	g_autoptr(Request) cancel = request_parse(campus, "Question", "cancel", "Sorry!\n");
	g_autoptr(Request) subject_wins = request_parse(campus, "status", "cancel", "");

	g_assert_cmpint(cancel->command, ==, COMMAND_CANCEL);
	g_assert_cmpint(subject_wins->command, ==, COMMAND_STATUS);
}

static void test_countries(void)
{
	static const struct {
		const char *text, *code;
	} cases[] = {{"RO", "RO"},	    {"ROU", "RO"},	  {"Romania", "RO"},
		     {"Roumanie", "RO"},    {"România", "RO"},	  {"Magyarország", "HU"},
		     {"Hongrie", "HU"},	    {"Hrvatska", "HR"},	  {"Srbija", "RS"},
		     {"Serbie", "RS"},	    {"Suomi", "FI"},	  {"Italia", "IT"},
		     {"italie", "IT"},	    {"France", "FR"},	  {"Ελλάδα", "GR"},
		     {"ΕΛΛΆΔΑ", "GR"},	    {"България", "BG"},	  {"Україна", "UA"},
		     {"Србија", "RS"},	    {"Северна Македонија", "MK"}, {"Германия", "DE"}};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *body = g_strdup_printf("Country: %s\n", cases[i].text);
		g_autoptr(Request) req = request_parse(campus, NULL, NULL, body);

		g_assert_cmpstr(FIELD(req, "country"), ==, cases[i].code);
	}
}

/* Folding meets what people type in any script, never through ASCII. */
static void test_fold(void)
{
	static const char *const cases[][2] = {
	    {"Activités", "activites"},
	    {"  Régime   alimentaire : ", "regime alimentaire"},
	    {"ŞTEFAN Ţară", "stefan tara"},
	    {"Ștefan Țară", "stefan tara"},
	    {"Jääskeläinen", "jaaskelainen"},
	    {"Straße", "strasse"},
	    {"Ελλάδα", "ελλαδα"},
	    {"ΕΛΛΆΔΑ", "ελλαδα"},
	    {"България", "българия"},
	    {"Україна", "украіна"},
	    {"Đorđe", "đorđe"},
	    {"ﬁle", "file"},
	    {"", ""},
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *folded = text_fold(cases[i][0]);

		g_assert_cmpstr(folded, ==, cases[i][1]);
	}
	g_assert_cmpuint(text_distance("ελλαδα", "ελαδα"), ==, 1);
}

/* The organisers' own questions, read with the built-in fields' tolerance. */
static void test_configured_fields(void)
{
	g_autoptr(Request) req = request_parse(
		questions, NULL, NULL,
		"Name: Ana Popescu\nT-shirt: m\nDinner: da\nHotel night: Sunday 14\n"
		"Topics: cloud and identity\nGuests: 2\n");
	g_autoptr(Request) fr = request_parse(
		questions, NULL, NULL, "Nom : Jean\nTaille : XLL\nDîner : oui\nNuit d'hôtel : 14/09\n");
	g_autofree char *topics = joined_field(&req->fields, "topics");
	const RequestProblem *note;

	g_assert_cmpuint(req->problems->len, ==, 0);
	g_assert_cmpstr(FIELD(req, "tshirt"), ==, "M");
	g_assert_cmpstr(FIELD(req, "dinner"), ==, "yes");
	g_assert_cmpstr(FIELD(req, "hotel-night"), ==, "2025-09-14");
	g_assert_cmpstr(topics, ==, "Cloud,Identity");
	g_assert_cmpstr(FIELD(req, "guests"), ==, "2");
	/* A small typo in a choice is read, and said. */
	g_assert_cmpuint(fr->problems->len, ==, 0);
	g_assert_cmpstr(FIELD(fr, "tshirt"), ==, "XL");
	g_assert_cmpuint(fr->notes->len, ==, 1);
	note = g_ptr_array_index(fr->notes, 0);
	g_assert_cmpstr(note->code, ==, "guessed-value");
	g_assert_cmpstr(fr->language, ==, "fr");
	g_assert_cmpstr(FIELD(fr, "hotel-night"), ==, "2025-09-14");
}

static void test_configured_problems(void)
{
	g_autoptr(Request) req = request_parse(questions, NULL, NULL,
					       "T-shirt: XXXL\nDinner: maybe\nHotel night: someday\n"
					       "Guests: a few\n");
	g_autofree char *choice = NULL, *yes_no = NULL, *date = NULL, *ro = NULL;

	g_assert_cmpuint(req->problems->len, ==, 4);
	for (guint i = 0; i < req->problems->len; i++)
		g_assert_cmpstr(((RequestProblem *)g_ptr_array_index(req->problems, i))->code, ==,
				"bad-value");
	choice = request_problem_describe(g_ptr_array_index(req->problems, 0), questions, "en");
	g_assert_cmpstr(choice, ==, "T-shirt size: “XXXL” is not accepted; write one of: S, M, L, XL");
	yes_no = request_problem_describe(g_ptr_array_index(req->problems, 1), questions, "en");
	g_assert_cmpstr(yes_no, ==, "Dinner: “maybe” is not accepted; write yes or no");
	date = request_problem_describe(g_ptr_array_index(req->problems, 2), questions, "en");
	g_assert_cmpstr(date, ==, "Hotel night: “someday” is not accepted; write a date, such as 15/09");
	ro = request_problem_describe(g_ptr_array_index(req->problems, 1), questions, "ro");
	g_assert_cmpstr(ro, ==, "Cină: „maybe” nu este acceptat; scrieți da sau nu");
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
	campus = campus_load("");
	questions = campus_load(fields_conf);
	g_test_add_func("/request/plain-form", test_plain_form);
	g_test_add_func("/request/french-form", test_french_form);
	g_test_add_func("/request/romanian-form", test_romanian_form);
	g_test_add_func("/request/misspelt-key", test_misspelt_key);
	g_test_add_func("/request/language-choice", test_language_choice);
	g_test_add_func("/request/day-forms", test_day_forms);
	g_test_add_func("/request/unknown-day", test_unknown_day);
	g_test_add_func("/request/activity-typo", test_activity_typo);
	g_test_add_func("/request/activity-unknown", test_activity_unknown);
	g_test_add_func("/request/activity-ambiguous", test_activity_ambiguous);
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
	g_test_add_func("/request/fold", test_fold);
	g_test_add_func("/request/configured-fields", test_configured_fields);
	g_test_add_func("/request/configured-problems", test_configured_problems);
	g_test_add_func("/request/clean-line", test_clean_line);
	status = g_test_run();
	config_free(campus);
	config_free(questions);
	return status;
}
