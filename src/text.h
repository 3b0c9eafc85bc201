/* SPDX-License-Identifier: ISC */
/* text.h: small text helpers shared by the modules that handle untrusted
 * strings. */
#pragma once

#include <glib.h>

/* Returns a newly allocated copy of @s made valid UTF-8, with every control
 * character (C0, DEL, C1, and Unicode line/paragraph separators) replaced by
 * a space, runs of spaces folded and both ends trimmed: safe for one header
 * value, one log field, one stored field. NULL gives "". */
char *text_clean_line(const char *s);

/* Returns a newly allocated lower-case copy of ASCII address @s, cleaned as
 * text_clean_line() does. */
char *text_clean_address(const char *s);

/* Returns a new string naming day @ymd ("2025-09-15") for people reading
 * @lang: "Monday 15 September 2025" or "lundi 15 septembre 2025". An
 * invalid date is returned as it is. */
char *text_day_label(const char *ymd, const char *lang);

/* Returns a new lower-case ASCII form of @s for matching what people type:
 * diacritics dropped ("Activités" → "activites"), runs of anything but
 * letters and digits made one space, ends trimmed. */
char *text_fold(const char *s);

/* The English and French names of weekdays (1 = Monday … 7 = Sunday) and
 * months (1 … 12), lower-case. */
const char *text_weekday_name(int weekday, const char *lang);
const char *text_month_name(int month, const char *lang);

/* Returns the regular expression @pattern compiled once for the whole
 * process and kept in *@slot (a static the caller owns; never freed). A
 * compiled GRegex may be shared between threads. */
GRegex *text_regex(GRegex **slot, const char *pattern, GRegexCompileFlags flags);
