/* SPDX-License-Identifier: ISC */
/* test-bounce.c: the keyed tag of a bounce address verifies for its row
 * alone, and a delivery report is read block by block (several recipients,
 * folded fields, the report's own spellings); mail that is not a delivery
 * report says why. The store is a scratch one per test. */

#include "autoconfig.h"

#include "bounce.h"

#include <string.h>

#include <glib/gstdio.h>

#include "mime.h"

static GBytes *secret_new(guint8 fill)
{
	guint8 key[32];

	memset(key, fill, sizeof key);
	return g_bytes_new(key, sizeof key);
}

static void test_tag_verifies(void)
{
	g_autoptr(GBytes) secret = secret_new(7);
	g_autoptr(GBytes) other = secret_new(8);
	g_autofree char *address = bounce_address("register@campus.example.org", secret, 17);
	g_autofree char *tag = bounce_tag(secret, 17);
	g_autofree char *detail = g_strdup_printf("bounce-17-%s", tag);
	g_autofree char *upper = g_ascii_strup(detail, -1);
	g_autofree char *wrong_row = g_strdup_printf("bounce-18-%s", tag);
	g_autofree char *short_tag = g_strndup(detail, strlen(detail) - 1);
	guint64 id = 0;

	g_assert_cmpuint(strlen(tag), ==, BOUNCE_TAG_LENGTH);
	g_assert_cmpuint(strspn(tag, "abcdefghijklmnopqrstuvwxyz234567"), ==, BOUNCE_TAG_LENGTH);
	g_assert_true(g_str_has_prefix(address, "register+bounce-17-"));
	g_assert_true(g_str_has_suffix(address, "@campus.example.org"));
	g_assert_nonnull(strstr(address, tag));

	g_assert_true(bounce_verify(detail, secret, &id));
	g_assert_cmpuint(id, ==, 17);
	/* An MTA may change the case of a local part. */
	g_assert_true(bounce_verify(upper, secret, &id));

	id = 0;
	g_assert_false(bounce_verify(detail, other, &id));
	g_assert_false(bounce_verify(wrong_row, secret, &id));
	g_assert_false(bounce_verify(short_tag, secret, &id));
	g_assert_false(bounce_verify("bounce-17", secret, &id));
	g_assert_false(bounce_verify("bounce", secret, &id));
	g_assert_false(bounce_verify("bounce--abcdefgh", secret, &id));
	g_assert_false(bounce_verify("bounce-1x-abcdefgh", secret, &id));
	g_assert_false(bounce_verify(NULL, secret, &id));
	g_assert_cmpuint(id, ==, 0);

	/* Every message to such an address is a bounce's business, tagged or not. */
	g_assert_true(bounce_is_address("bounce-17"));
	g_assert_true(bounce_is_address("bounce"));
	g_assert_true(bounce_is_address(detail));
	g_assert_false(bounce_is_address("bouncer"));
	g_assert_false(bounce_is_address("cancel"));
	g_assert_false(bounce_is_address(NULL));
}

static void test_tags_differ(void)
{
	g_autoptr(GBytes) secret = secret_new(1);
	g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

	/* 40 bits each: a thousand rows share none. */
	for (guint64 id = 1; id <= 1000; id++)
		g_assert_true(g_hash_table_add(seen, bounce_tag(secret, id)));
}

static GMimeMessage *parse(const char *text)
{
	g_autoptr(GMimeStream) stream = NULL;
	g_autoptr(GMimeParser) parser = NULL;

	mime_init();
	stream = g_mime_stream_mem_new_with_buffer(text, strlen(text));
	parser = g_mime_parser_new_with_stream(stream);
	return g_mime_parser_construct_message(parser, NULL);
}

/* A report in Postfix's words about three recipients, one of them failed,
 * with CRLF line ends and a folded Diagnostic-Code. */
static const char three_recipients[] =
    "Return-Path: <>\r\n"
    "From: MAILER-DAEMON@mx.example.fi (Mail Delivery System)\r\n"
    "To: register+bounce-5-abcdefgh@campus.example.org\r\n"
    "Subject: Undelivered Mail Returned to Sender\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/report; report-type=delivery-status;\r\n"
    "\tboundary=\"B\"\r\n"
    "\r\n"
    "--B\r\n"
    "Content-Type: text/plain\r\n"
    "\r\n"
    "Some could not be delivered.\r\n"
    "--B\r\n"
    "Content-Type: message/delivery-status\r\n"
    "\r\n"
    "Reporting-MTA: dns; mx.example.fi\r\n"
    "Arrival-Date: Mon,  1 Sep 2025 10:19:58 +0300 (EEST)\r\n"
    "\r\n"
    "Final-Recipient: rfc822; Ana.Popescu@example.ro\r\n"
    "Action: delayed\r\n"
    "Status: 4.4.1\r\n"
    "Diagnostic-Code: X-Postfix; connect to mx.example.ro[192.0.2.1]:25: Connection\r\n"
    "    timed out\r\n"
    "\r\n"
    "Final-Recipient: rfc822;list-member@example.fi\r\n"
    "Original-Recipient: rfc822;nobody@tamk.example.fi\r\n"
    "Action: failed (bad mailbox)\r\n"
    "Status: 5.1.1\r\n"
    "Diagnostic-Code: smtp; 550 5.1.1 <list-member@example.fi>: Recipient address\r\n"
    "    rejected: User unknown\r\n"
    "\r\n"
    "Final-Recipient: rfc822; <stefan@example.ro>\r\n"
    "Action: delivered\r\n"
    "Status: 2.0.0\r\n"
    "--B\r\n"
    "Content-Type: text/rfc822-headers\r\n"
    "\r\n"
    "Subject: Registered\r\n"
    "--B--\r\n";

static void test_report_recipients(void)
{
	g_autoptr(GMimeMessage) m = parse(three_recipients);
	g_autoptr(BounceReport) r = bounce_report_read(m);
	const BounceRecipient *b;

	g_assert_null(r->problem);
	g_assert_cmpuint(r->recipients->len, ==, 3);

	b = g_ptr_array_index(r->recipients, 0);
	g_assert_cmpstr(b->action, ==, "delayed");
	g_assert_cmpstr(b->final_recipient, ==, "ana.popescu@example.ro");
	g_assert_null(b->original_recipient);
	g_assert_cmpstr(b->status, ==, "4.4.1");
	g_assert_cmpstr(b->diagnostic, ==,
			"X-Postfix; connect to mx.example.ro[192.0.2.1]:25: Connection timed out");

	b = g_ptr_array_index(r->recipients, 1);
	g_assert_cmpstr(b->action, ==, "failed");
	g_assert_cmpstr(b->final_recipient, ==, "list-member@example.fi");
	g_assert_cmpstr(b->original_recipient, ==, "nobody@tamk.example.fi");
	g_assert_cmpstr(b->status, ==, "5.1.1");
	g_assert_cmpstr(b->diagnostic, ==,
			"smtp; 550 5.1.1 <list-member@example.fi>: Recipient address rejected: "
			"User unknown");

	b = g_ptr_array_index(r->recipients, 2);
	g_assert_cmpstr(b->action, ==, "delivered");
	g_assert_cmpstr(b->final_recipient, ==, "stefan@example.ro");
	g_assert_null(b->diagnostic);
}

static void test_not_reports(void)
{
	static const struct {
		const char *text;
		const char *problem;
	} cases[] = {
	    {"Return-Path: <mallory@example.org>\nFrom: mallory@example.org\n"
	     "Content-Type: multipart/report; report-type=delivery-status; boundary=B\n\n"
	     "--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; x\n\n"
	     "Final-Recipient: rfc822; a@example.org\nAction: failed\n--B--\n",
	     "Return-Path"},
	    {"From: mallory@example.org\nSubject: CANCEL\n\nName: Mallory\n", "Return-Path"},
	    {"Return-Path: <>\nFrom: mallory@example.org\nSubject: CANCEL\n\nCANCEL\n",
	     "multipart/report"},
	    {"Return-Path: <MAILER-DAEMON@mx.example.org>\nFrom: x@example.org\n"
	     "Content-Type: multipart/report; report-type=disposition-notification; "
	     "boundary=B\n\n--B\nContent-Type: text/plain\n\nread\n--B--\n",
	     "multipart/report"},
	    {"Return-Path: <>\nFrom: x@example.org\n"
	     "Content-Type: multipart/report; report-type=delivery-status; boundary=B\n\n"
	     "--B\nContent-Type: text/plain\n\nAction: failed\n--B--\n",
	     "delivery-status part"},
	    {"Return-Path: <>\nFrom: x@example.org\n"
	     "Content-Type: multipart/report; report-type=delivery-status; boundary=B\n\n"
	     "--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; x\n--B--\n",
	     "delivery-status part"},
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GMimeMessage) m = parse(cases[i].text);
		g_autoptr(BounceReport) r = bounce_report_read(m);

		g_assert_nonnull(r->problem);
		g_assert_nonnull(strstr(r->problem, cases[i].problem));
	}
}

typedef struct {
	char *dir;
	Store *store;
	GBytes *secret;
	guint64 id;
} Fixture;

static gboolean add_row(StoreTxn *txn, gpointer data, GError **error)
{
	Fixture *f = data;
	g_autoptr(OutboxRow) row = outbox_row_new();

	row->kind = g_strdup("registered");
	row->sender = g_strdup("register@campus.example.org");
	row->recipient = g_strdup("nobody@tamk.example.fi");
	row->message_id = g_strdup("abc@campus.example.org");
	row->message = g_bytes_new_static("Subject: x\n\nx\n", 14);
	row->state = OUTBOX_SENT;
	if (!store_outbox_add(txn, row, error))
		return FALSE;
	f->id = row->id;
	return TRUE;
}

static void fixture_set_up(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;

	(void)data;
	f->dir = g_dir_make_tmp("test-bounce-XXXXXX", &error);
	g_assert_no_error(error);
	f->store = store_open(f->dir, &error);
	g_assert_no_error(error);
	f->secret = secret_new(3);
	g_assert_true(store_write(f->store, add_row, f, &error));
	g_assert_no_error(error);
}

static void fixture_tear_down(Fixture *f, gconstpointer data)
{
	g_autoptr(GDir) d = g_dir_open(f->dir, 0, NULL);
	const char *name;

	(void)data;
	store_close(f->store);
	while (d != NULL && (name = g_dir_read_name(d)) != NULL) {
		g_autofree char *path = g_build_filename(f->dir, name, NULL);

		g_assert_cmpint(g_remove(path), ==, 0);
	}
	g_assert_cmpint(g_rmdir(f->dir), ==, 0);
	g_free(f->dir);
	g_bytes_unref(f->secret);
}

typedef struct {
	Fixture *f;
	const char *detail;
	const BounceReport *report;
	const char *action;
	char *email;
} Apply;

static gboolean apply(StoreTxn *txn, gpointer data, GError **error)
{
	Apply *a = data;

	return bounce_apply(txn, a->f->secret, 1000, a->detail, a->report, &a->action, &a->email,
			    error);
}

static OutboxRow *row_now(Fixture *f)
{
	g_autoptr(GError) error = NULL;
	StoreTxn *txn = store_read_begin(f->store, &error);
	OutboxRow *row;

	g_assert_no_error(error);
	row = store_outbox_get(txn, f->id, &error);
	g_assert_no_error(error);
	store_read_end(txn);
	return row;
}

/* @text with its report's recipient addresses made the row's. */
static void apply_report(Fixture *f, const char *detail, const char *text, const char *action)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GMimeMessage) m = parse(text);
	g_autoptr(BounceReport) r = bounce_report_read(m);
	Apply a = {f, detail, r, NULL, NULL};

	g_assert_true(store_write(f->store, apply, &a, &error));
	g_assert_no_error(error);
	g_assert_cmpstr(a.action, ==, action);
	g_free(a.email);
}

static void test_apply(Fixture *f, gconstpointer data)
{
	g_autofree char *tag = bounce_tag(f->secret, f->id);
	g_autofree char *good = g_strdup_printf("bounce-%" G_GUINT64_FORMAT "-%s", f->id, tag);
	g_autofree char *untagged = g_strdup_printf("bounce-%" G_GUINT64_FORMAT, f->id);
	g_autofree char *wrong = g_strdup_printf("bounce-%" G_GUINT64_FORMAT "-aaaaaaaa", f->id);
	g_autoptr(OutboxRow) row = NULL;

	(void)data;
	/* Untagged, or a tag made up: the row does not move. */
	apply_report(f, untagged, three_recipients, "bounce-ignored");
	apply_report(f, wrong, three_recipients, "bounce-ignored");
	row = row_now(f);
	g_assert_cmpint(row->state, ==, OUTBOX_SENT);
	g_assert_false(row->bounced);
	g_clear_pointer(&row, outbox_row_free);

	/* Tagged, but the row's recipient is only delayed there. */
	{
		g_autofree char *delayed = g_strdup(three_recipients);
		char *p = strstr(delayed, "Ana.Popescu@example.ro");

		memcpy(p, "nobody@tamk.example.fi", strlen("nobody@tamk.example.fi"));
		p = strstr(delayed, "rfc822;nobody@tamk.example.fi");
		memcpy(p, "rfc822;xxxxxx@tamk.example.fi", strlen("rfc822;xxxxxx@tamk.example.fi"));
		apply_report(f, good, delayed, "bounce-ignored");
	}
	row = row_now(f);
	g_assert_cmpint(row->state, ==, OUTBOX_SENT);
	g_clear_pointer(&row, outbox_row_free);

	/* Tagged and failed for its recipient (its Original-Recipient). */
	apply_report(f, good, three_recipients, "bounce");
	row = row_now(f);
	g_assert_cmpint(row->state, ==, OUTBOX_FAILED);
	g_assert_true(row->bounced);
	g_assert_cmpstr(row->last_reply, ==,
			"bounce: 5.1.1 smtp; 550 5.1.1 <list-member@example.fi>: Recipient "
			"address rejected: User unknown");
	g_assert_cmpint(row->updated_at, ==, 1000);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/bounce/tag-verifies", test_tag_verifies);
	g_test_add_func("/bounce/tags-differ", test_tags_differ);
	g_test_add_func("/bounce/report-recipients", test_report_recipients);
	g_test_add_func("/bounce/not-reports", test_not_reports);
	g_test_add("/bounce/apply", Fixture, NULL, fixture_set_up, test_apply, fixture_tear_down);
	return g_test_run();
}
