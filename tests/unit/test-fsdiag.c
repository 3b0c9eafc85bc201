/* SPDX-License-Identifier: ISC */
/* test-fsdiag.c: a failed file operation explained as an administrator
 * needs it: which directory is missing, is a file, or may not be searched or
 * written by whom, rather than "Permission denied" on the file at the end. */

#include "autoconfig.h"

#include "fsdiag.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A scratch folder anyone may pass through, removed by the caller. */
static char *scratch(void)
{
	g_autoptr(GError) error = NULL;
	char *dir = g_dir_make_tmp("fsdiag-XXXXXX", &error);

	g_assert_no_error(error);
	g_assert_cmpint(chmod(dir, 0755), ==, 0);
	return dir;
}

static void remove_tree(const char *dir)
{
	g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", dir);

	g_assert_cmpint(system(cmd), ==, 0);
}

static void test_missing_directory(void)
{
	g_autofree char *dir = scratch();
	g_autofree char *path = g_build_filename(dir, "inbox", "tmp", "1.M2P3.host", NULL);
	g_autofree char *inbox = g_build_filename(dir, "inbox", NULL);
	g_autofree char *why = fsdiag_explain(path, ENOENT);
	g_autofree char *want = g_strdup_printf("%s does not exist", inbox);

	g_assert_cmpstr(why, ==, want);
	remove_tree(dir);
}

static void test_file_in_the_way(void)
{
	g_autofree char *dir = scratch();
	g_autofree char *file = g_build_filename(dir, "var", NULL);
	g_autofree char *path = g_build_filename(file, "inbox", "tmp", NULL);
	g_autofree char *why = NULL;
	g_autofree char *want = g_strdup_printf("%s is not a directory", file);

	g_assert_true(g_file_set_contents(file, "", 0, NULL));
	why = fsdiag_explain(path, ENOTDIR);
	g_assert_cmpstr(why, ==, want);
	remove_tree(dir);
}

static void test_nothing_more_to_say(void)
{
	g_autoptr(GError) error = NULL;

	g_assert_null(fsdiag_explain("/", ENOSPC));
	g_assert_false(fsdiag_fail(&error, ENOSPC, "cannot write", "/nowhere/x"));
	g_assert_error(error, G_FILE_ERROR, G_FILE_ERROR_NOSPC);
	g_assert_cmpstr(error->message, ==, "cannot write /nowhere/x: No space left on device");
}

/* The permission cases need a user the kernel checks, and root passes every
 * check: run as root (as CI is), the test makes root's directories and
 * looks at them as nobody, in a subprocess. */
static void as_nobody(void)
{
	g_assert_cmpint(setgid(65534), ==, 0);
	g_assert_cmpint(setuid(65534), ==, 0);
}

static void test_not_searchable(void)
{
	if (geteuid() != 0) {
		g_test_skip("needs root, to look as nobody at root's directories");
		return;
	}
	if (!g_test_subprocess()) {
		g_autofree char *dir = NULL;
		g_autofree char *locked = NULL;

		dir = scratch();
		locked = g_build_filename(dir, "var", NULL);
		g_assert_cmpint(g_mkdir(locked, 0700), ==, 0);
		g_setenv("FSDIAG_DIR", dir, TRUE);
		g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
		g_test_trap_assert_passed();
		remove_tree(dir);
		return;
	}
	as_nobody();
	{
		const char *top = g_getenv("FSDIAG_DIR");
		g_autofree char *locked = g_build_filename(top, "var", NULL);
		g_autofree char *path = g_build_filename(locked, "inbox", "tmp", NULL);
		g_autofree char *why = fsdiag_explain(path, EACCES);
		g_autofree char *want = g_strdup_printf("%s is not searchable by ", locked);

		g_autofree char *head = NULL;

		g_assert_nonnull(why);
		head = g_strndup(why, strlen(want));
		g_assert_cmpstr(head, ==, want);
		g_assert_nonnull(strstr(why, ": mode 0700, owned by "));
	}
}

static void test_not_writable(void)
{
	if (geteuid() != 0) {
		g_test_skip("needs root, to look as nobody at root's directories");
		return;
	}
	if (!g_test_subprocess()) {
		g_autofree char *dir = NULL;
		g_autofree char *ro = NULL;

		dir = scratch();
		ro = g_build_filename(dir, "inbox", NULL);
		g_assert_cmpint(g_mkdir(ro, 0555), ==, 0);
		g_setenv("FSDIAG_DIR", dir, TRUE);
		g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
		g_test_trap_assert_passed();
		remove_tree(dir);
		return;
	}
	as_nobody();
	{
		const char *top = g_getenv("FSDIAG_DIR");
		g_autofree char *ro = g_build_filename(top, "inbox", NULL);
		g_autofree char *tmp = g_build_filename(ro, "tmp", NULL);
		g_autofree char *why = fsdiag_explain(tmp, EACCES);
		g_autofree char *want = g_strdup_printf("%s is not writable by ", ro);

		g_autofree char *head = NULL;

		g_assert_nonnull(why);
		head = g_strndup(why, strlen(want));
		g_assert_cmpstr(head, ==, want);
		g_assert_nonnull(strstr(why, ": mode 0555, owned by "));
	}
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/fsdiag/missing-directory", test_missing_directory);
	g_test_add_func("/fsdiag/file-in-the-way", test_file_in_the_way);
	g_test_add_func("/fsdiag/nothing-more-to-say", test_nothing_more_to_say);
	g_test_add_func("/fsdiag/not-searchable", test_not_searchable);
	g_test_add_func("/fsdiag/not-writable", test_not_writable);
	return g_test_run();
}
