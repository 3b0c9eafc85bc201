/* SPDX-License-Identifier: ISC */
/* outbox.h: messages convene has decided to send, from the write
 * transaction that decided it until the relay accepts them. A row is marked
 * sent only after the relay's 2xx for its recipient. */
#pragma once

#include <glib.h>

typedef enum {
	OUTBOX_QUEUED,
	OUTBOX_SENDING,
	OUTBOX_SENT,
	OUTBOX_FAILED,
} OutboxState;

typedef struct {
	guint64 id;           /* assigned by store_outbox_add() */
	OutboxState state;
	char *kind;           /* template kind: "registered", "error", ... */
	char *sender;         /* envelope sender (reverse path) */
	char *recipient;      /* envelope recipient */
	char *message_id;     /* our own, without angle brackets */
	GBytes *message;      /* the whole RFC 5322 message, or NULL for a draft */
	GBytes *draft;        /* what compose_finish() makes it from, or NULL */
	guint attempts;
	gint64 created_at;    /* Unix seconds */
	gint64 updated_at;
	gint64 next_try_at;
	char *last_reply;     /* last SMTP reply or transport error; may be NULL */
	gint64 owner;         /* while sending: the process id sending it; else 0 */
	gboolean bounced;     /* failed by a bounce that came back after delivery */
} OutboxRow;

/* Returns a new row in state queued with every pointer NULL; free it with
 * outbox_row_free(). */
OutboxRow *outbox_row_new(void);

void outbox_row_free(OutboxRow *row);

/* Returns "queued", "sending", "sent" or "failed". */
const char *outbox_state_to_string(OutboxState state);

/* Parses those spellings; returns FALSE for anything else. */
gboolean outbox_state_from_string(const char *s, OutboxState *state);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(OutboxRow, outbox_row_free)
