/* SPDX-License-Identifier: ISC */
/* lmtp.h: an LMTP listener (RFC 2033) so that an MTA such as Postfix can
 * hand mail to convened over its lmtp: transport, with one reply per
 * recipient given only once the message's effects are committed, and
 * limits on lines, message size, idle time and connections. */
#pragma once

#include <glib.h>

#include "config.h"

#define LMTP_ERROR (lmtp_error_quark())
GQuark lmtp_error_quark(void);

typedef struct _Lmtp Lmtp;

/* One message received whole, waiting for its outcome. */
typedef struct _LmtpDelivery LmtpDelivery;

/* Called in the listener's own thread for each message received: it must
 * not block, only hand @delivery on to whoever commits it, who answers
 * with lmtp_delivery_done(). */
typedef void (*LmtpDeliverFunc)(LmtpDelivery *delivery, gpointer user_data);

/* The message (LF line ends, with Return-Path and Delivered-To headers
 * prepended), borrowed from @delivery. */
GBytes *lmtp_delivery_get_message(LmtpDelivery *delivery);

/* Answers @delivery, from any thread: every recipient of the message gets
 * "@code @text" (250 once its effects are committed, 451 when they are
 * not). Frees @delivery; a client gone in the meantime gets nothing. */
void lmtp_delivery_done(LmtpDelivery *delivery, int code, const char *text);

/* Listens on cfg->lmtp ("unix:/PATH", replacing a stale socket there, with
 * cfg->lmtp_socket_mode and cfg->lmtp_socket_group applied, or
 * "HOST:PORT") and serves every connection from one thread of its own,
 * within cfg's limits. Nothing of @cfg is kept. Returns NULL with @error
 * when the address cannot be listened on. */
Lmtp *lmtp_start(const Config *cfg, LmtpDeliverFunc deliver, gpointer user_data, GError **error);

/* Takes a new configuration's LMTP settings: a new address is bound
 * before the old one is let go (connections under way go on), a new mode
 * or group applied to the socket, new limits to what comes next. Returns
 * FALSE with @error, and changes nothing, when the new address or access
 * cannot be had. */
gboolean lmtp_reconfigure(Lmtp *lmtp, const Config *cfg, GError **error);

/* Stops listening, tells each connection 421 and closes it, and frees
 * @lmtp. Deliveries not yet answered may still be given to
 * lmtp_delivery_done(), which then only frees them. */
void lmtp_stop(Lmtp *lmtp);
