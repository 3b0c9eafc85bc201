/* SPDX-License-Identifier: ISC */
/* places.c: taking, giving up and waiting for places. The counts and queues
 * live in the store beside the registrations and change only in the write
 * transaction that changes those; nothing here keeps state of its own. */

#include "autoconfig.h"

#include "places.h"

#include <string.h>

#include "journal.h"

static gboolean eligible(const ConfigActivity *act, const char *country)
{
	return g_strv_length(act->countries) == 0 ||
	       (country != NULL && g_strv_contains((const char *const *)act->countries, country));
}

static void list_remove(GPtrArray *list, const char *s)
{
	for (guint i = 0; i < list->len; i++) {
		if (strcmp(g_ptr_array_index(list, i), s) == 0) {
			g_ptr_array_remove_index(list, i);
			return;
		}
	}
}

static void add_once(GPtrArray *list, const char *s)
{
	if (!attendee_list_has(list, s))
		g_ptr_array_add(list, g_strdup(s));
}

/* Gives the places @act has free to those first in its waiting list, in
 * arrival order. @self, when not NULL, is the address whose registration
 * the caller is writing: when its turn comes its place is counted and
 * *@self_promoted set, but its record is left to the caller. */
static gboolean promote_first(StoreTxn *txn, const Config *cfg, const ConfigActivity *act,
			      StorePlaces *p, gint64 now, const char *self, gboolean *self_promoted,
			      GPtrArray *promoted, GError **error)
{
	while (p->waiting > 0 && (act->capacity == 0 || p->taken < act->capacity)) {
		g_autofree char *email = NULL;
		g_autoptr(Attendee) next = NULL, was = NULL;
		GError *e = NULL;

		if (!store_waiting_pop(txn, act->id, p, &email, error))
			return FALSE;
		if (email == NULL)
			break;
		if (self != NULL && strcmp(email, self) == 0) {
			p->taken++;
			*self_promoted = TRUE;
			continue;
		}
		next = store_attendee_get(txn, email, &e);
		if (e != NULL) {
			g_propagate_error(error, e);
			return FALSE;
		}
		/* Someone who has since left the list or the event holds no claim. */
		if (next == NULL || next->status != ATTENDEE_CONFIRMED ||
		    !attendee_list_has(next->waitlist, act->id))
			continue;
		was = attendee_copy(next);
		list_remove(next->waitlist, act->id);
		add_once(next->activities, act->id);
		next->updated_at = now;
		if (!store_attendee_put(txn, next, error) ||
		    !journal_note_change(txn, cfg, was, next, now, error))
			return FALSE;
		p->taken++;
		add_once(promoted, email);
	}
	return TRUE;
}

gboolean places_promote_waiting(StoreTxn *txn, const Config *cfg, gint64 now, GPtrArray *promoted,
				GError **error)
{
	for (guint k = 0; k < cfg->activities->len; k++) {
		const ConfigActivity *act = g_ptr_array_index(cfg->activities, k);
		StorePlaces p;

		if (!store_places_get(txn, act->id, &p, error))
			return FALSE;
		if (p.waiting == 0 || (act->capacity != 0 && p.taken >= act->capacity))
			continue;
		if (!promote_first(txn, cfg, act, &p, now, NULL, NULL, promoted, error) ||
		    !store_places_put(txn, act->id, &p, error))
			return FALSE;
	}
	return TRUE;
}

gboolean places_reconcile(StoreTxn *txn, const Config *cfg, const Attendee *before,
			  Attendee *after, gint64 now, GPtrArray *refused, GPtrArray *promoted,
			  GError **error)
{
	gboolean held_any = before != NULL && before->status == ATTENDEE_CONFIRMED;
	gboolean wants_any = after->status == ATTENDEE_CONFIRMED;
	g_autoptr(GPtrArray) wanted = g_ptr_array_new_with_free_func(g_free);

	for (guint i = 0; wants_any && i < after->activities->len; i++)
		add_once(wanted, g_ptr_array_index(after->activities, i));
	for (guint i = 0; wants_any && i < after->waitlist->len; i++)
		add_once(wanted, g_ptr_array_index(after->waitlist, i));
	g_ptr_array_set_size(after->activities, 0);
	g_ptr_array_set_size(after->waitlist, 0);

	/* In programme order, so that lists come out sorted the same way. */
	for (guint k = 0; k < cfg->activities->len; k++) {
		const ConfigActivity *act = g_ptr_array_index(cfg->activities, k);
		gboolean held = held_any && attendee_list_has(before->activities, act->id);
		gboolean waiting = held_any && attendee_list_has(before->waitlist, act->id);
		gboolean wants = attendee_list_has(wanted, act->id);
		StorePlaces p;

		if (wants && !eligible(act, after->country)) {
			add_once(refused, act->id);
			wants = FALSE;
		}
		if (!held && !waiting && !wants)
			continue;
		if (held && wants) {
			g_ptr_array_add(after->activities, g_strdup(act->id));
			continue; /* nothing changes */
		}
		if (!store_places_get(txn, act->id, &p, error))
			return FALSE;
		if (held) {
			p.taken = p.taken > 0 ? p.taken - 1 : 0;
			if (!promote_first(txn, cfg, act, &p, now, NULL, NULL, promoted, error))
				return FALSE;
		} else if (waiting && !wants) {
			if (!store_waiting_remove(txn, act->id, &p, after->email, error))
				return FALSE;
		} else {
			gboolean mine = FALSE;

			/* A free place goes to those who waited first: one left
			 * free beside a waiting list (a capacity raised before it
			 * was read) is theirs, and a newcomer queues behind them. */
			if (!promote_first(txn, cfg, act, &p, now, after->email, &mine, promoted,
					   error))
				return FALSE;
			if (!mine && p.waiting == 0 &&
			    (act->capacity == 0 || p.taken < act->capacity)) {
				if (waiting &&
				    !store_waiting_remove(txn, act->id, &p, after->email, error))
					return FALSE;
				p.taken++;
				mine = TRUE;
			}
			if (mine)
				g_ptr_array_add(after->activities, g_strdup(act->id));
			else {
				if (!waiting &&
				    !store_waiting_add(txn, act->id, &p, after->email, error))
					return FALSE;
				g_ptr_array_add(after->waitlist, g_strdup(act->id));
			}
		}
		if (!store_places_put(txn, act->id, &p, error))
			return FALSE;
	}
	return TRUE;
}
