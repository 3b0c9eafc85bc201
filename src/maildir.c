/* SPDX-License-Identifier: ISC */
/* maildir.c: delivery into and out of Maildir folders, the qmail way:
 * unique name in tmp/, O_EXCL, fsync, rename into new/, fsync the folder.
 * It must never report success for a message that is not durable, and never
 * delete a message. Every failure names the file and, through fsdiag, what
 * really stood in the way: the MTA puts that sentence in its log. */

#include "autoconfig.h"

#include "maildir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsdiag.h"

gboolean maildir_create(const char *dir, GError **error)
{
	static const char *const subdirs[] = {"tmp", "new", "cur"};

	for (guint i = 0; i < G_N_ELEMENTS(subdirs); i++) {
		g_autofree char *path = g_build_filename(dir, subdirs[i], NULL);

		if (g_mkdir_with_parents(path, 0700) != 0)
			return fsdiag_fail(error, errno, "cannot create", path);
	}
	return TRUE;
}

static gboolean sync_dir(const char *path, GError **error)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY);

	if (fd < 0)
		return fsdiag_fail(error, errno, "cannot open", path);
	if (fsync(fd) != 0) {
		int err = errno;

		close(fd);
		return fsdiag_fail(error, err, "cannot sync", path);
	}
	close(fd);
	return TRUE;
}

/* Returns a name no other delivery on this host can choose: time, then
 * microseconds, pid and a counter, then the host name. */
static char *unique_name(void)
{
	/* LMTP sessions deliver from threads of their own. */
	static gint counter;
	gint64 now = g_get_real_time();
	g_autofree char *host = g_strdup(g_get_host_name());

	g_strdelimit(host, "/:", '_');
	return g_strdup_printf("%" G_GINT64_FORMAT ".M%06dP%dQ%u.%s", now / G_USEC_PER_SEC,
			       (int)(now % G_USEC_PER_SEC), (int)getpid(), (guint)g_atomic_int_add(&counter, 1) + 1, host);
}

static gboolean write_all(int fd, const char *data, gsize len)
{
	while (len > 0) {
		ssize_t n = write(fd, data, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return FALSE;
		data += n;
		len -= (gsize)n;
	}
	return TRUE;
}

typedef gboolean (*FillFunc)(int out, gpointer data, int *err);

static gboolean deliver(const char *dir, FillFunc fill, gpointer data, gboolean sync,
			char **name_out, GError **error)
{
	g_autofree char *name = unique_name();
	g_autofree char *tmp = g_build_filename(dir, "tmp", name, NULL);
	g_autofree char *new = g_build_filename(dir, "new", name, NULL);
	g_autofree char *newdir = g_build_filename(dir, "new", NULL);
	int fd, err = 0;
	gboolean ok;

	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return fsdiag_fail(error, errno, "cannot create", tmp);
	ok = fill(fd, data, &err);
	if (ok && fsync(fd) != 0) {
		ok = FALSE;
		err = errno;
	}
	if (close(fd) != 0 && ok) {
		ok = FALSE;
		err = errno;
	}
	if (!ok) {
		g_unlink(tmp);
		return fsdiag_fail(error, err, "cannot write", tmp);
	}
	if (rename(tmp, new) != 0) {
		err = errno;
		g_unlink(tmp);
		return fsdiag_fail(error, err, "cannot move into", newdir);
	}
	if (sync && !sync_dir(newdir, error))
		return FALSE;
	if (name_out != NULL)
		*name_out = g_steal_pointer(&name);
	return TRUE;
}

static gboolean fill_from_fd(int out, gpointer data, int *err)
{
	int in = *(int *)data;
	char buf[65536];

	for (;;) {
		ssize_t n = read(in, buf, sizeof buf);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || (n > 0 && !write_all(out, buf, (gsize)n))) {
			*err = errno;
			return FALSE;
		}
		if (n == 0)
			return TRUE;
	}
}

static gboolean fill_from_bytes(int out, gpointer data, int *err)
{
	gsize len;
	const char *p = g_bytes_get_data(data, &len);

	if (!write_all(out, p, len)) {
		*err = errno;
		return FALSE;
	}
	return TRUE;
}

gboolean maildir_deliver_fd(const char *dir, int fd, char **name_out, GError **error)
{
	return deliver(dir, fill_from_fd, &fd, TRUE, name_out, error);
}

gboolean maildir_deliver_bytes(const char *dir, GBytes *message, char **name_out,
			       GError **error)
{
	return deliver(dir, fill_from_bytes, message, TRUE, name_out, error);
}

gboolean maildir_deliver_bytes_unsynced(const char *dir, GBytes *message, char **name_out,
					GError **error)
{
	return deliver(dir, fill_from_bytes, message, FALSE, name_out, error);
}

static int compare_names(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Whether @name in @path is a regular file: from the directory entry's
 * type, which saves a stat() a message when thousands wait, or from stat()
 * where the file system does not tell or it is a symbolic link. */
static gboolean is_regular(const char *path, const struct dirent *e)
{
	g_autofree char *file = NULL;

	if (e->d_type == DT_REG)
		return TRUE;
	if (e->d_type != DT_UNKNOWN && e->d_type != DT_LNK)
		return FALSE;
	file = g_build_filename(path, e->d_name, NULL);
	return g_file_test(file, G_FILE_TEST_IS_REGULAR);
}

GPtrArray *maildir_list_new(const char *dir, GError **error)
{
	g_autofree char *path = g_build_filename(dir, "new", NULL);
	DIR *d = opendir(path);
	GPtrArray *names;
	struct dirent *e;
	int saved;

	if (d == NULL) {
		fsdiag_fail(error, errno, "cannot open", path);
		return NULL;
	}
	names = g_ptr_array_new_with_free_func(g_free);
	errno = 0;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] != '.' && is_regular(path, e))
			g_ptr_array_add(names, g_strdup(e->d_name));
		errno = 0;
	}
	saved = errno;
	closedir(d);
	if (saved != 0) {
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(saved),
			    "cannot read %s: %s", path, g_strerror(saved));
		g_ptr_array_unref(names);
		return NULL;
	}
	g_ptr_array_sort(names, compare_names);
	return names;
}

gboolean maildir_move_to_cur(const char *dir, const char *name, GError **error)
{
	g_autofree char *from = g_build_filename(dir, "new", name, NULL);
	g_autofree char *curname = g_strconcat(name, strchr(name, ':') ? "" : ":2,", NULL);
	g_autofree char *to = g_build_filename(dir, "cur", curname, NULL);

	if (rename(from, to) != 0)
		return fsdiag_fail(error, errno, "cannot move to cur/", from);
	return TRUE;
}

gboolean maildir_quarantine(const char *dir, const char *name, const char *quarantine,
			    GError **error)
{
	return maildir_move_new(dir, name, quarantine, error);
}

gboolean maildir_move_new(const char *dir, const char *name, const char *quarantine,
			  GError **error)
{
	g_autofree char *from = g_build_filename(dir, "new", name, NULL);
	g_autofree char *to = g_build_filename(quarantine, "new", name, NULL);
	g_autofree char *todir = g_build_filename(quarantine, "new", NULL);
	g_autofree char *contents = NULL;
	gsize len;

	if (!maildir_create(quarantine, error))
		return FALSE;
	if (rename(from, to) == 0)
		return sync_dir(todir, error);
	if (errno != EXDEV)
		return fsdiag_fail(error, errno, "cannot move", from);
	/* Another file system: copy durably, and only then remove the original. */
	if (!g_file_get_contents(from, &contents, &len, error))
		return FALSE;
	{
		g_autoptr(GBytes) bytes = g_bytes_new_take(g_steal_pointer(&contents), len);

		if (!maildir_deliver_bytes(quarantine, bytes, NULL, error))
			return FALSE;
	}
	if (g_unlink(from) != 0)
		return fsdiag_fail(error, errno, "cannot remove moved", from);
	return TRUE;
}

gboolean maildir_sync(const char *dir, GError **error)
{
	g_autofree char *new = g_build_filename(dir, "new", NULL);
	g_autofree char *cur = g_build_filename(dir, "cur", NULL);

	return sync_dir(new, error) && sync_dir(cur, error);
}
