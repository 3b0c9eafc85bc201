/* SPDX-License-Identifier: ISC */
/* digest.h: the organisers' digest: what changed since the last one, the
 * figures to prepare for, the problems to look at, and every attendee as a
 * CSV. Queued in the caller's write transaction, never sent from here. */
#pragma once

#include <glib.h>

#include "compose.h"
#include "config.h"
#include "store.h"

/* Which changes a digest reports. */
typedef struct {
	gboolean scheduled; /* the daily digest: reports what came after the
			     * previous daily digest and moves that mark on;
			     * otherwise a preview that moves nothing */
	gint64 from, until; /* only what happened in [from, until), Unix
			     * seconds; G_MININT64 and G_MAXINT64 for all */
} DigestWindow;

/* The mark holding where the last daily digest stopped: its when, and its
 * value the last journal seq it reported. */
#define DIGEST_CURSOR "digest-cursor"

/* Queues the digest (template "organiser-digest", text and HTML, in the
 * event's first language, with the attendee CSV attached) to each of the
 * @n @recipients, at @now, in @txn. Returns FALSE with @error when the
 * store or a template fails. */
gboolean digest_queue(StoreTxn *txn, Composer *composer, const Config *cfg,
		      const char *const *recipients, guint n, const DigestWindow *window,
		      gint64 now, GError **error);
