#!/bin/sh
# SPDX-License-Identifier: ISC
# Sending through parallel SMTP sessions, and crashes that cost little: the
# outbox goes to the relay over smtp.sessions connections at once, and
# convened killed with -9 at random moments loses nothing and sends again
# at most the one message that was on the wire when it died.
. "$(dirname "$0")/lib.sh"
command -v smtp-sink >/dev/null 2>&1 || skip_all 'smtp-sink (Postfix) is not installed'
plan 8

CONVENED="$top_builddir/src/convened"
DAEMON_PID=
start_daemon() {
	"$CONVENED" -f --now 2025-09-01T08:00:00Z >>"$T/daemon.log" 2>&1 &
	DAEMON_PID=$!
	for _ in $(seq 50); do
		grep -q 'event=started' "$T/daemon.log" 2>/dev/null && return 0
		kill -0 "$DAEMON_PID" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}
stop_daemon() { # SIGNAL
	[ -n "$DAEMON_PID" ] || return 0
	kill "-${1:-TERM}" "$DAEMON_PID" 2>/dev/null
	wait "$DAEMON_PID" 2>/dev/null
	DAEMON_PID=
}
trap 'stop_daemon KILL; cleanup' EXIT
sink() { # OPTIONS...: (re)start the sink, pointing the transport at it
	stop_sink
	start_sink "$@" || { echo "Bail out! no free loopback port for smtp-sink"; exit 1; }
	set_conf transport "\"smtp://127.0.0.1:$SINK_PORT\""
}
set_conf starttls '"none"'
# Message-IDs the relay received, one line each, however many times.
received_ids() { cat $(sink_files) /dev/null | sed -n 's/^Message-I[dD]: <\(.*\)>.*/\1/p'; }
connections() { ss -Htn state established "dport = :$SINK_PORT" 2>/dev/null | wc -l; }

# Two sessions at once: a relay that takes a second over each message
# keeps both connections open long enough to be seen together.
sink -w 1
sed -i 's/^smtp {/smtp {\n\tsessions = 2/' "$T/convene.conf"
flood two 2
"$CONVENECTL" run-once --now 2025-09-01T08:00:00Z >"$T/run.out" 2>&1 &
run=$!
most=0
while kill -0 "$run" 2>/dev/null; do
	c=$(connections)
	[ "$c" -gt "$most" ] && most=$c
	sleep 0.1
done
wait "$run"
check 'run-once sends two confirmations, each with its itinerary' grep -q '; 2 sent, 0 deferred' "$T/run.out"
check 'smtp.sessions = 2: two connections to the relay at once' test "$most" = 2
ctl queue --format json
check 'every row is sent' jq -e 'all(.[]; .state == "sent")' "$T/out"
check 'each message reached the relay once' test "$(received_ids | sort | uniq -d | wc -l)" = 0

# kill -9 at random moments, one session: the bound is one message per
# session on the wire.
sink
sed -i 's/^\([[:space:]]*sessions[[:space:]]*=\).*/\1 1/' "$T/convene.conf"
kills=0
for round in $(seq 1 20); do
	flood "k$round-" 100
	start_daemon || { echo "Bail out! convened did not start"; exit 1; }
	sleep "0.$(od -An -N2 -tu2 /dev/urandom | tr -d ' ' | cut -c1-3)"
	stop_daemon KILL
	kills=$((kills + 1))
done
start_daemon
for _ in $(seq 3000); do
	[ -z "$(ls var/inbox/new)" ] && break
	sleep 0.1
done
for _ in $(seq 600); do
	ctl stats --format json
	jq -e '.outbox.queued == 0 and .outbox.sending == 0' "$T/out" >/dev/null && break
	sleep 0.5
done
stop_daemon TERM
ctl export --format json
check "after $kills kill -9s, all 2000 registrations are there" \
	test "$(jq '[.[] | select(.email | test("^k[0-9]+-"))] | length' "$T/out")" = 2000
ctl queue --format json
check 'every answer is sent' jq -e 'all(.[]; .state == "sent")' "$T/out"
check 'and every one reached the relay' \
	test "$(received_ids | sort -u | wc -l)" = "$(jq '[.[] | .message_id] | unique | length' "$T/out")"
duplicates=$(($(received_ids | wc -l) - $(received_ids | sort -u | wc -l)))
echo "# $duplicates message(s) sent twice over $kills kills"
check 'at most one message sent twice per kill' test "$duplicates" -le "$kills"
finish
