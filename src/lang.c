/* SPDX-License-Identifier: ISC */
/* lang.c: reads a language's data file into tables that stay unchanged
 * once loaded, so that every thread may read them. It knows no language
 * itself: every word and sentence convene uses comes from a file, and a
 * file with a sentence that does not parse is refused whole. */

#include "autoconfig.h"

#include "lang.h"

#include <stdio.h>
#include <string.h>

#include "template.h"

G_DEFINE_QUARK(convene-lang-error-quark, lang_error)

const char *const lang_weekday_ids[7] = {"monday", "tuesday", "wednesday", "thursday",
					 "friday", "saturday", "sunday"};
const char *const lang_month_ids[12] = {"january", "february", "march",	    "april",
					"may",	   "june",     "july",	    "august",
					"september", "october", "november", "december"};

struct _Language {
	char *code;
	char *file;
	char *text;		/* the file as read, for line numbers */
	GHashTable *strings;	/* "group/name" → the value, unescaped, as one string */
	GHashTable *lists;	/* "group/name" → GStrv: the value split at ';' */
	GHashTable *sentences;	/* "group/name" → Template *, for values holding "{{" */
	GHashTable *names;	/* group → GPtrArray of char * (borrowed keys), in file order */
};

static char *entry_key(const char *group, const char *name)
{
	return g_strconcat(group, "/", name, NULL);
}

/* The line of "[group]" in the file, and of "name=" under it when @name is
 * not NULL; 0 when the file has neither. */
static int line_of(const Language *l, const char *group, const char *name)
{
	g_auto(GStrv) lines = g_strsplit(l->text, "\n", -1);
	g_autofree char *header = g_strdup_printf("[%s]", group);
	int group_line = 0;

	for (int i = 0; lines[i] != NULL; i++) {
		const char *t = lines[i] + strspn(lines[i], " \t");

		if (*t == '[') {
			if (group_line > 0)
				break;
			if (g_str_has_prefix(t, header))
				group_line = i + 1;
			continue;
		}
		if (group_line > 0 && name != NULL && g_str_has_prefix(t, name) &&
		    t[strlen(name) + strspn(t + strlen(name), " \t")] == '=')
			return i + 1;
	}
	return group_line;
}

void lang_free(Language *l)
{
	if (l == NULL)
		return;
	g_free(l->code);
	g_free(l->file);
	g_free(l->text);
	g_hash_table_unref(l->strings);
	g_hash_table_unref(l->lists);
	g_hash_table_unref(l->sentences);
	g_hash_table_unref(l->names);
	g_free(l);
}

static Language *load(const char *path, const char *code, GError **error)
{
	g_autoptr(Language) l = g_new0(Language, 1);
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_autoptr(GError) local = NULL;
	g_autoptr(GString) problems = g_string_new(NULL);
	g_auto(GStrv) groups = NULL;
	gsize len;

	l->code = g_strdup(code);
	l->file = g_strdup(path);
	l->strings = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	l->lists = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					 (GDestroyNotify)g_strfreev);
	l->sentences = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					     (GDestroyNotify)tmpl_free);
	l->names = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					 (GDestroyNotify)g_ptr_array_unref);
	if (!g_file_get_contents(path, &l->text, &len, &local)) {
		g_set_error(error, LANG_ERROR, LANG_ERROR_READ, "%s: %s", path, local->message);
		return NULL;
	}
	if (!g_key_file_load_from_data(kf, l->text, len, G_KEY_FILE_NONE, &local)) {
		g_set_error(error, LANG_ERROR, LANG_ERROR_INVALID, "%s: %s", path, local->message);
		return NULL;
	}
	groups = g_key_file_get_groups(kf, NULL);
	for (guint g = 0; groups[g] != NULL; g++) {
		g_auto(GStrv) keys = g_key_file_get_keys(kf, groups[g], NULL, NULL);
		GPtrArray *names = g_ptr_array_new();

		g_hash_table_insert(l->names, g_strdup(groups[g]), names);
		for (guint k = 0; keys != NULL && keys[k] != NULL; k++) {
			char *key = entry_key(groups[g], keys[k]);
			char *value = g_key_file_get_string(kf, groups[g], keys[k], NULL);
			GStrv list = g_key_file_get_string_list(kf, groups[g], keys[k], NULL, NULL);

			g_ptr_array_add(names, key + strlen(groups[g]) + 1);
			g_hash_table_insert(l->lists, key, list != NULL ? list : g_new0(char *, 1));
			g_hash_table_insert(l->strings, g_strdup(key), value != NULL ? value : g_strdup(""));
			if (value != NULL && strstr(value, "{{") != NULL) {
				g_autofree char *where = g_strdup_printf("%s:%d", path,
									 line_of(l, groups[g], keys[k]));
				g_autoptr(GError) bad = NULL;
				Template *t = tmpl_new_text_from_string(value, where, &bad);

				if (t == NULL)
					g_string_append_printf(problems, "%s%s", problems->len > 0 ? "\n" : "",
							       bad->message);
				else
					g_hash_table_insert(l->sentences, g_strdup(key), t);
			}
		}
		g_ptr_array_add(names, NULL);
	}
	if (problems->len > 0) {
		g_set_error_literal(error, LANG_ERROR, LANG_ERROR_INVALID, problems->str);
		return NULL;
	}
	return g_steal_pointer(&l);
}

Language *lang_load(const char *templates_dir, const char *code, GError **error)
{
	g_autofree char *path = NULL;

	g_return_val_if_fail(templates_dir != NULL && code != NULL, NULL);
	path = g_build_filename(templates_dir, code, LANG_FILE, NULL);
	/* A code names one directory, never a way out of it. */
	if (*code == '\0' || *code == '.' || strchr(code, '/') != NULL) {
		g_set_error(error, LANG_ERROR, LANG_ERROR_READ, "%s: not a language directory",
			    path);
		return NULL;
	}
	return load(path, code, error);
}

Language *lang_load_mail(const char *templates_dir, GError **error)
{
	g_autofree char *path = g_build_filename(templates_dir, LANG_MAIL_FILE, NULL);

	return load(path, "", error);
}

const char *lang_code(const Language *l)
{
	return l->code;
}

const char *lang_file(const Language *l)
{
	return l->file;
}

const char *const *lang_list(const Language *l, const char *group, const char *name)
{
	g_autofree char *key = entry_key(group, name);

	return g_hash_table_lookup(l->lists, key);
}

const char *lang_word(const Language *l, const char *group, const char *name)
{
	const char *const *list = lang_list(l, group, name);

	return list != NULL ? list[0] : NULL;
}

const char *const *lang_names(const Language *l, const char *group)
{
	static const char *const none[] = {NULL};
	GPtrArray *names = g_hash_table_lookup(l->names, group);

	return names != NULL ? (const char *const *)names->pdata : none;
}

char *lang_render(const Language *l, const char *group, const char *name, JsonObject *args)
{
	g_autofree char *key = entry_key(group, name);
	const Template *t = g_hash_table_lookup(l->sentences, key);
	g_autoptr(JsonObject) empty = NULL;
	g_autofree char *subject = NULL;
	char *body = NULL;
	const char *plain;

	if (t == NULL) {
		/* A sentence with nothing to fill in is kept as it is written. */
		plain = g_hash_table_lookup(l->strings, key);
		return plain != NULL ? g_strdup(plain) : NULL;
	}
	if (args == NULL)
		args = empty = json_object_new();
	tmpl_render(t, args, &subject, &body);
	return body;
}

gboolean lang_require(const Language *l, const char *group, const char *const *names, gssize n,
		      GString *problems)
{
	gboolean complete = TRUE;

	for (gsize i = 0; n < 0 ? names[i] != NULL : i < (gsize)n; i++) {
		const char *const *list = lang_list(l, group, names[i]);

		if (list != NULL && list[0] != NULL && *list[0] != '\0')
			continue;
		complete = FALSE;
		g_string_append_printf(problems, "%s%s:%d: [%s] has no %s", problems->len > 0 ? "\n" : "",
				       l->file, MAX(1, line_of(l, group, list != NULL ? names[i] : NULL)),
				       group, names[i]);
	}
	return complete;
}

const char *lang_weekday(const Language *l, int weekday)
{
	const char *w;

	g_return_val_if_fail(weekday >= 1 && weekday <= 7, "");
	w = lang_word(l, "days", lang_weekday_ids[weekday - 1]);
	return w != NULL ? w : lang_weekday_ids[weekday - 1];
}

const char *lang_month(const Language *l, int month)
{
	const char *m;

	g_return_val_if_fail(month >= 1 && month <= 12, "");
	m = lang_word(l, "months", lang_month_ids[month - 1]);
	return m != NULL ? m : lang_month_ids[month - 1];
}

char *lang_day_label(const Language *l, const char *ymd)
{
	unsigned y, m, d;
	GDate date;
	g_autoptr(JsonObject) args = json_object_new();
	char *label;

	if (ymd == NULL || sscanf(ymd, "%4u-%2u-%2u", &y, &m, &d) != 3 ||
	    !g_date_valid_dmy(d, m, y))
		return g_strdup(ymd != NULL ? ymd : "");
	g_date_clear(&date, 1);
	g_date_set_dmy(&date, d, m, y);
	json_object_set_string_member(args, "weekday", lang_weekday(l, g_date_get_weekday(&date)));
	json_object_set_int_member(args, "day", d);
	json_object_set_string_member(args, "month", lang_month(l, m));
	json_object_set_int_member(args, "year", y);
	label = lang_render(l, "formats", "day", args);
	return label != NULL ? label : g_strdup(ymd);
}

char *lang_join(const Language *l, const char *const *items)
{
	g_autofree char *key = entry_key("formats", "separator");
	const char *sep = g_hash_table_lookup(l->strings, key);

	return g_strjoinv(sep != NULL ? sep : ", ", (char **)items);
}
