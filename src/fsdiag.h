/* SPDX-License-Identifier: ISC */
/* fsdiag.h: why a file operation failed, in words an administrator can act
 * on. "Permission denied" on /var/spool/convene/inbox/tmp/1234.M5P6.host
 * does not say that /var/spool/convene is not searchable by the user the
 * MTA runs us as; this does. Only for error paths: it walks the path. */
#pragma once

#include <glib.h>

/* Returns a new sentence naming what made an operation on @path fail with
 * @err: the first directory on the way that does not exist, is not a
 * directory or cannot be searched, the directory the file would be created
 * in when it cannot be written, a read-only file system, each with the
 * user we run as and the directory's mode and owner. Returns NULL when
 * nothing more precise than g_strerror(@err) can be said. */
char *fsdiag_explain(const char *path, int err);

/* Sets @error (G_FILE_ERROR, from @err) to "@what @path: strerror(@err)",
 * followed by what fsdiag_explain() finds. Returns FALSE. */
gboolean fsdiag_fail(GError **error, int err, const char *what, const char *path);
