/* intake.c: the intake Maildir into the store. A message leaves new/ only
 * after the transaction holding its effects is durable (moved to cur/), or
 * into the quarantine when it is not mail we can read; it is never deleted
 * and never acknowledged early. */
#include "intake.h"

#include "command.h"
#include "log.h"
#include "maildir.h"
#include "message.h"

typedef struct {
	const CommandContext *ctx;
	const Message *msg;
	CommandOutcome outcome;
} Apply;

static gboolean apply_message(StoreTxn *txn, gpointer data, GError **error)
{
	Apply *a = data;

	return command_apply(a->ctx, txn, a->msg, &a->outcome, error);
}

static void quarantine(const Config *cfg, const char *name, const char *reason,
		       IntakeStats *stats)
{
	g_autoptr(GError) error = NULL;

	if (!maildir_quarantine(cfg->intake_dir, name, cfg->quarantine_dir, &error)) {
		log_event(LOG_ERR, "quarantine-failed", "file", name, "reason", reason, "error",
			  error->message, NULL);
		stats->deferred++;
		return;
	}
	log_event(LOG_WARNING, "quarantined", "file", name, "reason", reason, "folder",
		  cfg->quarantine_dir, NULL);
	stats->quarantined++;
}

static void intake_one(const CommandContext *ctx, Store *store, const char *name,
		       IntakeStats *stats)
{
	const Config *cfg = ctx->cfg;
	g_autofree char *path = g_build_filename(cfg->intake_dir, "new", name, NULL);
	g_autoptr(GError) error = NULL;
	g_autoptr(Message) msg = NULL;
	Apply apply = {ctx, NULL, {0}};

	stats->messages++;
	msg = message_read_file(path, cfg->max_message_size, cfg->event_address, &error);
	if (msg == NULL) {
		if (g_error_matches(error, MESSAGE_ERROR, MESSAGE_ERROR_READ)) {
			log_event(LOG_ERR, "deferred", "file", name, "reason", error->message, NULL);
			stats->deferred++;
		} else {
			quarantine(cfg, name, error->message, stats);
		}
		return;
	}
	apply.msg = msg;
	if (!store_write(store, apply_message, &apply, &error)) {
		log_event(LOG_ERR, "deferred", "file", name, "message_id", msg->message_id,
			  "reason", error->message, NULL);
		stats->deferred++;
		command_outcome_clear(&apply.outcome);
		return;
	}
	if (!maildir_move_to_cur(cfg->intake_dir, name, &error))
		/* Committed: a second look at it later is a harmless duplicate. */
		log_event(LOG_ERR, "move-failed", "file", name, "reason", error->message, NULL);

	if (g_strcmp0(apply.outcome.action, "duplicate") == 0)
		stats->duplicates++;
	else if (g_strcmp0(apply.outcome.action, "robot") == 0)
		stats->robots++;
	else if (apply.outcome.replies > 0)
		stats->answered++;
	{
		g_autofree char *replies = g_strdup_printf("%u", apply.outcome.replies);
		g_autofree char *limited = apply.outcome.limited > 0
						   ? g_strdup_printf("%u", apply.outcome.limited)
						   : NULL;

		log_event(LOG_INFO, "message", "file", name, "message_id", msg->message_id, "from",
			  msg->from_address, "action", apply.outcome.action, "email",
			  apply.outcome.email, "robot", msg->robot, "replies", replies,
			  "rate_limited", limited, NULL);
	}
	command_outcome_clear(&apply.outcome);
}

gboolean intake_run(const Config *cfg, Store *store, Composer *composer, gint64 now,
		    IntakeStats *stats, GError **error)
{
	CommandContext ctx = {cfg, composer, now};
	g_autoptr(GPtrArray) names = NULL;
	g_autoptr(GError) sync_error = NULL;

	if (!maildir_create(cfg->intake_dir, error))
		return FALSE;
	names = maildir_list_new(cfg->intake_dir, error);
	if (names == NULL)
		return FALSE;
	for (guint i = 0; i < names->len; i++)
		intake_one(&ctx, store, g_ptr_array_index(names, i), stats);
	if (names->len > 0 && !maildir_sync(cfg->intake_dir, &sync_error))
		log_event(LOG_ERR, "sync-failed", "folder", cfg->intake_dir, "reason",
			  sync_error->message, NULL);
	return TRUE;
}
