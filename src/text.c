/* SPDX-License-Identifier: ISC */
/* text.c: cleaning of untrusted strings. Whatever comes out of here is one
 * line of valid UTF-8 with no control characters. */

#include "autoconfig.h"

#include "text.h"

#include <string.h>

/* TRUE when @s is printable ASCII with single spaces between words only:
 * what text_clean_line() would give back unchanged, as most values are. */
static gboolean clean_ascii(const char *s)
{
	for (const char *p = s; *p != '\0'; p++) {
		if ((guchar)*p < 0x20 || (guchar)*p >= 0x7f)
			return FALSE;
		if (*p == ' ' && (p == s || p[1] == '\0' || p[1] == ' '))
			return FALSE;
	}
	return TRUE;
}

/* What becomes of a character when a string is squeezed. */
typedef enum {
	SQUEEZE_KEEP,
	SQUEEZE_SPACE, /* a run of these is one space, none at either end */
	SQUEEZE_DROP,
} Squeeze;

/* Returns valid UTF-8 @s with each character kept, dropped or made part of
 * a single space as @classify says. */
static char *squeeze(const char *s, Squeeze (*classify)(gunichar c))
{
	GString *out = g_string_sized_new(strlen(s));
	gboolean space = FALSE;

	for (const char *p = s; *p != '\0'; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);

		switch (classify(c)) {
		case SQUEEZE_DROP:
			continue;
		case SQUEEZE_SPACE:
			space = TRUE;
			continue;
		case SQUEEZE_KEEP:
			break;
		}
		if (space && out->len > 0)
			g_string_append_c(out, ' ');
		space = FALSE;
		g_string_append_unichar(out, c);
	}
	return g_string_free(out, FALSE);
}

static Squeeze clean_class(gunichar c)
{
	return g_unichar_iscntrl(c) || c == 0x2028 || c == 0x2029 || g_unichar_isspace(c)
		   ? SQUEEZE_SPACE
		   : SQUEEZE_KEEP;
}

char *text_clean_line(const char *s)
{
	g_autofree char *valid = NULL;

	if (s == NULL)
		return g_strdup("");
	if (clean_ascii(s))
		return g_strdup(s);
	valid = g_utf8_make_valid(s, -1);
	return squeeze(valid, clean_class);
}

char *text_clean_address(const char *s)
{
	g_autofree char *clean = text_clean_line(s);

	return g_ascii_strdown(clean, -1);
}

static Squeeze fold_class(gunichar c)
{
	return g_unichar_ismark(c) ? SQUEEZE_DROP : g_unichar_isalnum(c) ? SQUEEZE_KEEP : SQUEEZE_SPACE;
}

char *text_fold(const char *s)
{
	g_autofree char *valid = NULL, *folded = NULL, *decomposed = NULL;
	GString *out;
	gboolean space = FALSE;

	if (s == NULL)
		s = "";
	/* Most of what is folded is ASCII already: a byte at a time. */
	if (g_str_is_ascii(s)) {
		out = g_string_sized_new(strlen(s));
		for (const char *p = s; *p != '\0'; p++) {
			if (!g_ascii_isalnum(*p)) {
				space = TRUE;
				continue;
			}
			if (space && out->len > 0)
				g_string_append_c(out, ' ');
			space = FALSE;
			g_string_append_c(out, g_ascii_tolower(*p));
		}
		return g_string_free(out, FALSE);
	}
	/* Case-folded, then decomposed so that accents stand apart as marks and
	 * are dropped: "Ελλάδα" and "ελλαδα", "Régime" and "regime" meet, in any
	 * script, with no detour through ASCII. */
	valid = g_utf8_make_valid(s, -1);
	folded = g_utf8_casefold(valid, -1);
	decomposed = g_utf8_normalize(folded, -1, G_NORMALIZE_ALL);
	return squeeze(decomposed, fold_class);
}

guint text_distance(const char *a, const char *b)
{
	glong la, lb;
	g_autofree gunichar *ua = g_utf8_to_ucs4_fast(a, -1, &la);
	g_autofree gunichar *ub = g_utf8_to_ucs4_fast(b, -1, &lb);
	guint row[121];

	la = MIN(la, 120);
	lb = MIN(lb, 120);
	for (glong j = 0; j <= lb; j++)
		row[j] = (guint)j;
	for (glong i = 1; i <= la; i++) {
		guint diag = row[0];

		row[0] = (guint)i;
		for (glong j = 1; j <= lb; j++) {
			guint up = row[j];
			guint cost = ua[i - 1] == ub[j - 1] ? 0 : 1;

			row[j] = MIN(MIN(row[j] + 1, row[j - 1] + 1), diag + cost);
			diag = up;
		}
	}
	return row[lb];
}

GRegex *text_regex(GRegex **slot, const char *pattern, GRegexCompileFlags flags)
{
	if (g_once_init_enter(slot))
		g_once_init_leave(slot, g_regex_new(pattern, flags | G_REGEX_OPTIMIZE, 0, NULL));
	return *slot;
}
