/* SPDX-License-Identifier: ISC */
/* register.h: registrations made, changed and cancelled by what people
 * write: one person's form, a delegation's blocks, a cancellation. */
#pragma once

#include <glib.h>

#include "reply.h"

/* A form from the sender (or for the address its Email: line names):
 * registers or changes @existing (NULL when none), or answers with the
 * problems. */
gboolean register_form(Reply *r, Attendee *existing, GError **error);

/* A delegation leader's blocks, one per person: all checked first, then
 * each stored and told, and the leader answered with the summary. */
gboolean register_delegation(Reply *r, GError **error);

/* Gives up what the request names ("cancel the Orange visit", "I can no
 * longer come on Tuesday") of @existing, keeping the rest; giving up all
 * of it, or a registration there is none of, is a problem. */
gboolean register_withdraw(Reply *r, Attendee *existing, GError **error);

/* CANCEL from the sender for @existing. */
gboolean register_cancel(Reply *r, Attendee *existing, GError **error);

/* Cancels @existing, freeing its places for those waiting; returns, for
 * the answers, the registration as it was with the status it now has (the
 * caller frees it), or NULL with @error. */
Attendee *register_cancel_now(Reply *r, Attendee *existing, GError **error);

/* TRUE from midnight after the event's last day, event time. */
gboolean register_event_over(const Config *cfg, gint64 now);
