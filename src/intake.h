/* SPDX-License-Identifier: ISC */
/* intake.h: takes every message waiting in the intake Maildir's new/,
 * commits its effects, and only then moves it to cur/. */
#pragma once

#include <glib.h>

#include "compose.h"
#include "config.h"
#include "store.h"

/* Messages that share one durable commit, and the most text they may hold
 * in memory together. */
#define INTAKE_BATCH 256
#define INTAKE_BATCH_TEXT (32u << 20)

typedef struct {
	guint messages;     /* taken from new/ */
	guint answered;     /* committed with at least one reply */
	guint duplicates;   /* Message-ID seen before: nothing done */
	guint robots;       /* machine mail: no answer */
	guint quarantined;  /* moved to the quarantine Maildir */
	guint deferred;     /* left in new/ for the next run (transient trouble) */
} IntakeStats;

/* A message held in memory by a client that keeps it until told it is
 * taken (an LMTP client): read and parsed in any thread, then committed
 * with others by intake_commit() in the store's. Nothing of it goes
 * through the intake Maildir. */
typedef struct _IntakeMessage IntakeMessage;

typedef enum {
	INTAKE_TAKEN,    /* its effects are durable (or it is durably in the
			  * quarantine): it may be acknowledged */
	INTAKE_DEFERRED, /* nothing of it is kept: the client must try again */
} IntakeVerdict;

/* Reads and parses @bytes as @cfg says; any thread may call it, with a
 * @cfg that stays unchanged meanwhile. A message that is not readable mail
 * is put durably in the quarantine here. Returns a new IntakeMessage
 * (never NULL) to free with intake_message_free(). @received_at is when
 * its LMTP transaction ended (Unix seconds). */
IntakeMessage *intake_message_read(const Config *cfg, GBytes *bytes, gint64 received_at);

void intake_message_free(IntakeMessage *m);

/* INTAKE_TAKEN once @m is quarantined, or committed by intake_commit(). */
IntakeVerdict intake_message_verdict(const IntakeMessage *m);

/* Commits, at instant @now, the effects of those of @messages that were
 * read, in one durable transaction (one each should that fail), and
 * counts them all in @stats. */
void intake_commit(const Config *cfg, Store *store, Composer *composer, GBytes *secret,
		   gint64 now, IntakeMessage *const *messages, guint n, IntakeStats *stats);

/* Processes every message in cfg->intake_dir/new/ at instant @now, oldest
 * first, INTAKE_BATCH to a commit. A message whose effects cannot be
 * committed stays in new/ and is counted as deferred; one that cannot be
 * read as mail is quarantined. @secret signs confirmation tokens. Returns FALSE
 * with @error only when the intake folder itself cannot be read. */
gboolean intake_run(const Config *cfg, Store *store, Composer *composer, GBytes *secret,
		    gint64 now, IntakeStats *stats, GError **error);
