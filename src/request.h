/* SPDX-License-Identifier: ISC */
/* request.h: what a person asked for, read from the text they wrote.
 * Pure: no store, no clock, no network; the event's configuration is the
 * only outside knowledge, so it is tested with strings alone. */
#pragma once

#include <glib.h>

#include "config.h"

typedef enum {
	REQUEST_FORM,      /* no command word: a registration or an update */
	REQUEST_REGISTER,
	REQUEST_UPDATE,
	REQUEST_CANCEL,
	REQUEST_STATUS,
	REQUEST_PROGRAMME,
	REQUEST_HELP,
	REQUEST_CONFIRM,
	REQUEST_REPORT,    /* organisers only, as are the two below */
	REQUEST_EXPORT,
	REQUEST_BROADCAST,
} RequestCommand;

typedef enum {
	REQUEST_NAME,
	REQUEST_EMAIL,
	REQUEST_ORGANISATION,
	REQUEST_COUNTRY,
	REQUEST_ROLE,
	REQUEST_DAYS,
	REQUEST_ACTIVITIES,
	REQUEST_DIET,
	REQUEST_ACCESSIBILITY,
	REQUEST_ARRIVAL,
	REQUEST_DEPARTURE,
	REQUEST_LANGUAGE,
	REQUEST_DELEGATION,
	REQUEST_N_FIELDS,
} RequestField;

typedef struct {
	guint line;      /* 1-based line of the body it was found on; 0 = none */
	char *code;      /* what kind of problem: "unknown-day", "unknown-activity",
			  * "unknown-country", "unknown-language", "bad-email",
			  * "missing-field", "not-registered",
			  * "attendee-without-address", "overlap" (text: the
			  * day, choices: the two activities),
			  * "registration-closed"; for notes "guessed-activity",
			  * "day-added" */
	char *text;      /* what was written (cleaned), or the field's name */
	GStrv choices;   /* closest accepted values, best first; never NULL */
} RequestProblem;

/* What one message says of a person: the lines before any Attendee: line
 * (which apply to everyone named), or one delegation member's block. */
typedef struct {
	guint line;                      /* the Attendee: line; 0 for the common part */
	char *values[REQUEST_N_FIELDS];  /* cleaned text of each field given, else NULL;
					  * country is the ISO code, language the code,
					  * email lower-case */
	GPtrArray *days;        /* char * dates, sorted; NULL when not given */
	GPtrArray *activities;  /* char * ids in programme order; NULL when not given */
} RequestFields;

typedef struct {
	RequestCommand command;
	char *argument;         /* what follows the command word, as written, or NULL */
	guint command_line;     /* the body line the command was on; 0 = not the body */
	RequestFields fields;   /* the lines outside any Attendee: block */
	GPtrArray *people;      /* RequestFields *: one per Attendee: line, in order */
	GPtrArray *problems;    /* RequestProblem *; empty when all was understood */
	GPtrArray *notes;       /* RequestProblem *: what was understood with a guess */
	gboolean french;        /* written in French (keys or command words) */
} Request;

/* Reads @subject, the address @detail (register+DETAIL@...; may be NULL)
 * and @body (UTF-8, LF line ends) against the event in @cfg. The command
 * comes from the subject, else the detail, else the first line. Always
 * returns a Request (free with request_free()); what could not be
 * understood is in its problems. */
Request *request_parse(const Config *cfg, const char *subject, const char *detail,
		       const char *body);

void request_free(Request *req);

/* Adds a problem to @list (problems or notes); @choices may be NULL. */
void request_add_problem(GPtrArray *list, guint line, const char *code, const char *text,
			 const char *const *choices);

/* Returns a new sentence, in @lang, saying what is wrong with @p and what
 * would be accepted, e.g. "Thursday: no such day; the event runs Monday
 * 15 September 2025 to Wednesday 17 September 2025". */
char *request_problem_describe(const RequestProblem *p, const Config *cfg, const char *lang);

/* Returns the language to answer @req in: its Language field, else French
 * for a French message, else the event's first language. Borrowed. */
const char *request_language(const Request *req, const Config *cfg);

/* Returns the contract name of @field ("name", "organisation", ...). */
const char *request_field_name(RequestField field);

/* Returns the key people write for @field in @lang ("Name", "Nom"). */
const char *request_field_label(RequestField field, const char *lang);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(Request, request_free)
