/* SPDX-License-Identifier: ISC */
/* places.h: limited places, waiting lists and who may come to what. A place
 * is checked and taken in the same write transaction as the registration
 * that takes it, so no two processes can give away the last one twice
 * (LMDB has one writer at a time). */
#pragma once

#include <glib.h>

#include "attendee.h"
#include "config.h"
#include "store.h"

/* Brings the places of @after in line with what it asks for, given what
 * @before (NULL for a newcomer) held. What @after asks for is every
 * activity in after->activities and after->waitlist when it is confirmed,
 * nothing otherwise (pending or cancelled). On return after->activities
 * holds the places it has and after->waitlist those it waits for, in
 * programme order.
 *
 * An activity @after's country may not attend is dropped, its id added to
 * @refused. A newcomer never passes someone waiting: a place left free
 * beside a waiting list goes to those on it, in order, and @after joins
 * the end. A place given up goes at once to the first person waiting for
 * it, whose registration is updated in @txn and whose address is added to
 * @promoted (each address once). @refused and @promoted hold char *. */
gboolean places_reconcile(StoreTxn *txn, const Config *cfg, const Attendee *before,
			  Attendee *after, gint64 now, GPtrArray *refused, GPtrArray *promoted,
			  GError **error);

/* Gives every place free beside a waiting list (a capacity raised, or
 * made unlimited, since the list formed) to those waiting, in arrival
 * order, in @txn: their registrations are updated and their addresses
 * added to @promoted (char *, each once). */
gboolean places_promote_waiting(StoreTxn *txn, const Config *cfg, gint64 now,
				GPtrArray *promoted, GError **error);
