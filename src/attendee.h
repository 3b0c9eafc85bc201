/* SPDX-License-Identifier: ISC */
/* attendee.h: one person's registration, as convene keeps and exports it.
 * A plain value type: no storage, no I/O. */
#pragma once

#include <glib.h>

typedef enum {
	ATTENDEE_PENDING,
	ATTENDEE_CONFIRMED,
	ATTENDEE_CANCELLED,
} AttendeeStatus;

typedef struct {
	char *email;         /* lower-case; the key */
	char *name;
	char *organisation;
	char *country;       /* ISO 3166-1 alpha-2 */
	char *role;
	char *delegation;
	char *language;      /* one of event.languages */
	AttendeeStatus status;
	GPtrArray *days;       /* of char * "YYYY-MM-DD", sorted; never NULL */
	GPtrArray *activities; /* of char * activity ids; never NULL */
	GPtrArray *waitlist;   /* of char * activity ids; never NULL */
	char *diet;
	char *accessibility;
	char *arrival;
	char *departure;
	GHashTable *answers;  /* the configured fields' values: field id → GStrv of
			       * canonical text (field.h); never NULL */
	char *registered_by;  /* the address that registered them for them (a
			       * delegation's leader), until they change anything
			       * themselves; NULL when they registered themselves */
	gint64 registered_at; /* Unix seconds */
	gint64 updated_at;
} Attendee;

/* Returns a new, empty attendee (all strings NULL, arrays empty); free it
 * with attendee_free(). */
Attendee *attendee_new(void);

/* Returns a deep copy of @a; the caller frees it. */
Attendee *attendee_copy(const Attendee *a);

void attendee_free(Attendee *a);

/* Returns the contract spelling ("pending", "confirmed", "cancelled"). */
const char *attendee_status_to_string(AttendeeStatus status);

/* Parses the contract spelling; returns FALSE for anything else. */
gboolean attendee_status_from_string(const char *s, AttendeeStatus *status);

/* Returns TRUE if @list (of char *) contains @s. */
gboolean attendee_list_has(const GPtrArray *list, const char *s);

/* Returns the entries of @list (of char *) joined by @separator. */
char *attendee_list_join(const GPtrArray *list, const char *separator);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(Attendee, attendee_free)
