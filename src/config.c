/* SPDX-License-Identifier: ISC */
/* config.c: reads the configuration file into one checked Config. It is the
 * only file that knows libconfuse. It must never hand out a Config from a file
 * with an error in it, and never stop at the first error when it can find
 * them all: an organiser fixes the whole file in one go. */

#include "autoconfig.h"

#include "config.h"

#include <confuse.h>
#include <errno.h>
#include <grp.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "text.h"

#ifndef PKGDATADIR
#define PKGDATADIR "/usr/share/convene"
#endif

#define DEFAULT_STATE_DIR "/var/lib/convene"
#define DEFAULT_INTAKE_DIR "/var/spool/convene/inbox"
#define DEFAULT_TEMPLATES_DIR PKGDATADIR "/templates"
#define DEFAULT_TRANSPORT "maildir:/var/spool/convene/sent"
#define DEFAULT_SMTP_PORT "25"

/* The language of an event that names none. */
#define DEFAULT_LANGUAGE "en"

/* The field types by the names of the configuration and a language's
 * [types]; an organiser may declare those up to FIELD_EMAIL. */
static const char *const type_names[] = {
    [FIELD_TEXT] = "text",	   [FIELD_LONG_TEXT] = "long-text", [FIELD_YES_NO] = "yes-no",
    [FIELD_CHOICE] = "choice",	   [FIELD_MULTI_CHOICE] = "multi-choice",
    [FIELD_NUMBER] = "number",	   [FIELD_DATE] = "date",	    [FIELD_COUNTRY] = "country",
    [FIELD_EMAIL] = "email",	   [FIELD_LANGUAGE] = "language",   [FIELD_DAYS] = "days",
    [FIELD_ACTIVITIES] = "activities", [FIELD_WAITLIST] = "waitlist", [FIELD_STATUS] = "status",
    [FIELD_TIME] = "time",
};

const char *config_field_type_name(FieldType type)
{
	return type < G_N_ELEMENTS(type_names) && type_names[type] != NULL ? type_names[type] : "";
}

gboolean config_field_type_from_name(const char *name, FieldType *type)
{
	for (guint i = 0; i <= FIELD_EMAIL; i++) {
		if (g_strcmp0(type_names[i], name) == 0) {
			*type = i;
			return TRUE;
		}
	}
	return FALSE;
}

static const char *const policy_names[] = {
    [CONFIG_POLICY_OPEN] = "open",
    [CONFIG_POLICY_CONFIRM] = "confirm",
    [CONFIG_POLICY_CLOSED] = "closed",
    NULL,
};

static const char *const starttls_names[] = {
    [CONFIG_STARTTLS_NONE] = "none",
    [CONFIG_STARTTLS_OPPORTUNISTIC] = "opportunistic",
    [CONFIG_STARTTLS_REQUIRED] = "required",
    NULL,
};

G_DEFINE_QUARK(config - error - quark, config_error)

typedef struct {
	int line;
	guint order; /* keeps problems on one line in the order found */
	char *text;
} Problem;

typedef struct {
	char *name;  /* "event", "day", "activity", ... */
	char *title; /* NULL for an untitled section */
	int line;
} Header;

typedef struct {
	GArray *problems;	  /* of Problem */
	GHashTable *option_lines; /* "SECTION-ADDRESS/OPTION" -> line */
	GPtrArray *headers;	  /* of Header *, in file order */
	gboolean complete;	  /* libconfuse read to the end of the file */
	gboolean paths_only;	  /* config_load_paths(): build the paths alone */
} Loader;

/* libconfuse's callbacks carry no user data, and its lexer is global state
 * anyway: one load at a time, and this is the one being read. */
G_LOCK_DEFINE_STATIC(confuse);
static Loader *loader_active;

static void problem_clear(gpointer data)
{
	Problem *p = data;

	g_free(p->text);
}

static void header_free(gpointer data)
{
	Header *h = data;

	g_free(h->name);
	g_free(h->title);
	g_free(h);
}

static void loader_problem(Loader *ld, int line, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

static void loader_problem(Loader *ld, int line, const char *fmt, ...)
{
	Problem p;
	va_list ap;

	va_start(ap, fmt);
	p.text = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	p.line = line > 0 ? line : 1;
	p.order = ld->problems->len;
	g_array_append_val(ld->problems, p);
}

static int problem_compare(gconstpointer a, gconstpointer b)
{
	const Problem *pa = a, *pb = b;

	if (pa->line != pb->line)
		return pa->line < pb->line ? -1 : 1;
	return pa->order < pb->order ? -1 : pa->order > pb->order;
}

static char *option_key(cfg_t *sec, const char *option)
{
	return g_strdup_printf("%p/%s", (void *)sec, option);
}

/* The line where @sec opens, as noted by scan_text(); 1 for the top level
 * and for a section the file does not have. */
static int section_line(Loader *ld, cfg_t *sec)
{
	for (guint i = 0; i < ld->headers->len; i++) {
		const Header *h = g_ptr_array_index(ld->headers, i);

		if (g_str_equal(h->name, cfg_name(sec)) && g_strcmp0(h->title, cfg_title(sec)) == 0)
			return h->line;
	}
	return 1;
}

/* The line where @option of @sec was set, or else where @sec opens. */
static int option_line(Loader *ld, cfg_t *sec, const char *option)
{
	g_autofree char *key = NULL;
	gpointer line;

	if (option == NULL)
		return section_line(ld, sec);
	key = option_key(sec, option);
	if (g_hash_table_lookup_extended(ld->option_lines, key, NULL, &line))
		return GPOINTER_TO_INT(line);
	return section_line(ld, sec);
}

static void report(Loader *ld, cfg_t *sec, const char *option, const char *fmt, ...)
    G_GNUC_PRINTF(4, 5);

/* Records a problem with @option of @sec (or with @sec itself when @option
 * is NULL), prefixed with the section it is in. */
static void report(Loader *ld, cfg_t *sec, const char *option, const char *fmt, ...)
{
	g_autofree char *text = NULL;
	va_list ap;

	va_start(ap, fmt);
	text = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	if (cfg_title(sec) != NULL)
		loader_problem(ld, option_line(ld, sec, option), "%s \"%s\": %s", cfg_name(sec),
			       cfg_title(sec), text);
	else if (g_str_equal(cfg_name(sec), "root"))
		loader_problem(ld, option_line(ld, sec, option), "%s", text);
	else
		loader_problem(ld, option_line(ld, sec, option), "%s: %s", cfg_name(sec), text);
}

static void on_confuse_error(cfg_t *sec, const char *fmt, va_list ap)
{
	g_autofree char *text = g_strdup_vprintf(fmt, ap);

	loader_problem(loader_active, sec != NULL ? sec->line : 1, "%s", text);
}

/* Validation callback on every option: libconfuse calls it as each value is
 * read, while the section's line counter is on that value. Line 0 means it is
 * setting a default, not reading the file. A list keeps the line of its first
 * value. */
static int on_option_read(cfg_t *sec, cfg_opt_t *opt)
{
	g_autofree char *key = NULL;

	if (sec->line <= 0)
		return 0;
	key = option_key(sec, opt->name);
	if ((opt->flags & CFGF_LIST) != 0 &&
	    (cfg_opt_size(opt) > 1 || g_hash_table_contains(loader_active->option_lines, key)))
		return 0;
	g_hash_table_replace(loader_active->option_lines, g_steal_pointer(&key),
			     GINT_TO_POINTER(sec->line));
	return 0;
}

/* ---- the text before libconfuse reads it ---- */

typedef enum {
	TOP_NAME,  /* expecting an option or section name */
	TOP_AFTER, /* after a name: '=', a title or '{' */
	TOP_TITLE, /* after a title: '{' */
	TOP_VALUE, /* after '=': a value or a list */
} TopState;

/* Blanks out comments, keeping every newline, and notes the line where each
 * top-level section opens. libconfuse 3.3 counts a '#' comment line as three
 * lines and cannot read a comment inside a list; it also keeps only the line
 * where a section closes. The rules for strings and comments are its
 * lexer's: '#' outside quotes and '//' or slash-star at the start of a word
 * begin a comment. */
static char *scan_text(Loader *ld, const char *text)
{
	char *out = g_strdup(text);
	TopState state = TOP_NAME;
	g_autofree char *name = NULL;
	g_autofree char *title = NULL;
	int name_line = 0;
	int depth = 0;
	int line = 1;
	size_t i = 0;

	while (out[i] != '\0') {
		char c = out[i];
		size_t start = i;
		int word_line = line;
		g_autofree char *word = NULL;

		if (c == '\n') {
			line++;
			i++;
			continue;
		}
		if (c == ' ' || c == '\t' || c == '\r') {
			i++;
			continue;
		}
		if (c == '#' || (c == '/' && out[i + 1] == '/')) {
			for (; out[i] != '\0' && out[i] != '\n'; i++)
				out[i] = ' ';
			continue;
		}
		if (c == '/' && out[i + 1] == '*') {
			for (; out[i] != '\0' && !(out[i] == '*' && out[i + 1] == '/'); i++) {
				if (out[i] == '\n')
					line++;
				else
					out[i] = ' ';
			}
			for (int k = 0; k < 2 && out[i] != '\0'; k++)
				out[i++] = ' ';
			continue;
		}
		if (strchr("{}=+,()", c) != NULL) {
			i++;
			if (depth > 0) {
				depth += c == '{' ? 1 : c == '}' ? -1 : 0;
				if (depth == 0)
					state = TOP_NAME;
				continue;
			}
			if (c == '{' && (state == TOP_AFTER || state == TOP_TITLE)) {
				Header *h = g_new0(Header, 1);

				h->name = g_steal_pointer(&name);
				h->title = g_steal_pointer(&title);
				h->line = name_line;
				g_ptr_array_add(ld->headers, h);
			}
			if (c == '{')
				depth++;
			else if (c == '=' || c == '+')
				state = TOP_VALUE;
			continue;
		}
		if (c == '"' || c == '\'') {
			for (i++; out[i] != '\0' && out[i] != c; i++) {
				if (out[i] == '\\' && out[i + 1] != '\0' &&
				    (c == '"' || out[i + 1] == '\\' || out[i + 1] == '\''))
					i++;
				if (out[i] == '\n')
					line++;
			}
			word = g_strndup(out + start + 1, i - start - 1);
			if (out[i] != '\0')
				i++;
		} else {
			while (out[i] != '\0' && strchr(" \t\r\n#\"'{}=+,()", out[i]) == NULL)
				i++;
			word = g_strndup(out + start, i - start);
		}
		if (depth > 0)
			continue;
		switch (state) {
		case TOP_NAME:
		case TOP_TITLE:
			g_free(name);
			g_clear_pointer(&title, g_free);
			name = g_steal_pointer(&word);
			name_line = word_line;
			state = TOP_AFTER;
			break;
		case TOP_AFTER:
			title = g_steal_pointer(&word);
			state = TOP_TITLE;
			break;
		case TOP_VALUE:
			state = TOP_NAME;
			break;
		}
	}
	return out;
}

/* ---- values ---- */

static gboolean digits(const char *s, int n, int *value)
{
	*value = 0;
	for (int i = 0; i < n; i++) {
		if (!g_ascii_isdigit(s[i]))
			return FALSE;
		*value = *value * 10 + (s[i] - '0');
	}
	return TRUE;
}

/* "YYYY-MM-DD", a real calendar date. */
static gboolean parse_date(const char *s, GDate *date)
{
	int y, m, d;

	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-' || !digits(s, 4, &y) ||
	    !digits(s + 5, 2, &m) || !digits(s + 8, 2, &d) || !g_date_valid_dmy(d, m, y))
		return FALSE;
	if (date != NULL) {
		g_date_clear(date, 1);
		g_date_set_dmy(date, d, m, y);
	}
	return TRUE;
}

gboolean config_parse_time(const char *s, int *hour, int *minute)
{
	int h, m;

	if (strlen(s) != 5 || s[2] != ':' || !digits(s, 2, &h) || !digits(s + 3, 2, &m) || h > 23 ||
	    m > 59)
		return FALSE;
	if (hour != NULL)
		*hour = h;
	if (minute != NULL)
		*minute = m;
	return TRUE;
}

/* "YYYY-MM-DDTHH:MM" in @tz, as Unix seconds. */
static gboolean parse_deadline(const char *s, GTimeZone *tz, gint64 *when)
{
	char date_part[11];
	GDate date;
	int hour, minute;
	g_autoptr(GDateTime) dt = NULL;

	if (strlen(s) != 16 || s[10] != 'T')
		return FALSE;
	memcpy(date_part, s, 10);
	date_part[10] = '\0';
	if (!parse_date(date_part, &date) || !config_parse_time(s + 11, &hour, &minute))
		return FALSE;
	if (tz == NULL)
		return TRUE;
	dt = g_date_time_new(tz, g_date_get_year(&date), g_date_get_month(&date),
			     g_date_get_day(&date), hour, minute, 0);
	if (dt == NULL)
		return FALSE;
	*when = g_date_time_to_unix(dt);
	return TRUE;
}

/* Free of spaces, control characters and the characters that delimit an
 * address in a header. */
static gboolean plain_token(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		guchar c = s[i];

		if (c <= ' ' || c == 0x7f || strchr("<>()[],;:\\\"@", c) != NULL)
			return FALSE;
	}
	return len > 0;
}

static gboolean is_domain(const char *s)
{
	size_t len = strlen(s);

	return plain_token(s, len) && s[0] != '.' && s[len - 1] != '.' && strstr(s, "..") == NULL;
}

/* A simple sane check, not RFC 5322: one '@' between a local part and a
 * domain, neither empty, no spaces or control characters. */
static gboolean is_address(const char *s)
{
	const char *at = strchr(s, '@');

	return at != NULL && plain_token(s, at - s) && is_domain(at + 1);
}

/* Short, as it is part of store keys (waiting lists). */
#define ACTIVITY_ID_MAX 64

static gboolean is_activity_id(const char *s)
{
	if (*s == '\0' || strlen(s) > ACTIVITY_ID_MAX)
		return FALSE;
	for (; *s != '\0'; s++)
		if (!g_ascii_islower(*s) && !g_ascii_isdigit(*s) && *s != '-')
			return FALSE;
	return TRUE;
}

/* Text shown to people (titles, names, aliases) is one line. */
static gboolean is_one_line(const char *s)
{
	for (; *s != '\0'; s++)
		if ((guchar)*s < ' ' || *s == 0x7f)
			return FALSE;
	return TRUE;
}

static int name_index(const char *const *names, const char *value)
{
	for (int i = 0; names[i] != NULL; i++)
		if (g_str_equal(names[i], value))
			return i;
	return -1;
}

/* "smtp://HOST[:PORT]" or "maildir:DIR". Sets the transport_* fields of
 * @cfg. */
static gboolean parse_transport(const char *s, Config *cfg)
{
	const char *host, *colon;
	int port;

	if (g_str_has_prefix(s, "maildir:")) {
		if (s[strlen("maildir:")] == '\0')
			return FALSE;
		cfg->transport_kind = CONFIG_TRANSPORT_MAILDIR;
		cfg->transport_dir = g_strdup(s + strlen("maildir:"));
		return TRUE;
	}
	if (!g_str_has_prefix(s, "smtp://"))
		return FALSE;
	host = s + strlen("smtp://");
	colon = host + strcspn(host, ":");
	if (!plain_token(host, colon - host) || memchr(host, '/', colon - host) != NULL)
		return FALSE;
	if (*colon == '\0') {
		cfg->transport_port = g_strdup(DEFAULT_SMTP_PORT);
	} else {
		size_t len = strlen(colon + 1);

		if (len == 0 || len > 5 || !digits(colon + 1, len, &port) || port < 1 ||
		    port > 65535)
			return FALSE;
		cfg->transport_port = g_strdup_printf("%d", port);
	}
	cfg->transport_kind = CONFIG_TRANSPORT_SMTP;
	cfg->transport_host = g_strndup(host, colon - host);
	return TRUE;
}

/* ---- reading options ---- */

/* The value of @option, NULL when unset or empty. A missing @required one is
 * reported, unless the file was not read to the end. A value that is not
 * UTF-8 (${VAR} substitution can bring one in) is reported and read as
 * unset. */
static const char *get_str(Loader *ld, cfg_t *sec, const char *option, gboolean required)
{
	const char *s = cfg_getstr(sec, option);

	if (s != NULL && !g_utf8_validate(s, -1, NULL)) {
		report(ld, sec, option, "%s is not valid UTF-8", option);
		return NULL;
	}
	if (s != NULL && *s == '\0' && required)
		report(ld, sec, option, "%s must not be empty", option);
	else if (s == NULL && required && ld->complete)
		report(ld, sec, option, "%s is required", option);
	return s != NULL && *s != '\0' ? s : NULL;
}

/* The values of list @option that are UTF-8, borrowed from @sec. */
static GPtrArray *get_list(Loader *ld, cfg_t *sec, const char *option)
{
	GPtrArray *values = g_ptr_array_new();
	unsigned int n = cfg_size(sec, option);

	for (unsigned int i = 0; i < n; i++) {
		const char *s = cfg_getnstr(sec, option, i);

		if (g_utf8_validate(s, -1, NULL))
			g_ptr_array_add(values, (gpointer)s);
		else
			report(ld, sec, option, "%s: value %u is not valid UTF-8", option, i + 1);
	}
	return values;
}

static gboolean get_count(Loader *ld, cfg_t *sec, const char *option, long min, long max,
			  long *value)
{
	*value = cfg_getint(sec, option);
	if (*value < min)
		report(ld, sec, option, "%s must be %ld or more, not %ld", option, min, *value);
	else if (*value > max)
		report(ld, sec, option, "%s must be %ld at most, not %ld", option, max, *value);
	return *value >= min && *value <= max;
}

static GStrv strv_from(GPtrArray *values)
{
	g_autoptr(GStrvBuilder) b = g_strv_builder_new();

	for (guint i = 0; i < values->len; i++)
		g_strv_builder_add(b, g_ptr_array_index(values, i));
	return g_strv_builder_end(b);
}

/* A list of addresses (or, with @domains, of domain names), lower-cased. */
static GStrv get_addresses(Loader *ld, cfg_t *sec, const char *option, gboolean domains)
{
	g_autoptr(GPtrArray) values = get_list(ld, sec, option);
	g_autoptr(GPtrArray) lower = g_ptr_array_new_with_free_func(g_free);

	for (guint i = 0; i < values->len; i++) {
		const char *s = g_ptr_array_index(values, i);

		if (domains ? !is_domain(s) : !is_address(s))
			report(ld, sec, option, "%s: '%s' is not %s", option, s,
			       domains ? "a domain name" : "an email address");
		else
			g_ptr_array_add(lower, g_utf8_strdown(s, -1));
	}
	return strv_from(lower);
}

/* ---- sections ---- */

static void read_event(Loader *ld, cfg_t *sec, Config *cfg)
{
	const char *name = get_str(ld, sec, "name", TRUE);
	const char *location = get_str(ld, sec, "location", FALSE);
	const char *tzname = get_str(ld, sec, "timezone", TRUE);
	const char *address = get_str(ld, sec, "address", TRUE);
	const char *policy = get_str(ld, sec, "policy", TRUE);
	const char *deadline = get_str(ld, sec, "registration-deadline", FALSE);
	g_autoptr(GPtrArray) languages = get_list(ld, sec, "languages");
	g_autoptr(GPtrArray) lower = g_ptr_array_new_with_free_func(g_free);

	if (name != NULL && !is_one_line(name))
		report(ld, sec, "name", "name must be one line, without control characters");
	cfg->event_name = g_strdup(name);
	if (location != NULL && !is_one_line(location))
		report(ld, sec, "location",
		       "location must be one line, without control characters");
	cfg->event_location = g_strdup(location != NULL ? location : "");

	if (tzname != NULL) {
		cfg->event_timezone = g_strdup(tzname);
		cfg->tz = g_time_zone_new_identifier(tzname);
		if (cfg->tz == NULL)
			report(ld, sec, "timezone",
			       "unknown time zone '%s' (an IANA name such as Europe/Paris)",
			       tzname);
	}

	if (address != NULL && !is_address(address))
		report(ld, sec, "address", "address '%s' is not an email address", address);
	else if (address != NULL)
		cfg->event_address = g_utf8_strdown(address, -1);
	cfg->organisers = get_addresses(ld, sec, "organisers", FALSE);
	cfg->trusted_domains = get_addresses(ld, sec, "trusted-domains", TRUE);

	if (languages->len == 0 && (cfg_getopt(sec, "languages")->flags & CFGF_MODIFIED) == 0)
		g_ptr_array_add(languages, (gpointer)DEFAULT_LANGUAGE);
	if (languages->len == 0)
		report(ld, sec, "languages", "languages must list at least one language");
	if (languages->len > 32)
		report(ld, sec, "languages", "languages may list 32 languages at most");
	for (guint i = 0; i < languages->len; i++) {
		char *lang = g_utf8_strdown(g_ptr_array_index(languages, i), -1);

		if (g_ptr_array_find_with_equal_func(lower, lang, g_str_equal, NULL))
			report(ld, sec, "languages", "language '%s' is listed twice", lang);
		g_ptr_array_add(lower, lang);
	}
	cfg->languages = strv_from(lower);

	if (policy != NULL && name_index(policy_names, policy) < 0)
		report(ld, sec, "policy", "policy '%s' must be open, confirm or closed", policy);
	else if (policy != NULL)
		cfg->policy = name_index(policy_names, policy);

	if (deadline != NULL && !parse_deadline(deadline, cfg->tz, &cfg->registration_deadline))
		report(ld, sec, "registration-deadline",
		       "registration-deadline '%s' is not a date and time (YYYY-MM-DDTHH:MM)",
		       deadline);
	{
		long days;

		if (get_count(ld, sec, "retention-days", 0, 36500, &days))
			cfg->retention_days = days;
	}
}

static void day_free(gpointer data)
{
	ConfigDay *day = data;

	g_free(day->date);
	g_free(day->title);
	g_free(day);
}

/* "YYYY-MM-DD" sorts as text; a day that is not a date has no GDate. */
static int day_compare(gconstpointer a, gconstpointer b)
{
	const ConfigDay *da = *(ConfigDay *const *)a, *db = *(ConfigDay *const *)b;

	return strcmp(da->date, db->date);
}

static void read_days(Loader *ld, cfg_t *root, Config *cfg)
{
	unsigned int n = cfg_size(root, "day");

	for (unsigned int i = 0; i < n; i++) {
		cfg_t *sec = cfg_getnsec(root, "day", i);
		const char *title = get_str(ld, sec, "title", FALSE);
		ConfigDay *day = g_new0(ConfigDay, 1);

		day->date = g_strdup(cfg_title(sec));
		day->title = g_strdup(title != NULL ? title : "");
		day->line = section_line(ld, sec);
		g_ptr_array_add(cfg->days, day);
		if (!parse_date(day->date, &day->gdate))
			report(ld, sec, NULL, "not a date (YYYY-MM-DD)");
		if (!is_one_line(day->title))
			report(ld, sec, "title",
			       "title must be one line, without control characters");
	}
	if (n == 0 && ld->complete)
		loader_problem(ld, 1,
			       "no day declared: an event needs at least one day \"YYYY-MM-DD\" { "
			       "title = \"...\" }");
	g_ptr_array_sort(cfg->days, day_compare);
}

static void activity_free(gpointer data)
{
	ConfigActivity *a = data;

	g_free(a->id);
	g_free(a->title);
	g_free(a->day);
	g_free(a->start);
	g_free(a->end);
	g_free(a->location);
	g_free(a->notes);
	g_strfreev(a->aliases);
	g_strfreev(a->countries);
	g_strfreev(a->folded);
	g_free(a);
}

static char *declared_days(Config *cfg)
{
	GString *s = g_string_new(NULL);

	for (guint i = 0; i < cfg->days->len; i++) {
		const ConfigDay *day = g_ptr_array_index(cfg->days, i);

		if (g_date_valid(&day->gdate))
			g_string_append_printf(s, "%s%s", s->len > 0 ? ", " : "", day->date);
	}
	return g_string_free(s, FALSE);
}

static void read_activity_day(Loader *ld, cfg_t *sec, Config *cfg, ConfigActivity *a)
{
	const char *day = get_str(ld, sec, "day", TRUE);

	if (day == NULL)
		return;
	a->day = g_strdup(day);
	if (!parse_date(day, NULL)) {
		report(ld, sec, "day", "day '%s' is not a date (YYYY-MM-DD)", day);
	} else if (config_day_find(cfg, day) == NULL && ld->complete) {
		g_autofree char *days = declared_days(cfg);

		report(ld, sec, "day", "day %s is not declared (days: %s)", day, days);
	}
}

static void read_activity_times(Loader *ld, cfg_t *sec, ConfigActivity *a)
{
	const char *start = get_str(ld, sec, "start", TRUE);
	const char *end = get_str(ld, sec, "end", TRUE);
	gboolean start_ok = start != NULL && config_parse_time(start, NULL, NULL);
	gboolean end_ok = end != NULL && config_parse_time(end, NULL, NULL);

	if (start != NULL && !start_ok)
		report(ld, sec, "start", "start '%s' is not a time (HH:MM, 00:00 to 23:59)", start);
	if (end != NULL && !end_ok)
		report(ld, sec, "end", "end '%s' is not a time (HH:MM, 00:00 to 23:59)", end);
	if (start_ok && end_ok && strcmp(end, start) <= 0)
		report(ld, sec, "end", "end %s is not after start %s", end, start);
	a->start = g_strdup(start);
	a->end = g_strdup(end);
}

static GStrv read_countries(Loader *ld, cfg_t *sec)
{
	g_autoptr(GPtrArray) values = get_list(ld, sec, "countries");
	g_autoptr(GPtrArray) upper = g_ptr_array_new_with_free_func(g_free);

	for (guint i = 0; i < values->len; i++) {
		const char *s = g_ptr_array_index(values, i);

		if (strlen(s) != 2 || !g_ascii_isalpha(s[0]) || !g_ascii_isalpha(s[1]))
			report(ld, sec, "countries", "country '%s' is not a two-letter ISO code",
			       s);
		else
			g_ptr_array_add(upper, g_ascii_strup(s, -1));
	}
	return strv_from(upper);
}

static GStrv read_aliases(Loader *ld, cfg_t *sec)
{
	g_autoptr(GPtrArray) values = get_list(ld, sec, "aliases");
	g_autoptr(GPtrArray) stripped = g_ptr_array_new_with_free_func(g_free);

	for (guint i = 0; i < values->len; i++) {
		char *alias = g_strstrip(g_strdup(g_ptr_array_index(values, i)));

		if (*alias == '\0' || !is_one_line(alias))
			report(ld, sec, "aliases", "alias '%s' must be one non-empty line",
			       (const char *)g_ptr_array_index(values, i));
		g_ptr_array_add(stripped, alias);
	}
	return strv_from(stripped);
}

static ConfigActivity *read_activity(Loader *ld, cfg_t *sec, Config *cfg)
{
	ConfigActivity *a = g_new0(ConfigActivity, 1);
	const char *title = get_str(ld, sec, "title", FALSE);
	const char *location = get_str(ld, sec, "location", FALSE);
	const char *notes = get_str(ld, sec, "notes", FALSE);
	long capacity;

	a->id = g_strdup(cfg_title(sec));
	if (!is_activity_id(a->id))
		report(ld, sec, NULL, "an activity id may only hold a-z, 0-9 and '-', at most 64 of them");
	a->title = g_strdup(title != NULL ? title : a->id);
	if (!is_one_line(a->title))
		report(ld, sec, "title", "title must be one line, without control characters");
	read_activity_day(ld, sec, cfg, a);
	read_activity_times(ld, sec, a);
	if (location != NULL && !is_one_line(location))
		report(ld, sec, "location",
		       "location must be one line, without control characters");
	a->location = g_strdup(location != NULL ? location : cfg->event_location);
	if (notes != NULL && !is_one_line(notes))
		report(ld, sec, "notes", "notes must be one line, without control characters");
	a->notes = notes != NULL && *notes != '\0' ? g_strdup(notes) : NULL;
	if (get_count(ld, sec, "capacity", 0, G_MAXUINT, &capacity))
		a->capacity = capacity;
	a->aliases = read_aliases(ld, sec);
	a->countries = read_countries(ld, sec);
	a->line = section_line(ld, sec);
	a->capacity_line = option_line(ld, sec, "capacity");
	a->countries_line = option_line(ld, sec, "countries");
	config_activity_fold_names(a);
	return a;
}

void config_activity_fold_names(ConfigActivity *a)
{
	g_strfreev(a->folded);
	a->folded = g_new0(char *, g_strv_length(a->aliases) + 3);
	a->folded[0] = text_fold(a->id);
	a->folded[1] = text_fold(a->title);
	for (guint i = 0; a->aliases[i] != NULL; i++)
		a->folded[i + 2] = text_fold(a->aliases[i]);
}

static char *fold(const char *s)
{
	g_autofree char *normal = g_utf8_normalize(s, -1, G_NORMALIZE_DEFAULT_COMPOSE);

	return g_utf8_casefold(normal, -1);
}

/* People name activities by id, title or alias: each name must lead to one
 * activity only. */
static void check_names(Loader *ld, cfg_t *root, Config *cfg)
{
	g_autoptr(GHashTable) owner = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

	for (guint i = 0; i < cfg->activities->len; i++) {
		const ConfigActivity *a = g_ptr_array_index(cfg->activities, i);
		cfg_t *sec = cfg_getnsec(root, "activity", i);
		const char *names[] = {a->id, a->title};

		if (!is_activity_id(a->id))
			continue;
		for (guint k = 0; k < G_N_ELEMENTS(names) + g_strv_length(a->aliases); k++) {
			const char *name = k < G_N_ELEMENTS(names)
					       ? names[k]
					       : a->aliases[k - G_N_ELEMENTS(names)];
			char *key = fold(name);
			const ConfigActivity *other = g_hash_table_lookup(owner, key);

			if (other != NULL && other != a)
				report(ld, sec,
				       k == 0	? NULL
				       : k == 1 ? "title"
						: "aliases",
				       "'%s' also names activity \"%s\"", name, other->id);
			if (other == NULL)
				g_hash_table_insert(owner, key, (gpointer)a);
			else
				g_free(key);
		}
	}
}

static void read_paths(Loader *ld, cfg_t *sec, Config *cfg)
{
	const char *quarantine = get_str(ld, sec, "quarantine", FALSE);
	const char *written = cfg_getstr(sec, "quarantine");

	if (written != NULL && *written == '\0')
		report(ld, sec, "quarantine", "quarantine must not be empty");
	cfg->state_dir = g_strdup(get_str(ld, sec, "state", TRUE));
	cfg->intake_dir = g_strdup(get_str(ld, sec, "intake", TRUE));
	cfg->templates_dir = g_strdup(get_str(ld, sec, "templates", TRUE));
	if (quarantine != NULL) {
		cfg->quarantine_dir = g_strdup(quarantine);
	} else if (cfg->intake_dir != NULL) {
		/* "inbox/" must give "inbox.quarantine", not "inbox/.quarantine" */
		size_t len = strlen(cfg->intake_dir);

		while (len > 1 && cfg->intake_dir[len - 1] == '/')
			len--;
		cfg->quarantine_dir = g_strdup_printf("%.*s.quarantine", (int)len, cfg->intake_dir);
	}
}

/* "unix:/path" or "HOST:PORT" (a numeric port, 1 to 65535). */
static gboolean valid_listener(const char *s)
{
	const char *colon = strrchr(s, ':');
	char *end;
	guint64 port;

	if (g_str_has_prefix(s, "unix:"))
		return s[5] == '/';
	if (colon == NULL || colon == s)
		return FALSE;
	port = g_ascii_strtoull(colon + 1, &end, 10);
	return *end == '\0' && colon[1] != '\0' && port >= 1 && port <= 65535;
}

static void read_transport(Loader *ld, cfg_t *root, cfg_t *smtp, Config *cfg)
{
	const char *transport = get_str(ld, root, "transport", TRUE);
	const char *lmtp = get_str(ld, root, "lmtp", FALSE);

	if (lmtp != NULL && *lmtp != '\0') {
		if (valid_listener(lmtp))
			cfg->lmtp = g_strdup(lmtp);
		else
			report(ld, root, "lmtp",
			       "lmtp '%s' must be unix:/PATH or HOST:PORT (PORT 1 to 65535)", lmtp);
	}
	const char *starttls = get_str(ld, smtp, "starttls", TRUE);

	if (transport != NULL) {
		cfg->transport = g_strdup(transport);
		if (!parse_transport(transport, cfg))
			report(ld, root, "transport",
			       "transport '%s' must be smtp://HOST[:PORT] (PORT 1 to 65535) or "
			       "maildir:DIR",
			       transport);
	}
	if (starttls != NULL && name_index(starttls_names, starttls) < 0)
		report(ld, smtp, "starttls",
		       "starttls '%s' must be none, opportunistic or required", starttls);
	else if (starttls != NULL)
		cfg->smtp_starttls = name_index(starttls_names, starttls);
	cfg->smtp_user = g_strdup(get_str(ld, smtp, "user", FALSE));
	cfg->smtp_password_file = g_strdup(get_str(ld, smtp, "password-file", FALSE));
	{
		long first = 0, most = 0, give_up = 0, sessions = 0;

		if (get_count(ld, smtp, "retry-first", 1, G_MAXINT, &first))
			cfg->smtp_retry_first = (int)first;
		if (get_count(ld, smtp, "retry-max", 1, G_MAXINT, &most))
			cfg->smtp_retry_max = (int)most;
		if (get_count(ld, smtp, "give-up-after", 1, G_MAXINT, &give_up))
			cfg->smtp_give_up_after = (int)give_up;
		if (get_count(ld, smtp, "sessions", 1, 64, &sessions))
			cfg->smtp_sessions = (guint)sessions;
		if (first > 0 && most > 0 && most < first)
			report(ld, smtp, "retry-max", "retry-max (%ld s) is shorter than retry-first (%ld s)",
			       most, first);
	}
}

static void read_schedule(Loader *ld, cfg_t *schedule, cfg_t *limits, Config *cfg)
{
	const char *times[] = {"programme-at", "digest-at"};
	char **fields[] = {&cfg->programme_at, &cfg->digest_at};
	long n;

	for (guint i = 0; i < G_N_ELEMENTS(times); i++) {
		const char *at = get_str(ld, schedule, times[i], TRUE);

		if (at != NULL && !config_parse_time(at, NULL, NULL))
			report(ld, schedule, times[i],
			       "%s '%s' is not a time (HH:MM, 00:00 to 23:59)", times[i], at);
		*fields[i] = g_strdup(at);
	}
	if (get_count(ld, schedule, "itinerary-days-before", 0, G_MAXINT, &n))
		cfg->itinerary_days_before = n;
	if (get_count(ld, limits, "max-message-size", 1, G_MAXLONG, &n))
		cfg->max_message_size = n;
	if (get_count(ld, limits, "replies-per-sender-per-hour", 0, G_MAXUINT, &n))
		cfg->replies_per_sender_per_hour = n;
	if (get_count(ld, limits, "keep-sent-days", 1, 36500, &n))
		cfg->keep_sent_days = n;
}

/* ---- the organisers' own questions ---- */

/* "en=T-shirt size" (or a text alone, for every language) into @texts:
 * the first one written is also kept under "". */
static void read_texts(Loader *ld, cfg_t *sec, const char *option, Config *cfg,
		       GHashTable *texts)
{
	g_autoptr(GPtrArray) values = get_list(ld, sec, option);

	for (guint i = 0; i < values->len; i++) {
		const char *v = g_ptr_array_index(values, i);
		const char *eq = strchr(v, '=');
		g_autofree char *code = NULL;
		const char *text = v;

		if (eq != NULL && eq - v <= 8 && eq > v) {
			code = g_ascii_strdown(v, eq - v);
			text = eq + 1;
			if (!config_has_language(cfg, code)) {
				report(ld, sec, option, "%s: '%s' is not one of the event's languages",
				       option, code);
				continue;
			}
		}
		while (*text == ' ')
			text++;
		if (*text == '\0' || !is_one_line(text)) {
			report(ld, sec, option, "%s: '%s' must be one non-empty line", option, v);
			continue;
		}
		if (code != NULL)
			g_hash_table_replace(texts, g_strdup(code), g_strdup(text));
		if (code == NULL || !g_hash_table_contains(texts, ""))
			g_hash_table_replace(texts, g_strdup(""), g_strdup(text));
	}
}

static GStrv read_keys(Loader *ld, cfg_t *sec, const char *option)
{
	g_autoptr(GPtrArray) values = get_list(ld, sec, option);
	g_autoptr(GPtrArray) keys = g_ptr_array_new_with_free_func(g_free);

	for (guint i = 0; i < values->len; i++) {
		char *key = g_strstrip(g_strdup(g_ptr_array_index(values, i)));

		if (*key == '\0' || !is_one_line(key) || strchr(key, ':') != NULL) {
			report(ld, sec, option, "%s: '%s' must be one non-empty line without ':'",
			       option, (const char *)g_ptr_array_index(values, i));
			g_free(key);
			continue;
		}
		g_ptr_array_add(keys, key);
	}
	return strv_from(keys);
}

static void field_spec_free(gpointer data)
{
	ConfigFieldSpec *f = data;

	g_free(f->id);
	g_strfreev(f->choices);
	g_strfreev(f->activities);
	g_strfreev(f->keys);
	g_hash_table_unref(f->labels);
	g_hash_table_unref(f->help);
	g_free(f);
}

/* Reads a field section: the checks here need no field table, which
 * config_load() builds from what this keeps. */
static ConfigFieldSpec *read_field(Loader *ld, cfg_t *sec, Config *cfg)
{
	ConfigFieldSpec *f = g_new0(ConfigFieldSpec, 1);
	const char *type_name = get_str(ld, sec, "type", TRUE);
	g_autoptr(GPtrArray) choices = get_list(ld, sec, "choices");
	g_autoptr(GPtrArray) activities = get_list(ld, sec, "activities");
	gboolean choosing;

	f->id = g_strdup(cfg_title(sec));
	f->line = section_line(ld, sec);
	f->labels = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	f->help = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	if (!is_activity_id(f->id))
		report(ld, sec, NULL, "a field id may only hold a-z, 0-9 and '-', at most 64 of them");
	if (type_name != NULL && !config_field_type_from_name(type_name, &f->type))
		report(ld, sec, "type",
		       "type '%s' must be text, long-text, yes-no, choice, multi-choice, number, "
		       "date, country or email",
		       type_name);
	f->required = cfg_getbool(sec, "required");
	choosing = f->type == FIELD_CHOICE || f->type == FIELD_MULTI_CHOICE;
	if (choosing && choices->len == 0)
		report(ld, sec, "choices", "a %s field needs choices = {\"...\", ...}", type_name);
	if (!choosing && choices->len > 0)
		report(ld, sec, "choices", "choices are for choice and multi-choice fields only");
	for (guint i = 0; i < choices->len; i++) {
		const char *c = g_ptr_array_index(choices, i);

		if (*c == '\0' || !is_one_line(c) || strchr(c, ',') != NULL)
			report(ld, sec, "choices", "choice '%s' must be one non-empty line without ','",
			       c);
	}
	f->choices = strv_from(choices);
	for (guint i = 0; i < activities->len; i++) {
		const char *a = g_ptr_array_index(activities, i);

		if (config_activity_find(cfg, a) == NULL)
			report(ld, sec, "activities", "activities: no activity \"%s\"", a);
	}
	f->activities = strv_from(activities);
	f->keys = read_keys(ld, sec, "keys");
	read_texts(ld, sec, "label", cfg, f->labels);
	read_texts(ld, sec, "help", cfg, f->help);
	return f;
}

static void read_fields(Loader *ld, cfg_t *root, Config *cfg)
{
	unsigned int n = cfg_size(root, "field");

	cfg->field_specs = g_ptr_array_new_with_free_func(field_spec_free);
	for (unsigned int i = 0; i < n; i++)
		g_ptr_array_add(cfg->field_specs, read_field(ld, cfg_getnsec(root, "field", i), cfg));
}

/* The LMTP socket's access and the LMTP limits. The group must exist
 * here: check-config runs where convened will. */
static void read_lmtp(Loader *ld, cfg_t *root, cfg_t *limits, Config *cfg)
{
	const char *mode = get_str(ld, root, "lmtp-socket-mode", FALSE);
	const char *group = get_str(ld, root, "lmtp-socket-group", FALSE);
	gboolean unix_socket = cfg->lmtp != NULL && g_str_has_prefix(cfg->lmtp, "unix:");
	guint64 bits;
	long n;

	cfg->lmtp_socket_mode = -1;
	if (mode != NULL && (strlen(mode) < 3 || strlen(mode) > 4 ||
			     !g_ascii_string_to_unsigned(mode, 8, 0, 0777, &bits, NULL)))
		report(ld, root, "lmtp-socket-mode",
		       "lmtp-socket-mode '%s' must be octal permission bits, e.g. \"0660\"", mode);
	else if (mode != NULL)
		cfg->lmtp_socket_mode = (int)bits;
	if (group != NULL && getgrnam(group) == NULL)
		report(ld, root, "lmtp-socket-group", "lmtp-socket-group '%s': no such group",
		       group);
	else
		cfg->lmtp_socket_group = g_strdup(group);
	if ((mode != NULL || group != NULL) && cfg->lmtp != NULL && !unix_socket)
		report(ld, root, mode != NULL ? "lmtp-socket-mode" : "lmtp-socket-group",
		       "lmtp-socket-mode and lmtp-socket-group apply to a unix: socket only");
	if (get_count(ld, limits, "max-line-length", 1000, G_MAXINT, &n))
		cfg->max_line_length = (guint64)n;
	if (get_count(ld, limits, "lmtp-idle-timeout", 1, 24 * 3600, &n))
		cfg->lmtp_idle_timeout = (guint)n;
	if (get_count(ld, limits, "lmtp-max-connections", 1, 10000, &n))
		cfg->lmtp_max_connections = (guint)n;
}

/* Turns what libconfuse read into a Config, reporting every problem; the
 * caller throws the Config away if there was any. */
static Config *config_from(Loader *ld, cfg_t *root)
{
	Config *cfg = g_new0(Config, 1);
	unsigned int n = cfg_size(root, "activity");

	cfg->days = g_ptr_array_new_with_free_func(day_free);
	cfg->activities = g_ptr_array_new_with_free_func(activity_free);
	if (ld->paths_only) {
		read_paths(ld, cfg_getsec(root, "paths"), cfg);
		return cfg;
	}
	read_event(ld, cfg_getsec(root, "event"), cfg);
	read_days(ld, root, cfg);
	for (unsigned int i = 0; i < n; i++)
		g_ptr_array_add(cfg->activities,
				read_activity(ld, cfg_getnsec(root, "activity", i), cfg));
	check_names(ld, root, cfg);
	read_paths(ld, cfg_getsec(root, "paths"), cfg);
	read_transport(ld, root, cfg_getsec(root, "smtp"), cfg);
	read_schedule(ld, cfg_getsec(root, "schedule"), cfg_getsec(root, "limits"), cfg);
	read_lmtp(ld, root, cfg_getsec(root, "limits"), cfg);
	read_fields(ld, root, cfg);
	cfg->languages_line = option_line(ld, cfg_getsec(root, "event"), "languages");
	return cfg;
}

static void set_option_callbacks(cfg_opt_t *opts)
{
	for (; opts->name != NULL; opts++) {
		if (opts->type == CFGT_SEC)
			set_option_callbacks(opts->subopts);
		else
			opts->validcb = on_option_read;
	}
}

/* Has libconfuse read @text (comments already blanked) and builds the
 * Config, noting every problem in @ld. */
static Config *config_parse(Loader *ld, const char *text)
{
	cfg_opt_t event_opts[] = {
	    CFG_STR("name", NULL, CFGF_NONE),
	    CFG_STR("location", NULL, CFGF_NONE),
	    CFG_STR("timezone", NULL, CFGF_NONE),
	    CFG_STR("address", NULL, CFGF_NONE),
	    CFG_STR_LIST("organisers", NULL, CFGF_NONE),
	    CFG_STR_LIST("languages", NULL, CFGF_NONE),
	    CFG_STR("policy", "confirm", CFGF_NONE),
	    CFG_STR_LIST("trusted-domains", NULL, CFGF_NONE),
	    CFG_STR("registration-deadline", NULL, CFGF_NONE),
	    CFG_INT("retention-days", 90, CFGF_NONE),
	    CFG_END(),
	};
	cfg_opt_t day_opts[] = {
	    CFG_STR("title", NULL, CFGF_NONE),
	    CFG_END(),
	};
	cfg_opt_t activity_opts[] = {
	    CFG_STR("title", NULL, CFGF_NONE),
	    CFG_STR("day", NULL, CFGF_NONE),
	    CFG_STR("start", NULL, CFGF_NONE),
	    CFG_STR("end", NULL, CFGF_NONE),
	    CFG_STR("location", NULL, CFGF_NONE),
	    CFG_STR("notes", NULL, CFGF_NONE),
	    CFG_INT("capacity", 0, CFGF_NONE),
	    CFG_STR_LIST("aliases", NULL, CFGF_NONE),
	    CFG_STR_LIST("countries", NULL, CFGF_NONE),
	    CFG_END(),
	};
	cfg_opt_t field_opts[] = {
	    CFG_STR("type", "text", CFGF_NONE),
	    CFG_STR_LIST("choices", NULL, CFGF_NONE),
	    CFG_BOOL("required", cfg_false, CFGF_NONE),
	    CFG_STR_LIST("activities", NULL, CFGF_NONE),
	    CFG_STR_LIST("label", NULL, CFGF_NONE),
	    CFG_STR_LIST("keys", NULL, CFGF_NONE),
	    CFG_STR_LIST("help", NULL, CFGF_NONE),
	    CFG_END(),
	};
	cfg_opt_t paths_opts[] = {
	    CFG_STR("state", DEFAULT_STATE_DIR, CFGF_NONE),
	    CFG_STR("intake", DEFAULT_INTAKE_DIR, CFGF_NONE),
	    CFG_STR("templates", DEFAULT_TEMPLATES_DIR, CFGF_NONE),
	    CFG_STR("quarantine", NULL, CFGF_NONE),
	    CFG_END(),
	};
	cfg_opt_t smtp_opts[] = {
	    CFG_STR("starttls", "required", CFGF_NONE),
	    CFG_STR("user", NULL, CFGF_NONE),
	    CFG_STR("password-file", NULL, CFGF_NONE),
	    CFG_INT("retry-first", 60, CFGF_NONE),
	    CFG_INT("retry-max", 3600, CFGF_NONE),
	    CFG_INT("give-up-after", 3 * 24 * 3600, CFGF_NONE),
	    CFG_INT("sessions", 2, CFGF_NONE),
	    CFG_END(),
	};
	cfg_opt_t schedule_opts[] = {
	    CFG_STR("programme-at", "07:00", CFGF_NONE),
	    CFG_STR("digest-at", "18:00", CFGF_NONE),
	    CFG_INT("itinerary-days-before", 3, CFGF_NONE),
	    CFG_END(),
	};
	cfg_opt_t limits_opts[] = {
	    CFG_INT("max-message-size", 10485760, CFGF_NONE),
	    CFG_INT("replies-per-sender-per-hour", 10, CFGF_NONE),
	    CFG_INT("max-line-length", 65536, CFGF_NONE),
	    CFG_INT("lmtp-idle-timeout", 300, CFGF_NONE),
	    CFG_INT("lmtp-max-connections", 100, CFGF_NONE),
	    CFG_INT("keep-sent-days", 30, CFGF_NONE),
	    CFG_END(),
	};
	cfg_opt_t opts[] = {
	    CFG_SEC("event", event_opts, CFGF_NONE),
	    CFG_SEC("day", day_opts, CFGF_MULTI | CFGF_TITLE | CFGF_NO_TITLE_DUPES),
	    CFG_SEC("activity", activity_opts, CFGF_MULTI | CFGF_TITLE | CFGF_NO_TITLE_DUPES),
	    CFG_SEC("field", field_opts, CFGF_MULTI | CFGF_TITLE | CFGF_NO_TITLE_DUPES),
	    CFG_SEC("paths", paths_opts, CFGF_NONE),
	    CFG_STR("transport", DEFAULT_TRANSPORT, CFGF_NONE),
	    CFG_STR("lmtp", NULL, CFGF_NONE),
	    CFG_STR("lmtp-socket-mode", NULL, CFGF_NONE),
	    CFG_STR("lmtp-socket-group", NULL, CFGF_NONE),
	    CFG_SEC("smtp", smtp_opts, CFGF_NONE),
	    CFG_SEC("schedule", schedule_opts, CFGF_NONE),
	    CFG_SEC("limits", limits_opts, CFGF_NONE),
	    CFG_END(),
	};
	cfg_t *root;
	Config *cfg;
	int rc;

	set_option_callbacks(opts);
	/* CFGF_KEYSTRVAL: an unknown "key = value" is still reported by the
	 * error function (as "no such option"), but libconfuse then reads on
	 * instead of stopping, so the rest of the file is checked too. */
	root = cfg_init(opts, CFGF_KEYSTRVAL);
	if (root == NULL)
		g_error("config: cfg_init failed: %s", g_strerror(errno));
	cfg_set_error_function(root, on_confuse_error);
	rc = cfg_parse_buf(root, text);
	ld->complete = rc == CFG_SUCCESS;
	if (rc != CFG_SUCCESS && ld->problems->len == 0)
		loader_problem(ld, 1, "libconfuse could not read the file");
	cfg = config_from(ld, root);
	cfg_free(root);
	return cfg;
}

static gboolean read_file(const char *path, char **text, gsize *len, GError **error)
{
	FILE *fp = fopen(path, "r");
	GString *s;
	char buf[8192];
	size_t n;

	if (fp == NULL) {
		int saved = errno;

		g_set_error(error, CONFIG_ERROR, CONFIG_ERROR_READ, "%s: %s", path,
			    g_strerror(saved));
		return FALSE;
	}
	s = g_string_new(NULL);
	while ((n = fread(buf, 1, sizeof buf, fp)) > 0)
		g_string_append_len(s, buf, n);
	if (ferror(fp)) {
		int saved = errno;

		g_set_error(error, CONFIG_ERROR, CONFIG_ERROR_READ, "%s: %s", path,
			    g_strerror(saved));
		fclose(fp);
		g_string_free(s, TRUE);
		return FALSE;
	}
	fclose(fp);
	*len = s->len;
	*text = g_string_free(s, FALSE);
	return TRUE;
}

/* Reads the @len bytes at @data, naming them @path, appending each problem
 * to @problems as "FILE:LINE: what is wrong", in line order. *@whole says
 * whether libconfuse read them to their end. */
static Config *load_data(const char *path, const char *data, gsize len, gboolean paths_only,
			 GString *problems, gboolean *whole)
{
	g_autofree char *text = NULL;
	g_autofree char *plain = NULL;
	const char *nul;
	Loader ld = {.paths_only = paths_only};
	Config *cfg = NULL;

	ld.problems = g_array_new(FALSE, FALSE, sizeof(Problem));
	g_array_set_clear_func(ld.problems, problem_clear);
	ld.option_lines = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	ld.headers = g_ptr_array_new_with_free_func(header_free);

	/* libconfuse reads a C string: it would silently stop at a NUL */
	nul = memchr(data, '\0', len);
	if (nul != NULL) {
		int line = 1;

		for (const char *p = data; p < nul; p++)
			line += *p == '\n';
		loader_problem(&ld, line, "a NUL byte: this is not a text file");
		cfg = g_new0(Config, 1);
		cfg->days = g_ptr_array_new();
		cfg->activities = g_ptr_array_new();
	} else {
		text = g_strndup(data, len);
		plain = scan_text(&ld, text);
		G_LOCK(confuse);
		loader_active = &ld;
		cfg = config_parse(&ld, plain);
		loader_active = NULL;
		G_UNLOCK(confuse);
	}
	g_array_sort(ld.problems, problem_compare);
	for (guint i = 0; i < ld.problems->len; i++) {
		const Problem *p = &g_array_index(ld.problems, Problem, i);

		g_string_append_printf(problems, "%s%s:%d: %s", problems->len > 0 ? "\n" : "", path,
				       p->line, p->text);
	}
	cfg->file = g_strdup(path);
	*whole = ld.complete && nul == NULL;
	g_array_unref(ld.problems);
	g_hash_table_unref(ld.option_lines);
	g_ptr_array_unref(ld.headers);
	return cfg;
}

Config *config_read_data(const char *path, const char *data, gsize len, GString *problems,
			 gboolean *whole)
{
	g_return_val_if_fail(path != NULL && data != NULL, NULL);
	return load_data(path, data, len, FALSE, problems, whole);
}

Config *config_read(const char *path, GString *problems, gboolean *whole, GError **error)
{
	g_autofree char *text = NULL;
	gsize len;

	g_return_val_if_fail(path != NULL, NULL);
	g_return_val_if_fail(error == NULL || *error == NULL, NULL);
	if (!read_file(path, &text, &len, error))
		return NULL;
	return load_data(path, text, len, FALSE, problems, whole);
}

Config *config_load_paths(const char *path, GError **error)
{
	g_autoptr(GString) problems = g_string_new(NULL);
	g_autofree char *text = NULL;
	gboolean whole;
	gsize len;
	Config *cfg;

	g_return_val_if_fail(path != NULL, NULL);
	if (!read_file(path, &text, &len, error))
		return NULL;
	cfg = load_data(path, text, len, TRUE, problems, &whole);
	if (problems->len > 0) {
		g_set_error_literal(error, CONFIG_ERROR, CONFIG_ERROR_INVALID, problems->str);
		g_clear_pointer(&cfg, config_free);
	}
	return cfg;
}

void config_free(Config *cfg)
{
	if (cfg == NULL)
		return;
	g_free(cfg->file);
	g_free(cfg->event_name);
	g_free(cfg->event_location);
	g_free(cfg->event_timezone);
	g_clear_pointer(&cfg->tz, g_time_zone_unref);
	g_free(cfg->event_address);
	g_strfreev(cfg->organisers);
	g_strfreev(cfg->languages);
	if (cfg->release != NULL)
		cfg->release(cfg);
	g_clear_pointer(&cfg->field_specs, g_ptr_array_unref);
	g_strfreev(cfg->trusted_domains);
	g_ptr_array_unref(cfg->days);
	g_ptr_array_unref(cfg->activities);
	g_free(cfg->state_dir);
	g_free(cfg->intake_dir);
	g_free(cfg->quarantine_dir);
	g_free(cfg->templates_dir);
	g_free(cfg->transport);
	g_free(cfg->lmtp);
	g_free(cfg->lmtp_socket_group);
	g_free(cfg->transport_host);
	g_free(cfg->transport_port);
	g_free(cfg->transport_dir);
	g_free(cfg->smtp_user);
	g_free(cfg->smtp_password_file);
	g_free(cfg->programme_at);
	g_free(cfg->digest_at);
	g_free(cfg);
}

const ConfigActivity *config_activity_find(const Config *cfg, const char *id)
{
	for (guint i = 0; i < cfg->activities->len; i++) {
		const ConfigActivity *a = g_ptr_array_index(cfg->activities, i);

		if (g_str_equal(a->id, id))
			return a;
	}
	return NULL;
}

const ConfigDay *config_day_find(const Config *cfg, const char *date)
{
	for (guint i = 0; i < cfg->days->len; i++) {
		const ConfigDay *day = g_ptr_array_index(cfg->days, i);

		if (g_str_equal(day->date, date))
			return day;
	}
	return NULL;
}

gboolean config_has_language(const Config *cfg, const char *lang)
{
	return g_strv_contains((const char *const *)cfg->languages, lang);
}
