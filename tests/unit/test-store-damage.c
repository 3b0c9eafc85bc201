/* SPDX-License-Identifier: ISC */
/* test-store-damage.c: a damaged store is refused, never mistaken: a data
 * file cut short, emptied beside the store's secret, or not LMDB's is
 * refused on opening, before anything maps it; a file short only by free
 * pages opens; one attendee record that does not decode is named, and the
 * others are still read. lmdb.h is included only to damage a record the
 * way a disk would. */

#include "autoconfig.h"

#include "store.h"

#include <fcntl.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <lmdb.h>

static char *scratch_new(void)
{
	g_autoptr(GError) error = NULL;
	char *dir = g_dir_make_tmp("test-store-damage-XXXXXX", &error);

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

static char *data_file(const char *dir)
{
	return g_build_filename(dir, "data.mdb", NULL);
}

static gboolean add_attendees(StoreTxn *txn, gpointer data, GError **error)
{
	guint n = GPOINTER_TO_UINT(data);

	for (guint i = 0; i < n; i++) {
		g_autoptr(Attendee) a = attendee_new();

		a->email = g_strdup_printf("p%04u@example.fi", i);
		a->name = g_strdup_printf("Person %u, whose name is long enough to fill pages", i);
		a->status = ATTENDEE_CONFIRMED;
		if (!store_attendee_put(txn, a, error))
			return FALSE;
	}
	return TRUE;
}

/* A store of @n attendees in @dir, closed. */
static void store_made(const char *dir, guint n)
{
	g_autoptr(GError) error = NULL;
	Store *store = store_open(dir, &error);

	g_assert_no_error(error);
	g_assert_true(store_write(store, add_attendees, GUINT_TO_POINTER(n), &error));
	g_assert_no_error(error);
	store_close(store);
}

static void assert_refused(const char *dir, const char *why)
{
	g_autoptr(GError) error = NULL;
	Store *store = store_open(dir, &error);

	g_assert_null(store);
	g_assert_error(error, STORE_ERROR, STORE_ERROR_DAMAGED);
	g_assert_nonnull(strstr(error->message, why));
	g_assert_nonnull(strstr(error->message, "backup"));
}

static void test_cut_short(void)
{
	char *dir = scratch_new();
	g_autofree char *path = data_file(dir);
	GStatBuf st;

	store_made(dir, 3000);
	g_assert_cmpint(g_stat(path, &st), ==, 0);
	g_assert_cmpint(truncate(path, st.st_size / 2), ==, 0);
	assert_refused(dir, "cut short");
	scratch_free(dir);
}

static void test_emptied(void)
{
	char *dir = scratch_new();
	g_autofree char *path = data_file(dir);
	g_autofree char *secret = g_build_filename(dir, "secret", NULL);
	g_autoptr(GError) error = NULL;
	Store *store;

	store_made(dir, 10);
	g_assert_true(g_file_set_contents(secret, "0123456789abcdef0123456789abcdef", 32, NULL));
	g_assert_cmpint(truncate(path, 0), ==, 0);
	assert_refused(dir, "empty");

	/* Without a secret beside it, an empty file is a store never written. */
	g_assert_cmpint(g_unlink(secret), ==, 0);
	store = store_open(dir, &error);
	g_assert_no_error(error);
	g_assert_nonnull(store);
	store_close(store);
	scratch_free(dir);
}

static void test_not_lmdb(void)
{
	char *dir = scratch_new();
	g_autofree char *path = data_file(dir);
	g_autofree char *junk = g_strnfill(64 * 1024, 'x');

	g_assert_true(g_file_set_contents(path, junk, 64 * 1024, NULL));
	assert_refused(dir, "meta pages");
	scratch_free(dir);
}

/* LMDB's page header and meta (mdb.c), as test-store-damage must mirror
 * them to say the last page is further than it is. */
typedef struct {
	size_t pgno;
	guint16 pad, flags, lower, upper;
} PageHead;

typedef struct {
	guint32 pad;
	guint16 flags, depth;
	size_t branch, leaf, overflow, entries, root;
} Db;

typedef struct {
	guint32 magic, version;
	void *address;
	size_t mapsize;
	Db dbs[2];
	size_t last_pgno;
	size_t txnid;
} Meta;

/* The file may lawfully end before its last page when the pages past its
 * end are free: every page the tables reach is read, in a child, and the
 * store opens. */
static void test_short_by_free_pages(void)
{
	char *dir = scratch_new();
	g_autofree char *path = data_file(dir);
	g_autoptr(GError) error = NULL;
	Meta metas[2];
	guint newest;
	Store *store;
	int fd;

	store_made(dir, 200);
	fd = open(path, O_RDWR);
	g_assert_cmpint(fd, >=, 0);
	g_assert_cmpint(pread(fd, &metas[0], sizeof metas[0], sizeof(PageHead)), ==,
			sizeof metas[0]);
	g_assert_cmpint(
	    pread(fd, &metas[1], sizeof metas[1], metas[0].dbs[0].pad + sizeof(PageHead)), ==,
	    sizeof metas[1]);
	g_assert_cmpuint(metas[0].magic, ==, 0xBEEFC0DE);
	newest = metas[1].txnid > metas[0].txnid;
	metas[newest].last_pgno += 16;
	g_assert_cmpint(pwrite(fd, &metas[newest], sizeof metas[newest],
			       newest * metas[0].dbs[0].pad + sizeof(PageHead)),
			==, sizeof metas[newest]);
	close(fd);

	store = store_open(dir, &error);
	g_assert_no_error(error);
	g_assert_nonnull(store);
	store_close(store);
	scratch_free(dir);
}

/* Spoils the record of @email in the attendees table as a bad sector would:
 * same size, other bytes. */
static void spoil(const char *dir, const char *email)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_val key = {strlen(email), (void *)email}, val;
	g_autofree guchar *junk = NULL;

	g_assert_cmpint(mdb_env_create(&env), ==, 0);
	g_assert_cmpint(mdb_env_set_maxdbs(env, 32), ==, 0);
	g_assert_cmpint(mdb_env_open(env, dir, 0, 0600), ==, 0);
	g_assert_cmpint(mdb_txn_begin(env, NULL, 0, &txn), ==, 0);
	g_assert_cmpint(mdb_dbi_open(txn, "attendees", 0, &dbi), ==, 0);
	g_assert_cmpint(mdb_get(txn, dbi, &key, &val), ==, 0);
	junk = g_memdup2(val.mv_data, val.mv_size);
	/* Past the version: a field whose size runs off the record's end. */
	memset(junk + 4, 0x7f, MIN(val.mv_size - 4, 16));
	val.mv_data = junk;
	g_assert_cmpint(mdb_put(txn, dbi, &key, &val, 0), ==, 0);
	g_assert_cmpint(mdb_txn_commit(txn), ==, 0);
	mdb_env_close(env);
}

static gboolean collect_email(const Attendee *a, gpointer data)
{
	g_ptr_array_add(data, g_strdup(a->email));
	return TRUE;
}

static void test_damaged_record(void)
{
	char *dir = scratch_new();
	g_autoptr(GPtrArray) seen = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GError) error = NULL;
	StoreTxn *txn;
	Store *store;

	store_made(dir, 5);
	spoil(dir, "p0002@example.fi");
	store = store_open(dir, &error);
	g_assert_no_error(error);
	txn = store_read_begin(store, &error);
	g_assert_false(store_attendee_foreach(txn, collect_email, seen, &error));
	store_read_end(txn);
	/* The four others, and the damaged one named. */
	g_assert_cmpuint(seen->len, ==, 4);
	g_assert_cmpstr(g_ptr_array_index(seen, 1), ==, "p0001@example.fi");
	g_assert_cmpstr(g_ptr_array_index(seen, 2), ==, "p0003@example.fi");
	g_assert_error(error, STORE_ERROR, STORE_ERROR_CORRUPT);
	g_assert_nonnull(strstr(error->message, "1 attendee record(s) left out"));
	g_assert_nonnull(strstr(error->message, "p0002@example.fi"));
	store_close(store);
	scratch_free(dir);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/store-damage/cut-short", test_cut_short);
	g_test_add_func("/store-damage/emptied", test_emptied);
	g_test_add_func("/store-damage/not-lmdb", test_not_lmdb);
	g_test_add_func("/store-damage/short-by-free-pages", test_short_by_free_pages);
	g_test_add_func("/store-damage/damaged-record", test_damaged_record);
	return g_test_run();
}
