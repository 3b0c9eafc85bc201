/* SPDX-License-Identifier: ISC */
/* template.h: mustache-style templates for every mail convene writes.
 * A template file starts with a "Subject:" line; the rest is the body.
 * Rendering never fails at run time: a template that does not parse is
 * refused when it is loaded. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#define TMPL_ERROR (tmpl_error_quark())
GQuark tmpl_error_quark(void);

typedef enum {
	TMPL_ERROR_READ,   /* the file cannot be read */
	TMPL_ERROR_SYNTAX, /* no Subject: line, or an unbalanced or unclosed tag */
} TmplError;

typedef struct _Template Template;

/* Loads "<dir>/<lang>/<kind>.txt". Returns NULL with @error set (message
 * "FILE:LINE: what is wrong") when it cannot be read or parsed. Free with
 * tmpl_free(). */
Template *tmpl_load(const char *dir, const char *lang, const char *kind, GError **error);

/* Parses @text as a template (Subject: line and body); @name is used in
 * error messages in place of a file name. */
Template *tmpl_new_from_string(const char *text, const char *name, GError **error);

/* Loads "<dir>/<lang>/<kind>.html", the HTML twin of a text template: all
 * body (no Subject: line), and every value it inserts is escaped as HTML
 * text (& < > " '). Errors as tmpl_load(). Free with tmpl_free(). */
Template *tmpl_load_html(const char *dir, const char *lang, const char *kind, GError **error);

/* Returns TRUE if "<dir>/<lang>/<kind>.html" exists as a regular file. */
gboolean tmpl_html_exists(const char *dir, const char *lang, const char *kind);

/* Parses @text as a template that is all body, with no Subject: line and
 * nothing escaped: a sentence of a language's data file. */
Template *tmpl_new_text_from_string(const char *text, const char *name, GError **error);

/* Parses @text as an HTML template, as tmpl_load_html() does a file. */
Template *tmpl_new_html_from_string(const char *text, const char *name, GError **error);

void tmpl_free(Template *t);

/* Renders @t against @ctx. {{name}} is replaced by the member's value
 * (strings as they are, numbers in decimal, true/false, null and missing
 * as nothing; a dotted name looks into nested objects; "." is the current
 * item); {{#name}}...{{/name}} repeats for each element of an array (the
 * element's members, or the element itself as ".", come into scope), or
 * renders once for a true, non-empty value; {{^name}}...{{/name}} renders
 * when the value is missing, false, null, empty string or empty array.
 * Names are looked up from the innermost scope outwards. A line holding
 * only a section tag leaves no blank line behind. Returns the subject
 * (one line, surrounding blanks trimmed; "" for an HTML template) and the
 * body through @subject and @body, both newly allocated. */
void tmpl_render(const Template *t, JsonObject *ctx, char **subject, char **body);

/* Checks the names in @t against @ctx, a sample of the context its kind
 * gets, appending "FILE:LINE: ..." (@file names the template) to
 * @problems for each one that is not there. A name whose first part no
 * scope has is taken on trust (the sample may lack what one kind adds);
 * once that part is found, the rest of the name must follow, and inside a
 * section over a list names are checked against the list's first element. */
void tmpl_check_names(const Template *t, JsonObject *ctx, const char *file, GString *problems);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(Template, tmpl_free)
