/* SPDX-License-Identifier: ISC */
/* context.h: every template context, built in one place: the event, an
 * activity, an attendee as a given reader may see them, problems, and the
 * form people fill in. Labels and values come in the reader's language,
 * from the field table and the language's data; templates loop over
 * "fields", so that a new field needs no template change. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "attendee.h"
#include "compose.h"
#include "config.h"

/* Who reads about an attendee. */
typedef enum {
	CONTEXT_FULL,	/* the person, or the organisers: every field */
	CONTEXT_SHARED, /* whoever registered them (a delegation's leader): the
			 * fields marked FIELD_SHARED (name, organisation, schedule),
			 * never diet, accessibility or an organiser's question */
} ContextAudience;

/* Returns a new object describing the event in @lang: name, location,
 * address, first_day and last_day labels, days, each with its date, label,
 * title and activities (context_activity()), and examples from its own
 * programme for the answers' advice: example_activity (an id),
 * example_day ("16/09"), example_weekday ("Monday"), example_date
 * (request_example_date()) and example_countries ("FI, EE"). */
JsonObject *context_event(const Config *cfg, const char *lang);

/* Returns a new object describing activity @act in @lang: id, title, day,
 * day_label, start, end, location, notes ("" when none) and capacity. */
JsonObject *context_activity(const Config *cfg, const ConfigActivity *act, const char *lang);

/* Returns a new object describing @a for @audience in @lang: email, name,
 * language, status (the contract's word), status_label, cancelled, and
 * "fields": one {id, label, value, pad} per field shown that has a value,
 * schedule apart (pad: spaces that align the values after "label:"); then
 * day_labels and activity_details (the schedule); "labels": each field's
 * label by id; "values": each shown field's value by id. Activities come from @composer's shared contexts. */
JsonObject *context_attendee(Composer *composer, const Config *cfg, const Attendee *a,
			     const char *lang, ContextAudience audience);

/* Returns a new array of the activities @a waits for, each as
 * context_activity() with its "position" from @positions (one per entry
 * of a->waitlist, 1 for the first in line). */
JsonArray *context_waitlist(const Config *cfg, const Attendee *a, const char *lang,
			    const guint *positions);

/* Returns @f's value for @a as its reader would read it in @lang: a
 * country's name and code, a date's label, "yes" in that language, the
 * titles of activities; "" when none. */
char *context_value(const Config *cfg, const Field *f, const Attendee *a, const char *lang);

/* Returns a new array of {line, code, text} for @problems, text in @lang. */
JsonArray *context_problems(const Config *cfg, const GPtrArray *problems, const char *lang);

/* Returns a new array of the fields people fill in, in table order: {key
 * (the label), field (the id), help (or ""), accepted, required}. */
JsonArray *context_form(const Config *cfg, const char *lang);

/* Returns a new array of {label, before, after}, in @lang, for each field
 * whose value differs between @before and @after: what an answer says was
 * changed ("Diet: vegetarian → vegan"). */
JsonArray *context_changes(const Config *cfg, const Attendee *before, const Attendee *after,
			   const char *lang);
