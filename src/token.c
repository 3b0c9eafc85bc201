/* SPDX-License-Identifier: ISC */
/* token.c: making and checking confirmation tokens. It never logs a token
 * or the secret, and never compares a MAC with anything but a constant-time
 * loop. */

#include "autoconfig.h"

#include "token.h"

#include "text.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#define SECRET_SIZE 32

GBytes *token_secret_load(const char *state_dir, GError **error)
{
	g_autofree char *path = g_build_filename(state_dir, "secret", NULL);
	guint8 secret[SECRET_SIZE];
	char *contents = NULL;
	gsize len = 0;
	int fd;

	if (g_file_get_contents(path, &contents, &len, NULL) && len == SECRET_SIZE)
		return g_bytes_new_take(contents, len);
	g_free(contents);
	if (getrandom(secret, sizeof secret, 0) != (ssize_t)sizeof secret) {
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
			    "cannot draw a secret: %s", g_strerror(errno));
		return NULL;
	}
	/* O_EXCL: of two processes starting at once, one writes, both read it. */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd >= 0) {
		gboolean ok = write(fd, secret, sizeof secret) == (ssize_t)sizeof secret &&
			      fsync(fd) == 0;

		close(fd);
		if (!ok) {
			g_unlink(path);
			g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_IO, "cannot write %s", path);
			return NULL;
		}
		return g_bytes_new(secret, sizeof secret);
	}
	if (g_file_get_contents(path, &contents, &len, error) && len == SECRET_SIZE)
		return g_bytes_new_take(contents, len);
	g_free(contents);
	if (error != NULL && *error == NULL)
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s is not a secret of %d bytes",
			    path, SECRET_SIZE);
	return NULL;
}

static char *mac_hex(GBytes *secret, const char *email, const char *action, gint64 expires)
{
	gsize len;
	const guint8 *key = g_bytes_get_data(secret, &len);
	g_autoptr(GHmac) hmac = g_hmac_new(G_CHECKSUM_SHA256, key, len);
	g_autofree char *msg = g_strdup_printf("%s\n%s\n%" G_GINT64_FORMAT, email, action, expires);
	char *hex;

	g_hmac_update(hmac, (const guchar *)msg, -1);
	hex = g_strdup(g_hmac_get_string(hmac));
	hex[TOKEN_LENGTH - 10] = '\0';
	return hex;
}

char *token_make(GBytes *secret, const char *email, const char *action, gint64 expires)
{
	g_autofree char *mac = mac_hex(secret, email, action, expires);

	return g_strdup_printf("%010" G_GINT64_MODIFIER "x%s", expires, mac);
}

gboolean token_check(GBytes *secret, const char *token, const char *email, const char *action,
		     gint64 now)
{
	g_autofree char *expected = NULL;
	char head[11];
	gint64 expires;
	guint8 diff = 0;

	if (token == NULL || strlen(token) != TOKEN_LENGTH ||
	    strspn(token, "0123456789abcdef") != TOKEN_LENGTH)
		return FALSE;
	memcpy(head, token, 10);
	head[10] = '\0';
	expires = (gint64)g_ascii_strtoull(head, NULL, 16);
	expected = mac_hex(secret, email, action, expires);
	for (guint i = 0; i < TOKEN_LENGTH - 10; i++)
		diff |= (guint8)(expected[i] ^ token[10 + i]);
	return diff == 0 && expires > now;
}

char *token_find(const char *text)
{
	static GRegex *shape;
	GRegex *re = text_regex(&shape, "\\b[0-9a-f]{50}\\b", G_REGEX_CASELESS);
	g_autoptr(GMatchInfo) m = NULL;
	g_autofree char *found = NULL;

	if (text == NULL || !g_regex_match(re, text, 0, &m))
		return NULL;
	found = g_match_info_fetch(m, 0);
	return g_ascii_strdown(found, -1);
}
