/* SPDX-License-Identifier: ISC */
/* fuzz-template.c: any bytes as a mail template (template.c), as text
 * (tmpl_new_from_string) and as its HTML twin (tmpl_new_html_from_string),
 * each that parses rendered against one fixed context shaped like
 * compose.c's: nested objects, lists of objects and of strings, numbers,
 * booleans, null, empty values, and text that HTML must escape. A template
 * either is refused with "NAME:LINE: what" or renders, its subject one
 * line. */

#include "autoconfig.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "template.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char context_json[] =
    "{\"name\": \"Ana Popescu\", \"title\": \"Kick-off <meeting> & \\\"lunch\\\"\","
    " \"count\": 3, \"percent\": 12.5, \"full\": true, \"changed\": false,"
    " \"since\": null, \"reason\": \"\", \"activities\": [],"
    " \"event\": {\"name\": \"CAMPUS kick-off\", \"address\": \"register@campus.example.org\","
    "  \"first_day\": \"Monday 15 September 2025\","
    "  \"days\": [{\"label\": \"Monday\", \"title\": \"Arrival\"}, {\"label\": \"Tuesday\"}]},"
    " \"attendee\": {\"name\": \"Ana\", \"email\": \"ana@inatech.ro\","
    "  \"diet\": \"halal, no sesame\","
    "  \"arrival\": null, \"role\": \"\", \"day_labels\": [\"lundi 15\", \"mardi 16\"],"
    "  \"activity_details\": [{\"title\": \"Visit\", \"start\": \"09:00\", \"end\": \"12:00\","
    "   \"notes\": [{\"line\": \"Bring shoes\\r\\nand a coat\"}]}, {\"title\": \"Workshop\"}]},"
    " \"problems\": [{\"line\": 4, \"text\": \"Thursday: no such day\","
    "  \"code\": \"unknown-day\"}],"
    " \"changes\": {\"count\": 2, \"more\": false, \"registered\": [{\"name\": \"Matti\"}]},"
    " \"csv\": \"email,name\\r\\nana@inatech.ro,Ana\\r\\n\"}";

static JsonObject *context(void)
{
	static JsonObject *ctx;

	if (ctx == NULL) {
		g_autoptr(GError) error = NULL;
		JsonNode *root = json_from_string(context_json, &error);

		if (root == NULL)
			g_error("fuzz-template: %s", error->message);
		ctx = json_object_ref(json_node_get_object(root));
		json_node_unref(root);
	}
	return ctx;
}

static void render(Template *t, gboolean html)
{
	g_autofree char *subject = NULL;
	g_autofree char *body = NULL;

	tmpl_render(t, context(), &subject, &body);
	g_assert(strchr(subject, '\n') == NULL && strchr(subject, '\r') == NULL);
	g_assert(!html || subject[0] == '\0');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autofree char *text = g_strndup((const char *)data, size);
	g_autoptr(GError) text_error = NULL;
	g_autoptr(GError) html_error = NULL;
	g_autoptr(Template) t = NULL;
	g_autoptr(Template) h = NULL;

	g_log_set_always_fatal(G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
	t = tmpl_new_from_string(text, "fuzz", &text_error);
	if (t != NULL)
		render(t, FALSE);
	else
		g_assert(g_str_has_prefix(text_error->message, "fuzz:"));
	h = tmpl_new_html_from_string(text, "fuzz", &html_error);
	if (h != NULL)
		render(h, TRUE);
	else
		g_assert(g_str_has_prefix(html_error->message, "fuzz:"));
	return 0;
}
