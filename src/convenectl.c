/* convenectl: the organiser's and the MTA's command line. A thin main: it
 * reads arguments, loads the configuration and calls the modules; every
 * failure ends as one line on stderr and a <sysexits.h> code. */
#include "autoconfig.h"

#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "clock.h"
#include "compose.h"
#include "config.h"
#include "export.h"
#include "intake.h"
#include "log.h"
#include "maildir.h"
#include "sender.h"
#include "store.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif

static const char usage_text[] =
	"usage: convenectl [-c FILE] COMMAND [ARGS]\n"
	"commands:\n"
	"  check-config                   check the configuration and templates\n"
	"  deliver                        take one message on stdin into the intake\n"
	"  run-once [--now ISO8601]       answer waiting mail and send the outbox\n"
	"  export [--format json]         every attendee\n"
	"  show ADDRESS [--format json]   one attendee\n"
	"  queue [--format json]          outbox rows and their states\n"
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

/* Reads "--format json" (or "--format=json") and --now from @argv, leaving
 * positional arguments in @rest. Returns FALSE on an unknown option. */
typedef struct {
	const char *format;
	const char *now;
	GPtrArray *rest;
} Options;

static gboolean parse_options(int argc, char **argv, Options *o, const char *formats)
{
	o->rest = g_ptr_array_new();
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--format") == 0 && i + 1 < argc && formats != NULL)
			o->format = argv[++i];
		else if (g_str_has_prefix(a, "--format=") && formats != NULL)
			o->format = a + strlen("--format=");
		else if (strcmp(a, "--now") == 0 && i + 1 < argc)
			o->now = argv[++i];
		else if (g_str_has_prefix(a, "--now="))
			o->now = a + strlen("--now=");
		else if (a[0] == '-' && a[1] != '\0')
			return FALSE;
		else
			g_ptr_array_add(o->rest, (gpointer)a);
	}
	if (o->format != NULL) {
		g_auto(GStrv) allowed = g_strsplit(formats, "|", -1);

		if (!g_strv_contains((const char *const *)allowed, o->format))
			return FALSE;
	}
	if (o->now != NULL) {
		g_autoptr(GError) error = NULL;

		if (!clock_set_now(o->now, &error)) {
			say_error(NULL, error);
			return FALSE;
		}
	}
	return TRUE;
}

static int cmd_check_config(const char *path)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(Config) cfg = config_load(path, &error);

	if (cfg == NULL) {
		fprintf(stderr, "%s\n", error->message);
		return EX_CONFIG;
	}
	if (!compose_check_templates(cfg, &error)) {
		fprintf(stderr, "%s\n", error->message);
		return EX_CONFIG;
	}
	printf("configuration OK\n");
	return EX_OK;
}

/* The MTA's entry: 0 only once the message is durable in new/, 75 for
 * anything that may go better later. The content is never judged here. */
static int cmd_deliver(const char *path)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(Config) cfg = load_config(path, FALSE);
	g_autofree char *name = NULL;

	if (cfg == NULL)
		return EX_TEMPFAIL;
	if (!maildir_create(cfg->intake_dir, &error) ||
	    !maildir_deliver_fd(cfg->intake_dir, STDIN_FILENO, &name, &error)) {
		say_error("deliver", error);
		return EX_TEMPFAIL;
	}
	log_event(LOG_INFO, "delivered", "folder", cfg->intake_dir, "file", name, NULL);
	return EX_OK;
}

static int cmd_run_once(const char *path, Options *o)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(Config) cfg = NULL;
	g_autoptr(Composer) composer = NULL;
	IntakeStats in = {0};
	SenderStats out = {0};
	Store *store;
	int status = EX_OK;

	if (o->rest->len > 0)
		return usage("run-once takes no arguments");
	cfg = load_config(path, FALSE);
	if (cfg == NULL)
		return EX_CONFIG;
	store = open_store(cfg);
	if (store == NULL)
		return EX_CANTCREAT;
	composer = compose_new(cfg);
	if (!intake_run(cfg, store, composer, clock_now_unix(), &in, &error)) {
		say_error("intake", error);
		g_clear_error(&error);
		status = EX_TEMPFAIL;
	}
	if (!sender_flush(cfg, store, clock_now_unix(), &out, &error)) {
		fprintf(stderr, "convenectl: %s; %u message(s) stay queued for a later try\n",
			error->message, out.deferred);
		status = EX_TEMPFAIL;
	}
	store_close(store);
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
	Store *store;
	gboolean ok;

	if (o->rest->len > 0)
		return usage(outbox ? "queue takes no arguments" : "export takes no arguments");
	cfg = load_config(path, FALSE);
	if (cfg == NULL)
		return EX_CONFIG;
	store = open_store(cfg);
	if (store == NULL)
		return EX_CANTCREAT;
	if (o->format != NULL) {
		ok = outbox ? export_queue_json(cfg, store, stdout, &error)
			    : export_attendees_json(cfg, store, stdout, &error);
	} else {
		TextOut t = {cfg, 0};
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
		return EX_SOFTWARE;
	}
	return EX_OK;
}

static int cmd_show(const char *path, Options *o)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(Config) cfg = NULL;
	g_autoptr(Attendee) a = NULL;
	g_autofree char *email = NULL;
	StoreTxn *txn;
	Store *store;

	if (o->rest->len != 1)
		return usage("show takes one ADDRESS");
	email = g_ascii_strdown(g_ptr_array_index(o->rest, 0), -1);
	cfg = load_config(path, FALSE);
	if (cfg == NULL)
		return EX_CONFIG;
	store = open_store(cfg);
	if (store == NULL)
		return EX_CANTCREAT;
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

int main(int argc, char **argv)
{
	const char *path = NULL;
	const char *command;
	Options o = {0};
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

	if (strcmp(command, "check-config") == 0 || strcmp(command, "deliver") == 0) {
		if (i < argc)
			return usage("check-config and deliver take no arguments");
		return strcmp(command, "deliver") == 0 ? cmd_deliver(path) : cmd_check_config(path);
	}
	if (strcmp(command, "run-once") == 0) {
		if (!parse_options(argc - i, argv + i, &o, NULL))
			return usage("run-once takes only --now ISO8601");
		status = cmd_run_once(path, &o);
	} else if (strcmp(command, "export") == 0 || strcmp(command, "queue") == 0) {
		if (!parse_options(argc - i, argv + i, &o, "json"))
			return usage("the only --format here is json");
		status = cmd_list(path, &o, strcmp(command, "queue") == 0);
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
