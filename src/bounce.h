/* SPDX-License-Identifier: ISC */
/* bounce.h: our own mail coming back. Each outbox row leaves with a VERP
 * envelope sender that names the row and carries a keyed tag
 * (register+bounce-17-k3q9x2ma@...). A message to such an address is only
 * ever read as a delivery report (RFC 3464), and it fails its row only when
 * the tag verifies and the report says "Action: failed" for the row's
 * recipient; anything else sent there is dropped, never answered. */
#pragma once

#include <glib.h>
#include <gmime/gmime.h>

#include "store.h"

/* Characters of the tag: 40 bits of the row's HMAC, in base32. */
#define BOUNCE_TAG_LENGTH 8

/* One per-recipient block of a delivery report; every field is cleaned
 * (one line, valid UTF-8) and NULL when the report does not have it. */
typedef struct {
	char *action;		  /* lower-case: failed, delayed, delivered, relayed, expanded */
	char *final_recipient;	  /* the address alone, lower-case */
	char *original_recipient; /* likewise */
	char *status;		  /* "5.1.1" */
	char *diagnostic;	  /* "smtp; 550 5.1.1 ..." */
} BounceRecipient;

/* What a message to a bounce address says. */
typedef struct {
	char *problem;	       /* why it is not a delivery report to read, or NULL */
	GPtrArray *recipients; /* of BounceRecipient *, in the report's order; never NULL */
} BounceReport;

/* Returns the tag of outbox row @id under @secret (the state secret,
 * token_secret_load()): BOUNCE_TAG_LENGTH lower-case base32 characters of
 * HMAC-SHA256(secret, "bounce\n" id). Free the result. */
char *bounce_tag(GBytes *secret, guint64 id);

/* Returns the envelope sender for row @id: @event_address with the detail
 * "+bounce-ID-TAG" (register+bounce-17-k3q9x2ma@campus.example.org). Free
 * the result. */
char *bounce_address(const char *event_address, GBytes *secret, guint64 id);

/* TRUE when @detail (what follows the '+' of the address a message was
 * written to, message.h) makes it a bounce address, tagged or not: such a
 * message is read as nothing but a delivery report. NULL is FALSE. */
gboolean bounce_is_address(const char *detail);

/* TRUE when @detail is "bounce-ID-TAG" with the tag bounce_tag() gives
 * for ID, compared in constant time; *@id is then set. An untagged
 * "bounce-ID" is not trusted. */
gboolean bounce_verify(const char *detail, GBytes *secret, guint64 *id);

/* Reads @m as a delivery report: a multipart/report of report-type
 * delivery-status, with a null or MAILER-DAEMON Return-Path, whose
 * message/delivery-status part gives the per-recipient blocks. Returns a
 * new report, with its problem set when @m is not such a report. Free it
 * with bounce_report_free(). */
BounceReport *bounce_report_read(GMimeMessage *m);

void bounce_report_free(BounceReport *report);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BounceReport, bounce_report_free)

/* Applies @report, received at the bounce address of @detail, in @txn at
 * @now. When the tag verifies and a block about the row's recipient says
 * "Action: failed", the row becomes failed and bounced with the report's
 * Status and Diagnostic-Code: *@action is then "bounce" and *@email the
 * row's recipient (the caller frees it). Anything else changes nothing,
 * is logged with its reason, and sets *@action to "bounce-ignored". Returns
 * FALSE with @error only when the store fails. */
gboolean bounce_apply(StoreTxn *txn, GBytes *secret, gint64 now, const char *detail,
		      const BounceReport *report, const char **action, char **email,
		      GError **error);
