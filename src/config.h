/* SPDX-License-Identifier: ISC */
/* config.h: the event and the server's settings, read once from the
 * configuration file into one validated, immutable structure. Only config.c
 * knows the file format's library. */
#pragma once

#include <glib.h>

#define CONFIG_ERROR (config_error_quark())
GQuark config_error_quark(void);

typedef enum {
	CONFIG_ERROR_READ,    /* the file cannot be read */
	CONFIG_ERROR_INVALID, /* the file has one or more errors */
} ConfigError;

typedef enum {
	CONFIG_POLICY_OPEN,
	CONFIG_POLICY_CONFIRM,
	CONFIG_POLICY_CLOSED,
} ConfigPolicy;

typedef enum {
	CONFIG_TRANSPORT_SMTP,
	CONFIG_TRANSPORT_MAILDIR,
} ConfigTransportKind;

typedef enum {
	CONFIG_STARTTLS_NONE,
	CONFIG_STARTTLS_OPPORTUNISTIC,
	CONFIG_STARTTLS_REQUIRED,
} ConfigStarttls;

typedef struct {
	char *date;  /* "YYYY-MM-DD" */
	char *title;
	GDate gdate;
} ConfigDay;

typedef struct {
	char *id;
	char *title;
	char *day;       /* "YYYY-MM-DD", one of the declared days */
	char *start;     /* "HH:MM" */
	char *end;       /* "HH:MM", after start */
	char *location;
	char *notes;     /* what to know or bring; NULL when none */
	guint capacity;  /* 0 = unlimited */
	GStrv aliases;   /* never NULL */
	GStrv countries; /* ISO codes, upper-case; empty = everyone; never NULL */
	GStrv folded;    /* id, title, then aliases, through text_fold(): as
			  * requests are compared with them; never NULL */
} ConfigActivity;

typedef struct {
	char *file;  /* the file it was read from */

	char *event_name;
	char *event_location;
	char *event_timezone;   /* IANA name */
	GTimeZone *tz;          /* of event_timezone */
	char *event_address;    /* lower-case */
	GStrv organisers;       /* lower-case; never NULL */
	GStrv languages;        /* at least one; the first is the default */
	ConfigPolicy policy;
	GStrv trusted_domains;  /* lower-case; never NULL */
	gint64 registration_deadline; /* Unix seconds; 0 = none */

	GPtrArray *days;        /* of ConfigDay *, in date order */
	GPtrArray *activities;  /* of ConfigActivity *, in file order */

	char *state_dir;        /* as written: relative paths are to the cwd */
	char *intake_dir;
	char *quarantine_dir;   /* "<intake>.quarantine" unless set */
	char *templates_dir;

	char *transport;        /* as written */
	ConfigTransportKind transport_kind;
	char *transport_host;   /* smtp only */
	char *transport_port;   /* smtp only; "25" when not written */
	char *transport_dir;    /* maildir only */

	char *lmtp;             /* convened's LMTP listener: "unix:/PATH" or
				 * "HOST:PORT"; NULL for none */

	ConfigStarttls smtp_starttls;
	char *smtp_user;
	char *smtp_password_file;
	int smtp_retry_first;    /* seconds before the first retry; doubles each time */
	int smtp_retry_max;      /* the longest wait between two tries */
	int smtp_give_up_after;  /* a row still undelivered this long after it was
				  * queued is failed */
	guint smtp_sessions;     /* parallel SMTP sessions to the relay */

	char *programme_at;     /* "HH:MM" */
	char *digest_at;        /* "HH:MM" */
	int itinerary_days_before;

	guint64 max_message_size;
	guint replies_per_sender_per_hour;
	guint keep_sent_days;   /* a sent message's text is kept this long, and
				 * a Message-ID remembered */
} Config;

/* Reads and validates @path. Returns a new Config, or NULL with @error set
 * (CONFIG_ERROR_INVALID: the message holds every problem found, one per
 * line, each as "FILE:LINE: what is wrong"). Free with config_free(). */
Config *config_load(const char *path, GError **error);

/* Sets @a->folded from its id, title and aliases (config_load() does). */
void config_activity_fold_names(ConfigActivity *a);

void config_free(Config *cfg);

/* Returns the activity with id @id, or NULL. Borrowed from @cfg. */
const ConfigActivity *config_activity_find(const Config *cfg, const char *id);

/* Returns the declared day "YYYY-MM-DD" @date, or NULL. Borrowed. */
const ConfigDay *config_day_find(const Config *cfg, const char *date);

/* Returns TRUE if @lang is one of event.languages. */
gboolean config_has_language(const Config *cfg, const char *lang);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(Config, config_free)
