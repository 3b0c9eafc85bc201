/* SPDX-License-Identifier: ISC */
/* export.h: convene's data as JSON for people and programs: the attendee
 * objects of the export contract and the outbox rows. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdio.h>

#include "attendee.h"
#include "config.h"
#include "outbox.h"
#include "store.h"

/* Returns "YYYY-MM-DDTHH:MM:SS+HH:MM" for Unix time @t in the event's time
 * zone, newly allocated; "" for 0. */
char *export_time(const Config *cfg, gint64 t);

/* Returns a new JSON object holding @a as the export contract describes:
 * the built-in fields of the field table at the top level, typed, and the
 * configured fields' answers under "answers". */
JsonObject *export_attendee(const Config *cfg, const Attendee *a);

/* Returns a new JSON object describing outbox row @row (not its message). */
JsonObject *export_outbox_row(const Config *cfg, const OutboxRow *row);

/* Writes every attendee, sorted by email, as a JSON array to @out. A
 * record that does not decode (or is of another version) is left out: the
 * others are written, and FALSE returned with store_attendee_foreach()'s
 * error naming each one left out. */
gboolean export_attendees_json(const Config *cfg, Store *store, FILE *out, GError **error);

/* Writes the outbox rows in @state (an OutboxState), or every row for -1,
 * by id, as a JSON array to @out. */
gboolean export_queue_json(const Config *cfg, Store *store, int state, FILE *out, GError **error);

/* Returns a new JSON object of the figures an organiser watches: attendees
 * by status, each activity's places taken, capacity and waiting list, the
 * outbox by state, and the messages in quarantine. */
JsonObject *export_stats(const Config *cfg, Store *store, GError **error);

/* Writes @node to @out as pretty JSON and a newline. */
gboolean export_write_node(JsonNode *node, FILE *out, GError **error);
