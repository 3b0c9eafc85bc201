/* SPDX-License-Identifier: ISC */
/* country.h: countries as people write them, from Debian's iso-codes data:
 * "RO", "ROU", "Romania", "Roumanie", "România". */
#pragma once

#include <glib.h>

/* Returns the ISO 3166-1 alpha-2 code (static, upper-case) of the country
 * @text names, or NULL when it names none. */
const char *country_lookup(const char *text);

/* Returns the English name of @code (static), or NULL for an unknown code. */
const char *country_name(const char *code);
