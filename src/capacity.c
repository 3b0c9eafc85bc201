/* SPDX-License-Identifier: ISC */
/* capacity.c: a configuration read again against the registrations it
 * finds. A lower capacity never takes a place from anyone; a higher one
 * gives the new places to those who waited, before any newcomer. */

#include "autoconfig.h"

#include "capacity.h"

#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "command.h"
#include "log.h"
#include "places.h"
#include "reply.h"

typedef struct {
	CommandContext ctx;
	CommandOutcome outcome;
	guint promoted;
} Apply;

static gboolean apply_txn(StoreTxn *txn, gpointer data, GError **error)
{
	Apply *ap = data;
	const Config *cfg = ap->ctx.cfg;
	g_autoptr(GPtrArray) promoted = g_ptr_array_new_with_free_func(g_free);
	Message msg = {
	    .from_address = cfg->organisers[0] != NULL ? cfg->organisers[0] : cfg->event_address,
	    .from_name = "",
	    .subject = "",
	    .body = "",
	};
	Reply r = {.ctx = &ap->ctx,
		   .txn = txn,
		   .msg = &msg,
		   .outcome = &ap->outcome,
		   .lang = cfg->languages[0],
		   .confirmed = TRUE,
		   .organiser = TRUE};
	gboolean ok = TRUE;

	command_outcome_clear(&ap->outcome);
	ap->promoted = 0;
	if (!places_promote_waiting(txn, cfg, ap->ctx.now, promoted, error))
		return FALSE;
	if (promoted->len == 0)
		return TRUE;
	r.req = request_parse(cfg, "", NULL, "");
	for (guint i = 0; ok && i < promoted->len; i++) {
		g_autoptr(Attendee) a = NULL;
		GError *e = NULL;

		a = store_attendee_get(txn, g_ptr_array_index(promoted, i), &e);
		if (e != NULL) {
			g_propagate_error(error, e);
			ok = FALSE;
		} else if (a != NULL) {
			ok = reply_notify(&r, "promoted", a, NULL, error);
		}
	}
	request_free(r.req);
	ap->promoted = promoted->len;
	return ok;
}

gboolean capacity_apply(Store *store, const Config *cfg, Composer *composer, gint64 now,
			guint *promoted, GError **error)
{
	Apply ap = {.ctx = {.cfg = cfg, .composer = composer, .now = now}};
	gboolean ok = store_write(store, apply_txn, &ap, error);

	command_outcome_clear(&ap.outcome);
	if (ok && ap.promoted > 0) {
		g_autofree char *n = g_strdup_printf("%u", ap.promoted);

		log_event(LOG_INFO, "capacity-promoted", "people", n, NULL);
	}
	if (promoted != NULL)
		*promoted = ok ? ap.promoted : 0;
	return ok;
}

/* --- check-config ------------------------------------------------------------ */

typedef struct {
	const Config *cfg;
	GHashTable *gone;      /* activity id no longer declared → GPtrArray of emails */
	GHashTable *gone_days; /* likewise for days ("YYYY-MM-DD") */
	GHashTable *excluded;  /* activity id → GPtrArray of emails its countries now exclude */
} Check;

static void note(GHashTable *table, const char *key, const char *email)
{
	GPtrArray *who = g_hash_table_lookup(table, key);

	if (who == NULL) {
		who = g_ptr_array_new_with_free_func(g_free);
		g_hash_table_insert(table, g_strdup(key), who);
	}
	g_ptr_array_add(who, g_strdup(email));
}

static gboolean check_attendee(const Attendee *a, gpointer data)
{
	Check *c = data;

	if (a->status == ATTENDEE_CANCELLED)
		return TRUE;
	for (guint i = 0; i < a->activities->len + a->waitlist->len; i++) {
		const char *id = i < a->activities->len
				     ? g_ptr_array_index(a->activities, i)
				     : g_ptr_array_index(a->waitlist, i - a->activities->len);
		const ConfigActivity *act = config_activity_find(c->cfg, id);

		if (act == NULL)
			note(c->gone, id, a->email);
		else if (g_strv_length(act->countries) > 0 &&
			 (a->country == NULL ||
			  !g_strv_contains((const char *const *)act->countries, a->country)))
			note(c->excluded, id, a->email);
	}
	for (guint i = 0; i < a->days->len; i++) {
		const char *date = g_ptr_array_index(a->days, i);

		if (config_day_find(c->cfg, date) == NULL)
			note(c->gone_days, date, a->email);
	}
	return TRUE;
}

static gint compare_keys(gconstpointer a, gconstpointer b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static char *who_of(GPtrArray *who)
{
	g_ptr_array_sort(who, compare_keys);
	g_ptr_array_add(who, NULL);
	return g_strjoinv(", ", (char **)who->pdata);
}

/* Reports each @what (activity, day) of @gone, in order, with whom. The
 * configuration no longer has a line for it: the file is named alone. */
static void report_gone(const Config *cfg, GHashTable *gone, const char *what, GString *errors)
{
	guint n;
	g_autofree const char **keys = (const char **)g_hash_table_get_keys_as_array(gone, &n);

	qsort(keys, n, sizeof(*keys), compare_keys);
	for (guint i = 0; i < n; i++) {
		g_autofree char *who = who_of(g_hash_table_lookup(gone, keys[i]));

		g_string_append_printf(
		    errors,
		    "%s: %s \"%s\" is no longer in the configuration (removed or "
		    "renamed), but attendees hold it: %s\n",
		    cfg->file, what, keys[i], who);
	}
}

gboolean capacity_check(StoreTxn *txn, const Config *cfg, GString *errors, GString *warnings,
			GError **error)
{
	Check c = {cfg,
		   g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					 (GDestroyNotify)g_ptr_array_unref),
		   g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					 (GDestroyNotify)g_ptr_array_unref),
		   g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					 (GDestroyNotify)g_ptr_array_unref)};
	gboolean ok = FALSE;

	for (guint k = 0; k < cfg->activities->len; k++) {
		const ConfigActivity *act = g_ptr_array_index(cfg->activities, k);
		StorePlaces p;

		if (!store_places_get(txn, act->id, &p, error))
			goto out;
		if (act->capacity != 0 && p.taken > act->capacity)
			g_string_append_printf(
			    warnings,
			    "%s:%d: warning: activity \"%s\": capacity %u is below the "
			    "%u places taken (nobody loses theirs)\n",
			    cfg->file, act->capacity_line, act->id, act->capacity, p.taken);
	}
	if (!store_attendee_foreach(txn, check_attendee, &c, error))
		goto out;
	report_gone(cfg, c.gone, "activity", errors);
	report_gone(cfg, c.gone_days, "day", errors);
	for (guint k = 0; k < cfg->activities->len; k++) {
		const ConfigActivity *act = g_ptr_array_index(cfg->activities, k);
		GPtrArray *list = g_hash_table_lookup(c.excluded, act->id);
		g_autofree char *who = list != NULL ? who_of(list) : NULL;

		if (who != NULL)
			g_string_append_printf(
			    warnings,
			    "%s:%d: warning: activity \"%s\": countries now exclude "
			    "attendees holding it: %s\n",
			    cfg->file, act->countries_line, act->id, who);
	}
	ok = TRUE;
out:
	g_hash_table_unref(c.gone);
	g_hash_table_unref(c.excluded);
	g_hash_table_unref(c.gone_days);
	return ok;
}

gboolean capacity_check_store(Store *store, const Config *cfg, GString *errors, GString *warnings,
			      GError **error)
{
	StoreTxn *txn = store_read_begin(store, error);
	gboolean ok;

	if (txn == NULL)
		return FALSE;
	ok = capacity_check(txn, cfg, errors, warnings, error);
	store_read_end(txn);
	return ok;
}

gboolean capacity_check_dir(const Config *cfg, GString *errors, GString *warnings, GError **error)
{
	GError *e = NULL;
	Store *store = store_open_readonly(cfg->state_dir, &e);
	gboolean ok;

	if (store == NULL) {
		if (e == NULL)
			return TRUE;
		g_propagate_error(error, e);
		return FALSE;
	}
	ok = capacity_check_store(store, cfg, errors, warnings, error);
	store_close(store);
	return ok;
}
