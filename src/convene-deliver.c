/* SPDX-License-Identifier: ISC */
/* convene-deliver: what an MTA runs for each message (Postfix's pipe, an
 * alias, procmail). One message on stdin into the intake Maildir, with the
 * exit codes of `convenectl deliver`: 0 once durable, 75 for any problem.
 * It links GLib and libconfuse and nothing else, so that it starts in about
 * the time /bin/true does; it must never gain a dependency on the parsing or
 * sending side. */

#include "autoconfig.h"

#include <glib.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "deliver.h"
#include "log.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif

static const char usage_text[] =
    "usage: convene-deliver [-c FILE]\n"
    "copies one message on stdin into the intake Maildir; exits 0 once it is durable,\n"
    "75 (the MTA keeps it and tries again) on any problem\n"
    "the configuration is -c FILE, else $CONVENE_CONF, else " SYSCONFDIR "/convene/convene.conf\n";

int main(int argc, char **argv)
{
	const char *path = NULL;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-c") == 0 && i + 1 < argc) {
			path = argv[++i];
		} else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			fputs(usage_text, stdout);
			return EX_OK;
		} else {
			/* A wrong command line is the MTA's configuration:
			 * EX_TEMPFAIL makes it keep the message, where
			 * EX_USAGE would bounce it to a sender who did
			 * nothing wrong. */
			fprintf(stderr, "convene-deliver: unknown argument %s\n%s", argv[i],
				usage_text);
			return EX_TEMPFAIL;
		}
	}
	if (path == NULL)
		path = g_getenv("CONVENE_CONF");
	if (path == NULL)
		path = SYSCONFDIR "/convene/convene.conf";
	log_init("convene-deliver", TRUE);
	return deliver_fd("convene-deliver", path, STDIN_FILENO);
}
