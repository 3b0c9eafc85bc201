/* SPDX-License-Identifier: ISC */
/* forget.h: erasing a person (issue #16): `convenectl forget`, FORGET by
 * email once its owner confirmed it, and every attendee when the event's
 * retention period is over. */
#pragma once

#include <glib.h>

#include "reply.h"
#include "store.h"

/* What an erasure took. */
typedef struct {
	guint people;        /* registrations erased */
	StoreForgotten store;
	guint mentions;      /* rows to others (digests, forwards) that named them,
			      * their text removed */
} ForgetReport;

/* Erases @email (lower-case) in r->txn: a registration holding places is
 * cancelled first (until the event is over), so that those waiting are
 * promoted and told as after a cancellation; then every record of or about them goes (store_forget()),
 * their waiting-list entries, and the text of every outbox row to someone
 * else that names them (a digest, its CSV, a forwarded message): a row not
 * yet sent is failed, "withdrawn", for the organisers to see. The journal
 * keeps one anonymous entry for the erasure. The store must be compacted
 * after the commit (store_compact(), or the next store_purge()). Adds to
 * @report. */
gboolean forget_person(Reply *r, const char *email, ForgetReport *report, GError **error);

/* FORGET from the sender (or naming another address in an Email: line):
 * asked of that address's owner by a round trip, and once confirmed
 * carried out and answered ("forgotten", the last mail they get). */
gboolean forget_request(Reply *r, Attendee *existing, GError **error);

/* convenectl forget: erases @email for the organisers in @txn, telling no
 * one but those promoted. Sets *@found when the store held anything of
 * theirs. */
gboolean forget_by_organisers(const CommandContext *ctx, StoreTxn *txn, const char *email,
			      ForgetReport *report, gboolean *found, GError **error);

/* Removes the mail that names @email (in any case) from the intake
 * Maildir's cur/ (read and done with) and from the quarantine; new/, not
 * read yet, is left to be read. Sets *@removed to the files removed. */
gboolean forget_files(const Config *cfg, const char *email, guint *removed, GError **error);

/* The instant (Unix seconds) from which personal data is erased:
 * event.retention-days after midnight ending the event's last day. */
gint64 forget_retention_at(const Config *cfg);

/* The mark noting that the retention period's erasure was made: its when,
 * and its value the registrations erased. */
#define FORGET_RETENTION_MARK "retention-erased"

/* Once forget_retention_at() has come, erases, once, everyone's personal
 * data: every registration, request, hourly counter and Message-ID, every
 * row not to an organiser, the text of the organisers' rows, and the
 * journal made anonymous (the places taken stay, as counts), then compacts
 * the store. Sets *@erased to the registrations erased (0 when nothing
 * was to be done). */
gboolean forget_retention(const Config *cfg, Store *store, gint64 now, guint *erased,
			  GError **error);
