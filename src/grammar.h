/* SPDX-License-Identifier: ISC */
/* grammar.h: the words of the event's languages, folded (text_fold()) and
 * indexed once per configuration for reading mail: field keys, command
 * words, "all"/"none"/"yes"/"no", day and month names, the names of the
 * languages themselves, and what mail clients write around a reply. Every
 * word comes from the languages' data files (lang.h); nothing here knows a
 * language. Immutable once built: any thread may read it. */
#pragma once

#include <glib.h>

#include "field.h"
#include "lang.h"

/* What a message asks for. */
typedef enum {
	COMMAND_FORM, /* no command word: a registration or an update */
	COMMAND_REGISTER,
	COMMAND_UPDATE,
	COMMAND_CANCEL,
	COMMAND_STATUS,
	COMMAND_PROGRAMME,
	COMMAND_HELP,
	COMMAND_CONFIRM,
	COMMAND_FORGET,
	COMMAND_REPORT, /* organisers only, as are the two below */
	COMMAND_EXPORT,
	COMMAND_BROADCAST,
	COMMAND_N,
} Command;

/* The name of @command in the data files' [commands] ("register", ...;
 * "" for COMMAND_FORM). */
const char *command_name(Command command);

/* The codes of every problem convene may report, each needing a sentence
 * in every language's [problems]. */
extern const char *const grammar_problem_codes[];

typedef struct _Grammar Grammar;

/* Builds the indexes of @langs (Language *, borrowed: they must outlive the
 * grammar; the event's languages in order, at most 32), @mail (borrowed)
 * and the configured keys of @fields (borrowed). A key or command that
 * would mean two things, and anything a language's data lacks, is appended
 * to @problems as "FILE:LINE: ..." (@config_file names the configuration
 * for configured fields). Free with grammar_free(). */
Grammar *grammar_new(const GPtrArray *langs, const Language *mail, const GPtrArray *fields,
		     const char *config_file, GString *problems);
void grammar_free(Grammar *g);

/* Languages are numbered by their place in event.languages; a mask has
 * bit i set for language i. */

/* The field whose key is @folded, or NULL; *@langs: the languages whose
 * key it is (0 for a configured key of no language in particular). */
const Field *grammar_field(const Grammar *g, const char *folded, guint32 *langs);

/* The field whose key is within a typing slip of @folded, when exactly one
 * field is that close; *@key is that key as written (borrowed). */
const Field *grammar_field_near(const Grammar *g, const char *folded, const char **key);

/* TRUE when @folded starts a delegation member's block ("Attendee"). */
gboolean grammar_attendee_key(const Grammar *g, const char *folded, guint32 *langs);

/* TRUE when @folded (one to a few words) is a command word. */
gboolean grammar_command(const Grammar *g, const char *folded, Command *command,
			 guint32 *langs);

/* The longest command, in words. */
guint grammar_command_words(const Grammar *g);

/* TRUE when @folded is one of the words of @group in [words]: "all",
 * "none", "yes", "no", "ordinals", "from", "to". "yes" and "no" also take
 * the words mail.conf lists for them, in every language. */
gboolean grammar_word(const Grammar *g, const char *group, const char *folded, guint32 *langs);

/* TRUE when one of the words of @group stands, as whole words, in
 * @folded (a folded line): "can no longer come" in "i can no longer come
 * on tuesday". */
gboolean grammar_contains(const Grammar *g, const char *group, const char *folded);

/* The weekday (1 = Monday) or month (1 = January) @folded names, a name or
 * an abbreviation (months also by their first three letters or more), or
 * 0. *@langs, when not NULL, is set to the languages that name it so. */
int grammar_weekday(const Grammar *g, const char *folded, guint32 *langs);
int grammar_month(const Grammar *g, const char *folded, guint32 *langs);

/* The code of the event language that @folded names ("français", "fr",
 * "romanian"), or NULL. Borrowed. */
const char *grammar_language(const Grammar *g, const char *folded);

/* What mail clients write. @word and @line as described for each. */
gboolean grammar_subject_prefix(const Grammar *g, const char *folded_word);
gboolean grammar_quote_separator(const Grammar *g, const char *trimmed_line);
gboolean grammar_quote_opener(const Grammar *g, const char *trimmed_line);
gboolean grammar_header_key(const Grammar *g, const char *group, const char *folded_key);
gboolean grammar_disclaimer(const Grammar *g, const char *trimmed_line);
gboolean grammar_robot_subject(const Grammar *g, const char *subject);

/* The number of languages. */
guint grammar_n_languages(const Grammar *g);
