/* SPDX-License-Identifier: ISC */
/* html.c: HTML mail parts into text, by walking the tree libxml2's HTML
 * parser builds (never by stripping tags by hand). It must never fetch
 * anything (no network, no entities from outside) and never fail. */

#include "autoconfig.h"

#include "html.h"

#include <libxml/HTMLparser.h>
#include <libxml/tree.h>
#include <string.h>

/* Elements whose content is not read. */
static const char *const skipped[] = {"head", "style", "script", "title", "template", "noscript",
				      "object", "iframe", NULL};

/* Elements that begin and end a line. */
static const char *const blocks[] = {"p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5",
				     "h6", "table", "ul", "ol", "dl", "dt", "dd", "pre",
				     "address", "section", "article", "header", "footer",
				     "blockquote", "hr", "center", "form", "fieldset", NULL};

typedef struct {
	GString *out;
	int quote;          /* depth of quoted blocks */
	gboolean at_start;  /* nothing written on the current line yet */
	gboolean space;     /* a space is due before the next word */
	int pre;            /* inside <pre>: keep whitespace */
} Walk;

static gboolean name_in(const xmlChar *name, const char *const *list)
{
	for (const char *const *n = list; *n != NULL; n++)
		if (g_ascii_strcasecmp((const char *)name, *n) == 0)
			return TRUE;
	return FALSE;
}

static void line_break(Walk *w)
{
	g_string_append_c(w->out, '\n');
	w->at_start = TRUE;
	w->space = FALSE;
}

/* Ends the current line if anything is on it. */
static void block_edge(Walk *w)
{
	if (!w->at_start)
		line_break(w);
}

static void start_line(Walk *w)
{
	if (!w->at_start)
		return;
	for (int i = 0; i < w->quote; i++)
		g_string_append(w->out, "> ");
	w->at_start = FALSE;
}

/* g_unichar_isspace(), without its table for ASCII. */
static gboolean is_space(gunichar c)
{
	if (c < 0x80)
		return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
	return g_unichar_isspace(c);
}

static void add_text(Walk *w, const char *text)
{
	for (const char *p = text; *p != '\0'; p = g_utf8_next_char(p)) {
		/* ASCII, most of the text, without decoding it as UTF-8. */
		gunichar c = (guchar)*p < 0x80 ? (gunichar)*p : g_utf8_get_char(p);

		if (w->pre && c == '\n') {
			line_break(w);
			continue;
		}
		/* No-break spaces are spaces to a reader, and to our parser. */
		if (c == 0xA0 || c == 0x202F)
			c = ' ';
		if (!w->pre && is_space(c)) {
			w->space = TRUE;
			continue;
		}
		if (w->space && !w->at_start)
			g_string_append_c(w->out, ' ');
		w->space = FALSE;
		start_line(w);
		if (c < 0x80)
			g_string_append_c(w->out, (char)c);
		else
			g_string_append_unichar(w->out, c);
	}
}

static gboolean is_quote_block(xmlNode *node)
{
	g_autofree char *cls = NULL;
	xmlChar *v;

	if (g_ascii_strcasecmp((const char *)node->name, "blockquote") == 0)
		return TRUE;
	v = xmlGetProp(node, (const xmlChar *)"class");
	if (v == NULL)
		return FALSE;
	cls = g_strdup((const char *)v);
	xmlFree(v);
	/* Gmail's quoted reply; Apple Mail marks it with type="cite" on a
	 * blockquote, covered above. */
	return strstr(cls, "gmail_quote") != NULL;
}

static void walk(Walk *w, xmlNode *node, int depth)
{
	/* libxml2 caps the tree's depth itself; this bounds our recursion too. */
	if (depth > 256)
		return;
	for (; node != NULL; node = node->next) {
		if (node->type == XML_TEXT_NODE || node->type == XML_CDATA_SECTION_NODE) {
			add_text(w, (const char *)node->content);
			continue;
		}
		if (node->type != XML_ELEMENT_NODE || name_in(node->name, skipped))
			continue;
		if (g_ascii_strcasecmp((const char *)node->name, "br") == 0) {
			start_line(w);
			line_break(w);
			continue;
		}
		if (name_in(node->name, blocks)) {
			gboolean quote = is_quote_block(node);
			gboolean pre = g_ascii_strcasecmp((const char *)node->name, "pre") == 0;

			block_edge(w);
			w->quote += quote;
			w->pre += pre;
			walk(w, node->children, depth + 1);
			block_edge(w);
			w->quote -= quote;
			w->pre -= pre;
			continue;
		}
		if (g_ascii_strcasecmp((const char *)node->name, "td") == 0 ||
		    g_ascii_strcasecmp((const char *)node->name, "th") == 0)
			w->space = TRUE;
		walk(w, node->children, depth + 1);
	}
}

char *html_to_text(const char *html, gsize len)
{
	static gsize initialised;
	Walk w = {g_string_new(NULL), 0, TRUE, FALSE, 0};
	htmlDocPtr doc;

	/* Once, before any parse: intake parses in a thread of its own. */
	if (g_once_init_enter(&initialised)) {
		xmlInitParser();
		g_once_init_leave(&initialised, 1);
	}
	if (len > G_MAXINT)
		len = G_MAXINT;
	doc = htmlReadMemory(html, (int)len, NULL, "UTF-8",
			     HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
				     HTML_PARSE_NONET | HTML_PARSE_IGNORE_ENC);
	if (doc != NULL) {
		walk(&w, xmlDocGetRootElement(doc), 0);
		xmlFreeDoc(doc);
	}
	block_edge(&w);
	return g_string_free(w.out, FALSE);
}
