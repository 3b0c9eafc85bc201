/* SPDX-License-Identifier: ISC */
/* forward.h: what convene cannot act on goes to a person. A message from a
 * person with nothing convene reads in it (a question, a thank-you, a
 * request in prose) is passed to the organisers whole, listed in their
 * digest, and its sender told so. */
#pragma once

#include <glib.h>

#include "reply.h"

/* TRUE when @r's request has lines of the sender's own that nothing read
 * and that ask something (a question mark): to pass on even when the rest
 * of the message was acted on. */
gboolean forward_has_question(const Reply *r);

/* Passes @r's message to every organiser (the original attached,
 * Reply-To its sender, @existing's registration above it when there is
 * one), notes it for the digest and, when @tell, tells the sender in their
 * language that the organisers have it and will answer. */
gboolean forward_to_organisers(Reply *r, const Attendee *existing, gboolean tell,
			       GError **error);
