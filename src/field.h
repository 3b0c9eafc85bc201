/* SPDX-License-Identifier: ISC */
/* field.h: the one table of what a registration holds. It lists the
 * built-in fields of DESIGN.md (each kept in a member of Attendee), the
 * organisers' own questions from the configuration (field "id" { ... },
 * kept among the attendee's answers), and what convene keeps beside them
 * (status, waiting list, times). The grammar, the answers, the export, the
 * CSV, the journal and the digest all loop over this table; no other list
 * of fields exists. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "attendee.h"
#include "config.h"


typedef enum {
	FIELD_WRITABLE = 1 << 0, /* people write it, under its keys */
	FIELD_REQUIRED = 1 << 1, /* a registration needs it */
	FIELD_SHARED = 1 << 2,	 /* shown to whoever registered the person (a delegation's
				  * leader); the rest only to the person and organisers */
	FIELD_SCHEDULE = 1 << 3, /* part of the itinerary: its change sends a new one */
	FIELD_BUILTIN = 1 << 4,	 /* kept in a member of Attendee; exported at the top level */
	FIELD_PREPARE = 1 << 5,	 /* what organisers prepare for (diets, access needs): the
				  * digest lists its values, alike ones together, with names */
} FieldFlags;

typedef struct _Field {
	char *id;	     /* the export name; for configured fields, the key of answers */
	FieldType type;
	guint flags;	     /* FieldFlags */
	gssize member;	     /* built-in: offset of its member in Attendee; -1 otherwise */
	GStrv choices;	     /* choice, multi-choice: as configured; never NULL */
	GStrv activities;    /* asked (and required) only of those taking one of these;
			      * empty: of everyone; never NULL */
	GHashTable *labels;  /* configured: language code → label; "" → the first written */
	GHashTable *help;    /* configured: language code → help; "" → the first written */
	GStrv keys;	     /* configured: what people write for it, in any language;
			      * never NULL */
	int line;	     /* configured: its line in the configuration; 0 for built-ins */
} Field;

/* Returns the built-in part of the table, a new array of new Fields (the
 * caller adds configured ones with field_table_insert()). Free the array. */
GPtrArray *field_table_new(void);

/* Returns the built-in part of the table, made once for the process: for
 * what depends on no configuration (the store's record). Borrowed. */
const GPtrArray *field_builtins(void);

/* Inserts configured field @f (owned by the table from then on) after the
 * built-in fields people write and before convene's own times. */
void field_table_insert(GPtrArray *table, Field *f);

/* Returns a new field of @type with nothing else set. */
Field *field_new(const char *id, FieldType type);

/* Returns the field the organisers declared as @spec. */
Field *field_new_configured(const ConfigFieldSpec *spec);
void field_free(Field *f);

/* Returns the field @id of @table, or NULL. Borrowed. */
const Field *field_find(const GPtrArray *table, const char *id);

/* TRUE when @f holds a list of values (days, activities, multi-choice). */
gboolean field_is_list(const Field *f);

/* Returns the label of @f in @l: the built-in fields' from the language's
 * data, a configured field's from its label for that language, else for
 * the first language it has one for, else its id. Borrowed. */
const char *field_label(const Field *f, const Language *l);

/* Returns the help of configured field @f in @l (or any language), or NULL. */
const char *field_help(const Field *f, const Language *l);

/* Returns @f's stored values for @a, as canonical text (a list field one
 * per entry; "yes"/"no"; dates "YYYY-MM-DD"; a country's ISO code): a new
 * array of new strings, empty when @a has none. Not for FIELD_TIME. */
GPtrArray *field_get(const Field *f, const Attendee *a);

/* Returns @f's value for @a joined into one line of canonical text ("" when
 * none); times as Unix seconds in decimal. */
char *field_get_text(const Field *f, const Attendee *a);

/* Stores @values (canonical text, as field_get() gives) as @f's value for
 * @a; an empty array clears it. Writable fields only. */
void field_set(const Field *f, Attendee *a, const GPtrArray *values);

/* TRUE when @f is asked of @a: it is asked of everyone, or @a takes or
 * waits for one of its activities. */
gboolean field_applies(const Field *f, const Attendee *a);
