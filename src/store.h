/* store.h: convene's durable state in LMDB (attendees, seen Message-IDs,
 * outbox). The only module that knows LMDB; every record carries a format
 * version and a record of another version is refused, never guessed at. */
#pragma once

#include <glib.h>

#include "attendee.h"
#include "outbox.h"

#define STORE_ERROR (store_error_quark())
GQuark store_error_quark(void);

typedef enum {
	STORE_ERROR_FAILED,   /* an LMDB or file-system error; message says which */
	STORE_ERROR_VERSION,  /* a record of a format version we do not know */
	STORE_ERROR_CORRUPT,  /* a record that does not decode */
	STORE_ERROR_NOT_FOUND,
} StoreError;

typedef struct _Store Store;
typedef struct _StoreTxn StoreTxn;

/* Opens (creating if needed, mode 0700) the LMDB environment in directory
 * @dir. Returns NULL and sets @error when the directory cannot be created or
 * opened. Free with store_close(). */
Store *store_open(const char *dir, GError **error);

void store_close(Store *store);

/* The body of a write transaction. It may be run more than once: when LMDB
 * reports a full map the transaction is aborted, the map grown and @fn run
 * again from the start, so @fn must not keep effects outside @txn from a
 * previous run. Return FALSE with @error set to abort. */
typedef gboolean (*StoreWriteFunc)(StoreTxn *txn, gpointer user_data, GError **error);

/* Runs @fn inside one write transaction and commits it durably. Returns TRUE
 * only once the commit is on disk. On FALSE nothing @fn wrote is kept. */
gboolean store_write(Store *store, StoreWriteFunc fn, gpointer user_data, GError **error);

/* Begins a read-only transaction; end it with store_read_end() in the same
 * function. Returns NULL and sets @error on failure. */
StoreTxn *store_read_begin(Store *store, GError **error);
void store_read_end(StoreTxn *txn);

/* Returns the attendee stored under @email (already lower-case), or NULL.
 * NULL with @error unset means there is none. The caller frees the result. */
Attendee *store_attendee_get(StoreTxn *txn, const char *email, GError **error);

/* Stores @a under a->email, replacing any previous record. Write txn only. */
gboolean store_attendee_put(StoreTxn *txn, const Attendee *a, GError **error);

/* Calls @fn for every attendee in order of email. @fn borrows the attendee
 * for the duration of the call. Stops early, returning TRUE, when @fn
 * returns FALSE. */
typedef gboolean (*StoreAttendeeFunc)(const Attendee *a, gpointer user_data);
gboolean store_attendee_foreach(StoreTxn *txn, StoreAttendeeFunc fn, gpointer user_data,
				GError **error);

/* Sets *@seen to whether Message-ID @message_id was processed before. */
gboolean store_seen_has(StoreTxn *txn, const char *message_id, gboolean *seen, GError **error);

/* Records @message_id as processed at @when (Unix seconds). Write txn only. */
gboolean store_seen_add(StoreTxn *txn, const char *message_id, gint64 when, GError **error);

/* Counts one answer to @address at @now (Unix seconds) against @limit
 * answers per hour: sets *@allowed, and records the answer only when it is
 * allowed. Write txn only. */
gboolean store_rate_take(StoreTxn *txn, const char *address, gint64 now, guint limit,
			 gboolean *allowed, GError **error);

/* Assigns @row a new id (increasing, never reused) and stores it. */
gboolean store_outbox_add(StoreTxn *txn, OutboxRow *row, GError **error);

/* Stores @row under row->id, replacing the previous version. */
gboolean store_outbox_put(StoreTxn *txn, const OutboxRow *row, GError **error);

/* Returns row @id, or NULL with STORE_ERROR_NOT_FOUND. The caller frees it. */
OutboxRow *store_outbox_get(StoreTxn *txn, guint64 id, GError **error);

/* Calls @fn for every outbox row in order of id; @fn borrows the row. Stops
 * early, returning TRUE, when @fn returns FALSE. */
typedef gboolean (*StoreOutboxFunc)(const OutboxRow *row, gpointer user_data);
gboolean store_outbox_foreach(StoreTxn *txn, StoreOutboxFunc fn, gpointer user_data,
			      GError **error);
