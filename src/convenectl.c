/* SPDX-License-Identifier: ISC */
/* convenectl: the organiser's and the MTA's command line. A thin main: it
 * reads arguments, loads the configuration and calls the modules; every
 * failure ends as one line on stderr and a <sysexits.h> code. */

#include "autoconfig.h"

#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "attention.h"
#include "capacity.h"
#include "clock.h"
#include "command.h"
#include "compose.h"
#include "config.h"
#include "csv.h"
#include "deliver.h"
#include "export.h"
#include "forget.h"
#include "intake.h"
#include "log.h"
#include "message.h"
#include "request.h"
#include "schedule.h"
#include "sender.h"
#include "store.h"
#include "text.h"
#include "token.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif

static const char usage_text[] =
	"usage: convenectl [-c FILE] COMMAND [ARGS]\n"
	"commands:\n"
	"  check-config                   check the configuration and templates\n"
	"  deliver                        take one message on stdin into the intake\n"
	"  run-once [--now ISO8601]       answer waiting mail and send the outbox\n"
	"  export [--format json|csv]     every attendee\n"
	"  show ADDRESS [--format json]   one attendee\n"
	"  queue [--state S] [--format json]\n"
	"                                 outbox rows and their states (only S: queued,\n"
	"                                 sending, sent or failed)\n"
	"  stats [--format json]          attendees, places, outbox and quarantine\n"
	"  register [--lang L] [FILE]     apply a form (stdin if no FILE) as the organisers:\n"
	"                                 past the deadline, whatever the policy\n"
	"  cancel ADDRESS                 cancel a registration (its places go on)\n"
	"  forget ADDRESS                 erase one person everywhere (store compacted)\n"
	"  retry ID                       queue a failed outbox row again\n"
	"  backup FILE                    a consistent copy of the store, while it runs\n"
	"  digest organisers|itinerary|programme [ADDRESS] [--date YYYY-MM-DD] [--now ISO8601]\n"
	"                                 queue one now: a preview or a re-send\n"
	"  attention [--format json]      what needs an organiser (as in the digest)\n"
	"  release FILE                   a quarantined message back into the intake\n"
	"the configuration is -c FILE, else $CONVENE_CONF, else " SYSCONFDIR
	"/convene/convene.conf\n";

static int usage(const char *problem)
{
	if (problem != NULL)
		fprintf(stderr, "convenectl: %s\n", problem);
	fputs(usage_text, stderr);
	return EX_USAGE;
}

static void say_error(const char *what, const GError *error)
{
	fprintf(stderr, "convenectl: %s%s%s\n", what != NULL ? what : "", what != NULL ? ": " : "",
		error->message);
}

static Config *load_config(const char *path, gboolean quiet)
{
	g_autoptr(GError) error = NULL;
	Config *cfg = config_load(path, &error);

	if (cfg == NULL && !quiet)
		fprintf(stderr, "convenectl: %s\n", error->message);
	return cfg;
}

static Store *open_store(const Config *cfg)
{
	g_autoptr(GError) error = NULL;
	Store *store = store_open(cfg->state_dir, &error);

	if (store == NULL)
		say_error("cannot open the state directory", error);
	return store;
}

/* Loads the configuration at @path and opens its store. Returns EX_OK, or
 * the exit code after saying why on stderr. */
static int open_state(const char *path, Config **cfg, Store **store)
{
	*store = NULL;
	*cfg = load_config(path, FALSE);
	if (*cfg == NULL)
		return EX_CONFIG;
	*store = open_store(*cfg);
	return *store != NULL ? EX_OK : EX_CANTCREAT;
}

/* The options of a command, read with GOptionContext from its arguments,
 * the positional ones left in @rest. */
typedef struct {
	const char *format;
	const char *now;
	const char *lang; /* register --lang */
	int state; /* queue --state: an OutboxState; -1 for every row */
	GPtrArray *rest;
} Options;

/* The command being run (main() sets it), for its options and --help. */
static const char *running_command = "";

/* What the options' values and the arguments left point to, for the life
 * of the process. */
static GPtrArray *option_strings;

/* The lines of usage_text that describe @command, for its --help. */
static char *command_usage(const char *command)
{
	g_auto(GStrv) lines = g_strsplit(usage_text, "\n", -1);
	g_autofree char *head = g_strdup_printf("  %s", command);
	GString *out = g_string_new(NULL);
	gboolean in = FALSE;

	for (guint i = 0; lines[i] != NULL; i++) {
		const char *l = lines[i];

		if (g_str_has_prefix(l, head) && (l[strlen(head)] == ' ' || l[strlen(head)] == '\0'))
			in = TRUE;
		else if (in && !g_str_has_prefix(l, "          "))
			break;
		if (in)
			g_string_append_printf(out, "%s%s", out->len > 0 ? "\n" : "", g_strstrip(lines[i]));
	}
	return g_string_free(out, FALSE);
}

/* Reads @command's options (--format among @formats, --now, and --state,
 * --lang or --date where the command has them) from @argv, leaving the
 * positional arguments in @rest. --help prints them and exits. Returns
 * FALSE on an unknown option or a bad value. */
static gboolean parse_options(int argc, char **argv, Options *o, const char *formats)
{
	g_autofree char *format_help = g_strdup_printf("output format: %s", formats);
	char *format = NULL, *now = NULL, *lang = NULL, *state = NULL, *date = NULL;
	GOptionEntry common[] = {
	    {"now", 0, 0, G_OPTION_ARG_STRING, &now, "act as if it were this time", "ISO8601"},
	    {NULL, 0, 0, 0, NULL, NULL, NULL}};
	GOptionEntry with_format[] = {
	    {"format", 0, 0, G_OPTION_ARG_STRING, &format, format_help, formats},
	    {NULL, 0, 0, 0, NULL, NULL, NULL}};
	GOptionEntry with_state[] = {
	    {"state", 0, 0, G_OPTION_ARG_STRING, &state, "only the rows in this state", "S"},
	    {NULL, 0, 0, 0, NULL, NULL, NULL}};
	GOptionEntry with_lang[] = {
	    {"lang", 0, 0, G_OPTION_ARG_STRING, &lang, "the language of the answers", "L"},
	    {NULL, 0, 0, 0, NULL, NULL, NULL}};
	GOptionEntry with_date[] = {
	    {"date", 0, 0, G_OPTION_ARG_STRING, &date, "the day it is for", "YYYY-MM-DD"},
	    {NULL, 0, 0, 0, NULL, NULL, NULL}};
	g_autofree char *name = g_strdup_printf("convenectl %s", running_command);
	g_autofree char *summary = command_usage(running_command);
	g_autoptr(GOptionContext) context = g_option_context_new(NULL);
	g_autoptr(GError) error = NULL;
	g_auto(GStrv) args = g_new0(char *, argc + 2);
	gboolean ok;

	if (option_strings == NULL)
		option_strings = g_ptr_array_new_with_free_func(g_free);
	args[0] = g_strdup(name);
	for (int i = 0; i < argc; i++)
		args[i + 1] = g_strdup(argv[i]);
	g_option_context_set_summary(context, summary);
	g_option_context_set_description(context, "See convenectl(8).");
	g_option_context_add_main_entries(context, common, NULL);
	if (formats != NULL)
		g_option_context_add_main_entries(context, with_format, NULL);
	if (strcmp(running_command, "queue") == 0)
		g_option_context_add_main_entries(context, with_state, NULL);
	if (strcmp(running_command, "register") == 0)
		g_option_context_add_main_entries(context, with_lang, NULL);
	if (strcmp(running_command, "digest") == 0)
		g_option_context_add_main_entries(context, with_date, NULL);
	ok = g_option_context_parse_strv(context, &args, &error);
	for (char **v = (char *[]){format, now, lang, state, date}, **e = v + 5; v < e; v++)
		if (*v != NULL)
			g_ptr_array_add(option_strings, *v);
	if (!ok) {
		fprintf(stderr, "convenectl: %s\n", error->message);
		return FALSE;
	}
	o->format = format;
	o->now = now;
	o->lang = lang;
	o->rest = g_ptr_array_new();
	for (guint i = 1; args[i] != NULL; i++) {
		g_ptr_array_add(option_strings, g_strdup(args[i]));
		g_ptr_array_add(o->rest, g_ptr_array_index(option_strings, option_strings->len - 1));
	}
	if (state != NULL) {
		OutboxState st;

		if (!outbox_state_from_string(state, &st))
			return FALSE;
		o->state = st;
	}
	if (o->format != NULL) {
		g_auto(GStrv) allowed = g_strsplit(formats, "|", -1);

		if (!g_strv_contains((const char *const *)allowed, o->format))
			return FALSE;
	}
	if (o->now != NULL) {
		g_autoptr(GError) clock_error = NULL;

		if (!clock_set_now(o->now, &clock_error)) {
			say_error(NULL, clock_error);
			return FALSE;
		}
	}
	return TRUE;
}

/* Errors (the configuration, its templates, and what the store holds
 * that it no longer declares) exit 78; warnings (a capacity below the
 * places taken, a country limit that excludes attendees holding the
 * activity) are printed and the configuration is still OK. */
static int cmd_check_config(const char *path)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(Config) cfg = config_load(path, &error);
	g_autoptr(GString) errors = g_string_new(NULL);
	g_autoptr(GString) warnings = g_string_new(NULL);

	if (cfg == NULL) {
		fprintf(stderr, "%s\n", error->message);
		return EX_CONFIG;
	}
	if (!compose_check_templates(cfg, &error)) {
		g_string_append_printf(errors, "%s\n", error->message);
		g_clear_error(&error);
	}
	if (!capacity_check_dir(cfg, errors, warnings, &error)) {
		g_string_append_printf(warnings,
				       "%s: warning: cannot compare with the store there: %s\n",
				       cfg->state_dir, error->message);
		g_clear_error(&error);
	}
	fputs(warnings->str, stderr);
	if (errors->len > 0) {
		fputs(errors->str, stderr);
		return EX_CONFIG;
	}
	printf("configuration OK\n");
	return EX_OK;
}

/* The MTA's entry, shared with convene-deliver: 0 only once the message is
 * durable in new/, 75 for anything else, a configuration that does not read
 * included (Postfix bounces 78). The content is never judged here. */
static int cmd_deliver(const char *path)
{
	return deliver_fd("convenectl", path, STDIN_FILENO);
}

static int cmd_run_once(const char *path, Options *o)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(Config) cfg = NULL;
	int rc;
	g_autoptr(Composer) composer = NULL;
	g_autoptr(GBytes) secret = NULL;
	IntakeStats in = {0};
	ScheduleStats sched = {0};
	SenderStats out = {0};
	Store *store;
	int status = EX_OK;

	if (o->rest->len > 0)
		return usage("run-once takes no arguments");
	rc = open_state(path, &cfg, &store);
	if (rc != EX_OK)
		return rc;
	composer = compose_new(cfg);
	secret = token_secret_load(cfg->state_dir, &error);
	if (secret == NULL) {
		say_error("cannot read the token secret", error);
		store_close(store);
		return EX_CANTCREAT;
	}
	/* A capacity raised since the last run gives its places first. */
	if (!capacity_apply(store, cfg, composer, clock_now_unix(), NULL, &error)) {
		say_error("promote", error);
		g_clear_error(&error);
		status = EX_TEMPFAIL;
	}
	if (!intake_run(cfg, store, composer, secret, clock_now_unix(), &in, &error)) {
		say_error("intake", error);
		g_clear_error(&error);
		status = EX_TEMPFAIL;
	}
	if (!schedule_run(cfg, store, composer, clock_now_unix(), &sched, &error)) {
		say_error("schedule", error);
		g_clear_error(&error);
		status = EX_TEMPFAIL;
	}
	if (!sender_flush(cfg, store, clock_now_unix(), &out, &error)) {
		fprintf(stderr, "convenectl: %s; %u message(s) stay queued for a later try\n",
			error->message, out.deferred);
		g_clear_error(&error);
		status = EX_TEMPFAIL;
	}
	if (!store_purge(store, clock_now_unix(), cfg->keep_sent_days, NULL, &error)) {
		say_error("purge", error);
		status = EX_TEMPFAIL;
	}
	store_close(store);
	if (sched.itineraries + sched.reminders + sched.programmes + sched.digests + sched.skipped > 0)
		printf("scheduled: %u itinerary(ies), %u reminder(s), %u daily programme(s), "
		       "%u digest(s); %u skipped\n",
		       sched.itineraries, sched.reminders, sched.programmes, sched.digests,
		       sched.skipped);
	printf("%u message(s) read: %u answered, %u duplicate(s), %u robot(s), %u quarantined, "
	       "%u deferred; %u sent, %u deferred, %u failed, %u waiting\n",
	       in.messages, in.answered, in.duplicates, in.robots, in.quarantined, in.deferred,
	       out.sent, out.deferred, out.failed, out.waiting);
	if (in.deferred > 0)
		status = EX_TEMPFAIL;
	return status;
}

typedef struct {
	const Config *cfg;
	guint n;
	int state; /* outbox rows: only those in this state; -1 for every row */
} TextOut;

static gboolean print_attendee_line(const Attendee *a, gpointer data)
{
	TextOut *t = data;
	g_autofree char *acts = NULL;

	g_ptr_array_add(a->activities, NULL);
	acts = g_strjoinv(",", (char **)a->activities->pdata);
	g_ptr_array_remove_index(a->activities, a->activities->len - 1);
	printf("%-32s %-10s %-28s %-2s %s\n", a->email, attendee_status_to_string(a->status),
	       a->name != NULL ? a->name : "", a->country != NULL ? a->country : "", acts);
	t->n++;
	return TRUE;
}

static gboolean print_row_line(const OutboxRow *row, gpointer data)
{
	TextOut *t = data;

	if (t->state >= 0 && (int)row->state != t->state)
		return TRUE;
	printf("%6" G_GUINT64_FORMAT " %-8s %-12s %-32s %u %s\n", row->id,
	       outbox_state_to_string(row->state), row->kind, row->recipient, row->attempts,
	       row->last_reply != NULL ? row->last_reply : "");
	t->n++;
	return TRUE;
}

static int cmd_list(const char *path, Options *o, gboolean outbox)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(Config) cfg = NULL;
	int rc;
	Store *store;
	gboolean ok;

	if (o->rest->len > 0)
		return usage(outbox ? "queue takes no arguments" : "export takes no arguments");
	if (!outbox && o->state >= 0)
		return usage("--state is for queue");
	rc = open_state(path, &cfg, &store);
	if (rc != EX_OK)
		return rc;
	if (g_strcmp0(o->format, "csv") == 0) {
		ok = csv_attendees_write(cfg, store, stdout, &error);
	} else if (o->format != NULL) {
		ok = outbox ? export_queue_json(cfg, store, o->state, stdout, &error)
			    : export_attendees_json(cfg, store, stdout, &error);
	} else {
		TextOut t = {cfg, 0, o->state};
		StoreTxn *txn = store_read_begin(store, &error);

		ok = txn != NULL;
		if (ok) {
			ok = outbox ? store_outbox_foreach(txn, print_row_line, &t, &error)
				    : store_attendee_foreach(txn, print_attendee_line, &t, &error);
			store_read_end(txn);
		}
		if (ok)
			printf("%u %s\n", t.n, outbox ? "outbox row(s)" : "attendee(s)");
	}
	store_close(store);
	if (!ok) {
		say_error(NULL, error);
		return error->domain == STORE_ERROR && (error->code == STORE_ERROR_CORRUPT ||
							error->code == STORE_ERROR_VERSION)
			   ? EX_DATAERR
			   : EX_SOFTWARE;
	}
	return EX_OK;
}

static int cmd_show(const char *path, Options *o)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(Config) cfg = NULL;
	int rc;
	g_autoptr(Attendee) a = NULL;
	g_autofree char *email = NULL;
	StoreTxn *txn;
	Store *store;

	if (o->rest->len != 1)
		return usage("show takes one ADDRESS");
	email = g_ascii_strdown(g_ptr_array_index(o->rest, 0), -1);
	rc = open_state(path, &cfg, &store);
	if (rc != EX_OK)
		return rc;
	txn = store_read_begin(store, &error);
	if (txn != NULL) {
		a = store_attendee_get(txn, email, &error);
		store_read_end(txn);
	}
	if (a == NULL) {
		store_close(store);
		if (error != NULL) {
			say_error(NULL, error);
			return EX_SOFTWARE;
		}
		fprintf(stderr, "convenectl: %s is not registered\n", email);
		return EX_NOUSER;
	}
	{
		g_autoptr(JsonNode) node = json_node_new(JSON_NODE_OBJECT);

		json_node_take_object(node, export_attendee(cfg, a));
		if (!export_write_node(node, stdout, &error)) {
			store_close(store);
			say_error(NULL, error);
			return EX_IOERR;
		}
	}
	store_close(store);
	return EX_OK;
}

static void print_stats_text(JsonObject *o)
{
	JsonObject *att = json_object_get_object_member(o, "attendees");
	JsonObject *out = json_object_get_object_member(o, "outbox");
	JsonArray *acts = json_object_get_array_member(o, "activities");

	printf("attendees: %" G_GINT64_FORMAT " confirmed, %" G_GINT64_FORMAT
	       " pending, %" G_GINT64_FORMAT " cancelled\n",
	       json_object_get_int_member(att, "confirmed"), json_object_get_int_member(att, "pending"),
	       json_object_get_int_member(att, "cancelled"));
	for (guint i = 0; i < json_array_get_length(acts); i++) {
		JsonObject *a = json_array_get_object_element(acts, i);
		gint64 cap = json_object_get_int_member(a, "capacity");
		g_autofree char *capacity = cap > 0 ? g_strdup_printf("%" G_GINT64_FORMAT, cap)
						    : g_strdup("unlimited");

		printf("  %-28s %4" G_GINT64_FORMAT " / %-9s %" G_GINT64_FORMAT " waiting\n",
		       json_object_get_string_member(a, "id"), json_object_get_int_member(a, "taken"),
		       capacity, json_object_get_int_member(a, "waiting"));
	}
	printf("outbox: %" G_GINT64_FORMAT " queued, %" G_GINT64_FORMAT " sending, %" G_GINT64_FORMAT
	       " sent, %" G_GINT64_FORMAT " failed (%" G_GINT64_FORMAT " bounced)\n",
	       json_object_get_int_member(out, "queued"), json_object_get_int_member(out, "sending"),
	       json_object_get_int_member(out, "sent"), json_object_get_int_member(out, "failed"),
	       json_object_get_int_member(out, "bounced"));
	printf("quarantined: %" G_GINT64_FORMAT "\n", json_object_get_int_member(o, "quarantined"));
}

static int cmd_stats(const char *path, Options *o)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(Config) cfg = NULL;
	int rc;
	g_autoptr(JsonObject) stats = NULL;
	Store *store;

	if (o->rest->len > 0)
		return usage("stats takes no arguments");
	rc = open_state(path, &cfg, &store);
	if (rc != EX_OK)
		return rc;
	stats = export_stats(cfg, store, &error);
	store_close(store);
	if (stats == NULL) {
		say_error(NULL, error);
		return EX_SOFTWARE;
	}
	if (o->format != NULL) {
		g_autoptr(JsonNode) node = json_node_new(JSON_NODE_OBJECT);

		json_node_set_object(node, stats);
		if (!export_write_node(node, stdout, &error)) {
			say_error(NULL, error);
			return EX_IOERR;
		}
	} else {
		print_stats_text(stats);
	}
	return EX_OK;
}

typedef struct {
	CommandContext ctx;
	const char *email;
	gboolean found;
	CommandOutcome outcome;
} AdminCancel;

static gboolean admin_cancel(StoreTxn *txn, gpointer data, GError **error)
{
	AdminCancel *c = data;

	return command_cancel_by_organisers(&c->ctx, txn, c->email, &c->found, &c->outcome, error);
}

static int cmd_cancel(const char *path, Options *o)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(Config) cfg = NULL;
	int rc;
	g_autoptr(Composer) composer = NULL;
	g_autofree char *email = NULL;
	AdminCancel c = {{0}, NULL, FALSE, {0}};
	SenderStats sent = {0};
	Store *store;
	gboolean ok;

	if (o->rest->len != 1)
		return usage("cancel takes one ADDRESS");
	email = text_clean_address(g_ptr_array_index(o->rest, 0));
	rc = open_state(path, &cfg, &store);
	if (rc != EX_OK)
		return rc;
	composer = compose_new(cfg);
	c.ctx = (CommandContext){.cfg = cfg, .composer = composer, .now = clock_now_unix()};
	c.email = email;
	ok = store_write(store, admin_cancel, &c, &error);
	if (ok && c.found && !sender_flush(cfg, store, clock_now_unix(), &sent, &error)) {
		fprintf(stderr, "convenectl: %s; the notices stay queued for a later try\n",
			error->message);
		g_clear_error(&error);
	}
	store_close(store);
	command_outcome_clear(&c.outcome);
	if (!ok) {
		say_error("cancel", error);
		return EX_TEMPFAIL;
	}
	if (!c.found) {
		fprintf(stderr, "convenectl: %s is not registered\n", email);
		return EX_NOUSER;
	}
	printf("%s cancelled; %u notice(s) queued\n", email, c.outcome.replies);
	return EX_OK;
}

typedef struct {
	CommandContext ctx;
	const Message *msg;
	CommandOutcome outcome;
} AdminRegister;

static gboolean admin_register(StoreTxn *txn, gpointer data, GError **error)
{
	AdminRegister *a = data;

	return command_apply(&a->ctx, txn, a->msg, NULL, &a->outcome, error);
}

/* The form in @text as a message from the organisers' address to the
 * event's, read as any message is (the same grammar, delegations and
 * all), in @lang when given. */
static Message *organisers_message(const Config *cfg, const char *text, const char *lang,
				   GError **error)
{
	const char *from = cfg->organisers[0] != NULL ? cfg->organisers[0] : cfg->event_address;
	const char *domain = strchr(cfg->event_address, '@');
	g_autofree char *id = g_uuid_string_random();
	g_autoptr(GString) mail = g_string_new(NULL);

	g_string_append_printf(mail,
			       "From: %s\nTo: %s\nSubject: REGISTER\n"
			       "Message-ID: <convenectl-register-%s%s>\n",
			       from, cfg->event_address, id, domain != NULL ? domain : "@localhost");
	if (lang != NULL)
		g_string_append_printf(mail, "Content-Language: %s\n", lang);
	g_string_append(mail, "MIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\n"
			      "Content-Transfer-Encoding: 8bit\n\n");
	g_string_append(mail, text);
	return message_read_bytes(mail->str, mail->len, 0, cfg->event_address, error);
}

/* register [--lang L] [FILE]: a form in the email grammar, from FILE or
 * stdin, applied as the organisers apply it: closed, past the deadline,
 * whatever the policy, with each person told as usual. It must name whom
 * it registers (Email:, or Attendee: blocks). */
static int cmd_register(const char *path, Options *o)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(Config) cfg = NULL;
	g_autoptr(Composer) composer = NULL;
	g_autoptr(Message) msg = NULL;
	g_autoptr(Request) req = NULL;
	g_autofree char *text = NULL;
	AdminRegister a = {0};
	SenderStats sent = {0};
	Store *store;
	gsize len = 0;
	gboolean ok;

	if (o->rest->len > 1)
		return usage("register takes at most one FILE");
	if (o->rest->len == 1)
		ok = g_file_get_contents(g_ptr_array_index(o->rest, 0), &text, &len, &error);
	else {
		g_autoptr(GIOChannel) in = g_io_channel_unix_new(STDIN_FILENO);

		ok = g_io_channel_set_encoding(in, NULL, &error) &&
		     g_io_channel_read_to_end(in, &text, &len, &error) == G_IO_STATUS_NORMAL;
	}
	if (!ok) {
		say_error("register", error);
		return EX_NOINPUT;
	}
	if (!g_utf8_validate(text, len, NULL) || memchr(text, '\0', len) != NULL) {
		fprintf(stderr, "convenectl: register: the form is not UTF-8 text\n");
		return EX_DATAERR;
	}
	cfg = load_config(path, FALSE);
	if (cfg == NULL)
		return EX_CONFIG;
	if (o->lang != NULL && !config_has_language(cfg, o->lang)) {
		fprintf(stderr, "convenectl: register: the event has no language '%s'\n", o->lang);
		return EX_USAGE;
	}
	msg = organisers_message(cfg, text, o->lang, &error);
	if (msg == NULL) {
		say_error("register", error);
		return EX_DATAERR;
	}
	req = command_parse(cfg, msg);
	if (req == NULL || (req->people->len == 0 &&
			    request_fields_get(&req->fields, "email") == NULL)) {
		fprintf(stderr, "convenectl: register: the form names nobody: write an Email: "
				"line, or an Attendee: Name <address> line for each person\n");
		return EX_DATAERR;
	}
	store = open_store(cfg);
	if (store == NULL)
		return EX_CANTCREAT;
	composer = compose_new(cfg);
	a.ctx = (CommandContext){
	    .cfg = cfg, .composer = composer, .now = clock_now_unix(), .organiser = TRUE};
	a.ctx.secret = token_secret_load(cfg->state_dir, &error);
	if (a.ctx.secret == NULL) {
		say_error("cannot read the token secret", error);
		store_close(store);
		return EX_CANTCREAT;
	}
	a.msg = msg;
	ok = store_write(store, admin_register, &a, &error);
	if (ok && !sender_flush(cfg, store, clock_now_unix(), &sent, &error)) {
		fprintf(stderr, "convenectl: %s; the answers stay queued for a later try\n",
			error->message);
		g_clear_error(&error);
	}
	store_close(store);
	g_bytes_unref(a.ctx.secret);
	if (!ok) {
		say_error("register", error);
		command_outcome_clear(&a.outcome);
		return EX_TEMPFAIL;
	}
	if (g_strcmp0(a.outcome.action, "error") == 0) {
		fprintf(stderr, "convenectl: register: nothing changed:\n%s",
			a.outcome.problems != NULL ? a.outcome.problems : "");
		command_outcome_clear(&a.outcome);
		return EX_DATAERR;
	}
	printf("%s: %u registration(s) changed; %u answer(s) queued\n", a.outcome.action,
	       a.outcome.people, a.outcome.replies);
	command_outcome_clear(&a.outcome);
	return EX_OK;
}

typedef struct {
	CommandContext ctx;
	const char *email;
	gboolean found;
	ForgetReport report;
} AdminForget;

static gboolean admin_forget(StoreTxn *txn, gpointer data, GError **error)
{
	AdminForget *f = data;

	return forget_by_organisers(&f->ctx, txn, f->email, &f->report, &f->found, error);
}

/* Erases a person; the store is compacted at once, so that nothing of
 * theirs stays in its free pages, while convened may run (store.c says
 * how). */
static int cmd_forget(const char *path, Options *o)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(Config) cfg = NULL;
	int rc;
	g_autoptr(Composer) composer = NULL;
	g_autofree char *email = NULL;
	AdminForget f = {{0}, NULL, FALSE, {0}};
	SenderStats sent = {0};
	guint files = 0;
	Store *store;
	gboolean ok;

	if (o->rest->len != 1)
		return usage("forget takes one ADDRESS");
	email = text_clean_address(g_ptr_array_index(o->rest, 0));
	rc = open_state(path, &cfg, &store);
	if (rc != EX_OK)
		return rc;
	composer = compose_new(cfg);
	f.ctx = (CommandContext){
	    .cfg = cfg, .composer = composer, .now = clock_now_unix(), .organiser = TRUE};
	f.email = email;
	ok = store_write(store, admin_forget, &f, &error) && store_compact(store, &error) &&
	     forget_files(cfg, email, &files, &error);
	if (ok && f.found && !sender_flush(cfg, store, clock_now_unix(), &sent, &error)) {
		fprintf(stderr, "convenectl: %s; the notices stay queued for a later try\n",
			error->message);
		g_clear_error(&error);
	}
	store_close(store);
	if (!ok) {
		say_error("forget", error);
		return EX_TEMPFAIL;
	}
	if (!f.found && files == 0) {
		fprintf(stderr, "convenectl: nothing is kept about %s\n", email);
		return EX_NOUSER;
	}
	printf("%s erased: %u registration(s), %u request(s), %u message(s), "
	       "%u message(s) to others that named them, %u journal entries made anonymous, "
	       "%u mail file(s) read from them or about them\n",
	       email, f.report.people, f.report.store.requests, f.report.store.rows,
	       f.report.mentions, f.report.store.journal, files);
	return EX_OK;
}

typedef struct {
	guint64 id;
	gint64 now;
	int status;     /* EX_OK, or why the row was not requeued */
	char *problem;
} Retry;

static gboolean retry_row(StoreTxn *txn, gpointer data, GError **error)
{
	Retry *r = data;
	g_autoptr(OutboxRow) row = NULL;
	GError *e = NULL;

	g_clear_pointer(&r->problem, g_free);
	r->status = EX_OK;
	row = store_outbox_get(txn, r->id, &e);
	if (g_error_matches(e, STORE_ERROR, STORE_ERROR_NOT_FOUND)) {
		g_error_free(e);
		r->status = EX_DATAERR;
		r->problem = g_strdup_printf("no outbox row %" G_GUINT64_FORMAT, r->id);
		return TRUE;
	}
	if (e != NULL) {
		g_propagate_error(error, e);
		return FALSE;
	}
	if (row->state != OUTBOX_FAILED) {
		r->status = EX_DATAERR;
		r->problem = g_strdup_printf("row %" G_GUINT64_FORMAT " is %s, not failed", r->id,
					     outbox_state_to_string(row->state));
		return TRUE;
	}
	row->state = OUTBOX_QUEUED;
	row->next_try_at = r->now;
	row->updated_at = r->now;
	/* A new life: the give-up clock starts again from now. */
	row->created_at = r->now;
	row->bounced = FALSE;
	return store_outbox_put(txn, row, error);
}

static int cmd_retry(const char *path, Options *o)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(Config) cfg = NULL;
	int rc;
	Retry r = {0, clock_now_unix(), EX_OK, NULL};
	const char *arg;
	char *end;
	Store *store;
	gboolean ok;

	if (o->rest->len != 1)
		return usage("retry takes one outbox row ID");
	arg = g_ptr_array_index(o->rest, 0);
	r.id = g_ascii_strtoull(arg, &end, 10);
	if (*arg == '\0' || *end != '\0' || r.id == 0)
		return usage("retry takes one outbox row ID, a number (see convenectl queue)");
	rc = open_state(path, &cfg, &store);
	if (rc != EX_OK)
		return rc;
	ok = store_write(store, retry_row, &r, &error);
	store_close(store);
	if (!ok) {
		say_error("retry", error);
		return EX_TEMPFAIL;
	}
	if (r.status != EX_OK) {
		fprintf(stderr, "convenectl: %s\n", r.problem);
		g_free(r.problem);
		return r.status;
	}
	printf("row %" G_GUINT64_FORMAT " queued again\n", r.id);
	return EX_OK;
}

static int cmd_backup(const char *path, Options *o)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(Config) cfg = NULL;
	int rc;
	const char *file;
	Store *store;
	gboolean ok;

	if (o->rest->len != 1)
		return usage("backup takes one FILE");
	file = g_ptr_array_index(o->rest, 0);
	rc = open_state(path, &cfg, &store);
	if (rc != EX_OK)
		return rc;
	ok = store_backup(store, file, &error);
	store_close(store);
	if (!ok) {
		say_error("backup", error);
		return EX_CANTCREAT;
	}
	printf("backup written to %s\n", file);
	return EX_OK;
}

/* Returns EX_OK when @clean (cleaned from @address, the argument as
 * given; NULL when it is no address) is one of the organisers, for the
 * organisers' digest, or a registered attendee, else EX_NOUSER (said on
 * stderr), or EX_SOFTWARE when the store cannot be read. */
static int digest_check_address(const Config *cfg, Store *store, gboolean organisers,
				const char *address, const char *clean)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(Attendee) a = NULL;
	StoreTxn *txn;

	if (clean != NULL && organisers &&
	    g_strv_contains((const char *const *)cfg->organisers, clean))
		return EX_OK;
	if (clean != NULL && !organisers) {
		txn = store_read_begin(store, &error);
		if (txn != NULL) {
			a = store_attendee_get(txn, clean, &error);
			store_read_end(txn);
		}
		if (a != NULL)
			return EX_OK;
		if (error != NULL) {
			say_error("digest", error);
			return EX_SOFTWARE;
		}
	}
	fprintf(stderr, "convenectl: %s is %s\n", address,
		organisers ? "not an organiser's address in the configuration"
			   : "not registered");
	return EX_NOUSER;
}

/* Prints one item of an attention list: its values, the label of its
 * time, and its lists (problems, lines, people) indented below. */
static void print_attention_item(JsonObject *item, const char *indent)
{
	g_autoptr(GList) members = json_object_get_members(item);
	g_autoptr(GString) line = g_string_new(indent);
	g_autoptr(GPtrArray) lists = g_ptr_array_new();

	for (GList *m = members; m != NULL; m = m->next) {
		JsonNode *node = json_object_get_member(item, m->data);

		if (JSON_NODE_HOLDS_ARRAY(node)) {
			g_ptr_array_add(lists, m->data);
		} else if (JSON_NODE_HOLDS_VALUE(node) && strcmp(m->data, "at") != 0) {
			g_autofree char *value =
			    json_node_get_value_type(node) == G_TYPE_STRING
				? g_strdup(json_node_get_string(node))
				: g_strdup_printf("%" G_GINT64_FORMAT, json_node_get_int(node));

			if (*value != '\0')
				g_string_append_printf(line, "%s%s=%s", line->len > strlen(indent) ? " " : "",
						       (const char *)m->data, value);
		}
	}
	puts(line->str);
	for (guint i = 0; i < lists->len; i++) {
		JsonArray *arr = json_object_get_array_member(item, g_ptr_array_index(lists, i));
		g_autofree char *deeper = g_strconcat(indent, "    ", NULL);

		for (guint k = 0; k < json_array_get_length(arr); k++) {
			JsonNode *node = json_array_get_element(arr, k);

			if (JSON_NODE_HOLDS_OBJECT(node))
				print_attention_item(json_node_get_object(node), deeper);
			else
				printf("%s%s\n", deeper, json_node_get_string(node));
		}
	}
}

static int cmd_attention(const char *path, Options *o)
{
	static const char *const lists[] = {"forwarded", "errors",  "refusals", "quarantine", "bounced",
					    "failed",	 "limited", "pending",  "waiting",    NULL};
	g_autoptr(GError) error = NULL;
	g_autoptr(Config) cfg = NULL;
	g_autoptr(JsonObject) att = NULL;
	StoreTxn *txn;
	Store *store;
	int rc;

	if (o->rest->len > 0)
		return usage("attention takes no arguments");
	rc = open_state(path, &cfg, &store);
	if (rc != EX_OK)
		return rc;
	txn = store_read_begin(store, &error);
	if (txn != NULL) {
		att = attention_build(txn, cfg, cfg->languages[0], clock_now_unix(), FALSE, &error);
		store_read_end(txn);
	}
	store_close(store);
	if (att == NULL) {
		say_error(NULL, error);
		return EX_SOFTWARE;
	}
	if (o->format != NULL) {
		g_autoptr(JsonNode) node = json_node_new(JSON_NODE_OBJECT);

		json_node_set_object(node, att);
		if (!export_write_node(node, stdout, &error)) {
			say_error(NULL, error);
			return EX_IOERR;
		}
		return EX_OK;
	}
	for (guint i = 0; lists[i] != NULL; i++) {
		JsonObject *list = json_object_get_object_member(att, lists[i]);
		JsonArray *items = json_object_get_array_member(list, "items");
		gint64 more = json_object_get_int_member(list, "more");

		if (json_object_get_int_member(list, "count") == 0)
			continue;
		printf("%s: %" G_GINT64_FORMAT "\n", lists[i], json_object_get_int_member(list, "count"));
		for (guint k = 0; k < json_array_get_length(items); k++)
			print_attention_item(json_array_get_object_element(items, k), "  ");
		if (more > 0)
			printf("  ... and %" G_GINT64_FORMAT " more\n", more);
	}
	if (!json_object_get_boolean_member(att, "any"))
		puts("nothing needs attention");
	return EX_OK;
}

static int cmd_release(const char *path, Options *o)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(Config) cfg = NULL;
	g_autofree char *name = NULL;

	if (o->rest->len != 1)
		return usage("release takes one FILE");
	cfg = load_config(path, FALSE);
	if (cfg == NULL)
		return EX_CONFIG;
	if (!attention_release(cfg, g_ptr_array_index(o->rest, 0), &name, &error)) {
		say_error("release", error);
		return g_error_matches(error, G_FILE_ERROR, G_FILE_ERROR_NOENT) ? EX_NOINPUT
									       : EX_CANTCREAT;
	}
	log_event(LOG_NOTICE, "released", "file", name, "folder", cfg->intake_dir, NULL);
	printf("%s released into %s/new: it is read again at the next run\n", name,
	       cfg->intake_dir);
	return EX_OK;
}

/* "digest organisers|itinerary|programme [ADDRESS] [--date D] [--now T]". */
static int cmd_digest(const char *path, int argc, char **argv)
{
	static const char *const names[] = {"organisers", "itinerary", "programme"};
	g_autoptr(GError) error = NULL;
	g_autoptr(Config) cfg = NULL;
	int rc;
	g_autoptr(Composer) composer = NULL;
	g_autoptr(GPtrArray) args = g_ptr_array_new();
	g_autoptr(GPtrArray) rest = NULL;
	const char *date = NULL, *address = NULL;
	Options o = {.state = -1};
	guint what, queued = 0;
	Store *store;
	gboolean ok;

	for (int k = 0; k < argc; k++) {
		if (strcmp(argv[k], "--date") == 0 && k + 1 < argc)
			date = argv[++k];
		else if (g_str_has_prefix(argv[k], "--date="))
			date = argv[k] + strlen("--date=");
		else
			g_ptr_array_add(args, argv[k]);
	}
	ok = parse_options(args->len, (char **)args->pdata, &o, NULL);
	rest = o.rest;
	if (!ok || rest->len < 1 || rest->len > 2)
		return usage("digest takes organisers|itinerary|programme [ADDRESS]");
	for (what = 0; what < G_N_ELEMENTS(names); what++)
		if (strcmp(g_ptr_array_index(rest, 0), names[what]) == 0)
			break;
	if (what == G_N_ELEMENTS(names))
		return usage("digest takes organisers, itinerary or programme");
	if (rest->len == 2)
		address = g_ptr_array_index(rest, 1);
	rc = open_state(path, &cfg, &store);
	if (rc != EX_OK)
		return rc;
	composer = compose_new(cfg);
	{
		g_autofree char *clean = address != NULL ? text_clean_address(address) : NULL;

		/* A digest goes to an organiser, an itinerary or a programme to
		 * an attendee: anyone else is refused, never "0 queued". */
		if (address != NULL) {
			rc = digest_check_address(cfg, store, what == 0, address, clean);
			if (rc != EX_OK) {
				store_close(store);
				return rc;
			}
		}
		ok = schedule_by_hand(cfg, store, composer,
				      what == 0   ? SCHEDULE_BY_HAND_DIGEST
				      : what == 1 ? SCHEDULE_BY_HAND_ITINERARY
						  : SCHEDULE_BY_HAND_PROGRAMME,
				      date, clean, clock_now_unix(), &queued, &error);
	}
	store_close(store);
	if (!ok) {
		say_error("digest", error);
		return g_error_matches(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE) ? EX_USAGE
											: EX_TEMPFAIL;
	}
	printf("%u message(s) queued\n", queued);
	return EX_OK;
}

int main(int argc, char **argv)
{
	const char *path = NULL;
	const char *command;
	Options o = {.state = -1};
	int i = 1, status;

	setlocale(LC_ALL, "");
	log_init("convenectl", TRUE);
	if (i + 1 < argc && strcmp(argv[i], "-c") == 0) {
		path = argv[i + 1];
		i += 2;
	}
	if (i >= argc)
		return usage(NULL);
	if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
		fputs(usage_text, stdout);
		return EX_OK;
	}
	if (path == NULL)
		path = g_getenv("CONVENE_CONF");
	if (path == NULL)
		path = SYSCONFDIR "/convene/convene.conf";
	command = argv[i++];
	running_command = command;
	/* deliver and check-config take no options, but say what they do. */
	if (i < argc && (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) &&
	    (strcmp(command, "deliver") == 0 || strcmp(command, "check-config") == 0)) {
		g_autofree char *summary = command_usage(command);

		printf("Usage:\n  convenectl %s\n\n%s\n\nSee convenectl(8).\n", command, summary);
		return EX_OK;
	}

	if (strcmp(command, "deliver") == 0) {
		/* The MTA's configuration is wrong: 75 keeps the message
		 * queued, where 64 would bounce it to its sender. */
		if (i < argc) {
			usage("deliver takes no arguments");
			return EX_TEMPFAIL;
		}
		return cmd_deliver(path);
	}
	if (strcmp(command, "check-config") == 0) {
		if (i < argc)
			return usage("check-config takes no arguments");
		return cmd_check_config(path);
	}
	if (strcmp(command, "run-once") == 0) {
		if (!parse_options(argc - i, argv + i, &o, NULL))
			return usage("run-once takes only --now ISO8601");
		status = cmd_run_once(path, &o);
	} else if (strcmp(command, "export") == 0) {
		if (!parse_options(argc - i, argv + i, &o, "json|csv"))
			return usage("export's --format is json or csv");
		status = cmd_list(path, &o, FALSE);
	} else if (strcmp(command, "queue") == 0) {
		if (!parse_options(argc - i, argv + i, &o, "json"))
			return usage("queue takes --format json and --state S");
		status = cmd_list(path, &o, TRUE);
	} else if (strcmp(command, "digest") == 0) {
		return cmd_digest(path, argc - i, argv + i);
	} else if (strcmp(command, "stats") == 0) {
		if (!parse_options(argc - i, argv + i, &o, "json"))
			return usage("the only --format here is json");
		status = cmd_stats(path, &o);
	} else if (strcmp(command, "cancel") == 0 || strcmp(command, "backup") == 0 ||
		   strcmp(command, "retry") == 0 || strcmp(command, "forget") == 0) {
		if (!parse_options(argc - i, argv + i, &o, NULL))
			return usage("cancel, forget, retry and backup take one argument");
		status = strcmp(command, "cancel") == 0  ? cmd_cancel(path, &o)
			 : strcmp(command, "forget") == 0 ? cmd_forget(path, &o)
			 : strcmp(command, "retry") == 0 ? cmd_retry(path, &o)
							  : cmd_backup(path, &o);
	} else if (strcmp(command, "register") == 0) {
		if (!parse_options(argc - i, argv + i, &o, NULL))
			return usage("register takes --lang L, --now ISO8601 and a FILE");
		status = cmd_register(path, &o);
	} else if (strcmp(command, "attention") == 0) {
		if (!parse_options(argc - i, argv + i, &o, "json"))
			return usage("attention takes --format json and --now ISO8601");
		status = cmd_attention(path, &o);
	} else if (strcmp(command, "release") == 0) {
		if (!parse_options(argc - i, argv + i, &o, NULL))
			return usage("release takes one FILE");
		status = cmd_release(path, &o);
	} else if (strcmp(command, "show") == 0) {
		if (!parse_options(argc - i, argv + i, &o, "json"))
			return usage("the only --format here is json");
		status = cmd_show(path, &o);
	} else {
		g_autofree char *problem = g_strdup_printf("unknown command %s", command);

		return usage(problem);
	}
	g_ptr_array_unref(o.rest);
	return status;
}
