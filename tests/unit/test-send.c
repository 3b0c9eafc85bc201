/* test-send.c: send_smtp against a real Postfix smtp-sink on loopback: what
 * the relay captured and what each item says afterwards. It must never kill
 * any process but the smtp-sink it started, nor leave one running. */
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

typedef struct {
	GPid pid;
	char *dir;  /* smtp-sink's dump directory */
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
		g_autoptr(GError) error = NULL;
		gboolean up = FALSE;

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
		g_assert_true(g_spawn_async(NULL, (char **)argv->pdata, NULL,
					    G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL,
					    NULL, NULL, &sink->pid, &error));
		g_assert_no_error(error);

		for (int wait = 0; wait < 250 && !up; wait++) {
			int status;

			if (waitpid(sink->pid, &status, WNOHANG) == sink->pid)
				break; /* lost the port to someone else: try another */
			up = port_accepts(sink->port);
			if (!up)
				g_usleep(20 * 1000);
		}
		if (up)
			return sink;
		kill(sink->pid, SIGTERM);
		waitpid(sink->pid, NULL, 0);
		g_spawn_close_pid(sink->pid);
		g_clear_pointer(&sink->port, g_free);
	}
	g_error("smtp-sink did not start");
}

static void sink_stop(Sink *sink)
{
	int status;

	g_assert_cmpint(kill(sink->pid, SIGTERM), ==, 0);
	g_assert_cmpint(waitpid(sink->pid, &status, 0), ==, sink->pid);
	g_spawn_close_pid(sink->pid);
	remove_tree(sink->dir);
	g_free(sink->dir);
	g_free(sink->port);
	g_free(sink);
}

static void dumps_collect(const char *path, GPtrArray *out)
{
	GDir *dir = g_dir_open(path, 0, NULL);
	const char *name;
	char *text;

	if (dir == NULL) {
		if (g_file_get_contents(path, &text, NULL, NULL))
			g_ptr_array_add(out, text);
		return;
	}
	while ((name = g_dir_read_name(dir)) != NULL) {
		g_autofree char *child = g_build_filename(path, name, NULL);

		dumps_collect(child, out);
	}
	g_dir_close(dir);
}

/* Every transaction smtp-sink captured, waiting briefly for @expected. */
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
	g_autofree char *needle = g_strdup_printf("X-Rcpt-Args: TO:<%s>", rcpt);

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

static const char message_crlf[] =
	"From: register@campus.example.org\r\n"
	"To: ana.popescu@example.ro\r\n"
	"Subject: Itinerary\r\n"
	"Date: Mon, 01 Sep 2025 10:00:01 +0200\r\n"
	"Message-ID: <2.crlf@campus.example.org>\r\n"
	"\r\n"
	"Monday 15: partners' kick-off meeting.\r\n"
	". dot line in CRLF text\r\n";

static const char message_null_sender[] =
	"From: register@campus.example.org\n"
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

	for (guint i = 0; i < dumps->len; i++) g_printerr("DUMP<<%s>>\n", (char *)dumps->pdata[i]);
	const char *utf8 = dump_for(dumps, "stefan@example.ro");
	g_assert_nonnull(utf8);
	g_assert_nonnull(strstr(utf8, "X-Mail-Args: FROM:<bounce@campus.example.org> BODY=8BITMIME"));
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
	g_assert_nonnull(strstr(null_sender, "X-Mail-Args: FROM:<>"));
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
		cfg->smtp_starttls = round == 0 ? CONFIG_STARTTLS_NONE : CONFIG_STARTTLS_OPPORTUNISTIC;
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
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/send/three-messages-one-session", test_three_messages_one_session);
	g_test_add_func("/send/sessions-in-a-row", test_sessions_in_a_row);
	g_test_add_func("/send/rcpt-soft-refusal", test_rcpt_soft_refusal);
	g_test_add_func("/send/rcpt-hard-refusal", test_rcpt_hard_refusal);
	g_test_add_func("/send/content-refused", test_content_refused);
	g_test_add_func("/send/hang-up-at-data", test_hang_up_at_data);
	g_test_add_func("/send/nothing-listening", test_nothing_listening);
	g_test_add_func("/send/starttls-required-not-offered",
			test_starttls_required_not_offered);
	g_test_add_func("/send/auth-without-tls", test_auth_without_tls);
	g_test_add_func("/send/address-injection-refused", test_address_injection_refused);
	g_test_add_func("/send/nothing-to-send", test_nothing_to_send);
	return g_test_run();
}
