/* SPDX-License-Identifier: ISC */
/* lmtp-source: hands every message file of a folder to an LMTP server over
 * a number of parallel connections, as Postfix's LMTP client does (one
 * LHLO a connection, kept for the next message; MAIL, RCPT, DATA, each
 * reply waited for; no pipelining), and prints how many a second were
 * answered 250. smtp-source -L sends one message over and over; convene
 * would take all but the first as duplicates. For benchmarks only.
 *
 *   lmtp-source [-s SESSIONS] SOCKET-PATH FOLDER */

#include "autoconfig.h"

#include <errno.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

typedef struct {
	const char *socket_path;
	GPtrArray *files; /* paths */
	gint next;	  /* the next file to send */
	gint accepted;
	gint refused;
} Job;

typedef struct {
	int fd;
	char buf[4096];
	gsize len;
} Conn;

static gboolean send_all(int fd, const char *data, gsize len)
{
	while (len > 0) {
		ssize_t n = send(fd, data, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return FALSE;
		data += n;
		len -= (gsize)n;
	}
	return TRUE;
}

/* Reads one reply (all its lines); returns its code, or -1. */
static int read_reply(Conn *c)
{
	for (;;) {
		char *lf = memchr(c->buf, '\n', c->len);
		ssize_t n;

		if (lf != NULL) {
			gsize line = (gsize)(lf - c->buf) + 1;
			int code = line >= 4 ? atoi(c->buf) : -1;
			gboolean more = line >= 4 && c->buf[3] == '-';

			memmove(c->buf, c->buf + line, c->len - line);
			c->len -= line;
			if (!more)
				return code;
			continue;
		}
		if (c->len == sizeof c->buf)
			return -1;
		n = recv(c->fd, c->buf + c->len, sizeof c->buf - c->len, 0);
		if (n <= 0)
			return -1;
		c->len += (gsize)n;
	}
}

static int command(Conn *c, const char *line)
{
	if (!send_all(c->fd, line, strlen(line)))
		return -1;
	return read_reply(c);
}

/* The file's text with CRLF line ends, dot-stuffed, and the final dot. */
static GString *wire_form(const char *path)
{
	g_autofree char *text = NULL;
	gsize len;
	GString *out;
	gboolean start = TRUE;

	if (!g_file_get_contents(path, &text, &len, NULL))
		return NULL;
	out = g_string_sized_new(len + len / 20 + 8);
	for (gsize i = 0; i < len; i++) {
		if (start && text[i] == '.')
			g_string_append_c(out, '.');
		start = text[i] == '\n';
		if (start && (i == 0 || text[i - 1] != '\r'))
			g_string_append_c(out, '\r');
		g_string_append_c(out, text[i]);
	}
	if (!start)
		g_string_append(out, "\r\n");
	g_string_append(out, ".\r\n");
	return out;
}

static gpointer session(gpointer data)
{
	Job *job = data;
	Conn c = {0};
	struct sockaddr_un sun = {.sun_family = AF_UNIX};

	g_strlcpy(sun.sun_path, job->socket_path, sizeof sun.sun_path);
	c.fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (c.fd < 0 || connect(c.fd, (struct sockaddr *)&sun, sizeof sun) != 0 ||
	    read_reply(&c) != 220 || command(&c, "LHLO bench.example.org\r\n") != 250) {
		fprintf(stderr, "lmtp-source: cannot open a session: %s\n", g_strerror(errno));
		exit(1);
	}
	for (;;) {
		gint i = g_atomic_int_add(&job->next, 1);
		g_autoptr(GString) wire = NULL;
		int code;

		if (i >= (gint)job->files->len)
			break;
		wire = wire_form(g_ptr_array_index(job->files, i));
		if (wire == NULL || command(&c, "MAIL FROM:<bench@example.org>\r\n") != 250 ||
		    command(&c, "RCPT TO:<register@campus.example.org>\r\n") != 250 ||
		    command(&c, "DATA\r\n") != 354 || !send_all(c.fd, wire->str, wire->len)) {
			fprintf(stderr, "lmtp-source: the session failed\n");
			exit(1);
		}
		code = read_reply(&c);
		g_atomic_int_inc(code == 250 ? &job->accepted : &job->refused);
	}
	command(&c, "QUIT\r\n");
	close(c.fd);
	return NULL;
}

int main(int argc, char **argv)
{
	Job job = {0};
	guint sessions = 1;
	g_autoptr(GPtrArray) threads = g_ptr_array_new();
	g_autoptr(GDir) dir = NULL;
	const char *name;
	gint64 start, took;
	int a = 1;

	if (argc > 2 && strcmp(argv[1], "-s") == 0) {
		sessions = (guint)atoi(argv[2]);
		a = 3;
	}
	if (argc - a != 2 || sessions == 0) {
		fputs("usage: lmtp-source [-s SESSIONS] SOCKET-PATH FOLDER\n", stderr);
		return 2;
	}
	job.socket_path = argv[a];
	job.files = g_ptr_array_new_with_free_func(g_free);
	dir = g_dir_open(argv[a + 1], 0, NULL);
	if (dir == NULL) {
		fprintf(stderr, "lmtp-source: cannot read %s\n", argv[a + 1]);
		return 1;
	}
	while ((name = g_dir_read_name(dir)) != NULL)
		g_ptr_array_add(job.files, g_build_filename(argv[a + 1], name, NULL));
	start = g_get_monotonic_time();
	for (guint i = 0; i < sessions; i++)
		g_ptr_array_add(threads, g_thread_new("session", session, &job));
	for (guint i = 0; i < sessions; i++)
		g_thread_join(g_ptr_array_index(threads, i));
	took = g_get_monotonic_time() - start;
	printf("%d messages accepted, %d refused, in %.3f s: %.0f messages/s\n", job.accepted,
	       job.refused, (double)took / G_USEC_PER_SEC,
	       job.accepted / ((double)took / G_USEC_PER_SEC));
	g_ptr_array_unref(job.files);
	return job.refused > 0 ? 1 : 0;
}
