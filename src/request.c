/* SPDX-License-Identifier: ISC */
/* request.c: the text of an email into a structured request. Pure: it reads
 * only its arguments and the event's configuration, never the store, the
 * clock or the network, and it never fails: what it cannot read becomes a
 * problem with the line it came from. */

#include "autoconfig.h"

#include "request.h"

#include <string.h>

#include "attendee.h"
#include "country.h"
#include "text.h"

/* Longest value kept from one field; longer ones are cut (names, diets). */
#define REQUEST_MAX_VALUE 300

typedef struct {
	RequestField field;
	const char *name;      /* contract name */
	const char *label_en;
	const char *label_fr;
	const char *keys;      /* folded keys people write, '|'-separated */
	const char *keys_fr;   /* those only French speakers write */
} FieldInfo;

static const FieldInfo fields[] = {
	{REQUEST_NAME, "name", "Name", "Nom", "name|full name|your name", "nom|nom complet|prenom nom"},
	{REQUEST_EMAIL, "email", "Email", "Courriel", "email|e mail|mail", "courriel|adresse electronique"},
	{REQUEST_ORGANISATION, "organisation", "Organisation", "Organisme",
	 "organisation|organization|company|institution|affiliation", "organisme|structure|entreprise|societe"},
	{REQUEST_COUNTRY, "country", "Country", "Pays", "country", "pays"},
	{REQUEST_ROLE, "role", "Role", "Fonction", "role|position|job title|title", "fonction|poste"},
	{REQUEST_DAYS, "days", "Days", "Jours", "days|dates|day", "jours|jour"},
	{REQUEST_ACTIVITIES, "activities", "Activities", "Activités",
	 "activities|activity|visits|visit|sessions|session", "activites|activite|visites"},
	{REQUEST_DIET, "diet", "Diet", "Régime",
	 "diet|dietary requirements|dietary needs|dietary restrictions|food",
	 "regime|regime alimentaire|alimentation"},
	{REQUEST_ACCESSIBILITY, "accessibility", "Accessibility", "Accessibilité",
	 "accessibility|access needs|accessibility needs", "accessibilite|besoins d accessibilite"},
	{REQUEST_ARRIVAL, "arrival", "Arrival", "Arrivée", "arrival|arriving", "arrivee"},
	{REQUEST_DEPARTURE, "departure", "Departure", "Départ", "departure|leaving", "depart"},
	{REQUEST_LANGUAGE, "language", "Language", "Langue", "language", "langue"},
	{REQUEST_DELEGATION, "delegation", "Delegation", "Délégation", "delegation", ""},
};

typedef struct {
	RequestCommand command;
	const char *words;     /* folded, '|'-separated */
	const char *words_fr;
} CommandInfo;

static const CommandInfo commands[] = {
	{REQUEST_REGISTER, "register|registration|sign up|signup", "inscription|inscrire|m inscrire"},
	{REQUEST_UPDATE, "update|change|modify", "modifier|modification|mise a jour"},
	{REQUEST_CANCEL, "cancel|cancellation|unregister", "annuler|annulation|desinscription"},
	{REQUEST_STATUS, "status", "statut|etat"},
	{REQUEST_PROGRAMME, "programme|program|agenda|schedule", "programme du jour"},
	{REQUEST_HELP, "help", "aide|formulaire"},
	{REQUEST_CONFIRM, "confirm", "confirmer|confirmation"},
	{REQUEST_REPORT, "report|digest", "rapport|bilan"},
	{REQUEST_EXPORT, "export", "exporter|exportation"},
	{REQUEST_BROADCAST, "broadcast", "diffuser|diffusion"},
};

void request_add_problem(GPtrArray *list, guint line, const char *code, const char *text,
			 const char *const *choices)
{
	RequestProblem *p = g_new0(RequestProblem, 1);

	p->line = line;
	p->code = g_strdup(code);
	p->text = text_clean_line(text);
	p->choices = choices != NULL ? g_strdupv((char **)choices) : g_new0(char *, 1);
	g_ptr_array_add(list, p);
}

static void problem_free(gpointer data)
{
	RequestProblem *p = data;

	g_free(p->code);
	g_free(p->text);
	g_strfreev(p->choices);
	g_free(p);
}

static void fields_clear(RequestFields *f)
{
	for (int i = 0; i < REQUEST_N_FIELDS; i++)
		g_clear_pointer(&f->values[i], g_free);
	g_clear_pointer(&f->days, g_ptr_array_unref);
	g_clear_pointer(&f->activities, g_ptr_array_unref);
}

static void person_free(gpointer data)
{
	fields_clear(data);
	g_free(data);
}

void request_free(Request *req)
{
	if (req == NULL)
		return;
	g_free(req->argument);
	fields_clear(&req->fields);
	g_ptr_array_unref(req->people);
	g_ptr_array_unref(req->problems);
	g_ptr_array_unref(req->notes);
	g_free(req);
}

const char *request_field_name(RequestField field)
{
	g_return_val_if_fail(field < REQUEST_N_FIELDS, "");
	return fields[field].name;
}

const char *request_field_label(RequestField field, const char *lang)
{
	g_return_val_if_fail(field < REQUEST_N_FIELDS, "");
	return g_strcmp0(lang, "fr") == 0 ? fields[field].label_fr : fields[field].label_en;
}

/* Returns TRUE if @folded is one of the '|'-separated @words. */
/* Returns TRUE if @folded is one of the words of @words ("a|b c|d"). */
static gboolean word_in(const char *folded, const char *words)
{
	size_t len = strlen(folded);

	if (len == 0)
		return FALSE;
	for (const char *w = words; *w != '\0';) {
		const char *bar = strchr(w, '|');
		size_t n = bar != NULL ? (size_t)(bar - w) : strlen(w);

		if (n == len && memcmp(w, folded, len) == 0)
			return TRUE;
		if (bar == NULL)
			break;
		w = bar + 1;
	}
	return FALSE;
}

/* The field a key names; @folded: the key, text_fold()ed. */
static const FieldInfo *field_for_key(const char *folded, gboolean *french)
{
	for (guint i = 0; i < G_N_ELEMENTS(fields); i++) {
		if (word_in(folded, fields[i].keys)) {
			*french = FALSE;
			return &fields[i];
		}
		if (word_in(folded, fields[i].keys_fr)) {
			*french = TRUE;
			return &fields[i];
		}
	}
	return NULL;
}

/* Returns what follows the first @n words of @text, as written (an address
 * keeps its '@'), cleaned; NULL when nothing does. Words are runs of
 * letters and digits, as text_fold() counts them. */
static char *raw_after_words(const char *text, guint n)
{
	const char *p = text;
	g_autofree char *rest = NULL;

	for (guint w = 0; w < n && *p != '\0'; w++) {
		while (*p != '\0' && !g_unichar_isalnum(g_utf8_get_char(p)))
			p = g_utf8_next_char(p);
		while (*p != '\0' && g_unichar_isalnum(g_utf8_get_char(p)))
			p = g_utf8_next_char(p);
	}
	p += strspn(p, " \t:;,.-");
	rest = text_clean_line(p);
	return *rest != '\0' ? g_steal_pointer(&rest) : NULL;
}

/* Reads a command from the start of @text ("Re: CANCEL", "confirm abc"). On
 * success sets *@command, *@french, and *@arg to what follows the word. */
static gboolean read_command(const char *text, RequestCommand *command, gboolean *french,
			     char **arg)
{
	g_autofree char *folded = text_fold(text);
	g_auto(GStrv) words = g_strsplit(folded, " ", -1);
	guint start = 0, n = g_strv_length(words);
	static const char *const prefixes = "re|aw|tr|fwd|fw|wg|rv|sv|ref";

	while (start < n && word_in(words[start], prefixes))
		start++;
	/* A command is one or two words ("sign up", "mise a jour"). */
	for (guint len = MIN(3, n - start); len >= 1 && start < n; len--) {
		GString *s = g_string_new(NULL);

		for (guint i = start; i < start + len; i++)
			g_string_append_printf(s, "%s%s", i > start ? " " : "", words[i]);
		for (guint c = 0; c < G_N_ELEMENTS(commands); c++) {
			gboolean en = word_in(s->str, commands[c].words);

			if (en || word_in(s->str, commands[c].words_fr)) {
				*command = commands[c].command;
				*french = !en;
				if (arg != NULL)
					*arg = raw_after_words(text, start + len);
				g_string_free(s, TRUE);
				return TRUE;
			}
		}
		g_string_free(s, TRUE);
	}
	return FALSE;
}

/* The lines that begin what someone quoted rather than wrote. */
/* @t: the line without surrounding white space. */
static gboolean starts_quoted_original(const char *t)
{
	gsize len = strlen(t);

	/* Every opening below starts with one of these. */
	if (*t != '-' && *t != 'O' && *t != 'L')
		return FALSE;

	if (g_str_has_prefix(t, "-----Original Message-----") ||
	    g_str_has_prefix(t, "-----Message d'origine-----") ||
	    g_str_has_prefix(t, "-------- Original Message --------") ||
	    g_str_has_prefix(t, "-------- Message original --------") ||
	    g_str_has_prefix(t, "---------- Forwarded message") ||
	    g_str_has_prefix(t, "-------- Message transféré --------"))
		return TRUE;
	if (g_str_has_prefix(t, "On ") && len > 6 && g_str_has_suffix(t, "wrote:"))
		return TRUE;
	if (g_str_has_prefix(t, "Le ") && (g_str_has_suffix(t, "a écrit :") ||
					   g_str_has_suffix(t, "a écrit:")))
		return TRUE;
	return FALSE;
}

/* --- days ---------------------------------------------------------------- */

static const char *const weekday_abbrevs[] = {"mon|lun", "tue|tues|mar", "wed|mer",
					      "thu|thur|thurs|jeu", "fri|ven", "sat|sam",
					      "sun|dim"};

/* The names of weekdays (1 to 7) and months (1 to 12), folded, in English
 * and French: folded once, as every date someone writes is read against
 * them. */
typedef struct {
	char *weekday[8][2];
	char *month[13][2];
} FoldedNames;

static const FoldedNames *folded_names(void)
{
	static FoldedNames names;
	static gsize done;

	if (g_once_init_enter(&done)) {
		static const char *const langs[2] = {"en", "fr"};

		for (guint l = 0; l < 2; l++) {
			for (int d = 1; d <= 7; d++)
				names.weekday[d][l] = text_fold(text_weekday_name(d, langs[l]));
			for (int m = 1; m <= 12; m++)
				names.month[m][l] = text_fold(text_month_name(m, langs[l]));
		}
		g_once_init_leave(&done, 1);
	}
	return &names;
}

static int fold_weekday(const char *w)
{
	const FoldedNames *names = folded_names();

	for (int d = 1; d <= 7; d++)
		if (strcmp(w, names->weekday[d][0]) == 0 || strcmp(w, names->weekday[d][1]) == 0 ||
		    word_in(w, weekday_abbrevs[d - 1]))
			return d;
	return 0;
}

static int fold_month(const char *w)
{
	const FoldedNames *names = folded_names();

	for (int m = 1; m <= 12; m++) {
		const char *en = names->month[m][0], *fr = names->month[m][1];

		if (strcmp(w, en) == 0 || strcmp(w, fr) == 0 ||
		    (strlen(w) >= 3 && (g_str_has_prefix(en, w) || g_str_has_prefix(fr, w))))
			return m;
	}
	return 0;
}

static gboolean is_all(const char *folded)
{
	return word_in(folded, "all|all days|every day|everything|whole event|all three days|"
			       "tous|toutes|tous les jours|tout|les trois jours");
}

/* Returns the index in cfg->days of the one declared day that @item names,
 * or -1. Words and numbers are read as constraints: weekday, day of month,
 * month (day before month, as Europe writes), year. */
static int resolve_day(const Config *cfg, const char *item)
{
	g_autofree char *folded = text_fold(item);
	g_auto(GStrv) words = g_strsplit(folded, " ", -1);
	int weekday = 0, mday = 0, month = 0, year = 0, found = -1;

	if (*folded == '\0')
		return -1;
	for (char **w = words; *w != NULL; w++) {
		int v;

		if (g_ascii_isdigit(**w)) {
			char *end;
			guint64 n = g_ascii_strtoull(*w, &end, 10);

			/* "15th", "1er", "2nd" */
			if (*end != '\0' && !word_in(end, "st|nd|rd|th|er|e|eme"))
				return -1;
			if (strlen(*w) == 4 && n >= 1900)
				year = (int)n;
			else if (mday == 0 && year == 0 && n >= 1 && n <= 31)
				mday = (int)n;
			else if (mday == 0 && year != 0 && month != 0 && n >= 1 && n <= 31)
				mday = (int)n; /* 2025 09 15 */
			else if (month == 0 && n >= 1 && n <= 12)
				month = (int)n;
			else
				return -1;
		} else if ((v = fold_weekday(*w)) != 0 && weekday == 0) {
			weekday = v;
		} else if ((v = fold_month(*w)) != 0 && month == 0) {
			month = v;
		} else if (!word_in(*w, "the|of|le|du|on|day|jour")) {
			return -1;
		}
	}
	for (guint i = 0; i < cfg->days->len; i++) {
		const ConfigDay *d = g_ptr_array_index(cfg->days, i);

		if ((weekday && g_date_get_weekday(&d->gdate) != (GDateWeekday)weekday) ||
		    (mday && g_date_get_day(&d->gdate) != mday) ||
		    (month && g_date_get_month(&d->gdate) != (GDateMonth)month) ||
		    (year && g_date_get_year(&d->gdate) != year))
			continue;
		if (found >= 0)
			return -1; /* "Monday" when the event has two Mondays */
		found = (int)i;
	}
	return found;
}

/* Splits a list value on commas, semicolons, "and"/"et", "&" and "+". */
static GStrv split_list(const char *value)
{
	static GRegex *separators;
	GRegex *re = text_regex(&separators, "\\s*(?:[,;&+\\n]|\\band\\b|\\bet\\b)\\s*",
				G_REGEX_CASELESS);
	g_auto(GStrv) parts = g_regex_split(re, value, 0);
	GPtrArray *out = g_ptr_array_new();

	for (char **p = parts; *p != NULL; p++) {
		g_autofree char *t = g_strstrip(g_strdup(*p));

		/* bullets of a list written one item per line */
		while (*t == '-' || *t == '*' || g_str_has_prefix(t, "•")) {
			char *rest = g_strdup(t + (*t == '-' || *t == '*' ? 1 : strlen("•")));

			g_free(t);
			t = g_strstrip(rest);
		}
		if (*t != '\0')
			g_ptr_array_add(out, g_steal_pointer(&t));
	}
	g_ptr_array_add(out, NULL);
	return (GStrv)g_ptr_array_free(out, FALSE);
}

static void add_day(GPtrArray *days, const ConfigDay *d)
{
	if (!attendee_list_has(days, d->date))
		g_ptr_array_add(days, g_strdup(d->date));
}

static int compare_str(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static GStrv day_choices(const Config *cfg)
{
	GStrv out = g_new0(char *, cfg->days->len + 1);

	for (guint i = 0; i < cfg->days->len; i++)
		out[i] = g_strdup(((ConfigDay *)g_ptr_array_index(cfg->days, i))->date);
	return out;
}

static GPtrArray *parse_days(const Config *cfg, const char *value, guint line, Request *req)
{
	g_auto(GStrv) items = split_list(value);
	static GRegex *range_re;
	GRegex *range = text_regex(&range_re,
				   "^(.+?)\\s*(?:-|–|—|\\bto\\b|\\buntil\\b|\\bau\\b|"
				   "\\bjusqu'au\\b)\\s*(.+)$",
				   G_REGEX_CASELESS);
	GPtrArray *days = g_ptr_array_new_with_free_func(g_free);

	for (char **item = items; *item != NULL; item++) {
		g_autofree char *folded = text_fold(*item);
		g_autoptr(GMatchInfo) m = NULL;
		int one;

		if (is_all(folded)) {
			for (guint i = 0; i < cfg->days->len; i++)
				add_day(days, g_ptr_array_index(cfg->days, i));
			continue;
		}
		one = resolve_day(cfg, *item);
		if (one >= 0) {
			add_day(days, g_ptr_array_index(cfg->days, one));
			continue;
		}
		if (g_regex_match(range, *item, 0, &m)) {
			g_autofree char *from = g_match_info_fetch(m, 1);
			g_autofree char *to = g_match_info_fetch(m, 2);
			const char *lead = g_str_has_prefix(from, "du ") || g_str_has_prefix(from, "from ")
						   ? strchr(from, ' ') + 1
						   : from;
			int a = resolve_day(cfg, lead), b = resolve_day(cfg, to);

			if (a >= 0 && b >= a) {
				for (int i = a; i <= b; i++)
					add_day(days, g_ptr_array_index(cfg->days, i));
				continue;
			}
		}
		{
			g_auto(GStrv) choices = day_choices(cfg);

			request_add_problem(req->problems, line, "unknown-day", *item,
					    (const char *const *)choices);
		}
	}
	g_ptr_array_sort(days, compare_str);
	return days;
}

/* --- activities ------------------------------------------------------------ */

static guint edit_distance(const char *a, const char *b)
{
	gsize la = MIN(strlen(a), 120), lb = MIN(strlen(b), 120);
	guint row[121];

	for (gsize j = 0; j <= lb; j++)
		row[j] = (guint)j;
	for (gsize i = 1; i <= la; i++) {
		guint diag = row[0];

		row[0] = (guint)i;
		for (gsize j = 1; j <= lb; j++) {
			guint up = row[j];
			guint cost = a[i - 1] == b[j - 1] ? 0 : 1;

			row[j] = MIN(MIN(row[j] + 1, row[j - 1] + 1), diag + cost);
			diag = up;
		}
	}
	return row[lb];
}

/* Returns TRUE if @item (folded) is @a's id, title or one of its aliases. */
/* @a's names (id, title, aliases) are compared folded, as the
 * configuration keeps them (a->folded). */
static gboolean activity_named(const ConfigActivity *a, const char *item)
{
	return g_strv_contains((const char *const *)a->folded, item);
}

/* Returns how far @item is from activity @a: 0 for its id, title or an
 * alias, else the smallest edit distance to any of them. */
static guint activity_distance(const ConfigActivity *a, const char *item)
{
	guint best = G_MAXUINT;

	for (char **name = a->folded; *name != NULL; name++)
		best = MIN(best, edit_distance(item, *name));
	return best;
}

/* Returns TRUE if one of @a's names of four letters or more stands as
 * whole words inside @item ("visit to orange cyberdefense"). */
static gboolean activity_named_within(const ConfigActivity *a, const char *item)
{
	g_autofree char *padded = g_strconcat(" ", item, " ", NULL);

	for (char **name = a->folded; *name != NULL; name++) {
		g_autofree char *needle = g_strconcat(" ", *name, " ", NULL);

		if (strlen(*name) >= 4 && strstr(padded, needle) != NULL)
			return TRUE;
	}
	return FALSE;
}

static GPtrArray *parse_activities(const Config *cfg, const char *value, guint line,
				   Request *req)
{
	g_auto(GStrv) items = split_list(value);
	g_autofree gboolean *chosen = g_new0(gboolean, cfg->activities->len);
	GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
	guint n = cfg->activities->len;
	g_autofree char *whole = text_fold(value);

	/* A title may hold commas ("Inria, Cyberschool, IRISA"): try it whole. */
	for (guint i = 0; i < n; i++) {
		if (activity_named(g_ptr_array_index(cfg->activities, i), whole)) {
			g_ptr_array_add(out, g_strdup(((ConfigActivity *)g_ptr_array_index(
							       cfg->activities, i))->id));
			return out;
		}
	}
	for (char **item = items; *item != NULL; item++) {
		g_autofree char *folded = text_fold(*item);
		g_autofree guint *dist = g_new0(guint, n);
		int best = -1, second = -1, within = -1, n_within = 0;

		if (is_all(folded)) {
			for (guint i = 0; i < n; i++) {
				const ConfigActivity *a = g_ptr_array_index(cfg->activities, i);

				chosen[i] = chosen[i] || g_strv_length(a->countries) == 0;
			}
			continue;
		}
		/* Most people write ids or titles as they are: no distances then. */
		for (guint i = 0; i < n && best < 0; i++)
			if (activity_named(g_ptr_array_index(cfg->activities, i), folded))
				best = (int)i;
		if (best >= 0) {
			chosen[best] = TRUE;
			continue;
		}
		for (guint i = 0; i < n; i++) {
			dist[i] = activity_distance(g_ptr_array_index(cfg->activities, i), folded);
			if (best < 0 || dist[i] < dist[best]) {
				second = best;
				best = (int)i;
			} else if (second < 0 || dist[i] < dist[second]) {
				second = (int)i;
			}
			if (activity_named_within(g_ptr_array_index(cfg->activities, i), folded)) {
				within = (int)i;
				n_within++;
			}
		}
		if (best >= 0 && dist[best] == 0) {
			chosen[best] = TRUE;
			continue;
		}
		if (n_within == 1) {
			const ConfigActivity *a = g_ptr_array_index(cfg->activities, within);
			const char *choice[] = {a->id, NULL};

			chosen[within] = TRUE;
			request_add_problem(req->notes, line, "guessed-activity", *item, choice);
			continue;
		}
		/* A typo: close to one activity, clearly closer than to any other. */
		if (best >= 0 && dist[best] <= MAX(2u, (guint)strlen(folded) / 5) &&
		    (second < 0 || dist[second] > dist[best] + 1)) {
			const ConfigActivity *a = g_ptr_array_index(cfg->activities, best);
			const char *choice[] = {a->id, NULL};

			chosen[best] = TRUE;
			request_add_problem(req->notes, line, "guessed-activity", *item, choice);
			continue;
		}
		{
			/* Not understood: offer the three closest ids. */
			const char *choice[4] = {NULL};
			g_autofree gboolean *used = g_new0(gboolean, n);

			for (guint k = 0; k < MIN(3u, n); k++) {
				int pick = -1;

				for (guint i = 0; i < n; i++)
					if (!used[i] && (pick < 0 || dist[i] < dist[pick]))
						pick = (int)i;
				used[pick] = TRUE;
				choice[k] = ((ConfigActivity *)g_ptr_array_index(cfg->activities,
										 pick))->id;
			}
			request_add_problem(req->problems, line, "unknown-activity", *item, choice);
		}
	}
	for (guint i = 0; i < n; i++)
		if (chosen[i])
			g_ptr_array_add(out, g_strdup(((ConfigActivity *)g_ptr_array_index(
							       cfg->activities, i))->id));
	return out;
}

/* --- other values ------------------------------------------------------------ */

static const char *parse_language(const Config *cfg, const char *value)
{
	g_autofree char *folded = text_fold(value);
	const char *code = NULL;

	if (word_in(folded, "en|eng|english|anglais|in english"))
		code = "en";
	else if (word_in(folded, "fr|fra|fre|french|francais|en francais"))
		code = "fr";
	return code != NULL && config_has_language(cfg, code) ? code : NULL;
}

static gboolean plausible_email(const char *s)
{
	const char *at = strchr(s, '@');

	return at != NULL && at != s && at[1] != '\0' && strchr(at + 1, '@') == NULL &&
	       strchr(at + 1, '.') != NULL && strpbrk(s, " <>,;\"") == NULL;
}

static char *clean_value(const char *value)
{
	char *clean = text_clean_line(value);

	if (g_utf8_strlen(clean, -1) > REQUEST_MAX_VALUE) {
		char *cut = g_utf8_substring(clean, 0, REQUEST_MAX_VALUE);

		g_free(clean);
		clean = cut;
	}
	return clean;
}

static void set_value(const Config *cfg, Request *req, RequestFields *to, RequestField field,
		      const char *raw, guint line)
{
	g_autofree char *value = clean_value(raw);

	/* An invitation's blank to fill in ("Name: ________") is not a value. */
	if (value[strspn(value, "_.-… ")] == '\0')
		return;
	switch (field) {
	case REQUEST_DAYS:
		if (to->days != NULL)
			g_ptr_array_unref(to->days);
		to->days = parse_days(cfg, raw, line, req);
		return;
	case REQUEST_ACTIVITIES:
		if (to->activities != NULL)
			g_ptr_array_unref(to->activities);
		to->activities = parse_activities(cfg, raw, line, req);
		return;
	case REQUEST_COUNTRY: {
		const char *code = country_lookup(value);

		if (code == NULL) {
			request_add_problem(req->problems, line, "unknown-country", value, NULL);
			return;
		}
		g_free(to->values[field]);
		to->values[field] = g_strdup(code);
		return;
	}
	case REQUEST_LANGUAGE: {
		const char *code = parse_language(cfg, value);

		if (code == NULL) {
			request_add_problem(req->problems, line, "unknown-language", value,
					    (const char *const *)cfg->languages);
			return;
		}
		g_free(to->values[field]);
		to->values[field] = g_strdup(code);
		return;
	}
	case REQUEST_EMAIL: {
		g_autofree char *addr = g_ascii_strdown(value, -1);

		if (g_str_has_prefix(addr, "mailto:"))
			memmove(addr, addr + 7, strlen(addr + 7) + 1);
		if (!plausible_email(addr)) {
			request_add_problem(req->problems, line, "bad-email", value, NULL);
			return;
		}
		g_free(to->values[field]);
		to->values[field] = g_steal_pointer(&addr);
		return;
	}
	default:
		g_free(to->values[field]);
		to->values[field] = g_steal_pointer(&value);
		return;
	}
}

/* A list field written with its items on the following lines:
 *   Activities:
 *   - kickoff-meeting
 *   - visit-le-poool
 * Returns those lines joined by newlines and advances *@i past them. */
static char *gather_list_lines(char **lines, guint *i)
{
	GString *items = g_string_new(NULL);

	while (lines[*i + 1] != NULL) {
		g_autofree char *t = g_strstrip(g_strdup(lines[*i + 1]));

		if (*t == '\0' || strchr(t, ':') != NULL)
			break;
		g_string_append_printf(items, "%s\n", t);
		(*i)++;
	}
	return g_string_free(items, FALSE);
}

/* The first line of an Outlook-style header block of a quoted original:
 * "From:"/"De :"/"Von:" followed within a few lines by its "Sent:" (or
 * "Date:") and "To:" or "Subject:" lines. */
static gboolean starts_header_block(char **lines, guint i)
{
	static const char *const from = "from|de|von|da|od|felado";
	static const char *const sent = "sent|date|envoye|gesendet|datum|inviato|poslano|kuldve";
	static const char *const to = "to|subject|a|objet|an|betreff|oggetto|cc|targy|predmet";
	gboolean has_sent = FALSE, has_to = FALSE;

	for (guint k = i; lines[k] != NULL && k < i + 6; k++) {
		const char *colon = strchr(lines[k], ':');
		g_autofree char *raw = NULL, *key = NULL;

		if (colon == NULL || colon - lines[k] > 30) {
			if (k == i)
				return FALSE;
			continue;
		}
		/* The opening key is a short word starting with one of these
		 * letters: most lines are turned down without being folded. */
		if (k == i) {
			const char *p = lines[k];

			while (p < colon && (guchar)*p < 0x80 && !g_ascii_isalnum(*p))
				p++;
			if (colon - p > 8 || strchr("dDfFoOvV", *p) == NULL)
				return FALSE;
		}
		raw = g_strndup(lines[k], colon - lines[k]);
		key = text_fold(raw);
		if (k == i && !word_in(key, from))
			return FALSE;
		has_sent = has_sent || word_in(key, sent);
		has_to = has_to || word_in(key, to);
	}
	return has_sent && has_to;
}

/* Legal disclaimers and their like: nothing after them is a form. */
static gboolean starts_disclaimer(const char *line)
{
	static const char *const openings[] = {
		"confidentiality notice", "confidential", "disclaimer", "this e mail and any",
		"this email and any", "this message and any", "this e mail is confidential",
		"this email is confidential", "the information contained in this",
		"this message contains confidential", "ce message et toutes les pieces",
		"ce message et ses pieces jointes", "ce courriel et", "ce message est confidentiel",
		"avertissement", "avis de confidentialite", "please consider the environment",
		"pensez a l environnement"};
	g_autofree char *folded = NULL;
	const char *p = line;

	/* Every opening starts with one of these: most lines, form lines
	 * among them, are turned down without being folded. */
	static const char *const starts = "avi|ave|ce |con|dis|pen|ple|the|thi";
	char head[4] = {0};

	while (*p != '\0' && (guchar)*p < 0x80 && !g_ascii_isalnum(*p))
		p++;
	for (guint k = 0; k < 3 && (guchar)p[k] < 0x80 && p[k] != '\0'; k++)
		head[k] = g_ascii_tolower(p[k]);
	if (strlen(head) == 3 && !word_in(head, starts))
		return FALSE;
	folded = text_fold(line);
	for (guint i = 0; i < G_N_ELEMENTS(openings); i++)
		if (g_str_has_prefix(folded, openings[i]))
			return TRUE;
	return FALSE;
}

/* Reads "Ana Popescu <ana@example.ro>" (or "Ana Popescu, ana@…", "ana@…
 * (Ana Popescu)") into a person's name and address, cleaned as every value
 * is: the address goes into headers and the store. */
static void read_attendee(RequestFields *person, const char *raw)
{
	static GRegex *address;
	GRegex *re = text_regex(&address, "[^\\s<>(),;:\"]+@[^\\s<>(),;:\"]+\\.[^\\s<>(),;:\"]+", 0);
	g_autofree char *value = clean_value(raw);
	g_autoptr(GMatchInfo) m = NULL;
	g_autofree char *addr = NULL;
	GString *name;
	int start, end;

	if (!g_regex_match(re, value, 0, &m))
		return;
	addr = g_match_info_fetch(m, 0);
	g_match_info_fetch_pos(m, 0, &start, &end);
	name = g_string_new_len(value, start);
	g_string_append(name, value + end);
	g_strdelimit(name->str, "<>(),;\"", ' ');
	person->values[REQUEST_EMAIL] = g_ascii_strdown(addr, -1);
	person->values[REQUEST_NAME] = text_clean_line(name->str);
	/* "Ana Popescu - ana@…" */
	while (g_str_has_suffix(person->values[REQUEST_NAME], " -") ||
	       g_str_has_suffix(person->values[REQUEST_NAME], " –"))
		*strrchr(person->values[REQUEST_NAME], ' ') = '\0';
	if (*person->values[REQUEST_NAME] == '\0')
		g_clear_pointer(&person->values[REQUEST_NAME], g_free);
	g_string_free(name, TRUE);
}

/* @folded: the key, text_fold()ed. */
static gboolean is_attendee_key(const char *folded)
{
	static GRegex *attendee;
	GRegex *re = text_regex(&attendee,
				"^(attendee|participant|participante|delegate|"
				"person|personne|delegue|deleguee)( [0-9]+)?$",
				0);

	return g_regex_match(re, folded, 0, NULL);
}

/* Where the lines being read belong. */
typedef enum {
	READ_OWN,      /* the person's own text */
	READ_INLINE,   /* after "On … wrote:": only unquoted lines are theirs */
} ReadMode;

Request *request_parse(const Config *cfg, const char *subject, const char *detail,
		       const char *body)
{
	Request *req = g_new0(Request, 1);
	g_auto(GStrv) lines = g_strsplit(body != NULL ? body : "", "\n", -1);
	RequestFields *target = &req->fields;
	const FieldInfo *pending = NULL; /* a quoted "> Key:" awaiting an inline answer */
	gboolean french = FALSE, command_seen;
	gboolean first_line = TRUE;
	ReadMode mode = READ_OWN;

	req->people = g_ptr_array_new_with_free_func(person_free);
	req->problems = g_ptr_array_new_with_free_func(problem_free);
	req->notes = g_ptr_array_new_with_free_func(problem_free);
	req->command = REQUEST_FORM;
	command_seen = subject != NULL &&
		       read_command(subject, &req->command, &req->french, &req->argument);
	if (!command_seen && detail != NULL) {
		gboolean fr = FALSE;

		command_seen = read_command(detail, &req->command, &fr, NULL);
		req->french = req->french || (command_seen && fr);
	}

	for (guint i = 0; lines[i] != NULL; i++) {
		const char *line = lines[i];
		g_autofree char *trimmed = g_strstrip(g_strdup(line));
		const char *colon;
		const FieldInfo *f;

		if (strcmp(line, "-- ") == 0 || strcmp(line, "--") == 0 ||
		    starts_disclaimer(trimmed) || starts_header_block(lines, i))
			break;
		if (starts_quoted_original(trimmed)) {
			/* What follows is theirs only where it is not quoted. */
			mode = READ_INLINE;
			continue;
		}
		if (*trimmed == '>') {
			g_autofree char *inner = g_strstrip(g_strdup(trimmed + strspn(trimmed, "> ")));

			colon = strchr(inner, ':');
			pending = NULL;
			if (mode == READ_INLINE && colon != NULL && colon - inner <= 40) {
				g_autofree char *key = g_strndup(inner, colon - inner);
				g_autofree char *folded = text_fold(key);
				g_autofree char *value = g_strstrip(g_strdup(colon + 1));

				if (value[strspn(value, "_.-… ")] == '\0')
					pending = field_for_key(folded, &french);
			}
			continue;
		}
		if (*trimmed == '\0')
			continue;
		colon = strchr(trimmed, ':');
		if (colon != NULL && colon - trimmed <= 40) {
			g_autofree char *key = g_strndup(trimmed, colon - trimmed);
			g_autofree char *folded = text_fold(key);
			g_autofree char *value = g_strstrip(g_strdup(colon + 1));

			if (is_attendee_key(folded)) {
				RequestFields *person = g_new0(RequestFields, 1);

				person->line = i + 1;
				read_attendee(person, value);
				if (person->values[REQUEST_EMAIL] == NULL)
					request_add_problem(req->problems, i + 1,
							    "attendee-without-address", value, NULL);
				g_ptr_array_add(req->people, person);
				target = person;
				first_line = FALSE;
				pending = NULL;
				continue;
			}
			f = field_for_key(folded, &french);
			if (f != NULL) {
				guint at = i + 1;

				req->french = req->french || french;
				if (*value == '\0' &&
				    (f->field == REQUEST_DAYS || f->field == REQUEST_ACTIVITIES)) {
					g_free(value);
					value = gather_list_lines(lines, &i);
				}
				set_value(cfg, req, target, f->field, value, at);
				first_line = FALSE;
				pending = NULL;
				continue;
			}
		}
		if (pending != NULL) {
			/* The answer typed under a quoted "> Key:" of the invitation. */
			req->french = req->french || french;
			set_value(cfg, req, target, pending->field, trimmed, i + 1);
			pending = NULL;
			first_line = FALSE;
			continue;
		}
		if (first_line && !command_seen) {
			gboolean fr = FALSE;

			if (read_command(trimmed, &req->command, &fr, &req->argument)) {
				req->command_line = i + 1;
				command_seen = TRUE;
				req->french = req->french || fr;
			}
		}
		first_line = FALSE;
	}
	return req;
}

const char *request_language(const Request *req, const Config *cfg)
{
	if (req->fields.values[REQUEST_LANGUAGE] != NULL)
		return req->fields.values[REQUEST_LANGUAGE];
	if (req->french && config_has_language(cfg, "fr"))
		return "fr";
	return cfg->languages[0];
}

/* --- describing problems ------------------------------------------------------ */

static char *event_span(const Config *cfg, const char *lang)
{
	const ConfigDay *first = g_ptr_array_index(cfg->days, 0);
	const ConfigDay *last = g_ptr_array_index(cfg->days, cfg->days->len - 1);
	g_autofree char *a = text_day_label(first->date, lang);
	g_autofree char *b = text_day_label(last->date, lang);

	if (cfg->days->len == 1)
		return g_steal_pointer(&a);
	return g_strdup_printf(g_strcmp0(lang, "fr") == 0 ? "du %s au %s" : "from %s to %s", a, b);
}

char *request_problem_describe(const RequestProblem *p, const Config *cfg, const char *lang)
{
	gboolean fr = g_strcmp0(lang, "fr") == 0;
	g_autofree char *choices = g_strjoinv(", ", p->choices);

	if (strcmp(p->code, "unknown-day") == 0) {
		g_autofree char *span = event_span(cfg, lang);

		return g_strdup_printf(fr ? "%s : ce jour ne fait pas partie de l'événement, qui a lieu %s"
					  : "%s: no such day; the event runs %s",
				       p->text, span);
	}
	if (strcmp(p->code, "unknown-activity") == 0)
		return g_strdup_printf(fr ? "%s : activité inconnue ; les plus proches sont : %s"
					  : "%s: no such activity; the closest are: %s",
				       p->text, choices);
	if (strcmp(p->code, "guessed-activity") == 0)
		return g_strdup_printf(fr ? "%s : compris comme %s" : "%s: understood as %s",
				       p->text, choices);
	if (strcmp(p->code, "unknown-country") == 0)
		return g_strdup_printf(fr ? "%s : pays inconnu ; écrivez son nom ou son code ISO (RO, FR, HU…)"
					  : "%s: unknown country; write its name or ISO code (RO, FR, HU…)",
				       p->text);
	if (strcmp(p->code, "unknown-language") == 0)
		return g_strdup_printf(fr ? "%s : langue non prise en charge ; au choix : %s"
					  : "%s: language not offered; choose one of: %s",
				       p->text, choices);
	if (strcmp(p->code, "bad-email") == 0)
		return g_strdup_printf(fr ? "%s : adresse électronique invalide"
					  : "%s: not an email address",
				       p->text);
	if (strcmp(p->code, "missing-field") == 0)
		return g_strdup_printf(fr ? "%s : champ obligatoire manquant" : "%s: missing, and needed",
				       p->text);
	if (strcmp(p->code, "not-registered") == 0)
		return g_strdup_printf(fr ? "%s n'est pas inscrit(e) : écrivez d'abord le formulaire d'inscription"
					  : "%s is not registered: send the registration form first",
				       p->text);
	if (strcmp(p->code, "registration-closed") == 0)
		return g_strdup_printf(fr ? "les inscriptions à %s sont closes"
					  : "registration for %s is closed",
				       p->text);
	if (strcmp(p->code, "overlap") == 0 && g_strv_length(p->choices) == 2) {
		g_autofree char *day = text_day_label(p->text, lang);

		return g_strdup_printf(fr ? "%s et %s ont lieu en même temps (%s) : choisissez l'une des deux"
					  : "%s and %s take place at the same time (%s): choose one",
				       p->choices[0], p->choices[1], day);
	}
	if (strcmp(p->code, "not-eligible") == 0)
		return g_strdup_printf(fr ? "%s : réservé aux participants de : %s ; le reste de votre inscription est maintenu"
					  : "%s: open to participants from %s only; the rest of your registration stands",
				       p->text, choices);
	if (strcmp(p->code, "deadline-passed") == 0)
		return g_strdup_printf(fr ? "la date limite d'inscription à %s est passée ; écrivez aux organisateurs"
					  : "the registration deadline for %s has passed; please write to the organisers",
				       p->text);
	if (strcmp(p->code, "event-over") == 0)
		return g_strdup_printf(fr ? "%s est terminé" : "%s is over", p->text);
	if (strcmp(p->code, "token-invalid") == 0)
		return g_strdup(fr ? "cette confirmation ne correspond à aucune demande en attente de votre adresse (déjà utilisée ?)"
				   : "this confirmation matches no request waiting for your address (already used?)");
	if (strcmp(p->code, "token-expired") == 0)
		return g_strdup(fr ? "cette demande de confirmation a expiré : envoyez de nouveau votre message"
				   : "this confirmation request has expired: please send your message again");
	if (strcmp(p->code, "attendee-without-address") == 0)
		return g_strdup_printf(fr ? "%s : il manque l'adresse électronique (Participant : Nom <adresse>)"
					  : "%s: no email address (Attendee: Name <address>)",
				       p->text);
	if (strcmp(p->code, "day-added") == 0)
		return g_strdup_printf(fr ? "%s : jour ajouté pour %s" : "%s: day added for %s",
				       p->text, choices);
	return g_strdup_printf("%s: %s", p->text, p->code);
}
