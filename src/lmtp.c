/* SPDX-License-Identifier: ISC */
/* lmtp.c: the LMTP listener. One thread of its own runs a main context of
 * its own, and every connection is a non-blocking socket watched there and
 * driven through an LmtpSession (lmtpsession.c): one thread serves any
 * number of clients, none can hold another up, and the daemon's main loop
 * never waits on a client. This was chosen over async I/O on the daemon's
 * own main context because that context runs intake batches and the
 * scheduler, which would hold a greeting back for as long as they take,
 * and over a thread per connection (GThreadedSocketService) because idle
 * clients then take the threads and GIO crashed when they hung up.
 *
 * What this thread owns (connections, the listening socket, the limits)
 * only it touches; other threads reach it through its main context
 * (g_main_context_invoke() and idle sources) and never the other way
 * round: a message goes out to the deliver function, its answer comes back
 * with lmtp_delivery_done(). It never acknowledges a message itself. */

#include "autoconfig.h"

#include "lmtp.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>
#include <grp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lmtpsession.h"
#include "log.h"

/* Octets read from a client at a time. */
#define LMTP_READ_SIZE 16384
/* Connections taken at one wake-up, so that a flood of them does not keep
 * the thread from the connections it has. */
#define LMTP_ACCEPT_BURST 64
#define LMTP_BACKLOG 128
/* How long accepting pauses after accept() failed for want of resources. */
#define LMTP_PAUSE_SECONDS 1

G_DEFINE_QUARK(convene - lmtp - error - quark, lmtp_error)

typedef struct {
	gsize max_line;
	guint64 max_size;
	guint idle_timeout;
	guint max_connections;
} Limits;

/* What deliveries share with the listener's thread: where to send their
 * answers, for as long as it runs. */
typedef struct {
	gatomicrefcount ref;
	GMutex lock;
	GMainContext *context; /* NULL once the listener has stopped */
} Hub;

typedef struct {
	char *where;
	GSocket *socket;
	char *unix_path; /* the socket file, or NULL */
	dev_t dev;	 /* its identity, so that only our own file is removed */
	ino_t ino;
} Listener;

/* The listener thread's state: only that thread touches it while it runs. */
typedef struct {
	GMainContext *context;
	Hub *hub;
	char *host;
	Limits limits;
	Listener *listener;
	GSource *accepting; /* watches the listening socket, or NULL */
	GSource *pause;	    /* restarts accepting later, or NULL */
	GHashTable *conns;  /* guint64 * id -> Conn *, borrowed */
	guint64 next_id;
	gboolean busy_logged; /* "lmtp-busy" said since the limit was reached */
	LmtpDeliverFunc deliver;
	gpointer user_data;
} Server;

struct _Lmtp {
	/* The main thread's: the settings it compares a new configuration with. */
	char *where;
	int mode;
	char *group;
	GMainContext *context;
	GMainLoop *loop;
	GThread *thread;
	Hub *hub;
	Server *server; /* touched here only before the thread starts and after it ends */
};

struct _LmtpDelivery {
	Hub *hub;
	Server *server; /* valid when the answer is dispatched in the listener's thread */
	guint64 conn;
	GBytes *message;
	int code;
	char *text;
};

/* A connection is a GSource of the listener's context: its socket's
 * readiness and, as the source's ready time, its idle deadline. */
typedef struct {
	GSource source;
	Server *server;
	guint64 id;
	int fd;
	gpointer tag;
	LmtpSession *session;
	gboolean eof;
	gsize in_len;
	char in[LMTP_READ_SIZE];
} Conn;

static Hub *hub_ref(Hub *hub)
{
	g_atomic_ref_count_inc(&hub->ref);
	return hub;
}

static void hub_unref(Hub *hub)
{
	if (!g_atomic_ref_count_dec(&hub->ref))
		return;
	g_mutex_clear(&hub->lock);
	g_free(hub);
}

static Limits limits_of(const Config *cfg)
{
	Limits l = {cfg->max_line_length, cfg->max_message_size, cfg->lmtp_idle_timeout,
		    cfg->lmtp_max_connections};

	return l;
}

/* --- the listening socket (made in the caller's thread) ------------------ */

static void listener_free(Listener *l)
{
	struct stat st;

	if (l == NULL)
		return;
	g_socket_close(l->socket, NULL);
	g_object_unref(l->socket);
	/* A listener that took the path over since has its own socket there. */
	if (l->unix_path != NULL && lstat(l->unix_path, &st) == 0 && st.st_dev == l->dev &&
	    st.st_ino == l->ino)
		g_unlink(l->unix_path);
	g_free(l->unix_path);
	g_free(l->where);
	g_free(l);
}

/* Gives the socket file @path its mode and group from @cfg. */
static gboolean set_access(const char *path, const Config *cfg, GError **error)
{
	if (cfg->lmtp_socket_mode >= 0 && chmod(path, (mode_t)cfg->lmtp_socket_mode) != 0) {
		int err = errno;

		g_set_error(error, LMTP_ERROR, 0, "lmtp %s: cannot set its mode to %04o: %s", path,
			    (unsigned)cfg->lmtp_socket_mode, g_strerror(err));
		return FALSE;
	}
	if (cfg->lmtp_socket_group != NULL) {
		/* Only the main thread looks groups up: getgrnam()'s buffer is ours. */
		struct group *gr = getgrnam(cfg->lmtp_socket_group);

		if (gr == NULL || chown(path, (uid_t)-1, gr->gr_gid) != 0) {
			int err = gr == NULL ? ENOENT : errno;

			g_set_error(error, LMTP_ERROR, 0, "lmtp %s: cannot give it to group %s: %s",
				    path, cfg->lmtp_socket_group,
				    gr == NULL ? "no such group" : g_strerror(err));
			return FALSE;
		}
	}
	return TRUE;
}

/* Binds cfg->lmtp and listens there. */
static Listener *listener_new(const Config *cfg, GError **error)
{
	const char *where = cfg->lmtp;
	g_autoptr(GSocketAddress) address = NULL;
	g_autoptr(GSocket) socket = NULL;
	Listener *l = g_new0(Listener, 1);
	struct stat st;

	l->where = g_strdup(where);
	if (g_str_has_prefix(where, "unix:")) {
		const char *path = where + 5;

		/* A socket left by a daemon that died; the caller holds the lock
		 * that proves no other is running. Anything else is not ours. */
		if (lstat(path, &st) == 0 && !S_ISSOCK(st.st_mode)) {
			g_set_error(error, LMTP_ERROR, 0, "lmtp %s: exists and is not a socket",
				    where);
			goto fail;
		}
		g_unlink(path);
		address = g_unix_socket_address_new(path);
		socket = g_socket_new(G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM,
				      G_SOCKET_PROTOCOL_DEFAULT, error);
		if (socket == NULL || !g_socket_bind(socket, address, FALSE, error))
			goto fail_prefix;
		if (lstat(path, &st) != 0) {
			g_set_error(error, LMTP_ERROR, 0, "lmtp %s: %s", where, g_strerror(errno));
			goto fail;
		}
		l->unix_path = g_strdup(path);
		l->dev = st.st_dev;
		l->ino = st.st_ino;
		if (!set_access(path, cfg, error))
			goto fail;
	} else {
		const char *colon = strrchr(where, ':');
		g_autofree char *host = g_strndup(where, colon - where);
		g_autoptr(GInetAddress) inet = g_inet_address_new_from_string(host);

		if (inet == NULL) {
			g_set_error(error, LMTP_ERROR, 0, "lmtp %s: the host must be an IP address",
				    where);
			goto fail;
		}
		address = g_inet_socket_address_new(inet, (guint16)atoi(colon + 1));
		socket = g_socket_new(g_inet_address_get_family(inet), G_SOCKET_TYPE_STREAM,
				      G_SOCKET_PROTOCOL_DEFAULT, error);
		if (socket == NULL || !g_socket_bind(socket, address, TRUE, error))
			goto fail_prefix;
	}
	g_socket_set_listen_backlog(socket, LMTP_BACKLOG);
	if (!g_socket_listen(socket, error))
		goto fail_prefix;
	g_socket_set_blocking(socket, FALSE);
	l->socket = g_steal_pointer(&socket);
	return l;

fail_prefix:
	g_prefix_error(error, "lmtp %s: ", where);
fail:
	if (socket != NULL)
		g_socket_close(socket, NULL);
	if (l->unix_path != NULL)
		g_unlink(l->unix_path);
	g_free(l->unix_path);
	g_free(l->where);
	g_free(l);
	return NULL;
}

/* --- connections (the listener's thread) ----------------------------------- */

static void conn_close(Conn *c)
{
	Server *sv = c->server;

	g_hash_table_remove(sv->conns, &c->id);
	if (g_hash_table_size(sv->conns) < sv->limits.max_connections)
		sv->busy_logged = FALSE;
	g_source_destroy(&c->source);
}

/* Moves what can be moved: input to the session, its replies to the
 * socket; then closes the connection when it is over, or says what to
 * wait for. @progress: bytes came in or a delivery was answered. Returns
 * FALSE when the connection was closed (and @c freed). */
static gboolean conn_update(Conn *c, gboolean progress)
{
	LmtpSession *s = c->session;
	GIOCondition events = 0;
	gsize pending;

	for (;;) {
		gboolean moved = FALSE;
		const char *out;

		if (c->in_len > 0 && lmtp_session_wants_input(s)) {
			gsize n = lmtp_session_feed(s, c->in, c->in_len);

			if (n > 0) {
				memmove(c->in, c->in + n, c->in_len - n);
				c->in_len -= n;
				moved = TRUE;
			}
		}
		out = lmtp_session_output(s, &pending);
		if (pending > 0) {
			ssize_t w = send(c->fd, out, pending, MSG_NOSIGNAL | MSG_DONTWAIT);

			if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
				conn_close(c);
				return FALSE;
			}
			if (w > 0) {
				lmtp_session_output_consumed(s, (gsize)w);
				moved = progress = TRUE;
			}
		}
		if (!moved)
			break;
	}
	lmtp_session_output(s, &pending);
	if (pending == 0 && (lmtp_session_ended(s) || (c->eof && !lmtp_session_waiting(s)))) {
		conn_close(c);
		return FALSE;
	}
	if (!c->eof && c->in_len < sizeof c->in && lmtp_session_wants_input(s))
		events |= G_IO_IN;
	if (pending > 0)
		events |= G_IO_OUT;
	g_source_modify_unix_fd(&c->source, c->tag, events);
	/* Our own delay in committing is not the client's idleness. */
	if (lmtp_session_waiting(s))
		g_source_set_ready_time(&c->source, -1);
	else if (progress || g_source_get_ready_time(&c->source) == -1)
		g_source_set_ready_time(&c->source, g_get_monotonic_time() +
							(gint64)c->server->limits.idle_timeout *
							    G_USEC_PER_SEC);
	return TRUE;
}

static gboolean conn_dispatch(GSource *source, GSourceFunc callback, gpointer data)
{
	Conn *c = (Conn *)source;
	GIOCondition revents = g_source_query_unix_fd(source, c->tag);
	gboolean progress = FALSE;

	(void)callback;
	(void)data;
	/* Gone: what it sent last can no longer be answered. */
	if (revents & (G_IO_ERR | G_IO_HUP | G_IO_NVAL)) {
		conn_close(c);
		return G_SOURCE_REMOVE;
	}
	if ((revents & G_IO_IN) && c->in_len < sizeof c->in) {
		ssize_t n = recv(c->fd, c->in + c->in_len, sizeof c->in - c->in_len, 0);

		if (n == 0) {
			c->eof = TRUE;
		} else if (n > 0) {
			c->in_len += (gsize)n;
			progress = TRUE;
		} else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
			conn_close(c);
			return G_SOURCE_REMOVE;
		}
	} else if (revents == 0 && g_source_get_ready_time(source) >= 0 &&
		   g_source_get_time(source) >= g_source_get_ready_time(source)) {
		g_autofree char *line =
		    g_strdup_printf("421 4.4.2 %s Idle for too long; closing", c->server->host);

		lmtp_session_abort(c->session, line);
		/* Told once, if it reads; closed either way. */
		if (conn_update(c, FALSE))
			conn_close(c);
		return G_SOURCE_REMOVE;
	}
	return conn_update(c, progress) ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

static void conn_finalize(GSource *source)
{
	Conn *c = (Conn *)source;

	lmtp_session_free(c->session);
	close(c->fd);
}

static GSourceFuncs conn_funcs = {NULL, NULL, conn_dispatch, conn_finalize, NULL, NULL};

/* The session has a message: it goes to the deliver function. */
static void conn_deliver(GBytes *message, gpointer data)
{
	Conn *c = data;
	LmtpDelivery *d = g_new0(LmtpDelivery, 1);

	d->hub = hub_ref(c->server->hub);
	d->server = c->server;
	d->conn = c->id;
	d->message = g_bytes_ref(message);
	c->server->deliver(d, c->server->user_data);
}

static void conn_new(Server *sv, int fd)
{
	Conn *c = (Conn *)g_source_new(&conn_funcs, sizeof(Conn));

	c->server = sv;
	c->id = ++sv->next_id;
	c->fd = fd;
	c->session =
	    lmtp_session_new(sv->host, sv->limits.max_line, sv->limits.max_size, conn_deliver, c);
	c->tag = g_source_add_unix_fd(&c->source, fd, G_IO_IN);
	g_source_set_ready_time(&c->source, -1);
	g_source_attach(&c->source, sv->context);
	g_source_unref(&c->source); /* the context holds it until conn_close() */
	g_hash_table_insert(sv->conns, &c->id, c);
	conn_update(c, TRUE);
}

/* One connection too many: told so at once rather than left waiting. */
static void refuse_connection(Server *sv, int fd)
{
	g_autofree char *line =
	    g_strdup_printf("421 4.3.2 %s Too many connections; try again later\r\n", sv->host);

	if (send(fd, line, strlen(line), MSG_NOSIGNAL | MSG_DONTWAIT) < 0 && errno != EAGAIN)
		log_event(LOG_DEBUG, "lmtp-refuse-failed", "reason", g_strerror(errno), NULL);
	close(fd);
	if (!sv->busy_logged) {
		g_autofree char *n = g_strdup_printf("%u", sv->limits.max_connections);

		log_event(LOG_WARNING, "lmtp-busy", "connections", n, NULL);
		sv->busy_logged = TRUE;
	}
}

static void watch_listener(Server *sv);

static gboolean resume_accepting(gpointer data)
{
	Server *sv = data;

	sv->pause = NULL;
	watch_listener(sv);
	return G_SOURCE_REMOVE;
}

static gboolean on_accept(GSocket *socket, GIOCondition condition, gpointer data)
{
	Server *sv = data;

	(void)condition;
	for (guint k = 0; k < LMTP_ACCEPT_BURST; k++) {
		int fd = accept(g_socket_get_fd(socket), NULL, NULL);

		if (fd < 0 && (errno == EINTR || errno == ECONNABORTED))
			continue;
		if (fd < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (fd < 0) {
			/* Out of descriptors or memory: the socket stays readable,
			 * so watching it now would spin. */
			log_event(LOG_ERR, "lmtp-accept-failed", "reason", g_strerror(errno), NULL);
			sv->accepting = NULL;
			sv->pause = g_timeout_source_new_seconds(LMTP_PAUSE_SECONDS);
			g_source_set_callback(sv->pause, resume_accepting, sv, NULL);
			g_source_attach(sv->pause, sv->context);
			g_source_unref(sv->pause);
			return G_SOURCE_REMOVE;
		}
		if (fcntl(fd, F_SETFD, FD_CLOEXEC) != 0 ||
		    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) != 0) {
			log_event(LOG_ERR, "lmtp-accept-failed", "reason", g_strerror(errno), NULL);
			close(fd);
		} else if (g_hash_table_size(sv->conns) >= sv->limits.max_connections)
			refuse_connection(sv, fd);
		else
			conn_new(sv, fd);
	}
	return G_SOURCE_CONTINUE;
}

static void watch_listener(Server *sv)
{
	sv->accepting = g_socket_create_source(sv->listener->socket, G_IO_IN, NULL);
	g_source_set_callback(sv->accepting, (GSourceFunc)(void (*)(void))on_accept, sv, NULL);
	g_source_attach(sv->accepting, sv->context);
	g_source_unref(sv->accepting);
}

static void unwatch_listener(Server *sv)
{
	if (sv->accepting != NULL)
		g_source_destroy(sv->accepting);
	if (sv->pause != NULL)
		g_source_destroy(sv->pause);
	sv->accepting = sv->pause = NULL;
}

/* --- deliveries ------------------------------------------------------------------ */

static void delivery_free(gpointer data)
{
	LmtpDelivery *d = data;

	hub_unref(d->hub);
	g_bytes_unref(d->message);
	g_free(d->text);
	g_free(d);
}

GBytes *lmtp_delivery_get_message(LmtpDelivery *delivery)
{
	return delivery->message;
}

/* In the listener's thread: the answer reaches its connection, if it is
 * still there. */
static gboolean delivery_answer(gpointer data)
{
	LmtpDelivery *d = data;
	Conn *c = g_hash_table_lookup(d->server->conns, &d->conn);

	if (c != NULL) {
		lmtp_session_delivered(c->session, d->code, d->text);
		conn_update(c, TRUE);
	}
	return G_SOURCE_REMOVE;
}

void lmtp_delivery_done(LmtpDelivery *delivery, int code, const char *text)
{
	Hub *hub = delivery->hub;

	delivery->code = code;
	delivery->text = g_strdup(text);
	g_mutex_lock(&hub->lock);
	if (hub->context != NULL) {
		GSource *source = g_idle_source_new();

		g_source_set_priority(source, G_PRIORITY_DEFAULT);
		g_source_set_callback(source, delivery_answer, delivery, delivery_free);
		g_source_attach(source, hub->context);
		g_source_unref(source);
		delivery = NULL;
	}
	g_mutex_unlock(&hub->lock);
	if (delivery != NULL)
		delivery_free(delivery);
}

/* --- the thread and its life -------------------------------------------------------- */

static gpointer server_main(gpointer data)
{
	Lmtp *lmtp = data;

	g_main_context_push_thread_default(lmtp->context);
	g_main_loop_run(lmtp->loop);
	g_main_context_pop_thread_default(lmtp->context);
	return NULL;
}

static gboolean quit_loop(gpointer data)
{
	g_main_loop_quit(data);
	return G_SOURCE_REMOVE;
}

static void remember_settings(Lmtp *lmtp, const Config *cfg)
{
	g_free(lmtp->where);
	g_free(lmtp->group);
	lmtp->where = g_strdup(cfg->lmtp);
	lmtp->mode = cfg->lmtp_socket_mode;
	lmtp->group = g_strdup(cfg->lmtp_socket_group);
}

Lmtp *lmtp_start(const Config *cfg, LmtpDeliverFunc deliver, gpointer user_data, GError **error)
{
	Listener *listener = listener_new(cfg, error);
	Lmtp *lmtp;
	Server *sv;

	if (listener == NULL)
		return NULL;
	lmtp = g_new0(Lmtp, 1);
	remember_settings(lmtp, cfg);
	lmtp->context = g_main_context_new();
	lmtp->loop = g_main_loop_new(lmtp->context, FALSE);
	lmtp->hub = g_new0(Hub, 1);
	g_atomic_ref_count_init(&lmtp->hub->ref);
	g_mutex_init(&lmtp->hub->lock);
	lmtp->hub->context = lmtp->context;

	sv = lmtp->server = g_new0(Server, 1);
	sv->context = lmtp->context;
	sv->hub = lmtp->hub;
	sv->host = g_strdup(g_get_host_name());
	sv->limits = limits_of(cfg);
	sv->listener = listener;
	sv->conns = g_hash_table_new(g_int64_hash, g_int64_equal);
	sv->deliver = deliver;
	sv->user_data = user_data;
	watch_listener(sv);
	lmtp->thread = g_thread_new("lmtp", server_main, lmtp);
	log_event(LOG_INFO, "lmtp-listening", "address", cfg->lmtp, NULL);
	return lmtp;
}

typedef struct {
	Server *server;
	Limits limits;
	Listener *listener; /* a new one to take over, or NULL */
} Update;

static void update_free(gpointer data)
{
	Update *u = data;

	listener_free(u->listener);
	g_free(u);
}

static gboolean apply_update(gpointer data)
{
	Update *u = data;
	Server *sv = u->server;

	sv->limits = u->limits;
	if (u->listener != NULL) {
		unwatch_listener(sv);
		listener_free(sv->listener);
		sv->listener = g_steal_pointer(&u->listener);
		watch_listener(sv);
	}
	return G_SOURCE_REMOVE;
}

gboolean lmtp_reconfigure(Lmtp *lmtp, const Config *cfg, GError **error)
{
	Update *u = g_new0(Update, 1);

	u->server = lmtp->server;
	u->limits = limits_of(cfg);
	if (g_strcmp0(cfg->lmtp, lmtp->where) != 0) {
		u->listener = listener_new(cfg, error);
		if (u->listener == NULL) {
			g_free(u);
			return FALSE;
		}
		log_event(LOG_INFO, "lmtp-listening", "address", cfg->lmtp, "was", lmtp->where,
			  NULL);
	} else if (g_str_has_prefix(cfg->lmtp, "unix:") &&
		   (cfg->lmtp_socket_mode != lmtp->mode ||
		    g_strcmp0(cfg->lmtp_socket_group, lmtp->group) != 0) &&
		   !set_access(cfg->lmtp + 5, cfg, error)) {
		g_free(u);
		return FALSE;
	}
	remember_settings(lmtp, cfg);
	g_main_context_invoke_full(lmtp->context, G_PRIORITY_DEFAULT, apply_update, u, update_free);
	return TRUE;
}

/* After the thread has ended: every connection is told and closed. */
static void server_free(Server *sv)
{
	g_autofree char *line = g_strdup_printf("421 4.3.2 %s Shutting down", sv->host);
	GHashTableIter iter;
	gpointer value;

	unwatch_listener(sv);
	g_hash_table_iter_init(&iter, sv->conns);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		Conn *c = value;
		const char *out;
		gsize len;

		lmtp_session_abort(c->session, line);
		out = lmtp_session_output(c->session, &len);
		if (send(c->fd, out, len, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
			log_event(LOG_DEBUG, "lmtp-goodbye-failed", "reason", g_strerror(errno),
				  NULL);
		g_hash_table_iter_remove(&iter);
		g_source_destroy(&c->source);
	}
	g_hash_table_unref(sv->conns);
	listener_free(sv->listener);
	g_free(sv->host);
	g_free(sv);
}

void lmtp_stop(Lmtp *lmtp)
{
	GMainContext *context;

	if (lmtp == NULL)
		return;
	/* An idle source, not g_main_loop_quit(): the loop may not be running yet. */
	g_main_context_invoke(lmtp->context, quit_loop, lmtp->loop);
	g_thread_join(lmtp->thread);
	server_free(lmtp->server);
	g_mutex_lock(&lmtp->hub->lock);
	context = lmtp->hub->context;
	lmtp->hub->context = NULL;
	g_mutex_unlock(&lmtp->hub->lock);
	hub_unref(lmtp->hub);
	g_main_loop_unref(lmtp->loop);
	/* Destroys the answers that came too late, and the deliveries with them. */
	g_main_context_unref(context);
	g_free(lmtp->where);
	g_free(lmtp->group);
	g_free(lmtp);
}
