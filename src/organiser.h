/* SPDX-License-Identifier: ISC */
/* organiser.h: what only an organiser may ask by email: BROADCAST, REPORT,
 * EXPORT, and CANCEL of another address; each confirmed by the round trip
 * to the organiser's own address. */
#pragma once

#include <glib.h>

#include "reply.h"

/* TRUE when @address is one of event.organisers. */
gboolean organiser_is(const Config *cfg, const char *address);

/* TRUE when @req is an organiser's command (from whoever it came). */
gboolean organiser_command(const Request *req, const char *sender);

/* Carries out an organiser's command: from anyone else it does nothing and
 * writes to nobody. */
gboolean organiser_handle(Reply *r, GError **error);
