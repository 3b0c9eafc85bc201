/* SPDX-License-Identifier: ISC */
/* compose.h: every mail convene writes, rendered from the organisers'
 * templates and built with GMime, ready for the outbox. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "config.h"
#include "outbox.h"

#define COMPOSE_ERROR compose_error_quark()
GQuark compose_error_quark(void);

typedef enum {
	COMPOSE_ERROR_DRAFT, /* a draft that cannot be made (text not UTF-8), or a row with
			     * neither message nor a readable draft */
} ComposeError;

/* The kinds of mail, each a template file per language. */
extern const char *const compose_kinds[];

typedef struct _Composer Composer;

/* Returns a composer for @cfg (borrowed; it must outlive the composer) that
 * loads templates on first use and keeps them. Free with compose_free(). */
Composer *compose_new(const Config *cfg);
void compose_free(Composer *c);

/* Returns the template context of the event in @lang (context_event()), or
 * of activity @act (context_activity()): made once per composer, so once
 * per configuration, and shared, sealed, by every mail that shows it. The
 * caller unrefs it and must not change it. */
JsonObject *compose_event(Composer *c, const char *lang);
JsonObject *compose_activity(Composer *c, const ConfigActivity *act, const char *lang);

/* Returns the form people fill in, in @lang (context_form()), made once per
 * composer and shared, sealed, like the contexts above. */
JsonArray *compose_form(Composer *c, const char *lang);

/* Loads every kind of template in every configured language. Returns FALSE
 * with @error holding every problem, one per line as "FILE:LINE: ...". */
gboolean compose_check_templates(const Config *cfg, GError **error);

/* A file that goes with a mail. */
typedef struct {
	const char *filename;      /* as offered to the reader: "itinerary.ics" */
	const char *type;          /* "text/calendar", "text/csv": UTF-8 text; or
				    * "message/rfc822": a message passed on whole */
	const char *method;        /* text/calendar's iTIP method, or NULL */
	GBytes *data;              /* borrowed */
} ComposeAttachment;

typedef struct {
	const char *kind;          /* template kind */
	const char *lang;          /* template language */
	JsonObject *ctx;           /* template context, borrowed */
	const char *to_address;    /* recipient, already clean */
	const char *to_name;       /* may be NULL */
	const char *in_reply_to;   /* Message-ID answered, without <>, or NULL */
	const char *references;    /* References to give, or NULL */
	const char *reply_to;      /* Reply-To address, already clean, or NULL */
	const char *reply_to_name; /* may be NULL */
	gboolean auto_replied;     /* answer (auto-replied) or notice (auto-generated) */
	const ComposeAttachment *attachments; /* borrowed; may be NULL */
	guint n_attachments;
} ComposeMail;

/* Renders @mail as a new queued OutboxRow (no id yet) dated @now (Unix
 * seconds), holding a draft: its Message-ID, subject, text and attachments
 * are decided, but it is not yet MIME. compose_finish() makes the message
 * when it is sent, so that deciding (inside the write transaction that
 * takes a registration) costs no MIME building. When "<kind>.html" lies
 * beside the text template, its rendering (values escaped) goes with the
 * text. Returns NULL with @error when a template cannot be loaded. The
 * caller frees the row. */
OutboxRow *compose_mail(Composer *c, const ComposeMail *mail, gint64 now, GError **error);

/* Returns the RFC 5322 message of @row, built with GMime from its draft
 * (or its message, for a row that has one): the text, as a
 * multipart/alternative with the HTML when there is one, then the
 * attachments in a multipart/mixed. Built again, a draft gives the same
 * message but for MIME boundaries. NULL with @error for a draft that
 * cannot be read. Needs only @cfg: any thread may call it. */
GBytes *compose_finish(const Config *cfg, const OutboxRow *row, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(Composer, compose_free)
