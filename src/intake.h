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

/* What became of a message handed to intake_take(). */
typedef enum {
	INTAKE_TAKEN,    /* its effects are durable (or it is durably in the
			  * quarantine): it may be acknowledged */
	INTAKE_DEFERRED, /* nothing of it is kept: the client must try again */
} IntakeVerdict;

/* Takes @n messages held in memory by a client that keeps each until told
 * it is taken (an LMTP client), at instant @now, their effects in one
 * durable commit (one each should that fail), and sets @verdicts[i] for
 * @messages[i]. A message that is not readable mail goes to the
 * quarantine. Nothing goes through the intake Maildir. */
void intake_take(const Config *cfg, Store *store, Composer *composer, GBytes *secret, gint64 now,
		 GBytes *const *messages, guint n, IntakeVerdict *verdicts, IntakeStats *stats);

/* Processes every message in cfg->intake_dir/new/ at instant @now, oldest
 * first, INTAKE_BATCH to a commit. A message whose effects cannot be
 * committed stays in new/ and is counted as deferred; one that cannot be
 * read as mail is quarantined. @secret signs confirmation tokens. Returns FALSE
 * with @error only when the intake folder itself cannot be read. */
gboolean intake_run(const Config *cfg, Store *store, Composer *composer, GBytes *secret,
		    gint64 now, IntakeStats *stats, GError **error);
