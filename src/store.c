/* SPDX-License-Identifier: ISC */
/* store.c: convene's durable state in LMDB: attendees, seen Message-IDs, the
 * outbox and the counter that numbers it. The only file that includes lmdb.h.
 * It must never guess at a record it cannot decode, never leave a transaction
 * open past the function that began it, and never open two at once: LMDB
 * allows a thread one transaction at a time. Used from one thread. */

#include "autoconfig.h"

#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <lmdb.h>

#include "field.h"
#include "log.h"
#include "record.h"

/* A new map starts small and doubles whenever LMDB reports it full. */
#define INITIAL_MAP_SIZE ((size_t)16 << 20)

#define HASHED_KEY_PREFIX "sha256:"
#define META_OUTBOX_NEXT_ID "outbox_next_id"
/* The record version every attendee record has been brought to. */
#define META_ATTENDEE_VERSION "attendee_version"
#define ATTENDEE_VERSION 3
/* Present once the outbox's indexes hold every row (stores written before
 * they existed get them on opening). */
#define META_OUTBOX_INDEXED "outbox_indexed"
/* When store_purge() last ran, and how often it does at most. */
#define META_PURGED_AT "purged_at"
#define PURGE_EVERY (60 * 60)
/* Present when something was erased and the file still holds it in its
 * free pages: store_purge() then compacts it. */
#define META_COMPACT_DUE "compact_due"
/* Records removed in one transaction by store_purge(), at most. */
#define PURGE_BATCH 5000

typedef struct {
	const char *name;
	MDB_dbi dbi;
	gboolean numeric; /* keys are 8-byte big-endian ids */
} Table;

struct _Store {
	MDB_env *env;
	char *dir;
	Table attendees, seen, outbox, meta, rate, places, pending;
	Table waiting, waiting_at; /* waiting lists: by arrival, and by person */
	Table marks, journal, itineraries, due; /* the scheduler's */
	Table messages; /* each outbox row's message, raw, under the row's id */
	Table drafts;   /* or its draft (compose.c's), likewise */
	Table outbox_due;  /* rows queued or sending, by next try: time, id → "" */
	Table outbox_sent; /* sent rows that keep their message, by last change */
	size_t max_key;
	gboolean busy; /* a transaction is open */
	int gen_fd;    /* "store.lock": see "one data file at a time" below; -1 when
			* a read-only look could not open it */
	gboolean readonly; /* store_open_readonly(): no write, no reopening */
	dev_t dev;     /* the data.mdb the environment maps */
	ino_t ino;
};

struct _StoreTxn {
	Store *store;
	MDB_txn *txn;
	gboolean write;
	gboolean map_full; /* a put hit MDB_MAP_FULL: store_write grows and reruns */
	/* The outbox's next id, read once and written once per transaction
	 * however many rows it adds. */
	guint64 next_id;
	gboolean next_id_read, next_id_changed;
	/* Places read or written in this transaction, activity id → StorePlaces,
	 * written once at its end: a batch of registrations takes places in
	 * the same few activities hundreds of times. NULL until used. */
	GHashTable *places;
	gboolean places_changed;
};

/* Which record an encode or decode is about, for error messages. */
typedef struct {
	const Store *store;
	const Table *table;
	const MDB_val *key;
} Where;

GQuark store_error_quark(void)
{
	return g_quark_from_static_string("store-error-quark");
}

static void G_GNUC_PRINTF(4, 5)
    set_mdb_error(GError **error, const Store *store, int rc, const char *format, ...)
{
	g_autofree char *what = NULL;
	va_list args;

	va_start(args, format);
	what = g_strdup_vprintf(format, args);
	va_end(args);
	g_set_error(error, STORE_ERROR, STORE_ERROR_FAILED, "cannot %s in %s: %s", what, store->dir,
		    mdb_strerror(rc));
}

/* Describes @key for an error message. String keys come from incoming mail,
 * so control characters are replaced and the result made valid UTF-8. */
static char *key_describe(const Table *table, const MDB_val *key)
{
	g_autofree char *text = NULL;
	guint64 be;

	if (table->numeric && key->mv_size == sizeof be) {
		memcpy(&be, key->mv_data, sizeof be);
		return g_strdup_printf("id %" G_GUINT64_FORMAT, GUINT64_FROM_BE(be));
	}
	text = g_utf8_make_valid(key->mv_data, key->mv_size);
	for (char *p = text; *p != '\0'; p++)
		if ((guchar)*p < 0x20 || *p == 0x7f || *p == '"')
			*p = '?';
	return g_strdup_printf("key \"%s\"", text);
}

static char *where_describe(const Where *w)
{
	g_autofree char *key = key_describe(w->table, w->key);

	return g_strdup_printf("%s record for %s in %s", w->table->name, key, w->store->dir);
}

static void corrupt_error(GError **error, const Where *w, const char *why)
{
	g_autofree char *where = where_describe(w);

	g_set_error(error, STORE_ERROR, STORE_ERROR_CORRUPT, "%s does not decode: %s", where, why);
}

/* Points @key at @s. Keys must be 1 to max_key bytes long, so an empty or
 * longer string, or one that could pass for a hashed key, is stored under
 * "sha256:" and its hex digest instead; *@hashed then owns that text. */
static void key_for_string(const Store *store, const char *s, char **hashed, MDB_val *key)
{
	size_t len = strlen(s);

	if (len == 0 || len > store->max_key || g_str_has_prefix(s, HASHED_KEY_PREFIX)) {
		g_autofree char *hex = g_compute_checksum_for_string(G_CHECKSUM_SHA256, s, len);

		*hashed = g_strconcat(HASHED_KEY_PREFIX, hex, NULL);
		s = *hashed;
		len = strlen(s);
	}
	key->mv_data = (void *)s;
	key->mv_size = len;
}

/* Big-endian so that LMDB's byte order is numeric order. */
static void key_for_id(guint64 id, guint64 *be, MDB_val *key)
{
	*be = GUINT64_TO_BE(id);
	key->mv_data = be;
	key->mv_size = sizeof *be;
}

/* Begins a transaction, adopting a map another process has grown. The caller
 * has no other transaction open, so remapping cannot pull pages from under
 * one. */
static gboolean gen_enter(Store *store, int op, GError **error);
static void gen_leave(Store *store);

static gboolean txn_begin(Store *store, unsigned int flags, MDB_txn **txn, GError **error)
{
	int rc;

	if (store->busy) {
		g_set_error(error, STORE_ERROR, STORE_ERROR_FAILED,
			    "cannot begin a transaction in %s while another is open", store->dir);
		return FALSE;
	}
	if (!gen_enter(store, LOCK_SH, error))
		return FALSE;
	while ((rc = mdb_txn_begin(store->env, NULL, flags, txn)) == MDB_MAP_RESIZED) {
		rc = mdb_env_set_mapsize(store->env, 0);
		if (rc != 0) {
			gen_leave(store);
			set_mdb_error(error, store, rc,
				      "adopt the map size set by another process");
			return FALSE;
		}
	}
	if (rc != 0) {
		gen_leave(store);
		set_mdb_error(error, store, rc, "begin a transaction");
		return FALSE;
	}
	return TRUE;
}

/* Ends @txn, begun by txn_begin(): commits it when @commit (returning
 * LMDB's code), aborts it otherwise. */
static int txn_end(Store *store, MDB_txn *txn, gboolean commit)
{
	int rc = 0;

	if (commit)
		rc = mdb_txn_commit(txn);
	else
		mdb_txn_abort(txn);
	gen_leave(store);
	return rc;
}

/* Doubles the map after MDB_MAP_FULL; no transaction is open. */
static gboolean store_grow(Store *store, GError **error)
{
	MDB_envinfo info;
	int rc;

	rc = mdb_env_info(store->env, &info);
	if (rc == 0 && info.me_mapsize > G_MAXSIZE / 2)
		rc = MDB_MAP_FULL;
	if (rc == 0)
		rc = mdb_env_set_mapsize(store->env, info.me_mapsize * 2);
	if (rc != 0) {
		set_mdb_error(error, store, rc, "grow the map");
		return FALSE;
	}
	return TRUE;
}

/* Starts the map at INITIAL_MAP_SIZE, or at twice the data file's size if
 * that is larger, so that reopening a grown store does not hit MDB_MAP_FULL
 * at once: a transaction that rewrites much of the file (the sender claiming
 * a large outbox) needs room for the copies, and without it runs twice. */
static gboolean store_size_map(Store *store, GError **error)
{
	g_autofree char *path = g_build_filename(store->dir, "data.mdb", NULL);
	MDB_envinfo info;
	MDB_stat ms;
	GStatBuf st;
	size_t size;
	int rc;

	rc = mdb_env_info(store->env, &info);
	if (rc == 0)
		rc = mdb_env_stat(store->env, &ms);
	if (rc == 0 && g_stat(path, &st) == 0 && (guint64)st.st_size * 2 > info.me_mapsize) {
		size = ((size_t)st.st_size * 2 + ms.ms_psize - 1) / ms.ms_psize * ms.ms_psize;
		rc = mdb_env_set_mapsize(store->env, size);
	}
	if (rc != 0) {
		set_mdb_error(error, store, rc, "size the map");
		return FALSE;
	}
	return TRUE;
}

static gboolean attendees_upgrade(Store *store, GError **error);
/* --- a data file checked before LMDB maps it ---------------------------------- */

/* The start of LMDB's page header and meta page (mdb.c's MDB_page and
 * MDB_meta, data format version 1, which lmdb.h does not export), laid out
 * as the library built for this machine lays them out. Pages 0 and 1 each
 * hold a meta; the one with the higher transaction id is the last commit. */
#define LMDB_MAGIC 0xBEEFC0DEu
#define LMDB_DATA_VERSION 1

typedef struct {
	size_t pgno;
	guint16 pad, flags;
	guint16 lower, upper;
} LmdbPageHead;

typedef struct {
	guint32 pad; /* in the free-space database's: the page size */
	guint16 flags, depth;
	size_t branch_pages, leaf_pages, overflow_pages, entries, root;
} LmdbDb;

typedef struct {
	guint32 magic, version;
	void *address;
	size_t mapsize;
	LmdbDb dbs[2];
	size_t last_pgno; /* the last page the commit uses */
	size_t txnid;
} LmdbMeta;

static void damaged_error(GError **error, const Store *store, const char *path, const char *why)
{
	g_set_error(error, STORE_ERROR, STORE_ERROR_DAMAGED,
		    "the store %s is damaged: %s; nothing was read from it. Restore data.mdb from "
		    "a backup (convenectl backup FILE makes one) and start again",
		    path, why);
	(void)store;
}

/* Reads the meta of page @n of the file @fd, whose pages are @psize bytes
 * (for page 0, any size: the meta comes first). FALSE when it is not one. */
static gboolean meta_read(int fd, guint n, guint32 psize, LmdbMeta *meta)
{
	char buf[sizeof(LmdbPageHead) + sizeof(LmdbMeta)];

	if (pread(fd, buf, sizeof buf, (off_t)n * psize) != (ssize_t)sizeof buf)
		return FALSE;
	memcpy(meta, buf + sizeof(LmdbPageHead), sizeof *meta);
	return meta->magic == LMDB_MAGIC && meta->version == LMDB_DATA_VERSION;
}

/* In a child process: opens the store and reads every page every table
 * reaches, values included. A page the file lacks kills it with SIGBUS;
 * the parent only hears whether it got to the end. */
static gboolean store_walk(const char *dir)
{
	MDB_env *env = NULL;
	MDB_txn *txn = NULL;
	MDB_cursor *names = NULL;
	MDB_val key, val;
	MDB_dbi main_dbi;
	gboolean ok = FALSE;

	if (mdb_env_create(&env) != 0 || mdb_env_set_maxdbs(env, 64) != 0 ||
	    mdb_env_open(env, dir, MDB_RDONLY, 0600) != 0 ||
	    mdb_txn_begin(env, NULL, MDB_RDONLY, &txn) != 0 ||
	    mdb_dbi_open(txn, NULL, 0, &main_dbi) != 0 ||
	    mdb_cursor_open(txn, main_dbi, &names) != 0)
		goto out;
	/* The free-space database (0), then each table the main one names. */
	for (int rc = -1;; rc = mdb_cursor_get(names, &key, &val, rc < 0 ? MDB_FIRST : MDB_NEXT)) {
		g_autofree char *name = rc == 0 ? g_strndup(key.mv_data, key.mv_size) : NULL;
		MDB_cursor *c = NULL;
		MDB_dbi dbi = 0;
		volatile char touch = 0;

		if (rc > 0 && rc != MDB_NOTFOUND)
			goto out;
		if (rc == MDB_NOTFOUND)
			break;
		if (rc == 0 && mdb_dbi_open(txn, name, 0, &dbi) != 0)
			goto out;
		if (mdb_cursor_open(txn, dbi, &c) != 0)
			goto out;
		while (mdb_cursor_get(c, &key, &val, MDB_NEXT) == 0) {
			const char *v = val.mv_data;

			for (size_t i = 0; i < val.mv_size; i += 4096)
				touch ^= v[i];
			if (val.mv_size > 0)
				touch ^= v[val.mv_size - 1];
		}
		(void)touch;
		mdb_cursor_close(c);
	}
	ok = TRUE;
out:
	if (names != NULL)
		mdb_cursor_close(names);
	if (txn != NULL)
		mdb_txn_abort(txn);
	if (env != NULL)
		mdb_env_close(env);
	return ok;
}

/* Checks data.mdb before LMDB maps it: LMDB trusts the file, and a page
 * it lacks kills the process with SIGBUS at the first read, so a store cut
 * short (a full disk, a copy interrupted) would stop every command. Its
 * last commit's meta says how long it must be. The file may lawfully be
 * shorter when its last pages are free space (mdb.c says so of mm_last_pg):
 * then a child process reads every page reachable to make sure. An empty
 * data.mdb beside our secret is a store lost, not a new one. */
static gboolean store_file_check(Store *store, GError **error)
{
	g_autofree char *path = g_build_filename(store->dir, "data.mdb", NULL);
	g_autofree char *secret = g_build_filename(store->dir, "secret", NULL);
	g_autofree char *why = NULL;
	LmdbMeta metas[2], *last = NULL;
	GStatBuf st;
	guint32 psize;
	guint64 needed;
	int fd, status;
	pid_t child;

	if (g_stat(path, &st) != 0)
		return TRUE; /* a new store */
	if (st.st_size == 0) {
		if (!g_file_test(secret, G_FILE_TEST_EXISTS))
			return TRUE; /* made, never written: a new store */
		damaged_error(error, store, path,
			      "it is empty, yet the secret beside it shows a store was kept here");
		return FALSE;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return TRUE; /* LMDB says why */
	if (meta_read(fd, 0, 0, &metas[0]))
		last = &metas[0];
	psize = last != NULL ? last->dbs[0].pad : 0;
	if (psize >= 512 && (psize & (psize - 1)) == 0 && meta_read(fd, 1, psize, &metas[1]) &&
	    metas[1].dbs[0].pad == psize && (last == NULL || metas[1].txnid > last->txnid))
		last = &metas[1];
	close(fd);
	if (last == NULL || psize < 512 || (psize & (psize - 1)) != 0) {
		damaged_error(error, store, path, "it does not begin with LMDB's meta pages");
		return FALSE;
	}
	needed = ((guint64)last->last_pgno + 1) * psize;
	if ((guint64)st.st_size >= needed)
		return TRUE;
	/* LMDB must not cross a fork: the child opens the store on its own,
	 * and this process has not opened it yet. */
	child = fork();
	if (child == 0)
		_exit(store_walk(store->dir) ? 0 : 1);
	while (child > 0 && waitpid(child, &status, 0) < 0 && errno == EINTR)
		;
	if (child > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return TRUE;
	why = g_strdup_printf("it is %" G_GUINT64_FORMAT " bytes, but its last commit "
			      "(transaction %" G_GUINT64_FORMAT ") needs %" G_GUINT64_FORMAT
			      ": the file was cut short",
			      (guint64)st.st_size, (guint64)last->txnid, needed);
	damaged_error(error, store, path, why);
	return FALSE;
}

static gboolean outbox_index_build(StoreTxn *txn, gpointer data, GError **error);

#define STORE_TABLES 17

/* Fills @tables with every table of @store. */
static void store_tables(Store *store, Table *tables[STORE_TABLES])
{
	Table *all[] = {&store->attendees, &store->seen,   &store->outbox, &store->meta,
			&store->rate,      &store->places, &store->pending,
			&store->waiting,   &store->waiting_at,
			&store->marks,     &store->journal,
			&store->itineraries, &store->due,
			&store->messages,  &store->drafts,
			&store->outbox_due, &store->outbox_sent};

	G_STATIC_ASSERT(G_N_ELEMENTS(all) == STORE_TABLES);
	memcpy(tables, all, sizeof all);
}

/* Opens the environment on data.mdb as it is now (the caller holds
 * store.lock), noting which file it maps, and opens every table; sets
 * *@indexed (when not NULL) to whether the outbox's indexes are built. */
static gboolean env_open(Store *store, gboolean *indexed, GError **error)
{
	g_autofree char *path = g_build_filename(store->dir, "data.mdb", NULL);
	const guint n = STORE_TABLES;
	Table *tables[STORE_TABLES];
	MDB_txn *txn = NULL;
	MDB_val indexed_key = {strlen(META_OUTBOX_INDEXED), META_OUTBOX_INDEXED}, val;
	GStatBuf st;
	int dead;
	int rc;

	store_tables(store, tables);
	if (!store_file_check(store, error))
		return FALSE;
	rc = mdb_env_create(&store->env);
	if (rc != 0) {
		store->env = NULL;
		set_mdb_error(error, store, rc, "create an environment");
		return FALSE;
	}
	rc = mdb_env_set_maxdbs(store->env, n);
	if (rc == 0)
		rc = mdb_env_set_mapsize(store->env, INITIAL_MAP_SIZE);
	if (rc == 0)
		rc = mdb_env_open(store->env, store->dir, 0, 0600);
	if (rc != 0) {
		set_mdb_error(error, store, rc, "open the environment");
		return FALSE;
	}
	if (g_stat(path, &st) == 0) {
		store->dev = st.st_dev;
		store->ino = st.st_ino;
	}
	/* Reader slots left by a process that died would pin old pages forever. */
	rc = mdb_reader_check(store->env, &dead);
	if (rc != 0) {
		set_mdb_error(error, store, rc, "clear stale readers");
		return FALSE;
	}
	store->max_key = mdb_env_get_maxkeysize(store->env);
	if (!store_size_map(store, error))
		return FALSE;

	rc = mdb_txn_begin(store->env, NULL, 0, &txn);
	if (rc != 0) {
		set_mdb_error(error, store, rc, "begin a transaction");
		return FALSE;
	}
	for (guint i = 0; i < n; i++) {
		rc = mdb_dbi_open(txn, tables[i]->name, MDB_CREATE, &tables[i]->dbi);
		if (rc != 0) {
			mdb_txn_abort(txn);
			set_mdb_error(error, store, rc, "open database %s", tables[i]->name);
			return FALSE;
		}
	}
	if (indexed != NULL)
		*indexed = mdb_get(txn, store->meta.dbi, &indexed_key, &val) == 0;
	rc = mdb_txn_commit(txn);
	if (rc != 0) {
		set_mdb_error(error, store, rc, "create the databases");
		return FALSE;
	}
	return TRUE;
}

/* --- one data file at a time ------------------------------------------------ */

/* Erasure ends by compacting the store into a new data.mdb (LMDB keeps
 * freed pages, and an erased person must leave the disk), while convened
 * and any convenectl may have the old file mapped. Every transaction, in
 * every process, holds a shared flock on "store.lock" from its beginning to
 * its end, and begins by checking that data.mdb is still the file it
 * mapped, reopening the environment when it is not. store_compact() takes
 * the lock exclusively: while it copies and renames, nobody anywhere is in
 * a transaction, and each process adopts the new file at its next one, with
 * no signal, restart or lost write. LMDB's lock.mdb describes the old file
 * (its last transaction, its readers), so it goes with it and the first to
 * reopen makes a new one. */

static gboolean gen_lock(Store *store, int op, GError **error)
{
	if (store->gen_fd < 0 && store->readonly)
		return TRUE; /* a look at a store made before store.lock */
	while (flock(store->gen_fd, op) != 0) {
		int saved = errno;

		if (saved == EINTR)
			continue;
		g_set_error(error, STORE_ERROR, STORE_ERROR_FAILED, "cannot lock %s/store.lock: %s",
			    store->dir, g_strerror(saved));
		return FALSE;
	}
	return TRUE;
}

/* Takes store.lock (@op: LOCK_SH or LOCK_EX) and makes sure the
 * environment maps the current data.mdb; gen_leave() releases it. */
static gboolean gen_enter(Store *store, int op, GError **error)
{
	g_autofree char *path = g_build_filename(store->dir, "data.mdb", NULL);
	GStatBuf st;

	if (!gen_lock(store, op, error))
		return FALSE;
	if (store->env != NULL &&
	    (g_stat(path, &st) != 0 || (st.st_dev == store->dev && st.st_ino == store->ino)))
		return TRUE;
	if (store->readonly) {
		g_set_error(error, STORE_ERROR, STORE_ERROR_FAILED,
			    "%s was compacted while it was being read: try again", path);
		gen_leave(store);
		return FALSE;
	}
	/* Compacted by another process: its file is ours from now on (or a
	 * reopening that failed before is tried again). */
	if (store->env != NULL)
		mdb_env_close(store->env);
	store->env = NULL;
	if (env_open(store, NULL, error)) {
		log_event(LOG_INFO, "store-reopened", "dir", store->dir, "reason", "compacted",
			  NULL);
		return TRUE;
	}
	if (store->env != NULL)
		mdb_env_close(store->env);
	store->env = NULL;
	gen_leave(store);
	return FALSE;
}

static void gen_leave(Store *store)
{
	flock(store->gen_fd, LOCK_UN);
}

/* Returns a new Store for @dir with its tables named, nothing opened. */
static Store *store_alloc(const char *dir)
{
	Store *store = g_new0(Store, 1);

	store->gen_fd = -1;
	store->dir = g_strdup(dir);
	store->attendees.name = "attendees";
	store->seen.name = "seen";
	store->outbox.name = "outbox";
	store->outbox.numeric = TRUE;
	store->meta.name = "meta";
	store->rate.name = "rate";
	store->places.name = "places";
	store->waiting.name = "waiting";
	store->waiting_at.name = "waiting_at";
	store->pending.name = "pending";
	store->marks.name = "marks";
	store->journal.name = "journal";
	store->journal.numeric = TRUE;
	store->itineraries.name = "itineraries";
	store->due.name = "due";
	store->messages.name = "outbox_messages";
	store->messages.numeric = TRUE;
	store->drafts.name = "outbox_drafts";
	store->drafts.numeric = TRUE;
	store->outbox_due.name = "outbox_due";
	store->outbox_sent.name = "outbox_sent";
	return store;
}

Store *store_open_readonly(const char *dir, GError **error)
{
	g_autofree char *path = g_build_filename(dir, "data.mdb", NULL);
	g_autofree char *lock = g_build_filename(dir, "store.lock", NULL);
	Table *tables[STORE_TABLES];
	Store *store;
	MDB_txn *txn = NULL;
	int rc;

	if (!g_file_test(path, G_FILE_TEST_IS_REGULAR))
		return NULL;
	store = store_alloc(dir);
	store->readonly = TRUE;
	store_tables(store, tables);
	/* Read-only: a store made before store.lock is looked at without it. */
	store->gen_fd = open(lock, O_RDONLY | O_CLOEXEC);
	if (!store_file_check(store, error))
		goto fail;
	rc = mdb_env_create(&store->env);
	if (rc != 0) {
		store->env = NULL;
		set_mdb_error(error, store, rc, "create an environment");
		goto fail;
	}
	rc = mdb_env_set_maxdbs(store->env, STORE_TABLES);
	if (rc == 0)
		rc = mdb_env_open(store->env, dir, MDB_RDONLY, 0600);
	if (rc != 0) {
		set_mdb_error(error, store, rc, "open the environment");
		goto fail;
	}
	{
		GStatBuf st;

		if (g_stat(path, &st) == 0) {
			store->dev = st.st_dev;
			store->ino = st.st_ino;
		}
	}
	store->max_key = mdb_env_get_maxkeysize(store->env);
	if (!txn_begin(store, MDB_RDONLY, &txn, error))
		goto fail;
	for (guint i = 0; i < STORE_TABLES; i++) {
		rc = mdb_dbi_open(txn, tables[i]->name, 0, &tables[i]->dbi);
		if (rc != 0) {
			txn_end(store, txn, FALSE);
			set_mdb_error(error, store, rc, "open database %s", tables[i]->name);
			goto fail;
		}
	}
	rc = txn_end(store, txn, TRUE);
	if (rc != 0) {
		set_mdb_error(error, store, rc, "open the databases");
		goto fail;
	}
	return store;
fail:
	store_close(store);
	return NULL;
}

Store *store_open(const char *dir, GError **error)
{
	Store *store = store_alloc(dir);
	g_autofree char *lock = g_build_filename(dir, "store.lock", NULL);
	gboolean ok = FALSE, indexed = FALSE, entered = FALSE;

	if (g_mkdir_with_parents(dir, 0700) != 0) {
		int saved = errno;

		g_set_error(error, STORE_ERROR, STORE_ERROR_FAILED, "cannot create %s: %s", dir,
			    g_strerror(saved));
		goto out;
	}
	store->gen_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (store->gen_fd < 0) {
		int saved = errno;

		g_set_error(error, STORE_ERROR, STORE_ERROR_FAILED, "cannot open %s: %s", lock,
			    g_strerror(saved));
		goto out;
	}
	entered = gen_lock(store, LOCK_SH, error);
	if (!entered || !env_open(store, &indexed, error))
		goto out;
	gen_leave(store);
	entered = FALSE;
	if (!indexed && !store_write(store, outbox_index_build, NULL, error))
		goto out;
	ok = attendees_upgrade(store, error);
out:
	if (entered)
		gen_leave(store);
	if (!ok) {
		store_close(store);
		store = NULL;
	}
	return store;
}

void store_close(Store *store)
{
	if (store == NULL)
		return;
	if (store->env != NULL)
		mdb_env_close(store->env);
	if (store->gen_fd >= 0)
		close(store->gen_fd);
	g_free(store->dir);
	g_free(store);
}

gboolean store_backup(Store *store, const char *path, GError **error)
{
	g_autofree char *tmp = g_strconcat(path, ".tmp", NULL);
	int fd, rc;

	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		int saved = errno;

		g_set_error(error, STORE_ERROR, STORE_ERROR_FAILED, "cannot create %s: %s", tmp,
			    g_strerror(saved));
		return FALSE;
	}
	/* LMDB copies from a read transaction of its own: writers go on. */
	if (!gen_enter(store, LOCK_SH, error)) {
		close(fd);
		unlink(tmp);
		return FALSE;
	}
	rc = mdb_env_copyfd2(store->env, fd, MDB_CP_COMPACT);
	gen_leave(store);
	if (rc == 0 && fsync(fd) != 0)
		rc = errno;
	if (close(fd) != 0 && rc == 0)
		rc = errno;
	if (rc == 0 && rename(tmp, path) != 0)
		rc = errno;
	if (rc != 0) {
		unlink(tmp);
		set_mdb_error(error, store, rc, "copy the store to %s", path);
		return FALSE;
	}
	return TRUE;
}

static gboolean compact_due_clear(StoreTxn *txn, gpointer data, GError **error);
static gboolean compact_due_note(StoreTxn *txn, gpointer data, GError **error);
static gboolean last_words_purge(StoreTxn *txn, gpointer data, GError **error);

gboolean store_compact(Store *store, GError **error)
{
	g_autofree char *path = g_build_filename(store->dir, "data.mdb", NULL);
	g_autofree char *tmp = g_build_filename(store->dir, "data.mdb.compact", NULL);
	g_autofree char *lock = g_build_filename(store->dir, "lock.mdb", NULL);
	const char *step = "copy the store to";
	int fd = -1, dir = -1, rc = 0;
	gboolean ok = FALSE;

	if (store->busy) {
		g_set_error(error, STORE_ERROR, STORE_ERROR_FAILED,
			    "cannot compact %s while a transaction is open", store->dir);
		return FALSE;
	}
	/* The copy is made with the note cleared; put back if it fails. */
	if (!store_write(store, compact_due_clear, NULL, error))
		return FALSE;
	/* Nobody, in any process, is in a transaction until gen_leave(). */
	if (!gen_enter(store, LOCK_EX, error))
		return FALSE;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		rc = errno;
	if (rc == 0)
		rc = mdb_env_copyfd2(store->env, fd, MDB_CP_COMPACT);
	if (rc == 0 && fsync(fd) != 0)
		rc = errno;
	if (fd >= 0 && close(fd) != 0 && rc == 0)
		rc = errno;
	if (rc == 0) {
		step = "rename the compacted copy over";
		if (rename(tmp, path) != 0)
			rc = errno;
	}
	if (rc != 0) {
		unlink(tmp);
		set_mdb_error(error, store, rc, "%s %s", step, tmp);
		goto out;
	}
	/* The old file's lock.mdb goes with it; ours is reopened at once. */
	unlink(lock);
	dir = open(store->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir >= 0) {
		fsync(dir);
		close(dir);
	}
	mdb_env_close(store->env);
	store->env = NULL;
	ok = env_open(store, NULL, error);
out:
	gen_leave(store);
	if (!ok && store->env != NULL)
		store_write(store, compact_due_note, NULL, NULL);
	return ok;
}

/* Writes what the transaction kept to write once at its end (places, the
 * outbox's next id); store_write() calls it before committing. */
static gboolean txn_flush(StoreTxn *txn, GError **error);

gboolean store_write(Store *store, StoreWriteFunc fn, gpointer user_data, GError **error)
{
	gboolean ok = FALSE;

	for (;;) {
		StoreTxn txn = {.store = store, .write = TRUE};
		g_autoptr(GError) local = NULL;
		gboolean done;
		int rc = 0;

		if (!txn_begin(store, 0, &txn.txn, error))
			goto out;
		store->busy = TRUE;
		done = fn(&txn, user_data, &local) && txn_flush(&txn, &local);
		g_clear_pointer(&txn.places, g_hash_table_unref);
		rc = txn_end(store, txn.txn, done && !txn.map_full);
		store->busy = FALSE;

		if (txn.map_full || rc == MDB_MAP_FULL) {
			if (!store_grow(store, error))
				goto out;
			continue;
		}
		if (!done) {
			if (local == NULL)
				g_set_error(&local, STORE_ERROR, STORE_ERROR_FAILED,
					    "a write transaction in %s was abandoned", store->dir);
			g_propagate_error(error, g_steal_pointer(&local));
			goto out;
		}
		if (rc != 0) {
			set_mdb_error(error, store, rc, "commit a transaction");
			goto out;
		}
		break;
	}
	ok = TRUE;
out:
	return ok;
}

StoreTxn *store_read_begin(Store *store, GError **error)
{
	StoreTxn *txn = g_new0(StoreTxn, 1);

	if (!txn_begin(store, MDB_RDONLY, &txn->txn, error)) {
		g_free(txn);
		return NULL;
	}
	txn->store = store;
	store->busy = TRUE;
	return txn;
}

void store_read_end(StoreTxn *txn)
{
	if (txn == NULL)
		return;
	g_return_if_fail(!txn->write);
	txn_end(txn->store, txn->txn, FALSE);
	txn->store->busy = FALSE;
	g_free(txn);
}

/* Looks @key up in @table; *@found says whether it is there. @val is valid
 * until the transaction ends or writes. */
static gboolean txn_get(StoreTxn *txn, const Table *table, MDB_val *key, MDB_val *val,
			gboolean *found, GError **error)
{
	g_autofree char *desc = NULL;
	int rc = mdb_get(txn->txn, table->dbi, key, val);

	*found = rc == 0;
	if (rc == 0 || rc == MDB_NOTFOUND)
		return TRUE;
	desc = key_describe(table, key);
	set_mdb_error(error, txn->store, rc, "read %s %s", table->name, desc);
	return FALSE;
}

/* Stores @val under @key. MDB_MAP_FULL is flagged on @txn so that
 * store_write() grows the map. */
static gboolean txn_put_raw(StoreTxn *txn, const Table *table, MDB_val *key, MDB_val *val,
			    unsigned int flags, GError **error)
{
	g_autofree char *desc = NULL;
	int rc;

	if (!txn->write) {
		desc = key_describe(table, key);
		g_set_error(error, STORE_ERROR, STORE_ERROR_FAILED,
			    "cannot write %s %s in %s: not a write transaction", table->name, desc,
			    txn->store->dir);
		return FALSE;
	}
	rc = mdb_put(txn->txn, table->dbi, key, val, flags);
	if (rc != 0) {
		if (rc == MDB_MAP_FULL)
			txn->map_full = TRUE;
		desc = key_describe(table, key);
		set_mdb_error(error, txn->store, rc, "write %s %s", table->name, desc);
		return FALSE;
	}
	return TRUE;
}

static gboolean txn_put(StoreTxn *txn, const Table *table, MDB_val *key, const GString *record,
			unsigned int flags, GError **error)
{
	MDB_val val = {record->len, record->str};

	return txn_put_raw(txn, table, key, &val, flags, error);
}

static gboolean txn_del(StoreTxn *txn, const Table *table, MDB_val *key, GError **error);

/* Reads the fields @spec names from the record @val (record_read()), and
 * says which record in any error. */
static gboolean fields_read(const Where *w, const MDB_val *val, const RecordSpec *spec, guint n,
			    RecordField *fields, GError **error)
{
	g_autoptr(GError) e = NULL;
	g_autofree char *where = NULL;

	if (record_read(val->mv_data, val->mv_size, spec, n, fields, &e))
		return TRUE;
	if (g_error_matches(e, RECORD_ERROR, RECORD_ERROR_VERSION)) {
		where = where_describe(w);
		g_set_error(error, STORE_ERROR, STORE_ERROR_VERSION, "%s has %s", where,
			    e->message);
	} else {
		corrupt_error(error, w, e->message);
	}
	return FALSE;
}

/* Adds @value under @name unless it is NULL. Text that is not UTF-8 is
 * refused rather than altered. */
static gboolean add_string(const Where *w, GString *record, const char *name, const char *value,
			   GError **error)
{
	g_autofree char *where = NULL;

	if (record_add_string(record, name, value))
		return TRUE;
	where = where_describe(w);
	g_set_error(error, STORE_ERROR, STORE_ERROR_FAILED,
		    "cannot store %s: field %s is not valid UTF-8", where, name);
	return FALSE;
}

static gboolean add_strings(const Where *w, GString *record, const char *name,
			    const GPtrArray *values, GError **error)
{
	g_autofree char *where = NULL;

	if (record_add_strings(record, name, values))
		return TRUE;
	where = where_describe(w);
	g_set_error(error, STORE_ERROR, STORE_ERROR_FAILED,
		    "cannot store %s: an entry of %s is not valid UTF-8", where, name);
	return FALSE;
}

/* An attendee's record holds each built-in field under its id (the field
 * table's), and the answers to configured fields as "id=value" entries, a
 * multi-choice answer one entry per value. */
static GString *attendee_encode(const Where *w, const Attendee *a, GError **error)
{
	const GPtrArray *fields = field_builtins();
	g_autoptr(GString) r = record_new();
	g_autoptr(GPtrArray) answers = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GList) ids = g_list_sort(g_hash_table_get_keys(a->answers), (GCompareFunc)strcmp);

	for (guint i = 0; i < fields->len; i++) {
		const Field *f = g_ptr_array_index(fields, i);
		const char *at = (const char *)a + f->member;

		switch (f->type) {
		case FIELD_TIME:
			record_add_int64(r, f->id, *(const gint64 *)at);
			break;
		case FIELD_STATUS:
			record_add_string(r, f->id, attendee_status_to_string(a->status));
			break;
		case FIELD_DAYS:
		case FIELD_ACTIVITIES:
		case FIELD_WAITLIST:
			if (!add_strings(w, r, f->id, *(GPtrArray *const *)at, error))
				return NULL;
			break;
		default:
			if (!add_string(w, r, f->id, *(char *const *)at, error))
				return NULL;
		}
	}
	for (GList *id = ids; id != NULL; id = id->next) {
		const char *const *values = g_hash_table_lookup(a->answers, id->data);

		for (guint k = 0; values[k] != NULL; k++)
			g_ptr_array_add(answers, g_strconcat(id->data, "=", values[k], NULL));
	}
	if (answers->len > 0 && !add_strings(w, r, "answers", answers, error))
		return NULL;
	if (!add_string(w, r, "registered_by", a->registered_by, error))
		return NULL;
	return g_steal_pointer(&r);
}

/* The fields of an attendee record: the built-in fields, then "answers"
 * and "registered_by". Made once, from the field table. */
static const RecordSpec *attendee_spec(guint *n)
{
	static RecordSpec *spec;
	static guint count;

	if (g_once_init_enter(&spec)) {
		const GPtrArray *fields = field_builtins();
		RecordSpec *s = g_new0(RecordSpec, fields->len + 2);

		for (guint i = 0; i < fields->len; i++) {
			const Field *f = g_ptr_array_index(fields, i);

			s[i].name = f->id;
			s[i].type = f->type == FIELD_TIME    ? RECORD_INT64
				    : field_is_list(f) ? RECORD_STRINGS
						       : RECORD_STRING;
			s[i].required = f->type == FIELD_TIME || f->type == FIELD_STATUS ||
					strcmp(f->id, "email") == 0;
		}
		s[fields->len] = (RecordSpec){"answers", RECORD_STRINGS, FALSE};
		s[fields->len + 1] = (RecordSpec){"registered_by", RECORD_STRING, FALSE};
		count = fields->len + 2;
		g_once_init_leave(&spec, s);
	}
	*n = count;
	return spec;
}

static Attendee *attendee_decode(const Where *w, const MDB_val *val, GError **error)
{
	const GPtrArray *fields = field_builtins();
	g_autoptr(Attendee) a = NULL;
	guint n;
	const RecordSpec *spec = attendee_spec(&n);
	g_autofree RecordField *f = g_new0(RecordField, n);

	if (!fields_read(w, val, spec, n, f, error))
		goto out;
	a = attendee_new();
	for (guint i = 0; i < fields->len; i++) {
		const Field *field = g_ptr_array_index(fields, i);
		char *at = (char *)a + field->member;

		switch (field->type) {
		case FIELD_TIME:
			*(gint64 *)at = record_field_int64(&f[i]);
			break;
		case FIELD_STATUS:
			if (!attendee_status_from_string(record_field_string(&f[i]), &a->status)) {
				corrupt_error(error, w, "unknown status");
				g_clear_pointer(&a, attendee_free);
				goto out;
			}
			break;
		case FIELD_DAYS:
		case FIELD_ACTIVITIES:
		case FIELD_WAITLIST:
			record_field_strings(&f[i], *(GPtrArray **)at);
			break;
		default:
			*(char **)at = record_field_dup_string(&f[i]);
		}
	}
	{
		g_autoptr(GPtrArray) answers = g_ptr_array_new_with_free_func(g_free);

		record_field_strings(&f[n - 2], answers);
		for (guint i = 0; i < answers->len; i++) {
			const char *entry = g_ptr_array_index(answers, i);
			const char *eq = strchr(entry, '=');
			g_autofree char *id = NULL;
			GStrv old, values;
			guint len;

			if (eq == NULL)
				continue;
			id = g_strndup(entry, eq - entry);
			old = g_hash_table_lookup(a->answers, id);
			len = old != NULL ? g_strv_length(old) : 0;
			values = g_new0(char *, len + 2);
			for (guint k = 0; k < len; k++)
				values[k] = g_strdup(old[k]);
			values[len] = g_strdup(eq + 1);
			g_hash_table_replace(a->answers, g_steal_pointer(&id), values);
		}
	}
	a->registered_by = record_field_dup_string(&f[n - 1]);
out:
	record_fields_clear(f, n);
	return g_steal_pointer(&a);
}

static GString *outbox_encode(const Where *w, const OutboxRow *row, guint64 id, GError **error)
{
	g_autoptr(GString) r = record_new();

	if (!add_string(w, r, "kind", row->kind, error) ||
	    !add_string(w, r, "sender", row->sender, error) ||
	    !add_string(w, r, "recipient", row->recipient, error) ||
	    !add_string(w, r, "message_id", row->message_id, error) ||
	    !add_string(w, r, "last_reply", row->last_reply, error))
		return NULL;
	record_add_uint64(r, "id", id);
	record_add_string(r, "state", outbox_state_to_string(row->state));
	record_add_uint32(r, "attempts", row->attempts);
	record_add_int64(r, "created_at", row->created_at);
	record_add_int64(r, "updated_at", row->updated_at);
	record_add_int64(r, "next_try_at", row->next_try_at);
	if (row->owner != 0)
		record_add_int64(r, "owner", row->owner);
	if (row->bounced)
		record_add_boolean(r, "bounced", TRUE);
	return g_steal_pointer(&r);
}

/* The fields of an outbox record. */
enum {
	OF_ID,
	OF_STATE,
	OF_KIND,
	OF_SENDER,
	OF_RECIPIENT,
	OF_MESSAGE_ID,
	OF_MESSAGE, /* only in records written before messages moved out */
	OF_ATTEMPTS,
	OF_CREATED_AT,
	OF_UPDATED_AT,
	OF_NEXT_TRY_AT,
	OF_LAST_REPLY,
	OF_OWNER,
	OF_BOUNCED,
	OF_N
};

static const RecordSpec outbox_fields[OF_N] = {
    [OF_ID] = {"id", RECORD_UINT64, TRUE},
    [OF_STATE] = {"state", RECORD_STRING, TRUE},
    [OF_KIND] = {"kind", RECORD_STRING, FALSE},
    [OF_SENDER] = {"sender", RECORD_STRING, FALSE},
    [OF_RECIPIENT] = {"recipient", RECORD_STRING, FALSE},
    [OF_MESSAGE_ID] = {"message_id", RECORD_STRING, FALSE},
    [OF_MESSAGE] = {"message", RECORD_BYTES, FALSE},
    [OF_ATTEMPTS] = {"attempts", RECORD_UINT32, TRUE},
    [OF_CREATED_AT] = {"created_at", RECORD_INT64, TRUE},
    [OF_UPDATED_AT] = {"updated_at", RECORD_INT64, TRUE},
    [OF_NEXT_TRY_AT] = {"next_try_at", RECORD_INT64, TRUE},
    [OF_LAST_REPLY] = {"last_reply", RECORD_STRING, FALSE},
    [OF_OWNER] = {"owner", RECORD_INT64, FALSE},
    [OF_BOUNCED] = {"bounced", RECORD_BOOLEAN, FALSE},
};


static gboolean blob_get(StoreTxn *txn, const Table *table, const MDB_val *key, GBytes **blob,
			 GError **error);

/* Decodes the outbox record @val; its message or draft comes from their
 * tables (unless @blobs is FALSE: a row is then read without them), or the
 * message from the record itself when it was written before the message
 * moved out of it. */
static OutboxRow *outbox_decode(StoreTxn *txn, const Where *w, const MDB_val *val, gboolean blobs,
				GError **error)
{
	g_autoptr(OutboxRow) row = NULL;
	RecordField f[OF_N];
	guint64 be = 0;

	if (!fields_read(w, val, outbox_fields, OF_N, f, error))
		goto out;
	row = outbox_row_new();
	row->id = record_field_uint64(&f[OF_ID]);
	if (w->key->mv_size == sizeof be)
		memcpy(&be, w->key->mv_data, sizeof be);
	if (w->key->mv_size != sizeof be || row->id != GUINT64_FROM_BE(be)) {
		corrupt_error(error, w, "its id is not its key");
		g_clear_pointer(&row, outbox_row_free);
		goto out;
	}
	if (!outbox_state_from_string(record_field_string(&f[OF_STATE]), &row->state)) {
		corrupt_error(error, w, "unknown state");
		g_clear_pointer(&row, outbox_row_free);
		goto out;
	}
	row->kind = record_field_dup_string(&f[OF_KIND]);
	row->sender = record_field_dup_string(&f[OF_SENDER]);
	row->recipient = record_field_dup_string(&f[OF_RECIPIENT]);
	row->message_id = record_field_dup_string(&f[OF_MESSAGE_ID]);
	row->last_reply = record_field_dup_string(&f[OF_LAST_REPLY]);
	row->attempts = record_field_uint32(&f[OF_ATTEMPTS]);
	row->created_at = record_field_int64(&f[OF_CREATED_AT]);
	row->updated_at = record_field_int64(&f[OF_UPDATED_AT]);
	row->next_try_at = record_field_int64(&f[OF_NEXT_TRY_AT]);
	row->owner = record_field_int64(&f[OF_OWNER]);
	row->bounced = record_field_boolean(&f[OF_BOUNCED]);
	row->message = record_field_bytes(&f[OF_MESSAGE]);
	if (!blobs)
		goto out;
	if (row->message == NULL &&
	    !blob_get(txn, &txn->store->messages, w->key, &row->message, error))
		g_clear_pointer(&row, outbox_row_free);
	if (row != NULL && !blob_get(txn, &txn->store->drafts, w->key, &row->draft, error))
		g_clear_pointer(&row, outbox_row_free);
out:
	record_fields_clear(f, OF_N);
	return g_steal_pointer(&row);
}

/* One record met by table_foreach(); clears *@more to stop there. */
typedef gboolean (*Visit)(const Where *w, const MDB_val *val, gpointer data, gboolean *more,
			  GError **error);

/* Visits the records of @table in key order from the first key at or after
 * @from, or from the first record when @from is NULL. */
static gboolean table_foreach_from(StoreTxn *txn, const Table *table, const MDB_val *from,
				   Visit visit, gpointer data, GError **error)
{
	MDB_cursor *cursor = NULL;
	MDB_val key = {0, NULL}, val;
	gboolean more = TRUE;
	gboolean ok = FALSE;
	int rc;

	rc = mdb_cursor_open(txn->txn, table->dbi, &cursor);
	if (rc != 0) {
		cursor = NULL;
		set_mdb_error(error, txn->store, rc, "open a cursor on %s", table->name);
		goto out;
	}
	if (from != NULL)
		key = *from;
	rc = mdb_cursor_get(cursor, &key, &val, from != NULL ? MDB_SET_RANGE : MDB_FIRST);
	while (rc == 0) {
		Where w = {txn->store, table, &key};

		if (!visit(&w, &val, data, &more, error))
			goto out;
		if (!more)
			break;
		rc = mdb_cursor_get(cursor, &key, &val, MDB_NEXT);
	}
	if (rc != 0 && rc != MDB_NOTFOUND) {
		set_mdb_error(error, txn->store, rc, "read %s", table->name);
		goto out;
	}
	ok = TRUE;
out:
	if (cursor != NULL)
		mdb_cursor_close(cursor);
	return ok;
}

static gboolean table_foreach(StoreTxn *txn, const Table *table, Visit visit, gpointer data,
			      GError **error)
{
	return table_foreach_from(txn, table, NULL, visit, data, error);
}

Attendee *store_attendee_get(StoreTxn *txn, const char *email, GError **error)
{
	g_autofree char *hashed = NULL;
	MDB_val key, val;
	gboolean found;

	key_for_string(txn->store, email, &hashed, &key);
	if (!txn_get(txn, &txn->store->attendees, &key, &val, &found, error) || !found)
		return NULL;
	return attendee_decode(&(Where){txn->store, &txn->store->attendees, &key}, &val, error);
}

gboolean store_attendee_put(StoreTxn *txn, const Attendee *a, GError **error)
{
	g_autofree char *hashed = NULL;
	g_autoptr(GString) record = NULL;
	MDB_val key;

	g_return_val_if_fail(a->email != NULL, FALSE);
	key_for_string(txn->store, a->email, &hashed, &key);
	record = attendee_encode(&(Where){txn->store, &txn->store->attendees, &key}, a, error);
	if (record == NULL)
		return FALSE;
	return txn_put(txn, &txn->store->attendees, &key, record, 0, error);
}

typedef struct {
	StoreAttendeeFunc fn;
	gpointer user_data;
	GString *damaged; /* what the records that do not decode say, a line each */
	guint n_damaged;
	StoreError first; /* why the first of them does not */
} AttendeeVisit;

static gboolean attendee_visit(const Where *w, const MDB_val *val, gpointer data, gboolean *more,
			       GError **error)
{
	AttendeeVisit *v = data;
	GError *local = NULL;
	g_autoptr(Attendee) a = attendee_decode(w, val, &local);

	if (a == NULL) {
		/* One damaged record must not hide every other: it is named, and
		 * the walk goes on. */
		if (!g_error_matches(local, STORE_ERROR, STORE_ERROR_CORRUPT) &&
		    !g_error_matches(local, STORE_ERROR, STORE_ERROR_VERSION)) {
			g_propagate_error(error, local);
			return FALSE;
		}
		g_string_append_printf(v->damaged, "%s%s", v->damaged->len > 0 ? "\n" : "",
				       local->message);
		if (v->n_damaged++ == 0)
			v->first = local->code;
		g_error_free(local);
		return TRUE;
	}
	*more = v->fn(a, v->user_data);
	return TRUE;
}

gboolean store_attendee_foreach(StoreTxn *txn, StoreAttendeeFunc fn, gpointer user_data,
				GError **error)
{
	g_autoptr(GString) damaged = g_string_new(NULL);
	AttendeeVisit v = {fn, user_data, damaged, 0, STORE_ERROR_CORRUPT};

	if (!table_foreach(txn, &txn->store->attendees, attendee_visit, &v, error))
		return FALSE;
	if (v.n_damaged == 0)
		return TRUE;
	g_set_error(error, STORE_ERROR, v.first, "%u attendee record(s) left out:\n%s", v.n_damaged,
		    damaged->str);
	return FALSE;
}

gboolean store_seen_has(StoreTxn *txn, const char *message_id, gboolean *seen, GError **error)
{
	static const RecordSpec spec[] = {{"when", RECORD_INT64, TRUE}};
	RecordField f[G_N_ELEMENTS(spec)];
	g_autofree char *hashed = NULL;
	MDB_val key, val;
	gboolean found, ok = TRUE;
	Where w = {txn->store, &txn->store->seen, &key};

	key_for_string(txn->store, message_id, &hashed, &key);
	if (!txn_get(txn, &txn->store->seen, &key, &val, &found, error))
		return FALSE;
	/* Decoded only to refuse a record of another version. */
	if (found) {
		ok = fields_read(&w, &val, spec, G_N_ELEMENTS(spec), f, error);
		record_fields_clear(f, G_N_ELEMENTS(spec));
	}
	*seen = found;
	return ok;
}

gboolean store_seen_add(StoreTxn *txn, const char *message_id, gint64 when, GError **error)
{
	g_autoptr(GString) record = record_new();
	g_autofree char *hashed = NULL;
	MDB_val key;

	key_for_string(txn->store, message_id, &hashed, &key);
	record_add_int64(record, "when", when);
	return txn_put(txn, &txn->store->seen, &key, record, 0, error);
}

gboolean store_rate_take(StoreTxn *txn, const char *address, gint64 now, guint limit,
			 gboolean *allowed, GError **error)
{
	static const RecordSpec spec[] = {{"start", RECORD_INT64, TRUE},
					  {"count", RECORD_INT64, TRUE}};
	RecordField f[G_N_ELEMENTS(spec)];
	g_autoptr(GString) record = NULL;
	g_autofree char *hashed = NULL;
	gint64 start = now, count = 0;
	MDB_val key, val;
	gboolean found;
	Where w = {txn->store, &txn->store->rate, &key};

	key_for_string(txn->store, address, &hashed, &key);
	if (!txn_get(txn, &txn->store->rate, &key, &val, &found, error))
		return FALSE;
	if (found) {
		gboolean ok = fields_read(&w, &val, spec, G_N_ELEMENTS(spec), f, error);

		if (ok) {
			start = record_field_int64(&f[0]);
			count = record_field_int64(&f[1]);
		}
		record_fields_clear(f, G_N_ELEMENTS(spec));
		if (!ok)
			return FALSE;
	}
	/* A fixed window of one hour from the first answer in it. */
	if (now - start >= 3600 || now < start) {
		start = now;
		count = 0;
	}
	*allowed = count < (gint64)limit;
	if (!*allowed)
		return TRUE;
	record = record_new();
	record_add_int64(record, "start", start);
	record_add_int64(record, "count", count + 1);
	return txn_put(txn, &txn->store->rate, &key, record, 0, error);
}

/* Reads @activity's places from the table. A record written before waiting
 * lists had records of their own holds its list as one string ("queue",
 * an address a line, first come first): *@queue is set to it then, and to
 * NULL otherwise. */
static gboolean places_read(StoreTxn *txn, const char *activity, StorePlaces *p, char **queue,
			    GError **error)
{
	static const RecordSpec spec[] = {{"taken", RECORD_INT64, TRUE},
					  {"waiting", RECORD_INT64, FALSE},
					  {"next", RECORD_UINT64, FALSE},
					  {"queue", RECORD_STRING, FALSE}};
	RecordField f[G_N_ELEMENTS(spec)];
	g_autofree char *hashed = NULL;
	MDB_val key, val;
	gboolean found, ok;
	const char *q;
	Where w = {txn->store, &txn->store->places, &key};

	*p = (StorePlaces){0, 0, 0};
	*queue = NULL;
	key_for_string(txn->store, activity, &hashed, &key);
	if (!txn_get(txn, &txn->store->places, &key, &val, &found, error))
		return FALSE;
	if (!found)
		return TRUE;
	ok = fields_read(&w, &val, spec, G_N_ELEMENTS(spec), f, error);
	if (ok) {
		p->taken = (guint)record_field_int64(&f[0]);
		p->waiting = (guint)record_field_int64(&f[1]);
		p->next = record_field_uint64(&f[2]);
		q = record_field_string(&f[3]);
		if (q != NULL && *q != '\0')
			*queue = g_strdup(q);
	}
	record_fields_clear(f, G_N_ELEMENTS(spec));
	return ok;
}

static gboolean places_write(StoreTxn *txn, const char *activity, const StorePlaces *p,
			     GError **error)
{
	g_autoptr(GString) record = record_new();
	g_autofree char *hashed = NULL;
	MDB_val key;

	key_for_string(txn->store, activity, &hashed, &key);
	record_add_int64(record, "taken", p->taken);
	record_add_int64(record, "waiting", p->waiting);
	record_add_uint64(record, "next", p->next);
	return txn_put(txn, &txn->store->places, &key, record, 0, error);
}

gboolean store_places_get(StoreTxn *txn, const char *activity, StorePlaces *p, GError **error)
{
	g_autofree char *queue = NULL;
	StorePlaces *cached;

	if (txn->places != NULL && (cached = g_hash_table_lookup(txn->places, activity)) != NULL) {
		*p = *cached;
		return TRUE;
	}
	if (!places_read(txn, activity, p, &queue, error))
		return FALSE;
	if (queue != NULL) {
		g_auto(GStrv) lines = g_strsplit(queue, "\n", -1);

		/* An old list: counted as it is by a reader, moved into records of
		 * their own, in order, by a writer (stored with the places). */
		p->waiting = g_strv_length(lines);
		if (txn->write) {
			p->waiting = 0;
			for (char **l = lines; *l != NULL; l++)
				if (**l != '\0' && !store_waiting_add(txn, activity, p, *l, error))
					return FALSE;
			txn->places_changed = TRUE;
		}
	}
	/* Only a write transaction keeps them: it alone writes them back. */
	if (txn->write) {
		if (txn->places == NULL)
			txn->places = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
		g_hash_table_insert(txn->places, g_strdup(activity), g_memdup2(p, sizeof *p));
	}
	return TRUE;
}

gboolean store_places_put(StoreTxn *txn, const char *activity, const StorePlaces *p,
			  GError **error)
{
	if (!txn->write)
		return places_write(txn, activity, p, error); /* refused there, with its error */
	if (txn->places == NULL)
		txn->places = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	g_hash_table_insert(txn->places, g_strdup(activity), g_memdup2(p, sizeof *p));
	txn->places_changed = TRUE;
	return TRUE;
}

/* Writes the places this transaction kept (store_write() calls it). */
static gboolean places_flush(StoreTxn *txn, GError **error)
{
	GHashTableIter iter;
	gpointer activity, p;

	if (!txn->places_changed)
		return TRUE;
	g_hash_table_iter_init(&iter, txn->places);
	while (g_hash_table_iter_next(&iter, &activity, &p))
		if (!places_write(txn, activity, p, error))
			return FALSE;
	return TRUE;
}

/* "ACTIVITY\n" then the arrival number in 16 hex digits, so that LMDB's
 * key order is arrival order within an activity (ids are short, checked by
 * the configuration, so the key is never hashed). */
static char *waiting_key(const char *activity, guint64 seq)
{
	return g_strdup_printf("%s\n%016" G_GINT64_MODIFIER "x", activity, seq);
}

/* Finds @email's arrival number in @activity's list. */
static gboolean waiting_seq(StoreTxn *txn, const char *activity, const char *email,
			    MDB_val *at_key, char **hashed, guint64 *seq, gboolean *found,
			    GError **error)
{
	g_autofree char *both = g_strconcat(activity, "\n", email, NULL);
	MDB_val val;
	guint64 be;

	key_for_string(txn->store, both, hashed, at_key);
	if (*hashed == NULL) {
		/* The key must outlive @both: keep it hashed or copied. */
		*hashed = g_steal_pointer(&both);
		at_key->mv_data = *hashed;
	}
	if (!txn_get(txn, &txn->store->waiting_at, at_key, &val, found, error))
		return FALSE;
	if (!*found)
		return TRUE;
	if (val.mv_size != sizeof be) {
		corrupt_error(error, &(Where){txn->store, &txn->store->waiting_at, at_key},
			      "not an arrival number");
		return FALSE;
	}
	memcpy(&be, val.mv_data, sizeof be);
	*seq = GUINT64_FROM_BE(be);
	return TRUE;
}

gboolean store_waiting_add(StoreTxn *txn, const char *activity, StorePlaces *p, const char *email,
			   GError **error)
{
	g_autofree char *hashed = NULL, *k = NULL;
	MDB_val at_key, key, val;
	guint64 seq = 0, be;
	gboolean found;

	if (!waiting_seq(txn, activity, email, &at_key, &hashed, &seq, &found, error))
		return FALSE;
	if (found)
		return TRUE;
	seq = p->next++;
	be = GUINT64_TO_BE(seq);
	val = (MDB_val){sizeof be, &be};
	if (!txn_put_raw(txn, &txn->store->waiting_at, &at_key, &val, 0, error))
		return FALSE;
	k = waiting_key(activity, seq);
	key = (MDB_val){strlen(k), k};
	val = (MDB_val){strlen(email), (void *)email};
	if (!txn_put_raw(txn, &txn->store->waiting, &key, &val, 0, error))
		return FALSE;
	p->waiting++;
	return TRUE;
}

gboolean store_waiting_remove(StoreTxn *txn, const char *activity, StorePlaces *p,
			      const char *email, GError **error)
{
	g_autofree char *hashed = NULL, *k = NULL;
	MDB_val at_key, key;
	guint64 seq = 0;
	gboolean found;

	if (!waiting_seq(txn, activity, email, &at_key, &hashed, &seq, &found, error))
		return FALSE;
	if (!found)
		return TRUE;
	k = waiting_key(activity, seq);
	key = (MDB_val){strlen(k), k};
	if (!txn_del(txn, &txn->store->waiting_at, &at_key, error) ||
	    !txn_del(txn, &txn->store->waiting, &key, error))
		return FALSE;
	if (p->waiting > 0)
		p->waiting--;
	return TRUE;
}

/* The first entry of @activity's list: *@email, or NULL when it is empty. */
static gboolean waiting_first(StoreTxn *txn, const char *activity, char **email, GError **error)
{
	g_autofree char *prefix = g_strconcat(activity, "\n", NULL);
	MDB_cursor *cursor = NULL;
	MDB_val key = {strlen(prefix), prefix}, val;
	int rc;

	*email = NULL;
	rc = mdb_cursor_open(txn->txn, txn->store->waiting.dbi, &cursor);
	if (rc == 0) {
		rc = mdb_cursor_get(cursor, &key, &val, MDB_SET_RANGE);
		if (rc == 0 && key.mv_size > strlen(prefix) &&
		    memcmp(key.mv_data, prefix, strlen(prefix)) == 0)
			*email = g_strndup(val.mv_data, val.mv_size);
		mdb_cursor_close(cursor);
	}
	if (rc == 0 || rc == MDB_NOTFOUND)
		return TRUE;
	set_mdb_error(error, txn->store, rc, "read the waiting list of %s", activity);
	return FALSE;
}

gboolean store_waiting_pop(StoreTxn *txn, const char *activity, StorePlaces *p, char **email,
			   GError **error)
{
	if (!waiting_first(txn, activity, email, error))
		return FALSE;
	if (*email != NULL && !store_waiting_remove(txn, activity, p, *email, error)) {
		g_clear_pointer(email, g_free);
		return FALSE;
	}
	return TRUE;
}

typedef struct {
	const char *prefix;
	const char *mine;
	guint seen;
	gboolean reached;
} Position;

static gboolean position_visit(const Where *w, const MDB_val *val, gpointer data, gboolean *more,
			       GError **error)
{
	Position *pos = data;
	size_t plen = strlen(pos->prefix);

	(void)val;
	(void)error;
	if (w->key->mv_size <= plen || memcmp(w->key->mv_data, pos->prefix, plen) != 0) {
		*more = FALSE;
		return TRUE;
	}
	pos->seen++;
	if (w->key->mv_size == strlen(pos->mine) &&
	    memcmp(w->key->mv_data, pos->mine, w->key->mv_size) == 0) {
		pos->reached = TRUE;
		*more = FALSE;
	}
	return TRUE;
}

guint store_waiting_position(StoreTxn *txn, const char *activity, const char *email,
			     GError **error)
{
	g_autofree char *hashed = NULL, *mine = NULL;
	g_autofree char *prefix = g_strconcat(activity, "\n", NULL);
	MDB_val at_key, from = {strlen(prefix), prefix};
	StorePlaces p;
	guint64 seq = 0;
	gboolean found;
	Position pos = {prefix, NULL, 0, FALSE};

	if (!waiting_seq(txn, activity, email, &at_key, &hashed, &seq, &found, error) || !found)
		return 0;
	if (!store_places_get(txn, activity, &p, error))
		return 0;
	/* The last to arrive, the usual case when the answer is written. */
	if (seq + 1 == p.next)
		return p.waiting;
	mine = waiting_key(activity, seq);
	pos.mine = mine;
	if (!table_foreach_from(txn, &txn->store->waiting, &from, position_visit, &pos, error))
		return 0;
	return pos.reached ? pos.seen : 0;
}

typedef struct {
	const char *prefix;
	StoreWaitingFunc fn;
	gpointer data;
	guint position;
} WaitingVisit;

static gboolean waiting_visit(const Where *w, const MDB_val *val, gpointer data, gboolean *more,
			      GError **error)
{
	WaitingVisit *v = data;
	size_t plen = strlen(v->prefix);
	g_autofree char *email = NULL;

	(void)error;
	if (w->key->mv_size <= plen || memcmp(w->key->mv_data, v->prefix, plen) != 0) {
		*more = FALSE;
		return TRUE;
	}
	email = g_strndup(val->mv_data, val->mv_size);
	*more = v->fn(email, ++v->position, v->data);
	return TRUE;
}

gboolean store_waiting_foreach(StoreTxn *txn, const char *activity, StoreWaitingFunc fn,
			       gpointer user_data, GError **error)
{
	g_autofree char *prefix = g_strconcat(activity, "\n", NULL);
	MDB_val from = {strlen(prefix), prefix};
	WaitingVisit v = {prefix, fn, user_data, 0};

	return table_foreach_from(txn, &txn->store->waiting, &from, waiting_visit, &v, error);
}

void store_pending_free(StorePending *p)
{
	if (p == NULL)
		return;
	g_free(p->token);
	g_free(p->email);
	g_free(p->action);
	g_free(p->subject);
	g_free(p->detail);
	g_free(p->body);
	g_free(p->from_name);
	g_free(p->message_id);
	g_free(p->references);
	g_free(p->asked_by);
	g_free(p);
}

gboolean store_pending_put(StoreTxn *txn, const StorePending *p, GError **error)
{
	g_autoptr(GString) record = record_new();
	g_autofree char *hashed = NULL;
	MDB_val key;
	Where w = {txn->store, &txn->store->pending, &key};

	key_for_string(txn->store, p->token, &hashed, &key);
	if (!add_string(&w, record, "email", p->email, error) ||
	    !add_string(&w, record, "action", p->action, error) ||
	    !add_string(&w, record, "subject", p->subject, error) ||
	    !add_string(&w, record, "detail", p->detail, error) ||
	    !add_string(&w, record, "body", p->body, error) ||
	    !add_string(&w, record, "from_name", p->from_name, error) ||
	    !add_string(&w, record, "message_id", p->message_id, error) ||
	    !add_string(&w, record, "references", p->references, error) ||
	    !add_string(&w, record, "asked_by", p->asked_by, error))
		return FALSE;
	record_add_int64(record, "created_at", p->created_at);
	record_add_int64(record, "expires_at", p->expires_at);
	return txn_put(txn, &txn->store->pending, &key, record, 0, error);
}

/* The fields of a pending request. */
enum {
	PF_EMAIL,
	PF_ACTION,
	PF_SUBJECT,
	PF_DETAIL,
	PF_BODY,
	PF_FROM_NAME,
	PF_MESSAGE_ID,
	PF_REFERENCES,
	PF_ASKED_BY,
	PF_CREATED_AT,
	PF_EXPIRES_AT,
	PF_N
};

static const RecordSpec pending_fields[PF_N] = {
    [PF_EMAIL] = {"email", RECORD_STRING, TRUE},
    [PF_ACTION] = {"action", RECORD_STRING, TRUE},
    [PF_SUBJECT] = {"subject", RECORD_STRING, FALSE},
    [PF_DETAIL] = {"detail", RECORD_STRING, FALSE},
    [PF_BODY] = {"body", RECORD_STRING, FALSE},
    [PF_FROM_NAME] = {"from_name", RECORD_STRING, FALSE},
    [PF_MESSAGE_ID] = {"message_id", RECORD_STRING, FALSE},
    [PF_REFERENCES] = {"references", RECORD_STRING, FALSE},
    [PF_ASKED_BY] = {"asked_by", RECORD_STRING, FALSE},
    [PF_CREATED_AT] = {"created_at", RECORD_INT64, TRUE},
    [PF_EXPIRES_AT] = {"expires_at", RECORD_INT64, TRUE},
};

/* Decodes the pending request in @val (keyed @token, NULL when only its
 * hash is known). */
static StorePending *pending_decode(const Where *w, const MDB_val *val, const char *token,
				    GError **error)
{
	StorePending *p = NULL;
	RecordField f[PF_N];

	if (fields_read(w, val, pending_fields, PF_N, f, error)) {
		p = g_new0(StorePending, 1);
		p->token = g_strdup(token);
		p->email = record_field_dup_string(&f[PF_EMAIL]);
		p->action = record_field_dup_string(&f[PF_ACTION]);
		p->subject = record_field_dup_string(&f[PF_SUBJECT]);
		p->detail = record_field_dup_string(&f[PF_DETAIL]);
		p->body = record_field_dup_string(&f[PF_BODY]);
		p->from_name = record_field_dup_string(&f[PF_FROM_NAME]);
		p->message_id = record_field_dup_string(&f[PF_MESSAGE_ID]);
		p->references = record_field_dup_string(&f[PF_REFERENCES]);
		p->asked_by = record_field_dup_string(&f[PF_ASKED_BY]);
		p->created_at = record_field_int64(&f[PF_CREATED_AT]);
		p->expires_at = record_field_int64(&f[PF_EXPIRES_AT]);
	}
	record_fields_clear(f, PF_N);
	return p;
}

StorePending *store_pending_get(StoreTxn *txn, const char *token, GError **error)
{
	g_autofree char *hashed = NULL;
	MDB_val key, val;
	gboolean found;
	Where w = {txn->store, &txn->store->pending, &key};

	key_for_string(txn->store, token, &hashed, &key);
	if (!txn_get(txn, &txn->store->pending, &key, &val, &found, error) || !found)
		return NULL;
	return pending_decode(&w, &val, token, error);
}

typedef struct {
	StorePendingFunc fn;
	gpointer data;
} PendingVisit;

static gboolean pending_visit(const Where *w, const MDB_val *val, gpointer data, gboolean *more,
			      GError **error)
{
	PendingVisit *v = data;
	g_autoptr(StorePending) p = pending_decode(w, val, NULL, error);

	if (p == NULL)
		return FALSE;
	*more = v->fn(p, v->data);
	return TRUE;
}

gboolean store_pending_foreach(StoreTxn *txn, StorePendingFunc fn, gpointer user_data,
			       GError **error)
{
	PendingVisit v = {fn, user_data};

	return table_foreach(txn, &txn->store->pending, pending_visit, &v, error);
}

gboolean store_pending_delete(StoreTxn *txn, const char *token, GError **error)
{
	g_autofree char *hashed = NULL;
	MDB_val key;
	int rc;

	key_for_string(txn->store, token, &hashed, &key);
	rc = mdb_del(txn->txn, txn->store->pending.dbi, &key, NULL);
	if (rc != 0 && rc != MDB_NOTFOUND) {
		set_mdb_error(error, txn->store, rc, "delete pending %s", token);
		return FALSE;
	}
	return TRUE;
}

/* The id store_outbox_add() assigns next: 1 in a new store. */
static gboolean meta_next_id(StoreTxn *txn, guint64 *next, GError **error)
{
	static const RecordSpec spec[] = {{"value", RECORD_UINT64, TRUE}};
	RecordField f[G_N_ELEMENTS(spec)];
	MDB_val key = {strlen(META_OUTBOX_NEXT_ID), META_OUTBOX_NEXT_ID};
	MDB_val val;
	gboolean found, ok;
	Where w = {txn->store, &txn->store->meta, &key};

	if (txn->next_id_read) {
		*next = txn->next_id;
		return TRUE;
	}
	if (!txn_get(txn, &txn->store->meta, &key, &val, &found, error))
		return FALSE;
	*next = 1;
	if (found) {
		ok = fields_read(&w, &val, spec, G_N_ELEMENTS(spec), f, error);
		if (ok)
			*next = record_field_uint64(&f[0]);
		record_fields_clear(f, G_N_ELEMENTS(spec));
		if (!ok)
			return FALSE;
	}
	txn->next_id = *next;
	txn->next_id_read = TRUE;
	return TRUE;
}

static void meta_set_next_id(StoreTxn *txn, guint64 next)
{
	txn->next_id = next;
	txn->next_id_changed = TRUE;
}

static gboolean txn_flush(StoreTxn *txn, GError **error)
{
	g_autoptr(GString) record = NULL;
	MDB_val key = {strlen(META_OUTBOX_NEXT_ID), META_OUTBOX_NEXT_ID};

	if (!places_flush(txn, error))
		return FALSE;
	if (!txn->next_id_changed)
		return TRUE;
	record = record_new();
	record_add_uint64(record, "value", txn->next_id);
	return txn_put(txn, &txn->store->meta, &key, record, 0, error);
}

/* A row's message (or draft) lives apart from its record, raw: the record
 * is rewritten at every step of sending (claimed, sent, retried) while the
 * message never changes, and written only once. */
static gboolean blob_get(StoreTxn *txn, const Table *table, const MDB_val *key, GBytes **blob,
			 GError **error)
{
	MDB_val k = *key, val;
	gboolean found;

	*blob = NULL;
	if (!txn_get(txn, table, &k, &val, &found, error))
		return FALSE;
	/* A copy: LMDB's memory is valid only until the transaction ends. */
	if (found)
		*blob = g_bytes_new(val.mv_data, val.mv_size);
	return TRUE;
}

/* Stores @blob in @table under @key unless a blob is there already: a
 * row's message and draft are written once and never change (only
 * store_purge() removes them), so a row read without them (or after the
 * purge) can be stored again without losing or rewriting them. */
static gboolean blob_put(StoreTxn *txn, const Table *table, MDB_val *key, GBytes *blob,
			 GError **error)
{
	MDB_val val;
	gboolean found;
	gsize size;

	if (blob == NULL)
		return TRUE;
	if (!txn_get(txn, table, key, &val, &found, error))
		return FALSE;
	if (found)
		return TRUE;
	val.mv_data = (void *)g_bytes_get_data(blob, &size);
	val.mv_size = size;
	return txn_put_raw(txn, table, key, &val, 0, error);
}

/* An index key: a time, then an id, both big-endian so that LMDB's order
 * is time order (the sign bit flipped: earlier than 1970 sorts first). */
typedef struct {
	guint64 be[2];
} IndexKey;

static void index_key(gint64 when, guint64 id, IndexKey *k, MDB_val *key)
{
	k->be[0] = GUINT64_TO_BE((guint64)when ^ G_GUINT64_CONSTANT(0x8000000000000000));
	k->be[1] = GUINT64_TO_BE(id);
	key->mv_data = k->be;
	key->mv_size = sizeof k->be;
}

static void index_key_read(const MDB_val *key, gint64 *when, guint64 *id)
{
	IndexKey k;

	memcpy(k.be, key->mv_data, sizeof k.be);
	*when = (gint64)(GUINT64_FROM_BE(k.be[0]) ^ G_GUINT64_CONSTANT(0x8000000000000000));
	*id = GUINT64_FROM_BE(k.be[1]);
}

/* Where a row stands in the outbox's indexes: due (queued or sending,
 * under its next try) and sent (under its last change, until purged). */
typedef struct {
	gboolean due, sent;
	gint64 next_try_at, updated_at;
} RowPlace;

static RowPlace row_place(OutboxState state, gint64 next_try_at, gint64 updated_at)
{
	return (RowPlace){state == OUTBOX_QUEUED || state == OUTBOX_SENDING,
			  state == OUTBOX_SENT, next_try_at, updated_at};
}

/* Reads where the row stored under @key stands now; a row not there yet
 * stands nowhere. */
static gboolean row_place_read(StoreTxn *txn, MDB_val *key, RowPlace *place, GError **error)
{
	static const RecordSpec spec[] = {{"state", RECORD_STRING, TRUE},
					  {"next_try_at", RECORD_INT64, TRUE},
					  {"updated_at", RECORD_INT64, TRUE}};
	RecordField f[G_N_ELEMENTS(spec)];
	Where w = {txn->store, &txn->store->outbox, key};
	OutboxState state;
	MDB_val val;
	gboolean found, ok;

	*place = (RowPlace){FALSE, FALSE, 0, 0};
	if (!txn_get(txn, &txn->store->outbox, key, &val, &found, error))
		return FALSE;
	if (!found)
		return TRUE;
	ok = fields_read(&w, &val, spec, G_N_ELEMENTS(spec), f, error);
	if (ok && !outbox_state_from_string(record_field_string(&f[0]), &state)) {
		corrupt_error(error, &w, "unknown state");
		ok = FALSE;
	}
	if (ok)
		*place = row_place(state, record_field_int64(&f[1]), record_field_int64(&f[2]));
	record_fields_clear(f, G_N_ELEMENTS(spec));
	return ok;
}

/* Moves row @id in @table from (@was_in, @was) to (@in, @now). */
static gboolean index_move(StoreTxn *txn, const Table *table, guint64 id, gboolean was_in,
			   gint64 was, gboolean in, gint64 now, GError **error)
{
	static char nothing;
	MDB_val key, val = {0, &nothing};
	IndexKey k;

	if (was_in == in && (!in || was == now))
		return TRUE;
	if (was_in) {
		index_key(was, id, &k, &key);
		if (!txn_del(txn, table, &key, error))
			return FALSE;
	}
	if (!in)
		return TRUE;
	index_key(now, id, &k, &key);
	return txn_put_raw(txn, table, &key, &val, 0, error);
}

static gboolean outbox_write(StoreTxn *txn, const OutboxRow *row, guint64 id, unsigned int flags,
			     GError **error)
{
	g_autoptr(GString) record = NULL;
	RowPlace was, now = row_place(row->state, row->next_try_at, row->updated_at);
	guint64 be;
	MDB_val key;

	key_for_id(id, &be, &key);
	record = outbox_encode(&(Where){txn->store, &txn->store->outbox, &key}, row, id, error);
	if (record == NULL || !row_place_read(txn, &key, &was, error))
		return FALSE;
	return txn_put(txn, &txn->store->outbox, &key, record, flags, error) &&
	       index_move(txn, &txn->store->outbox_due, id, was.due, was.next_try_at, now.due,
			  now.next_try_at, error) &&
	       index_move(txn, &txn->store->outbox_sent, id, was.sent, was.updated_at, now.sent,
			  now.updated_at, error) &&
	       blob_put(txn, &txn->store->messages, &key, row->message, error) &&
	       blob_put(txn, &txn->store->drafts, &key, row->draft, error);
}

gboolean store_outbox_add(StoreTxn *txn, OutboxRow *row, GError **error)
{
	guint64 id;

	/* MDB_NOOVERWRITE: an existing row under a fresh id means the counter
	 * went wrong, and overwriting would lose a message. */
	if (!meta_next_id(txn, &id, error) || !outbox_write(txn, row, id, MDB_NOOVERWRITE, error))
		return FALSE;
	meta_set_next_id(txn, id + 1);
	row->id = id;
	return TRUE;
}

gboolean store_outbox_put(StoreTxn *txn, const OutboxRow *row, GError **error)
{
	guint64 next;

	if (!meta_next_id(txn, &next, error))
		return FALSE;
	if (row->id == 0 || row->id >= next) {
		g_set_error(error, STORE_ERROR, STORE_ERROR_FAILED,
			    "cannot write outbox id %" G_GUINT64_FORMAT
			    " in %s: store_outbox_add never assigned it",
			    row->id, txn->store->dir);
		return FALSE;
	}
	return outbox_write(txn, row, row->id, 0, error);
}

/* Reads row @id, with its message and draft when @blobs. */
static OutboxRow *outbox_get(StoreTxn *txn, guint64 id, gboolean blobs, GError **error)
{
	MDB_val key, val;
	guint64 be;
	gboolean found;

	key_for_id(id, &be, &key);
	if (!txn_get(txn, &txn->store->outbox, &key, &val, &found, error))
		return NULL;
	if (!found) {
		g_set_error(error, STORE_ERROR, STORE_ERROR_NOT_FOUND,
			    "no outbox id %" G_GUINT64_FORMAT " in %s", id, txn->store->dir);
		return NULL;
	}
	return outbox_decode(txn, &(Where){txn->store, &txn->store->outbox, &key}, &val, blobs,
			     error);
}

OutboxRow *store_outbox_get(StoreTxn *txn, guint64 id, GError **error)
{
	return outbox_get(txn, id, TRUE, error);
}

typedef struct {
	StoreTxn *txn;
	StoreOutboxFunc fn;
	gpointer user_data;
} OutboxVisit;

static gboolean outbox_visit(const Where *w, const MDB_val *val, gpointer data, gboolean *more,
			     GError **error)
{
	OutboxVisit *v = data;
	g_autoptr(OutboxRow) row = outbox_decode(v->txn, w, val, FALSE, error);

	if (row == NULL)
		return FALSE;
	*more = v->fn(row, v->user_data);
	return TRUE;
}

gboolean store_outbox_foreach(StoreTxn *txn, StoreOutboxFunc fn, gpointer user_data, GError **error)
{
	OutboxVisit v = {txn, fn, user_data};

	return table_foreach(txn, &txn->store->outbox, outbox_visit, &v, error);
}

typedef struct {
	StoreTxn *txn;
	gint64 until;
	StoreOutboxFunc fn;
	gpointer user_data;
	guint later;
	gboolean stopped;
} DueRowVisit;

static gboolean due_row_visit(const Where *w, const MDB_val *val, gpointer data, gboolean *more,
			      GError **error)
{
	DueRowVisit *v = data;
	g_autoptr(OutboxRow) row = NULL;
	GError *local = NULL;
	gint64 when;
	guint64 id;

	(void)val;
	if (w->key->mv_size != sizeof(IndexKey)) {
		corrupt_error(error, w, "not an index key");
		return FALSE;
	}
	index_key_read(w->key, &when, &id);
	if (when > v->until) {
		v->later++;
		return TRUE;
	}
	row = outbox_get(v->txn, id, FALSE, &local);
	if (row == NULL) {
		g_propagate_error(error, local);
		return FALSE;
	}
	v->stopped = !v->fn(row, v->user_data);
	/* Read on past the due ones only to count those that are not. */
	*more = !v->stopped;
	return TRUE;
}

gboolean store_outbox_foreach_due(StoreTxn *txn, gint64 until, StoreOutboxFunc fn,
				  gpointer user_data, guint *later, GError **error)
{
	DueRowVisit v = {txn, until, fn, user_data, 0, FALSE};
	gboolean ok = table_foreach(txn, &txn->store->outbox_due, due_row_visit, &v, error);

	if (later != NULL)
		*later = v.later;
	return ok;
}

/* Puts every outbox row in its indexes: for a store written before they
 * existed. */
static gboolean outbox_index_visit(const Where *w, const MDB_val *val, gpointer data,
				   gboolean *more, GError **error)
{
	StoreTxn *txn = data;
	MDB_val key = *w->key;
	RowPlace place;
	guint64 be;

	(void)val;
	(void)more;
	if (key.mv_size != sizeof be) {
		corrupt_error(error, w, "its key is not an id");
		return FALSE;
	}
	memcpy(&be, key.mv_data, sizeof be);
	return row_place_read(txn, &key, &place, error) &&
	       index_move(txn, &txn->store->outbox_due, GUINT64_FROM_BE(be), FALSE, 0, place.due,
			  place.next_try_at, error) &&
	       index_move(txn, &txn->store->outbox_sent, GUINT64_FROM_BE(be), FALSE, 0, place.sent,
			  place.updated_at, error);
}

static gboolean outbox_index_build(StoreTxn *txn, gpointer data, GError **error)
{
	g_autoptr(GString) record = record_new();
	MDB_val key = {strlen(META_OUTBOX_INDEXED), META_OUTBOX_INDEXED};
	int rc;

	(void)data;
	rc = mdb_drop(txn->txn, txn->store->outbox_due.dbi, 0);
	if (rc == 0)
		rc = mdb_drop(txn->txn, txn->store->outbox_sent.dbi, 0);
	if (rc != 0) {
		if (rc == MDB_MAP_FULL)
			txn->map_full = TRUE;
		set_mdb_error(error, txn->store, rc, "empty the outbox's indexes");
		return FALSE;
	}
	if (!table_foreach(txn, &txn->store->outbox, outbox_index_visit, txn, error))
		return FALSE;
	record_add_uint64(record, "value", 1);
	return txn_put(txn, &txn->store->meta, &key, record, 0, error);
}

/* --- what the scheduler and the organisers' digest keep ---------------------- */

/* Removes @key from @table; a key that is not there is no error, and
 * *@found (when not NULL) says which it was. */
static gboolean txn_del_found(StoreTxn *txn, const Table *table, MDB_val *key, gboolean *found,
			      GError **error)
{
	g_autofree char *desc = NULL;
	int rc;

	if (!txn->write) {
		desc = key_describe(table, key);
		g_set_error(error, STORE_ERROR, STORE_ERROR_FAILED,
			    "cannot delete %s %s in %s: not a write transaction", table->name, desc,
			    txn->store->dir);
		return FALSE;
	}
	rc = mdb_del(txn->txn, table->dbi, key, NULL);
	if (found != NULL)
		*found = rc == 0;
	if (rc == 0 || rc == MDB_NOTFOUND)
		return TRUE;
	/* Copy-on-write: even a delete may need a page the map lacks. */
	if (rc == MDB_MAP_FULL)
		txn->map_full = TRUE;
	desc = key_describe(table, key);
	set_mdb_error(error, txn->store, rc, "delete %s %s", table->name, desc);
	return FALSE;
}

static gboolean txn_del(StoreTxn *txn, const Table *table, MDB_val *key, GError **error)
{
	return txn_del_found(txn, table, key, NULL, error);
}

void store_mark_free(StoreMark *m)
{
	if (m == NULL)
		return;
	g_free(m->what);
	g_free(m);
}

StoreMark *store_mark_get(StoreTxn *txn, const char *key, GError **error)
{
	static const RecordSpec spec[] = {{"when", RECORD_INT64, TRUE},
					  {"value", RECORD_UINT64, TRUE},
					  {"what", RECORD_STRING, TRUE}};
	RecordField f[G_N_ELEMENTS(spec)];
	g_autofree char *hashed = NULL;
	StoreMark *m = NULL;
	MDB_val k, val;
	gboolean found;
	Where w = {txn->store, &txn->store->marks, &k};

	key_for_string(txn->store, key, &hashed, &k);
	if (!txn_get(txn, &txn->store->marks, &k, &val, &found, error) || !found)
		return NULL;
	if (fields_read(&w, &val, spec, G_N_ELEMENTS(spec), f, error)) {
		m = g_new0(StoreMark, 1);
		m->when = record_field_int64(&f[0]);
		m->value = record_field_uint64(&f[1]);
		m->what = record_field_dup_string(&f[2]);
	}
	record_fields_clear(f, G_N_ELEMENTS(spec));
	return m;
}

gboolean store_mark_put(StoreTxn *txn, const char *key, const StoreMark *m, GError **error)
{
	g_autoptr(GString) record = record_new();
	g_autofree char *hashed = NULL;
	MDB_val k;
	Where w = {txn->store, &txn->store->marks, &k};

	key_for_string(txn->store, key, &hashed, &k);
	if (!add_string(&w, record, "what", m->what != NULL ? m->what : "", error))
		return FALSE;
	record_add_int64(record, "when", m->when);
	record_add_uint64(record, "value", m->value);
	return txn_put(txn, &txn->store->marks, &k, record, 0, error);
}

StoreJournalEntry *store_journal_entry_new(void)
{
	StoreJournalEntry *e = g_new0(StoreJournalEntry, 1);

	e->fields = g_ptr_array_new_with_free_func(g_free);
	e->before = g_ptr_array_new_with_free_func(g_free);
	e->after = g_ptr_array_new_with_free_func(g_free);
	return e;
}

void store_journal_entry_free(StoreJournalEntry *e)
{
	if (e == NULL)
		return;
	g_free(e->action);
	g_free(e->email);
	g_free(e->name);
	g_free(e->detail);
	g_ptr_array_unref(e->fields);
	g_ptr_array_unref(e->before);
	g_ptr_array_unref(e->after);
	g_free(e);
}

/* The fields of a journal entry. */
enum { JF_SEQ, JF_WHEN, JF_ACTION, JF_EMAIL, JF_NAME, JF_DETAIL, JF_FIELDS, JF_BEFORE, JF_AFTER, JF_N };

static const RecordSpec journal_fields[JF_N] = {
    [JF_SEQ] = {"seq", RECORD_UINT64, TRUE},
    [JF_WHEN] = {"when", RECORD_INT64, TRUE},
    [JF_ACTION] = {"action", RECORD_STRING, TRUE},
    [JF_EMAIL] = {"email", RECORD_STRING, TRUE},
    [JF_NAME] = {"name", RECORD_STRING, FALSE},
    [JF_DETAIL] = {"detail", RECORD_STRING, FALSE},
    [JF_FIELDS] = {"fields", RECORD_STRINGS, FALSE},
    [JF_BEFORE] = {"before", RECORD_STRINGS, FALSE},
    [JF_AFTER] = {"after", RECORD_STRINGS, FALSE},
};

static StoreJournalEntry *journal_decode(const Where *w, const MDB_val *val, GError **error)
{
	g_autoptr(StoreJournalEntry) e = NULL;
	RecordField f[JF_N];
	guint64 be = 0;

	if (!fields_read(w, val, journal_fields, JF_N, f, error))
		goto out;
	e = store_journal_entry_new();
	e->seq = record_field_uint64(&f[JF_SEQ]);
	e->when = record_field_int64(&f[JF_WHEN]);
	e->action = record_field_dup_string(&f[JF_ACTION]);
	e->email = record_field_dup_string(&f[JF_EMAIL]);
	e->name = record_field_dup_string(&f[JF_NAME]);
	e->detail = record_field_dup_string(&f[JF_DETAIL]);
	record_field_strings(&f[JF_FIELDS], e->fields);
	record_field_strings(&f[JF_BEFORE], e->before);
	record_field_strings(&f[JF_AFTER], e->after);
	if (w->key->mv_size == sizeof be)
		memcpy(&be, w->key->mv_data, sizeof be);
	if (w->key->mv_size != sizeof be || e->seq != GUINT64_FROM_BE(be)) {
		corrupt_error(error, w, "its seq is not its key");
		g_clear_pointer(&e, store_journal_entry_free);
	} else if (e->before->len != e->fields->len || e->after->len != e->fields->len) {
		corrupt_error(error, w, "fields, before and after differ in length");
		g_clear_pointer(&e, store_journal_entry_free);
	}
out:
	record_fields_clear(f, JF_N);
	return g_steal_pointer(&e);
}

gboolean store_journal_last(StoreTxn *txn, guint64 *last, GError **error)
{
	const Table *table = &txn->store->journal;
	MDB_cursor *cursor = NULL;
	MDB_val key, val;
	guint64 be;
	int rc;

	*last = 0;
	rc = mdb_cursor_open(txn->txn, table->dbi, &cursor);
	if (rc == 0) {
		rc = mdb_cursor_get(cursor, &key, &val, MDB_LAST);
		if (rc == 0 && key.mv_size == sizeof be) {
			memcpy(&be, key.mv_data, sizeof be);
			*last = GUINT64_FROM_BE(be);
		}
		mdb_cursor_close(cursor);
	}
	if (rc != 0 && rc != MDB_NOTFOUND) {
		set_mdb_error(error, txn->store, rc, "read the end of %s", table->name);
		return FALSE;
	}
	return TRUE;
}

static gboolean journal_encode(const Where *w, GString *record, const StoreJournalEntry *e,
			       guint64 seq, GError **error)
{
	if (!add_string(w, record, "action", e->action, error) ||
	    !add_string(w, record, "email", e->email, error) ||
	    !add_string(w, record, "name", e->name, error) ||
	    !add_string(w, record, "detail", e->detail, error) ||
	    !add_strings(w, record, "fields", e->fields, error) ||
	    !add_strings(w, record, "before", e->before, error) ||
	    !add_strings(w, record, "after", e->after, error))
		return FALSE;
	record_add_uint64(record, "seq", seq);
	record_add_int64(record, "when", e->when);
	return TRUE;
}

gboolean store_journal_add(StoreTxn *txn, StoreJournalEntry *e, GError **error)
{
	g_autoptr(GString) record = record_new();
	guint64 last, be;
	MDB_val key;
	Where w = {txn->store, &txn->store->journal, &key};

	if (!store_journal_last(txn, &last, error))
		return FALSE;
	key_for_id(last + 1, &be, &key);
	if (!journal_encode(&w, record, e, last + 1, error) ||
	    !txn_put(txn, &txn->store->journal, &key, record, MDB_NOOVERWRITE, error))
		return FALSE;
	e->seq = last + 1;
	return TRUE;
}

typedef struct {
	StoreJournalFunc fn;
	gpointer user_data;
} JournalVisit;

static gboolean journal_visit(const Where *w, const MDB_val *val, gpointer data, gboolean *more,
			      GError **error)
{
	JournalVisit *v = data;
	g_autoptr(StoreJournalEntry) e = journal_decode(w, val, error);

	if (e == NULL)
		return FALSE;
	*more = v->fn(e, v->user_data);
	return TRUE;
}

gboolean store_journal_foreach(StoreTxn *txn, guint64 after, StoreJournalFunc fn,
			       gpointer user_data, GError **error)
{
	JournalVisit v = {fn, user_data};
	guint64 be;
	MDB_val from;

	if (after == G_MAXUINT64)
		return TRUE;
	key_for_id(after + 1, &be, &from);
	return table_foreach_from(txn, &txn->store->journal, &from, journal_visit, &v, error);
}

StoreItinerary *store_itinerary_new(void)
{
	StoreItinerary *it = g_new0(StoreItinerary, 1);

	it->activities = g_ptr_array_new_with_free_func(g_free);
	return it;
}

void store_itinerary_free(StoreItinerary *it)
{
	if (it == NULL)
		return;
	g_ptr_array_unref(it->activities);
	g_free(it);
}

StoreItinerary *store_itinerary_get(StoreTxn *txn, const char *email, GError **error)
{
	static const RecordSpec spec[] = {{"sequence", RECORD_UINT64, TRUE},
					  {"activities", RECORD_STRINGS, FALSE},
					  {"sent_at", RECORD_INT64, TRUE}};
	RecordField f[G_N_ELEMENTS(spec)];
	g_autofree char *hashed = NULL;
	g_autoptr(StoreItinerary) it = NULL;
	guint64 sequence;
	MDB_val key, val;
	gboolean found;
	Where w = {txn->store, &txn->store->itineraries, &key};

	key_for_string(txn->store, email, &hashed, &key);
	if (!txn_get(txn, &txn->store->itineraries, &key, &val, &found, error) || !found)
		return NULL;
	if (!fields_read(&w, &val, spec, G_N_ELEMENTS(spec), f, error))
		goto out;
	sequence = record_field_uint64(&f[0]);
	if (sequence > G_MAXUINT) {
		corrupt_error(error, &w, "sequence out of range");
		goto out;
	}
	it = store_itinerary_new();
	it->sequence = (guint)sequence;
	record_field_strings(&f[1], it->activities);
	it->sent_at = record_field_int64(&f[2]);
out:
	record_fields_clear(f, G_N_ELEMENTS(spec));
	return g_steal_pointer(&it);
}

gboolean store_itinerary_put(StoreTxn *txn, const char *email, const StoreItinerary *it,
			     GError **error)
{
	g_autoptr(GString) record = record_new();
	g_autofree char *hashed = NULL;
	MDB_val key;
	Where w = {txn->store, &txn->store->itineraries, &key};

	key_for_string(txn->store, email, &hashed, &key);
	if (!add_strings(&w, record, "activities", it->activities, error))
		return FALSE;
	record_add_uint64(record, "sequence", it->sequence);
	record_add_int64(record, "sent_at", it->sent_at);
	return txn_put(txn, &txn->store->itineraries, &key, record, 0, error);
}

gboolean store_due_add(StoreTxn *txn, const char *email, gint64 when, GError **error)
{
	g_autoptr(GString) record = NULL;
	g_autofree char *hashed = NULL;
	MDB_val key, val;
	gboolean found;
	Where w = {txn->store, &txn->store->due, &key};

	key_for_string(txn->store, email, &hashed, &key);
	if (!txn_get(txn, &txn->store->due, &key, &val, &found, error))
		return FALSE;
	if (found)
		return TRUE;
	record = record_new();
	if (!add_string(&w, record, "email", email, error))
		return FALSE;
	record_add_int64(record, "since", when);
	return txn_put(txn, &txn->store->due, &key, record, 0, error);
}

gboolean store_due_take(StoreTxn *txn, const char *email, gboolean *was_due, GError **error)
{
	g_autofree char *hashed = NULL;
	MDB_val key;

	key_for_string(txn->store, email, &hashed, &key);
	return txn_del_found(txn, &txn->store->due, &key, was_due, error);
}

typedef struct {
	StoreDueFunc fn;
	gpointer user_data;
} DueVisit;

static gboolean due_visit(const Where *w, const MDB_val *val, gpointer data, gboolean *more,
			  GError **error)
{
	static const RecordSpec spec[] = {{"email", RECORD_STRING, TRUE},
					  {"since", RECORD_INT64, TRUE}};
	RecordField f[G_N_ELEMENTS(spec)];
	DueVisit *v = data;
	gboolean ok = fields_read(w, val, spec, G_N_ELEMENTS(spec), f, error);

	if (ok)
		*more = v->fn(record_field_string(&f[0]), record_field_int64(&f[1]), v->user_data);
	record_fields_clear(f, G_N_ELEMENTS(spec));
	return ok;
}

gboolean store_due_foreach(StoreTxn *txn, StoreDueFunc fn, gpointer user_data, GError **error)
{
	DueVisit v = {fn, user_data};

	return table_foreach(txn, &txn->store->due, due_visit, &v, error);
}

/* --- upgrading records written by an earlier convene ----------------------- */

static gboolean meta_version(StoreTxn *txn, guint64 *version, GError **error)
{
	static const RecordSpec spec[] = {{"value", RECORD_UINT64, TRUE}};
	RecordField f[G_N_ELEMENTS(spec)];
	MDB_val key = {strlen(META_ATTENDEE_VERSION), META_ATTENDEE_VERSION};
	MDB_val val;
	gboolean found, ok;
	Where w = {txn->store, &txn->store->meta, &key};

	*version = 0;
	if (!txn_get(txn, &txn->store->meta, &key, &val, &found, error))
		return FALSE;
	if (!found)
		return TRUE;
	ok = fields_read(&w, &val, spec, G_N_ELEMENTS(spec), f, error);
	if (ok)
		*version = record_field_uint64(&f[0]);
	record_fields_clear(f, G_N_ELEMENTS(spec));
	return ok;
}

static gboolean older_visit(const Where *w, const MDB_val *val, gpointer data, gboolean *more,
			    GError **error)
{
	Attendee *a;

	(void)more;
	if (record_version(val->mv_data, val->mv_size) >= ATTENDEE_VERSION)
		return TRUE;
	a = attendee_decode(w, val, error);
	if (a == NULL)
		return FALSE;
	g_ptr_array_add(data, a);
	return TRUE;
}

static gboolean upgrade_txn(StoreTxn *txn, gpointer data, GError **error)
{
	g_autoptr(GPtrArray) older = g_ptr_array_new_with_free_func((GDestroyNotify)attendee_free);
	g_autoptr(GString) record = record_new();
	MDB_val key = {strlen(META_ATTENDEE_VERSION), META_ATTENDEE_VERSION};
	guint64 version;

	(void)data;
	if (!meta_version(txn, &version, error))
		return FALSE;
	if (version >= ATTENDEE_VERSION)
		return TRUE;
	if (!table_foreach(txn, &txn->store->attendees, older_visit, older, error))
		return FALSE;
	for (guint i = 0; i < older->len; i++)
		if (!store_attendee_put(txn, g_ptr_array_index(older, i), error))
			return FALSE;
	record_add_uint64(record, "value", ATTENDEE_VERSION);
	return txn_put(txn, &txn->store->meta, &key, record, 0, error);
}

/* Rewrites, once, every attendee record an earlier convene wrote in the
 * current version, in one transaction: nothing is lost (every field of
 * theirs is read) and an earlier convene then refuses the store rather
 * than drop what it does not know. A store already upgraded costs one
 * read. */
static gboolean attendees_upgrade(Store *store, GError **error)
{
	StoreTxn *txn = store_read_begin(store, error);
	guint64 version = 0;
	gboolean ok;

	if (txn == NULL)
		return FALSE;
	ok = meta_version(txn, &version, error);
	store_read_end(txn);
	if (!ok)
		return FALSE;
	return version >= ATTENDEE_VERSION || store_write(store, upgrade_txn, NULL, error);
}

typedef struct {
	guint current, older;
} Formats;

static gboolean format_visit(const Where *w, const MDB_val *val, gpointer data, gboolean *more,
			     GError **error)
{
	Formats *f = data;

	(void)w;
	(void)more;
	(void)error;
	if (record_version(val->mv_data, val->mv_size) >= ATTENDEE_VERSION)
		f->current++;
	else
		f->older++;
	return TRUE;
}

gboolean store_attendee_formats(StoreTxn *txn, guint *current, guint *older, GError **error)
{
	Formats f = {0, 0};

	if (!table_foreach(txn, &txn->store->attendees, format_visit, &f, error))
		return FALSE;
	*current = f.current;
	*older = f.older;
	return TRUE;
}

/* --- what has served its time -------------------------------------------------- */

/* The cutoffs of a purge. */
typedef struct {
	gint64 now;
	gint64 sent_before;
	gint64 seen_before;
} StorePurge;

typedef struct {
	const StorePurge *p;
	StorePurged *done;
	guint left;          /* deletions this transaction may still make */
	GPtrArray *keys;     /* GBytes: keys to delete from the table walked */
	const char *field;   /* the time the records are judged by */
	gint64 before;       /* those older than this go */
} Purge;

/* Collects the key of a record whose @field is before the cutoff. A record
 * that does not decode is left for someone to look at. */
static gboolean purge_visit(const Where *w, const MDB_val *val, gpointer data, gboolean *more,
			    GError **error)
{
	Purge *pg = data;
	const RecordSpec spec[] = {{pg->field, RECORD_INT64, TRUE}};
	RecordField f[1];

	(void)error;
	if (record_read(val->mv_data, val->mv_size, spec, 1, f, NULL) &&
	    record_field_int64(&f[0]) < pg->before) {
		g_ptr_array_add(pg->keys, g_bytes_new(w->key->mv_data, w->key->mv_size));
		*more = pg->keys->len < pg->left;
	}
	record_fields_clear(f, 1);
	return TRUE;
}

/* Deletes from @table the records whose @field is before @before, up to
 * pg->left of them; *@count says how many went. */
static gboolean purge_table(StoreTxn *txn, Purge *pg, const Table *table, const char *field,
			    gint64 before, guint *count, GError **error)
{
	g_autoptr(GPtrArray) keys = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);

	if (pg->left == 0)
		return TRUE;
	pg->keys = keys;
	pg->field = field;
	pg->before = before;
	if (!table_foreach(txn, table, purge_visit, pg, error))
		return FALSE;
	for (guint i = 0; i < keys->len; i++) {
		gsize size;
		MDB_val key;

		key.mv_data = (void *)g_bytes_get_data(g_ptr_array_index(keys, i), &size);
		key.mv_size = size;
		if (!txn_del(txn, table, &key, error))
			return FALSE;
	}
	*count += keys->len;
	pg->left -= keys->len;
	return TRUE;
}

/* Collects the sent rows last changed before the cutoff, oldest first. */
static gboolean purge_sent_visit(const Where *w, const MDB_val *val, gpointer data,
				 gboolean *more, GError **error)
{
	Purge *pg = data;
	gint64 when;
	guint64 id;

	(void)val;
	if (w->key->mv_size != sizeof(IndexKey)) {
		corrupt_error(error, w, "not an index key");
		return FALSE;
	}
	index_key_read(w->key, &when, &id);
	if (when >= pg->p->sent_before) {
		*more = FALSE;
		return TRUE;
	}
	g_ptr_array_add(pg->keys, g_bytes_new(w->key->mv_data, w->key->mv_size));
	*more = pg->keys->len < pg->left;
	return TRUE;
}

/* Sent rows' messages and drafts, oldest first: the rows themselves stay
 * (the digest, queue and stats read them). */
static gboolean purge_sent(StoreTxn *txn, Purge *pg, GError **error)
{
	g_autoptr(GPtrArray) keys = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);

	pg->keys = keys;
	if (!table_foreach(txn, &txn->store->outbox_sent, purge_sent_visit, pg, error))
		return FALSE;
	for (guint i = 0; i < keys->len; i++) {
		gsize size;
		MDB_val index = {0, (void *)g_bytes_get_data(g_ptr_array_index(keys, i), &size)};
		MDB_val key;
		gint64 when;
		guint64 id, be;

		index.mv_size = size;
		index_key_read(&index, &when, &id);
		key_for_id(id, &be, &key);
		if (!txn_del(txn, &txn->store->messages, &key, error) ||
		    !txn_del(txn, &txn->store->drafts, &key, error) ||
		    !txn_del(txn, &txn->store->outbox_sent, &index, error))
			return FALSE;
	}
	pg->done->messages += keys->len;
	pg->left -= keys->len;
	return TRUE;
}

static gboolean purge_step(StoreTxn *txn, gpointer data, GError **error)
{
	Purge *pg = data;
	StorePurged before = *pg->done;
	g_autoptr(GString) record = record_new();
	MDB_val key = {strlen(META_PURGED_AT), META_PURGED_AT};
	gboolean ok;

	/* A rerun after a full map starts afresh. */
	pg->left = PURGE_BATCH;
	ok = purge_sent(txn, pg, error) &&
	     purge_table(txn, pg, &txn->store->seen, "when", pg->p->seen_before, &pg->done->seen,
			 error) &&
	     purge_table(txn, pg, &txn->store->rate, "start", pg->p->now - 3600, &pg->done->rates,
			 error) &&
	     purge_table(txn, pg, &txn->store->pending, "expires_at", pg->p->now + 1,
			 &pg->done->pending, error);
	if (!ok) {
		*pg->done = before;
		return FALSE;
	}
	if (pg->left == 0)
		return TRUE; /* more to do, in the next transaction */
	record_add_int64(record, "value", pg->p->now);
	return txn_put(txn, &txn->store->meta, &key, record, 0, error);
}

gboolean store_purge(Store *store, gint64 now, guint keep_days, StorePurged *done,
		     GError **error)
{
	static const RecordSpec spec[] = {{"value", RECORD_INT64, TRUE}};
	MDB_val key = {strlen(META_PURGED_AT), META_PURGED_AT}, val;
	gint64 kept = now - (gint64)keep_days * 24 * 3600;
	StorePurge p = {now, kept, kept};
	StorePurged gone = {0};
	Purge pg = {&p, &gone, 0, NULL, NULL, 0};
	MDB_val compact_key = {strlen(META_COMPACT_DUE), META_COMPACT_DUE};
	RecordField f[1];
	gint64 last = 0;
	StoreTxn *txn;
	StoreForgotten words;
	gboolean found, compact;

	if (done != NULL)
		*done = gone;
	txn = store_read_begin(store, error);
	if (txn == NULL)
		return FALSE;
	if (!txn_get(txn, &store->meta, &compact_key, &val, &compact, error) ||
	    !txn_get(txn, &store->meta, &key, &val, &found, error)) {
		store_read_end(txn);
		return FALSE;
	}
	if (found && record_read(val.mv_data, val.mv_size, spec, 1, f, NULL))
		last = record_field_int64(&f[0]);
	if (found)
		record_fields_clear(f, 1);
	store_read_end(txn);
	if (found && last <= now && now - last < PURGE_EVERY)
		return !compact || store_compact(store, error);
	if (!store_write(store, last_words_purge, &words, error))
		return FALSE;
	compact = compact || words.rows > 0;
	do {
		if (!store_write(store, purge_step, &pg, error))
			return FALSE;
	} while (pg.left == 0);
	if (gone.messages + gone.seen + gone.rates + gone.pending > 0) {
		g_autofree char *m = g_strdup_printf("%u", gone.messages);
		g_autofree char *s = g_strdup_printf("%u", gone.seen);
		g_autofree char *r = g_strdup_printf("%u", gone.rates);
		g_autofree char *q = g_strdup_printf("%u", gone.pending);

		log_event(LOG_INFO, "purged", "sent_messages", m, "message_ids", s, "rate_counters",
			  r, "expired_requests", q, NULL);
	}
	if (done != NULL)
		*done = gone;
	/* Erased data, and the rate counters of an erased person's last
	 * answer, leave the file's free pages. */
	return !compact || store_compact(store, error);
}

/* --- erasure ------------------------------------------------------------------ */

typedef struct {
	StoreTxn *txn;
	GHashTable *people;	 /* lower-case addresses; NULL: everyone */
	const char *const *keep; /* with everyone: whose outbox rows stay */
	StoreForgotten *done;
	GPtrArray *keys;	 /* GBytes: keys to delete from the table walked */
	GPtrArray *entries;	 /* StoreJournalEntry: to write back anonymous */
} Forget;

/* TRUE when @email (@len bytes, any case) is someone being forgotten. */
static gboolean forget_has(const Forget *fg, const char *email, gsize len)
{
	g_autofree char *lower = NULL;

	if (email == NULL)
		return FALSE;
	if (fg->people == NULL)
		return TRUE;
	lower = g_ascii_strdown(email, len);
	return g_hash_table_contains(fg->people, lower);
}

static void forget_key(Forget *fg, const MDB_val *key)
{
	g_ptr_array_add(fg->keys, g_bytes_new(key->mv_data, key->mv_size));
}

/* Deletes the keys collected from @table; adds their number to *@count. */
static gboolean forget_keys(Forget *fg, const Table *table, guint *count, GError **error)
{
	for (guint i = 0; i < fg->keys->len; i++) {
		gsize size;
		MDB_val key;

		key.mv_data = (void *)g_bytes_get_data(g_ptr_array_index(fg->keys, i), &size);
		key.mv_size = size;
		if (!txn_del(fg->txn, table, &key, error))
			return FALSE;
	}
	if (count != NULL)
		*count += fg->keys->len;
	g_ptr_array_set_size(fg->keys, 0);
	return TRUE;
}

/* Message-IDs are no addresses, but some clients make them of one. */
static gboolean forget_seen_visit(const Where *w, const MDB_val *val, gpointer data,
				  gboolean *more, GError **error)
{
	Forget *fg = data;
	g_autofree char *key = g_ascii_strdown(w->key->mv_data, w->key->mv_size);
	GHashTableIter it;
	gpointer email;

	(void)val;
	(void)more;
	(void)error;
	g_hash_table_iter_init(&it, fg->people);
	while (g_hash_table_iter_next(&it, &email, NULL))
		if (strstr(key, email) != NULL) {
			forget_key(fg, w->key);
			break;
		}
	return TRUE;
}

/* Marks are keyed "kind/date/recipient" when they are about a person. */
static gboolean forget_mark_visit(const Where *w, const MDB_val *val, gpointer data,
				  gboolean *more, GError **error)
{
	Forget *fg = data;
	const char *k = w->key->mv_data, *slash = NULL;

	(void)val;
	(void)more;
	(void)error;
	for (gsize i = 0; i < w->key->mv_size; i++)
		if (k[i] == '/')
			slash = k + i;
	if (slash == NULL || memchr(slash, '@', k + w->key->mv_size - slash) == NULL)
		return TRUE;
	if (forget_has(fg, slash + 1, k + w->key->mv_size - slash - 1))
		forget_key(fg, w->key);
	return TRUE;
}

static gboolean forget_pending_visit(const Where *w, const MDB_val *val, gpointer data,
				     gboolean *more, GError **error)
{
	Forget *fg = data;
	RecordField f[PF_N];
	gboolean ok;

	(void)more;
	ok = fields_read(w, val, pending_fields, PF_N, f, error);
	if (ok) {
		const char *email = record_field_string(&f[PF_EMAIL]);
		const char *asked_by = record_field_string(&f[PF_ASKED_BY]);

		if (forget_has(fg, email, strlen(email)) ||
		    (asked_by != NULL && forget_has(fg, asked_by, strlen(asked_by))))
			forget_key(fg, w->key);
	}
	record_fields_clear(f, PF_N);
	return ok;
}

static gboolean forget_journal_visit(const Where *w, const MDB_val *val, gpointer data,
				     gboolean *more, GError **error)
{
	Forget *fg = data;
	g_autoptr(StoreJournalEntry) e = journal_decode(w, val, error);
	StoreJournalEntry *anon;

	(void)more;
	if (e == NULL)
		return FALSE;
	if (strcmp(e->action, STORE_JOURNAL_ANONYMOUS) == 0 ||
	    !forget_has(fg, e->email, strlen(e->email)))
		return TRUE;
	anon = store_journal_entry_new();
	anon->seq = e->seq;
	anon->when = e->when;
	anon->action = g_strdup(STORE_JOURNAL_ANONYMOUS);
	anon->email = g_strdup("");
	anon->detail = g_steal_pointer(&e->action);
	g_ptr_array_add(fg->entries, anon);
	return TRUE;
}

static gboolean forget_outbox_visit(const Where *w, const MDB_val *val, gpointer data,
				    gboolean *more, GError **error)
{
	Forget *fg = data;
	g_autoptr(OutboxRow) row = outbox_decode(fg->txn, w, val, FALSE, error);
	gboolean gone;

	(void)more;
	if (row == NULL)
		return FALSE;
	if (fg->people != NULL)
		gone = forget_has(fg, row->recipient, strlen(row->recipient));
	else
		gone = fg->keep == NULL ||
		       !g_strv_contains((const char *const *)fg->keep, row->recipient);
	if (gone)
		forget_key(fg, w->key);
	return TRUE;
}

/* Deletes the outbox rows whose keys were collected, with their message,
 * draft and index entries. */
static gboolean forget_rows(Forget *fg, GError **error)
{
	StoreTxn *txn = fg->txn;

	for (guint i = 0; i < fg->keys->len; i++) {
		gsize size;
		MDB_val key;
		RowPlace place;
		IndexKey k;
		MDB_val index;
		guint64 be;

		key.mv_data = (void *)g_bytes_get_data(g_ptr_array_index(fg->keys, i), &size);
		key.mv_size = size;
		memcpy(&be, key.mv_data, sizeof be);
		if (!row_place_read(txn, &key, &place, error))
			return FALSE;
		if (place.due) {
			index_key(place.next_try_at, GUINT64_FROM_BE(be), &k, &index);
			if (!txn_del(txn, &txn->store->outbox_due, &index, error))
				return FALSE;
		}
		if (place.sent) {
			index_key(place.updated_at, GUINT64_FROM_BE(be), &k, &index);
			if (!txn_del(txn, &txn->store->outbox_sent, &index, error))
				return FALSE;
		}
		if (!txn_del(txn, &txn->store->messages, &key, error) ||
		    !txn_del(txn, &txn->store->drafts, &key, error) ||
		    !txn_del(txn, &txn->store->outbox, &key, error))
			return FALSE;
	}
	fg->done->rows += fg->keys->len;
	g_ptr_array_set_size(fg->keys, 0);
	return TRUE;
}

/* Empties @table; adds the records it held to *@count. */
static gboolean forget_table(StoreTxn *txn, const Table *table, guint *count, GError **error)
{
	MDB_stat st;
	int rc = mdb_stat(txn->txn, table->dbi, &st);

	if (rc == 0)
		rc = mdb_drop(txn->txn, table->dbi, 0);
	if (rc != 0) {
		if (rc == MDB_MAP_FULL)
			txn->map_full = TRUE;
		set_mdb_error(error, txn->store, rc, "empty %s", table->name);
		return FALSE;
	}
	if (count != NULL)
		*count += st.ms_entries;
	return TRUE;
}

/* Deletes each forgotten person's record from @table, keyed by address. */
static gboolean forget_by_key(Forget *fg, const Table *table, guint *count, GError **error)
{
	GHashTableIter it;
	gpointer email;

	if (fg->people == NULL)
		return forget_table(fg->txn, table, count, error);
	g_hash_table_iter_init(&it, fg->people);
	while (g_hash_table_iter_next(&it, &email, NULL)) {
		g_autofree char *hashed = NULL;
		gboolean found;
		MDB_val key;

		key_for_string(fg->txn->store, email, &hashed, &key);
		if (!txn_del_found(fg->txn, table, &key, &found, error))
			return FALSE;
		if (found && count != NULL)
			(*count)++;
	}
	return TRUE;
}

/* Notes (or clears) that the file holds erased data in its free pages. */
static gboolean compact_due_set(StoreTxn *txn, gboolean due, GError **error)
{
	MDB_val key = {strlen(META_COMPACT_DUE), META_COMPACT_DUE};
	g_autoptr(GString) record = record_new();

	if (!due)
		return txn_del(txn, &txn->store->meta, &key, error);
	record_add_int64(record, "value", 1);
	return txn_put(txn, &txn->store->meta, &key, record, 0, error);
}

static gboolean compact_due_clear(StoreTxn *txn, gpointer data, GError **error)
{
	(void)data;
	return compact_due_set(txn, FALSE, error);
}

static gboolean compact_due_note(StoreTxn *txn, gpointer data, GError **error)
{
	(void)data;
	return compact_due_set(txn, TRUE, error);
}

static gboolean last_word_visit(const Where *w, const MDB_val *val, gpointer data,
				gboolean *more, GError **error)
{
	Forget *fg = data;
	g_autoptr(OutboxRow) row = outbox_decode(fg->txn, w, val, FALSE, error);

	(void)more;
	if (row == NULL)
		return FALSE;
	if (strcmp(row->kind, STORE_KIND_LAST_WORD) == 0 &&
	    (row->state == OUTBOX_SENT || row->state == OUTBOX_FAILED))
		forget_key(fg, w->key);
	return TRUE;
}

/* Deletes, whole, the last words to erased people that are sent or failed. */
static gboolean last_words_purge(StoreTxn *txn, gpointer data, GError **error)
{
	StoreForgotten *done = data;
	g_autoptr(GPtrArray) keys = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
	Forget fg = {txn, NULL, NULL, done, keys, NULL};

	*done = (StoreForgotten){0};
	if (!table_foreach(txn, &txn->store->outbox, last_word_visit, &fg, error) ||
	    !forget_rows(&fg, error))
		return FALSE;
	return done->rows == 0 || compact_due_set(txn, TRUE, error);
}

gboolean store_forget(StoreTxn *txn, GHashTable *people, const char *const *keep,
		      StoreForgotten *done, GError **error)
{
	Store *store = txn->store;
	g_autoptr(GPtrArray) keys = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
	g_autoptr(GPtrArray) entries =
	    g_ptr_array_new_with_free_func((GDestroyNotify)store_journal_entry_free);
	Forget fg = {txn, people, keep, done, keys, entries};

	*done = (StoreForgotten){0};
	if (!forget_by_key(&fg, &store->attendees, &done->attendees, error) ||
	    !forget_by_key(&fg, &store->rate, &done->other, error) ||
	    !forget_by_key(&fg, &store->itineraries, &done->other, error) ||
	    !forget_by_key(&fg, &store->due, &done->other, error))
		return FALSE;
	if (people == NULL) {
		if (!forget_table(txn, &store->seen, &done->other, error) ||
		    !forget_table(txn, &store->waiting, &done->other, error) ||
		    !forget_table(txn, &store->waiting_at, NULL, error))
			return FALSE;
	} else if (!table_foreach(txn, &store->seen, forget_seen_visit, &fg, error) ||
		   !forget_keys(&fg, &store->seen, &done->other, error)) {
		return FALSE;
	}
	if (!table_foreach(txn, &store->marks, forget_mark_visit, &fg, error) ||
	    !forget_keys(&fg, &store->marks, &done->other, error) ||
	    !table_foreach(txn, &store->pending, forget_pending_visit, &fg, error) ||
	    !forget_keys(&fg, &store->pending, &done->requests, error) ||
	    !table_foreach(txn, &store->outbox, forget_outbox_visit, &fg, error) ||
	    !forget_rows(&fg, error) ||
	    !table_foreach(txn, &store->journal, forget_journal_visit, &fg, error))
		return FALSE;
	for (guint i = 0; i < entries->len; i++) {
		StoreJournalEntry *e = g_ptr_array_index(entries, i);
		g_autoptr(GString) record = record_new();
		guint64 be;
		MDB_val key;
		Where w = {store, &store->journal, &key};

		key_for_id(e->seq, &be, &key);
		if (!journal_encode(&w, record, e, e->seq, error) ||
		    !txn_put(txn, &store->journal, &key, record, 0, error))
			return FALSE;
	}
	done->journal = entries->len;
	return compact_due_set(txn, TRUE, error);
}

gboolean store_outbox_drop_content(StoreTxn *txn, guint64 id, GError **error)
{
	MDB_val key;
	guint64 be;

	key_for_id(id, &be, &key);
	return txn_del(txn, &txn->store->messages, &key, error) &&
	       txn_del(txn, &txn->store->drafts, &key, error);
}
