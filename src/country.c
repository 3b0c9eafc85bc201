/* SPDX-License-Identifier: ISC */
/* country.c: a table of country names read once from iso-codes' JSON. It
 * only reads that file; when the file is missing no country is recognised
 * and that is logged once. */

#include "autoconfig.h"

#include "country.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "log.h"
#include "text.h"

#ifndef ISO_CODES_DIR
#define ISO_CODES_DIR "/usr/share/iso-codes/json"
#endif
#ifndef ISO_CODES_LOCALEDIR
#define ISO_CODES_LOCALEDIR "/usr/share/locale"
#endif

typedef struct {
	GHashTable *by_name;	  /* folded name or code → code (owned by names) */
	GHashTable *names;	  /* code → English name */
	GHashTable *translations; /* language → (code → name in that language) */
} CountryTable;

static void add_name(CountryTable *t, const char *name, const char *code)
{
	char *folded;

	if (name == NULL)
		return;
	folded = text_fold(name);
	if (*folded == '\0' || g_hash_table_contains(t->by_name, folded)) {
		g_free(folded);
		return;
	}
	g_hash_table_insert(t->by_name, folded, (gpointer)code);
}

static guint32 mo_word(const guchar *p, gboolean swap)
{
	guint32 v;

	memcpy(&v, p, sizeof v);
	return swap ? GUINT32_SWAP_LE_BE(v) : v;
}

/* Adds every translation in the gettext catalogue @path (GNU .mo format:
 * a header, then tables of (length, offset) for the originals and the
 * translations) of an English country name we know, as a name people may
 * write and as the name in language @lang. No library here reads a
 * catalogue for a language other than the process's own, hence this. */
static void add_translations(CountryTable *t, GHashTable *english, const char *lang,
			     const char *path)
{
	GHashTable *names;
	g_autoptr(GMappedFile) file = g_mapped_file_new(path, FALSE, NULL);
	const guchar *data;
	gsize size;
	guint32 magic, n, originals, translations;
	gboolean swap;

	if (file == NULL)
		return;
	data = (const guchar *)g_mapped_file_get_contents(file);
	size = g_mapped_file_get_length(file);
	if (size < 20)
		return;
	memcpy(&magic, data, sizeof magic);
	if (magic != 0x950412de && magic != 0xde120495)
		return;
	swap = magic == 0xde120495;
	names = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, g_free);
	g_hash_table_insert(t->translations, g_strdup(lang), names);
	n = mo_word(data + 8, swap);
	originals = mo_word(data + 12, swap);
	translations = mo_word(data + 16, swap);
	if (originals > size || translations > size || n > (size - originals) / 8 ||
	    n > (size - translations) / 8)
		return;
	for (guint32 i = 0; i < n; i++) {
		guint32 olen = mo_word(data + originals + 8 * i, swap);
		guint32 ooff = mo_word(data + originals + 8 * i + 4, swap);
		guint32 tlen = mo_word(data + translations + 8 * i, swap);
		guint32 toff = mo_word(data + translations + 8 * i + 4, swap);
		g_autofree char *original = NULL, *translated = NULL;
		const char *code;

		if (ooff > size || olen > size - ooff || toff > size || tlen > size - toff)
			return;
		original = g_strndup((const char *)data + ooff, olen);
		code = g_hash_table_lookup(english, original);
		if (code == NULL)
			continue;
		translated = g_strndup((const char *)data + toff, tlen);
		if (!g_utf8_validate(translated, -1, NULL))
			continue;
		add_name(t, translated, code);
		if (!g_hash_table_contains(names, code))
			g_hash_table_insert(names, (gpointer)code, g_strdup(translated));
	}
}

static void load_table(CountryTable *t)
{
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autoptr(GError) error = NULL;
	GHashTable *english; /* English name (borrowed from parser) → code */
	JsonArray *list;
	JsonNode *root;

	t->by_name = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	t->names = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	t->translations = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
						(GDestroyNotify)g_hash_table_unref);
	if (!json_parser_load_from_file(parser, ISO_CODES_DIR "/iso_3166-1.json", &error)) {
		log_event(LOG_ERR, "countries-unavailable", "reason", error->message, NULL);
		return;
	}
	root = json_parser_get_root(parser);
	if (!JSON_NODE_HOLDS_OBJECT(root) ||
	    !json_object_has_member(json_node_get_object(root), "3166-1"))
		return;
	english = g_hash_table_new(g_str_hash, g_str_equal);
	list = json_object_get_array_member(json_node_get_object(root), "3166-1");
	for (guint i = 0; list != NULL && i < json_array_get_length(list); i++) {
		JsonObject *c = json_array_get_object_element(list, i);
		const char *code = json_object_get_string_member_with_default(c, "alpha_2", NULL);
		const char *name = json_object_get_string_member_with_default(c, "name", NULL);
		char *key;

		if (code == NULL || name == NULL)
			continue;
		key = g_strdup(code);
		g_hash_table_insert(t->names, key, g_strdup(name));
		add_name(t, code, key);
		add_name(t, json_object_get_string_member_with_default(c, "alpha_3", NULL), key);
		add_name(t, name, key);
		add_name(t, json_object_get_string_member_with_default(c, "common_name", NULL), key);
		add_name(t, json_object_get_string_member_with_default(c, "official_name", NULL),
			 key);
		g_hash_table_insert(english, (gpointer)name, key);
	}
	/* Every language iso-codes translates the names into: a partner may
	 * write "Ελλάδα", "България" or "Україна". Sorted, so that where two
	 * languages spell two countries alike the same one always wins. */
	{
		g_autoptr(GDir) dir = g_dir_open(ISO_CODES_LOCALEDIR, 0, NULL);
		g_autoptr(GPtrArray) langs = g_ptr_array_new_with_free_func(g_free);
		const char *name;

		while (dir != NULL && (name = g_dir_read_name(dir)) != NULL)
			g_ptr_array_add(langs, g_strdup(name));
		g_ptr_array_sort(langs, (GCompareFunc)g_strcmp0);
		for (guint i = 0; i < langs->len; i++) {
			const char *lang = g_ptr_array_index(langs, i);
			g_autofree char *path = g_build_filename(ISO_CODES_LOCALEDIR, lang,
								 "LC_MESSAGES", "iso_3166-1.mo", NULL);

			if (g_file_test(path, G_FILE_TEST_IS_REGULAR))
				add_translations(t, english, lang, path);
		}
	}
	g_hash_table_unref(english);
}

static CountryTable *table(void)
{
	static CountryTable t;
	static gsize done;

	if (g_once_init_enter(&done)) {
		load_table(&t);
		g_once_init_leave(&done, 1);
	}
	return &t;
}

const char *country_lookup(const char *text)
{
	g_autofree char *folded = text_fold(text);

	return g_hash_table_lookup(table()->by_name, folded);
}

const char *country_name(const char *code, const char *lang)
{
	GHashTable *names;
	const char *name;

	if (code == NULL)
		return NULL;
	names = lang != NULL ? g_hash_table_lookup(table()->translations, lang) : NULL;
	name = names != NULL ? g_hash_table_lookup(names, code) : NULL;
	return name != NULL ? name : g_hash_table_lookup(table()->names, code);
}

/* The time zone data's zone.tab ("FI	+6010+02458	Europe/Helsinki"):
 * zone → code, read once; empty when the file is missing. */
static GHashTable *zones(void)
{
	static GHashTable *by_zone;

	if (g_once_init_enter(&by_zone)) {
		const char *dir =
		    g_getenv("TZDIR") != NULL ? g_getenv("TZDIR") : "/usr/share/zoneinfo";
		g_autofree char *path = g_build_filename(dir, "zone.tab", NULL);
		g_autofree char *text = NULL;
		GHashTable *t = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);

		if (g_file_get_contents(path, &text, NULL, NULL)) {
			g_auto(GStrv) lines = g_strsplit(text, "\n", -1);

			for (char **line = lines; *line != NULL; line++) {
				g_auto(GStrv) cols = g_strsplit(*line, "\t", 4);

				if (**line != '#' && g_strv_length(cols) >= 3)
					g_hash_table_replace(t, g_strdup(cols[2]),
							     g_strdup(cols[0]));
			}
		}
		g_once_init_leave(&by_zone, t);
	}
	return by_zone;
}

const char *country_of_timezone(const char *tz)
{
	const char *code = tz != NULL ? g_hash_table_lookup(zones(), tz) : NULL;

	return code != NULL ? country_lookup(code) : NULL;
}
