/* SPDX-License-Identifier: ISC */
/* fuzz-dsn.c: delivery status notifications through the reader
 * (bounce.c's bounce_report_read(), through message_read_bytes()). Each input is
 * read twice: as a whole message (the seeds are real reports), and as the
 * message/delivery-status part of a fixed multipart/report from
 * MAILER-DAEMON, so that the fields of the report itself are fuzzed
 * whatever the mutations do to the MIME around them. Whatever is read from
 * a report must be one line of valid UTF-8 with no control character, and
 * a report written to a bounce address is never anything but a report. */

#include "autoconfig.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "bounce.h"
#include "message.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define OWN_ADDRESS "register@campus.example.org"

static const char report_head[] =
    "Return-Path: <>\r\n"
    "From: MAILER-DAEMON@relay.example.org (Mail Delivery System)\r\n"
    "To: register+bounce-17-k3q9x2ma@campus.example.org\r\n"
    "Subject: Undelivered Mail Returned to Sender\r\n"
    "Message-ID: <20250901080000.4F2A1@relay.example.org>\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/report; report-type=delivery-status;\r\n"
    "\tboundary=\"4F2A1.1756713600/relay.example.org\"\r\n"
    "\r\n"
    "--4F2A1.1756713600/relay.example.org\r\n"
    "Content-Type: text/plain; charset=us-ascii\r\n"
    "\r\n"
    "I'm sorry to have to inform you that your message could not be delivered.\r\n"
    "\r\n"
    "--4F2A1.1756713600/relay.example.org\r\n"
    "Content-Type: message/delivery-status\r\n"
    "\r\n";
static const char report_tail[] = "\r\n--4F2A1.1756713600/relay.example.org--\r\n";

/* Whether @s is one line of valid UTF-8: no C0 or C1 control character,
 * no DEL, no Unicode line or paragraph separator. */
static gboolean one_line(const char *s)
{
	if (!g_utf8_validate(s, -1, NULL))
		return FALSE;
	for (const char *p = s; *p != '\0'; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);

		if (g_unichar_iscntrl(c) || c == 0x2028 || c == 0x2029)
			return FALSE;
	}
	return TRUE;
}

static gboolean maybe_one_line(const char *s)
{
	return s == NULL || one_line(s);
}

static void check_report(const Message *msg)
{
	const BounceReport *r = msg->report;

	g_assert((r != NULL) == bounce_is_address(msg->detail));
	if (r == NULL)
		return;
	g_assert(maybe_one_line(r->problem) && r->recipients != NULL);
	for (guint i = 0; i < r->recipients->len; i++) {
		const BounceRecipient *b = g_ptr_array_index(r->recipients, i);

		g_assert(maybe_one_line(b->action) && maybe_one_line(b->final_recipient) &&
			 maybe_one_line(b->original_recipient) && maybe_one_line(b->status) &&
			 maybe_one_line(b->diagnostic));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autoptr(Message) whole = NULL;
	g_autoptr(Message) report = NULL;
	g_autoptr(GByteArray) wrapped =
	    g_byte_array_sized_new(sizeof report_head + size + sizeof report_tail);

	g_log_set_always_fatal(G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
	whole = message_read_bytes(data, size, 0, OWN_ADDRESS, NULL);
	if (whole != NULL)
		check_report(whole);

	g_byte_array_append(wrapped, (const guint8 *)report_head, strlen(report_head));
	g_byte_array_append(wrapped, data, size);
	g_byte_array_append(wrapped, (const guint8 *)report_tail, strlen(report_tail));
	report = message_read_bytes(wrapped->data, wrapped->len, 0, OWN_ADDRESS, NULL);
	if (report != NULL) {
		check_report(report);
		g_assert(report->report != NULL && report->robot != NULL);
	}
	return 0;
}
