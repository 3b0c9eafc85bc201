/* compose.h: every mail convene writes, rendered from the organisers'
 * templates and built with GMime, ready for the outbox. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "config.h"
#include "outbox.h"

/* The kinds of mail, each a template file per language. */
extern const char *const compose_kinds[];

typedef struct _Composer Composer;

/* Returns a composer for @cfg (borrowed; it must outlive the composer) that
 * loads templates on first use and keeps them. Free with compose_free(). */
Composer *compose_new(const Config *cfg);
void compose_free(Composer *c);

/* Loads every kind of template in every configured language. Returns FALSE
 * with @error holding every problem, one per line as "FILE:LINE: ...". */
gboolean compose_check_templates(const Config *cfg, GError **error);

/* A file that goes with a mail. */
typedef struct {
	const char *filename;      /* as offered to the reader: "itinerary.ics" */
	const char *type;          /* "text/calendar", "text/csv": UTF-8 text */
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
	gboolean auto_replied;     /* answer (auto-replied) or notice (auto-generated) */
	const ComposeAttachment *attachments; /* borrowed; may be NULL */
	guint n_attachments;
} ComposeMail;

/* Renders and builds @mail as a new queued OutboxRow (no id yet) dated
 * @now (Unix seconds). When "<kind>.html" lies beside the text template,
 * its rendering (values escaped) goes with the text as a
 * multipart/alternative; attachments follow in a multipart/mixed. Returns
 * NULL with @error when a template cannot be loaded. The caller frees the
 * row. */
OutboxRow *compose_mail(Composer *c, const ComposeMail *mail, gint64 now, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(Composer, compose_free)
