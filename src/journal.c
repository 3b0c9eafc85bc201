/* SPDX-License-Identifier: ISC */
/* journal.c: turns each stored registration into a journal entry by
 * comparing it with the copy last noted, so that the caller only says "this
 * is stored now". It must never write anything outside the caller's
 * transaction: a message's effects commit together or not at all. */

#include "autoconfig.h"

#include "journal.h"

#include <string.h>

#include "field.h"
#include "request.h"

/* Whether @a counts as coming: confirmed, not pending or cancelled. */
static gboolean is_active(const Attendee *a)
{
	return a != NULL && a->status == ATTENDEE_CONFIRMED;
}

static void add_field(StoreJournalEntry *e, const char *name, char *before, char *after)
{
	g_ptr_array_add(e->fields, g_strdup(name));
	g_ptr_array_add(e->before, before);
	g_ptr_array_add(e->after, after);
}

/* Fills @e with what differs between @before and @after, field by field
 * of the table (times apart); with no @before, with every field @after has. */
static void describe(const Config *cfg, StoreJournalEntry *e, const Attendee *before,
		     const Attendee *after)
{
	for (guint i = 0; i < cfg->fields->len; i++) {
		const Field *f = g_ptr_array_index(cfg->fields, i);
		g_autofree char *now = NULL, *was = NULL;

		/* The address is the entry's own; times and status are the action. */
		if (f->type == FIELD_TIME || f->type == FIELD_STATUS || strcmp(f->id, "email") == 0)
			continue;
		now = field_get_text(f, after);
		was = before != NULL ? field_get_text(f, before) : g_strdup("");
		if (strcmp(now, was) != 0)
			add_field(e, f->id, g_steal_pointer(&was), g_steal_pointer(&now));
	}
}

gboolean journal_note_change(StoreTxn *txn, const Config *cfg, const Attendee *before,
			     const Attendee *a, gint64 now, GError **error)
{
	g_autoptr(StoreJournalEntry) e = NULL;
	g_autoptr(StoreMark) first = NULL;
	GError *local = NULL;
	gboolean schedule = TRUE;

	e = store_journal_entry_new();
	e->when = now;
	e->email = g_strdup(a->email);
	e->name = g_strdup(a->name);
	if (is_active(a) && !is_active(before)) {
		e->action = g_strdup("registered");
		describe(cfg, e, NULL, a);
	} else if (!is_active(a) && is_active(before)) {
		/* What they held is what the organisers no longer prepare for. */
		e->action = g_strdup("cancelled");
		add_field(e, "activities", attendee_list_join(before->activities, ", "), g_strdup(""));
	} else if (is_active(a)) {
		e->action = g_strdup("updated");
		describe(cfg, e, before, a);
		if (e->fields->len == 0)
			return TRUE;
		schedule = FALSE;
		for (guint i = 0; i < e->fields->len; i++) {
			const Field *f = config_field(cfg, g_ptr_array_index(e->fields, i));

			schedule = schedule || (f != NULL && (f->flags & FIELD_SCHEDULE) != 0);
		}
	} else {
		/* Pending, or cancelled again: nobody's plans change. */
		return TRUE;
	}
	/* An itinerary goes out again only when what it shows changed. */
	if (!store_journal_add(txn, e, error) ||
	    (schedule && !store_due_add(txn, a->email, now, error)))
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

gboolean journal_note_forward(StoreTxn *txn, const char *from, const char *name,
			      const char *subject, const GPtrArray *lines, gint64 now,
			      GError **error)
{
	g_autoptr(StoreJournalEntry) e = store_journal_entry_new();

	e->when = now;
	e->action = g_strdup("forwarded");
	e->email = g_strdup(from);
	e->name = g_strdup(name);
	e->detail = g_strdup(subject);
	for (guint i = 0; i < lines->len && i < JOURNAL_FORWARD_LINES; i++)
		add_field(e, "text", g_strdup(""), g_strdup(g_ptr_array_index(lines, i)));
	return store_journal_add(txn, e, error);
}

gboolean journal_refusal(const char *code)
{
	static const char *const refusals[] = {"registration-closed", "deadline-passed",
					       "event-over", "not-eligible", NULL};

	return g_strv_contains(refusals, code);
}

gboolean journal_note_answer(StoreTxn *txn, const Config *cfg, const char *action,
			     const char *from, const char *name, const char *subject,
			     const GPtrArray *problems, const char *lang, gint64 now,
			     GError **error)
{
	g_autoptr(StoreJournalEntry) e = store_journal_entry_new();

	e->when = now;
	e->action = g_strdup(action);
	e->email = g_strdup(from != NULL ? from : "");
	e->name = g_strdup(name);
	e->detail = g_strdup(subject);
	/* The field names the problem, before holds its line, after its text. */
	for (guint i = 0; i < problems->len; i++) {
		const RequestProblem *p = g_ptr_array_index(problems, i);

		add_field(e, p->code, g_strdup_printf("%u", p->line),
			  request_problem_describe(p, cfg, lang));
	}
	return store_journal_add(txn, e, error);
}

gboolean journal_note_limited(StoreTxn *txn, const char *to, const char *kind, gint64 now,
			      GError **error)
{
	g_autoptr(StoreJournalEntry) e = store_journal_entry_new();

	e->when = now;
	e->action = g_strdup("limited");
	e->email = g_strdup(to);
	e->detail = g_strdup(kind);
	return store_journal_add(txn, e, error);
}
