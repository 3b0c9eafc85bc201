/* SPDX-License-Identifier: ISC */
/* outbox.c: the outbox row type. */

#include "autoconfig.h"

#include "outbox.h"

static const char *const state_names[] = {
	[OUTBOX_QUEUED] = "queued",
	[OUTBOX_SENDING] = "sending",
	[OUTBOX_SENT] = "sent",
	[OUTBOX_FAILED] = "failed",
};

OutboxRow *outbox_row_new(void)
{
	return g_new0(OutboxRow, 1);
}

void outbox_row_free(OutboxRow *row)
{
	if (row == NULL)
		return;
	g_free(row->kind);
	g_free(row->sender);
	g_free(row->recipient);
	g_free(row->message_id);
	if (row->message != NULL)
		g_bytes_unref(row->message);
	if (row->draft != NULL)
		g_bytes_unref(row->draft);
	g_free(row->last_reply);
	g_free(row);
}

const char *outbox_state_to_string(OutboxState state)
{
	g_return_val_if_fail(state <= OUTBOX_FAILED, "queued");
	return state_names[state];
}

gboolean outbox_state_from_string(const char *s, OutboxState *state)
{
	for (guint i = 0; i < G_N_ELEMENTS(state_names); i++) {
		if (g_strcmp0(s, state_names[i]) == 0) {
			*state = i;
			return TRUE;
		}
	}
	return FALSE;
}
