/* SPDX-License-Identifier: ISC */
/* country.h: countries as people write them, from Debian's iso-codes data:
 * "RO", "ROU", "Romania", "Roumanie", "România". */
#pragma once

#include <glib.h>

/* Returns the ISO 3166-1 alpha-2 code (static, upper-case) of the country
 * @text names, or NULL when it names none. */
const char *country_lookup(const char *text);

/* Returns the name of @code in language @lang (an iso-codes translation,
 * e.g. "fr": "Roumanie"), or in English when there is none or @lang is
 * NULL; NULL for an unknown code. Static. */
const char *country_name(const char *code, const char *lang);

/* Returns the ISO code (static) of the country whose time zone is @tz (an
 * IANA name, "Europe/Helsinki" → "FI"), from the time zone data's
 * zone.tab; NULL when the data does not name one. */
const char *country_of_timezone(const char *tz);
