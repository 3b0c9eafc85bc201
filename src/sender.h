/* SPDX-License-Identifier: ISC */
/* sender.h: drains the outbox through the configured transport, in three
 * steps so that a daemon can run the middle one in a thread of its own:
 * claim (a write transaction), deliver (no store at all: smtp.sessions
 * parallel sessions), and commit (write transactions, grouped by time,
 * while the delivery goes on). Each row is settled as the relay's answer
 * to it arrives, and noted at once in a ledger file, so that a crash sends
 * again at most what was on the wire. */
#pragma once

#include <glib.h>

#include "config.h"
#include "store.h"

typedef struct {
	guint sent;	/* accepted by the relay or written to the spool */
	guint deferred; /* refused for now or not reached: retried later */
	guint failed;	/* refused for good, or given up */
	guint waiting;	/* queued but not yet due */
} SenderStats;

/* What one process keeps while it sends: the secret that tags bounce
 * addresses, and the rows settled but not yet committed, with their
 * ledger: a file in the state directory where each accepted row is noted
 * the moment the relay accepts it (no fsync: it is there for a process that
 * dies, and a system crash only loses duplicates-to-be). */
typedef struct _Sender Sender;

/* Called, from a sending thread, when a settled row starts waiting for its
 * commit: the owner should call sender_commit() soon (not from that
 * thread). */
typedef void (*SenderWakeFunc)(gpointer data);

/* Returns a new Sender for @cfg's state directory, or NULL with @error
 * when the secret or the ledger cannot be had. @wake may be NULL. Free it
 * with sender_free() after a last sender_commit(). */
Sender *sender_new(const Config *cfg, SenderWakeFunc wake, gpointer data, GError **error);

/* Removes the ledger when every row in it is committed; keeps it
 * otherwise, for the next claim to read. */
void sender_free(Sender *sender);

/* Claims for this process the rows due at @now, a thousand at most (the
 * longest waiting first): each becomes "sending", owned by this process,
 * so that no other process sends it too (a row whose owner has died is
 * claimed again, once the rows its ledger says were accepted are marked
 * sent). Sets stats->waiting. Returns the claimed rows as a new array of
 * OutboxRow * (possibly empty), or NULL with @error. */
GPtrArray *sender_claim(Sender *sender, Store *store, gint64 now, SenderStats *stats,
			GError **error);

/* Hands the claimed @rows to the transport through cfg->smtp_sessions
 * sessions and settles each (state, attempts, next try, last reply) as
 * its answer comes, handing it to sender_commit(). Touches no store: it
 * may run in another thread; the caller keeps @rows alive until the last
 * sender_commit() after it. Returns FALSE with @error when the transport
 * could not be used at all (relay down, spool unwritable); the rows not
 * sent then stay queued for a later try, and say so. */
gboolean sender_deliver(Sender *sender, const Config *cfg, GPtrArray *rows, gint64 now,
			SenderStats *stats, GError **error);

/* Commits the rows settled since the last call, in one write transaction;
 * call it from the thread that owns @store. */
gboolean sender_commit(Sender *sender, Store *store, GError **error);

/* The three steps at once, again until no row is due: sends every queued
 * row due at @now, committing as the answers come. Returns FALSE with @error when the transport could
 * not be used at all (the rows stay queued, and @stats says how many) or
 * the store failed. */
gboolean sender_flush(const Config *cfg, Store *store, gint64 now, SenderStats *stats,
		      GError **error);
