/* SPDX-License-Identifier: ISC */
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
	STORE_ERROR_DAMAGED,  /* the data file itself: cut short, emptied, not LMDB's */
} StoreError;

typedef struct _Store Store;
typedef struct _StoreTxn StoreTxn;

/* Opens (creating if needed, mode 0700) the LMDB environment in directory
 * @dir. Returns NULL and sets @error when the directory cannot be created or
 * opened, or (STORE_ERROR_DAMAGED) when its data file is shorter than its
 * last commit says, empty beside the secret of a store kept there, or not
 * an LMDB file: such a store is refused before anything maps it. Free with
 * store_close(). */
Store *store_open(const char *dir, GError **error);

/* Opens the store kept in directory @dir for reading only, changing
 * nothing there (no upgrade, no table created): for check-config, beside
 * a running convened. Returns NULL with @error unset when @dir holds no
 * store, NULL with @error set when it cannot be read (or is damaged, or
 * from a version that has not made all its tables). Free with
 * store_close(). */
Store *store_open_readonly(const char *dir, GError **error);

void store_close(Store *store);

/* Rewrites the store's data file compacted, so that nothing deleted stays
 * in its free pages (store_forget() ends with it), while other processes
 * keep it open: every transaction of every process holds store.lock
 * shared and adopts a new data file at its beginning, and this holds it
 * exclusively while it copies (mdb_env_copyfd2, MDB_CP_COMPACT) and renames
 * the copy over data.mdb. No transaction may be open in @store. */
gboolean store_compact(Store *store, GError **error);

/* Writes a consistent, compacted copy of the whole store to the file
 * @path (an LMDB data file, to be opened with MDB_NOSUBDIR or put in a
 * directory as data.mdb), while others go on reading and writing. The copy
 * is written beside @path, synced, then renamed into place. */
gboolean store_backup(Store *store, const char *path, GError **error);

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
 * returns FALSE. A record that does not decode (or is of another version)
 * does not stop the walk: @fn sees every other, and FALSE is returned at
 * the end with an error naming each one left out, a line each, whose code
 * (STORE_ERROR_CORRUPT or STORE_ERROR_VERSION) is the first one's. */
typedef gboolean (*StoreAttendeeFunc)(const Attendee *a, gpointer user_data);
gboolean store_attendee_foreach(StoreTxn *txn, StoreAttendeeFunc fn, gpointer user_data,
				GError **error);

/* Counts the attendee records in the current record format and in an
 * older one (which store_open() upgrades: a count of older ones other
 * than 0 means a store an upgrade could not finish). */
gboolean store_attendee_formats(StoreTxn *txn, guint *current, guint *older, GError **error);

/* Sets *@seen to whether Message-ID @message_id was processed before. */
gboolean store_seen_has(StoreTxn *txn, const char *message_id, gboolean *seen, GError **error);

/* Records @message_id as processed at @when (Unix seconds). Write txn only. */
gboolean store_seen_add(StoreTxn *txn, const char *message_id, gint64 when, GError **error);

/* Counts one answer to @address at @now (Unix seconds) against @limit
 * answers per hour: sets *@allowed, and records the answer only when it is
 * allowed. Write txn only. */
gboolean store_rate_take(StoreTxn *txn, const char *address, gint64 now, guint limit,
			 gboolean *allowed, GError **error);

/* An activity's places: how many are taken, how many people wait for one,
 * and the number the next to wait will draw (arrival order). */
typedef struct {
	guint taken;
	guint waiting;
	guint64 next;
} StorePlaces;

/* Reads @activity's places; an activity never written has all zero. */
gboolean store_places_get(StoreTxn *txn, const char *activity, StorePlaces *p, GError **error);

/* Stores @activity's places. Write txn only. */
gboolean store_places_put(StoreTxn *txn, const char *activity, const StorePlaces *p,
			  GError **error);

/* The waiting list of an activity is one record per person, in arrival
 * order, so that joining, leaving or being promoted costs the same with
 * ten or ten thousand people waiting. Each call updates @p, which the
 * caller then stores with store_places_put(). Write txn only. */

/* Puts @email at the end of @activity's list, unless already on it. */
gboolean store_waiting_add(StoreTxn *txn, const char *activity, StorePlaces *p, const char *email,
			   GError **error);

/* Takes @email off @activity's list; not being on it is no error. */
gboolean store_waiting_remove(StoreTxn *txn, const char *activity, StorePlaces *p,
			      const char *email, GError **error);

/* Takes the first person off @activity's list: *@email is theirs (the
 * caller frees it), or NULL when nobody waits. */
gboolean store_waiting_pop(StoreTxn *txn, const char *activity, StorePlaces *p, char **email,
			   GError **error);

/* Returns @email's place in @activity's list, 1 for the first, or 0 when
 * not on it (or on error, with @error set). */
guint store_waiting_position(StoreTxn *txn, const char *activity, const char *email,
			     GError **error);

/* Calls @fn with each address on @activity's list (borrowed) and its
 * place, 1 for the first, in arrival order. Stops early, returning TRUE,
 * when @fn returns FALSE. */
typedef gboolean (*StoreWaitingFunc)(const char *email, guint position, gpointer user_data);
gboolean store_waiting_foreach(StoreTxn *txn, const char *activity, StoreWaitingFunc fn,
			       gpointer user_data, GError **error);

/* A request waiting for its sender's confirmation: the message as it came,
 * to be read again when the confirmation arrives. */
typedef struct {
	char *token;       /* the key */
	char *email;       /* whose confirmation it waits for */
	char *action;      /* what it does: "register", "cancel", "organiser" */
	char *subject;
	char *detail;
	char *body;
	char *from_name;
	char *message_id;
	char *references;
	char *asked_by;    /* who wrote the request, when not @email: the request
			    * is about @email's registration, and only theirs */
	gint64 created_at; /* Unix seconds */
	gint64 expires_at;
} StorePending;

void store_pending_free(StorePending *p);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(StorePending, store_pending_free)

/* Stores @p under p->token. Write txn only. */
gboolean store_pending_put(StoreTxn *txn, const StorePending *p, GError **error);

/* Returns the pending request @token, or NULL (with @error unset when there
 * is none). The caller frees it. */
StorePending *store_pending_get(StoreTxn *txn, const char *token, GError **error);

/* Calls @fn for every pending request, in no particular order, read
 * without its token (p->token is NULL: only its hash is kept); @fn borrows
 * it. Stops early, returning TRUE, when @fn returns FALSE. */
typedef gboolean (*StorePendingFunc)(const StorePending *p, gpointer user_data);
gboolean store_pending_foreach(StoreTxn *txn, StorePendingFunc fn, gpointer user_data,
			       GError **error);

/* Removes pending request @token, if any. Write txn only. */
gboolean store_pending_delete(StoreTxn *txn, const char *token, GError **error);

/* Assigns @row a new id (increasing, never reused) and stores it. */
gboolean store_outbox_add(StoreTxn *txn, OutboxRow *row, GError **error);

/* Stores @row under row->id, replacing the previous version. A row's
 * message and draft are written once: they are kept as they are when @row
 * has none (read by store_outbox_foreach(), say), and only store_purge()
 * removes them. */
gboolean store_outbox_put(StoreTxn *txn, const OutboxRow *row, GError **error);

/* Returns row @id with its message and draft (unless purged), or NULL with
 * STORE_ERROR_NOT_FOUND. The caller frees it. */
OutboxRow *store_outbox_get(StoreTxn *txn, guint64 id, GError **error);

/* Calls @fn for every outbox row in order of id, read without its message
 * and draft; @fn borrows the row. Stops early, returning TRUE, when @fn
 * returns FALSE. */
typedef gboolean (*StoreOutboxFunc)(const OutboxRow *row, gpointer user_data);
gboolean store_outbox_foreach(StoreTxn *txn, StoreOutboxFunc fn, gpointer user_data,
			      GError **error);

/* Calls @fn, through an index, for every row queued or sending whose next
 * try is at @until or before, earliest first, read without its message and
 * draft (store_outbox_get() has them); @fn borrows the row and returns
 * FALSE to stop. Sets *@later (when not NULL) to the number of those rows
 * not yet due. */
gboolean store_outbox_foreach_due(StoreTxn *txn, gint64 until, StoreOutboxFunc fn,
				  gpointer user_data, guint *later, GError **error);

/* --- what the scheduler and the organisers' digest keep (issue #5) ---------- */

/* A note kept under a key of the scheduler's own choosing: a send keyed
 * "kind/date/recipient" made or skipped, a slot "kind/date" dealt with,
 * where the last digest stopped. */
typedef struct {
	gint64 when;   /* Unix seconds */
	guint64 value; /* a count or a position; 0 when unused */
	char *what;    /* "sent", "skipped", ...; never NULL */
} StoreMark;

void store_mark_free(StoreMark *m);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(StoreMark, store_mark_free)

/* Returns the mark under @key, or NULL (with @error unset when there is
 * none). The caller frees it. */
StoreMark *store_mark_get(StoreTxn *txn, const char *key, GError **error);

/* Stores @m under @key, replacing any previous mark. Write txn only. */
gboolean store_mark_put(StoreTxn *txn, const char *key, const StoreMark *m, GError **error);

/* One registration change or ignored robot, for the organisers' digest. */
typedef struct {
	guint64 seq;       /* assigned by store_journal_add(), increasing from 1 */
	gint64 when;       /* Unix seconds */
	char *action;      /* "registered", "updated", "cancelled", "robot",
			    * "forwarded", "error", "refused" or "limited" */
	char *email;       /* whose registration, or the robot's address */
	char *name;        /* may be NULL */
	char *detail;      /* robot: why it was ignored; may be NULL */
	GPtrArray *fields; /* char *: contract names of what changed; never NULL */
	GPtrArray *before; /* char *: each field's value before ("" for none) */
	GPtrArray *after;  /* char *: and after */
} StoreJournalEntry;

/* The action of an entry whose person was erased (store_forget()): no
 * address, name or value is left, only when and what (its detail: the
 * action it was), for anonymous counts. */
#define STORE_JOURNAL_ANONYMOUS "anonymous"

/* Returns a new entry with empty arrays; free with store_journal_entry_free(). */
StoreJournalEntry *store_journal_entry_new(void);
void store_journal_entry_free(StoreJournalEntry *e);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(StoreJournalEntry, store_journal_entry_free)

/* Appends @e to the journal, setting e->seq. Write txn only. */
gboolean store_journal_add(StoreTxn *txn, StoreJournalEntry *e, GError **error);

/* Calls @fn for every entry whose seq is greater than @after, in order;
 * @fn borrows the entry. Stops early, returning TRUE, when @fn returns
 * FALSE. */
typedef gboolean (*StoreJournalFunc)(const StoreJournalEntry *e, gpointer user_data);
gboolean store_journal_foreach(StoreTxn *txn, guint64 after, StoreJournalFunc fn,
			       gpointer user_data, GError **error);

/* Sets *@last to the seq of the newest entry, 0 when the journal is empty. */
gboolean store_journal_last(StoreTxn *txn, guint64 *last, GError **error);

/* What an attendee's calendar was last told. */
typedef struct {
	guint sequence;        /* SEQUENCE of the last calendar sent; 0 = none yet */
	GPtrArray *activities; /* char *: activity ids sent as events; never NULL */
	gint64 sent_at;        /* Unix seconds; 0 = never */
} StoreItinerary;

/* Returns a new state with nothing sent; free with store_itinerary_free(). */
StoreItinerary *store_itinerary_new(void);
void store_itinerary_free(StoreItinerary *it);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(StoreItinerary, store_itinerary_free)

/* Returns @email's itinerary state, or NULL (with @error unset when none
 * was ever stored). The caller frees it. */
StoreItinerary *store_itinerary_get(StoreTxn *txn, const char *email, GError **error);

/* Stores @it as @email's itinerary state. Write txn only. */
gboolean store_itinerary_put(StoreTxn *txn, const char *email, const StoreItinerary *it,
			     GError **error);

/* Marks @email's itinerary as due to be sent again, since @when if it was
 * not due already. Write txn only. */
gboolean store_due_add(StoreTxn *txn, const char *email, gint64 when, GError **error);

/* Removes @email from the itineraries due; *@was_due says whether it was
 * there, so that of two processes only one sends it. Write txn only. */
gboolean store_due_take(StoreTxn *txn, const char *email, gboolean *was_due, GError **error);

/* Calls @fn with the address of every itinerary due (borrowed) and the
 * time it became due. Stops early, returning TRUE, when @fn returns FALSE. */
typedef gboolean (*StoreDueFunc)(const char *email, gint64 since, gpointer user_data);
gboolean store_due_foreach(StoreTxn *txn, StoreDueFunc fn, gpointer user_data, GError **error);

/* What store_purge() removed. */
typedef struct {
	guint messages; /* sent rows' messages and drafts */
	guint seen;     /* Message-IDs */
	guint rates;    /* hourly answer counters of an hour gone by */
	guint pending;  /* confirmation requests expired unanswered */
} StorePurged;

/* Removes, as of @now (Unix seconds), what has served its time: the
 * message and draft of each row sent more than @keep_days days before (the
 * row stays, for the digest, queue and stats), Message-IDs read more than
 * @keep_days days before, rate counters of an hour gone by, and
 * confirmation requests expired unanswered; in write transactions of a
 * few thousand records each, logged when anything went. Does nothing when
 * it last ran less than an hour before @now. @done, when not NULL, says
 * what went. */
gboolean store_purge(Store *store, gint64 now, guint keep_days, StorePurged *done,
		     GError **error);

/* --- erasure (issue #16) ------------------------------------------------------- */

/* The kind of the last mail to a person erased at their request: once sent
 * (or failed) its row goes whole, at the next store_purge(). */
#define STORE_KIND_LAST_WORD "forgotten"

/* What store_forget() erased. */
typedef struct {
	guint attendees; /* registrations */
	guint requests;  /* confirmations pending, for them or asked by them */
	guint rows;      /* outbox rows to them, with message and draft */
	guint journal;   /* journal entries made anonymous */
	guint other;     /* hourly counters, itinerary states, marks, Message-IDs */
} StoreForgotten;

/* Erases in @txn everything the store keeps under or about the addresses
 * in @people (a set of lower-case addresses, borrowed), or about everyone
 * when @people is NULL: their registrations, hourly counters, itinerary
 * states, marks keyed by their address, Message-IDs that contain it (all of
 * them, for everyone), the requests waiting for their confirmation or
 * asked by them, the outbox rows to them (for everyone: every row not to
 * one of @keep) with their messages and drafts; their journal entries are
 * rewritten STORE_JOURNAL_ANONYMOUS. Waiting lists are the caller's
 * (store_waiting_remove(), for everyone: emptied here), as are rows to
 * others that mention them (store_outbox_drop_content()). Write txn only.
 * The data stays in the file's free pages until store_compact(). */
gboolean store_forget(StoreTxn *txn, GHashTable *people, const char *const *keep,
		      StoreForgotten *done, GError **error);

/* Removes row @id's message and draft, keeping the row. Write txn only. */
gboolean store_outbox_drop_content(StoreTxn *txn, guint64 id, GError **error);
