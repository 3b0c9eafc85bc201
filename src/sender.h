/* SPDX-License-Identifier: ISC */
/* sender.h: drains the outbox through the configured transport, in three
 * steps so that a daemon can run the middle one in a thread of its own:
 * claim (a write transaction), deliver (no store at all), settle (a write
 * transaction). */
#pragma once

#include <glib.h>

#include "config.h"
#include "store.h"

typedef struct {
	guint sent;      /* accepted by the relay or written to the spool */
	guint deferred;  /* refused for now or not reached: retried later */
	guint failed;    /* refused for good, or given up */
	guint waiting;   /* queued but not yet due */
} SenderStats;

/* Claims for this process every row due at @now: each becomes "sending",
 * owned by this process, so that no other process sends it too (a row
 * whose owner has died is claimed again). Returns the claimed rows as a new
 * array of OutboxRow * (possibly empty), or NULL with @error. */
GPtrArray *sender_claim(Store *store, gint64 now, SenderStats *stats, GError **error);

/* Hands the claimed @rows to the transport and records in each what
 * happened (state, attempts, next try, last reply). Touches no store: it
 * may run in another thread. Returns FALSE with @error when the transport
 * could not be used at all (relay down, spool unwritable); the rows then
 * stay queued for a later try, and say so. */
gboolean sender_deliver(const Config *cfg, GPtrArray *rows, gint64 now, SenderStats *stats,
			GError **error);

/* Commits the new states of @rows. */
gboolean sender_settle(Store *store, GPtrArray *rows, GError **error);

/* The three steps at once: sends every queued row due at @now. Returns
 * FALSE with @error when the transport could not be used at all (the rows
 * stay queued, and @stats says how many) or the store failed. */
gboolean sender_flush(const Config *cfg, Store *store, gint64 now, SenderStats *stats,
		      GError **error);
