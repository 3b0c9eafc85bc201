/* SPDX-License-Identifier: ISC */
/* deliver.c: what the MTA runs for each message. It must never answer 0
 * before the message is durable in new/, never make the MTA bounce a message
 * (it would reach a sender who did nothing wrong): every failure, a
 * configuration that does not read included, is EX_TEMPFAIL, as Postfix
 * bounces EX_CONFIG (5.3.5); and it must never need more than GLib and
 * libconfuse: it starts once per message. */

#include "autoconfig.h"

#include "deliver.h"

#include <stdio.h>
#include <sysexits.h>

#include "config.h"
#include "log.h"
#include "maildir.h"

int deliver_fd(const char *prog, const char *config_path, int fd)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(Config) cfg = config_load_paths(config_path, &error);
	g_autofree char *name = NULL;

	if (cfg == NULL) {
		fprintf(stderr, "%s: %s\n", prog, error->message);
		return EX_TEMPFAIL;
	}
	if (!maildir_create(cfg->intake_dir, &error) ||
	    !maildir_deliver_fd(cfg->intake_dir, fd, &name, &error)) {
		fprintf(stderr, "%s: deliver: %s\n", prog, error->message);
		return EX_TEMPFAIL;
	}
	log_event(LOG_INFO, "delivered", "folder", cfg->intake_dir, "file", name, NULL);
	return EX_OK;
}
