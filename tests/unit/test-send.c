/* SPDX-License-Identifier: ISC */
/* test-send.c: send_smtp against a real Postfix smtp-sink on loopback (and a
 * relay of its own that offers CHUNKING): what the relay captured and what
 * each item says afterwards. It must never kill any process but the
 * smtp-sink it started, nor leave one running. */

#include "autoconfig.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "send.h"

/* The smtp-sink running now, killed by on_fatal_signal() should an
 * assertion abort the test. */
static volatile pid_t running_sink;

static void on_fatal_signal(int sig)
{
	if (running_sink > 0)
		kill(running_sink, SIGTERM);
	signal(sig, SIG_DFL);
	raise(sig);
}

typedef struct {
	GPid pid;
	char *dir; /* smtp-sink's dump directory */
	char *port;
} Sink;

/* A loopback port nothing listens on right now. */
static char *free_port(void)
{
	struct sockaddr_in addr = {.sin_family = AF_INET};
	socklen_t len = sizeof addr;
	int fd;
	guint16 port;

	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	g_assert_cmpint(fd, >=, 0);
	g_assert_cmpint(bind(fd, (struct sockaddr *)&addr, sizeof addr), ==, 0);
	g_assert_cmpint(getsockname(fd, (struct sockaddr *)&addr, &len), ==, 0);
	port = ntohs(addr.sin_port);
	close(fd);
	return g_strdup_printf("%u", port);
}

static gboolean port_accepts(const char *port)
{
	struct sockaddr_in addr = {.sin_family = AF_INET};
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	gboolean ok;

	g_assert_cmpint(fd, >=, 0);
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	addr.sin_port = htons((guint16)atoi(port));
	ok = connect(fd, (struct sockaddr *)&addr, sizeof addr) == 0;
	close(fd);
	return ok;
}

static void remove_tree(const char *path)
{
	GDir *dir = g_dir_open(path, 0, NULL);
	const char *name;

	if (dir != NULL) {
		while ((name = g_dir_read_name(dir)) != NULL) {
			g_autofree char *child = g_build_filename(path, name, NULL);

			remove_tree(child);
		}
		g_dir_close(dir);
	}
	g_remove(path);
}

/* Runs @argv (NULL-terminated) as sink->pid and waits until sink->port
 * accepts connections. Returns FALSE, with nothing left running, when the
 * server exited first: it lost the port to someone else. */
static gboolean server_spawn(Sink *sink, GPtrArray *argv)
{
	g_autoptr(GError) error = NULL;

	g_assert_true(g_spawn_async(NULL, (char **)argv->pdata, NULL,
				    G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL |
					G_SPAWN_STDERR_TO_DEV_NULL,
				    NULL, NULL, &sink->pid, &error));
	g_assert_no_error(error);
	running_sink = sink->pid;

	for (int wait = 0; wait < 250; wait++) {
		int status;

		if (waitpid(sink->pid, &status, WNOHANG) == sink->pid)
			break;
		if (port_accepts(sink->port))
			return TRUE;
		g_usleep(20 * 1000);
	}
	kill(sink->pid, SIGTERM);
	waitpid(sink->pid, NULL, 0);
	running_sink = 0;
	g_spawn_close_pid(sink->pid);
	return FALSE;
}

/* Starts smtp-sink with @options on a fresh loopback port, dumping each
 * transaction into its own file. Returns NULL when smtp-sink is missing. */
static Sink *sink_start(const char *const *options)
{
	g_autofree char *program = g_find_program_in_path("smtp-sink");
	Sink *sink;

	if (program == NULL && g_file_test("/usr/sbin/smtp-sink", G_FILE_TEST_IS_EXECUTABLE))
		program = g_strdup("/usr/sbin/smtp-sink");
	if (program == NULL)
		return NULL;

	sink = g_new0(Sink, 1);
	sink->dir = g_dir_make_tmp("convene-sink-XXXXXX", NULL);
	g_assert_nonnull(sink->dir);
	/* smtp-sink writes as nobody when started as root. */
	g_assert_cmpint(g_chmod(sink->dir, 0777), ==, 0);

	for (int attempt = 0; attempt < 5; attempt++) {
		g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);

		sink->port = free_port();
		g_assert_false(port_accepts(sink->port));
		g_ptr_array_add(argv, g_strdup(program));
		if (geteuid() == 0) {
			g_ptr_array_add(argv, g_strdup("-u"));
			g_ptr_array_add(argv, g_strdup("nobody"));
		}
		g_ptr_array_add(argv, g_strdup("-d"));
		g_ptr_array_add(argv, g_build_filename(sink->dir, "%H%M%S.", NULL));
		for (guint i = 0; options != NULL && options[i] != NULL; i++)
			g_ptr_array_add(argv, g_strdup(options[i]));
		g_ptr_array_add(argv, g_strdup_printf("127.0.0.1:%s", sink->port));
		g_ptr_array_add(argv, g_strdup("16"));
		g_ptr_array_add(argv, NULL);
		if (server_spawn(sink, argv))
			return sink;
		g_clear_pointer(&sink->port, g_free);
	}
	g_error("smtp-sink did not start");
}

static void sink_stop(Sink *sink)
{
	int status;

	g_assert_cmpint(kill(sink->pid, SIGTERM), ==, 0);
	g_assert_cmpint(waitpid(sink->pid, &status, 0), ==, sink->pid);
	running_sink = 0;
	g_spawn_close_pid(sink->pid);
	remove_tree(sink->dir);
	g_free(sink->dir);
	g_free(sink->port);
	g_free(sink);
}

/* The TLS relay's self-signed certificate for localhost (relay.pem, made
 * trusted through SSL_CERT_FILE) and its key live here; NULL when openssl
 * is missing. Made before any test runs, since OpenSSL reads SSL_CERT_FILE
 * once, when send.c creates its SSL_CTX. */
static char *relay_cert_dir;

static void relay_certificate_make(void)
{
	g_autofree char *openssl = g_find_program_in_path("openssl");
	g_autofree char *cert = NULL;
	g_autofree char *key = NULL;
	g_autoptr(GError) error = NULL;
	int status;

	if (openssl == NULL)
		return;
	relay_cert_dir = g_dir_make_tmp("convene-relay-cert-XXXXXX", NULL);
	g_assert_nonnull(relay_cert_dir);
	cert = g_build_filename(relay_cert_dir, "relay.pem", NULL);
	key = g_build_filename(relay_cert_dir, "relay.key", NULL);

	const char *argv[] = {openssl,	"req",
			      "-x509",	"-newkey",
			      "ec",	"-pkeyopt",
			      "ec_paramgen_curve:prime256v1",
			      "-nodes", "-days",
			      "2",	"-subj",
			      "/CN=localhost",
			      "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
			      "-keyout", key,
			      "-out",	cert,
			      NULL};
	g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL,
				   G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL, NULL,
				   NULL, NULL, NULL, &status, &error));
	g_assert_no_error(error);
	g_assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	g_setenv("SSL_CERT_FILE", cert, TRUE);
}

/* Starts tests/tls-smtpd.py on a fresh loopback port: STARTTLS with the
 * certificate above, and AUTH as "convene" with @password before MAIL.
 * Each message lands in its own file under sink->dir/mail, each session's
 * STARTTLS and AUTH in sink->dir/relay.log. Returns NULL when python3,
 * openssl or the script ($top_srcdir/tests) is missing. */
static Sink *relay_start(const char *password)
{
	g_autofree char *python = g_find_program_in_path("python3");
	const char *srcdir = g_getenv("top_srcdir");
	g_autofree char *script = NULL;
	g_autofree char *mail = NULL;
	Sink *relay;

	if (python == NULL || relay_cert_dir == NULL || srcdir == NULL)
		return NULL;
	script = g_build_filename(srcdir, "tests", "tls-smtpd.py", NULL);
	if (!g_file_test(script, G_FILE_TEST_IS_REGULAR))
		return NULL;

	relay = g_new0(Sink, 1);
	relay->dir = g_dir_make_tmp("convene-relay-XXXXXX", NULL);
	g_assert_nonnull(relay->dir);
	mail = g_build_filename(relay->dir, "mail", NULL);
	g_assert_cmpint(g_mkdir(mail, 0700), ==, 0);

	for (int attempt = 0; attempt < 5; attempt++) {
		g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);

		relay->port = free_port();
		g_assert_false(port_accepts(relay->port));
		g_ptr_array_add(argv, g_strdup(python));
		g_ptr_array_add(argv, g_strdup(script));
		g_ptr_array_add(argv, g_strdup("--port"));
		g_ptr_array_add(argv, g_strdup(relay->port));
		g_ptr_array_add(argv, g_strdup("--cert"));
		g_ptr_array_add(argv, g_build_filename(relay_cert_dir, "relay.pem", NULL));
		g_ptr_array_add(argv, g_strdup("--key"));
		g_ptr_array_add(argv, g_build_filename(relay_cert_dir, "relay.key", NULL));
		g_ptr_array_add(argv, g_strdup("--dir"));
		g_ptr_array_add(argv, g_strdup(mail));
		g_ptr_array_add(argv, g_strdup("--log"));
		g_ptr_array_add(argv, g_build_filename(relay->dir, "relay.log", NULL));
		g_ptr_array_add(argv, g_strdup("--user"));
		g_ptr_array_add(argv, g_strdup("convene"));
		g_ptr_array_add(argv, g_strdup("--password"));
		g_ptr_array_add(argv, g_strdup(password));
		g_ptr_array_add(argv, g_strdup("--require-auth"));
		g_ptr_array_add(argv, NULL);
		if (server_spawn(relay, argv))
			return relay;
		g_clear_pointer(&relay->port, g_free);
	}
	g_error("tls-smtpd.py did not start");
}

/* How many times @needle occurs in @text. */
static guint count_of(const char *text, const char *needle)
{
	guint n = 0;

	for (const char *p = text; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	return n;
}

/* smtp-sink opens a capture file when a transaction starts and removes it if
 * the transaction fails: only a file holding a message counts. */
static void dumps_collect(const char *path, GPtrArray *out)
{
	GDir *dir = g_dir_open(path, 0, NULL);
	const char *name;
	char *text;

	if (dir == NULL) {
		if (g_file_get_contents(path, &text, NULL, NULL)) {
			if (strstr(text, "\nMessage-ID: <") != NULL)
				g_ptr_array_add(out, text);
			else
				g_free(text);
		}
		return;
	}
	while ((name = g_dir_read_name(dir)) != NULL) {
		g_autofree char *child = g_build_filename(path, name, NULL);

		dumps_collect(child, out);
	}
	g_dir_close(dir);
}

/* Every message smtp-sink captured, waiting briefly for @expected. */
static GPtrArray *sink_dumps(Sink *sink, guint expected)
{
	GPtrArray *dumps = g_ptr_array_new_with_free_func(g_free);

	for (int wait = 0; wait < 100; wait++) {
		g_ptr_array_set_size(dumps, 0);
		dumps_collect(sink->dir, dumps);
		if (dumps->len >= expected)
			break;
		g_usleep(20 * 1000);
	}
	return dumps;
}

/* The captured transaction for @rcpt, or NULL. */
static const char *dump_for(GPtrArray *dumps, const char *rcpt)
{
	g_autofree char *needle = g_strdup_printf("\nX-Rcpt-Args: <%s>\n", rcpt);

	for (guint i = 0; i < dumps->len; i++) {
		if (strstr(dumps->pdata[i], needle) != NULL)
			return dumps->pdata[i];
	}
	return NULL;
}

static Config *config_for(const char *port)
{
	Config *cfg = g_new0(Config, 1);

	cfg->transport_host = g_strdup("127.0.0.1");
	cfg->transport_port = g_strdup(port);
	cfg->smtp_starttls = CONFIG_STARTTLS_NONE;
	cfg->event_address = g_strdup("register@campus.example.org");
	return cfg;
}

static void config_for_free(Config *cfg)
{
	g_free(cfg->transport_host);
	g_free(cfg->transport_port);
	g_free(cfg->event_address);
	g_free(cfg->smtp_user);
	g_free(cfg->smtp_password_file);
	g_free(cfg);
}

static const char message_utf8[] =
    "From: CAMPUS kick-off <register@campus.example.org>\n"
    "To: stefan@example.ro\n"
    "Subject: =?UTF-8?Q?Inscription_confirm=C3=A9e?=\n"
    "Date: Mon, 01 Sep 2025 10:00:00 +0200\n"
    "Message-ID: <1.utf8@campus.example.org>\n"
    "MIME-Version: 1.0\n"
    "Content-Type: text/plain; charset=utf-8\n"
    "Content-Transfer-Encoding: 8bit\n"
    "\n"
    "Bonjour Ștefan Ionescu, Kovács Zoltán, Đorđe Petrović, Jääskeläinen.\n"
    ".\n"
    ". leading dot, then a space\n"
    "..two dots\n"
    "À bientôt à Rennes.\n";

static const char message_crlf[] = "From: register@campus.example.org\r\n"
				   "To: ana.popescu@example.ro\r\n"
				   "Subject: Itinerary\r\n"
				   "Date: Mon, 01 Sep 2025 10:00:01 +0200\r\n"
				   "Message-ID: <2.crlf@campus.example.org>\r\n"
				   "\r\n"
				   "Monday 15: partners' kick-off meeting.\r\n"
				   ". dot line in CRLF text\r\n";

static const char message_null_sender[] = "From: register@campus.example.org\n"
					  "To: kovacs.zoltan@example.hu\n"
					  "Subject: Programme\n"
					  "Date: Mon, 01 Sep 2025 10:00:02 +0200\n"
					  "Message-ID: <3.null@campus.example.org>\n"
					  "\n"
					  "Tuesday 16: visit to Le Poool.\n"
					  "no newline at the end";

typedef struct {
	SendItem items[3];
	guint n;
} Batch;

static void batch_add(Batch *batch, const char *sender, const char *rcpt, const char *text)
{
	SendItem *item = &batch->items[batch->n++];

	*item = (SendItem){0};
	item->reverse_path = sender;
	item->recipient = rcpt;
	item->message = g_bytes_new_static(text, strlen(text));
}

static void batch_three(Batch *batch)
{
	batch->n = 0;
	batch_add(batch, "bounce@campus.example.org", "stefan@example.ro", message_utf8);
	batch_add(batch, "bounce@campus.example.org", "ana.popescu@example.ro", message_crlf);
	batch_add(batch, "", "kovacs.zoltan@example.hu", message_null_sender);
}

static void batch_clear(Batch *batch)
{
	for (guint i = 0; i < batch->n; i++) {
		g_bytes_unref(batch->items[i].message);
		g_free(batch->items[i].reply);
	}
	batch->n = 0;
}

#define SINK_OR_SKIP(sink, ...)                                                                    \
	do {                                                                                       \
		const char *const sink_options_[] = {__VA_ARGS__, NULL};                           \
		(sink) = sink_start(sink_options_);                                                \
		if ((sink) == NULL) {                                                              \
			g_test_skip("smtp-sink is not installed");                                 \
			return;                                                                    \
		}                                                                                  \
	} while (0)

static void test_three_messages_one_session(void)
{
	Sink *sink;
	Batch batch;
	g_autoptr(GError) error = NULL;

	SINK_OR_SKIP(sink, "-h", "relay.campus.test");
	Config *cfg = config_for(sink->port);
	batch_three(&batch);

	g_assert_true(send_smtp(cfg, batch.items, batch.n, &error));
	g_assert_no_error(error);
	for (guint i = 0; i < batch.n; i++) {
		g_assert_cmpint(batch.items[i].status, ==, 250);
		g_assert_true(g_str_has_prefix(batch.items[i].reply, "250 2.0.0 Ok"));
	}

	g_autoptr(GPtrArray) dumps = sink_dumps(sink, 3);
	g_assert_cmpuint(dumps->len, ==, 3);

	const char *utf8 = dump_for(dumps, "stefan@example.ro");
	g_assert_nonnull(utf8);
	g_assert_nonnull(
	    strstr(utf8, "\nX-Mail-Args: <bounce@campus.example.org> BODY=8BITMIME\n"));
	g_assert_nonnull(strstr(utf8, "\nBonjour Ștefan Ionescu, Kovács Zoltán, Đorđe Petrović, "
				      "Jääskeläinen.\n.\n. leading dot, then a space\n..two dots\n"
				      "À bientôt à Rennes.\n"));
	g_assert_nonnull(strstr(utf8, "Message-ID: <1.utf8@campus.example.org>\n"));

	const char *crlf = dump_for(dumps, "ana.popescu@example.ro");
	g_assert_nonnull(crlf);
	g_assert_null(strstr(crlf, "BODY=8BITMIME"));
	g_assert_nonnull(strstr(crlf, "\nMonday 15: partners' kick-off meeting.\n"
				      ". dot line in CRLF text\n"));

	const char *null_sender = dump_for(dumps, "kovacs.zoltan@example.hu");
	g_assert_nonnull(null_sender);
	g_assert_nonnull(strstr(null_sender, "\nX-Mail-Args: <>\n"));
	g_assert_nonnull(strstr(null_sender, "\nno newline at the end\n"));

	batch_clear(&batch);
	config_for_free(cfg);
	sink_stop(sink);
}

static void test_sessions_in_a_row(void)
{
	Sink *sink;
	Batch batch;

	SINK_OR_SKIP(sink, "-h", "relay.campus.test");
	Config *cfg = config_for(sink->port);

	for (int round = 0; round < 2; round++) {
		g_autoptr(GError) error = NULL;

		/* The second round offers STARTTLS to a relay that has none. */
		cfg->smtp_starttls =
		    round == 0 ? CONFIG_STARTTLS_NONE : CONFIG_STARTTLS_OPPORTUNISTIC;
		batch_three(&batch);
		g_assert_true(send_smtp(cfg, batch.items, batch.n, &error));
		g_assert_no_error(error);
		for (guint i = 0; i < batch.n; i++)
			g_assert_cmpint(batch.items[i].status, ==, 250);
		batch_clear(&batch);
	}
	g_autoptr(GPtrArray) dumps = sink_dumps(sink, 6);
	g_assert_cmpuint(dumps->len, ==, 6);

	config_for_free(cfg);
	sink_stop(sink);
}

/* The relay answers every RCPT with @option's code: the session itself went
 * fine, so send_smtp returns TRUE and each item carries the refusal. */
static void check_rcpt_refused(const char *option, int code, const char *reply)
{
	Sink *sink;
	Batch batch;
	g_autoptr(GError) error = NULL;

	SINK_OR_SKIP(sink, option, "RCPT");
	Config *cfg = config_for(sink->port);
	batch_three(&batch);

	g_assert_true(send_smtp(cfg, batch.items, batch.n, &error));
	g_assert_no_error(error);
	for (guint i = 0; i < batch.n; i++) {
		g_assert_cmpint(batch.items[i].status, ==, code);
		g_assert_cmpstr(batch.items[i].reply, ==, reply);
	}
	g_autoptr(GPtrArray) dumps = sink_dumps(sink, 0);
	g_assert_cmpuint(dumps->len, ==, 0);

	batch_clear(&batch);
	config_for_free(cfg);
	sink_stop(sink);
}

static void test_rcpt_soft_refusal(void)
{
	check_rcpt_refused("-r", 450, "450 4.3.0 Error: command failed");
}

static void test_rcpt_hard_refusal(void)
{
	check_rcpt_refused("-f", 500, "500 5.3.0 Error: command failed");
}

static void test_content_refused(void)
{
	Sink *sink;
	Batch batch;
	g_autoptr(GError) error = NULL;

	SINK_OR_SKIP(sink, "-f", ".");
	Config *cfg = config_for(sink->port);
	batch_three(&batch);

	g_assert_true(send_smtp(cfg, batch.items, batch.n, &error));
	g_assert_no_error(error);
	for (guint i = 0; i < batch.n; i++) {
		g_assert_cmpint(batch.items[i].status, ==, 500);
		g_assert_cmpstr(batch.items[i].reply, ==, "500 5.3.0 Error: command failed");
	}

	batch_clear(&batch);
	config_for_free(cfg);
	sink_stop(sink);
}

static void check_session_failed(Batch *batch, const GError *error, int code)
{
	g_assert_error(error, SEND_ERROR, code);
	g_test_message("session error: %s", error->message);
	for (guint i = 0; i < batch->n; i++) {
		g_assert_cmpint(batch->items[i].status, ==, 0);
		g_assert_cmpstr(batch->items[i].reply, ==, error->message);
	}
}

static void test_hang_up_at_data(void)
{
	Sink *sink;
	Batch batch;
	g_autoptr(GError) error = NULL;

	SINK_OR_SKIP(sink, "-q", "DATA");
	Config *cfg = config_for(sink->port);
	batch_three(&batch);

	g_assert_false(send_smtp(cfg, batch.items, batch.n, &error));
	check_session_failed(&batch, error, SEND_ERROR_CONNECT);
	g_assert_nonnull(strstr(error->message, sink->port));

	batch_clear(&batch);
	config_for_free(cfg);
	sink_stop(sink);
}

/* smtp-sink stops reading after DATA and hangs up while the content is still
 * being written: the write fails with EPIPE, and the SIGPIPE that comes with
 * it must not kill the process. */
static void test_hang_up_during_content(void)
{
	Sink *sink;
	Batch batch = {.n = 0};
	g_autoptr(GError) error = NULL;

	SINK_OR_SKIP(sink, "-A", "0");
	GString *big = g_string_new("From: register@campus.example.org\n"
				    "To: ana.popescu@example.ro\nSubject: big\n\n");
	while (big->len < 8 * 1024 * 1024)
		g_string_append(big, "Partners' meeting: rules, expectations, methods.\n");
	Config *cfg = config_for(sink->port);
	batch_add(&batch, "bounce@campus.example.org", "ana.popescu@example.ro", big->str);
	batch_add(&batch, "bounce@campus.example.org", "stefan@example.ro", message_utf8);

	g_assert_false(send_smtp(cfg, batch.items, batch.n, &error));
	check_session_failed(&batch, error, SEND_ERROR_CONNECT);

	batch_clear(&batch);
	g_string_free(big, TRUE);
	config_for_free(cfg);
	sink_stop(sink);
}

static void test_nothing_listening(void)
{
	g_autofree char *port = free_port();
	Config *cfg = config_for(port);
	Batch batch;
	g_autoptr(GError) error = NULL;

	g_assert_false(port_accepts(port));
	batch_three(&batch);
	g_assert_false(send_smtp(cfg, batch.items, batch.n, &error));
	check_session_failed(&batch, error, SEND_ERROR_CONNECT);
	g_assert_nonnull(strstr(error->message, "Connection refused"));

	batch_clear(&batch);
	config_for_free(cfg);
}

static void test_starttls_required_not_offered(void)
{
	Sink *sink;
	Batch batch;
	g_autoptr(GError) error = NULL;

	SINK_OR_SKIP(sink, "-h", "relay.campus.test");
	Config *cfg = config_for(sink->port);
	cfg->smtp_starttls = CONFIG_STARTTLS_REQUIRED;
	batch_three(&batch);

	g_assert_false(send_smtp(cfg, batch.items, batch.n, &error));
	check_session_failed(&batch, error, SEND_ERROR_TLS);
	g_assert_nonnull(strstr(error->message, "STARTTLS"));
	g_autoptr(GPtrArray) dumps = sink_dumps(sink, 0);
	g_assert_cmpuint(dumps->len, ==, 0);

	batch_clear(&batch);
	config_for_free(cfg);
	sink_stop(sink);
}

static void test_auth_without_tls(void)
{
	g_autofree char *port = free_port();
	Config *cfg = config_for(port);
	Batch batch;
	g_autoptr(GError) error = NULL;

	cfg->smtp_user = g_strdup("convene");
	cfg->smtp_password_file = g_strdup("/nonexistent/password");
	batch_three(&batch);
	g_assert_false(send_smtp(cfg, batch.items, batch.n, &error));
	check_session_failed(&batch, error, SEND_ERROR_AUTH);
	g_assert_nonnull(strstr(error->message, "TLS"));

	batch_clear(&batch);
	config_for_free(cfg);
}

/* smtp-sink offers AUTH but not STARTTLS: the password stays home, the mail
 * goes unauthenticated, and the session is reported as an AUTH failure while
 * what the relay took keeps its 250. */
static void test_auth_needs_starttls_offered(void)
{
	Sink *sink;
	Batch batch;
	g_autoptr(GError) error = NULL;
	g_autofree char *password_file = NULL;
	int fd;

	SINK_OR_SKIP(sink, "-h", "relay.campus.test");
	Config *cfg = config_for(sink->port);
	fd = g_file_open_tmp("convene-password-XXXXXX", &password_file, NULL);
	g_assert_cmpint(fd, >=, 0);
	g_assert_cmpint(write(fd, "s3cret pass\n", 12), ==, 12);
	close(fd);
	cfg->smtp_starttls = CONFIG_STARTTLS_OPPORTUNISTIC;
	cfg->smtp_user = g_strdup("convene");
	cfg->smtp_password_file = g_strdup(password_file);
	batch_three(&batch);

	g_assert_false(send_smtp(cfg, batch.items, batch.n, &error));
	g_assert_error(error, SEND_ERROR, SEND_ERROR_AUTH);
	g_assert_nonnull(strstr(error->message, "STARTTLS"));
	g_assert_null(strstr(error->message, "s3cret"));
	for (guint i = 0; i < batch.n; i++)
		g_assert_cmpint(batch.items[i].status, ==, 250);

	g_remove(password_file);
	batch_clear(&batch);
	config_for_free(cfg);
	sink_stop(sink);
}

static void write_password(const char *path, const char *password)
{
	g_autofree char *text = g_strdup_printf("%s\n", password);

	g_assert_true(g_file_set_contents(path, text, -1, NULL));
}

/* Two STARTTLS sessions in one process, as the sender makes whenever it has
 * more rows than one session carries: libESMTP 1.1.0 crashes in the second
 * unless every session is given convene's own SSL_CTX. The relay's
 * certificate is verified (starttls required, host localhost) and the
 * password goes only inside TLS. */
static void test_starttls_twice_one_process(void)
{
	Sink *relay = relay_start("s3cret pass");
	Batch batch;
	g_autofree char *password_file = NULL;
	g_autofree char *log_path = NULL;
	g_autofree char *log = NULL;
	int fd;

	if (relay == NULL) {
		g_test_skip("python3 or openssl is missing, or top_srcdir is not set");
		return;
	}
	fd = g_file_open_tmp("convene-password-XXXXXX", &password_file, NULL);
	g_assert_cmpint(fd, >=, 0);
	close(fd);
	write_password(password_file, "s3cret pass");
	Config *cfg = config_for(relay->port);
	g_free(cfg->transport_host);
	cfg->transport_host = g_strdup("localhost");
	cfg->smtp_starttls = CONFIG_STARTTLS_REQUIRED;
	cfg->smtp_user = g_strdup("convene");
	cfg->smtp_password_file = g_strdup(password_file);

	for (int round = 0; round < 2; round++) {
		g_autoptr(GError) error = NULL;

		batch_three(&batch);
		g_assert_true(send_smtp(cfg, batch.items, batch.n, &error));
		g_assert_no_error(error);
		for (guint i = 0; i < batch.n; i++)
			g_assert_cmpint(batch.items[i].status, ==, 250);
		batch_clear(&batch);
	}
	g_autoptr(GPtrArray) dumps = sink_dumps(relay, 6);
	g_assert_cmpuint(dumps->len, ==, 6);
	for (guint i = 0; i < dumps->len; i++) {
		g_assert_nonnull(strstr(dumps->pdata[i], "\nX-TLS: TLSv1.2\r\n"));
		g_assert_nonnull(strstr(dumps->pdata[i], "\nX-Auth-User: convene\r\n"));
	}
	log_path = g_build_filename(relay->dir, "relay.log", NULL);
	g_assert_true(g_file_get_contents(log_path, &log, NULL, NULL));
	g_assert_cmpuint(count_of(log, " starttls TLSv1.2 "), ==, 2);
	g_assert_cmpuint(count_of(log, " auth PLAIN user=convene ok TLSv1.2\n"), ==, 2);
	g_assert_null(strstr(log, "refused: no TLS"));

	/* A wrong password fails the session as an AUTH error that quotes the
	 * relay, never the password, and sends nothing. */
	g_autoptr(GError) error = NULL;
	write_password(password_file, "wrong pass");
	batch_three(&batch);
	g_assert_false(send_smtp(cfg, batch.items, batch.n, &error));
	check_session_failed(&batch, error, SEND_ERROR_AUTH);
	g_assert_nonnull(strstr(error->message, "535"));
	g_assert_null(strstr(error->message, "wrong pass"));
	g_autoptr(GPtrArray) after = sink_dumps(relay, 7);
	g_assert_cmpuint(after->len, ==, 6);

	g_remove(password_file);
	batch_clear(&batch);
	config_for_free(cfg);
	sink_stop(relay);
}

static void test_address_injection_refused(void)
{
	Sink *sink;
	Batch batch = {.n = 0};
	g_autoptr(GError) error = NULL;

	SINK_OR_SKIP(sink, "-h", "relay.campus.test");
	Config *cfg = config_for(sink->port);
	batch_add(&batch, "bounce@campus.example.org", "mallory@example.org>\r\nRSET",
		  message_crlf);
	batch_add(&batch, "bounce@campus.example.org", "ana.popescu@example.ro", message_crlf);

	g_assert_true(send_smtp(cfg, batch.items, batch.n, &error));
	g_assert_no_error(error);
	g_assert_cmpint(batch.items[0].status, ==, 553);
	g_assert_cmpint(batch.items[1].status, ==, 250);
	g_autoptr(GPtrArray) dumps = sink_dumps(sink, 1);
	g_assert_cmpuint(dumps->len, ==, 1);
	g_assert_nonnull(dump_for(dumps, "ana.popescu@example.ro"));

	batch_clear(&batch);
	config_for_free(cfg);
	sink_stop(sink);
}

/* A relay in a thread of this test that offers CHUNKING (Postfix does by
 * default; smtp-sink does not) and notes which verb carried each message. */
typedef struct {
	int listen_fd;
	char *port;
	guint data, bdat; /* messages that came by DATA, by BDAT */
} ChunkingRelay;

static gpointer chunking_relay_run(gpointer data)
{
	ChunkingRelay *r = data;
	int fd = accept(r->listen_fd, NULL, NULL);
	FILE *in, *out;
	char *line = NULL;
	size_t cap = 0;

	g_assert_cmpint(fd, >=, 0);
	in = fdopen(fd, "r");
	out = fdopen(dup(fd), "w");
	fputs("220 relay ESMTP\r\n", out);
	fflush(out);
	while (getline(&line, &cap, in) > 0) {
		if (g_ascii_strncasecmp(line, "EHLO", 4) == 0) {
			fputs("250-relay\r\n250-PIPELINING\r\n250-8BITMIME\r\n"
			      "250-ENHANCEDSTATUSCODES\r\n250 CHUNKING\r\n",
			      out);
		} else if (g_ascii_strncasecmp(line, "DATA", 4) == 0) {
			fputs("354 go on\r\n", out);
			fflush(out);
			while (getline(&line, &cap, in) > 0 && strcmp(line, ".\r\n") != 0)
				;
			r->data++;
			fputs("250 2.0.0 Ok: by DATA\r\n", out);
		} else if (g_ascii_strncasecmp(line, "BDAT ", 5) == 0) {
			guint64 n = g_ascii_strtoull(line + 5, NULL, 10);

			for (guint64 k = 0; k < n; k++)
				g_assert_cmpint(fgetc(in), !=, EOF);
			if (strstr(line, "LAST") != NULL)
				r->bdat++;
			fputs("250 2.0.0 Ok: by BDAT\r\n", out);
		} else if (g_ascii_strncasecmp(line, "QUIT", 4) == 0) {
			fputs("221 2.0.0 Bye\r\n", out);
			fflush(out);
			break;
		} else {
			fputs("250 2.0.0 Ok\r\n", out);
		}
		fflush(out);
	}
	free(line);
	fclose(in);
	fclose(out);
	return NULL;
}

static guint accepted_seen;

static void count_accepted(SendItem *item)
{
	g_assert_cmpint(item->status, ==, 250);
	g_assert_nonnull(item->reply);
	accepted_seen++;
}

static void test_chunking_offered_data_used(void)
{
	struct sockaddr_in addr = {.sin_family = AF_INET};
	socklen_t len = sizeof addr;
	ChunkingRelay relay = {0};
	g_autoptr(GError) error = NULL;
	GThread *thread;
	Batch batch;
	Config *cfg;

	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	relay.listen_fd = socket(AF_INET, SOCK_STREAM, 0);
	g_assert_cmpint(bind(relay.listen_fd, (struct sockaddr *)&addr, sizeof addr), ==, 0);
	g_assert_cmpint(listen(relay.listen_fd, 1), ==, 0);
	g_assert_cmpint(getsockname(relay.listen_fd, (struct sockaddr *)&addr, &len), ==, 0);
	relay.port = g_strdup_printf("%u", ntohs(addr.sin_port));
	thread = g_thread_new("relay", chunking_relay_run, &relay);

	cfg = config_for(relay.port);
	batch_three(&batch);
	accepted_seen = 0;
	for (guint i = 0; i < batch.n; i++)
		batch.items[i].accepted = count_accepted;
	g_assert_true(send_smtp(cfg, batch.items, batch.n, &error));
	g_assert_no_error(error);
	g_thread_join(thread);

	/* BDAT cost a session most of its speed against Postfix: DATA it is. */
	g_assert_cmpuint(relay.bdat, ==, 0);
	g_assert_cmpuint(relay.data, ==, 3);
	/* Each was reported the moment it was accepted, and only once. */
	g_assert_cmpuint(accepted_seen, ==, 3);
	for (guint i = 0; i < batch.n; i++)
		g_assert_cmpstr(batch.items[i].reply, ==, "250 2.0.0 Ok: by DATA");

	batch_clear(&batch);
	config_for_free(cfg);
	close(relay.listen_fd);
	g_free(relay.port);
}

static void test_nothing_to_send(void)
{
	Config *cfg = config_for("1");
	g_autoptr(GError) error = NULL;

	g_assert_true(send_smtp(cfg, NULL, 0, &error));
	g_assert_no_error(error);
	config_for_free(cfg);
}

int main(int argc, char **argv)
{
	int status;

	g_test_init(&argc, &argv, NULL);
	signal(SIGABRT, on_fatal_signal);
	signal(SIGSEGV, on_fatal_signal);
	signal(SIGINT, on_fatal_signal);
	signal(SIGTERM, on_fatal_signal);
	relay_certificate_make();
	g_test_add_func("/send/three-messages-one-session", test_three_messages_one_session);
	g_test_add_func("/send/sessions-in-a-row", test_sessions_in_a_row);
	g_test_add_func("/send/rcpt-soft-refusal", test_rcpt_soft_refusal);
	g_test_add_func("/send/rcpt-hard-refusal", test_rcpt_hard_refusal);
	g_test_add_func("/send/content-refused", test_content_refused);
	g_test_add_func("/send/hang-up-at-data", test_hang_up_at_data);
	g_test_add_func("/send/hang-up-during-content", test_hang_up_during_content);
	g_test_add_func("/send/nothing-listening", test_nothing_listening);
	g_test_add_func("/send/starttls-required-not-offered", test_starttls_required_not_offered);
	g_test_add_func("/send/auth-without-tls", test_auth_without_tls);
	g_test_add_func("/send/auth-needs-starttls-offered", test_auth_needs_starttls_offered);
	g_test_add_func("/send/starttls-twice-one-process", test_starttls_twice_one_process);
	g_test_add_func("/send/address-injection-refused", test_address_injection_refused);
	g_test_add_func("/send/nothing-to-send", test_nothing_to_send);
	g_test_add_func("/send/chunking-offered-data-used", test_chunking_offered_data_used);
	status = g_test_run();
	if (relay_cert_dir != NULL) {
		remove_tree(relay_cert_dir);
		g_free(relay_cert_dir);
	}
	return status;
}
