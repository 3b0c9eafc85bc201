/* store.c: convene's durable state in LMDB: attendees, seen Message-IDs, the
 * outbox and the counter that numbers it. The only file that includes lmdb.h.
 * It must never guess at a record it cannot decode, never leave a transaction
 * open past the function that began it, and never open two at once: LMDB
 * allows a thread one transaction at a time. Used from one thread. */
#include "store.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include <glib/gstdio.h>
#include <lmdb.h>

/* Every record is a GVariant "(ua{sv})" in native byte order: the format
 * version, then named fields, so that a later version can add fields and
 * still read these. The version is the first four bytes in every version. */
#define RECORD_VERSION 1
#define RECORD_TYPE "(ua{sv})"

/* A new map starts small and doubles whenever LMDB reports it full. */
#define INITIAL_MAP_SIZE ((size_t)16 << 20)

#define HASHED_KEY_PREFIX "sha256:"
#define META_OUTBOX_NEXT_ID "outbox_next_id"

typedef struct {
	const char *name;
	MDB_dbi dbi;
	gboolean numeric; /* keys are 8-byte big-endian ids */
} Table;

struct _Store {
	MDB_env *env;
	char *dir;
	Table attendees, seen, outbox, meta, rate;
	size_t max_key;
	gboolean busy; /* a transaction is open */
};

struct _StoreTxn {
	Store *store;
	MDB_txn *txn;
	gboolean write;
	gboolean map_full; /* a put hit MDB_MAP_FULL: store_write grows and reruns */
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
static gboolean txn_begin(Store *store, unsigned int flags, MDB_txn **txn, GError **error)
{
	int rc;

	if (store->busy) {
		g_set_error(error, STORE_ERROR, STORE_ERROR_FAILED,
			    "cannot begin a transaction in %s while another is open", store->dir);
		return FALSE;
	}
	while ((rc = mdb_txn_begin(store->env, NULL, flags, txn)) == MDB_MAP_RESIZED) {
		rc = mdb_env_set_mapsize(store->env, 0);
		if (rc != 0) {
			set_mdb_error(error, store, rc,
				      "adopt the map size set by another process");
			return FALSE;
		}
	}
	if (rc != 0) {
		set_mdb_error(error, store, rc, "begin a transaction");
		return FALSE;
	}
	return TRUE;
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

/* Starts the map at INITIAL_MAP_SIZE, or at the data file's size if that is
 * larger, so that reopening a grown store does not hit MDB_MAP_FULL at once. */
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
	if (rc == 0 && g_stat(path, &st) == 0 && (guint64)st.st_size > info.me_mapsize) {
		size = ((size_t)st.st_size + ms.ms_psize - 1) / ms.ms_psize * ms.ms_psize;
		rc = mdb_env_set_mapsize(store->env, size);
	}
	if (rc != 0) {
		set_mdb_error(error, store, rc, "size the map");
		return FALSE;
	}
	return TRUE;
}

Store *store_open(const char *dir, GError **error)
{
	Store *store = g_new0(Store, 1);
	Table *tables[] = {&store->attendees, &store->seen, &store->outbox, &store->meta,
			   &store->rate};
	MDB_txn *txn = NULL;
	gboolean ok = FALSE;
	int dead;
	int rc;

	store->dir = g_strdup(dir);
	store->attendees.name = "attendees";
	store->seen.name = "seen";
	store->outbox.name = "outbox";
	store->outbox.numeric = TRUE;
	store->meta.name = "meta";
	store->rate.name = "rate";

	if (g_mkdir_with_parents(dir, 0700) != 0) {
		int saved = errno;

		g_set_error(error, STORE_ERROR, STORE_ERROR_FAILED, "cannot create %s: %s", dir,
			    g_strerror(saved));
		goto out;
	}
	rc = mdb_env_create(&store->env);
	if (rc != 0) {
		store->env = NULL;
		set_mdb_error(error, store, rc, "create an environment");
		goto out;
	}
	rc = mdb_env_set_maxdbs(store->env, G_N_ELEMENTS(tables));
	if (rc == 0)
		rc = mdb_env_set_mapsize(store->env, INITIAL_MAP_SIZE);
	if (rc == 0)
		rc = mdb_env_open(store->env, dir, 0, 0600);
	if (rc != 0) {
		set_mdb_error(error, store, rc, "open the environment");
		goto out;
	}
	/* Reader slots left by a process that died would pin old pages forever. */
	rc = mdb_reader_check(store->env, &dead);
	if (rc != 0) {
		set_mdb_error(error, store, rc, "clear stale readers");
		goto out;
	}
	store->max_key = mdb_env_get_maxkeysize(store->env);
	if (!store_size_map(store, error))
		goto out;

	if (!txn_begin(store, 0, &txn, error))
		goto out;
	for (guint i = 0; i < G_N_ELEMENTS(tables); i++) {
		rc = mdb_dbi_open(txn, tables[i]->name, MDB_CREATE, &tables[i]->dbi);
		if (rc != 0) {
			mdb_txn_abort(txn);
			set_mdb_error(error, store, rc, "open database %s", tables[i]->name);
			goto out;
		}
	}
	rc = mdb_txn_commit(txn);
	if (rc != 0) {
		set_mdb_error(error, store, rc, "create the databases");
		goto out;
	}
	ok = TRUE;
out:
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
	g_free(store->dir);
	g_free(store);
}

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
		done = fn(&txn, user_data, &local);
		if (done && !txn.map_full)
			rc = mdb_txn_commit(txn.txn);
		else
			mdb_txn_abort(txn.txn);
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
	mdb_txn_abort(txn->txn);
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

/* Stores @record under @key. MDB_MAP_FULL is flagged on @txn so that
 * store_write() grows the map. (LMDB's MDB_RESERVE space is not aligned as
 * GVariant requires to serialise into it, hence g_variant_get_data.) */
static gboolean txn_put(StoreTxn *txn, const Table *table, MDB_val *key, GVariant *record,
			unsigned int flags, GError **error)
{
	g_autofree char *desc = NULL;
	MDB_val val = {g_variant_get_size(record), (void *)g_variant_get_data(record)};
	int rc;

	if (!txn->write) {
		desc = key_describe(table, key);
		g_set_error(error, STORE_ERROR, STORE_ERROR_FAILED,
			    "cannot write %s %s in %s: not a write transaction", table->name, desc,
			    txn->store->dir);
		return FALSE;
	}
	rc = mdb_put(txn->txn, table->dbi, key, &val, flags);
	if (rc != 0) {
		if (rc == MDB_MAP_FULL)
			txn->map_full = TRUE;
		desc = key_describe(table, key);
		set_mdb_error(error, txn->store, rc, "write %s %s", table->name, desc);
		return FALSE;
	}
	return TRUE;
}

static GVariant *record_new(GVariantBuilder *fields)
{
	return g_variant_ref_sink(
	    g_variant_new("(u@a{sv})", RECORD_VERSION, g_variant_builder_end(fields)));
}

/* Returns the fields of the record in @val after checking its version and
 * that it is well formed. The caller unrefs them. */
static GVariant *record_open(const Where *w, const MDB_val *val, GError **error)
{
	g_autoptr(GBytes) bytes = NULL;
	g_autoptr(GVariant) record = NULL;
	g_autofree char *where = NULL;
	guint32 version;

	if (val->mv_size < sizeof version) {
		corrupt_error(error, w, "too short for a format version");
		return NULL;
	}
	memcpy(&version, val->mv_data, sizeof version);
	if (version != RECORD_VERSION) {
		where = where_describe(w);
		g_set_error(error, STORE_ERROR, STORE_ERROR_VERSION,
			    "%s has format version %u; this convene reads version %u", where,
			    version, RECORD_VERSION);
		return NULL;
	}
	/* A copy, because GVariant wants its data aligned and LMDB's is not. */
	bytes = g_bytes_new(val->mv_data, val->mv_size);
	record =
	    g_variant_ref_sink(g_variant_new_from_bytes(G_VARIANT_TYPE(RECORD_TYPE), bytes, FALSE));
	if (!g_variant_is_normal_form(record)) {
		corrupt_error(error, w, "not a well-formed " RECORD_TYPE);
		return NULL;
	}
	return g_variant_get_child_value(record, 1);
}

/* Sets *@value to field @name of @fields, or NULL when it is missing and not
 * @required. A field of another type is corruption, never skipped. */
static gboolean field_get(const Where *w, GVariant *fields, const char *name, const char *type,
			  gboolean required, GVariant **value, GError **error)
{
	g_autoptr(GVariant) v = g_variant_lookup_value(fields, name, NULL);
	g_autofree char *why = NULL;

	*value = NULL;
	if (v == NULL && !required)
		return TRUE;
	if (v == NULL || !g_variant_is_of_type(v, G_VARIANT_TYPE(type))) {
		why = g_strdup_printf("field %s is %s", name,
				      v == NULL ? "missing" : "of the wrong type");
		corrupt_error(error, w, why);
		return FALSE;
	}
	*value = g_steal_pointer(&v);
	return TRUE;
}

static gboolean field_string(const Where *w, GVariant *fields, const char *name, gboolean required,
			     char **out, GError **error)
{
	g_autoptr(GVariant) v = NULL;

	if (!field_get(w, fields, name, "s", required, &v, error))
		return FALSE;
	*out = v != NULL ? g_variant_dup_string(v, NULL) : NULL;
	return TRUE;
}

static gboolean field_strings(const Where *w, GVariant *fields, const char *name, GPtrArray *to,
			      GError **error)
{
	g_autoptr(GVariant) v = NULL;
	GVariantIter iter;
	const char *s;

	if (!field_get(w, fields, name, "as", FALSE, &v, error))
		return FALSE;
	if (v == NULL)
		return TRUE;
	g_variant_iter_init(&iter, v);
	while (g_variant_iter_next(&iter, "&s", &s))
		g_ptr_array_add(to, g_strdup(s));
	return TRUE;
}

static gboolean field_int64(const Where *w, GVariant *fields, const char *name, gint64 *out,
			    GError **error)
{
	g_autoptr(GVariant) v = NULL;

	if (!field_get(w, fields, name, "x", TRUE, &v, error))
		return FALSE;
	*out = g_variant_get_int64(v);
	return TRUE;
}

static gboolean field_uint64(const Where *w, GVariant *fields, const char *name, guint64 *out,
			     GError **error)
{
	g_autoptr(GVariant) v = NULL;

	if (!field_get(w, fields, name, "t", TRUE, &v, error))
		return FALSE;
	*out = g_variant_get_uint64(v);
	return TRUE;
}

/* Adds @value under @name unless it is NULL; GVariant strings must be UTF-8,
 * and text that is not is refused rather than altered. */
static gboolean add_string(const Where *w, GVariantBuilder *b, const char *name, const char *value,
			   GError **error)
{
	g_autofree char *where = NULL;

	if (value == NULL)
		return TRUE;
	if (!g_utf8_validate(value, -1, NULL)) {
		where = where_describe(w);
		g_set_error(error, STORE_ERROR, STORE_ERROR_FAILED,
			    "cannot store %s: field %s is not valid UTF-8", where, name);
		return FALSE;
	}
	g_variant_builder_add(b, "{sv}", name, g_variant_new_string(value));
	return TRUE;
}

static gboolean add_strings(const Where *w, GVariantBuilder *b, const char *name,
			    const GPtrArray *values, GError **error)
{
	g_autofree char *where = NULL;

	for (guint i = 0; i < values->len; i++) {
		if (!g_utf8_validate(g_ptr_array_index(values, i), -1, NULL)) {
			where = where_describe(w);
			g_set_error(error, STORE_ERROR, STORE_ERROR_FAILED,
				    "cannot store %s: an entry of %s is not valid UTF-8", where,
				    name);
			return FALSE;
		}
	}
	g_variant_builder_add(b, "{sv}", name,
			      g_variant_new_strv((const char *const *)values->pdata, values->len));
	return TRUE;
}

static GVariant *attendee_encode(const Where *w, const Attendee *a, GError **error)
{
	g_auto(GVariantBuilder) b = G_VARIANT_BUILDER_INIT(G_VARIANT_TYPE_VARDICT);

	if (!add_string(w, &b, "email", a->email, error) ||
	    !add_string(w, &b, "name", a->name, error) ||
	    !add_string(w, &b, "organisation", a->organisation, error) ||
	    !add_string(w, &b, "country", a->country, error) ||
	    !add_string(w, &b, "role", a->role, error) ||
	    !add_string(w, &b, "delegation", a->delegation, error) ||
	    !add_string(w, &b, "language", a->language, error) ||
	    !add_strings(w, &b, "days", a->days, error) ||
	    !add_strings(w, &b, "activities", a->activities, error) ||
	    !add_strings(w, &b, "waitlist", a->waitlist, error) ||
	    !add_string(w, &b, "diet", a->diet, error) ||
	    !add_string(w, &b, "accessibility", a->accessibility, error) ||
	    !add_string(w, &b, "arrival", a->arrival, error) ||
	    !add_string(w, &b, "departure", a->departure, error))
		return NULL;
	g_variant_builder_add(&b, "{sv}", "status",
			      g_variant_new_string(attendee_status_to_string(a->status)));
	g_variant_builder_add(&b, "{sv}", "registered_at", g_variant_new_int64(a->registered_at));
	g_variant_builder_add(&b, "{sv}", "updated_at", g_variant_new_int64(a->updated_at));
	return record_new(&b);
}

static Attendee *attendee_decode(const Where *w, const MDB_val *val, GError **error)
{
	g_autoptr(GVariant) f = record_open(w, val, error);
	g_autoptr(Attendee) a = NULL;
	g_autofree char *status = NULL;

	if (f == NULL)
		return NULL;
	a = attendee_new();
	if (!field_string(w, f, "email", TRUE, &a->email, error) ||
	    !field_string(w, f, "name", FALSE, &a->name, error) ||
	    !field_string(w, f, "organisation", FALSE, &a->organisation, error) ||
	    !field_string(w, f, "country", FALSE, &a->country, error) ||
	    !field_string(w, f, "role", FALSE, &a->role, error) ||
	    !field_string(w, f, "delegation", FALSE, &a->delegation, error) ||
	    !field_string(w, f, "language", FALSE, &a->language, error) ||
	    !field_string(w, f, "status", TRUE, &status, error) ||
	    !field_strings(w, f, "days", a->days, error) ||
	    !field_strings(w, f, "activities", a->activities, error) ||
	    !field_strings(w, f, "waitlist", a->waitlist, error) ||
	    !field_string(w, f, "diet", FALSE, &a->diet, error) ||
	    !field_string(w, f, "accessibility", FALSE, &a->accessibility, error) ||
	    !field_string(w, f, "arrival", FALSE, &a->arrival, error) ||
	    !field_string(w, f, "departure", FALSE, &a->departure, error) ||
	    !field_int64(w, f, "registered_at", &a->registered_at, error) ||
	    !field_int64(w, f, "updated_at", &a->updated_at, error))
		return NULL;
	if (!attendee_status_from_string(status, &a->status)) {
		corrupt_error(error, w, "unknown status");
		return NULL;
	}
	return g_steal_pointer(&a);
}

static GVariant *outbox_encode(const Where *w, const OutboxRow *row, guint64 id, GError **error)
{
	g_auto(GVariantBuilder) b = G_VARIANT_BUILDER_INIT(G_VARIANT_TYPE_VARDICT);

	if (!add_string(w, &b, "kind", row->kind, error) ||
	    !add_string(w, &b, "sender", row->sender, error) ||
	    !add_string(w, &b, "recipient", row->recipient, error) ||
	    !add_string(w, &b, "message_id", row->message_id, error) ||
	    !add_string(w, &b, "last_reply", row->last_reply, error))
		return NULL;
	g_variant_builder_add(&b, "{sv}", "id", g_variant_new_uint64(id));
	g_variant_builder_add(&b, "{sv}", "state",
			      g_variant_new_string(outbox_state_to_string(row->state)));
	if (row->message != NULL)
		g_variant_builder_add(
		    &b, "{sv}", "message",
		    g_variant_new_from_bytes(G_VARIANT_TYPE_BYTESTRING, row->message, TRUE));
	g_variant_builder_add(&b, "{sv}", "attempts", g_variant_new_uint32(row->attempts));
	g_variant_builder_add(&b, "{sv}", "created_at", g_variant_new_int64(row->created_at));
	g_variant_builder_add(&b, "{sv}", "updated_at", g_variant_new_int64(row->updated_at));
	g_variant_builder_add(&b, "{sv}", "next_try_at", g_variant_new_int64(row->next_try_at));
	return record_new(&b);
}

static OutboxRow *outbox_decode(const Where *w, const MDB_val *val, GError **error)
{
	g_autoptr(GVariant) f = record_open(w, val, error);
	g_autoptr(OutboxRow) row = NULL;
	g_autoptr(GVariant) message = NULL;
	g_autoptr(GVariant) attempts = NULL;
	g_autofree char *state = NULL;
	guint64 be = 0;

	if (f == NULL)
		return NULL;
	row = outbox_row_new();
	if (!field_uint64(w, f, "id", &row->id, error) ||
	    !field_string(w, f, "state", TRUE, &state, error) ||
	    !field_string(w, f, "kind", FALSE, &row->kind, error) ||
	    !field_string(w, f, "sender", FALSE, &row->sender, error) ||
	    !field_string(w, f, "recipient", FALSE, &row->recipient, error) ||
	    !field_string(w, f, "message_id", FALSE, &row->message_id, error) ||
	    !field_get(w, f, "message", "ay", FALSE, &message, error) ||
	    !field_get(w, f, "attempts", "u", TRUE, &attempts, error) ||
	    !field_int64(w, f, "created_at", &row->created_at, error) ||
	    !field_int64(w, f, "updated_at", &row->updated_at, error) ||
	    !field_int64(w, f, "next_try_at", &row->next_try_at, error) ||
	    !field_string(w, f, "last_reply", FALSE, &row->last_reply, error))
		return NULL;
	if (w->key->mv_size == sizeof be)
		memcpy(&be, w->key->mv_data, sizeof be);
	if (w->key->mv_size != sizeof be || row->id != GUINT64_FROM_BE(be)) {
		corrupt_error(error, w, "its id is not its key");
		return NULL;
	}
	if (!outbox_state_from_string(state, &row->state)) {
		corrupt_error(error, w, "unknown state");
		return NULL;
	}
	if (message != NULL)
		row->message = g_variant_get_data_as_bytes(message);
	row->attempts = g_variant_get_uint32(attempts);
	return g_steal_pointer(&row);
}

/* One record met by table_foreach(); clears *@more to stop there. */
typedef gboolean (*Visit)(const Where *w, const MDB_val *val, gpointer data, gboolean *more,
			  GError **error);

static gboolean table_foreach(StoreTxn *txn, const Table *table, Visit visit, gpointer data,
			      GError **error)
{
	MDB_cursor *cursor = NULL;
	MDB_val key, val;
	gboolean more = TRUE;
	gboolean ok = FALSE;
	int rc;

	rc = mdb_cursor_open(txn->txn, table->dbi, &cursor);
	if (rc != 0) {
		cursor = NULL;
		set_mdb_error(error, txn->store, rc, "open a cursor on %s", table->name);
		goto out;
	}
	rc = mdb_cursor_get(cursor, &key, &val, MDB_FIRST);
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
	g_autoptr(GVariant) record = NULL;
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
} AttendeeVisit;

static gboolean attendee_visit(const Where *w, const MDB_val *val, gpointer data, gboolean *more,
			       GError **error)
{
	AttendeeVisit *v = data;
	g_autoptr(Attendee) a = attendee_decode(w, val, error);

	if (a == NULL)
		return FALSE;
	*more = v->fn(a, v->user_data);
	return TRUE;
}

gboolean store_attendee_foreach(StoreTxn *txn, StoreAttendeeFunc fn, gpointer user_data,
				GError **error)
{
	AttendeeVisit v = {fn, user_data};

	return table_foreach(txn, &txn->store->attendees, attendee_visit, &v, error);
}

gboolean store_seen_has(StoreTxn *txn, const char *message_id, gboolean *seen, GError **error)
{
	g_autofree char *hashed = NULL;
	g_autoptr(GVariant) fields = NULL;
	MDB_val key, val;
	gboolean found;
	gint64 when;
	Where w = {txn->store, &txn->store->seen, &key};

	key_for_string(txn->store, message_id, &hashed, &key);
	if (!txn_get(txn, &txn->store->seen, &key, &val, &found, error))
		return FALSE;
	/* Decoded only to refuse a record of another version. */
	if (found) {
		fields = record_open(&w, &val, error);
		if (fields == NULL || !field_int64(&w, fields, "when", &when, error))
			return FALSE;
	}
	*seen = found;
	return TRUE;
}

gboolean store_seen_add(StoreTxn *txn, const char *message_id, gint64 when, GError **error)
{
	g_auto(GVariantBuilder) b = G_VARIANT_BUILDER_INIT(G_VARIANT_TYPE_VARDICT);
	g_autofree char *hashed = NULL;
	g_autoptr(GVariant) record = NULL;
	MDB_val key;

	key_for_string(txn->store, message_id, &hashed, &key);
	g_variant_builder_add(&b, "{sv}", "when", g_variant_new_int64(when));
	record = record_new(&b);
	return txn_put(txn, &txn->store->seen, &key, record, 0, error);
}

gboolean store_rate_take(StoreTxn *txn, const char *address, gint64 now, guint limit,
			 gboolean *allowed, GError **error)
{
	g_auto(GVariantBuilder) b = G_VARIANT_BUILDER_INIT(G_VARIANT_TYPE_VARDICT);
	g_autofree char *hashed = NULL;
	g_autoptr(GVariant) fields = NULL, record = NULL;
	gint64 start = now, count = 0;
	MDB_val key, val;
	gboolean found;
	Where w = {txn->store, &txn->store->rate, &key};

	key_for_string(txn->store, address, &hashed, &key);
	if (!txn_get(txn, &txn->store->rate, &key, &val, &found, error))
		return FALSE;
	if (found) {
		fields = record_open(&w, &val, error);
		if (fields == NULL || !field_int64(&w, fields, "start", &start, error) ||
		    !field_int64(&w, fields, "count", &count, error))
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
	g_variant_builder_add(&b, "{sv}", "start", g_variant_new_int64(start));
	g_variant_builder_add(&b, "{sv}", "count", g_variant_new_int64(count + 1));
	record = record_new(&b);
	return txn_put(txn, &txn->store->rate, &key, record, 0, error);
}

/* The id store_outbox_add() assigns next: 1 in a new store. */
static gboolean meta_next_id(StoreTxn *txn, guint64 *next, GError **error)
{
	g_autoptr(GVariant) fields = NULL;
	MDB_val key = {strlen(META_OUTBOX_NEXT_ID), META_OUTBOX_NEXT_ID};
	MDB_val val;
	gboolean found;
	Where w = {txn->store, &txn->store->meta, &key};

	if (!txn_get(txn, &txn->store->meta, &key, &val, &found, error))
		return FALSE;
	if (!found) {
		*next = 1;
		return TRUE;
	}
	fields = record_open(&w, &val, error);
	return fields != NULL && field_uint64(&w, fields, "value", next, error);
}

static gboolean meta_set_next_id(StoreTxn *txn, guint64 next, GError **error)
{
	g_auto(GVariantBuilder) b = G_VARIANT_BUILDER_INIT(G_VARIANT_TYPE_VARDICT);
	g_autoptr(GVariant) record = NULL;
	MDB_val key = {strlen(META_OUTBOX_NEXT_ID), META_OUTBOX_NEXT_ID};

	g_variant_builder_add(&b, "{sv}", "value", g_variant_new_uint64(next));
	record = record_new(&b);
	return txn_put(txn, &txn->store->meta, &key, record, 0, error);
}

static gboolean outbox_write(StoreTxn *txn, const OutboxRow *row, guint64 id, unsigned int flags,
			     GError **error)
{
	g_autoptr(GVariant) record = NULL;
	guint64 be;
	MDB_val key;

	key_for_id(id, &be, &key);
	record = outbox_encode(&(Where){txn->store, &txn->store->outbox, &key}, row, id, error);
	if (record == NULL)
		return FALSE;
	return txn_put(txn, &txn->store->outbox, &key, record, flags, error);
}

gboolean store_outbox_add(StoreTxn *txn, OutboxRow *row, GError **error)
{
	guint64 id;

	/* MDB_NOOVERWRITE: an existing row under a fresh id means the counter
	 * went wrong, and overwriting would lose a message. */
	if (!meta_next_id(txn, &id, error) || !outbox_write(txn, row, id, MDB_NOOVERWRITE, error) ||
	    !meta_set_next_id(txn, id + 1, error))
		return FALSE;
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

OutboxRow *store_outbox_get(StoreTxn *txn, guint64 id, GError **error)
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
	return outbox_decode(&(Where){txn->store, &txn->store->outbox, &key}, &val, error);
}

typedef struct {
	StoreOutboxFunc fn;
	gpointer user_data;
} OutboxVisit;

static gboolean outbox_visit(const Where *w, const MDB_val *val, gpointer data, gboolean *more,
			     GError **error)
{
	OutboxVisit *v = data;
	g_autoptr(OutboxRow) row = outbox_decode(w, val, error);

	if (row == NULL)
		return FALSE;
	*more = v->fn(row, v->user_data);
	return TRUE;
}

gboolean store_outbox_foreach(StoreTxn *txn, StoreOutboxFunc fn, gpointer user_data, GError **error)
{
	OutboxVisit v = {fn, user_data};

	return table_foreach(txn, &txn->store->outbox, outbox_visit, &v, error);
}
