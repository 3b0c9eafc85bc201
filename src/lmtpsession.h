/* SPDX-License-Identifier: ISC */
/* lmtpsession.h: one LMTP session (RFC 2033) as a machine that takes the
 * client's bytes and gives back the server's replies, with no socket, thread
 * or clock of its own, so that the listener drives it from the network and a
 * fuzzer from memory. It bounds every line while reading it and the message
 * while receiving it, and answers a message only once told its outcome. */
#pragma once

#include <glib.h>

/* The longest command line, its CRLF included (RFC 5321 4.5.3.1.4), and
 * that of MAIL, which the parameters we advertise may lengthen: SIZE by 26
 * octets (RFC 1870), " BODY=8BITMIME" by 14. */
#define LMTP_SESSION_COMMAND_MAX 512
#define LMTP_SESSION_MAIL_MAX (512 + 26 + 14)
/* Recipients one transaction may name. */
#define LMTP_SESSION_MAX_RCPT 100
/* Replies not yet taken by lmtp_session_output_consumed() beyond which the
 * session reads no more: a client that sends without reading stalls. */
#define LMTP_SESSION_OUTPUT_MAX 16384
/* Rejected commands after which the session ends (421). */
#define LMTP_SESSION_MAX_ERRORS 20

typedef struct _LmtpSession LmtpSession;

/* Called when a message has been received whole: @message (LF line ends,
 * dot-stuffing undone, a Return-Path and a Delivered-To header for the
 * first recipient prepended) is borrowed; take a reference to keep it. The
 * session then waits for lmtp_session_delivered(), which may be called from
 * within this function or at any later time. */
typedef void (*LmtpSessionDeliverFunc)(GBytes *message, gpointer user_data);

/* Returns a new session, its greeting already in the output. @host names
 * this server in the replies; @max_line is the longest line of a message,
 * its line end included; @max_size the largest message (0: no limit),
 * counted as delivered to @deliver. Free with lmtp_session_free(). */
LmtpSession *lmtp_session_new(const char *host, gsize max_line, guint64 max_size,
			      LmtpSessionDeliverFunc deliver, gpointer user_data);

void lmtp_session_free(LmtpSession *s);

/* Reads @len bytes from the client. Returns how many were taken: fewer
 * than @len once the session waits for a delivery's outcome, has more
 * output waiting than LMTP_SESSION_OUTPUT_MAX, or has ended; the caller
 * offers the rest again later. */
gsize lmtp_session_feed(LmtpSession *s, const char *data, gsize len);

/* Tells the outcome of the message last given to the deliver function:
 * one reply "@code @text" for each of its recipients (@text gets its
 * control characters replaced). The session then reads on. */
void lmtp_session_delivered(LmtpSession *s, int code, const char *text);

/* Ends the session with the reply @line (e.g. a 421 for an idle client),
 * whatever it was doing. */
void lmtp_session_abort(LmtpSession *s, const char *line);

/* The replies not yet sent, *@len bytes; borrowed until the next call. */
const char *lmtp_session_output(LmtpSession *s, gsize *len);

/* Drops the first @n bytes of the output, once they are sent. */
void lmtp_session_output_consumed(LmtpSession *s, gsize n);

/* Whether lmtp_session_feed() would take bytes now. */
gboolean lmtp_session_wants_input(const LmtpSession *s);

/* Whether the session waits for lmtp_session_delivered(). */
gboolean lmtp_session_waiting(const LmtpSession *s);

/* Whether the session has ended (QUIT, an abort, a line too long): once
 * its output is sent the connection is to be closed. */
gboolean lmtp_session_ended(const LmtpSession *s);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(LmtpSession, lmtp_session_free)
