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

/* Returns a new form of @s for matching what people type, in any script:
 * case-folded, accents and other marks dropped ("Activités" → "activites",
 * "Ελλάδα" → "ελλαδα"), runs of anything but letters and digits made one
 * space, ends trimmed. */
char *text_fold(const char *s);

/* Returns the edit distance (insertions, deletions, substitutions of
 * characters, not bytes) between UTF-8 strings @a and @b, each counted to
 * its first 120 characters. */
guint text_distance(const char *a, const char *b);

/* Returns the regular expression @pattern compiled once for the whole
 * process and kept in *@slot (a static the caller owns; never freed). A
 * compiled GRegex may be shared between threads. */
GRegex *text_regex(GRegex **slot, const char *pattern, GRegexCompileFlags flags);
