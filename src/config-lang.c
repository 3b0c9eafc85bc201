/* SPDX-License-Identifier: ISC */
/* config-lang.c: completes a configuration with what config.c cannot know
 * without the rest of convene: each event language's data, the field
 * table (built-in fields and the organisers' questions) and the grammar
 * folded from both. It never hands out a configuration with a problem in
 * any of them, and reports every problem, each with the file and line it
 * is in, together with those of the configuration file itself. */

#include "autoconfig.h"

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "field.h"
#include "grammar.h"
#include "lang.h"

static void add_problem(GString *problems, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static void add_problem(GString *problems, const char *fmt, ...)
{
	va_list ap;

	if (problems->len > 0)
		g_string_append_c(problems, '\n');
	va_start(ap, fmt);
	g_string_append_vprintf(problems, fmt, ap);
	va_end(ap);
}

/* The languages that have a directory with a data file, for a problem
 * naming a language that has none. */
static char *available_languages(const char *templates_dir)
{
	g_autoptr(GDir) dir = g_dir_open(templates_dir, 0, NULL);
	g_autoptr(GPtrArray) codes = g_ptr_array_new_with_free_func(g_free);
	const char *name;

	while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
		g_autofree char *data = g_build_filename(templates_dir, name, LANG_FILE, NULL);

		if (g_file_test(data, G_FILE_TEST_IS_REGULAR))
			g_ptr_array_add(codes, g_strdup(name));
	}
	g_ptr_array_sort(codes, (GCompareFunc)g_strcmp0);
	g_ptr_array_add(codes, NULL);
	return codes->len > 1 ? g_strjoinv(", ", (char **)codes->pdata) : g_strdup("none");
}

/* Loads the data of every event language, and what mail clients write. */
static void load_languages(Config *cfg, GString *problems)
{
	g_autoptr(GError) error = NULL;

	for (guint i = 0; cfg->languages[i] != NULL; i++) {
		const char *code = cfg->languages[i];
		g_autofree char *dir = g_build_filename(cfg->templates_dir, code, NULL);
		Language *l;

		if (!g_file_test(dir, G_FILE_TEST_IS_DIR)) {
			g_autofree char *have = available_languages(cfg->templates_dir);

			add_problem(problems,
				    "%s:%d: event: language '%s' has no directory %s (languages "
				    "there: %s)",
				    cfg->file, cfg->languages_line, code, dir, have);
			continue;
		}
		l = lang_load(cfg->templates_dir, code, &error);
		if (l == NULL) {
			add_problem(problems, "%s", error->message);
			g_clear_error(&error);
			continue;
		}
		g_ptr_array_add(cfg->langs, l);
	}
	cfg->mail = lang_load_mail(cfg->templates_dir, &error);
	if (cfg->mail == NULL)
		add_problem(problems, "%s", error->message);
}

/* The field table: the built-in fields, then the organisers' questions. */
static void build_fields(Config *cfg, GString *problems)
{
	cfg->fields = field_table_new();
	for (guint i = 0; i < cfg->field_specs->len; i++) {
		const ConfigFieldSpec *spec = g_ptr_array_index(cfg->field_specs, i);

		if (field_find(cfg->fields, spec->id) != NULL) {
			add_problem(problems,
				    "%s:%d: field \"%s\": \"%s\" is a built-in field; choose another id",
				    cfg->file, spec->line, spec->id, spec->id);
			continue;
		}
		field_table_insert(cfg->fields, field_new_configured(spec));
	}
}

/* The line number of @problem when it is about the configuration file
 * @file, else G_MAXINT (another file's come after, in their order). */
static int line_in(const char *problem, const char *file)
{
	gsize n = strlen(file);

	if (strncmp(problem, file, n) != 0 || problem[n] != ':')
		return G_MAXINT;
	return atoi(problem + n + 1);
}

typedef struct {
	const char *file;
} Order;

static gint by_line(gconstpointer a, gconstpointer b, gpointer data)
{
	const Order *o = data;
	int la = line_in(*(char *const *)a, o->file), lb = line_in(*(char *const *)b, o->file);

	return la < lb ? -1 : la > lb;
}

/* @problems with the configuration file's own in line order, as an
 * organiser fixes them top to bottom. */
static char *in_order(const Config *cfg, const GString *problems)
{
	g_auto(GStrv) lines = g_strsplit(problems->str, "\n", -1);
	g_autoptr(GPtrArray) list = g_ptr_array_new();
	Order o = {cfg->file};

	for (guint i = 0; lines[i] != NULL; i++)
		g_ptr_array_add(list, lines[i]);
	/* Stable, so that the problems of one line keep the order found. */
	g_ptr_array_sort_with_data(list, by_line, &o);
	g_ptr_array_add(list, NULL);
	return g_strjoinv("\n", (char **)list->pdata);
}

static void release(Config *cfg)
{
	grammar_free(cfg->grammar);
	g_clear_pointer(&cfg->langs, g_ptr_array_unref);
	g_clear_pointer(&cfg->mail, lang_free);
	g_clear_pointer(&cfg->fields, g_ptr_array_unref);
}

/* Completes @cfg as config_load() says, adding to @problems. */
static Config *complete(Config *cfg, GString *problems, gboolean whole, GError **error)
{
	cfg->release = release;
	cfg->langs = g_ptr_array_new_with_free_func((GDestroyNotify)lang_free);
	build_fields(cfg, problems);
	/* A file not read to its end may not name its templates yet: its
	 * languages are looked for once it reads whole. */
	if (whole && cfg->templates_dir != NULL && cfg->languages != NULL)
		load_languages(cfg, problems);
	if (cfg->mail != NULL && cfg->langs->len == g_strv_length(cfg->languages))
		cfg->grammar = grammar_new(cfg->langs, cfg->mail, cfg->fields, cfg->file, problems);
	if (problems->len > 0) {
		g_autofree char *text = in_order(cfg, problems);

		g_set_error_literal(error, CONFIG_ERROR, CONFIG_ERROR_INVALID, text);
		g_clear_pointer(&cfg, config_free);
	}
	return cfg;
}

Config *config_load(const char *path, GError **error)
{
	g_autoptr(GString) problems = g_string_new(NULL);
	gboolean whole;
	Config *cfg = config_read(path, problems, &whole, error);

	return cfg != NULL ? complete(cfg, problems, whole, error) : NULL;
}

Config *config_load_from_data(const char *path, const char *data, gsize len, GError **error)
{
	g_autoptr(GString) problems = g_string_new(NULL);
	gboolean whole;
	Config *cfg = config_read_data(path, data, len, problems, &whole);

	return complete(cfg, problems, whole, error);
}

const Language *config_language(const Config *cfg, const char *lang)
{
	for (guint i = 0; lang != NULL && i < cfg->langs->len; i++) {
		const Language *l = g_ptr_array_index(cfg->langs, i);

		if (strcmp(lang_code(l), lang) == 0)
			return l;
	}
	return g_ptr_array_index(cfg->langs, 0);
}

const Field *config_field(const Config *cfg, const char *id)
{
	return field_find(cfg->fields, id);
}
