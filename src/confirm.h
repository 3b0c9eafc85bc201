/* SPDX-License-Identifier: ISC */
/* confirm.h: the confirmation round trip. A request that must come from
 * the owner of an address is kept, and that address is asked to reply; the
 * reply, carrying the token, has the request carried out as it was
 * written. */
#pragma once

#include <glib.h>

#include "reply.h"

/* TRUE when the event's policy wants the sender of @r to confirm (not
 * already confirmed, not from a trusted domain). */
gboolean confirm_needed(Reply *r);

/* Answers the sender of a request about @email's registration that was
 * asked of its owner: "asked" (the owner must confirm), nothing of theirs
 * shown. */
gboolean confirm_tell_asked(Reply *r, const char *email, GError **error);

/* Keeps the message for later and asks its sender to confirm @action
 * ("register", "cancel", "organiser") by replying; @shown is what the
 * answer shows (the planned registration), or NULL. */
gboolean confirm_ask(Reply *r, const char *action, const Attendee *shown, GError **error);

/* Keeps the message for later and asks @owner (a registration's address,
 * not the sender's) to confirm @action ("update", "withdraw", "cancel",
 * "forget") of their registration @shown, as it would be, by replying; the
 * sender, named in the request, is answered by the caller. Once @owner
 * confirms, the request is carried out as theirs, for them only. */
gboolean confirm_ask_owner(Reply *r, const char *action, const Attendee *owner,
			   const Attendee *shown, GError **error);

/* A message carrying @token: the request it confirms is read again and
 * carried out for the address that confirmed it, or the sender is told
 * why not. */
gboolean confirm_handle(Reply *r, const char *token, GError **error);
