/* SPDX-License-Identifier: ISC */
/* replay.c: the main() of the fuzz targets when they are built without
 * libFuzzer. It feeds each file named on the command line, and each file
 * under each directory named, to LLVMFuzzerTestOneInput() once, so that
 * make check replays their seeds (and every crash kept among them) with
 * the normal compiler, or under the sanitizers of --enable-sanitizers. */

#include "autoconfig.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Gives the file at @path to the target in a buffer of exactly its size,
 * as libFuzzer does, so that the sanitizers see a read one byte past the
 * end (GLib's copy would end in a NUL). */
static gboolean replay_file(const char *path)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *contents = NULL;
	g_autofree guint8 *exact = NULL;
	gsize size;

	if (!g_file_get_contents(path, &contents, &size, &error)) {
		fprintf(stderr, "replay: %s\n", error->message);
		return FALSE;
	}
	exact = g_malloc(size > 0 ? size : 1);
	memcpy(exact, contents, size);
	fprintf(stderr, "Running: %s\n", path);
	LLVMFuzzerTestOneInput(exact, size);
	return TRUE;
}

static int compare_names(gconstpointer a, gconstpointer b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Replays @path, a file, or every file under it in name order. */
static gboolean replay(const char *path, guint *count)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) names = NULL;
	GDir *dir;
	const char *name;
	gboolean ok = TRUE;

	if (!g_file_test(path, G_FILE_TEST_IS_DIR)) {
		*count += 1;
		return replay_file(path);
	}
	dir = g_dir_open(path, 0, &error);
	if (dir == NULL) {
		fprintf(stderr, "replay: %s\n", error->message);
		return FALSE;
	}
	names = g_ptr_array_new_with_free_func(g_free);
	while ((name = g_dir_read_name(dir)) != NULL)
		g_ptr_array_add(names, g_build_filename(path, name, NULL));
	g_dir_close(dir);
	g_ptr_array_sort(names, compare_names);
	for (guint i = 0; i < names->len; i++)
		ok = replay(g_ptr_array_index(names, i), count) && ok;
	return ok;
}

int main(int argc, char **argv)
{
	guint count = 0;
	gboolean ok = TRUE;

	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE|DIRECTORY...\n", argv[0]);
		return 2;
	}
	for (int i = 1; i < argc; i++)
		ok = replay(argv[i], &count) && ok;
	fprintf(stderr, "replay: %u inputs replayed\n", count);
	return ok ? 0 : 1;
}
