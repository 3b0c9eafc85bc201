/* SPDX-License-Identifier: ISC */
/* config.h: the event and the server's settings, read once from the
 * configuration file into one validated, immutable structure. Only config.c
 * knows the file format's library. */
#pragma once

#include <glib.h>

typedef struct _Field Field;
typedef struct _Grammar Grammar;
typedef struct _Language Language;

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

typedef enum {
	FIELD_TEXT,
	FIELD_LONG_TEXT,
	FIELD_YES_NO,
	FIELD_CHOICE,
	FIELD_MULTI_CHOICE,
	FIELD_NUMBER,
	FIELD_DATE,
	FIELD_COUNTRY,
	FIELD_EMAIL,
	/* built-in fields only */
	FIELD_LANGUAGE,
	FIELD_DAYS,
	FIELD_ACTIVITIES,
	FIELD_WAITLIST,
	FIELD_STATUS,
	FIELD_TIME,
} FieldType;

/* The spelling of a type in the configuration and a language's [types]
 * ("yes-no"), and back; only the types an organiser may declare (those up
 * to FIELD_EMAIL) are read. */
const char *config_field_type_name(FieldType type);
gboolean config_field_type_from_name(const char *name, FieldType *type);

/* An organiser's question, as the configuration declares it. */
typedef struct {
	char *id;
	FieldType type;
	gboolean required;
	GStrv choices;	    /* never NULL */
	GStrv activities;   /* ids; never NULL */
	GHashTable *labels; /* language code → label; "" → the first written */
	GHashTable *help;   /* likewise */
	GStrv keys;	    /* never NULL */
	int line;	    /* where its section opens */
} ConfigFieldSpec;

typedef struct {
	char *date;  /* "YYYY-MM-DD" */
	char *title;
	GDate gdate;
	int line;        /* where its section opens */
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
	int line;           /* where its section opens */
	int capacity_line;  /* where capacity is set, else where the section opens */
	int countries_line; /* likewise for countries */
} ConfigActivity;

typedef struct _Config {
	char *file;  /* the file it was read from */

	char *event_name;
	char *event_location;
	char *event_timezone;   /* IANA name */
	GTimeZone *tz;          /* of event_timezone */
	char *event_address;    /* lower-case */
	GStrv organisers;       /* lower-case; never NULL */
	GStrv languages;        /* at least one; the first is the default */
	int languages_line;     /* where event.languages is set */
	GPtrArray *field_specs; /* of ConfigFieldSpec *: the organisers' questions */

	/* What config_load() adds to what config_read() reads, and how it goes. */
	GPtrArray *langs;       /* of Language *: each of languages, in order */
	Language *mail;         /* what mail clients write (templates/mail.conf) */
	GPtrArray *fields;      /* of Field *: the field table, built-in then configured */
	Grammar *grammar;       /* the languages' words, indexed for reading mail */
	void (*release)(struct _Config *cfg); /* frees the four above; NULL: none */
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
	int lmtp_socket_mode;   /* a unix: socket's permission bits, or -1 to
				 * leave them as the umask makes them */
	char *lmtp_socket_group;/* a unix: socket's group, or NULL */

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
	guint64 max_line_length;    /* an LMTP message's longest line, its line
				     * end included */
	guint lmtp_idle_timeout;    /* seconds an LMTP client may stay silent */
	guint lmtp_max_connections; /* LMTP connections served at once */
	guint keep_sent_days;   /* a sent message's text is kept this long, and
				 * a Message-ID remembered */
	guint retention_days;   /* personal data is erased this many days after
				 * the event's last day (event.retention-days) */
} Config;

/* Reads and validates @path, with the data of its languages and its field
 * table (config-lang.c). Returns a new Config, or NULL with @error set
 * (CONFIG_ERROR_INVALID: the message holds every problem found, one per
 * line, each as "FILE:LINE: what is wrong"). Free with config_free(). */
Config *config_load(const char *path, GError **error);

/* Reads and checks @path as config_load() does, but for its languages'
 * data and its field table: the part that needs only GLib and libconfuse.
 * Returns NULL with @error only when the file cannot be read; else a
 * Config (free it) with each problem appended to @problems as "FILE:LINE:
 * what is wrong", and *@whole set to whether the whole file was read. */
Config *config_read(const char *path, GString *problems, gboolean *whole, GError **error);

/* Reads @path as config_load() does (its syntax, its option names, the
 * same errors) but builds only the paths (state_dir, intake_dir,
 * quarantine_dir, templates_dir) and file; every other field is left empty
 * and what the other sections say is not checked. For delivery from the
 * MTA, which runs once per message: it must start in a few milliseconds,
 * and must not turn mail away for a typo in an activity that
 * check-config, convened and run-once report anyway. */
Config *config_load_paths(const char *path, GError **error);

/* As config_read(), from the @len bytes at @data, named @path in problems
 * and in the Config. */
Config *config_read_data(const char *path, const char *data, gsize len, GString *problems,
			 gboolean *whole);

/* As config_load(), from the @len bytes at @data, named @path. */
Config *config_load_from_data(const char *path, const char *data, gsize len, GError **error);

/* Sets @a->folded from its id, title and aliases (config_load() does). */
void config_activity_fold_names(ConfigActivity *a);

void config_free(Config *cfg);

/* Returns the activity with id @id, or NULL. Borrowed from @cfg. */
const ConfigActivity *config_activity_find(const Config *cfg, const char *id);

/* Returns the declared day "YYYY-MM-DD" @date, or NULL. Borrowed. */
const ConfigDay *config_day_find(const Config *cfg, const char *date);

/* Returns TRUE if @lang is one of event.languages. */
gboolean config_has_language(const Config *cfg, const char *lang);

/* Returns the Language of code @lang, or of the event's first language
 * when @lang is not one of event.languages. Borrowed from @cfg. */
const Language *config_language(const Config *cfg, const char *lang);

/* Returns the field @id of the table, or NULL. Borrowed from @cfg. */
const Field *config_field(const Config *cfg, const char *id);

/* Reads "HH:MM" (00:00 to 23:59): the one reader of times of day. */
gboolean config_parse_time(const char *s, int *hour, int *minute);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(Config, config_free)
