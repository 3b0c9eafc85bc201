/* SPDX-License-Identifier: ISC */
/* fuzz-config.c: the configuration parser (config.c and libconfuse under
 * it) on any bytes, through config_load_from_data(). A file is either
 * refused with every problem as "FILE:LINE: what", or gives a Config that
 * keeps config.h's promises. */

#include "autoconfig.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_config(const Config *cfg)
{
	g_assert(cfg->languages != NULL && cfg->languages[0] != NULL);
	g_assert(cfg->organisers != NULL && cfg->trusted_domains != NULL);
	g_assert(cfg->tz != NULL && cfg->event_address != NULL);
	for (guint i = 1; i < cfg->days->len; i++) {
		const ConfigDay *before = g_ptr_array_index(cfg->days, i - 1);
		const ConfigDay *day = g_ptr_array_index(cfg->days, i);

		g_assert(strcmp(before->date, day->date) < 0);
	}
	for (guint i = 0; i < cfg->activities->len; i++) {
		const ConfigActivity *a = g_ptr_array_index(cfg->activities, i);

		g_assert(config_activity_find(cfg, a->id) != NULL);
		g_assert(config_day_find(cfg, a->day) != NULL);
		g_assert(strcmp(a->start, a->end) < 0);
		g_assert(a->aliases != NULL && a->countries != NULL && a->folded != NULL);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(Config) cfg = NULL;

	g_log_set_always_fatal(G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
	cfg = config_load_from_data("fuzz.conf", (const char *)data, size, &error);
	if (cfg != NULL) {
		check_config(cfg);
	} else {
		g_assert(error != NULL && g_str_has_prefix(error->message, "fuzz.conf:"));
	}
	return 0;
}
