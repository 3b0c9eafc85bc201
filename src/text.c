/* SPDX-License-Identifier: ISC */
/* text.c: cleaning of untrusted strings. Whatever comes out of here is one
 * line of valid UTF-8 with no control characters. */

#include "autoconfig.h"

#include "text.h"

#include <stdio.h>
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

char *text_clean_line(const char *s)
{
	g_autofree char *valid = NULL;
	GString *out;
	gboolean space = FALSE;

	if (s == NULL)
		return g_strdup("");
	if (clean_ascii(s))
		return g_strdup(s);
	valid = g_utf8_make_valid(s, -1);
	out = g_string_sized_new(strlen(valid));
	for (const char *p = valid; *p != '\0'; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);

		if (g_unichar_iscntrl(c) || c == 0x2028 || c == 0x2029 || g_unichar_isspace(c)) {
			space = TRUE;
			continue;
		}
		if (space && out->len > 0)
			g_string_append_c(out, ' ');
		space = FALSE;
		g_string_append_unichar(out, c);
	}
	return g_string_free(out, FALSE);
}

char *text_clean_address(const char *s)
{
	g_autofree char *clean = text_clean_line(s);

	return g_ascii_strdown(clean, -1);
}

static const char *const weekdays_en[] = {"monday", "tuesday", "wednesday", "thursday",
					  "friday", "saturday", "sunday"};
static const char *const weekdays_fr[] = {"lundi", "mardi", "mercredi", "jeudi",
					  "vendredi", "samedi", "dimanche"};
static const char *const months_en[] = {"january", "february", "march", "april",
					"may", "june", "july", "august",
					"september", "october", "november", "december"};
static const char *const months_fr[] = {"janvier", "février", "mars", "avril",
					"mai", "juin", "juillet", "août",
					"septembre", "octobre", "novembre", "décembre"};

const char *text_weekday_name(int weekday, const char *lang)
{
	g_return_val_if_fail(weekday >= 1 && weekday <= 7, "");
	return g_strcmp0(lang, "fr") == 0 ? weekdays_fr[weekday - 1] : weekdays_en[weekday - 1];
}

const char *text_month_name(int month, const char *lang)
{
	g_return_val_if_fail(month >= 1 && month <= 12, "");
	return g_strcmp0(lang, "fr") == 0 ? months_fr[month - 1] : months_en[month - 1];
}

char *text_day_label(const char *ymd, const char *lang)
{
	unsigned y, m, d;
	GDate date;
	char *label;

	if (ymd == NULL || sscanf(ymd, "%4u-%2u-%2u", &y, &m, &d) != 3 ||
	    !g_date_valid_dmy(d, m, y))
		return g_strdup(ymd != NULL ? ymd : "");
	g_date_clear(&date, 1);
	g_date_set_dmy(&date, d, m, y);
	if (g_strcmp0(lang, "fr") == 0)
		return g_strdup_printf("%s %u %s %u",
				       text_weekday_name(g_date_get_weekday(&date), lang), d,
				       text_month_name(m, lang), y);
	label = g_strdup_printf("%s %u %s %u", text_weekday_name(g_date_get_weekday(&date), lang),
				d, text_month_name(m, lang), y);
	/* English capitalises weekdays and months. */
	label[0] = g_ascii_toupper(label[0]);
	{
		char *month = strchr(strchr(label, ' ') + 1, ' ') + 1;

		*month = g_ascii_toupper(*month);
	}
	return label;
}

char *text_fold(const char *s)
{
	g_autofree char *valid = NULL, *transliterated = NULL;
	const char *ascii;
	GString *out;
	gboolean space = FALSE;

	if (s == NULL)
		s = "";
	/* Most of what is folded is ASCII already: nothing to transliterate. */
	if (g_str_is_ascii(s)) {
		ascii = s;
	} else {
		valid = g_utf8_make_valid(s, -1);
		ascii = transliterated = g_str_to_ascii(valid, "C");
	}
	out = g_string_sized_new(strlen(ascii));

	for (const char *p = ascii; *p != '\0'; p++) {
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

GRegex *text_regex(GRegex **slot, const char *pattern, GRegexCompileFlags flags)
{
	if (g_once_init_enter(slot))
		g_once_init_leave(slot, g_regex_new(pattern, flags | G_REGEX_OPTIMIZE, 0, NULL));
	return *slot;
}
