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

/* The languages whose country names people here write: French first (the
 * second language of every event), then the partners' and their
 * neighbours'. Earlier ones win where two languages share a spelling. */
static const char *const name_languages[] = {
	"fr", "ro", "hu", "hr", "sr@latin", "sr", "fi", "it", "de", "es", "pt", "nl", "pl",
	"cs", "sk", "sl", "bg", "el", "sv", "da", "et", "lv", "lt", "bs", "mk", "sq", "ca",
};

typedef struct {
	GHashTable *by_name; /* folded name or code → code (owned by names) */
	GHashTable *names;   /* code → English name */
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
 * translations) of an English country name we know. No library here reads
 * a catalogue for a language other than the process's own, hence this. */
static void add_translations(CountryTable *t, GHashTable *english, const char *path)
{
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
		if (g_utf8_validate(translated, -1, NULL))
			add_name(t, translated, code);
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
	for (guint i = 0; i < G_N_ELEMENTS(name_languages); i++) {
		g_autofree char *path = g_build_filename(ISO_CODES_LOCALEDIR, name_languages[i],
							 "LC_MESSAGES", "iso_3166-1.mo", NULL);

		add_translations(t, english, path);
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

const char *country_name(const char *code)
{
	return code != NULL ? g_hash_table_lookup(table()->names, code) : NULL;
}
