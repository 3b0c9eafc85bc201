/* SPDX-License-Identifier: ISC */
/* address.h: the one check of an email address, on GMime's address parser:
 * for what people write (Email:, Attendee:, CANCEL someone@...), what
 * headers and the LMTP envelope carry, and the configuration. */
#pragma once

#include <glib.h>

/* Returns the address @text holds, lower-cased, when it is exactly one
 * mailbox ("ana@example.ro", "Ana Popescu <ana@example.ro>",
 * "mailto:ana@example.ro"), with a local part and a domain of at least two
 * labels, no spaces and no control characters; else NULL. *@name, when
 * not NULL, is set to its display name (cleaned, NULL when none). The
 * caller frees both. */
char *address_parse(const char *text, char **name);

/* TRUE when @address, as it stands, is one address address_parse() takes
 * whole ("ana@example.ro", not "Ana <ana@example.ro>"). */
gboolean address_valid(const char *address);
