/* SPDX-License-Identifier: ISC */
/* convened: the daemon. One GMainLoop takes mail as it arrives in the
 * intake Maildir (inotify through GFileMonitor, and a rescan every half
 * minute should an event be missed), in batches that share one durable
 * commit; runs the scheduler; and hands the outbox to a thread that talks
 * to the relay, so that a slow relay never holds up intake. Optionally it
 * listens for LMTP (lmtp.c, in a thread of its own): the messages that
 * arrive while a batch commits make the next batch, so that concurrent
 * clients share durable commits. It never acknowledges mail before its
 * commit and never runs twice on one state directory. */

#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sysexits.h>
#include <unistd.h>

#include "capacity.h"
#include "clock.h"
#include "compose.h"
#include "config.h"
#include "fsdiag.h"
#include "intake.h"
#include "lmtp.h"
#include "log.h"
#include "maildir.h"
#include "schedule.h"
#include "sender.h"
#include "store.h"
#include "token.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif

/* How often the intake is looked at even without an event, and the
 * scheduler and the outbox's retries woken. */
#define CONVENED_TICK_SECONDS 30

typedef struct {
	char *config_path;
	Config *cfg;
	Composer *composer;
	Store *store;
	GBytes *secret;
	Sender *sender;
	GMainLoop *loop;
	GFileMonitor *monitor;
	Lmtp *lmtp;
	int lock_fd;
	guint work_source;      /* a run of the work waiting to start, or 0 */
	gboolean sending;       /* a delivery runs in the sender thread */
	gboolean reload_pending;
	gboolean stopping;
	/* LMTP: each message is read and parsed in the parser's thread as it
	 * arrives, then committed in this one with those that came meanwhile. */
	GThreadPool *parser;    /* of LmtpDelivery * */
	GMutex cfg_lock;        /* held by the parser while it reads cfg, and
				 * here to replace it */
	GAsyncQueue *lmtp_queue;/* of Parsed *, from the parser */
	gint lmtp_posted;       /* a take_lmtp() is on its way to this loop */
} Daemon;

typedef struct {
	LmtpDelivery *delivery;
	IntakeMessage *message;
} Parsed;

typedef struct {
	Config *cfg;
	Sender *sender;
	GPtrArray *rows;
	gint64 now;
	SenderStats stats;
} Delivery;

static void delivery_free(gpointer data)
{
	Delivery *job = data;

	g_ptr_array_unref(job->rows);
	g_free(job);
}

static void daemon_reload(Daemon *d);
static void start_sending(Daemon *d);

/* --- the work: intake, scheduler, then the outbox ----------------------- */

static void run_work(Daemon *d)
{
	g_autoptr(GError) error = NULL;
	IntakeStats in = {0};
	ScheduleStats sched = {0};
	gint64 now = clock_now_unix();
	gint64 started, took;

	started = g_get_monotonic_time();
	if (!intake_run(d->cfg, d->store, d->composer, d->secret, now, &in, &error)) {
		log_event(LOG_ERR, "intake-failed", "reason", error->message, NULL);
		g_clear_error(&error);
	}
	took = g_get_monotonic_time() - started;
	if (!schedule_run(d->cfg, d->store, d->composer, clock_now_unix(), &sched, &error)) {
		log_event(LOG_ERR, "schedule-failed", "reason", error->message, NULL);
		g_clear_error(&error);
	}
	if (!store_purge(d->store, clock_now_unix(), d->cfg->keep_sent_days, NULL, &error)) {
		log_event(LOG_ERR, "purge-failed", "reason", error->message, NULL);
		g_clear_error(&error);
	}
	if (in.messages > 0) {
		g_autofree char *n = g_strdup_printf("%u", in.messages);
		g_autofree char *answered = g_strdup_printf("%u", in.answered);
		g_autofree char *deferred = g_strdup_printf("%u", in.deferred);
		g_autofree char *seconds = g_strdup_printf("%.3f", (double)took / G_USEC_PER_SEC);

		log_event(LOG_INFO, "batch", "messages", n, "answered", answered, "deferred",
			  deferred, "seconds", seconds, NULL);
	}
	start_sending(d);
}

static gboolean work_cb(gpointer data)
{
	Daemon *d = data;

	d->work_source = 0;
	if (!d->stopping)
		run_work(d);
	return G_SOURCE_REMOVE;
}

/* Runs the work soon: @delay_ms lets a burst of arrivals make one batch. */
static void queue_work(Daemon *d, guint delay_ms)
{
	if (d->work_source == 0)
		d->work_source = g_timeout_add(delay_ms, work_cb, d);
}

static void on_intake_event(GFileMonitor *monitor, GFile *file, GFile *other,
			    GFileMonitorEvent event, gpointer data)
{
	(void)monitor;
	(void)file;
	(void)other;
	if (event == G_FILE_MONITOR_EVENT_CREATED || event == G_FILE_MONITOR_EVENT_MOVED_IN ||
	    event == G_FILE_MONITOR_EVENT_RENAMED || event == G_FILE_MONITOR_EVENT_CHANGES_DONE_HINT)
		queue_work(data, 20);
}

static gboolean tick_cb(gpointer data)
{
	queue_work(data, 0);
	return G_SOURCE_CONTINUE;
}

static gboolean watch_intake(Daemon *d, GError **error)
{
	g_autofree char *path = g_build_filename(d->cfg->intake_dir, "new", NULL);
	g_autoptr(GFile) dir = g_file_new_for_path(path);

	g_clear_object(&d->monitor);
	if (!maildir_create(d->cfg->intake_dir, error))
		return FALSE;
	d->monitor = g_file_monitor_directory(dir, G_FILE_MONITOR_WATCH_MOVES, NULL, error);
	if (d->monitor == NULL)
		return FALSE;
	g_signal_connect(d->monitor, "changed", G_CALLBACK(on_intake_event), d);
	return TRUE;
}

/* --- the sender thread ----------------------------------------------------- */

static void deliver_thread(GTask *task, gpointer source, gpointer data, GCancellable *cancel)
{
	Delivery *job = data;
	GError *error = NULL;

	(void)source;
	(void)cancel;
	if (!sender_deliver(job->sender, job->cfg, job->rows, job->now, &job->stats, &error)) {
		g_task_return_error(task, error);
		return;
	}
	g_task_return_boolean(task, TRUE);
}

static void delivered(GObject *source, GAsyncResult *result, gpointer data)
{
	Daemon *d = data;
	GTask *task = G_TASK(result);
	Delivery *job = g_task_get_task_data(task);
	g_autoptr(GError) error = NULL;
	g_autofree char *sent = g_strdup_printf("%u", job->stats.sent);
	g_autofree char *deferred = g_strdup_printf("%u", job->stats.deferred);
	g_autofree char *failed = g_strdup_printf("%u", job->stats.failed);

	(void)source;
	if (!g_task_propagate_boolean(task, &error))
		log_event(LOG_WARNING, "relay-unavailable", "reason", error->message, NULL);
	g_clear_error(&error);
	if (!sender_commit(d->sender, d->store, &error))
		log_event(LOG_ERR, "settle-failed", "reason", error->message, NULL);
	log_event(LOG_INFO, "sent", "sent", sent, "deferred", deferred, "failed", failed, NULL);
	d->sending = FALSE;
	if (d->reload_pending)
		daemon_reload(d);
	if (d->stopping)
		g_main_loop_quit(d->loop);
	else
		start_sending(d); /* rows queued while this batch was out */
}

/* Rows settled by the sender thread are committed in groups: the first
 * to wait asks for a commit a little later, and the others settled by then
 * share it. */
#define CONVENED_COMMIT_MS 20

static gboolean commit_cb(gpointer data)
{
	Daemon *d = data;
	g_autoptr(GError) error = NULL;

	if (!sender_commit(d->sender, d->store, &error))
		log_event(LOG_ERR, "settle-failed", "reason", error->message, NULL);
	return G_SOURCE_REMOVE;
}

/* In the sender thread: rows wait for a commit. */
static void commit_wake(gpointer data)
{
	GSource *source = g_timeout_source_new(CONVENED_COMMIT_MS);

	g_source_set_callback(source, commit_cb, data, NULL);
	g_source_attach(source, NULL);
	g_source_unref(source);
}

static void start_sending(Daemon *d)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GTask) task = NULL;
	SenderStats stats = {0};
	Delivery *job;
	GPtrArray *rows;

	if (d->sending || d->stopping)
		return;
	rows = sender_claim(d->sender, d->store, clock_now_unix(), &stats, &error);
	if (rows == NULL) {
		log_event(LOG_ERR, "claim-failed", "reason", error->message, NULL);
		return;
	}
	if (rows->len == 0) {
		g_ptr_array_unref(rows);
		return;
	}
	job = g_new0(Delivery, 1);
	job->cfg = d->cfg;
	job->sender = d->sender;
	job->rows = rows;
	job->now = clock_now_unix();
	d->sending = TRUE;
	task = g_task_new(NULL, NULL, delivered, d);
	g_task_set_task_data(task, job, delivery_free);
	g_task_run_in_thread(task, deliver_thread);
}

/* --- LMTP ------------------------------------------------------------------ */

static void parsed_answer(Parsed *p, int code, const char *text)
{
	lmtp_delivery_done(p->delivery, code, text);
	intake_message_free(p->message);
	g_free(p);
}

/* In this loop: every message parsed meanwhile is committed in one batch,
 * then answered. Those that arrive during the commit make the next one. */
static gboolean take_lmtp(gpointer data)
{
	Daemon *d = data;
	g_autoptr(GPtrArray) batch = g_ptr_array_new();
	g_autoptr(GPtrArray) messages = g_ptr_array_new();
	IntakeStats stats = {0};
	Parsed *p;

	/* Cleared first: a message pushed from now on posts another run. */
	g_atomic_int_set(&d->lmtp_posted, 0);
	while ((p = g_async_queue_try_pop(d->lmtp_queue)) != NULL) {
		g_ptr_array_add(batch, p);
		g_ptr_array_add(messages, p->message);
	}
	if (batch->len == 0)
		return G_SOURCE_REMOVE;
	if (d->stopping) {
		for (guint i = 0; i < batch->len; i++)
			parsed_answer(batch->pdata[i], 451, "4.3.2 Shutting down; try again later");
		return G_SOURCE_REMOVE;
	}
	intake_commit(d->cfg, d->store, d->composer, d->secret, clock_now_unix(),
		      (IntakeMessage *const *)messages->pdata, messages->len, &stats);
	for (guint i = 0; i < batch->len; i++) {
		p = batch->pdata[i];
		if (intake_message_verdict(p->message) == INTAKE_TAKEN)
			parsed_answer(p, 250, "2.0.0 Ok: committed");
		else
			parsed_answer(p, 451, "4.3.0 Not committed; try again later");
	}
	if (stats.deferred > 0) {
		g_autofree char *n = g_strdup_printf("%u", stats.messages);
		g_autofree char *deferred = g_strdup_printf("%u", stats.deferred);

		log_event(LOG_WARNING, "lmtp-deferred", "messages", n, "deferred", deferred, NULL);
	}
	start_sending(d);
	return G_SOURCE_REMOVE;
}

/* In the parser's thread: the message is read and parsed, and waits for
 * the next batch of the main loop. */
static void parse_lmtp(gpointer data, gpointer user_data)
{
	Daemon *d = user_data;
	Parsed *p = g_new0(Parsed, 1);

	p->delivery = data;
	g_mutex_lock(&d->cfg_lock);
	p->message = intake_message_read(d->cfg, lmtp_delivery_get_message(p->delivery),
					 clock_now_unix());
	g_mutex_unlock(&d->cfg_lock);
	g_async_queue_push(d->lmtp_queue, p);
	if (g_atomic_int_compare_and_exchange(&d->lmtp_posted, 0, 1))
		g_main_context_invoke(NULL, take_lmtp, d);
}

/* In the listener's thread: the message goes to the parser. */
static void lmtp_deliver(LmtpDelivery *delivery, gpointer data)
{
	Daemon *d = data;

	g_thread_pool_push(d->parser, delivery, NULL);
}

/* The LMTP listener as the configuration now asks: started, moved,
 * stopped, or (when the new address cannot be had) kept as it was. */
static void reconfigure_lmtp(Daemon *d)
{
	g_autoptr(GError) error = NULL;

	if (d->cfg->lmtp == NULL) {
		g_clear_pointer(&d->lmtp, lmtp_stop);
	} else if (d->lmtp == NULL) {
		d->lmtp = lmtp_start(d->cfg, lmtp_deliver, d, &error);
		if (d->lmtp == NULL)
			log_event(LOG_ERR, "lmtp-failed", "reason", error->message, NULL);
	} else if (!lmtp_reconfigure(d->lmtp, d->cfg, &error)) {
		log_event(LOG_WARNING, "lmtp-kept", "reason", error->message, NULL);
	}
}

/* --- signals and reloading --------------------------------------------------- */

/* Compares @cfg with the registrations in @store: logs each warning, and
 * returns FALSE with every error in @error (the configuration is refused). */
static gboolean check_state(Store *store, const Config *cfg, GError **error)
{
	g_autoptr(GString) errors = g_string_new(NULL);
	g_autoptr(GString) warnings = g_string_new(NULL);
	g_auto(GStrv) lines = NULL;

	if (!capacity_check_store(store, cfg, errors, warnings, error))
		return FALSE;
	lines = g_strsplit(warnings->str, "\n", -1);
	for (char **l = lines; *l != NULL; l++)
		if (**l != '\0')
			log_event(LOG_WARNING, "config-warning", "problem", *l, NULL);
	if (errors->len == 0)
		return TRUE;
	g_string_truncate(errors, errors->len - 1);
	g_set_error_literal(error, G_FILE_ERROR, G_FILE_ERROR_INVAL, errors->str);
	return FALSE;
}

/* Gives the places a raised capacity freed to those waiting; a failure
 * is logged, and the next load tries again. */
static void promote_waiting(Daemon *d)
{
	g_autoptr(GError) error = NULL;

	if (!capacity_apply(d->store, d->cfg, d->composer, clock_now_unix(), NULL, &error))
		log_event(LOG_ERR, "promote-failed", "reason", error->message, NULL);
}

static void daemon_reload(Daemon *d)
{
	g_autoptr(GError) error = NULL;
	Config *cfg, *old;

	d->reload_pending = FALSE;
	cfg = config_load(d->config_path, &error);
	if (cfg == NULL || !compose_check_templates(cfg, &error) ||
	    !check_state(d->store, cfg, &error)) {
		log_event(LOG_ERR, "reload-refused", "file", d->config_path, "reason",
			  error->message, NULL);
		config_free(cfg);
		return;
	}
	if (strcmp(cfg->state_dir, d->cfg->state_dir) != 0)
		log_event(LOG_WARNING, "reload-state-kept", "state", d->cfg->state_dir, "reason",
			  "a new state directory takes effect at restart", NULL);
	compose_free(d->composer);
	g_mutex_lock(&d->cfg_lock);
	old = d->cfg;
	d->cfg = cfg;
	g_mutex_unlock(&d->cfg_lock);
	config_free(old);
	d->composer = compose_new(cfg);
	promote_waiting(d);
	reconfigure_lmtp(d);
	if (!watch_intake(d, &error))
		log_event(LOG_ERR, "watch-failed", "folder", cfg->intake_dir, "reason",
			  error->message, NULL);
	log_event(LOG_INFO, "reloaded", "file", d->config_path, NULL);
	queue_work(d, 0);
}

static gboolean on_sighup(gpointer data)
{
	Daemon *d = data;

	if (d->sending)
		d->reload_pending = TRUE; /* the sender thread reads the old one */
	else
		daemon_reload(d);
	return G_SOURCE_CONTINUE;
}

/* The batch under way, if any, is over by the time this runs: the loop
 * runs one thing at a time. A delivery in its thread is waited for. */
static gboolean on_sigterm(gpointer data)
{
	Daemon *d = data;

	log_event(LOG_INFO, "stopping", NULL);
	d->stopping = TRUE;
	if (!d->sending)
		g_main_loop_quit(d->loop);
	return G_SOURCE_CONTINUE;
}

/* --- start-up ------------------------------------------------------------------- */

/* Says, with priority LOG_ERR, why starting failed: "convened: @what @path:
 * strerror(@err)", and what really stood in the way (fsdiag). */
static void say_fs_error(const char *what, const char *path, int err)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *text = NULL;

	fsdiag_fail(&error, err, what, path);
	text = g_strconcat("convened: ", error->message, NULL);
	log_text(LOG_ERR, text);
}

/* Takes the state directory's lock (its pid file): a second daemon on the
 * same state refuses to start. Returns the locked file, or -1 with *@status
 * set: EX_TEMPFAIL when another convened holds it, EX_CANTCREAT when the
 * state directory cannot be made or written. */
static int lock_state(const Config *cfg, int *status)
{
	g_autofree char *path = g_build_filename(cfg->state_dir, "convened.pid", NULL);
	char pid[32] = "";
	int fd;

	if (g_mkdir_with_parents(cfg->state_dir, 0700) != 0) {
		say_fs_error("cannot create", cfg->state_dir, errno);
		*status = EX_CANTCREAT;
		return -1;
	}
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		say_fs_error("cannot open", path, errno);
		*status = EX_CANTCREAT;
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		ssize_t n = read(fd, pid, sizeof pid - 1);
		g_autofree char *text = NULL;

		pid[n > 0 ? n : 0] = '\0';
		g_strchomp(pid);
		text = g_strdup_printf("convened: another convened (pid %s) runs on %s",
				       *pid ? pid : "unknown", cfg->state_dir);
		log_text(LOG_ERR, text);
		close(fd);
		*status = EX_TEMPFAIL;
		return -1;
	}
	return fd;
}

static void write_pid(int fd)
{
	g_autofree char *pid = g_strdup_printf("%d\n", (int)getpid());

	if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, strlen(pid), 0) != (ssize_t)strlen(pid))
		log_event(LOG_WARNING, "pidfile-failed", "reason", g_strerror(errno), NULL);
}

/* Frees the daemon's configuration and its path: main()'s, on whichever
 * way it returns, the early ones included. */
static void daemon_config_clear(Daemon *d)
{
	config_free(d->cfg);
	g_free(d->config_path);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(Daemon, daemon_config_clear)

int main(int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	g_auto(Daemon) d = {0};
	Parsed *pending;
	gboolean foreground = FALSE;
	int status = EX_OK;

	setlocale(LC_ALL, "");
	/* Until it detaches, what goes wrong is said on stderr, with its
	 * priority when that is the journal. */
	log_init("convened", TRUE);
	{
		g_autofree char *now = NULL;
		GOptionEntry entries[] = {
		    {"config", 'c', 0, G_OPTION_ARG_FILENAME, &d.config_path,
		     "the configuration (default $CONVENE_CONF, else " SYSCONFDIR
		     "/convene/convene.conf)",
		     "FILE"},
		    {"foreground", 'f', 0, G_OPTION_ARG_NONE, &foreground,
		     "stay in the foreground and log to stderr", NULL},
		    {"now", 0, 0, G_OPTION_ARG_STRING, &now,
		     "start the clock at this time (tests, demonstrations)", "ISO8601"},
		    {NULL, 0, 0, 0, NULL, NULL, NULL}};
		g_autoptr(GOptionContext) context = g_option_context_new(NULL);

		g_option_context_set_summary(context, "The convene daemon: LMTP, the intake "
						      "Maildir, the schedule and the outbox.");
		g_option_context_set_description(context, "See convened(8).");
		g_option_context_add_main_entries(context, entries, NULL);
		if (!g_option_context_parse(context, &argc, &argv, &error) || argc > 1) {
			g_autofree char *help = g_option_context_get_help(context, TRUE, NULL);

			fprintf(stderr, "convened: %s\n%s",
				error != NULL ? error->message : "it takes no arguments", help);
			return EX_USAGE;
		}
		if (now != NULL && !clock_set_now(now, &error)) {
			fprintf(stderr, "convened: %s\n", error->message);
			return EX_USAGE;
		}
	}
	if (d.config_path == NULL)
		d.config_path = g_strdup(g_getenv("CONVENE_CONF") != NULL
						 ? g_getenv("CONVENE_CONF")
						 : SYSCONFDIR "/convene/convene.conf");
	d.cfg = config_load(d.config_path, &error);
	if (d.cfg == NULL || !compose_check_templates(d.cfg, &error)) {
		log_text(LOG_ERR, error->message);
		return EX_CONFIG;
	}
	d.lock_fd = lock_state(d.cfg, &status);
	if (d.lock_fd < 0)
		return status;
	/* LMDB must not cross a fork: the store is opened by the daemon itself. */
	if (!foreground && daemon(1, 0) != 0) {
		g_autofree char *text = g_strdup_printf("convened: cannot become a daemon: %s",
							g_strerror(errno));

		log_text(LOG_ERR, text);
		return EX_OSERR;
	}
	log_init("convened", foreground);
	write_pid(d.lock_fd);

	g_mutex_init(&d.cfg_lock);
	d.lmtp_queue = g_async_queue_new();
	/* One thread: parsing takes one core, committing the other. */
	d.parser = g_thread_pool_new(parse_lmtp, &d, 1, FALSE, NULL);
	d.store = store_open(d.cfg->state_dir, &error);
	if (d.store != NULL)
		d.secret = token_secret_load(d.cfg->state_dir, &error);
	if (d.secret != NULL)
		d.sender = sender_new(d.cfg, commit_wake, &d, &error);
	if (d.store == NULL || d.secret == NULL || d.sender == NULL || !watch_intake(&d, &error)) {
		log_event(LOG_ERR, "start-failed", "reason", error->message, NULL);
		status = EX_CANTCREAT;
		goto out;
	}
	if (!check_state(d.store, d.cfg, &error)) {
		log_text(LOG_ERR, error->message);
		status = EX_CONFIG;
		goto out;
	}
	if (d.cfg->lmtp != NULL) {
		d.lmtp = lmtp_start(d.cfg, lmtp_deliver, &d, &error);
		if (d.lmtp == NULL) {
			log_event(LOG_ERR, "start-failed", "reason", error->message, NULL);
			status = EX_UNAVAILABLE;
			goto out;
		}
	}
	d.composer = compose_new(d.cfg);
	promote_waiting(&d);
	d.loop = g_main_loop_new(NULL, FALSE);
	g_unix_signal_add(SIGTERM, on_sigterm, &d);
	g_unix_signal_add(SIGINT, on_sigterm, &d);
	g_unix_signal_add(SIGHUP, on_sighup, &d);
	g_timeout_add_seconds(CONVENED_TICK_SECONDS, tick_cb, &d);
	log_event(LOG_INFO, "started", "config", d.config_path, "intake", d.cfg->intake_dir,
		  "state", d.cfg->state_dir, NULL);
	queue_work(&d, 0);
	g_main_loop_run(d.loop);
	log_event(LOG_INFO, "stopped", NULL);
out:
	/* The listener, then the parser: then no message comes any more, and
	 * those still queued are freed unanswered (their clients retry). */
	lmtp_stop(d.lmtp);
	g_thread_pool_free(d.parser, FALSE, TRUE);
	while ((pending = g_async_queue_try_pop(d.lmtp_queue)) != NULL)
		parsed_answer(pending, 421, "4.3.2 Shutting down");
	g_async_queue_unref(d.lmtp_queue);
	g_clear_object(&d.monitor);
	g_clear_pointer(&d.loop, g_main_loop_unref);
	compose_free(d.composer);
	if (d.sender != NULL && d.store != NULL) {
		g_autoptr(GError) commit_error = NULL;

		if (!sender_commit(d.sender, d.store, &commit_error))
			log_event(LOG_ERR, "settle-failed", "reason", commit_error->message, NULL);
	}
	sender_free(d.sender);
	if (d.store != NULL)
		store_close(d.store);
	g_clear_pointer(&d.secret, g_bytes_unref);

	close(d.lock_fd);
	return status;
}
