/* SPDX-License-Identifier: ISC */
/* outbox-size.c: prints how many outbox rows of the store of the
 * configuration CONFIG are queued and how many octets their messages make
 * on the wire (built from their drafts as the sender would, every line
 * ending CRLF), so that bench/send-bench.sh can give smtp-source messages
 * of the same size. It only reads the store. */

#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>

#include "compose.h"
#include "store.h"

typedef struct {
	const Config *cfg;
	StoreTxn *txn;
	guint64 rows;
	guint64 octets;
} Size;

static gboolean add_row(const OutboxRow *listed, gpointer data)
{
	Size *size = data;
	g_autoptr(OutboxRow) row = NULL;
	g_autoptr(GBytes) message = NULL;
	g_autoptr(GError) error = NULL;
	gsize len;
	const guchar *p;

	if (listed->state != OUTBOX_QUEUED)
		return TRUE;
	/* Listed without its draft: read again with it. */
	row = store_outbox_get(size->txn, listed->id, &error);
	if (row != NULL)
		message = compose_finish(size->cfg, row, &error);
	if (message == NULL) {
		fprintf(stderr, "outbox-size: %s\n", error->message);
		return TRUE;
	}
	p = g_bytes_get_data(message, &len);
	size->rows++;
	size->octets += len;
	for (gsize i = 0; i < len; i++)
		if (p[i] == '\n' && (i == 0 || p[i - 1] != '\r'))
			size->octets++;
	return TRUE;
}

int main(int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	Size size = {NULL, NULL, 0, 0};
	Config *cfg;
	Store *store;
	StoreTxn *txn;
	gboolean ok;

	if (argc != 2) {
		fprintf(stderr, "usage: outbox-size CONFIG\n");
		return 2;
	}
	cfg = config_load(argv[1], &error);
	if (cfg == NULL) {
		fprintf(stderr, "outbox-size: %s\n", error->message);
		return 1;
	}
	size.cfg = cfg;
	store = store_open(cfg->state_dir, &error);
	if (store == NULL || (txn = store_read_begin(store, &error)) == NULL) {
		fprintf(stderr, "outbox-size: %s\n", error->message);
		return 1;
	}
	size.txn = txn;
	ok = store_outbox_foreach(txn, add_row, &size, &error);
	store_read_end(txn);
	store_close(store);
	if (!ok) {
		fprintf(stderr, "outbox-size: %s\n", error->message);
		return 1;
	}
	printf("%" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT "\n", size.rows, size.octets);
	config_free(cfg);
	return 0;
}
