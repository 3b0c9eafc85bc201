/* SPDX-License-Identifier: ISC */
/* send.h: hands messages to an SMTP relay, many in one session. The only
 * module that knows libESMTP. It decides nothing about retries: it reports
 * what the relay said for each message and leaves the rest to the outbox. */
#pragma once

#include <glib.h>

#include "config.h"

#define SEND_ERROR (send_error_quark())
GQuark send_error_quark(void);

typedef enum {
	SEND_ERROR_CONNECT,  /* the relay could not be reached or dropped us */
	SEND_ERROR_TLS,      /* STARTTLS required but not offered or failed */
	SEND_ERROR_AUTH,     /* authentication refused */
	SEND_ERROR_FAILED,   /* anything else */
} SendError;

typedef struct _SendItem SendItem;

/* Called in the sending thread the moment the relay accepts @item's
 * content (status and reply then set), before the session goes on. */
typedef void (*SendAcceptedFunc)(SendItem *item);

struct _SendItem {
	/* in, borrowed */
	const char *reverse_path;  /* envelope sender; "" for the null sender */
	const char *recipient;
	GBytes *message;           /* whole message, LF or CRLF line ends */
	SendAcceptedFunc accepted; /* may be NULL */
	gpointer data;             /* for @accepted */
	/* out */
	int status;    /* SMTP code for this message's recipient after DATA, or
			* the code that refused it earlier; 0 if never reached */
	char *reply;   /* newly allocated reply text (code and text), or the
			* session error; the caller frees it */
};

/* Delivers @items in one SMTP session to cfg->transport_host:port, with
 * STARTTLS and AUTH as cfg->smtp_* say. Every item's status/reply is set
 * (overwritten, not freed). Returns TRUE when the session ran to its end,
 * even if the relay refused some or all recipients or contents: each such
 * item has the relay's 4xx/5xx code. Returns FALSE with @error when the
 * session as a whole failed (the relay is down, refused us, TLS or AUTH
 * failed, the connection dropped); items the relay had already accepted keep
 * their 2xx status even then, every other item gets status 0 and the error's
 * message as reply. A mailbox that could break the SMTP command (control
 * characters, spaces, angle brackets) is refused here with 553 and never
 * sent. Blocks for the whole session (each wait on the relay is bounded). */
gboolean send_smtp(const Config *cfg, SendItem *items, guint n_items, GError **error);
