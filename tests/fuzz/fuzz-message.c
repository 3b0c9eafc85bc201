/* SPDX-License-Identifier: ISC */
/* fuzz-message.c: a whole message, any bytes, through the reader
 * (message.c) and then request_parse() (request.c) against the shipped
 * configuration, every problem described in every language. Beyond not
 * crashing, it holds them to their headers' promises: every field is valid
 * UTF-8, and every header value, and every value read from the text, one
 * line with no control character. */

#include "autoconfig.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "bounce.h"
#include "config.h"
#include "message.h"
#include "request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const Config *shipped_config(void)
{
	static Config *cfg;

	if (cfg == NULL) {
		g_autoptr(GError) error = NULL;

		g_log_set_always_fatal(G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
		/* Its templates and languages are named relative to the sources. */
		if (chdir(FUZZ_SRCDIR) != 0)
			g_error("fuzz-message: cannot enter %s", FUZZ_SRCDIR);
		cfg = config_load("etc/convene.conf", &error);
		if (cfg == NULL)
			g_error("fuzz-message: %s", error->message);
	}
	return cfg;
}

/* Whether @s is one line of valid UTF-8: no C0 or C1 control character,
 * no DEL, no Unicode line or paragraph separator. */
static gboolean one_line(const char *s)
{
	if (s == NULL || !g_utf8_validate(s, -1, NULL))
		return FALSE;
	for (const char *p = s; *p != '\0'; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);

		if (g_unichar_iscntrl(c) || c == 0x2028 || c == 0x2029)
			return FALSE;
	}
	return TRUE;
}

static void check_message(const Message *msg)
{
	g_assert(one_line(msg->from_address) && strchr(msg->from_address, '@') != NULL);
	g_assert(one_line(msg->from_name));
	g_assert(one_line(msg->message_id) && msg->message_id[0] != '\0');
	g_assert(one_line(msg->references));
	g_assert(one_line(msg->subject));
	g_assert(msg->robot == NULL || one_line(msg->robot));
	g_assert(msg->detail == NULL || one_line(msg->detail));
	g_assert(msg->content_language == NULL || one_line(msg->content_language));
	/* Only what was written to a bounce address is read as a report. */
	g_assert((msg->report != NULL) == bounce_is_address(msg->detail));
	/* The body keeps its lines, LF only; tabs are the person's own. */
	g_assert(msg->body != NULL && g_utf8_validate(msg->body, -1, NULL));
	g_assert(strchr(msg->body, '\r') == NULL);
}

/* What request.h promises of a person's fields: cleaned text, each of a
 * field the table has. */
static void check_fields(const Config *cfg, const RequestFields *f)
{
	GHashTableIter it;
	gpointer id, values;

	g_hash_table_iter_init(&it, f->values);
	while (g_hash_table_iter_next(&it, &id, &values)) {
		const GPtrArray *list = values;

		g_assert(config_field(cfg, id) != NULL);
		for (guint i = 0; i < list->len; i++)
			g_assert(one_line(g_ptr_array_index(list, i)));
	}
}

static void describe_all(const GPtrArray *problems, const Config *cfg)
{
	for (guint i = 0; i < problems->len; i++) {
		const RequestProblem *p = g_ptr_array_index(problems, i);
		g_assert(one_line(p->code) && one_line(p->text));
		for (guint k = 0; cfg->languages[k] != NULL; k++) {
			g_autofree char *text = request_problem_describe(p, cfg, cfg->languages[k]);

			g_assert(g_utf8_validate(text, -1, NULL));
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const Config *cfg = shipped_config();
	g_autoptr(Message) msg = NULL;
	g_autoptr(Request) req = NULL;

	msg = message_read_bytes(data, size, cfg->max_message_size, cfg->event_address, NULL);
	if (msg == NULL)
		return 0;
	check_message(msg);
	req = request_parse(cfg, msg->subject, msg->detail, msg->body);
	g_assert(req->argument == NULL || one_line(req->argument));
	check_fields(cfg, &req->fields);
	for (guint i = 0; i < req->people->len; i++)
		check_fields(cfg, g_ptr_array_index(req->people, i));
	for (guint i = 0; i < req->prose->len; i++)
		g_assert(one_line(g_ptr_array_index(req->prose, i)));
	describe_all(req->problems, cfg);
	describe_all(req->notes, cfg);
	g_assert(config_has_language(cfg, request_language(req, cfg, NULL, msg->content_language)));
	return 0;
}
