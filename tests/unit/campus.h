/* SPDX-License-Identifier: ISC */
/* campus.h: the shipped CAMPUS configuration for unit tests, read with
 * the templates of the sources, and a way to add to it. */
#pragma once

#include "config.h"

/* Returns etc/convene.conf with its templates those of $top_srcdir and
 * @extra (configuration text, "" for none) appended; asserts it loads. */
Config *campus_load(const char *extra);

/* As campus_load(), from @file (relative to $top_srcdir) in place of
 * etc/convene.conf: another event, with the same templates. */
Config *campus_load_event(const char *file, const char *extra);
