/* SPDX-License-Identifier: ISC */
/* lang.h: a language convene reads and writes, as data. A language is a
 * directory templates/<code>/ holding its templates and language.conf: the
 * words people write (field keys, commands, day and month names, "all",
 * "yes", ...), the words convene writes (labels, status names) and a
 * sentence for each problem. templates/mail.conf holds what mail clients
 * write around a reply, whatever the language. Loaded once with the
 * configuration and immutable afterwards: any thread may read it. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#define LANG_ERROR (lang_error_quark())
GQuark lang_error_quark(void);

typedef enum {
	LANG_ERROR_READ,    /* the file cannot be read */
	LANG_ERROR_INVALID, /* the file has one or more errors */
} LangError;

/* The data file of a language, in its directory. */
#define LANG_FILE "language.conf"
/* The mail clients' conventions, in the templates directory itself. */
#define LANG_MAIL_FILE "mail.conf"

typedef struct _Language Language;

/* Loads "<templates_dir>/<code>/language.conf". Returns NULL with @error
 * ("FILE:LINE: what is wrong") when it cannot be read or a sentence does
 * not parse. Free with lang_free(). */
Language *lang_load(const char *templates_dir, const char *code, GError **error);

/* Loads "<templates_dir>/mail.conf" the same way; it is read with the same
 * functions (lang_list()), its code being "". */
Language *lang_load_mail(const char *templates_dir, GError **error);

void lang_free(Language *l);

/* Returns the language's code ("en") and the file it was read from. */
const char *lang_code(const Language *l);
const char *lang_file(const Language *l);

/* Returns the list under @name in @group, as written ("Name", "Full
 * name", ...), or NULL when the file has none. Borrowed. */
const char *const *lang_list(const Language *l, const char *group, const char *name);

/* Returns the first entry of that list (what convene writes), or NULL. */
const char *lang_word(const Language *l, const char *group, const char *name);

/* Returns the names under @group, in file order (NULL-terminated, never
 * NULL). Borrowed. */
const char *const *lang_names(const Language *l, const char *group);

/* Returns sentence @name of @group rendered against @args (borrowed; may
 * be NULL), or NULL when the file has no such sentence. */
char *lang_render(const Language *l, const char *group, const char *name, JsonObject *args);

/* Appends a line "FILE:LINE: ..." to @problems for each of the @n @names
 * (NULL-terminated when @n is -1) that @group lacks; returns TRUE when none
 * is missing. */
gboolean lang_require(const Language *l, const char *group, const char *const *names, gssize n,
		      GString *problems);

/* The name of weekday @weekday (1 = Monday ... 7 = Sunday) and of month
 * @month (1 ... 12), as written in a sentence. Borrowed. */
const char *lang_weekday(const Language *l, int weekday);
const char *lang_month(const Language *l, int month);

/* The ids under which language.conf lists weekdays (1 to 7 from
 * [0] = "monday") and months (1 to 12 from [0] = "january"). */
extern const char *const lang_weekday_ids[7];
extern const char *const lang_month_ids[12];

/* Returns a new string naming day @ymd ("2025-09-15") in @l: "Monday 15
 * September 2025", "lundi 15 septembre 2025". An invalid date is returned
 * as it is. */
char *lang_day_label(const Language *l, const char *ymd);

/* Returns @items (char *) joined by the language's list separator. */
char *lang_join(const Language *l, const char *const *items);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(Language, lang_free)
