/* SPDX-License-Identifier: ISC */
/* token.h: the tokens of the confirmation round trip. A token is an
 * HMAC-SHA256, under a secret kept in the state directory, over the
 * address, the action and the expiry it carries; it is checked in constant
 * time. Single use is the store's business (a used token is marked seen). */
#pragma once

#include <glib.h>

/* How long a confirmation request stays valid. */
#define TOKEN_LIFETIME (7 * 24 * 3600)

/* Length of a token: 10 hex digits of expiry, 40 of MAC. */
#define TOKEN_LENGTH 50

/* Reads the secret in @state_dir/secret, creating it (32 random bytes,
 * mode 0600) when there is none. Returns NULL with @error on failure. */
GBytes *token_secret_load(const char *state_dir, GError **error);

/* Returns a new token for @email doing @action, valid until @expires. */
char *token_make(GBytes *secret, const char *email, const char *action, gint64 expires);

/* Returns TRUE if @token was made by token_make() for @email and @action,
 * and has not expired at @now. */
gboolean token_check(GBytes *secret, const char *token, const char *email, const char *action,
		     gint64 now);

/* Finds the first thing in @text shaped like a token; returns it newly
 * allocated, or NULL. */
char *token_find(const char *text);
