/* SPDX-License-Identifier: ISC */
/* campus.c: loads the shipped CAMPUS configuration for the unit tests, as
 * convene would read it, so that tests run against the real languages and
 * fields rather than a hand-made copy of them. */

#include "autoconfig.h"

#include "campus.h"

#include <glib/gstdio.h>
#include <unistd.h>

Config *campus_load(const char *extra)
{
	return campus_load_event("etc/convene.conf", extra);
}

Config *campus_load_event(const char *file, const char *extra)
{
	const char *top = g_getenv("top_srcdir") != NULL ? g_getenv("top_srcdir") : ".";
	g_autofree char *shipped = g_build_filename(top, file, NULL);
	g_autofree char *templates = g_build_filename(top, "templates", NULL);
	g_autofree char *text = NULL, *path = NULL;
	g_autoptr(GString) conf = NULL;
	g_autoptr(GError) error = NULL;
	Config *cfg;
	int fd;

	g_assert_true(g_file_get_contents(shipped, &text, NULL, NULL));
	conf = g_string_new(text);
	g_string_replace(conf, "templates = \"templates\"", "", 1);
	g_string_replace(conf, "paths {", "paths {\n\ttemplates = \"@T@\"", 1);
	g_string_replace(conf, "@T@", templates, 1);
	g_string_append(conf, extra);
	fd = g_file_open_tmp("campus-XXXXXX.conf", &path, NULL);
	g_assert_cmpint(fd, >=, 0);
	close(fd);
	g_assert_true(g_file_set_contents(path, conf->str, -1, NULL));
	cfg = config_load(path, &error);
	g_assert_no_error(error);
	g_unlink(path);
	return cfg;
}
