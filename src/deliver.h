/* SPDX-License-Identifier: ISC */
/* deliver.h: one message from the MTA into the intake Maildir. Both
 * convene-deliver and `convenectl deliver` are this function, so that they
 * answer an MTA in exactly the same way. */
#pragma once

/* Reads the paths of the configuration at @config_path
 * (config_load_paths()), copies everything readable from @fd into a new
 * message of the intake Maildir and returns the exit status the MTA acts
 * on: EX_OK only once the message is durable in new/, EX_TEMPFAIL for
 * anything else (a full disk, a directory we may not write, a configuration
 * that cannot be read or has an error), so that the MTA keeps the message
 * and tries again. The content is never looked at. What went wrong is said on stderr, prefixed with
 * "@prog: "; a delivery is logged. */
int deliver_fd(const char *prog, const char *config_path, int fd);
