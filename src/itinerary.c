/* SPDX-License-Identifier: ISC */
/* itinerary.c: an attendee's itinerary and daily programme, from their
 * registration and the event's configuration. What the attendee's calendar
 * was last told is kept in the store, so that a change raises SEQUENCE and
 * a withdrawn activity is cancelled there; nothing else is remembered. */

#include "autoconfig.h"

#include "itinerary.h"

#include <string.h>

#include "context.h"
#include "ics.h"
#include "lang.h"
#include "text.h"

static const char *language_of(const Config *cfg, const Attendee *a)
{
	return a->language != NULL && config_has_language(cfg, a->language) ? a->language
									    : cfg->languages[0];
}

static const char *domain_of(const char *address)
{
	const char *at = strrchr(address, '@');

	return at != NULL ? at + 1 : "localhost";
}

static void set_text(JsonObject *o, const char *key, const char *value)
{
	json_object_set_string_member(o, key, value != NULL ? value : "");
}

/* Programme order: by day, then start time ("HH:MM" sorts as text). */
static int activity_compare(gconstpointer pa, gconstpointer pb)
{
	const ConfigActivity *a = *(const ConfigActivity *const *)pa;
	const ConfigActivity *b = *(const ConfigActivity *const *)pb;
	int c = strcmp(a->day, b->day);

	return c != 0 ? c : strcmp(a->start, b->start);
}

/* Returns the activities named in @ids that the configuration knows, in
 * programme order (borrowed from @cfg). */
static GPtrArray *activities_of(const Config *cfg, const GPtrArray *ids)
{
	GPtrArray *list = g_ptr_array_new();

	for (guint i = 0; i < ids->len; i++) {
		const ConfigActivity *act = config_activity_find(cfg, g_ptr_array_index(ids, i));

		if (act != NULL)
			g_ptr_array_add(list, (gpointer)act);
	}
	g_ptr_array_sort(list, activity_compare);
	return list;
}

gboolean itinerary_attends(const Config *cfg, const Attendee *a, const char *date)
{
	if (a->status != ATTENDEE_CONFIRMED)
		return FALSE;
	if (attendee_list_has(a->days, date))
		return TRUE;
	for (guint i = 0; i < a->activities->len; i++) {
		const ConfigActivity *act =
		    config_activity_find(cfg, g_ptr_array_index(a->activities, i));

		if (act != NULL && strcmp(act->day, date) == 0)
			return TRUE;
	}
	return FALSE;
}

/* The attendee's days, each with their activities and what they wait for. */
static JsonArray *days_json(Composer *composer, const Config *cfg, const Attendee *a,
			    const GPtrArray *mine, const GPtrArray *waiting, const char *lang)
{
	JsonArray *days = json_array_new();

	for (guint d = 0; d < cfg->days->len; d++) {
		const ConfigDay *day = g_ptr_array_index(cfg->days, d);
		JsonObject *o = json_object_new();
		JsonArray *acts = json_array_new();
		JsonArray *queue = json_array_new();
		g_autofree char *label = lang_day_label(config_language(cfg, lang), day->date);

		for (guint i = 0; i < mine->len; i++) {
			const ConfigActivity *act = g_ptr_array_index(mine, i);

			if (strcmp(act->day, day->date) == 0)
				json_array_add_object_element(acts, compose_activity(composer, act, lang));
		}
		for (guint i = 0; i < waiting->len; i++) {
			const ConfigActivity *act = g_ptr_array_index(waiting, i);

			if (strcmp(act->day, day->date) == 0)
				json_array_add_object_element(queue, compose_activity(composer, act, lang));
		}
		if (json_array_get_length(acts) == 0 && json_array_get_length(queue) == 0 &&
		    !attendee_list_has(a->days, day->date)) {
			json_array_unref(acts);
			json_array_unref(queue);
			json_object_unref(o);
			continue;
		}
		set_text(o, "date", day->date);
		set_text(o, "label", label);
		set_text(o, "title", day->title);
		json_object_set_array_member(o, "activities", acts);
		json_object_set_array_member(o, "waiting", queue);
		json_array_add_object_element(days, o);
	}
	return days;
}

static gboolean same_set(const GPtrArray *a, const GPtrArray *b)
{
	if (a->len != b->len)
		return FALSE;
	for (guint i = 0; i < a->len; i++)
		if (!attendee_list_has(b, g_ptr_array_index(a, i)))
			return FALSE;
	return TRUE;
}

static void fill_event(IcsEvent *ev, const ConfigActivity *act, const Attendee *a,
		       const Config *cfg, gboolean cancelled)
{
	ev->uid = ics_uid(a->email, act->id, domain_of(cfg->event_address));
	ev->summary = act->title;
	ev->location = act->location;
	ev->description = act->notes;
	ev->day = act->day;
	ev->start = act->start;
	ev->end = act->end;
	ev->cancelled = cancelled;
}

/* Returns the calendar for @current (kept) and @withdrawn activities. */
static GBytes *calendar(const Config *cfg, const Attendee *a, const GPtrArray *current,
			const GPtrArray *withdrawn, guint sequence, gboolean cancel, gint64 now,
			GError **error)
{
	guint n = current->len + withdrawn->len;
	g_autofree IcsEvent *events = g_new0(IcsEvent, MAX(n, 1));
	IcsCalendar cal = {
	    .tzid = cfg->event_timezone,
	    .organiser_name = cfg->event_name,
	    .organiser_address = cfg->event_address,
	    .sequence = sequence,
	    .stamp = now,
	    .cancel = cancel,
	};
	GBytes *bytes;

	for (guint i = 0; i < current->len; i++)
		fill_event(&events[i], g_ptr_array_index(current, i), a, cfg, FALSE);
	for (guint i = 0; i < withdrawn->len; i++)
		fill_event(&events[current->len + i], g_ptr_array_index(withdrawn, i), a, cfg,
			   TRUE);
	bytes = ics_calendar_new(&cal, events, n, error);
	for (guint i = 0; i < n; i++)
		g_free((char *)events[i].uid);
	return bytes;
}

static gboolean queue_mail(StoreTxn *txn, Composer *composer, const char *kind, const char *lang,
			   JsonObject *ctx, const Attendee *a, const ComposeAttachment *att,
			   gint64 now, GError **error)
{
	g_autoptr(OutboxRow) row = NULL;
	ComposeMail mail = {
	    .kind = kind,
	    .lang = lang,
	    .ctx = ctx,
	    .to_address = a->email,
	    .to_name = a->name,
	    .auto_replied = FALSE,
	    .attachments = att,
	    .n_attachments = att != NULL ? 1 : 0,
	};

	row = compose_mail(composer, &mail, now, error);
	return row != NULL && store_outbox_add(txn, row, error);
}

gboolean itinerary_build(StoreTxn *txn, Composer *composer, const Config *cfg, const Attendee *a,
			 ItineraryReason reason, gint64 now, JsonObject *ctx, GBytes **ics,
			 gboolean *tell, GError **error)
{
	const char *lang = language_of(cfg, a);
	gboolean coming = a->status == ATTENDEE_CONFIRMED;
	g_autoptr(StoreItinerary) state = NULL;
	g_autoptr(GPtrArray) current = NULL, sent = NULL, withdrawn = NULL, waiting = NULL;
	g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func(g_free);
	JsonArray *gone;
	GError *local = NULL;
	gboolean changed;
	guint sequence;

	*tell = FALSE;
	*ics = NULL;
	state = store_itinerary_get(txn, a->email, &local);
	if (local != NULL) {
		g_propagate_error(error, local);
		return FALSE;
	}
	if (state == NULL)
		state = store_itinerary_new();
	current = coming ? activities_of(cfg, a->activities) : g_ptr_array_new();
	waiting = coming ? activities_of(cfg, a->waitlist) : g_ptr_array_new();
	sent = activities_of(cfg, state->activities);
	withdrawn = g_ptr_array_new();
	for (guint i = 0; i < sent->len; i++) {
		const ConfigActivity *act = g_ptr_array_index(sent, i);

		if (!g_ptr_array_find(current, act, NULL))
			g_ptr_array_add(withdrawn, (gpointer)act);
	}
	if (!coming && withdrawn->len == 0)
		return TRUE;
	for (guint i = 0; i < current->len; i++)
		g_ptr_array_add(
		    ids, g_strdup(((const ConfigActivity *)g_ptr_array_index(current, i))->id));
	changed = reason == ITINERARY_CHANGE || !same_set(ids, state->activities);
	/* A calendar's first SEQUENCE is 0; every change raises it. */
	sequence = state->sent_at == 0 ? 0 : state->sequence + (changed ? 1 : 0);
	if (current->len + withdrawn->len > 0) {
		*ics = calendar(cfg, a, current, withdrawn, sequence, !coming, now, error);
		if (*ics == NULL)
			return FALSE;
	}
	gone = json_array_new();
	for (guint i = 0; i < withdrawn->len; i++)
		json_array_add_object_element(
		    gone, compose_activity(composer, g_ptr_array_index(withdrawn, i), lang));
	json_object_set_array_member(ctx, "days", days_json(composer, cfg, a, current, waiting, lang));
	json_object_set_boolean_member(ctx, "any_withdrawn", withdrawn->len > 0);
	json_object_set_array_member(ctx, "withdrawn", gone);
	json_object_set_boolean_member(ctx, "first", state->sent_at == 0);
	json_object_set_boolean_member(ctx, "changed", state->sent_at != 0 && changed && coming);
	json_object_set_boolean_member(ctx, "reminder", reason == ITINERARY_REMINDER);
	json_object_set_boolean_member(ctx, "cancelled", !coming);
	json_object_set_boolean_member(ctx, "calendar", *ics != NULL);
	json_object_set_int_member(ctx, "days_before", cfg->itinerary_days_before);
	json_object_set_int_member(ctx, "sequence", sequence);

	g_ptr_array_set_size(state->activities, 0);
	for (guint i = 0; i < ids->len; i++)
		g_ptr_array_add(state->activities, g_strdup(g_ptr_array_index(ids, i)));
	state->sequence = sequence;
	state->sent_at = now;
	*tell = TRUE;
	return store_itinerary_put(txn, a->email, state, error);
}

gboolean itinerary_queue(StoreTxn *txn, Composer *composer, const Config *cfg, const Attendee *a,
			 ItineraryReason reason, gint64 now, gboolean *queued, GError **error)
{
	const char *lang = language_of(cfg, a);
	g_autoptr(JsonObject) ctx = json_object_new();
	g_autoptr(GBytes) ics = NULL;
	ComposeAttachment att = {"itinerary.ics", "text/calendar", "PUBLISH", NULL};

	*queued = FALSE;
	if (!itinerary_build(txn, composer, cfg, a, reason, now, ctx, &ics, queued, error))
		return FALSE;
	if (!*queued)
		return TRUE;
	att.data = ics;
	json_object_set_object_member(ctx, "event", compose_event(composer, lang));
	json_object_set_object_member(ctx, "attendee",
				      context_attendee(composer, cfg, a, lang, CONTEXT_FULL));
	return queue_mail(txn, composer, "itinerary", lang, ctx, a, ics != NULL ? &att : NULL, now,
			  error);
}

/* Whether @act is a session for everyone: no sign-up limit, no country. */
static gboolean is_shared(const ConfigActivity *act)
{
	return act->capacity == 0 && g_strv_length(act->countries) == 0;
}

gboolean itinerary_queue_day(StoreTxn *txn, Composer *composer, const Config *cfg,
			     const Attendee *a, const char *date, gint64 now, GError **error)
{
	const char *lang = language_of(cfg, a);
	const ConfigDay *day = config_day_find(cfg, date);
	g_autoptr(GPtrArray) mine = activities_of(cfg, a->activities);
	g_autoptr(GPtrArray) waiting = activities_of(cfg, a->waitlist);
	g_autoptr(JsonObject) ctx = json_object_new();
	g_autofree char *label = lang_day_label(config_language(cfg, lang), date);
	JsonObject *d = json_object_new();
	JsonArray *own = json_array_new(), *shared = json_array_new(), *queue = json_array_new();
	g_autoptr(GPtrArray) all = g_ptr_array_new();

	for (guint i = 0; i < mine->len; i++) {
		const ConfigActivity *act = g_ptr_array_index(mine, i);

		if (strcmp(act->day, date) == 0)
			json_array_add_object_element(own, compose_activity(composer, act, lang));
	}
	for (guint i = 0; i < waiting->len; i++) {
		const ConfigActivity *act = g_ptr_array_index(waiting, i);

		if (strcmp(act->day, date) == 0)
			json_array_add_object_element(queue, compose_activity(composer, act, lang));
	}
	for (guint i = 0; i < cfg->activities->len; i++)
		g_ptr_array_add(all, g_ptr_array_index(cfg->activities, i));
	g_ptr_array_sort(all, activity_compare);
	for (guint i = 0; i < all->len; i++) {
		const ConfigActivity *act = g_ptr_array_index(all, i);

		if (strcmp(act->day, date) == 0 && is_shared(act) &&
		    !attendee_list_has(a->activities, act->id))
			json_array_add_object_element(shared, compose_activity(composer, act, lang));
	}
	set_text(d, "date", date);
	set_text(d, "label", label);
	set_text(d, "title", day != NULL ? day->title : NULL);
	json_object_set_object_member(ctx, "event", compose_event(composer, lang));
	json_object_set_object_member(ctx, "attendee",
				      context_attendee(composer, cfg, a, lang, CONTEXT_FULL));
	json_object_set_object_member(ctx, "day", d);
	json_object_set_array_member(ctx, "activities", own);
	json_object_set_boolean_member(ctx, "any_shared", json_array_get_length(shared) > 0);
	json_object_set_array_member(ctx, "shared", shared);
	json_object_set_array_member(ctx, "waiting", queue);
	return queue_mail(txn, composer, "daily-programme", lang, ctx, a, NULL, now, error);
}
