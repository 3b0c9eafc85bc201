/* SPDX-License-Identifier: ISC */
/* fuzz-lmtp.c: an LMTP session (lmtpsession.c) on any bytes from the
 * client, with a deliver function that answers 250 and 451 in turn. Each
 * input is played twice: in one piece, and cut into pieces of 1 to 17
 * octets with the replies read only when the session asks. Both must give
 * the same replies and the same messages (a line cut anywhere is the same
 * line); every reply must be a well-formed line; no message may outgrow
 * the limits; and the session must never stall while it has input. */

#include "autoconfig.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lmtpsession.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Small limits, so that short inputs reach them. */
#define FUZZ_MAX_LINE 80
#define FUZZ_MAX_SIZE 2000

typedef struct {
	GString *replies;    /* everything the session said */
	GChecksum *messages; /* of every message delivered, in order */
	guint delivered;
	gboolean waiting;
} Play;

static void deliver(GBytes *message, gpointer data)
{
	Play *p = data;
	gsize len;
	const char *m = g_bytes_get_data(message, &len);

	g_assert(!p->waiting);
	g_assert(len <= FUZZ_MAX_SIZE);
	g_assert(g_str_has_prefix(m, "Return-Path: <"));
	g_checksum_update(p->messages, (const guchar *)m, (gssize)len);
	g_checksum_update(p->messages, (const guchar *)"\0", 1);
	p->waiting = TRUE;
}

/* Takes the session's output, checking that it is made of whole reply
 * lines: three digits, a space or a dash, text without CR or LF, CRLF. */
static void drain(LmtpSession *s, Play *p)
{
	gsize len;
	const char *out = lmtp_session_output(s, &len);

	for (gsize i = 0; i < len;) {
		const char *lf = memchr(out + i, '\n', len - i);
		gsize line;

		g_assert(lf != NULL);
		line = (gsize)(lf - (out + i)) + 1;
		g_assert(line >= 6 && out[i + line - 2] == '\r');
		g_assert(out[i] >= '2' && out[i] <= '5' && g_ascii_isdigit(out[i + 1]) &&
			 g_ascii_isdigit(out[i + 2]) && (out[i + 3] == ' ' || out[i + 3] == '-'));
		g_assert(memchr(out + i, '\r', line - 2) == NULL);
		i += line;
	}
	g_string_append_len(p->replies, out, (gssize)len);
	lmtp_session_output_consumed(s, len);
}

/* Plays @data into a new session in pieces of @piece octets (0: as many
 * as it takes), answering deliveries as the listener would, after the
 * feed returns. */
static void play(const uint8_t *data, size_t size, gsize piece, Play *p)
{
	g_autoptr(LmtpSession) s =
	    lmtp_session_new("fuzz.example", FUZZ_MAX_LINE, FUZZ_MAX_SIZE, deliver, p);
	gsize off = 0, cut = 0;

	p->replies = g_string_new(NULL);
	p->messages = g_checksum_new(G_CHECKSUM_SHA256);
	for (;;) {
		gsize want, n;

		if (p->waiting) {
			p->waiting = FALSE;
			if (p->delivered++ % 2 == 0)
				lmtp_session_delivered(s, 250, "2.0.0 Ok: committed");
			else
				lmtp_session_delivered(s, 451, "4.3.0 Not\r\ncommitted");
			continue;
		}
		if (lmtp_session_ended(s) || off == size)
			break;
		if (piece == 0 || !lmtp_session_wants_input(s))
			drain(s, p);
		want = piece == 0 ? size - off : MIN(1 + cut++ % piece, size - off);
		n = lmtp_session_feed(s, (const char *)data + off, want);
		off += n;
		/* Only a delivery, an end or unread replies may stop it. */
		if (n < want)
			g_assert(p->waiting || lmtp_session_ended(s) ||
				 !lmtp_session_wants_input(s));
	}
	drain(s, p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	Play whole = {0}, pieces = {0};

	g_log_set_always_fatal(G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
	play(data, size, 0, &whole);
	play(data, size, 17, &pieces);
	g_assert(whole.delivered == pieces.delivered);
	g_assert(strcmp(whole.replies->str, pieces.replies->str) == 0);
	g_assert(strcmp(g_checksum_get_string(whole.messages),
			g_checksum_get_string(pieces.messages)) == 0);
	g_string_free(whole.replies, TRUE);
	g_string_free(pieces.replies, TRUE);
	g_checksum_free(whole.messages);
	g_checksum_free(pieces.messages);
	return 0;
}
