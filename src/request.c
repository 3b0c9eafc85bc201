/* SPDX-License-Identifier: ISC */
/* request.c: the text of an email into a structured request. Pure: it reads
 * only its arguments and the event's configuration, never the store, the
 * clock or the network, and it never fails: what it cannot read becomes a
 * problem with the line it came from. Every word it knows comes from the
 * configured languages through the grammar; every field from the field
 * table. */

#include "autoconfig.h"

#include "request.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "address.h"
#include "country.h"
#include "lang.h"
#include "message.h"
#include "text.h"

/* Longest value kept from one field; longer ones are cut (names, diets). */
#define REQUEST_MAX_VALUE 300
#define REQUEST_MAX_LONG_VALUE 2000
/* At most this many of a person's own lines are kept for a person to read. */
#define REQUEST_MAX_PROSE 40

/* --- problems ------------------------------------------------------------- */

void request_add_field_problem(GPtrArray *list, guint line, const char *code, const char *field,
			       const char *text, const char *const *choices)
{
	RequestProblem *p = g_new0(RequestProblem, 1);

	p->line = line;
	p->code = g_strdup(code);
	p->text = text_clean_line(text);
	p->choices = choices != NULL ? g_strdupv((char **)choices) : g_new0(char *, 1);
	p->field = g_strdup(field);
	g_ptr_array_add(list, p);
}

void request_add_problem(GPtrArray *list, guint line, const char *code, const char *text,
			 const char *const *choices)
{
	request_add_field_problem(list, line, code, NULL, text, choices);
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

/* --- fields given ----------------------------------------------------------- */

static void fields_init(RequestFields *f)
{
	f->values = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					  (GDestroyNotify)g_ptr_array_unref);
	f->lines = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
}

static void fields_clear(RequestFields *f)
{
	g_clear_pointer(&f->values, g_hash_table_unref);
	g_clear_pointer(&f->lines, g_hash_table_unref);
}

static void person_free(gpointer data)
{
	fields_clear(data);
	g_free(data);
}

/* Sets field @id of @f to @values (taken). */
static void fields_put(RequestFields *f, const char *id, GPtrArray *values, guint line)
{
	g_hash_table_replace(f->values, g_strdup(id), values);
	g_hash_table_replace(f->lines, g_strdup(id), GUINT_TO_POINTER(line));
}

static void fields_put_text(RequestFields *f, const char *id, char *value, guint line)
{
	GPtrArray *values = g_ptr_array_new_with_free_func(g_free);

	g_ptr_array_add(values, value);
	fields_put(f, id, values, line);
}

const GPtrArray *request_fields_get(const RequestFields *f, const char *id)
{
	return g_hash_table_lookup(f->values, id);
}

const char *request_fields_text(const RequestFields *f, const char *id)
{
	const GPtrArray *values = request_fields_get(f, id);

	return values != NULL && values->len > 0 ? g_ptr_array_index(values, 0) : NULL;
}

gboolean request_fields_empty(const RequestFields *f)
{
	return g_hash_table_size(f->values) == 0;
}

void request_as_delegation(Request *req)
{
	RequestFields *person = g_new(RequestFields, 1);

	*person = req->fields;
	person->line = GPOINTER_TO_UINT(g_hash_table_lookup(person->lines, "email"));
	fields_init(&req->fields);
	g_ptr_array_add(req->people, person);
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
	g_ptr_array_unref(req->prose);
	g_ptr_array_unref(req->withdraw);
	g_ptr_array_unref(req->withdraw_days);
	g_free(req->withdraw_text);
	g_free(req);
}

/* --- reading ------------------------------------------------------------------ */

/* What is being read, and the languages its words are in. */
typedef struct {
	const Config *cfg;
	const Grammar *g;
	Request *req;
	guint *votes; /* by language, as grammar.h numbers them */
} Reader;

static void vote(Reader *rd, guint32 langs)
{
	for (guint i = 0; i < grammar_n_languages(rd->g); i++)
		if ((langs & (1u << i)) != 0)
			rd->votes[i]++;
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
		while (*p != '\0' && (g_unichar_isalnum(g_utf8_get_char(p)) ||
				      g_unichar_ismark(g_utf8_get_char(p))))
			p = g_utf8_next_char(p);
	}
	p += strspn(p, " \t:;,.-");
	rest = text_clean_line(p);
	return *rest != '\0' ? g_steal_pointer(&rest) : NULL;
}

/* Reads a command from the start of @text ("Re: CANCEL", "confirm abc"). On
 * success sets *@command, votes for its languages, and sets *@arg (when
 * not NULL) to what follows the word. */
static gboolean read_command(Reader *rd, const char *text, Command *command, char **arg)
{
	g_autofree char *folded = text_fold(text);
	g_auto(GStrv) words = g_strsplit(folded, " ", -1);
	guint start = 0, n = g_strv_length(words);

	while (start < n && grammar_subject_prefix(rd->g, words[start]))
		start++;
	/* A command is one word or a few ("sign up", "mise a jour"). */
	for (guint len = MIN(grammar_command_words(rd->g), n - start); len >= 1 && start < n;
	     len--) {
		g_autofree char *phrase = NULL;
		char *saved = words[start + len];
		guint32 langs;

		words[start + len] = NULL;
		phrase = g_strjoinv(" ", words + start);
		words[start + len] = saved;
		if (grammar_command(rd->g, phrase, command, &langs)) {
			vote(rd, langs);
			if (arg != NULL)
				*arg = raw_after_words(text, start + len);
			return TRUE;
		}
	}
	return FALSE;
}

/* The first line of an Outlook-style header block of a quoted original:
 * a "From:" key followed within a few lines by a "Sent:" and a "To:". */
static gboolean starts_header_block(const Reader *rd, char **lines, guint i)
{
	gboolean has_sent = FALSE, has_to = FALSE;

	for (guint k = i; lines[k] != NULL && k < i + 6; k++) {
		const char *colon = strchr(lines[k], ':');
		g_autofree char *raw = NULL, *key = NULL;

		if (colon == NULL || colon - lines[k] > 30) {
			if (k == i)
				return FALSE;
			continue;
		}
		raw = g_strndup(lines[k], colon - lines[k]);
		key = text_fold(raw);
		if (k == i && !grammar_header_key(rd->g, "from", key))
			return FALSE;
		has_sent = has_sent || grammar_header_key(rd->g, "sent", key);
		has_to = has_to || grammar_header_key(rd->g, "to", key);
	}
	return has_sent && has_to;
}

/* --- lists and days ------------------------------------------------------------ */

/* Splits a list value on commas, semicolons, "&", "+", line ends and the
 * languages' words for "and"; bullets of a list written one item per line
 * go. Items keep their words as written. */
static GStrv split_list(const Reader *rd, const char *value)
{
	g_auto(GStrv) parts = g_strsplit_set(value, ",;&+\n", -1);
	GPtrArray *out = g_ptr_array_new();

	for (char **p = parts; *p != NULL; p++) {
		g_auto(GStrv) words = g_strsplit_set(*p, " \t", -1);
		GString *item = g_string_new(NULL);

		for (char **w = words;; w++) {
			g_autofree char *folded = *w != NULL ? text_fold(*w) : NULL;

			if (*w == NULL || (*folded != '\0' && grammar_word(rd->g, "and", folded, NULL))) {
				char *t = g_strstrip(g_strdup(item->str));

				/* bullets of a list written one item per line */
				while (*t == '-' || *t == '*' || g_str_has_prefix(t, "•")) {
					char *rest = g_strdup(t + (*t == '-' || *t == '*' ? 1 : strlen("•")));

					g_free(t);
					t = g_strstrip(rest);
				}
				if (*t != '\0')
					g_ptr_array_add(out, t);
				else
					g_free(t);
				g_string_truncate(item, 0);
				if (*w == NULL)
					break;
				continue;
			}
			if (**w == '\0')
				continue;
			g_string_append_printf(item, "%s%s", item->len > 0 ? " " : "", *w);
		}
		g_string_free(item, TRUE);
	}
	g_ptr_array_add(out, NULL);
	return (GStrv)g_ptr_array_free(out, FALSE);
}

/* A date as people write it, read as constraints: weekday, day of month,
 * month (day before month, as Europe writes), year. */
typedef struct {
	int weekday, mday, month, year;
} DateParts;

/* Reads @folded into @d; FALSE for a word that is no part of a date. */
static gboolean read_date_parts(const Reader *rd, const char *folded, DateParts *d)
{
	g_auto(GStrv) words = g_strsplit(folded, " ", -1);

	memset(d, 0, sizeof *d);
	if (*folded == '\0')
		return FALSE;
	for (char **w = words; *w != NULL; w++) {
		int v;

		if (g_ascii_isdigit(**w)) {
			char *end;
			guint64 n = g_ascii_strtoull(*w, &end, 10);

			/* "15th", "1er", "2nd" */
			if (*end != '\0' && !grammar_word(rd->g, "ordinals", end, NULL))
				return FALSE;
			if (end - *w == 4 && n >= 1900)
				d->year = (int)n;
			else if (d->mday == 0 && d->year == 0 && n >= 1 && n <= 31)
				d->mday = (int)n;
			else if (d->mday == 0 && d->year != 0 && d->month != 0 && n >= 1 && n <= 31)
				d->mday = (int)n; /* 2025 09 15 */
			else if (d->month == 0 && n >= 1 && n <= 12)
				d->month = (int)n;
			else
				return FALSE;
		} else if (d->weekday == 0 && (v = grammar_weekday(rd->g, *w, NULL)) != 0) {
			d->weekday = v;
		} else if (d->month == 0 && (v = grammar_month(rd->g, *w, NULL)) != 0) {
			d->month = v;
		} else if (!grammar_word(rd->g, "filler", *w, NULL)) {
			return FALSE;
		}
	}
	return TRUE;
}

static gboolean date_fits(const GDate *date, const DateParts *d)
{
	return (d->weekday == 0 || g_date_get_weekday(date) == (GDateWeekday)d->weekday) &&
	       (d->mday == 0 || g_date_get_day(date) == d->mday) &&
	       (d->month == 0 || g_date_get_month(date) == (GDateMonth)d->month) &&
	       (d->year == 0 || g_date_get_year(date) == d->year);
}

/* Returns the index in cfg->days of the one declared day that @item
 * names, or -1 ("Monday" when the event has two Mondays names none). */
static int resolve_day(const Reader *rd, const char *item)
{
	g_autofree char *folded = text_fold(item);
	DateParts d;
	int found = -1;

	if (!read_date_parts(rd, folded, &d))
		return -1;
	for (guint i = 0; i < rd->cfg->days->len; i++) {
		const ConfigDay *day = g_ptr_array_index(rd->cfg->days, i);

		if (!date_fits(&day->gdate, &d))
			continue;
		if (found >= 0)
			return -1;
		found = (int)i;
	}
	return found;
}

/* Reads "Mon-Wed", "15 - 17", "Monday to Wednesday", "du 15 au 17": sets
 * *@from and *@to to indexes in cfg->days. */
static gboolean resolve_range(const Reader *rd, const char *item, int *from, int *to)
{
	g_autofree char *folded = NULL;
	const char *dash = NULL;

	/* A dash between the two ends: the first one that splits the item
	 * into two days. */
	for (const char *p = item; *p != '\0'; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);

		if (c == '-' || c == 0x2013 || c == 0x2014) {
			g_autofree char *left = g_strndup(item, p - item);

			dash = g_utf8_next_char(p);
			*from = resolve_day(rd, left);
			*to = resolve_day(rd, dash);
			if (*from >= 0 && *to >= *from)
				return TRUE;
		}
	}
	/* Words: "[from] A to B", a word of one or two words each. */
	folded = text_fold(item);
	{
		g_auto(GStrv) words = g_strsplit(folded, " ", -1);
		guint n = g_strv_length(words);

		for (guint k = 1; k + 1 < n; k++) {
			for (guint len = 1; len <= 2 && k + len < n; len++) {
				g_autofree char *word = NULL, *left = NULL, *right = NULL;
				char *saved = words[k + len];
				guint start = 0;

				words[k + len] = NULL;
				word = g_strjoinv(" ", words + k);
				words[k + len] = saved;
				if (!grammar_word(rd->g, "to", word, NULL))
					continue;
				for (guint flen = 2; flen >= 1 && start == 0; flen--) {
					g_autofree char *lead = NULL;

					if (flen >= k)
						continue;
					saved = words[flen];
					words[flen] = NULL;
					lead = g_strjoinv(" ", words);
					words[flen] = saved;
					if (grammar_word(rd->g, "from", lead, NULL))
						start = flen;
				}
				saved = words[k];
				words[k] = NULL;
				left = g_strjoinv(" ", words + start);
				words[k] = saved;
				right = g_strjoinv(" ", words + k + len);
				*from = resolve_day(rd, left);
				*to = resolve_day(rd, right);
				if (*from >= 0 && *to >= *from)
					return TRUE;
			}
		}
	}
	return FALSE;
}

static void add_unique(GPtrArray *list, const char *s)
{
	if (!g_ptr_array_find_with_equal_func(list, s, g_str_equal, NULL))
		g_ptr_array_add(list, g_strdup(s));
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

static GPtrArray *parse_days(Reader *rd, const char *value, guint line)
{
	const Config *cfg = rd->cfg;
	g_auto(GStrv) items = split_list(rd, value);
	GPtrArray *days = g_ptr_array_new_with_free_func(g_free);

	for (char **item = items; *item != NULL; item++) {
		g_autofree char *folded = text_fold(*item);
		guint32 langs;
		int one, from, to;

		if (grammar_word(rd->g, "all", folded, &langs)) {
			vote(rd, langs);
			for (guint i = 0; i < cfg->days->len; i++)
				add_unique(days, ((ConfigDay *)g_ptr_array_index(cfg->days, i))->date);
			continue;
		}
		one = resolve_day(rd, *item);
		if (one >= 0) {
			add_unique(days, ((ConfigDay *)g_ptr_array_index(cfg->days, one))->date);
			continue;
		}
		if (resolve_range(rd, *item, &from, &to)) {
			for (int i = from; i <= to; i++)
				add_unique(days, ((ConfigDay *)g_ptr_array_index(cfg->days, i))->date);
			continue;
		}
		{
			g_auto(GStrv) choices = day_choices(cfg);

			request_add_problem(rd->req->problems, line, "unknown-day", *item,
					    (const char *const *)choices);
		}
	}
	g_ptr_array_sort(days, compare_str);
	return days;
}

/* --- names: activities and choices ------------------------------------------------ */

/* How an item written by a person stands against a list of names (each
 * entry with the folded names that stand for it). */
typedef enum {
	MATCH_NONE,	 /* no entry is close: *@best holds the closest few */
	MATCH_EXACT,	 /* one of an entry's names */
	MATCH_GUESSED,	 /* close to one entry, clearly closer than to any other */
	MATCH_AMBIGUOUS, /* as close to several: *@best holds them */
} Match;

typedef struct {
	guint n;
	const char *const *(*names)(gconstpointer entry); /* folded names, NULL-terminated */
	gconstpointer (*entry)(gconstpointer list, guint i);
	gconstpointer list;
} Names;

/* Returns TRUE if one of @names of four letters or more stands as whole
 * words inside @item ("visit to orange cyberdefense"). */
static gboolean named_within(const char *const *names, const char *item)
{
	g_autofree char *padded = g_strconcat(" ", item, " ", NULL);

	for (const char *const *name = names; *name != NULL; name++) {
		g_autofree char *needle = g_strconcat(" ", *name, " ", NULL);

		if (g_utf8_strlen(*name, -1) >= 4 && strstr(padded, needle) != NULL)
			return TRUE;
	}
	return FALSE;
}

/* Returns TRUE if @item, of four letters or more, stands as whole words
 * inside one of @names ("visit" in "visit le poool"). */
static gboolean names_hold(const char *const *names, const char *item)
{
	g_autofree char *needle = g_strconcat(" ", item, " ", NULL);

	if (g_utf8_strlen(item, -1) < 4)
		return FALSE;
	for (const char *const *name = names; *name != NULL; name++) {
		g_autofree char *padded = g_strconcat(" ", *name, " ", NULL);

		if (strstr(padded, needle) != NULL)
			return TRUE;
	}
	return FALSE;
}

/* Matches @folded against the entries of @names: *@best gets the entry
 * found (MATCH_EXACT, MATCH_GUESSED) or the closest candidates, best first
 * (at most three; MATCH_NONE, MATCH_AMBIGUOUS), as indexes. */
static Match match_name(const Names *names, const char *folded, GArray *best)
{
	g_autofree guint *dist = g_new0(guint, MAX(names->n, 1));
	g_autofree gboolean *within = g_new0(gboolean, MAX(names->n, 1));
	g_autofree gboolean *inside = g_new0(gboolean, MAX(names->n, 1));
	guint n_within = 0, n_inside = 0, first = G_MAXUINT, second = G_MAXUINT;
	int pick = -1;

	g_array_set_size(best, 0);
	/* Most people write names as they are: no distances then. */
	for (guint i = 0; i < names->n; i++) {
		const char *const *list = names->names(names->entry(names->list, i));

		if (g_strv_contains(list, folded)) {
			g_array_append_val(best, i);
			return MATCH_EXACT;
		}
	}
	for (guint i = 0; i < names->n; i++) {
		const char *const *list = names->names(names->entry(names->list, i));

		dist[i] = G_MAXUINT;
		for (const char *const *name = list; *name != NULL; name++)
			dist[i] = MIN(dist[i], text_distance(folded, *name));
		within[i] = named_within(list, folded);
		n_within += within[i];
		inside[i] = names_hold(list, folded);
		n_inside += inside[i];
		if (dist[i] < first) {
			second = first;
			first = dist[i];
			pick = (int)i;
		} else if (dist[i] < second) {
			second = dist[i];
		}
	}
	if (n_within == 1) {
		for (guint i = 0; i < names->n; i++)
			if (within[i])
				g_array_append_val(best, i);
		return MATCH_GUESSED;
	}
	if (n_within > 1) {
		for (guint i = 0; i < names->n; i++)
			if (within[i])
				g_array_append_val(best, i);
		return MATCH_AMBIGUOUS;
	}
	/* A word of one name only ("Cyberdefense"), or of several ("visit"). */
	if (n_inside >= 1) {
		for (guint i = 0; i < names->n; i++)
			if (inside[i])
				g_array_append_val(best, i);
		return n_inside == 1 ? MATCH_GUESSED : MATCH_AMBIGUOUS;
	}
	/* A typing slip: close to one entry, clearly closer than to any other. */
	if (pick >= 0 && first <= MAX(2u, (guint)g_utf8_strlen(folded, -1) / 5) &&
	    (second == G_MAXUINT || second > first + (first > 1 ? 1 : 0))) {
		g_array_append_val(best, pick);
		return MATCH_GUESSED;
	}
	/* As close to several: the closest few, best first. */
	{
		g_autofree gboolean *used = g_new0(gboolean, MAX(names->n, 1));
		Match result = pick >= 0 && first <= MAX(2u, (guint)g_utf8_strlen(folded, -1) / 5)
				       ? MATCH_AMBIGUOUS
				       : MATCH_NONE;

		for (guint k = 0; k < MIN(3u, names->n); k++) {
			int p = -1;

			for (guint i = 0; i < names->n; i++)
				if (!used[i] && (p < 0 || dist[i] < dist[p]))
					p = (int)i;
			if (result == MATCH_AMBIGUOUS && dist[p] > second)
				break;
			used[p] = TRUE;
			g_array_append_val(best, p);
		}
		return result;
	}
}

static const char *const *activity_names(gconstpointer entry)
{
	return (const char *const *)((const ConfigActivity *)entry)->folded;
}

static gconstpointer array_entry(gconstpointer list, guint i)
{
	return g_ptr_array_index((GPtrArray *)list, i);
}

static GPtrArray *parse_activities(Reader *rd, const char *value, guint line)
{
	const Config *cfg = rd->cfg;
	g_auto(GStrv) items = split_list(rd, value);
	g_autofree gboolean *chosen = g_new0(gboolean, cfg->activities->len + 1);
	GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GArray) best = g_array_new(FALSE, FALSE, sizeof(guint));
	Names names = {cfg->activities->len, activity_names, array_entry, cfg->activities};
	g_autofree char *whole = text_fold(value);
	guint32 langs;

	/* A title may hold commas ("Inria, Cyberschool, IRISA"): try it whole. */
	if (match_name(&names, whole, best) == MATCH_EXACT) {
		const ConfigActivity *a = g_ptr_array_index(cfg->activities, g_array_index(best, guint, 0));

		g_ptr_array_add(out, g_strdup(a->id));
		return out;
	}
	if (grammar_word(rd->g, "none", whole, &langs)) {
		vote(rd, langs);
		return out;
	}
	for (char **item = items; *item != NULL; item++) {
		g_autofree char *folded = text_fold(*item);
		g_autoptr(GPtrArray) ids = g_ptr_array_new();
		Match m;

		if (grammar_word(rd->g, "all", folded, &langs)) {
			vote(rd, langs);
			for (guint i = 0; i < cfg->activities->len; i++) {
				const ConfigActivity *a = g_ptr_array_index(cfg->activities, i);

				chosen[i] = chosen[i] || g_strv_length(a->countries) == 0;
			}
			continue;
		}
		m = match_name(&names, folded, best);
		for (guint k = 0; k < best->len; k++)
			g_ptr_array_add(ids, ((ConfigActivity *)g_ptr_array_index(
						     cfg->activities, g_array_index(best, guint, k)))->id);
		g_ptr_array_add(ids, NULL);
		switch (m) {
		case MATCH_EXACT:
			chosen[g_array_index(best, guint, 0)] = TRUE;
			break;
		case MATCH_GUESSED:
			chosen[g_array_index(best, guint, 0)] = TRUE;
			request_add_problem(rd->req->notes, line, "guessed-activity", *item,
					    (const char *const *)ids->pdata);
			break;
		case MATCH_AMBIGUOUS:
			request_add_problem(rd->req->problems, line, "ambiguous-activity", *item,
					    (const char *const *)ids->pdata);
			break;
		case MATCH_NONE:
			request_add_problem(rd->req->problems, line, "unknown-activity", *item,
					    (const char *const *)ids->pdata);
			break;
		}
	}
	for (guint i = 0; i < cfg->activities->len; i++)
		if (chosen[i])
			g_ptr_array_add(out, g_strdup(((ConfigActivity *)g_ptr_array_index(
							       cfg->activities, i))->id));
	return out;
}

static const char *const *choice_names(gconstpointer entry)
{
	return entry;
}

/* Reads @item as one of @f's choices: sets *@choice to it (borrowed from
 * @f) and returns the match. */
static Match read_choice(const Field *f, const char *item, const char **choice)
{
	g_autoptr(GPtrArray) folded = g_ptr_array_new_with_free_func((GDestroyNotify)g_strfreev);
	g_autoptr(GArray) best = g_array_new(FALSE, FALSE, sizeof(guint));
	g_autofree char *want = text_fold(item);
	Names names;
	Match m;

	for (guint i = 0; f->choices[i] != NULL; i++) {
		GStrv one = g_new0(char *, 2);

		one[0] = text_fold(f->choices[i]);
		g_ptr_array_add(folded, one);
	}
	names = (Names){folded->len, choice_names, array_entry, folded};
	m = match_name(&names, want, best);
	*choice = best->len > 0 ? f->choices[g_array_index(best, guint, 0)] : NULL;
	return m;
}

/* --- other values -------------------------------------------------------------------- */

/* A value as it may be kept: encoded words some clients leave in a body
 * line decoded, then made one clean line, cut at @max characters. */
static char *clean_value(const char *value, guint max)
{
	g_autofree char *decoded = message_decode_words(value);
	char *clean = text_clean_line(decoded);

	if (g_utf8_strlen(clean, -1) > max) {
		char *cut = g_utf8_substring(clean, 0, max);

		g_free(clean);
		clean = cut;
	}
	return clean;
}

/* "2", "2.5", "2,5": a number, in canonical form ("2", "2.5"). */
static char *read_number(const char *value)
{
	g_autofree char *s = g_strstrip(g_strdup(value));
	char *end;
	double d;

	g_strdelimit(s, ",", '.');
	if (*s == '\0' || strspn(s, "+-0123456789.") != strlen(s))
		return NULL;
	d = g_ascii_strtod(s, &end);
	if (*end != '\0' || !isfinite(d))
		return NULL;
	if (d == (double)(gint64)d && ABS(d) < 1e15)
		return g_strdup_printf("%" G_GINT64_FORMAT, (gint64)d);
	{
		char buf[G_ASCII_DTOSTR_BUF_SIZE];

		return g_strdup(g_ascii_dtostr(buf, sizeof buf, d));
	}
}

/* A date written as people write it ("15/09", "15 September 2025", "Sunday
 * 14", "2025-09-14"): "YYYY-MM-DD", or NULL. What is not written comes from
 * the event's time: the date it names nearest to the event's first day. */
static char *read_date(const Reader *rd, const char *value)
{
	g_autofree char *folded = text_fold(value);
	const ConfigDay *first = g_ptr_array_index(rd->cfg->days, 0);
	DateParts d;
	GDate best;
	guint best_gap = G_MAXUINT;

	if (!read_date_parts(rd, folded, &d) || (d.mday == 0 && d.weekday == 0))
		return NULL;
	g_date_clear(&best, 1);
	/* A year either way of the event holds every date an event asks about. */
	for (int offset = -366; offset <= 366; offset++) {
		GDate day = first->gdate;

		if (offset < 0)
			g_date_subtract_days(&day, -offset);
		else
			g_date_add_days(&day, offset);
		if (date_fits(&day, &d) && (guint)ABS(offset) < best_gap) {
			best = day;
			best_gap = ABS(offset);
		}
	}
	if (!g_date_valid(&best) || (d.year != 0 && g_date_get_year(&best) != d.year))
		return NULL;
	return g_strdup_printf("%04u-%02u-%02u", g_date_get_year(&best), g_date_get_month(&best),
			       g_date_get_day(&best));
}

/* Reads @raw as the value of field @f, into canonical text; NULL (with a
 * problem noted) when it is not one. */
static GPtrArray *read_value(Reader *rd, RequestFields *to, const Field *f, const char *raw,
			     guint line)
{
	Request *req = rd->req;
	g_autofree char *value = clean_value(raw, f->type == FIELD_LONG_TEXT
							   ? REQUEST_MAX_LONG_VALUE
							   : REQUEST_MAX_VALUE);
	GPtrArray *values = g_ptr_array_new_with_free_func(g_free);
	g_autofree char *folded = NULL;
	guint32 langs;

	switch (f->type) {
	case FIELD_DAYS:
		g_ptr_array_unref(values);
		return parse_days(rd, raw, line);
	case FIELD_ACTIVITIES:
		g_ptr_array_unref(values);
		return parse_activities(rd, raw, line);
	case FIELD_COUNTRY: {
		const char *code = country_lookup(value);

		if (code == NULL) {
			request_add_problem(req->problems, line, "unknown-country", value, NULL);
			break;
		}
		g_ptr_array_add(values, g_strdup(code));
		return values;
	}
	case FIELD_LANGUAGE: {
		const char *code;

		folded = text_fold(value);
		code = grammar_language(rd->g, folded);
		if (code == NULL) {
			request_add_problem(req->problems, line, "unknown-language", value,
					    (const char *const *)rd->cfg->languages);
			break;
		}
		g_ptr_array_add(values, g_strdup(code));
		return values;
	}
	case FIELD_EMAIL: {
		char *addr = address_parse(value, NULL);

		if (addr == NULL) {
			request_add_field_problem(req->problems, line, "bad-email", f->id, value, NULL);
			break;
		}
		g_ptr_array_add(values, addr);
		return values;
	}
	case FIELD_YES_NO:
		folded = text_fold(value);
		if (grammar_word(rd->g, "yes", folded, &langs)) {
			g_ptr_array_add(values, g_strdup("yes"));
		} else if (grammar_word(rd->g, "no", folded, &langs)) {
			g_ptr_array_add(values, g_strdup("no"));
		} else {
			request_add_field_problem(req->problems, line, "bad-value", f->id, value, NULL);
			break;
		}
		vote(rd, langs);
		return values;
	case FIELD_CHOICE:
	case FIELD_MULTI_CHOICE: {
		g_auto(GStrv) items = NULL;
		gboolean ok = TRUE;

		folded = text_fold(value);
		if (f->type == FIELD_MULTI_CHOICE && grammar_word(rd->g, "none", folded, &langs)) {
			vote(rd, langs);
			return values;
		}
		if (f->type == FIELD_CHOICE) {
			items = g_new0(char *, 2);
			items[0] = g_strdup(value);
		} else {
			items = split_list(rd, value);
		}
		for (char **item = items; *item != NULL; item++) {
			const char *choice;

			switch (read_choice(f, *item, &choice)) {
			case MATCH_EXACT:
				add_unique(values, choice);
				break;
			case MATCH_GUESSED: {
				const char *one[] = {choice, NULL};

				add_unique(values, choice);
				request_add_field_problem(req->notes, line, "guessed-value", f->id, *item,
							  one);
				break;
			}
			default:
				/* The choices are few: the answer lists them all. */
				request_add_field_problem(req->problems, line, "bad-value", f->id, *item,
							  NULL);
				ok = FALSE;
			}
		}
		if (!ok)
			break;
		return values;
	}
	case FIELD_NUMBER: {
		char *n = read_number(value);

		if (n == NULL) {
			request_add_field_problem(req->problems, line, "bad-value", f->id, value, NULL);
			break;
		}
		g_ptr_array_add(values, n);
		return values;
	}
	case FIELD_DATE: {
		char *date = read_date(rd, value);

		if (date == NULL) {
			request_add_field_problem(req->problems, line, "bad-value", f->id, value, NULL);
			break;
		}
		g_ptr_array_add(values, date);
		return values;
	}
	default:
		g_ptr_array_add(values, g_steal_pointer(&value));
		return values;
	}
	(void)to;
	g_ptr_array_unref(values);
	return NULL;
}

static void set_value(Reader *rd, RequestFields *to, const Field *f, const char *raw, guint line)
{
	g_autofree char *value = clean_value(raw, REQUEST_MAX_VALUE);
	GPtrArray *values;

	/* An invitation's blank to fill in ("Name: ________") is not a value. */
	if (value[strspn(value, "_.-… ")] == '\0')
		return;
	values = read_value(rd, to, f, raw, line);
	if (values != NULL)
		fields_put(to, f->id, values, line);
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

/* Reads "Ana Popescu <ana@example.ro>" (or "Ana Popescu, ana@…", "ana@…
 * (Ana Popescu)", "Ana Popescu - ana@…") into a person's name and address,
 * cleaned as every value is first: the address goes into headers and the
 * store. */
static void read_attendee(RequestFields *person, const char *written, guint line)
{
	static GRegex *address;
	GRegex *re = text_regex(&address, "[^\\s<>(),;:\"]+@[^\\s<>(),;:\"]+", 0);
	g_autofree char *value = clean_value(written, REQUEST_MAX_VALUE);
	g_autoptr(GMatchInfo) m = NULL;
	g_autofree char *raw = NULL, *addr = NULL, *name = NULL, *display = NULL;
	GString *rest;
	int start, end;

	addr = address_parse(value, &display);
	if (addr == NULL || display == NULL) {
		/* Not one mailbox as RFC 5322 writes it: the address is the word
		 * with an '@', the name what stands around it. */
		if (!g_regex_match(re, value, 0, &m))
			return;
		raw = g_match_info_fetch(m, 0);
		g_free(addr);
		addr = address_parse(raw, NULL);
		if (addr == NULL)
			return;
		g_match_info_fetch_pos(m, 0, &start, &end);
		rest = g_string_new_len(value, start);
		g_string_append(rest, value + end);
		g_strdelimit(rest->str, "<>(),;\"", ' ');
		g_free(display);
		display = text_clean_line(rest->str);
		g_string_free(rest, TRUE);
	}
	name = display != NULL ? g_strdup(display) : g_strdup("");
	/* "Ana Popescu - ana@…" */
	while (g_str_has_suffix(name, " -") || g_str_has_suffix(name, " –"))
		*strrchr(name, ' ') = '\0';
	g_strstrip(name);
	fields_put_text(person, "email", g_steal_pointer(&addr), line);
	if (*name != '\0')
		fields_put_text(person, "name", g_steal_pointer(&name), line);
}

/* Where the lines being read belong. */
typedef enum {
	READ_OWN,    /* the person's own text */
	READ_INLINE, /* after "On … wrote:": only unquoted lines are theirs */
} ReadMode;

/* The key of a "Key: value" line, when the line has one: what comes before
 * a colon near its start. */
static char *line_key(const char *trimmed, const char **value)
{
	const char *colon = strchr(trimmed, ':');

	if (colon == NULL || colon - trimmed > 40 || colon == trimmed)
		return NULL;
	*value = colon + 1;
	return g_strndup(trimmed, colon - trimmed);
}

/* Keeps a line of the person's own that nothing here could read. */
static void keep_prose(Request *req, const char *trimmed)
{
	if (req->prose->len < REQUEST_MAX_PROSE)
		g_ptr_array_add(req->prose, text_clean_line(trimmed));
}

/* The subject's command stands unless the body holds a form, which it
 * would contradict: "Re: Programme" above a filled-in form is a form. An
 * Email: line alone says whose registration the command is about. */
static void settle_command(Request *req, gboolean from_subject)
{
	if (!from_subject || req->form_lines == 0)
		return;
	if (req->form_lines == 1 && req->people->len == 0 &&
	    request_fields_get(&req->fields, "email") != NULL)
		return;
	switch (req->command) {
	case COMMAND_REGISTER:
	case COMMAND_UPDATE:
		/* A form is what they ask, with or without the word. */
		return;
	case COMMAND_STATUS:
	case COMMAND_PROGRAMME:
	case COMMAND_HELP:
		req->command = COMMAND_FORM;
		g_clear_pointer(&req->argument, g_free);
		return;
	default:
		return;
	}
}

/* Reads what @text (folded) gives up: the activities it names by a name of
 * four letters or more, and the days it names by their weekday ("mardi")
 * or date ("16/09"). Returns TRUE when it names something, or when it
 * names several activities alike ("the visit"), which *@unclear says. */
static gboolean read_withdrawn(Reader *rd, const char *folded, gboolean *unclear)
{
	const Config *cfg = rd->cfg;
	Request *req = rd->req;
	g_auto(GStrv) words = g_strsplit(folded, " ", -1);
	guint named = 0, held_inside = 0;

	for (guint i = 0; i < cfg->activities->len; i++) {
		const ConfigActivity *a = g_ptr_array_index(cfg->activities, i);

		if (named_within((const char *const *)a->folded, folded) &&
		    !g_ptr_array_find_with_equal_func(req->withdraw, a->id, g_str_equal, NULL)) {
			g_ptr_array_add(req->withdraw, g_strdup(a->id));
			named++;
		}
	}
	/* "the visit": a word of several activities' names, naming none. */
	for (guint k = 0; named == 0 && words[k] != NULL; k++) {
		guint holders = 0;

		for (guint i = 0; i < cfg->activities->len; i++)
			holders += names_hold((const char *const *)((ConfigActivity *)g_ptr_array_index(
						  cfg->activities, i))->folded,
					      words[k]);
		held_inside = MAX(held_inside, holders);
	}
	for (guint k = 0; words[k] != NULL; k++) {
		DateParts d = {0, 0, 0, 0};
		int found = -1;

		if ((d.weekday = grammar_weekday(rd->g, words[k], NULL)) == 0 &&
		    !(g_ascii_isdigit(words[k][0]) && words[k + 1] != NULL &&
		      g_ascii_isdigit(words[k + 1][0]) && read_date_parts(rd, words[k], &d) &&
		      (d.month = atoi(words[k + 1])) >= 1 && d.month <= 12))
			continue;
		for (guint i = 0; i < cfg->days->len; i++) {
			const ConfigDay *day = g_ptr_array_index(cfg->days, i);

			if (date_fits(&day->gdate, &d))
				found = found == -1 ? (int)i : -2;
		}
		if (found >= 0)
			add_unique(req->withdraw_days,
				   ((ConfigDay *)g_ptr_array_index(cfg->days, found))->date);
	}
	*unclear = named == 0 && req->withdraw_days->len == 0 && held_inside > 1;
	return named > 0 || req->withdraw_days->len > 0 || *unclear;
}

/* "Cancel the Orange visit", "je ne peux plus venir mardi": a cancellation
 * of what it names, not of the registration. A CANCEL that names an
 * activity or a day gives up that; a line of the person's own with words
 * that withdraw gives up what it names, or, naming nothing, is a doubt to
 * ask about, never a cancellation. */
static void read_withdrawal(Reader *rd, gboolean from_subject)
{
	Request *req = rd->req;
	gboolean unclear = FALSE;

	if (req->command == COMMAND_CANCEL) {
		g_autofree char *folded = text_fold(req->argument);

		if (req->argument != NULL && read_withdrawn(rd, folded, &unclear)) {
			req->withdraw_text = text_clean_line(req->argument);
		} else if (from_subject) {
			/* "Subject: Cancel" above "I cannot make the Orange visit". */
			for (guint i = 0; i < req->prose->len && req->withdraw_text == NULL; i++) {
				g_autofree char *line = text_fold(g_ptr_array_index(req->prose, i));

				if (read_withdrawn(rd, line, &unclear))
					req->withdraw_text = g_strdup(g_ptr_array_index(req->prose, i));
			}
		}
	} else if ((req->command == COMMAND_FORM || req->command == COMMAND_UPDATE) &&
		   req->form_lines == 0) {
		for (guint i = 0; i < req->prose->len && req->withdraw_text == NULL; i++) {
			g_autofree char *line = text_fold(g_ptr_array_index(req->prose, i));

			if (!grammar_contains(rd->g, "withdraw", line))
				continue;
			req->withdraw_text = g_strdup(g_ptr_array_index(req->prose, i));
			if (!read_withdrawn(rd, line, &unclear))
				unclear = TRUE;
		}
	}
	if (unclear) {
		const char *example[] = {rd->cfg->activities->len > 0
					     ? ((ConfigActivity *)g_ptr_array_index(rd->cfg->activities,
										    rd->cfg->activities->len - 1))->title
					     : "",
					 NULL};

		g_ptr_array_set_size(req->withdraw, 0);
		g_ptr_array_set_size(req->withdraw_days, 0);
		request_add_problem(req->problems, 0, "cancel-unclear", req->withdraw_text, example);
	}
}

Request *request_parse(const Config *cfg, const char *subject, const char *detail,
		       const char *body)
{
	Request *req = g_new0(Request, 1);
	g_auto(GStrv) lines = g_strsplit(body != NULL ? body : "", "\n", -1);
	g_autofree guint *votes = g_new0(guint, MAX(1, grammar_n_languages(cfg->grammar)));
	Reader rd = {cfg, cfg->grammar, req, votes};
	RequestFields *target = &req->fields;
	const Field *pending = NULL; /* a quoted "> Key:" awaiting an inline answer */
	gboolean command_seen, from_subject, first_line = TRUE;
	ReadMode mode = READ_OWN;

	fields_init(&req->fields);
	req->people = g_ptr_array_new_with_free_func(person_free);
	req->problems = g_ptr_array_new_with_free_func(problem_free);
	req->notes = g_ptr_array_new_with_free_func(problem_free);
	req->prose = g_ptr_array_new_with_free_func(g_free);
	req->withdraw = g_ptr_array_new_with_free_func(g_free);
	req->withdraw_days = g_ptr_array_new_with_free_func(g_free);
	req->command = COMMAND_FORM;
	command_seen = from_subject =
	    subject != NULL && read_command(&rd, subject, &req->command, &req->argument);
	if (!command_seen && detail != NULL)
		command_seen = read_command(&rd, detail, &req->command, NULL);

	for (guint i = 0; lines[i] != NULL; i++) {
		const char *line = lines[i];
		g_autofree char *trimmed = g_strstrip(g_strdup(line));
		g_autofree char *key = NULL, *folded = NULL, *value = NULL;
		const char *after = NULL;
		const Field *f;
		guint32 langs;

		if (strcmp(line, "-- ") == 0 || strcmp(line, "--") == 0 ||
		    grammar_disclaimer(rd.g, trimmed) || starts_header_block(&rd, lines, i))
			break;
		if (grammar_quote_separator(rd.g, trimmed) || grammar_quote_opener(rd.g, trimmed)) {
			/* What follows is theirs only where it is not quoted. */
			mode = READ_INLINE;
			continue;
		}
		if (*trimmed == '>') {
			g_autofree char *inner = g_strstrip(g_strdup(trimmed + strspn(trimmed, "> ")));

			pending = NULL;
			key = mode == READ_INLINE ? line_key(inner, &after) : NULL;
			if (key != NULL) {
				g_autofree char *blank = g_strstrip(g_strdup(after));

				folded = text_fold(key);
				if (blank[strspn(blank, "_.-… ")] == '\0') {
					pending = grammar_field(rd.g, folded, NULL);
					if (pending != NULL && (pending->flags & FIELD_WRITABLE) == 0)
						pending = NULL;
				}
			}
			continue;
		}
		if (*trimmed == '\0')
			continue;
		key = line_key(trimmed, &after);
		if (key != NULL) {
			folded = text_fold(key);
			value = g_strstrip(g_strdup(after));
			if (grammar_attendee_key(rd.g, folded, &langs)) {
				RequestFields *person = g_new0(RequestFields, 1);

				vote(&rd, langs);
				fields_init(person);
				person->line = i + 1;
				read_attendee(person, value, i + 1);
				if (request_fields_get(person, "email") == NULL)
					request_add_problem(req->problems, i + 1,
							    "attendee-without-address", value, NULL);
				g_ptr_array_add(req->people, person);
				target = person;
				req->form_lines++;
				first_line = FALSE;
				pending = NULL;
				continue;
			}
			f = grammar_field(rd.g, folded, &langs);
			if (f == NULL) {
				const char *written = NULL;

				f = grammar_field_near(rd.g, folded, &written);
				if (f != NULL) {
					const char *as[] = {written, NULL};

					request_add_field_problem(req->notes, i + 1, "guessed-key", f->id,
								  key, as);
					langs = 0; /* a slip says nothing of the language */
				}
			}
			if (f != NULL) {
				guint at = i + 1;

				first_line = FALSE;
				pending = NULL;
				/* Our own summary quoted back ("Status: confirmed") is no request. */
				if ((f->flags & FIELD_WRITABLE) == 0)
					continue;
				vote(&rd, langs);
				req->form_lines++;
				if (*value == '\0' && field_is_list(f)) {
					g_free(value);
					value = gather_list_lines(lines, &i);
				}
				set_value(&rd, target, f, value, at);
				continue;
			}
		}
		if (pending != NULL) {
			/* The answer typed under a quoted "> Key:" of the invitation. */
			req->form_lines++;
			set_value(&rd, target, pending, trimmed, i + 1);
			pending = NULL;
			first_line = FALSE;
			continue;
		}
		if (first_line && !command_seen) {
			if (read_command(&rd, trimmed, &req->command, &req->argument)) {
				req->command_line = i + 1;
				command_seen = TRUE;
				first_line = FALSE;
				continue;
			}
		}
		first_line = FALSE;
		keep_prose(req, trimmed);
	}
	settle_command(req, from_subject);
	read_withdrawal(&rd, from_subject);

	/* The language most of it is in, when one leads. */
	{
		guint top = 0, at = 0, ties = 0;

		for (guint i = 0; i < grammar_n_languages(rd.g); i++) {
			if (votes[i] > top) {
				top = votes[i];
				at = i;
				ties = 0;
			} else if (votes[i] == top && top > 0) {
				ties++;
			}
		}
		if (top > 0 && ties == 0)
			req->language = cfg->languages[at];
	}
	return req;
}

const char *request_language(const Request *req, const Config *cfg, const char *stored,
			     const char *content_language)
{
	const char *chosen = request_fields_text(&req->fields, "language");

	if (chosen != NULL && config_has_language(cfg, chosen))
		return chosen;
	if (req->language != NULL)
		return req->language;
	if (stored != NULL && config_has_language(cfg, stored))
		return stored;
	if (content_language != NULL) {
		/* "fr-FR, en": the first tag's language */
		g_autofree char *tag = g_ascii_strdown(content_language, strcspn(content_language, "-_,; "));

		for (guint i = 0; cfg->languages[i] != NULL; i++)
			if (strcmp(cfg->languages[i], tag) == 0)
				return cfg->languages[i];
	}
	return cfg->languages[0];
}

/* --- describing problems ------------------------------------------------------ */

static char *event_span(const Config *cfg, const Language *l)
{
	const ConfigDay *first = g_ptr_array_index(cfg->days, 0);
	const ConfigDay *last = g_ptr_array_index(cfg->days, cfg->days->len - 1);
	g_autofree char *a = lang_day_label(l, first->date);
	g_autofree char *b = lang_day_label(l, last->date);
	g_autoptr(JsonObject) args = json_object_new();

	if (cfg->days->len == 1)
		return g_steal_pointer(&a);
	json_object_set_string_member(args, "first", a);
	json_object_set_string_member(args, "last", b);
	return lang_render(l, "formats", "span", args);
}

char *request_example_date(const Config *cfg)
{
	const ConfigDay *first = g_ptr_array_index(cfg->days, 0);

	return g_strdup_printf("%02u/%02u", g_date_get_day(&first->gdate),
			       g_date_get_month(&first->gdate));
}

char *request_example_countries(const Config *cfg)
{
	g_autoptr(GPtrArray) codes = g_ptr_array_new();
	const char *home = country_of_timezone(cfg->event_timezone);

	if (home != NULL)
		g_ptr_array_add(codes, (gpointer)home);
	for (guint i = 0; i < cfg->activities->len && codes->len < 3; i++) {
		const ConfigActivity *a = g_ptr_array_index(cfg->activities, i);

		for (char **c = a->countries; *c != NULL && codes->len < 3; c++)
			if (!g_ptr_array_find_with_equal_func(codes, *c, g_str_equal, NULL))
				g_ptr_array_add(codes, *c);
	}
	g_ptr_array_add(codes, NULL);
	return g_strjoinv(", ", (char **)codes->pdata);
}

char *request_accepted(const Field *f, const Config *cfg, const char *lang)
{
	const Language *l = config_language(cfg, lang);
	g_autoptr(JsonObject) args = json_object_new();
	g_autofree char *choices = NULL;
	g_autofree char *example = f->type == FIELD_COUNTRY ? request_example_countries(cfg)
							    : request_example_date(cfg);
	char *text;

	if (f->type == FIELD_LANGUAGE)
		choices = g_strjoinv(", ", cfg->languages);
	else
		choices = lang_join(l, (const char *const *)f->choices);
	json_object_set_string_member(args, "choices", choices);
	json_object_set_string_member(args, "example", example);
	text = lang_render(l, "types", config_field_type_name(f->type), args);
	return text != NULL ? text : g_strdup("");
}

char *request_problem_describe(const RequestProblem *p, const Config *cfg, const char *lang)
{
	const Language *l = config_language(cfg, lang);
	g_autoptr(JsonObject) args = json_object_new();
	g_autofree char *choices = lang_join(l, (const char *const *)p->choices);
	const Field *f = p->field != NULL ? config_field(cfg, p->field) : NULL;
	char *text;

	json_object_set_string_member(args, "text", p->text);
	json_object_set_string_member(args, "choices", choices);
	if (f != NULL) {
		g_autofree char *accepted = NULL;

		json_object_set_string_member(args, "field", field_label(f, l));
		accepted = request_accepted(f, cfg, lang);
		json_object_set_string_member(args, "accepted", accepted);
	}
	if (strcmp(p->code, "unknown-country") == 0) {
		g_autofree char *example = request_example_countries(cfg);

		json_object_set_string_member(args, "example", example);
	}
	if (strcmp(p->code, "unknown-day") == 0) {
		g_autofree char *span = event_span(cfg, l);

		json_object_set_string_member(args, "span", span);
	}
	if (strcmp(p->code, "overlap") == 0 && g_strv_length(p->choices) == 2) {
		g_autofree char *day = lang_day_label(l, p->text);

		json_object_set_string_member(args, "first", p->choices[0]);
		json_object_set_string_member(args, "second", p->choices[1]);
		json_object_set_string_member(args, "day", day);
	}
	if (strcmp(p->code, "deadline-passed") == 0 && cfg->registration_deadline > 0) {
		g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc(cfg->registration_deadline);
		g_autoptr(GDateTime) local = g_date_time_to_timezone(utc, cfg->tz);
		g_autofree char *ymd = g_date_time_format(local, "%Y-%m-%d");
		g_autofree char *hm = g_date_time_format(local, "%H:%M");
		g_autofree char *day = lang_day_label(l, ymd);
		g_autofree char *organisers = g_strjoinv(", ", cfg->organisers[0] != NULL
									? cfg->organisers
									: (GStrv)(const char *[]){cfg->event_address, NULL});
		g_autoptr(JsonObject) moment = json_object_new();
		g_autofree char *when = NULL;

		json_object_set_string_member(moment, "day", day);
		json_object_set_string_member(moment, "time", hm);
		when = lang_render(l, "formats", "moment", moment);
		json_object_set_string_member(args, "deadline", when != NULL ? when : day);
		json_object_set_string_member(args, "organisers", organisers);
	}
	text = lang_render(l, "problems", p->code, args);
	return text != NULL ? text : g_strdup_printf("%s: %s", p->text, p->code);
}
