/* SPDX-License-Identifier: ISC */
/* request.h: what a person asked for, read from the text they wrote.
 * Pure: no store, no clock, no network; the event's configuration (its
 * fields, languages and grammar) is the only outside knowledge, so it is
 * tested with strings alone. */
#pragma once

#include <glib.h>

#include "config.h"
#include "grammar.h"

typedef struct {
	guint line;	 /* 1-based line of the body it was found on; 0 = none */
	char *code;	 /* what kind of problem: one of grammar_problem_codes */
	char *text;	 /* what was written (cleaned), or what it is about */
	GStrv choices;	 /* closest accepted values, best first; never NULL */
	char *field;	 /* the id of the field it is about, or NULL */
} RequestProblem;

/* What one message says of a person: the lines before any Attendee: line
 * (which apply to everyone named), or one delegation member's block. */
typedef struct {
	guint line;	     /* the Attendee: line; 0 for the common part */
	GHashTable *values;  /* field id → GPtrArray of char *: each field given, read
			      * into canonical text (field.h); an empty array clears */
	GHashTable *lines;   /* field id → the line it was given on (GUINT_TO_POINTER) */
} RequestFields;

/* Returns what @f says of field @id, or NULL when it says nothing. Borrowed. */
const GPtrArray *request_fields_get(const RequestFields *f, const char *id);

/* Returns the first value @f gives field @id, or NULL. Borrowed. */
const char *request_fields_text(const RequestFields *f, const char *id);

/* TRUE when @f gives no field at all. */
gboolean request_fields_empty(const RequestFields *f);

typedef struct {
	Command command;
	char *argument;		/* what follows the command word, as written, or NULL */
	guint command_line;	/* the body line the command was on; 0 = not the body */
	RequestFields fields;	/* the lines outside any Attendee: block */
	GPtrArray *people;	/* RequestFields *: one per Attendee: line, in order */
	GPtrArray *problems;	/* RequestProblem *; empty when all was understood */
	GPtrArray *notes;	/* RequestProblem *: what was understood with a guess */
	const char *language;	/* the language most of its keys and command words are
				 * in, or NULL when none leads; borrowed from the config */
	guint form_lines;	/* lines read as fields (or Attendee: lines) */
	GPtrArray *prose;	/* char *: the person's own lines that are neither fields,
				 * nor the command, nor blank: what a person must read */
	GPtrArray *withdraw;	/* char *: activity ids to give up ("cancel the Orange
				 * visit"), in programme order; empty for none */
	GPtrArray *withdraw_days; /* char *: days to give up ("I can no longer come on
				   * Tuesday"), with their activities */
	char *withdraw_text;	/* the words that asked it, cleaned; NULL for none */
} Request;

/* Reads @subject, the address @detail (register+DETAIL@...; may be NULL)
 * and @body (UTF-8, LF line ends) against the event in @cfg. The command
 * comes from the subject, else the detail, else the first line; a subject
 * that a form in the body contradicts ("Re: Programme" above a form) is
 * no command. Always returns a Request (free with request_free()); what
 * could not be understood is in its problems. */
Request *request_parse(const Config *cfg, const char *subject, const char *detail,
		       const char *body);

void request_free(Request *req);

/* Makes the fields @req gives outside any block the block of one person:
 * a form whose Email: line names another address is a delegation of
 * one. */
void request_as_delegation(Request *req);

/* Adds a problem to @list (problems or notes); @choices and @field may be
 * NULL. */
void request_add_problem(GPtrArray *list, guint line, const char *code, const char *text,
			 const char *const *choices);
void request_add_field_problem(GPtrArray *list, guint line, const char *code, const char *field,
			       const char *text, const char *const *choices);

/* Returns a new sentence, in @lang, saying what is wrong with @p and what
 * would be accepted, e.g. "Thursday: no such day; the event runs Monday
 * 15 September 2025 to Wednesday 17 September 2025". */
char *request_problem_describe(const RequestProblem *p, const Config *cfg, const char *lang);

/* Examples from the event's own configuration, for the sentences that
 * advise people: a date as people write it (its first day, "15/09"), and
 * the codes of the countries it names (its time zone's, then those its
 * activities are open to: "FI, EE"; "" when none). Free them. */
char *request_example_date(const Config *cfg);
char *request_example_countries(const Config *cfg);

/* Returns what field @f accepts, in @lang ("one of: S, M, L, XL"). */
char *request_accepted(const Field *f, const Config *cfg, const char *lang);

/* Returns the language to answer @req in: its Language field, else the
 * language most of it is written in, else @stored (the attendee's, may be
 * NULL), else @content_language (the message's header, may be NULL), else
 * the event's first. Each only when it is one of the event's. Borrowed. */
const char *request_language(const Request *req, const Config *cfg, const char *stored,
			     const char *content_language);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(Request, request_free)
