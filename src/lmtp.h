/* SPDX-License-Identifier: ISC */
/* lmtp.h: an LMTP listener (RFC 2033) so that an MTA such as Postfix can
 * hand mail to convened over its lmtp: transport, with one reply per
 * recipient given only once the message's effects are committed. */
#pragma once

#include <glib.h>

#define LMTP_ERROR (lmtp_error_quark())
GQuark lmtp_error_quark(void);

/* Takes one message (LF line ends, with Return-Path and Delivered-To
 * headers prepended) in a connection's own thread and returns the SMTP
 * code for every recipient: 250 once it is committed, 451 when it is not
 * (yet); *@text gets the reply's text, newly allocated. */
typedef int (*LmtpDeliverFunc)(GBytes *message, char **text, gpointer user_data);

typedef struct _Lmtp Lmtp;

/* Listens on @where ("unix:/PATH", replacing a stale socket there, or
 * "HOST:PORT") and serves each connection in a thread of its own. Messages
 * larger than @max_size bytes are refused with 552. Returns NULL with
 * @error when the address cannot be listened on. */
Lmtp *lmtp_start(const char *where, guint64 max_size, LmtpDeliverFunc deliver,
		 gpointer user_data, GError **error);

/* Stops listening (connections under way finish) and frees @lmtp. */
void lmtp_stop(Lmtp *lmtp);
