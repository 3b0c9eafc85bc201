/* SPDX-License-Identifier: ISC */
/* test-outbox.c: the outbox over time: rows due are found through an index
 * in order of their next try, a store written before the index gets it on
 * opening, a row stored again keeps its message, and the purge takes what
 * has served its time and nothing else. lmdb.h is included only to make a
 * store look as an older convene left it. */

#include "autoconfig.h"

#include "store.h"

#include <string.h>

#include <glib/gstdio.h>
#include <lmdb.h>

#define DAY (24 * 3600)
#define NOW ((gint64)1757894400) /* 2025-09-15T00:00:00Z */

static char *scratch_new(void)
{
	g_autoptr(GError) error = NULL;
	char *dir = g_dir_make_tmp("test-outbox-XXXXXX", &error);

	g_assert_no_error(error);
	return dir;
}

static void scratch_free(char *dir)
{
	g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
	const char *name;

	while (d != NULL && (name = g_dir_read_name(d)) != NULL) {
		g_autofree char *path = g_build_filename(dir, name, NULL);

		g_assert_cmpint(g_remove(path), ==, 0);
	}
	g_assert_cmpint(g_rmdir(dir), ==, 0);
	g_free(dir);
}

static Store *open_store(const char *dir)
{
	g_autoptr(GError) error = NULL;
	Store *store = store_open(dir, &error);

	g_assert_no_error(error);
	g_assert_nonnull(store);
	return store;
}

/* A row in @state, next tried at @next, last changed at @updated. */
typedef struct {
	OutboxState state;
	gint64 next, updated;
} RowSpec;

typedef struct {
	const RowSpec *specs;
	guint n;
} AddRows;

static gboolean add_rows(StoreTxn *txn, gpointer data, GError **error)
{
	AddRows *a = data;

	for (guint i = 0; i < a->n; i++) {
		g_autoptr(OutboxRow) row = outbox_row_new();
		char *text = g_strdup_printf("Subject: %u\n\nmessage\n", i + 1);

		row->state = a->specs[i].state;
		row->kind = g_strdup("registered");
		row->recipient = g_strdup_printf("p%u@example.fi", i + 1);
		row->message_id = g_strdup_printf("%u@campus.example.org", i + 1);
		row->message = g_bytes_new_take(text, strlen(text));
		row->draft = g_bytes_new_static("draft", 5);
		row->next_try_at = a->specs[i].next;
		row->created_at = a->specs[i].updated;
		row->updated_at = a->specs[i].updated;
		if (!store_outbox_add(txn, row, error))
			return FALSE;
	}
	return TRUE;
}

static void store_rows(Store *store, const RowSpec *specs, guint n)
{
	g_autoptr(GError) error = NULL;
	AddRows a = {specs, n};

	g_assert_true(store_write(store, add_rows, &a, &error));
	g_assert_no_error(error);
}

static gboolean note_id(const OutboxRow *row, gpointer data)
{
	g_assert_null(row->message);
	g_assert_null(row->draft);
	g_array_append_val((GArray *)data, row->id);
	return TRUE;
}

/* The ids due at @until, in the order the index gives them. */
static char *due_at(Store *store, gint64 until, guint *later)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GArray) ids = g_array_new(FALSE, FALSE, sizeof(guint64));
	g_autoptr(GString) out = g_string_new(NULL);
	StoreTxn *txn = store_read_begin(store, &error);

	g_assert_no_error(error);
	g_assert_true(store_outbox_foreach_due(txn, until, note_id, ids, later, &error));
	g_assert_no_error(error);
	store_read_end(txn);
	for (guint i = 0; i < ids->len; i++)
		g_string_append_printf(out, "%s%" G_GUINT64_FORMAT, i > 0 ? " " : "",
				       g_array_index(ids, guint64, i));
	return g_string_free(g_steal_pointer(&out), FALSE);
}

static const RowSpec six[] = {
    {OUTBOX_QUEUED, 100, 1}, {OUTBOX_QUEUED, 50, 1}, {OUTBOX_SENT, 0, 1},
    {OUTBOX_SENDING, 10, 1}, {OUTBOX_FAILED, 0, 1},  {OUTBOX_QUEUED, 500, 1},
};

typedef struct {
	guint64 id;
	OutboxState state;
	gint64 next;
} Change;

static gboolean change_row(StoreTxn *txn, gpointer data, GError **error)
{
	Change *c = data;
	g_autoptr(OutboxRow) row = store_outbox_get(txn, c->id, error);

	if (row == NULL)
		return FALSE;
	row->state = c->state;
	row->next_try_at = c->next;
	return store_outbox_put(txn, row, error);
}

static void change(Store *store, guint64 id, OutboxState state, gint64 next)
{
	g_autoptr(GError) error = NULL;
	Change c = {id, state, next};

	g_assert_true(store_write(store, change_row, &c, &error));
	g_assert_no_error(error);
}

static void test_due_index(void)
{
	char *dir = scratch_new();
	Store *store = open_store(dir);
	g_autofree char *due = NULL, *after = NULL, *moved = NULL, *all = NULL;
	guint later = 99;

	store_rows(store, six, G_N_ELEMENTS(six));
	/* Queued or sending, by next try; sent and failed rows are not there. */
	due = due_at(store, 200, &later);
	g_assert_cmpstr(due, ==, "4 2 1");
	g_assert_cmpuint(later, ==, 1);

	/* A row sent leaves the index; a row deferred moves in it. */
	change(store, 2, OUTBOX_SENT, 50);
	change(store, 6, OUTBOX_QUEUED, 20);
	after = due_at(store, 200, &later);
	g_assert_cmpstr(after, ==, "4 6 1");
	g_assert_cmpuint(later, ==, 0);

	/* A failed row queued again comes back. */
	change(store, 5, OUTBOX_QUEUED, 0);
	moved = due_at(store, 15, &later);
	g_assert_cmpstr(moved, ==, "5 4");
	g_assert_cmpuint(later, ==, 2);

	/* After reopening, as it was. */
	store_close(store);
	store = open_store(dir);
	all = due_at(store, G_MAXINT64, NULL);
	g_assert_cmpstr(all, ==, "5 4 6 1");
	store_close(store);
	scratch_free(dir);
}

/* A store from before the index: its tables dropped and its mark gone. */
static void forget_index(const char *dir)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi due, sent, meta;
	MDB_val key = {strlen("outbox_indexed"), "outbox_indexed"};

	g_assert_cmpint(mdb_env_create(&env), ==, 0);
	g_assert_cmpint(mdb_env_set_maxdbs(env, 32), ==, 0);
	g_assert_cmpint(mdb_env_open(env, dir, 0, 0600), ==, 0);
	g_assert_cmpint(mdb_txn_begin(env, NULL, 0, &txn), ==, 0);
	g_assert_cmpint(mdb_dbi_open(txn, "outbox_due", 0, &due), ==, 0);
	g_assert_cmpint(mdb_dbi_open(txn, "outbox_sent", 0, &sent), ==, 0);
	g_assert_cmpint(mdb_dbi_open(txn, "meta", 0, &meta), ==, 0);
	g_assert_cmpint(mdb_drop(txn, due, 1), ==, 0);
	g_assert_cmpint(mdb_drop(txn, sent, 1), ==, 0);
	g_assert_cmpint(mdb_del(txn, meta, &key, NULL), ==, 0);
	g_assert_cmpint(mdb_txn_commit(txn), ==, 0);
	mdb_env_close(env);
}

static void test_index_built_on_opening(void)
{
	char *dir = scratch_new();
	Store *store = open_store(dir);
	g_autofree char *due = NULL;

	store_rows(store, six, G_N_ELEMENTS(six));
	store_close(store);
	forget_index(dir);
	store = open_store(dir);
	due = due_at(store, G_MAXINT64, NULL);
	g_assert_cmpstr(due, ==, "4 2 1 6");
	store_close(store);
	scratch_free(dir);
}

static gboolean set_state_listed(const OutboxRow *row, gpointer data)
{
	GPtrArray *copies = data;
	OutboxRow *c = outbox_row_new();

	c->id = row->id;
	c->state = OUTBOX_FAILED;
	c->kind = g_strdup(row->kind);
	c->recipient = g_strdup(row->recipient);
	c->created_at = row->created_at;
	c->updated_at = row->updated_at;
	g_ptr_array_add(copies, c);
	return TRUE;
}

static gboolean store_listed(StoreTxn *txn, gpointer data, GError **error)
{
	g_autoptr(GPtrArray) copies =
	    g_ptr_array_new_with_free_func((GDestroyNotify)outbox_row_free);

	(void)data;
	if (!store_outbox_foreach(txn, set_state_listed, copies, error))
		return FALSE;
	for (guint i = 0; i < copies->len; i++)
		if (!store_outbox_put(txn, g_ptr_array_index(copies, i), error))
			return FALSE;
	return TRUE;
}

static void test_put_keeps_message(void)
{
	char *dir = scratch_new();
	Store *store = open_store(dir);
	g_autoptr(GError) error = NULL;
	g_autoptr(OutboxRow) row = NULL;
	StoreTxn *txn;

	store_rows(store, six, 2);
	/* Rows read without their message, changed and stored again. */
	g_assert_true(store_write(store, store_listed, NULL, &error));
	g_assert_no_error(error);
	txn = store_read_begin(store, &error);
	row = store_outbox_get(txn, 2, &error);
	g_assert_no_error(error);
	store_read_end(txn);
	g_assert_cmpint(row->state, ==, OUTBOX_FAILED);
	g_assert_nonnull(row->message);
	g_assert_cmpmem(g_bytes_get_data(row->message, NULL), g_bytes_get_size(row->message),
			"Subject: 2\n\nmessage\n", 20);
	g_assert_nonnull(row->draft);
	store_close(store);
	scratch_free(dir);
}

static gboolean add_extras(StoreTxn *txn, gpointer data, GError **error)
{
	static const char *const ids[] = {"old@x", "recent@x", "today@x"};
	static const gint64 when[] = {NOW - 40 * DAY, NOW - 10 * DAY, NOW};
	StorePending old = {.token = "a0000000000000000000000000000000000000000000000000",
			    .email = "a@x",
			    .action = "register",
			    .created_at = NOW - 8 * DAY,
			    .expires_at = NOW - DAY};
	StorePending live = {.token = "b0000000000000000000000000000000000000000000000000",
			     .email = "b@x",
			     .action = "register",
			     .created_at = NOW - DAY,
			     .expires_at = NOW + 6 * DAY};
	gboolean allowed;

	(void)data;
	for (guint i = 0; i < G_N_ELEMENTS(ids); i++)
		if (!store_seen_add(txn, ids[i], when[i], error))
			return FALSE;
	return store_pending_put(txn, &old, error) && store_pending_put(txn, &live, error) &&
	       store_rate_take(txn, "gone@x", NOW - 2 * 3600, 10, &allowed, error) &&
	       store_rate_take(txn, "busy@x", NOW - 600, 10, &allowed, error);
}

typedef struct {
	gboolean seen[3];
	gboolean pending[2];
	gboolean message[6];
	OutboxState state[6];
} Left;

static gboolean read_left(StoreTxn *txn, gpointer data, GError **error)
{
	static const char *const ids[] = {"old@x", "recent@x", "today@x"};
	static const char *const tokens[] = {"a0000000000000000000000000000000000000000000000000",
					     "b0000000000000000000000000000000000000000000000000"};
	Left *l = data;

	for (guint i = 0; i < 3; i++)
		if (!store_seen_has(txn, ids[i], &l->seen[i], error))
			return FALSE;
	for (guint i = 0; i < 2; i++) {
		g_autoptr(StorePending) p = store_pending_get(txn, tokens[i], error);

		l->pending[i] = p != NULL;
	}
	for (guint i = 0; i < 6; i++) {
		g_autoptr(OutboxRow) row = store_outbox_get(txn, i + 1, error);

		if (row == NULL)
			return FALSE;
		l->message[i] = row->message != NULL && row->draft != NULL;
		l->state[i] = row->state;
	}
	return TRUE;
}

static void test_purge(void)
{
	static const RowSpec rows[] = {
	    {OUTBOX_SENT, 0, NOW - 31 * DAY},	{OUTBOX_SENT, 0, NOW - 29 * DAY},
	    {OUTBOX_FAILED, 0, NOW - 40 * DAY}, {OUTBOX_QUEUED, NOW, NOW - 40 * DAY},
	    {OUTBOX_SENT, 0, NOW - 45 * DAY},	{OUTBOX_SENT, 0, NOW},
	};
	char *dir = scratch_new();
	Store *store = open_store(dir);
	g_autoptr(GError) error = NULL;
	StorePurged done;
	StoreTxn *txn;
	Left left;

	store_rows(store, rows, G_N_ELEMENTS(rows));
	g_assert_true(store_write(store, add_extras, NULL, &error));
	g_assert_no_error(error);

	g_assert_true(store_purge(store, NOW, 30, &done, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(done.messages, ==, 2);
	g_assert_cmpuint(done.seen, ==, 1);
	g_assert_cmpuint(done.rates, ==, 1);
	g_assert_cmpuint(done.pending, ==, 1);

	txn = store_read_begin(store, &error);
	g_assert_true(read_left(txn, &left, &error));
	g_assert_no_error(error);
	store_read_end(txn);
	/* Sent more than 30 days ago: the rows stay, their text goes. */
	g_assert_false(left.message[0]);
	g_assert_false(left.message[4]);
	g_assert_cmpint(left.state[0], ==, OUTBOX_SENT);
	/* Sent lately, failed (it may be retried) or still queued: kept. */
	g_assert_true(left.message[1]);
	g_assert_true(left.message[2]);
	g_assert_true(left.message[3]);
	g_assert_true(left.message[5]);
	g_assert_false(left.seen[0]);
	g_assert_true(left.seen[1]);
	g_assert_true(left.seen[2]);
	g_assert_false(left.pending[0]);
	g_assert_true(left.pending[1]);

	/* Within the hour it does not run again; an hour later, nothing is left
	 * to take. */
	g_assert_true(store_purge(store, NOW + 600, 1, &done, &error));
	g_assert_cmpuint(done.messages + done.seen + done.rates + done.pending, ==, 0);
	g_assert_true(store_purge(store, NOW + 3600, 30, &done, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(done.messages + done.seen + done.pending, ==, 0);
	g_assert_cmpuint(done.rates, ==, 1); /* busy@x's hour is over too */

	store_close(store);
	scratch_free(dir);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/outbox/due-index", test_due_index);
	g_test_add_func("/outbox/index-built-on-opening", test_index_built_on_opening);
	g_test_add_func("/outbox/put-keeps-message", test_put_keeps_message);
	g_test_add_func("/outbox/purge", test_purge);
	return g_test_run();
}
