/* SPDX-License-Identifier: ISC */
/* template.c: parses mustache-style mail templates into a tree once, at
 * load time, and renders that tree against a JSON context. Every mistake in
 * a template is reported when it is loaded; rendering must never fail, and
 * it must never alter or interpret the values it inserts. */

#include "autoconfig.h"

#include <string.h>

#include "template.h"

/* Sections nest no deeper than this: rendering and freeing recurse once a
 * level, and a template nested a hundred thousand deep overflowed the
 * stack. The shipped ones go three deep. */
#define TMPL_MAX_DEPTH 100

GQuark tmpl_error_quark(void)
{
	return g_quark_from_static_string("tmpl-error-quark");
}

typedef enum {
	NODE_TEXT,
	NODE_VARIABLE,
	NODE_SECTION,
	NODE_INVERTED,
} NodeKind;

typedef struct {
	NodeKind kind;
	char *text;	     /* the literal text, or the name as written in the tag */
	char **path;	     /* the name split at its dots; NULL for "." */
	GPtrArray *children; /* sections only: the nodes between the two tags */
	guint line;	     /* where the tag is, for errors about closing it */
} Node;

struct _Template {
	GPtrArray *subject; /* of Node; empty for HTML */
	GPtrArray *body;    /* of Node */
	gboolean html;      /* values are escaped as HTML text */
};

static void node_free(gpointer data)
{
	Node *n = data;

	g_free(n->text);
	g_strfreev(n->path);
	if (n->children != NULL)
		g_ptr_array_unref(n->children);
	g_free(n);
}

static GPtrArray *node_list_new(void)
{
	return g_ptr_array_new_with_free_func(node_free);
}

static void add_text(GPtrArray *into, const char *from, const char *to)
{
	Node *n;

	if (from >= to)
		return;
	n = g_new0(Node, 1);
	n->kind = NODE_TEXT;
	n->text = g_strndup(from, to - from);
	g_ptr_array_add(into, n);
}

G_GNUC_PRINTF(4, 5)
static void set_syntax_error(GError **error, const char *name, guint line, const char *format, ...)
{
	g_autofree char *what = NULL;
	va_list ap;

	va_start(ap, format);
	what = g_strdup_vprintf(format, ap);
	va_end(ap);
	g_set_error(error, TMPL_ERROR, TMPL_ERROR_SYNTAX, "%s:%u: %s", name, line, what);
}

static gboolean is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* A name is "." or dot-separated words of letters, digits, '_' and '-':
 * anything else is far more likely a typo than a member name. */
static gboolean name_is_valid(const char *name)
{
	gboolean word = FALSE;

	if (strcmp(name, ".") == 0)
		return TRUE;
	for (const char *c = name; *c != '\0'; c++) {
		if (*c == '.') {
			if (!word)
				return FALSE;
			word = FALSE;
		} else if (g_ascii_isalnum(*c) || *c == '_' || *c == '-') {
			word = TRUE;
		} else {
			return FALSE;
		}
	}
	return word;
}

/* Reads the tag whose "{{" is at @p: its @sigil ('#', '^', '/', or '\0' for
 * a variable) and its @name, blanks removed, newly allocated. A tag must
 * close on its own line, so that a forgotten "}}" is reported where it was
 * forgotten. Returns the byte after "}}", or NULL if the line has none. */
static const char *scan_tag(const char *p, const char *end, char *sigil, char **name)
{
	const char *in = p + 2, *close = in;
	const char *last;

	while (close + 1 < end && *close != '\n' && !(close[0] == '}' && close[1] == '}'))
		close++;
	if (close + 1 >= end || *close == '\n')
		return NULL;
	*sigil = '\0';
	if (in < close && strchr("#^/", *in) != NULL)
		*sigil = *in++;
	while (in < close && is_blank(*in))
		in++;
	last = close;
	while (last > in && is_blank(last[-1]))
		last--;
	*name = g_strndup(in, last - in);
	return close + 2;
}

/* A section tag that is alone on its line, blanks aside, takes the whole
 * line with it. Returns where the next line starts if so, else NULL. */
static const char *standalone_end(const char *line_start, const char *tag_start,
				  const char *tag_end, const char *end)
{
	const char *q;

	for (q = line_start; q < tag_start; q++)
		if (!is_blank(*q))
			return NULL;
	for (q = tag_end; q < end && is_blank(*q); q++)
		;
	if (q == end)
		return end;
	if (*q == '\n')
		return q + 1;
	if (*q == '\r' && q + 1 < end && q[1] == '\n')
		return q + 2;
	return NULL;
}

static const char *sigil_str(char sigil)
{
	return sigil == '#' ? "#" : sigil == '^' ? "^" : sigil == '/' ? "/" : "";
}

static const char *section_sigil(const Node *n)
{
	return n->kind == NODE_SECTION ? "#" : "^";
}

/* A variable or section node for a tag with @sigil; takes @name. */
static Node *tag_node_new(char sigil, char *name, guint line)
{
	Node *n = g_new0(Node, 1);

	n->text = name;
	if (strcmp(name, ".") != 0)
		n->path = g_strsplit(name, ".", -1);
	n->line = line;
	if (sigil == '\0') {
		n->kind = NODE_VARIABLE;
	} else {
		n->kind = sigil == '#' ? NODE_SECTION : NODE_INVERTED;
		n->children = node_list_new();
	}
	return n;
}

/* Closes the innermost of the @open sections with {{/@tag_name}}, found on
 * line @line of @file. */
static gboolean close_section(GPtrArray *open, const char *tag_name, const char *file, guint line,
			      GError **error)
{
	const Node *top;

	if (open->len == 0) {
		set_syntax_error(error, file, line, "{{/%s}} closes no section", tag_name);
		return FALSE;
	}
	top = g_ptr_array_index(open, open->len - 1);
	if (strcmp(top->text, tag_name) != 0) {
		set_syntax_error(error, file, line,
				 "{{/%s}} does not close {{%s%s}} opened on line %u", tag_name,
				 section_sigil(top), top->text, top->line);
		return FALSE;
	}
	g_ptr_array_remove_index(open, open->len - 1);
	return TRUE;
}

/* Parses [@start, @end), whose first line is line @line of @file. Section
 * tags alone on a line remove that line when @standalone_ok. Returns a new
 * list of Node, or NULL with @error set. */
static GPtrArray *parse(const char *file, const char *start, const char *end, guint line,
			gboolean standalone_ok, GError **error)
{
	g_autoptr(GPtrArray) root = node_list_new();
	g_autoptr(GPtrArray) open = g_ptr_array_new(); /* borrowed Node of open sections */
	GPtrArray *into = root;
	const char *p = start, *line_start = start, *text = start;

	while (p < end) {
		g_autofree char *tag_name = NULL;
		const char *tag_end, *next = NULL;
		char sigil;

		if (*p == '\n') {
			line++;
			line_start = ++p;
			continue;
		}
		if (p + 1 >= end || p[0] != '{' || p[1] != '{') {
			p++;
			continue;
		}
		tag_end = scan_tag(p, end, &sigil, &tag_name);
		if (tag_end == NULL) {
			set_syntax_error(error, file, line,
					 "\"{{\" without \"}}\" on the same line");
			return NULL;
		}
		if (!name_is_valid(tag_name)) {
			set_syntax_error(error, file, line, "bad tag {{%s%s}}: expected a name",
					 sigil_str(sigil), tag_name);
			return NULL;
		}
		if (sigil != '\0' && standalone_ok)
			next = standalone_end(line_start, p, tag_end, end);
		add_text(into, text, next != NULL ? line_start : p);

		if (sigil == '/') {
			if (!close_section(open, tag_name, file, line, error))
				return NULL;
			into = open->len > 0
				   ? ((Node *)g_ptr_array_index(open, open->len - 1))->children
				   : root;
		} else {
			Node *n = tag_node_new(sigil, g_steal_pointer(&tag_name), line);

			g_ptr_array_add(into, n);
			if (n->children != NULL) {
				if (open->len == TMPL_MAX_DEPTH) {
					set_syntax_error(error, file, line,
							 "sections nested deeper than %d",
							 TMPL_MAX_DEPTH);
					return NULL;
				}
				g_ptr_array_add(open, n);
				into = n->children;
			}
		}

		if (next != NULL) {
			if (next > tag_end && next[-1] == '\n')
				line++;
			line_start = next;
			p = next;
		} else {
			p = tag_end;
		}
		text = p;
	}
	if (open->len > 0) {
		const Node *top = g_ptr_array_index(open, open->len - 1);

		set_syntax_error(error, file, top->line, "{{%s%s}} is never closed",
				 section_sigil(top), top->text);
		return NULL;
	}
	add_text(into, text, end);
	return g_steal_pointer(&root);
}

/* Splits @len bytes of @text into its Subject: line and its body and parses
 * both; @name stands for the file in error messages. An @html template is
 * all body: the mail's subject comes from its text twin. */
static Template *parse_template(const char *text, gsize len, const char *name, gboolean html,
				gboolean body_only, GError **error)
{
	static const char bom[] = "\xEF\xBB\xBF";
	static const char prefix[] = "Subject:";
	const char *end = text + len, *bad, *eol, *subject_end, *body;
	g_autoptr(GPtrArray) subject = NULL;
	g_autoptr(GPtrArray) parsed_body = NULL;
	Template *t;

	if (!g_utf8_validate(text, len, &bad)) {
		guint line = 1;

		for (const char *c = text; c < bad; c++)
			line += *c == '\n';
		set_syntax_error(error, name, line, "not valid UTF-8");
		return NULL;
	}
	if (len >= sizeof bom - 1 && memcmp(text, bom, sizeof bom - 1) == 0)
		text += sizeof bom - 1;
	if (html || body_only) {
		parsed_body = parse(name, text, end, 1, TRUE, error);
		if (parsed_body == NULL)
			return NULL;
		t = g_new0(Template, 1);
		t->subject = node_list_new();
		t->body = g_steal_pointer(&parsed_body);
		t->html = html;
		return t;
	}
	if ((gsize)(end - text) < sizeof prefix - 1 ||
	    g_ascii_strncasecmp(text, prefix, sizeof prefix - 1) != 0) {
		set_syntax_error(error, name, 1, "the first line must be \"Subject: ...\"");
		return NULL;
	}
	eol = memchr(text, '\n', end - text);
	body = eol != NULL ? eol + 1 : end;
	subject_end = eol != NULL ? eol : end;
	if (subject_end > text && subject_end[-1] == '\r')
		subject_end--;

	subject = parse(name, text + sizeof prefix - 1, subject_end, 1, FALSE, error);
	if (subject == NULL)
		return NULL;
	parsed_body = parse(name, body, end, 2, TRUE, error);
	if (parsed_body == NULL)
		return NULL;
	t = g_new0(Template, 1);
	t->subject = g_steal_pointer(&subject);
	t->body = g_steal_pointer(&parsed_body);
	return t;
}

/* A language or kind names one directory entry, never a way out of it. */
static gboolean is_plain_name(const char *s)
{
	return *s != '\0' && *s != '.' && strchr(s, '/') == NULL;
}

static Template *load(const char *dir, const char *lang, const char *kind, gboolean html,
		      GError **error)
{
	g_autofree char *file = NULL;
	g_autofree char *path = NULL;
	g_autofree char *text = NULL;
	g_autoptr(GError) local = NULL;
	gsize len;

	g_return_val_if_fail(dir != NULL && lang != NULL && kind != NULL, NULL);
	g_return_val_if_fail(error == NULL || *error == NULL, NULL);

	file = g_strconcat(kind, html ? ".html" : ".txt", NULL);
	path = g_build_filename(dir, lang, file, NULL);
	if (!is_plain_name(lang) || !is_plain_name(kind)) {
		g_set_error(error, TMPL_ERROR, TMPL_ERROR_READ,
			    "%s: language and kind must be plain file names", path);
		return NULL;
	}
	if (!g_file_get_contents(path, &text, &len, &local)) {
		g_set_error(error, TMPL_ERROR, TMPL_ERROR_READ, "%s: %s", path, local->message);
		return NULL;
	}
	return parse_template(text, len, path, html, FALSE, error);
}

Template *tmpl_load(const char *dir, const char *lang, const char *kind, GError **error)
{
	return load(dir, lang, kind, FALSE, error);
}

Template *tmpl_load_html(const char *dir, const char *lang, const char *kind, GError **error)
{
	return load(dir, lang, kind, TRUE, error);
}

gboolean tmpl_html_exists(const char *dir, const char *lang, const char *kind)
{
	g_autofree char *file = g_strconcat(kind, ".html", NULL);
	g_autofree char *path = g_build_filename(dir, lang, file, NULL);

	return is_plain_name(lang) && is_plain_name(kind) &&
	       g_file_test(path, G_FILE_TEST_IS_REGULAR);
}

Template *tmpl_new_from_string(const char *text, const char *name, GError **error)
{
	g_return_val_if_fail(text != NULL && name != NULL, NULL);
	g_return_val_if_fail(error == NULL || *error == NULL, NULL);

	return parse_template(text, strlen(text), name, FALSE, FALSE, error);
}

Template *tmpl_new_text_from_string(const char *text, const char *name, GError **error)
{
	g_return_val_if_fail(text != NULL && name != NULL, NULL);
	g_return_val_if_fail(error == NULL || *error == NULL, NULL);

	return parse_template(text, strlen(text), name, FALSE, TRUE, error);
}

Template *tmpl_new_html_from_string(const char *text, const char *name, GError **error)
{
	g_return_val_if_fail(text != NULL && name != NULL, NULL);
	g_return_val_if_fail(error == NULL || *error == NULL, NULL);

	return parse_template(text, strlen(text), name, TRUE, FALSE, error);
}

void tmpl_free(Template *t)
{
	if (t == NULL)
		return;
	g_ptr_array_unref(t->subject);
	g_ptr_array_unref(t->body);
	g_free(t);
}

static JsonObject *as_object(JsonNode *node)
{
	return node != NULL && JSON_NODE_HOLDS_OBJECT(node) ? json_node_get_object(node) : NULL;
}

/* Finds @n's name in @scopes (innermost last). Once the first part of a
 * dotted name is found, the rest must be under it: outer scopes are not
 * tried again, or "a.b" could silently come from an unrelated "a". */
static JsonNode *lookup(GPtrArray *scopes, const Node *n)
{
	if (n->path == NULL)
		return g_ptr_array_index(scopes, scopes->len - 1);
	for (guint i = scopes->len; i-- > 0;) {
		JsonObject *scope = as_object(g_ptr_array_index(scopes, i));
		JsonNode *value;

		if (scope == NULL || (value = json_object_get_member(scope, n->path[0])) == NULL)
			continue;
		for (guint k = 1; n->path[k] != NULL && value != NULL; k++) {
			JsonObject *inner = as_object(value);

			value = inner != NULL ? json_object_get_member(inner, n->path[k]) : NULL;
		}
		return value;
	}
	return NULL;
}

/* Appends @s as text of an HTML document: markup characters become
 * entities, so a value can never open a tag or leave an attribute. The
 * apostrophe is &#39;, which every mail client's HTML reads (not &apos;). */
static void append_escaped(GString *out, const char *s)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '&':
			g_string_append(out, "&amp;");
			break;
		case '<':
			g_string_append(out, "&lt;");
			break;
		case '>':
			g_string_append(out, "&gt;");
			break;
		case '"':
			g_string_append(out, "&quot;");
			break;
		case '\'':
			g_string_append(out, "&#39;");
			break;
		default:
			g_string_append_c(out, *s);
		}
	}
}

static void append_value(GString *out, JsonNode *value, gboolean escape)
{
	GType type;

	if (value == NULL || !JSON_NODE_HOLDS_VALUE(value))
		return;
	type = json_node_get_value_type(value);
	if (type == G_TYPE_STRING) {
		if (escape)
			append_escaped(out, json_node_get_string(value));
		else
			g_string_append(out, json_node_get_string(value));
	} else if (type == G_TYPE_INT64) {
		g_string_append_printf(out, "%" G_GINT64_FORMAT, json_node_get_int(value));
	} else if (type == G_TYPE_DOUBLE) {
		/* g_ascii_formatd: a decimal point whatever the locale. */
		char buf[G_ASCII_DTOSTR_BUF_SIZE];
		double d = json_node_get_double(value);

		g_string_append(out, g_ascii_formatd(buf, sizeof buf, "%g", d));
	} else if (type == G_TYPE_BOOLEAN) {
		g_string_append(out, json_node_get_boolean(value) ? "true" : "false");
	}
}

/* Whether a section over a value that is not an array renders once. */
static gboolean is_truthy(JsonNode *value)
{
	GType type;

	if (value == NULL || JSON_NODE_HOLDS_NULL(value))
		return FALSE;
	if (JSON_NODE_HOLDS_OBJECT(value))
		return TRUE;
	if (!JSON_NODE_HOLDS_VALUE(value))
		return FALSE;
	type = json_node_get_value_type(value);
	if (type == G_TYPE_STRING)
		return *json_node_get_string(value) != '\0';
	if (type == G_TYPE_INT64)
		return json_node_get_int(value) != 0;
	if (type == G_TYPE_DOUBLE)
		return json_node_get_double(value) != 0.0;
	if (type == G_TYPE_BOOLEAN)
		return json_node_get_boolean(value);
	return FALSE;
}

static void render_nodes(const GPtrArray *nodes, GPtrArray *scopes, GString *out,
			 gboolean escape);

static void render_in_scope(const Node *n, JsonNode *scope, GPtrArray *scopes, GString *out,
			    gboolean escape)
{
	g_ptr_array_add(scopes, scope);
	render_nodes(n->children, scopes, out, escape);
	g_ptr_array_remove_index(scopes, scopes->len - 1);
}

static void render_section(const Node *n, GPtrArray *scopes, GString *out, gboolean escape)
{
	JsonNode *value = lookup(scopes, n);
	JsonArray *array = NULL;
	guint len;

	if (value != NULL && JSON_NODE_HOLDS_ARRAY(value))
		array = json_node_get_array(value);
	if (array == NULL) {
		gboolean truthy = is_truthy(value);

		if (n->kind == NODE_INVERTED && !truthy)
			render_nodes(n->children, scopes, out, escape);
		else if (n->kind == NODE_SECTION && truthy)
			render_in_scope(n, value, scopes, out, escape);
		return;
	}
	len = json_array_get_length(array);
	if (n->kind == NODE_INVERTED) {
		if (len == 0)
			render_nodes(n->children, scopes, out, escape);
		return;
	}
	for (guint i = 0; i < len; i++)
		render_in_scope(n, json_array_get_element(array, i), scopes, out, escape);
}

static void render_nodes(const GPtrArray *nodes, GPtrArray *scopes, GString *out,
			 gboolean escape)
{
	for (guint i = 0; i < nodes->len; i++) {
		const Node *n = g_ptr_array_index(nodes, i);

		switch (n->kind) {
		case NODE_TEXT:
			g_string_append(out, n->text);
			break;
		case NODE_VARIABLE:
			append_value(out, lookup(scopes, n), escape);
			break;
		case NODE_SECTION:
		case NODE_INVERTED:
			render_section(n, scopes, out, escape);
			break;
		}
	}
}

/* --- checking names against a sample context --------------------------------- */

/* Finds the scope where @n's first part is, innermost first; NULL when no
 * scope has it. */
static JsonObject *owner_scope(GPtrArray *scopes, const Node *n)
{
	for (guint i = scopes->len; i-- > 0;) {
		JsonObject *scope = as_object(g_ptr_array_index(scopes, i));

		if (scope != NULL && json_object_has_member(scope, n->path[0]))
			return scope;
	}
	return NULL;
}

static void check_nodes(const GPtrArray *nodes, GPtrArray *scopes, const char *file,
			GString *problems)
{
	for (guint i = 0; i < nodes->len; i++) {
		const Node *n = g_ptr_array_index(nodes, i);
		JsonNode *value;
		gboolean known, pushed = FALSE;

		if (n->kind == NODE_TEXT || n->path == NULL)
			continue;
		known = owner_scope(scopes, n) != NULL;
		value = known ? lookup(scopes, n) : NULL;
		if (known && value == NULL)
			g_string_append_printf(
			    problems, "%s:%u: {{%s%s}}: no such %s here\n", file, n->line,
			    n->kind == NODE_VARIABLE ? "" : section_sigil(n), n->text,
			    n->kind == NODE_VARIABLE ? "variable" : "section");
		if (n->kind != NODE_SECTION) {
			if (n->children != NULL)
				check_nodes(n->children, scopes, file, problems);
			continue;
		}
		/* Inside a list, names are checked against its first element. */
		if (value != NULL && JSON_NODE_HOLDS_ARRAY(value) &&
		    json_array_get_length(json_node_get_array(value)) > 0)
			value = json_array_get_element(json_node_get_array(value), 0);
		if (value != NULL && JSON_NODE_HOLDS_OBJECT(value)) {
			g_ptr_array_add(scopes, value);
			pushed = TRUE;
		}
		check_nodes(n->children, scopes, file, problems);
		if (pushed)
			g_ptr_array_remove_index(scopes, scopes->len - 1);
	}
}

void tmpl_check_names(const Template *t, JsonObject *ctx, const char *file, GString *problems)
{
	g_autoptr(JsonNode) root = json_node_init_object(json_node_alloc(), ctx);
	g_autoptr(GPtrArray) scopes = g_ptr_array_new();

	g_ptr_array_add(scopes, root);
	check_nodes(t->subject, scopes, file, problems);
	check_nodes(t->body, scopes, file, problems);
}

/* Folds a rendered subject onto one line: a header must not be split by a
 * value that happens to hold a line break. */
static char *one_line(const char *s)
{
	g_auto(GStrv) lines = g_strsplit_set(s, "\r\n", -1);
	GString *out = g_string_new(NULL);

	for (guint i = 0; lines[i] != NULL; i++) {
		const char *line = g_strstrip(lines[i]);

		if (*line == '\0')
			continue;
		if (out->len > 0)
			g_string_append_c(out, ' ');
		g_string_append(out, line);
	}
	return g_string_free(out, FALSE);
}

void tmpl_render(const Template *t, JsonObject *ctx, char **subject, char **body)
{
	g_autoptr(JsonNode) root = NULL;
	g_autoptr(GPtrArray) scopes = NULL;
	g_autoptr(GString) rendered_subject = NULL;
	GString *out;

	g_return_if_fail(t != NULL && subject != NULL && body != NULL);

	root = json_node_init_object(json_node_alloc(), ctx);
	scopes = g_ptr_array_new();
	g_ptr_array_add(scopes, root);

	rendered_subject = g_string_new(NULL);
	render_nodes(t->subject, scopes, rendered_subject, FALSE);
	*subject = one_line(rendered_subject->str);

	out = g_string_new(NULL);
	render_nodes(t->body, scopes, out, t->html);
	*body = g_string_free(out, FALSE);
}
