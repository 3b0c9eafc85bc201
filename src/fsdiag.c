/* SPDX-License-Identifier: ISC */
/* fsdiag.c: turns an errno from a file operation into the real cause, by
 * walking the path as the kernel did. It only reads (stat, access) and is
 * only called once something has failed; it must never change a file. */

#include "autoconfig.h"

#include "fsdiag.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

/* "user convene (uid 110)": who the kernel checked. */
static char *whoami(void)
{
	uid_t uid = geteuid();
	struct passwd *pw = getpwuid(uid);

	if (pw == NULL)
		return g_strdup_printf("uid %u", (unsigned)uid);
	return g_strdup_printf("user %s (uid %u)", pw->pw_name, (unsigned)uid);
}

/* "mode 0700, owned by root:root" */
static char *owner_mode(const struct stat *st)
{
	struct passwd *pw = getpwuid(st->st_uid);
	struct group *gr = getgrgid(st->st_gid);
	g_autofree char *user =
	    pw != NULL ? g_strdup(pw->pw_name) : g_strdup_printf("%u", (unsigned)st->st_uid);
	g_autofree char *group =
	    gr != NULL ? g_strdup(gr->gr_name) : g_strdup_printf("%u", (unsigned)st->st_gid);

	return g_strdup_printf("mode %04o, owned by %s:%s", (unsigned)(st->st_mode & 07777), user,
			       group);
}

static char *refused(const char *path, const char *how, const struct stat *st)
{
	g_autofree char *who = whoami();
	g_autofree char *om = owner_mode(st);

	return g_strdup_printf("%s is not %s by %s: %s", path, how, who, om);
}

/* Says why directory @dir, in @parent, cannot be passed through, or NULL
 * if it can. A missing directory that could not be made (@err EACCES) is
 * its parent's fault. */
static char *check_dir(const char *parent, const char *dir, int err)
{
	struct stat st;

	if (stat(dir, &st) != 0) {
		if (errno != ENOENT)
			return NULL;
		if ((err == EACCES || err == EPERM) && parent != NULL && stat(parent, &st) == 0 &&
		    faccessat(AT_FDCWD, parent, W_OK | X_OK, AT_EACCESS) != 0) {
			g_autofree char *why = refused(parent, "writable", &st);

			return g_strdup_printf("%s does not exist, and %s", dir, why);
		}
		return g_strdup_printf("%s does not exist", dir);
	}
	if (!S_ISDIR(st.st_mode))
		return g_strdup_printf("%s is not a directory", dir);
	if (faccessat(AT_FDCWD, dir, X_OK, AT_EACCESS) != 0 && errno == EACCES)
		return refused(dir, "searchable", &st);
	return NULL;
}

/* Says why the last component of @path, in directory @parent, could not be
 * had with @err, or NULL. */
static char *check_last(const char *parent, const char *path, int err)
{
	struct stat st;

	if (lstat(path, &st) != 0) {
		if (errno != ENOENT)
			return NULL;
		if (err == ENOENT)
			return g_strdup_printf("%s does not exist", path);
		if ((err == EACCES || err == EPERM) && stat(parent, &st) == 0 &&
		    faccessat(AT_FDCWD, parent, W_OK | X_OK, AT_EACCESS) != 0)
			return refused(parent, "writable", &st);
		return NULL;
	}
	if (err != EACCES && err != EPERM)
		return NULL;
	if (S_ISDIR(st.st_mode)) {
		if (faccessat(AT_FDCWD, path, W_OK | X_OK, AT_EACCESS) != 0)
			return refused(path, "writable", &st);
		if (faccessat(AT_FDCWD, path, R_OK, AT_EACCESS) != 0)
			return refused(path, "readable", &st);
		return NULL;
	}
	if (faccessat(AT_FDCWD, path, R_OK, AT_EACCESS) != 0)
		return refused(path, "readable", &st);
	if (faccessat(AT_FDCWD, path, W_OK, AT_EACCESS) != 0)
		return refused(path, "writable", &st);
	/* Renaming or removing needs the directory, not the file. */
	if (stat(parent, &st) == 0 && faccessat(AT_FDCWD, parent, W_OK | X_OK, AT_EACCESS) != 0)
		return refused(parent, "writable", &st);
	return NULL;
}

static char *read_only(const char *path)
{
	g_autofree char *dir = g_strdup(path);
	struct statvfs vfs;

	/* The file, or the nearest directory above it that exists. */
	while (statvfs(dir, &vfs) != 0) {
		char *up = g_path_get_dirname(dir);

		if (strcmp(up, dir) == 0) {
			g_free(up);
			return NULL;
		}
		g_free(dir);
		dir = up;
	}
	if ((vfs.f_flag & ST_RDONLY) == 0)
		return NULL;
	/* Under systemd's ProtectSystem=, that is what a path missing from
	 * ReadWritePaths= looks like from inside. */
	return g_strdup_printf("%s is on a file system mounted read-only here", dir);
}

/* @dir/@name, or @name alone when @dir is "." */
static char *join(const char *dir, const char *name)
{
	if (strcmp(dir, ".") == 0)
		return g_strdup(name);
	return g_strconcat(dir, g_str_has_suffix(dir, "/") ? "" : "/", name, NULL);
}

char *fsdiag_explain(const char *path, int err)
{
	g_auto(GStrv) parts = NULL;
	g_autofree char *parent = NULL;
	g_autofree char *cur = NULL;
	guint n;

	if (path == NULL || *path == '\0')
		return NULL;
	if (err == EROFS)
		return read_only(path);
	if (err != EACCES && err != EPERM && err != ENOENT && err != ENOTDIR)
		return NULL;

	parts = g_strsplit(path, "/", -1);
	n = g_strv_length(parts);
	while (n > 0 && (*parts[n - 1] == '\0' || strcmp(parts[n - 1], ".") == 0))
		n--; /* "dir/" names dir */
	cur = g_strdup(path[0] == '/' ? "/" : ".");
	for (guint i = 0; i < n; i++) {
		char *why, *next;

		if (*parts[i] == '\0' || strcmp(parts[i], ".") == 0)
			continue;
		if ((why = check_dir(parent, cur, err)) != NULL)
			return why;
		next = join(cur, parts[i]);
		if (i + 1 == n) {
			why = check_last(cur, next, err);
			g_free(next);
			return why;
		}
		g_free(parent);
		parent = g_steal_pointer(&cur);
		cur = next;
	}
	return NULL;
}

gboolean fsdiag_fail(GError **error, int err, const char *what, const char *path)
{
	g_autofree char *why = fsdiag_explain(path, err);

	if (why != NULL)
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(err), "%s %s: %s; %s",
			    what, path, g_strerror(err), why);
	else
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(err), "%s %s: %s", what,
			    path, g_strerror(err));
	return FALSE;
}
