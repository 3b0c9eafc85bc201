/* SPDX-License-Identifier: ISC */
/* message.h: what convene needs from one incoming email, read with GMime:
 * who wrote, which message it is, what they wrote, and whether a robot sent
 * it. Every string here is cleaned (valid UTF-8, one line where it is a
 * header value); the body keeps its line breaks. */
#pragma once

#include <glib.h>

#include "bounce.h"

#define MESSAGE_ERROR (message_error_quark())
GQuark message_error_quark(void);

typedef enum {
	MESSAGE_ERROR_READ,      /* the file cannot be read (transient) */
	MESSAGE_ERROR_TOO_BIG,   /* larger than limits.max-message-size */
	MESSAGE_ERROR_PARSE,     /* not a message GMime can read */
	MESSAGE_ERROR_NESTING,   /* MIME nested deeper than we walk */
	MESSAGE_ERROR_NO_SENDER, /* no usable From address to answer */
} MessageError;

typedef struct {
	char *from_address;  /* lower-case */
	char *from_name;     /* display name, may be "" */
	char *message_id;    /* without <>; made from the content's digest if absent */
	char *references;    /* the References to give a reply: theirs + their id */
	char *subject;       /* decoded; may be "" */
	char *body;          /* the text the person wrote, UTF-8, LF line ends */
	char *robot;         /* why it is machine mail needing no answer, or NULL */
	char *detail;        /* "cancel" when written to register+cancel@..., or NULL */
	char *content_language; /* the Content-Language header, or NULL */
	gboolean auto_response_suppress; /* it has X-Auto-Response-Suppress */
	GBytes *raw;         /* the message as it came, for passing it on whole */
	BounceReport *report; /* written to a bounce address: what it says (bounce.h); else NULL */
	gint64 received_at;  /* when it reached us (Unix seconds): the Maildir file's
			      * delivery time or the LMTP transaction's; 0 when unknown */
} Message;

/* Reads the message in the @size bytes at @data (any bytes: they are not
 * kept, and need no NUL). Its size is checked against @max_size (0 = no
 * limit) before it is parsed; @own_address is the event's address, used to
 * recognise our own mail coming back. Returns a new Message to free with
 * message_free(), or NULL with @error set. */
Message *message_read_bytes(const void *data, gsize size, guint64 max_size,
			    const char *own_address, GError **error);

/* As message_read_bytes(), from @bytes, which the Message keeps (a
 * reference, no copy) as its raw form. */
Message *message_read_gbytes(GBytes *bytes, guint64 max_size, const char *own_address,
			     GError **error);

/* Reads the message in file @path as message_read_bytes() does, checking
 * its size before reading it. */
Message *message_read_file(const char *path, guint64 max_size, const char *own_address,
			   GError **error);

/* Reads the From, Subject and Date headers of the message in file @path
 * from its first 64 KiB, whatever follows: enough to name mail that
 * message_read_file() refused. Each is decoded and cleaned to one line,
 * "" when absent; the caller frees them. FALSE with @error when the file
 * cannot be read. */
gboolean message_peek_file(const char *path, char **from, char **subject, char **date,
			   GError **error);

void message_free(Message *msg);

/* Returns @text with its RFC 2047 encoded words ("=?UTF-8?B?...?=")
 * decoded, as a client that writes one in a body line meant it; newly
 * allocated, and still to be cleaned before it is used. */
char *message_decode_words(const char *text);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(Message, message_free)
