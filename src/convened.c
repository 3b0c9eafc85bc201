/* SPDX-License-Identifier: ISC */
/* convened: the daemon. One GMainLoop takes mail as it arrives in the
 * intake Maildir (inotify through GFileMonitor, and a rescan every half
 * minute should an event be missed), in batches that share one durable
 * commit; runs the scheduler; and hands the outbox to a thread that talks
 * to the relay, so that a slow relay never holds up intake. Optionally it
 * listens for LMTP. It never acknowledges mail before its commit and never
 * runs twice on one state directory. */

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

#include "clock.h"
#include "compose.h"
#include "config.h"
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
/* How long an LMTP client waits for its message's commit before 451. */
#define CONVENED_LMTP_WAIT_SECONDS 60

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
	/* LMTP connections wait, in their threads, for the run after theirs. */
	GMutex lock;
	GCond ran;
	guint64 requested;      /* runs asked for */
	guint64 completed;      /* of those, done */
	char *intake_dir;       /* a copy for those threads */
} Daemon;

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
	guint64 seq;
	gint64 now = clock_now_unix();
	gint64 started, took;

	g_mutex_lock(&d->lock);
	seq = d->requested;
	g_mutex_unlock(&d->lock);

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
	g_mutex_lock(&d->lock);
	d->completed = MAX(d->completed, seq);
	g_cond_broadcast(&d->ran);
	g_mutex_unlock(&d->lock);
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

static gboolean work_now_cb(gpointer data)
{
	Daemon *d = data;

	if (d->work_source != 0) {
		g_source_remove(d->work_source);
		d->work_source = 0;
	}
	run_work(d);
	return G_SOURCE_REMOVE;
}

/* In a connection's thread: the message goes durably into the intake, and
 * the answer waits for the run that commits it. */
static int lmtp_deliver(GBytes *message, char **text, gpointer data)
{
	Daemon *d = data;
	g_autoptr(GError) error = NULL;
	g_autofree char *intake = NULL, *name = NULL, *path = NULL;
	gint64 deadline = g_get_monotonic_time() + CONVENED_LMTP_WAIT_SECONDS * G_TIME_SPAN_SECOND;
	guint64 seq;

	g_mutex_lock(&d->lock);
	intake = g_strdup(d->intake_dir);
	g_mutex_unlock(&d->lock);
	if (!maildir_deliver_bytes(intake, message, &name, &error)) {
		*text = g_strdup_printf("4.3.0 cannot queue the message: %s", error->message);
		return 451;
	}
	g_mutex_lock(&d->lock);
	seq = ++d->requested;
	g_mutex_unlock(&d->lock);
	g_main_context_invoke(NULL, work_now_cb, d);
	g_mutex_lock(&d->lock);
	while (d->completed < seq && g_cond_wait_until(&d->ran, &d->lock, deadline))
		;
	g_mutex_unlock(&d->lock);
	path = g_build_filename(intake, "new", name, NULL);
	if (g_file_test(path, G_FILE_TEST_EXISTS)) {
		/* Kept: it will be taken later, and a retry is a harmless duplicate. */
		*text = g_strdup("4.3.0 received but not yet committed; try again later");
		return 451;
	}
	*text = g_strdup("2.0.0 Ok: committed");
	return 250;
}

/* --- signals and reloading --------------------------------------------------- */

static void daemon_reload(Daemon *d)
{
	g_autoptr(GError) error = NULL;
	Config *cfg;

	d->reload_pending = FALSE;
	cfg = config_load(d->config_path, &error);
	if (cfg == NULL || !compose_check_templates(cfg, &error)) {
		log_event(LOG_ERR, "reload-refused", "file", d->config_path, "reason",
			  error->message, NULL);
		config_free(cfg);
		return;
	}
	if (strcmp(cfg->state_dir, d->cfg->state_dir) != 0)
		log_event(LOG_WARNING, "reload-state-kept", "state", d->cfg->state_dir, "reason",
			  "a new state directory takes effect at restart", NULL);
	compose_free(d->composer);
	config_free(d->cfg);
	d->cfg = cfg;
	d->composer = compose_new(cfg);
	g_mutex_lock(&d->lock);
	g_free(d->intake_dir);
	d->intake_dir = g_strdup(cfg->intake_dir);
	g_mutex_unlock(&d->lock);
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

/* Takes the state directory's lock (its pid file): a second daemon on the
 * same state refuses to start. Returns the locked file, or -1. */
static int lock_state(const Config *cfg)
{
	g_autofree char *path = g_build_filename(cfg->state_dir, "convened.pid", NULL);
	char pid[32] = "";
	int fd;

	if (g_mkdir_with_parents(cfg->state_dir, 0700) != 0) {
		fprintf(stderr, "convened: cannot create %s: %s\n", cfg->state_dir, g_strerror(errno));
		return -1;
	}
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		fprintf(stderr, "convened: cannot open %s: %s\n", path, g_strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		ssize_t n = read(fd, pid, sizeof pid - 1);

		pid[n > 0 ? n : 0] = '\0';
		g_strchomp(pid);
		fprintf(stderr, "convened: another convened (pid %s) runs on %s\n",
			*pid ? pid : "unknown", cfg->state_dir);
		close(fd);
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

static int usage(void)
{
	fputs("usage: convened [-c FILE] [-f] [--now ISO8601]\n"
	      "  -c FILE   the configuration (default $CONVENE_CONF, else " SYSCONFDIR
	      "/convene/convene.conf)\n"
	      "  -f        stay in the foreground and log to stderr\n"
	      "  --now T   start the clock at T (tests, demonstrations)\n",
	      stderr);
	return EX_USAGE;
}

int main(int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	Daemon d = {0};
	gboolean foreground = FALSE;
	int status = EX_OK;

	setlocale(LC_ALL, "");
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-c") == 0 && i + 1 < argc) {
			d.config_path = g_strdup(argv[++i]);
		} else if (strcmp(argv[i], "-f") == 0) {
			foreground = TRUE;
		} else if (strcmp(argv[i], "--now") == 0 && i + 1 < argc) {
			if (!clock_set_now(argv[++i], &error)) {
				fprintf(stderr, "convened: %s\n", error->message);
				return EX_USAGE;
			}
		} else {
			return usage();
		}
	}
	if (d.config_path == NULL)
		d.config_path = g_strdup(g_getenv("CONVENE_CONF") != NULL
						 ? g_getenv("CONVENE_CONF")
						 : SYSCONFDIR "/convene/convene.conf");
	d.cfg = config_load(d.config_path, &error);
	if (d.cfg == NULL || !compose_check_templates(d.cfg, &error)) {
		fprintf(stderr, "%s\n", error->message);
		return EX_CONFIG;
	}
	d.lock_fd = lock_state(d.cfg);
	if (d.lock_fd < 0)
		return EX_TEMPFAIL;
	/* LMDB must not cross a fork: the store is opened by the daemon itself. */
	if (!foreground && daemon(1, 0) != 0) {
		fprintf(stderr, "convened: cannot become a daemon: %s\n", g_strerror(errno));
		return EX_OSERR;
	}
	log_init("convened", foreground);
	write_pid(d.lock_fd);

	g_mutex_init(&d.lock);
	g_cond_init(&d.ran);
	d.intake_dir = g_strdup(d.cfg->intake_dir);
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
	if (d.cfg->lmtp != NULL) {
		d.lmtp = lmtp_start(d.cfg->lmtp, d.cfg->max_message_size, lmtp_deliver, &d, &error);
		if (d.lmtp == NULL) {
			log_event(LOG_ERR, "start-failed", "reason", error->message, NULL);
			status = EX_UNAVAILABLE;
			goto out;
		}
	}
	d.composer = compose_new(d.cfg);
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
	lmtp_stop(d.lmtp);
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
	config_free(d.cfg);
	g_free(d.intake_dir);
	g_free(d.config_path);
	close(d.lock_fd);
	return status;
}
