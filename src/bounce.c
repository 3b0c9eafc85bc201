/* SPDX-License-Identifier: ISC */
/* bounce.c: VERP addresses with a keyed tag, and delivery reports read with
 * GMime. A message to a bounce address is evidence only when the tag was
 * made with our secret for that row: the address alone proves nothing, and
 * a report whose tag does not verify, or that is no delivery report, or
 * that says anything but "failed" for the row's recipient, changes
 * nothing. It never answers anyone and never reads such a message as a
 * form or a command. */

#include "autoconfig.h"

#include "bounce.h"

#include <string.h>

#include "log.h"
#include "text.h"

#define BOUNCE_DETAIL "bounce"

static const char base32_alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";

char *bounce_tag(GBytes *secret, guint64 id)
{
	gsize key_len, mac_len = 32;
	const guint8 *key = g_bytes_get_data(secret, &key_len);
	g_autoptr(GHmac) hmac = g_hmac_new(G_CHECKSUM_SHA256, key, key_len);
	g_autofree char *text = g_strdup_printf(BOUNCE_DETAIL "\n%" G_GUINT64_FORMAT, id);
	guint8 mac[32];
	guint64 bits = 0;
	char *tag = g_malloc(BOUNCE_TAG_LENGTH + 1);

	g_hmac_update(hmac, (const guchar *)text, -1);
	g_hmac_get_digest(hmac, mac, &mac_len);
	/* The first 40 bits, five at a time. */
	for (guint i = 0; i < 5; i++)
		bits = bits << 8 | mac[i];
	for (guint i = 0; i < BOUNCE_TAG_LENGTH; i++)
		tag[i] = base32_alphabet[(bits >> (35 - 5 * i)) & 31];
	tag[BOUNCE_TAG_LENGTH] = '\0';
	return tag;
}

char *bounce_address(const char *event_address, GBytes *secret, guint64 id)
{
	const char *at = strrchr(event_address, '@');
	g_autofree char *tag = bounce_tag(secret, id);

	g_return_val_if_fail(at != NULL, NULL);
	return g_strdup_printf("%.*s+" BOUNCE_DETAIL "-%" G_GUINT64_FORMAT "-%s%s",
			       (int)(at - event_address), event_address, id, tag, at);
}

gboolean bounce_is_address(const char *detail)
{
	gsize len = strlen(BOUNCE_DETAIL);

	return detail != NULL && g_ascii_strncasecmp(detail, BOUNCE_DETAIL, len) == 0 &&
	       (detail[len] == '\0' || detail[len] == '-');
}

gboolean bounce_verify(const char *detail, GBytes *secret, guint64 *id)
{
	const char *digits, *dash;
	g_autofree char *expected = NULL;
	guint64 n;
	guint8 diff = 0;

	if (!bounce_is_address(detail) || detail[strlen(BOUNCE_DETAIL)] != '-')
		return FALSE;
	digits = detail + strlen(BOUNCE_DETAIL) + 1;
	dash = strchr(digits, '-');
	if (dash == NULL || dash == digits || (gsize)(dash - digits) > 20 ||
	    strspn(digits, "0123456789") != (gsize)(dash - digits) ||
	    strlen(dash + 1) != BOUNCE_TAG_LENGTH)
		return FALSE;
	n = g_ascii_strtoull(digits, NULL, 10);
	expected = bounce_tag(secret, n);
	for (guint i = 0; i < BOUNCE_TAG_LENGTH; i++)
		diff |= (guint8)(expected[i] ^ g_ascii_tolower(dash[1 + i]));
	if (diff != 0)
		return FALSE;
	*id = n;
	return TRUE;
}

static void recipient_free(gpointer data)
{
	BounceRecipient *r = data;

	g_free(r->action);
	g_free(r->final_recipient);
	g_free(r->original_recipient);
	g_free(r->status);
	g_free(r->diagnostic);
	g_free(r);
}

void bounce_report_free(BounceReport *report)
{
	if (report == NULL)
		return;
	g_free(report->problem);
	g_ptr_array_unref(report->recipients);
	g_free(report);
}

/* The address of a recipient field, "rfc822; someone@example.org" (RFC
 * 3464: an address type, then the address). */
static char *recipient_address(const char *value)
{
	const char *semi = strchr(value, ';');
	g_autofree char *addr = text_clean_address(semi != NULL ? semi + 1 : value);

	g_strstrip(addr);
	if (addr[0] == '<' && addr[strlen(addr) - 1] == '>') {
		addr[strlen(addr) - 1] = '\0';
		memmove(addr, addr + 1, strlen(addr));
	}
	return addr[0] != '\0' ? g_steal_pointer(&addr) : NULL;
}

/* Sets the field @name of @r to @value, as the report's own words: the
 * first of each kind counts. */
static void recipient_set(BounceRecipient *r, const char *name, const char *value)
{
	g_autofree char *clean = text_clean_line(value);

	if (g_ascii_strcasecmp(name, "Action") == 0 && r->action == NULL) {
		/* "failed (bad destination mailbox)": the word is what counts. */
		clean[strcspn(clean, " (")] = '\0';
		r->action = g_ascii_strdown(clean, -1);
	} else if (g_ascii_strcasecmp(name, "Final-Recipient") == 0 && r->final_recipient == NULL) {
		r->final_recipient = recipient_address(clean);
	} else if (g_ascii_strcasecmp(name, "Original-Recipient") == 0 &&
		   r->original_recipient == NULL) {
		r->original_recipient = recipient_address(clean);
	} else if (g_ascii_strcasecmp(name, "Status") == 0 && r->status == NULL) {
		r->status = g_steal_pointer(&clean);
	} else if (g_ascii_strcasecmp(name, "Diagnostic-Code") == 0 && r->diagnostic == NULL) {
		r->diagnostic = g_steal_pointer(&clean);
	}
}

/* Reads the blocks of a message/delivery-status body (RFC 3464, 2.1):
 * header-style fields, continued on lines that begin with a blank, blocks
 * parted by empty lines. The first block is about the message; each one
 * after it about one recipient. */
static void read_status_fields(const char *text, gsize len, GPtrArray *recipients)
{
	g_autofree char *copy = g_strndup(text, len);
	g_auto(GStrv) lines = g_strsplit(copy, "\n", -1);
	BounceRecipient *current = NULL;
	g_autoptr(GString) field = g_string_new(NULL);
	guint block = 0;
	gboolean in_block = FALSE;

	for (guint i = 0;; i++) {
		char *line = lines[i];
		gsize n = line != NULL ? strlen(line) : 0;

		if (n > 0 && line[n - 1] == '\r')
			line[--n] = '\0';
		if (line != NULL && n > 0 && (line[0] == ' ' || line[0] == '\t')) {
			g_string_append_c(field, ' ');
			g_string_append(field, line);
			continue;
		}
		/* A field is complete: keep it if it belongs to a recipient. */
		if (field->len > 0 && current != NULL) {
			char *colon = strchr(field->str, ':');

			if (colon != NULL) {
				*colon = '\0';
				g_strstrip(field->str);
				recipient_set(current, field->str, colon + 1);
			}
		}
		g_string_truncate(field, 0);
		if (line == NULL)
			break;
		if (n == 0) {
			in_block = FALSE;
			continue;
		}
		if (!in_block) {
			in_block = TRUE;
			if (block++ > 0) {
				current = g_new0(BounceRecipient, 1);
				g_ptr_array_add(recipients, current);
			}
		}
		g_string_append(field, line);
	}
}

/* The part's content with its transfer encoding undone. */
static GByteArray *part_content(GMimePart *part)
{
	GMimeDataWrapper *content = g_mime_part_get_content(part);
	GMimeStream *mem = g_mime_stream_mem_new();
	GByteArray *bytes;

	if (content != NULL)
		g_mime_data_wrapper_write_to_stream(content, mem);
	bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
	g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(mem), FALSE);
	g_object_unref(mem);
	return bytes;
}

/* Why @m's return path is not one a delivery report comes from, or NULL. */
static char *return_path_problem(GMimeMessage *m)
{
	const char *v = g_mime_object_get_header(GMIME_OBJECT(m), "Return-Path");
	g_autofree char *clean = NULL;

	if (v == NULL)
		return g_strdup("no Return-Path");
	clean = text_clean_address(v);
	if (strcmp(clean, "<>") == 0 || strcmp(clean, "") == 0 ||
	    g_str_has_prefix(clean, "<mailer-daemon@") || g_str_has_prefix(clean, "mailer-daemon@"))
		return NULL;
	return g_strdup("Return-Path is neither null nor MAILER-DAEMON");
}

BounceReport *bounce_report_read(GMimeMessage *m)
{
	BounceReport *report = g_new0(BounceReport, 1);
	GMimeObject *body = g_mime_message_get_mime_part(m);
	GMimeMultipart *mp;
	const char *type;

	report->recipients = g_ptr_array_new_with_free_func(recipient_free);
	report->problem = return_path_problem(m);
	if (report->problem != NULL)
		return report;
	type = body != NULL ? g_mime_object_get_content_type_parameter(body, "report-type") : NULL;
	if (body == NULL || !GMIME_IS_MULTIPART(body) ||
	    !g_mime_content_type_is_type(g_mime_object_get_content_type(body), "multipart",
					 "report") ||
	    type == NULL || g_ascii_strcasecmp(type, "delivery-status") != 0) {
		report->problem = g_strdup("not a multipart/report of report-type delivery-status");
		return report;
	}
	mp = GMIME_MULTIPART(body);
	for (int i = 0; i < g_mime_multipart_get_count(mp); i++) {
		GMimeObject *part = g_mime_multipart_get_part(mp, i);
		g_autoptr(GByteArray) bytes = NULL;

		if (!GMIME_IS_PART(part) ||
		    !g_mime_content_type_is_type(g_mime_object_get_content_type(part), "message",
						 "delivery-status"))
			continue;
		bytes = part_content(GMIME_PART(part));
		read_status_fields((const char *)bytes->data, bytes->len, report->recipients);
		break;
	}
	if (report->recipients->len == 0)
		report->problem = g_strdup("no message/delivery-status part with a recipient");
	return report;
}

/* TRUE when block @r is about @recipient: the address it was sent to, or
 * the one it finally went to when the report gives no other. */
static gboolean about(const BounceRecipient *r, const char *recipient)
{
	if (r->original_recipient != NULL)
		return g_ascii_strcasecmp(r->original_recipient, recipient) == 0;
	return r->final_recipient != NULL && g_ascii_strcasecmp(r->final_recipient, recipient) == 0;
}

static void ignored(const char *detail, const char *reason, const char **action)
{
	log_event(LOG_NOTICE, "bounce-ignored", "to", detail, "reason", reason, NULL);
	*action = "bounce-ignored";
}

gboolean bounce_apply(StoreTxn *txn, GBytes *secret, gint64 now, const char *detail,
		      const BounceReport *report, const char **action, char **email, GError **error)
{
	g_autoptr(OutboxRow) row = NULL;
	g_autofree char *said = NULL;
	const BounceRecipient *failed = NULL;
	GError *e = NULL;
	guint64 id = 0;

	*email = NULL;
	if (!bounce_verify(detail, secret, &id)) {
		ignored(detail, "the address carries no valid tag", action);
		return TRUE;
	}
	if (report == NULL || report->problem != NULL) {
		ignored(detail, report != NULL ? report->problem : "not a delivery report", action);
		return TRUE;
	}
	row = store_outbox_get(txn, id, &e);
	if (g_error_matches(e, STORE_ERROR, STORE_ERROR_NOT_FOUND)) {
		g_clear_error(&e);
		ignored(detail, "no such outbox row", action);
		return TRUE;
	}
	if (e != NULL) {
		g_propagate_error(error, e);
		return FALSE;
	}
	for (guint i = 0; i < report->recipients->len && failed == NULL; i++) {
		const BounceRecipient *r = g_ptr_array_index(report->recipients, i);

		if (about(r, row->recipient) && g_strcmp0(r->action, "failed") == 0)
			failed = r;
		else if (about(r, row->recipient) && said == NULL)
			said = g_strdup_printf("Action: %s for the row's recipient",
					       r->action != NULL ? r->action : "(none)");
	}
	if (failed == NULL) {
		ignored(detail, said != NULL ? said : "no block about the row's recipient", action);
		return TRUE;
	}
	g_free(row->last_reply);
	row->last_reply =
	    g_strdup_printf("bounce: %s%s%s", failed->status != NULL ? failed->status : "",
			    failed->status != NULL && failed->diagnostic != NULL ? " " : "",
			    failed->diagnostic != NULL ? failed->diagnostic : "");
	row->state = OUTBOX_FAILED;
	row->bounced = TRUE;
	row->owner = 0;
	row->updated_at = now;
	if (!store_outbox_put(txn, row, error))
		return FALSE;
	*action = "bounce";
	*email = g_strdup(row->recipient);
	return TRUE;
}
