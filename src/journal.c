/* SPDX-License-Identifier: ISC */
/* journal.c: turns each stored registration into a journal entry by
 * comparing it with the copy last noted, so that the caller only says "this
 * is stored now". It must never write anything outside the caller's
 * transaction: a message's effects commit together or not at all. */

#include "autoconfig.h"

#include "journal.h"

#include <string.h>

/* Whether @a counts as coming: confirmed, not pending or cancelled. */
static gboolean is_active(const Attendee *a)
{
	return a != NULL && a->status == ATTENDEE_CONFIRMED;
}

/* The fields of a registration the digest reports, as text. */
typedef struct {
	const char *name; /* contract name */
	char *(*get)(const Attendee *a);
} Field;

#define TEXT_FIELD(member)                                                                         \
	static char *get_##member(const Attendee *a)                                               \
	{                                                                                          \
		return g_strdup(a->member != NULL ? a->member : "");                               \
	}
#define LIST_FIELD(member)                                                                         \
	static char *get_##member(const Attendee *a)                                               \
	{                                                                                          \
		return attendee_list_join(a->member, ", ");                                        \
	}
TEXT_FIELD(name)
TEXT_FIELD(organisation)
TEXT_FIELD(country)
TEXT_FIELD(role)
TEXT_FIELD(delegation)
TEXT_FIELD(language)
LIST_FIELD(days)
LIST_FIELD(activities)
LIST_FIELD(waitlist)
TEXT_FIELD(diet)
TEXT_FIELD(accessibility)
TEXT_FIELD(arrival)
TEXT_FIELD(departure)

static const Field fields[] = {
    {"name", get_name},		  {"organisation", get_organisation},	{"country", get_country},
    {"role", get_role},		  {"delegation", get_delegation},	{"language", get_language},
    {"days", get_days},		  {"activities", get_activities},	{"waitlist", get_waitlist},
    {"diet", get_diet},		  {"accessibility", get_accessibility}, {"arrival", get_arrival},
    {"departure", get_departure},
};

static void add_field(StoreJournalEntry *e, const char *name, char *before, char *after)
{
	g_ptr_array_add(e->fields, g_strdup(name));
	g_ptr_array_add(e->before, before);
	g_ptr_array_add(e->after, after);
}

/* Fills @e with what differs between @before and @after; with no @before,
 * with every field @after has. */
static void describe(StoreJournalEntry *e, const Attendee *before, const Attendee *after)
{
	for (guint i = 0; i < G_N_ELEMENTS(fields); i++) {
		g_autofree char *now = fields[i].get(after);
		g_autofree char *was = before != NULL ? fields[i].get(before) : g_strdup("");

		if (strcmp(now, was) != 0)
			add_field(e, fields[i].name, g_steal_pointer(&was), g_steal_pointer(&now));
	}
}

gboolean journal_note_change(StoreTxn *txn, const Attendee *before, const Attendee *a, gint64 now,
			     GError **error)
{
	g_autoptr(StoreJournalEntry) e = NULL;
	g_autoptr(StoreMark) first = NULL;
	GError *local = NULL;

	e = store_journal_entry_new();
	e->when = now;
	e->email = g_strdup(a->email);
	e->name = g_strdup(a->name);
	if (is_active(a) && !is_active(before)) {
		e->action = g_strdup("registered");
		describe(e, NULL, a);
	} else if (!is_active(a) && is_active(before)) {
		/* What they held is what the organisers no longer prepare for. */
		e->action = g_strdup("cancelled");
		add_field(e, "activities", get_activities(before), g_strdup(""));
	} else if (is_active(a)) {
		e->action = g_strdup("updated");
		describe(e, before, a);
		if (e->fields->len == 0)
			return TRUE;
	} else {
		/* Pending, or cancelled again: nobody's plans change. */
		return TRUE;
	}
	if (!store_journal_add(txn, e, error) || !store_due_add(txn, a->email, now, error))
		return FALSE;
	if (strcmp(e->action, "registered") != 0)
		return TRUE;
	first = store_mark_get(txn, JOURNAL_FIRST_REGISTRATION, &local);
	if (local != NULL) {
		g_propagate_error(error, local);
		return FALSE;
	}
	if (first == NULL) {
		StoreMark mark = {now, e->seq, (char *)"registered"};

		return store_mark_put(txn, JOURNAL_FIRST_REGISTRATION, &mark, error);
	}
	return TRUE;
}

gboolean journal_note_robot(StoreTxn *txn, const char *from, const char *reason, gint64 now,
			    GError **error)
{
	g_autoptr(StoreJournalEntry) e = store_journal_entry_new();

	e->when = now;
	e->action = g_strdup("robot");
	e->email = g_strdup(from != NULL ? from : "");
	e->detail = g_strdup(reason);
	return store_journal_add(txn, e, error);
}
