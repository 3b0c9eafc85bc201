/* SPDX-License-Identifier: ISC */
/* test-places.c: places and waiting lists in a scratch store, with the
 * shipped CAMPUS configuration whose capacities a test changes as an
 * organiser would between two loads. Touches nothing but its own
 * temporary directory. */

#include "autoconfig.h"

#include <glib/gstdio.h>

#include "campus.h"
#include "places.h"
#include "store.h"

#define POOOL "visit-le-poool"

typedef struct {
	const Config *cfg;
	const char *email; /* who registers; NULL: promote those waiting */
	GPtrArray *promoted;
} Step;

static gboolean step_txn(StoreTxn *txn, gpointer data, GError **error)
{
	Step *s = data;
	g_autoptr(Attendee) a = NULL;
	g_autoptr(GPtrArray) refused = g_ptr_array_new_with_free_func(g_free);

	g_ptr_array_set_size(s->promoted, 0);
	if (s->email == NULL)
		return places_promote_waiting(txn, s->cfg, 1, s->promoted, error);
	a = attendee_new();
	a->email = g_strdup(s->email);
	a->status = ATTENDEE_CONFIRMED;
	g_ptr_array_add(a->activities, g_strdup(POOOL));
	return places_reconcile(txn, s->cfg, NULL, a, 1, refused, s->promoted, error) &&
	       store_attendee_put(txn, a, error);
}

/* Registers @email for Le Poool (or, when NULL, promotes those waiting);
 * returns who was promoted, as one string. */
static char *step(Store *store, const Config *cfg, const char *email)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) promoted = g_ptr_array_new_with_free_func(g_free);
	Step s = {cfg, email, promoted};

	g_assert_true(store_write(store, step_txn, &s, &error));
	g_assert_no_error(error);
	g_ptr_array_add(promoted, NULL);
	return g_strjoinv(" ", (char **)promoted->pdata);
}

static void assert_places(Store *store, guint taken, guint waiting)
{
	g_autoptr(GError) error = NULL;
	StoreTxn *txn = store_read_begin(store, &error);
	StorePlaces p;

	g_assert_no_error(error);
	g_assert_true(store_places_get(txn, POOOL, &p, &error));
	store_read_end(txn);
	g_assert_cmpuint(p.taken, ==, taken);
	g_assert_cmpuint(p.waiting, ==, waiting);
}

static void test_newcomer_queues_behind(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(Config) cfg = campus_load("");
	ConfigActivity *poool = (ConfigActivity *)config_activity_find(cfg, POOOL);
	g_autofree char *dir = g_dir_make_tmp("test-places-XXXXXX", &error);
	Store *store;
	char *promoted;

	g_assert_no_error(error);
	store = store_open(dir, &error);
	g_assert_no_error(error);
	poool->capacity = 1;
	g_free(step(store, cfg, "a@example.fi"));
	g_free(step(store, cfg, "b@example.fi"));
	g_free(step(store, cfg, "c@example.fi"));
	assert_places(store, 1, 2);

	/* Raised, but not yet applied: a newcomer still queues, and the
	 * place goes to the first who waited. */
	poool->capacity = 2;
	promoted = step(store, cfg, "d@example.fi");
	g_assert_cmpstr(promoted, ==, "b@example.fi");
	g_free(promoted);
	assert_places(store, 2, 2);

	/* Raised again and applied: those waiting, in arrival order. */
	poool->capacity = 5;
	promoted = step(store, cfg, NULL);
	g_assert_cmpstr(promoted, ==, "c@example.fi d@example.fi");
	g_free(promoted);
	assert_places(store, 4, 0);
	promoted = step(store, cfg, NULL);
	g_assert_cmpstr(promoted, ==, "");
	g_free(promoted);

	store_close(store);
	{
		g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
		const char *name;

		while ((name = g_dir_read_name(d)) != NULL) {
			g_autofree char *path = g_build_filename(dir, name, NULL);

			g_assert_cmpint(g_remove(path), ==, 0);
		}
	}
	g_assert_cmpint(g_rmdir(dir), ==, 0);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/places/newcomer-queues-behind", test_newcomer_queues_behind);
	return g_test_run();
}
