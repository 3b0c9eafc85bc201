/* outbox-size.c: prints how many outbox rows of the store in STATE_DIR are
 * queued and how many octets they make on the wire (every line ending CRLF),
 * so that bench/send-bench.sh can give smtp-source messages of the same
 * size. It only reads the store. */
#include <stdio.h>
#include <stdlib.h>

#include "store.h"

typedef struct {
	guint64 rows;
	guint64 octets;
} Size;

static gboolean add_row(const OutboxRow *row, gpointer data)
{
	Size *size = data;
	gsize len;
	const guchar *p = g_bytes_get_data(row->message, &len);

	if (row->state != OUTBOX_QUEUED)
		return TRUE;
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
	Size size = {0, 0};
	Store *store;
	StoreTxn *txn;
	gboolean ok;

	if (argc != 2) {
		fprintf(stderr, "usage: outbox-size STATE_DIR\n");
		return 2;
	}
	store = store_open(argv[1], &error);
	if (store == NULL || (txn = store_read_begin(store, &error)) == NULL) {
		fprintf(stderr, "outbox-size: %s\n", error->message);
		return 1;
	}
	ok = store_outbox_foreach(txn, add_row, &size, &error);
	store_read_end(txn);
	store_close(store);
	if (!ok) {
		fprintf(stderr, "outbox-size: %s\n", error->message);
		return 1;
	}
	printf("%" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT "\n", size.rows, size.octets);
	return 0;
}
