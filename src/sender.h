/* sender.h: drains the outbox through the configured transport. */
#pragma once

#include <glib.h>

#include "config.h"
#include "store.h"

typedef struct {
	guint sent;      /* accepted by the relay or written to the spool */
	guint deferred;  /* refused for now or not reached: retried later */
	guint failed;    /* refused for good, or given up after SENDER_GIVE_UP */
	guint waiting;   /* queued but not yet due */
} SenderStats;

/* How long a row is retried before it is failed. */
#define SENDER_GIVE_UP (3 * 24 * 3600)

/* Sends every queued row due at @now (Unix seconds). No write transaction
 * is held while the transport works: rows are read, sent, then their new
 * states committed. Returns FALSE with @error when the transport could not
 * be used at all (relay down, spool unwritable): the rows stay queued for a
 * later try, and @stats says how many. */
gboolean sender_flush(const Config *cfg, Store *store, gint64 now, SenderStats *stats,
		      GError **error);
