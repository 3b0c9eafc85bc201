/* SPDX-License-Identifier: ISC */
/* capacity.h: what a configuration, read again, means for those already
 * registered: places freed by a capacity raised go to those waiting, and
 * check-config compares the configuration with the store it will serve. */
#pragma once

#include <glib.h>

#include "compose.h"
#include "config.h"
#include "store.h"

/* Gives every place free beside a waiting list (a capacity raised since
 * the list formed) to those waiting, in arrival order, and tells each one
 * ("promoted"), all in one write transaction of @store. Called whenever a
 * configuration is loaded to process mail. Sets *@promoted (when not NULL)
 * to the number of people promoted. */
gboolean capacity_apply(Store *store, const Config *cfg, Composer *composer, gint64 now,
			guint *promoted, GError **error);

/* Compares @cfg with what @txn (a read transaction) holds, appending one
 * line "FILE:LINE: ..." ("FILE:LINE: warning: ..." for a warning) per
 * finding: to @errors an activity or day that
 * attendees hold but @cfg no longer declares (whom), to @warnings a
 * capacity below the places taken (activity, count) and a country limit
 * that now excludes attendees holding the activity (whom). */
gboolean capacity_check(StoreTxn *txn, const Config *cfg, GString *errors, GString *warnings,
			GError **error);

/* capacity_check() in a read transaction of @store. */
gboolean capacity_check_store(Store *store, const Config *cfg, GString *errors, GString *warnings,
			      GError **error);

/* capacity_check() against the store in @cfg's state directory, opened
 * read-only (nothing changes there, and convened may run beside it); a
 * directory without a store has nothing to compare and passes. FALSE with
 * @error when the store is there but cannot be read. */
gboolean capacity_check_dir(const Config *cfg, GString *errors, GString *warnings, GError **error);
