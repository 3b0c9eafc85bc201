/* SPDX-License-Identifier: ISC */
/* grammar.c: folds every word of the languages' data once, into hash
 * tables that reading a message only looks up. It must never hold a word
 * of its own: where a word is missing from a language's file, that is a
 * problem of the file, reported with its line, not something to make up. */

#include "autoconfig.h"

#include "grammar.h"

#include <string.h>

#include "text.h"

static const char *const command_names[COMMAND_N] = {
    [COMMAND_FORM] = "",	       [COMMAND_REGISTER] = "register", [COMMAND_UPDATE] = "update",
    [COMMAND_CANCEL] = "cancel",       [COMMAND_STATUS] = "status",	[COMMAND_PROGRAMME] = "programme",
    [COMMAND_HELP] = "help",	       [COMMAND_CONFIRM] = "confirm",	[COMMAND_FORGET] = "forget",
    [COMMAND_REPORT] = "report",       [COMMAND_EXPORT] = "export",	[COMMAND_BROADCAST] = "broadcast",
};

const char *const grammar_problem_codes[] = {
    "unknown-day",	"unknown-activity", "ambiguous-activity", "guessed-activity",
    "unknown-country",	"unknown-language", "bad-email",	  "bad-value",
    "guessed-value",	"guessed-key",	    "missing-field",	  "not-registered",
    "registration-closed", "overlap",	    "not-eligible",	  "deadline-passed",
    "event-over",	"token-invalid",    "token-expired",	  "attendee-without-address",
    "day-added",	"cancel-unclear",   "withdraw-all",	  "not-held",
    NULL,
};

/* The groups of [words] every language must have. */
static const char *const word_groups[] = {"all", "none", "yes", "no", "and", "from", "to", "filler", "withdraw", NULL};
static const char *const format_names[] = {"day", "span", "moment", "separator", "yes", "no", NULL};
static const char *const status_names[] = {"pending", "confirmed", "cancelled", NULL};

const char *command_name(Command command)
{
	g_return_val_if_fail(command < COMMAND_N, "");
	return command_names[command];
}

/* What a folded word means, and in which languages. */
typedef struct {
	gconstpointer what; /* a Field, a command (GINT_TO_POINTER), a weekday... */
	guint32 langs;
} Meaning;

struct _Grammar {
	guint n_langs;
	GHashTable *keys;     /* folded key → Meaning (Field *) */
	GPtrArray *key_list;  /* of char *: every folded key, for typing slips */
	GHashTable *written;  /* folded key → the key as written (borrowed from the data) */
	GHashTable *attendee; /* folded → Meaning (NULL) */
	GHashTable *commands; /* folded → Meaning (command + 1) */
	guint command_words;
	GHashTable *words;    /* "group/folded" → Meaning (NULL) */
	GHashTable *phrases;  /* group → GPtrArray of char *: its words, folded, " "-padded */
	GHashTable *weekdays; /* folded → Meaning (1 … 7) */
	GHashTable *months;   /* folded → Meaning (1 … 12) */
	char *month_names[13];/* folded full names, for prefixes */
	GHashTable *languages;/* folded → code (borrowed from the Language) */

	GHashTable *prefixes, *header_from, *header_sent, *header_to;
	GPtrArray *separators; /* char *, as written */
	GPtrArray *openers;    /* GStrv: the folded pieces between '*' */
	GPtrArray *disclaimers;/* char *, folded */
	GHashTable *disclaimer_heads; /* the first folded word of each */
	GPtrArray *robot_subjects; /* char *, folded */
};

static Meaning *meaning_new(gconstpointer what, guint32 langs)
{
	Meaning *m = g_new(Meaning, 1);

	m->what = what;
	m->langs = langs;
	return m;
}

static GHashTable *meaning_table(void)
{
	return g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
}

/* Adds @word with @what for language bit @lang to @table. A word already
 * there with the same meaning gains the language; one with another meaning
 * is kept as it was, and FALSE returned. */
static gboolean add_folded(GHashTable *table, char *folded, gconstpointer what, guint32 lang);

static gboolean add_meaning(GHashTable *table, const char *word, gconstpointer what,
			    guint32 lang)
{
	return add_folded(table, text_fold(word), what, lang);
}

/* As add_meaning(), for a word already folded (taken). */
static gboolean add_folded(GHashTable *table, char *word, gconstpointer what, guint32 lang)
{
	g_autofree char *folded = word;
	Meaning *m;

	if (*folded == '\0')
		return TRUE;
	m = g_hash_table_lookup(table, folded);
	if (m == NULL) {
		g_hash_table_insert(table, g_steal_pointer(&folded), meaning_new(what, lang));
		return TRUE;
	}
	if (m->what != what)
		return FALSE;
	m->langs |= lang;
	return TRUE;
}

static GHashTable *folded_set(const Language *mail, const char *group, const char *name)
{
	GHashTable *set = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	const char *const *list = mail != NULL ? lang_list(mail, group, name) : NULL;

	for (guint i = 0; list != NULL && list[i] != NULL; i++)
		g_hash_table_add(set, text_fold(list[i]));
	return set;
}

static GPtrArray *folded_list(const Language *mail, const char *group, const char *name)
{
	GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
	const char *const *list = mail != NULL ? lang_list(mail, group, name) : NULL;

	for (guint i = 0; list != NULL && list[i] != NULL; i++)
		g_ptr_array_add(out, text_fold(list[i]));
	return out;
}

void grammar_free(Grammar *g)
{
	if (g == NULL)
		return;
	g_hash_table_unref(g->keys);
	g_ptr_array_unref(g->key_list);
	g_hash_table_unref(g->written);
	g_hash_table_unref(g->attendee);
	g_hash_table_unref(g->commands);
	g_hash_table_unref(g->words);
	g_hash_table_unref(g->phrases);
	g_hash_table_unref(g->weekdays);
	g_hash_table_unref(g->months);
	for (guint i = 0; i < G_N_ELEMENTS(g->month_names); i++)
		g_free(g->month_names[i]);
	g_hash_table_unref(g->languages);
	g_hash_table_unref(g->prefixes);
	g_hash_table_unref(g->header_from);
	g_hash_table_unref(g->header_sent);
	g_hash_table_unref(g->header_to);
	g_ptr_array_unref(g->separators);
	g_ptr_array_unref(g->openers);
	g_ptr_array_unref(g->disclaimers);
	g_hash_table_unref(g->disclaimer_heads);
	g_ptr_array_unref(g->robot_subjects);
	g_free(g);
}

static void add_problem(GString *problems, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static void add_problem(GString *problems, const char *fmt, ...)
{
	va_list ap;

	if (problems->len > 0)
		g_string_append_c(problems, '\n');
	va_start(ap, fmt);
	g_string_append_vprintf(problems, fmt, ap);
	va_end(ap);
}

/* Every entry a language's data must have for what convene says and reads. */
static void check_language(const Language *l, const GPtrArray *fields, GString *problems)
{
	g_autoptr(GPtrArray) names = g_ptr_array_new();
	g_autoptr(GPtrArray) types = g_ptr_array_new();

	lang_require(l, "language", (const char *const[]){"names"}, 1, problems);
	for (guint i = 0; i < fields->len; i++) {
		const Field *f = g_ptr_array_index(fields, i);
		const char *type = config_field_type_name(f->type);

		if ((f->flags & FIELD_BUILTIN) != 0)
			g_ptr_array_add(names, f->id);
		if ((f->flags & FIELD_WRITABLE) != 0 &&
		    !g_ptr_array_find_with_equal_func(types, type, g_str_equal, NULL))
			g_ptr_array_add(types, (gpointer)type);
	}
	g_ptr_array_add(names, "attendee");
	g_ptr_array_add(names, NULL);
	g_ptr_array_add(types, NULL);
	lang_require(l, "fields", (const char *const *)names->pdata, -1, problems);
	lang_require(l, "types", (const char *const *)types->pdata, -1, problems);
	lang_require(l, "commands", command_names + 1, COMMAND_N - 1, problems);
	lang_require(l, "words", word_groups, -1, problems);
	lang_require(l, "days", lang_weekday_ids, 7, problems);
	lang_require(l, "months", lang_month_ids, 12, problems);
	lang_require(l, "status", status_names, -1, problems);
	lang_require(l, "formats", format_names, -1, problems);
	lang_require(l, "problems", grammar_problem_codes, -1, problems);
}

static void index_language(Grammar *g, const Language *l, guint index, const GPtrArray *fields,
			   GString *problems)
{
	guint32 bit = 1u << index;

	for (guint i = 0; i < fields->len; i++) {
		const Field *f = g_ptr_array_index(fields, i);
		const char *const *keys;

		/* Fields nobody writes are indexed too, so that our own summary
		 * quoted back ("Status: confirmed") is known and passed over. */
		if ((f->flags & FIELD_BUILTIN) == 0)
			continue;
		keys = lang_list(l, "fields", f->id);
		for (guint k = 0; keys != NULL && keys[k] != NULL; k++) {
			g_autofree char *folded = text_fold(keys[k]);

			if (!add_meaning(g->keys, keys[k], f, bit)) {
				const Field *other = ((Meaning *)g_hash_table_lookup(g->keys, folded))->what;

				add_problem(problems, "%s: [fields] %s: '%s' is already a key of %s",
					    lang_file(l), f->id, keys[k], other->id);
			} else if (!g_hash_table_contains(g->written, folded)) {
				g_hash_table_insert(g->written, g_strdup(folded), (gpointer)keys[k]);
			}
		}
	}
	{
		const char *const *keys = lang_list(l, "fields", "attendee");

		for (guint k = 0; keys != NULL && keys[k] != NULL; k++)
			add_meaning(g->attendee, keys[k], NULL, bit);
	}
	for (Command c = COMMAND_REGISTER; c < COMMAND_N; c++) {
		const char *const *words = lang_list(l, "commands", command_names[c]);

		for (guint k = 0; words != NULL && words[k] != NULL; k++) {
			g_autofree char *folded = text_fold(words[k]);
			guint n = 1;

			for (const char *p = folded; *p != '\0'; p++)
				n += *p == ' ';
			g->command_words = MAX(g->command_words, n);
			if (!add_meaning(g->commands, words[k], GINT_TO_POINTER(c + 1), bit))
				add_problem(problems, "%s: [commands] %s: '%s' is already another command",
					    lang_file(l), command_names[c], words[k]);
		}
	}
	for (const char *const *group = lang_names(l, "words"); *group != NULL; group++) {
		const char *const *words = lang_list(l, "words", *group);

		GPtrArray *phrases = g_hash_table_lookup(g->phrases, *group);

		if (phrases == NULL) {
			phrases = g_ptr_array_new_with_free_func(g_free);
			g_hash_table_insert(g->phrases, g_strdup(*group), phrases);
		}
		for (guint k = 0; words != NULL && words[k] != NULL; k++) {
			g_autofree char *folded = text_fold(words[k]);

			if (*folded == '\0')
				continue;
			add_folded(g->words, g_strconcat(*group, "/", folded, NULL), NULL, bit);
			g_ptr_array_add(phrases, g_strconcat(" ", folded, " ", NULL));
		}
	}
	for (int d = 1; d <= 7; d++) {
		const char *const *words = lang_list(l, "days", lang_weekday_ids[d - 1]);

		for (guint k = 0; words != NULL && words[k] != NULL; k++)
			add_meaning(g->weekdays, words[k], GINT_TO_POINTER(d), bit);
	}
	for (int m = 1; m <= 12; m++) {
		const char *const *words = lang_list(l, "months", lang_month_ids[m - 1]);

		for (guint k = 0; words != NULL && words[k] != NULL; k++)
			add_meaning(g->months, words[k], GINT_TO_POINTER(m), bit);
	}
	{
		const char *const *names = lang_list(l, "language", "names");

		add_meaning(g->languages, lang_code(l), lang_code(l), bit);
		for (guint k = 0; names != NULL && names[k] != NULL; k++)
			add_meaning(g->languages, names[k], lang_code(l), bit);
	}
	check_language(l, fields, problems);
}

/* A configured field's keys and labels, in whatever language they are. */
static void index_configured(Grammar *g, const GPtrArray *langs, const Field *f,
			     const char *config_file, GString *problems)
{
	g_autoptr(GPtrArray) words = g_ptr_array_new();
	g_autoptr(GArray) bits = g_array_new(FALSE, TRUE, sizeof(guint32));
	GHashTableIter it;
	gpointer code, label;

	for (guint k = 0; f->keys[k] != NULL; k++) {
		guint32 none = 0;

		g_ptr_array_add(words, f->keys[k]);
		g_array_append_val(bits, none);
	}
	g_hash_table_iter_init(&it, f->labels);
	while (g_hash_table_iter_next(&it, &code, &label)) {
		guint32 bit = 0;

		for (guint i = 0; i < langs->len; i++)
			if (strcmp(lang_code(g_ptr_array_index(langs, i)), code) == 0)
				bit = 1u << i;
		g_ptr_array_add(words, label);
		g_array_append_val(bits, bit);
	}
	g_ptr_array_add(words, f->id);
	g_array_append_val(bits, (guint32){0});
	for (guint k = 0; k < words->len; k++) {
		const char *word = g_ptr_array_index(words, k);
		g_autofree char *folded = text_fold(word);

		if (!add_meaning(g->keys, word, f, g_array_index(bits, guint32, k))) {
			const Field *other = ((Meaning *)g_hash_table_lookup(g->keys, folded))->what;

			add_problem(problems, "%s:%d: field \"%s\": '%s' is already a key of %s",
				    config_file, f->line, f->id, word, other->id);
		} else if (!g_hash_table_contains(g->written, folded)) {
			g_hash_table_insert(g->written, g_strdup(folded), (gpointer)word);
		}
	}
}

static void index_mail(Grammar *g, const Language *mail)
{
	const char *const *separators = mail != NULL ? lang_list(mail, "quoting", "separators") : NULL;
	const char *const *openers = mail != NULL ? lang_list(mail, "quoting", "openers") : NULL;
	g_autoptr(GPtrArray) disclaimers = folded_list(mail, "disclaimers", "openings");

	g->prefixes = folded_set(mail, "subject", "prefixes");
	g->header_from = folded_set(mail, "quoting", "from");
	g->header_sent = folded_set(mail, "quoting", "sent");
	g->header_to = folded_set(mail, "quoting", "to");
	g->separators = g_ptr_array_new_with_free_func(g_free);
	for (guint i = 0; separators != NULL && separators[i] != NULL; i++)
		g_ptr_array_add(g->separators, g_strdup(separators[i]));
	g->openers = g_ptr_array_new_with_free_func((GDestroyNotify)g_strfreev);
	for (guint i = 0; openers != NULL && openers[i] != NULL; i++) {
		g_auto(GStrv) pieces = g_strsplit(openers[i], "*", -1);
		GStrv folded = g_new0(char *, g_strv_length(pieces) + 1);

		for (guint k = 0; pieces[k] != NULL; k++)
			folded[k] = text_fold(pieces[k]);
		g_ptr_array_add(g->openers, folded);
	}
	g->disclaimers = g_ptr_array_new_with_free_func(g_free);
	g->disclaimer_heads = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	for (guint i = 0; i < disclaimers->len; i++) {
		const char *d = g_ptr_array_index(disclaimers, i);

		g_hash_table_add(g->disclaimer_heads, g_strndup(d, strcspn(d, " ")));
		g_ptr_array_add(g->disclaimers, g_strdup(d));
	}
	g->robot_subjects = folded_list(mail, "robots", "subjects");
	/* The yes and no that partners write in their own languages. */
	for (guint k = 0; k < 2; k++) {
		const char *group = k == 0 ? "yes" : "no";
		const char *const *words = mail != NULL ? lang_list(mail, "words", group) : NULL;

		for (guint i = 0; words != NULL && words[i] != NULL; i++) {
			g_autofree char *folded = text_fold(words[i]);

			if (*folded != '\0')
				add_folded(g->words, g_strconcat(group, "/", folded, NULL), NULL, 0);
		}
	}
}

Grammar *grammar_new(const GPtrArray *langs, const Language *mail, const GPtrArray *fields,
		     const char *config_file, GString *problems)
{
	Grammar *g = g_new0(Grammar, 1);
	GHashTableIter it;
	gpointer key;

	g_return_val_if_fail(langs->len <= 32, NULL);
	g->n_langs = langs->len;
	g->keys = meaning_table();
	g->written = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	g->attendee = meaning_table();
	g->commands = meaning_table();
	g->words = meaning_table();
	g->phrases = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					   (GDestroyNotify)g_ptr_array_unref);
	g->weekdays = meaning_table();
	g->months = meaning_table();
	g->languages = meaning_table();
	for (guint i = 0; i < langs->len; i++)
		index_language(g, g_ptr_array_index(langs, i), i, fields, problems);
	for (guint i = 0; i < fields->len; i++) {
		const Field *f = g_ptr_array_index(fields, i);

		if ((f->flags & FIELD_BUILTIN) == 0)
			index_configured(g, langs, f, config_file, problems);
	}
	g->key_list = g_ptr_array_new_with_free_func(g_free);
	g_hash_table_iter_init(&it, g->keys);
	while (g_hash_table_iter_next(&it, &key, NULL))
		g_ptr_array_add(g->key_list, g_strdup(key));
	for (int m = 1; m <= 12 && langs->len > 0; m++) {
		GString *names = g_string_new(NULL);

		for (guint i = 0; i < langs->len; i++) {
			g_autofree char *folded =
			    text_fold(lang_month(g_ptr_array_index(langs, i), m));

			g_string_append_printf(names, "|%s", folded);
		}
		g_string_append_c(names, '|');
		g->month_names[m] = g_string_free(names, FALSE);
	}
	index_mail(g, mail);
	return g;
}

guint grammar_n_languages(const Grammar *g)
{
	return g->n_langs;
}

static gconstpointer lookup(GHashTable *table, const char *folded, guint32 *langs)
{
	const Meaning *m = g_hash_table_lookup(table, folded);

	if (langs != NULL)
		*langs = m != NULL ? m->langs : 0;
	return m != NULL ? m->what : NULL;
}

const Field *grammar_field(const Grammar *g, const char *folded, guint32 *langs)
{
	return lookup(g->keys, folded, langs);
}

const Field *grammar_field_near(const Grammar *g, const char *folded, const char **key)
{
	const Field *found = NULL;
	const char *found_key = NULL;
	glong len = g_utf8_strlen(folded, -1);

	/* Short keys are too easily one another ("day", "date"). */
	if (len < 5)
		return NULL;
	for (guint i = 0; i < g->key_list->len; i++) {
		const char *k = g_ptr_array_index(g->key_list, i);
		glong klen = g_utf8_strlen(k, -1);
		const Field *f;

		if (ABS(klen - len) > 2 || text_distance(folded, k) > (len >= 8 ? 2u : 1u))
			continue;
		f = lookup(g->keys, k, NULL);
		if (found != NULL && found != f)
			return NULL;
		found = f;
		found_key = k;
	}
	if (found != NULL && key != NULL)
		*key = g_hash_table_lookup(g->written, found_key);
	return found;
}

gboolean grammar_attendee_key(const Grammar *g, const char *folded, guint32 *langs)
{
	const Meaning *m = g_hash_table_lookup(g->attendee, folded);
	const char *space;

	/* "Attendee 2" */
	if (m == NULL && (space = strrchr(folded, ' ')) != NULL &&
	    space[1 + strspn(space + 1, "0123456789")] == '\0' && space[1] != '\0') {
		g_autofree char *head = g_strndup(folded, space - folded);

		m = g_hash_table_lookup(g->attendee, head);
	}
	if (langs != NULL)
		*langs = m != NULL ? m->langs : 0;
	return m != NULL;
}

gboolean grammar_command(const Grammar *g, const char *folded, Command *command, guint32 *langs)
{
	gconstpointer c = lookup(g->commands, folded, langs);

	if (c == NULL)
		return FALSE;
	*command = GPOINTER_TO_INT(c) - 1;
	return TRUE;
}

guint grammar_command_words(const Grammar *g)
{
	return g->command_words;
}

gboolean grammar_word(const Grammar *g, const char *group, const char *folded, guint32 *langs)
{
	g_autofree char *key = g_strconcat(group, "/", folded, NULL);
	const Meaning *m = g_hash_table_lookup(g->words, key);

	if (langs != NULL)
		*langs = m != NULL ? m->langs : 0;
	return m != NULL;
}

gboolean grammar_contains(const Grammar *g, const char *group, const char *folded)
{
	GPtrArray *phrases = g_hash_table_lookup(g->phrases, group);
	g_autofree char *padded = g_strconcat(" ", folded, " ", NULL);

	for (guint i = 0; phrases != NULL && i < phrases->len; i++)
		if (strstr(padded, g_ptr_array_index(phrases, i)) != NULL)
			return TRUE;
	return FALSE;
}

int grammar_weekday(const Grammar *g, const char *folded, guint32 *langs)
{
	return GPOINTER_TO_INT(lookup(g->weekdays, folded, langs));
}

int grammar_month(const Grammar *g, const char *folded, guint32 *langs)
{
	int m = GPOINTER_TO_INT(lookup(g->months, folded, langs));

	if (m != 0 || g_utf8_strlen(folded, -1) < 3)
		return m;
	/* "sept", "febr": the start of a month's name. */
	for (int i = 1; i <= 12; i++) {
		g_autofree char *needle = g_strconcat("|", folded, NULL);

		if (g->month_names[i] != NULL && strstr(g->month_names[i], needle) != NULL)
			return i;
	}
	return 0;
}

const char *grammar_language(const Grammar *g, const char *folded)
{
	return lookup(g->languages, folded, NULL);
}

gboolean grammar_subject_prefix(const Grammar *g, const char *folded_word)
{
	return g_hash_table_contains(g->prefixes, folded_word);
}

gboolean grammar_quote_separator(const Grammar *g, const char *line)
{
	/* Every separator is a row of dashes and words: most lines are not. */
	if (line[0] != '-')
		return FALSE;
	for (guint i = 0; i < g->separators->len; i++)
		if (g_str_has_prefix(line, g_ptr_array_index(g->separators, i)))
			return TRUE;
	return FALSE;
}

/* TRUE when @folded starts with @pieces[0], ends with the last piece, and
 * holds those between in order: "on * wrote" against "on mon 15 ana wrote". */
static gboolean pieces_match(const char *folded, const char *const *pieces)
{
	guint n = g_strv_length((char **)pieces);
	const char *p = folded;
	gsize len = strlen(folded);

	if (n == 0)
		return FALSE;
	if (!g_str_has_prefix(folded, pieces[0]))
		return FALSE;
	if (n == 1)
		return strcmp(folded, pieces[0]) == 0;
	if (!g_str_has_suffix(folded, pieces[n - 1]) ||
	    len < strlen(pieces[0]) + strlen(pieces[n - 1]))
		return FALSE;
	p += strlen(pieces[0]);
	for (guint i = 1; i + 1 < n; i++) {
		const char *at = *pieces[i] != '\0' ? strstr(p, pieces[i]) : p;

		if (at == NULL || at + strlen(pieces[i]) > folded + len - strlen(pieces[n - 1]))
			return FALSE;
		p = at + strlen(pieces[i]);
	}
	return TRUE;
}

gboolean grammar_quote_opener(const Grammar *g, const char *line)
{
	g_autofree char *folded = NULL;
	gsize len = strlen(line);

	/* Every opener ends a line with a colon: most lines are turned down
	 * without being folded. */
	if (len < 6 || line[len - 1] != ':')
		return FALSE;
	folded = text_fold(line);
	for (guint i = 0; i < g->openers->len; i++)
		if (pieces_match(folded, g_ptr_array_index(g->openers, i)))
			return TRUE;
	return FALSE;
}

gboolean grammar_header_key(const Grammar *g, const char *group, const char *folded_key)
{
	GHashTable *set = strcmp(group, "from") == 0   ? g->header_from
			  : strcmp(group, "sent") == 0 ? g->header_sent
						       : g->header_to;

	return g_hash_table_contains(set, folded_key);
}

gboolean grammar_disclaimer(const Grammar *g, const char *line)
{
	const char *p = line;
	g_autofree char *head = NULL, *folded = NULL;
	gsize n;

	while (*p != '\0' && (guchar)*p < 0x80 && !g_ascii_isalnum(*p))
		p++;
	n = strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ");
	/* The first word decides, most lines being turned down without folding. */
	if ((guchar)p[n] < 0x80) {
		head = g_ascii_strdown(p, n);
		if (!g_hash_table_contains(g->disclaimer_heads, head))
			return FALSE;
	}
	folded = text_fold(line);
	for (guint i = 0; i < g->disclaimers->len; i++)
		if (g_str_has_prefix(folded, g_ptr_array_index(g->disclaimers, i)))
			return TRUE;
	return FALSE;
}

gboolean grammar_robot_subject(const Grammar *g, const char *subject)
{
	g_autofree char *folded = text_fold(subject);

	for (guint i = 0; i < g->robot_subjects->len; i++)
		if (strstr(folded, g_ptr_array_index(g->robot_subjects, i)) != NULL)
			return TRUE;
	return FALSE;
}
