/* SPDX-License-Identifier: ISC */
/* maildir.h: Maildir folders as convene uses them: the intake, the
 * quarantine beside it and the maildir: transport's spool. A message is
 * acknowledged only once it is durably in new/. */
#pragma once

#include <glib.h>

/* Creates @dir and its tmp/, new/ and cur/ (mode 0700) where missing. */
gboolean maildir_create(const char *dir, GError **error);

/* Copies everything readable from @fd into a new message in @dir: written
 * to tmp/ with O_EXCL, fsynced, renamed into new/, and new/ fsynced. On
 * success the message is durable and *@name_out (if not NULL) holds its new
 * file name, newly allocated. On failure nothing is left in new/. */
gboolean maildir_deliver_fd(const char *dir, int fd, char **name_out, GError **error);

/* The same for a message held in memory. */
gboolean maildir_deliver_bytes(const char *dir, GBytes *message, char **name_out,
			       GError **error);

/* The same, but new/ itself is not synced: the caller syncs it once for a
 * whole batch (maildir_sync()) before it counts any of them delivered. */
gboolean maildir_deliver_bytes_unsynced(const char *dir, GBytes *message, char **name_out,
					GError **error);

/* Returns the file names in @dir/new/, oldest first (by name, which starts
 * with the delivery time), as a new array of newly allocated strings. */
GPtrArray *maildir_list_new(const char *dir, GError **error);

/* Moves new/@name to cur/@name with the ":2," info suffix. */
gboolean maildir_move_to_cur(const char *dir, const char *name, GError **error);

/* Moves @dir/new/@name into Maildir @quarantine (created if needed), into
 * its new/ folder, keeping the name. The message is never lost: if it
 * cannot be moved it stays where it was and FALSE is returned. */
gboolean maildir_quarantine(const char *dir, const char *name, const char *quarantine,
			    GError **error);

/* Moves @dir/new/@name into Maildir @to's new/ (created if needed), as
 * maildir_quarantine() does: durably, copying across file systems. */
gboolean maildir_move_new(const char *dir, const char *name, const char *to, GError **error);

/* Makes the renames done in @dir's new/ and cur/ durable. */
gboolean maildir_sync(const char *dir, GError **error);
