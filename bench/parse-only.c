/* SPDX-License-Identifier: ISC */
/* parse-only.c: the yardstick for ingest: reads every file of a folder the
 * way intake does before it decides anything (GMime parse, text part
 * found, charset and transfer encoding undone) and prints messages per
 * second. Nothing is stored, answered or moved. */

#include "autoconfig.h"

#include <glib.h>
#include <stdio.h>

#include "message.h"

int main(int argc, char **argv)
{
	g_autoptr(GDir) dir = NULL;
	g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func(g_free);
	const char *name;
	gint64 start;
	double seconds;
	guint ok = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: parse-only DIR\n");
		return 64;
	}
	dir = g_dir_open(argv[1], 0, NULL);
	if (dir == NULL)
		return 66;
	while ((name = g_dir_read_name(dir)) != NULL)
		g_ptr_array_add(files, g_build_filename(argv[1], name, NULL));
	start = g_get_monotonic_time();
	for (guint i = 0; i < files->len; i++) {
		g_autoptr(Message) msg = message_read_file(g_ptr_array_index(files, i), 0,
							   "register@campus.example.org", NULL);

		ok += msg != NULL;
	}
	seconds = (double)(g_get_monotonic_time() - start) / G_USEC_PER_SEC;
	printf("%u messages parsed in %.3f s: %.0f messages/s\n", ok, seconds, ok / seconds);
	return ok == files->len ? 0 : 1;
}
