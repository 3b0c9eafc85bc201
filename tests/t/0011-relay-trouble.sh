#!/bin/sh
# SPDX-License-Identifier: ISC
# The relay refuses for now, refuses for good, hangs up, or the sender is
# killed mid-batch: no row is lost, a row goes out twice only with the same
# Message-ID, and bounces that come back later are matched to their row.
. "$(dirname "$0")/lib.sh"
command -v smtp-sink >/dev/null 2>&1 || skip_all 'smtp-sink (Postfix) is not installed'
plan 16

sink() { # OPTIONS...: (re)start the sink, pointing the transport at it
	stop_sink
	start_sink "$@" || { echo "Bail out! no free loopback port for smtp-sink"; exit 1; }
	set_conf transport "\"smtp://127.0.0.1:$SINK_PORT\""
}
set_conf starttls '"none"'
register() { # N: N fresh registrations waiting in the intake
	for i in $(seq 1 "$1"); do
		write_mail "p$i-$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')@example.fi" Registration \
			"Name: P $i\nOrganisation: Org\nCountry: FI\nActivities: kickoff-meeting\n"
	done
}
queue() { ctl queue --format json; cp "$T/out" "$T/queue.json"; }
rows() { jq -e "$1" "$T/queue.json"; } # a jq test over the outbox rows
last_id() { jq 'map(.id) | max // 0' "$T/queue.json"; }

sink -r RCPT
register 3
ctl run-once --now 2025-09-01T08:00:00Z
queue
check '4xx at RCPT: every row stays queued' rows 'length >= 3 and all(.[]; .state == "queued")'
# The clock starts at --now and runs on: a slow machine's run ends seconds later.
check 'with the reply kept and the next try a minute later' rows 'all(.[]; (.last_reply | test("^4")) and .attempts == 1 and (.next_try_at | test("^2025-09-01T10:01:0[0-9]\\+02:00$")))'
sink -r DATA
ctl run-once --now 2025-09-01T08:01:30Z
queue
check '4xx at DATA: still queued, waiting twice as long' rows 'all(.[]; .state == "queued" and .attempts == 2 and (.next_try_at | test("^2025-09-01T10:03:[3-5][0-9]\\+02:00$")))'
ctl run-once --now 2025-09-01T08:02:00Z
check 'nothing is tried before its time' test "$(sink_files | wc -l)" = 0
sink
ctl run-once --now 2025-09-01T08:04:30Z
queue
check 'a normal relay then takes them all' sh -c "jq -e 'all(.[]; .state == \"sent\")' '$T/queue.json' >/dev/null && test $(sink_files | wc -l) = $(jq length "$T/queue.json")"
check 'the envelope sender names the row, with a keyed tag (VERP)' grep -q '^X-Mail-Args: <register+bounce-[0-9]*-[a-z2-7]\{8\}@campus.example.org>' $(sink_files | head -1)

before=$(last_id)
sink -f RCPT
register 1
ctl run-once --now 2025-09-01T08:10:00Z
queue
check '5xx: the row fails at once with the reply recorded' rows "[.[] | select(.id > $before)] | length > 0 and all(.[]; .state == \"failed\" and (.last_reply | test(\"^5\")))"
failed_row=$((before + 1))
sink
ctl retry --now 2025-09-01T08:11:00Z "$failed_row"
check 'convenectl retry requeues it' sh -c "test $status = 0 && grep -q 'row $failed_row queued again' '$T/out'"
ctl run-once --now 2025-09-01T08:11:00Z
queue
check 'and it goes out' rows ".[] | select(.id == $failed_row) | .state == \"sent\""
ctl retry --now 2025-09-01T08:12:00Z "$failed_row"
check 'retry of a row that is not failed: EX_DATAERR (65)' test "$status" = 65

before=$(last_id)
sink -q DATA
register 2
ctl run-once --now 2025-09-01T08:20:00Z
queue
check 'a relay hanging up at DATA: those rows stay queued' rows "[.[] | select(.id > $before)] | length > 0 and all(.[]; .state == \"queued\")"
sink
ctl run-once --now 2025-09-01T08:30:00Z
queue
check 'and are delivered later' rows "[.[] | select(.id > $before)] | all(.[]; .state == \"sent\")"

# kill -9 in the middle of a batch, then start again.
before=$(last_id)
sink -w 1
register 8
"$CONVENECTL" run-once --now 2025-09-01T09:00:00Z >/dev/null 2>&1 &
victim=$!
sleep 3
kill -9 "$victim" 2>/dev/null
wait "$victim" 2>/dev/null
sink
ctl run-once --now 2025-09-01T09:10:00Z
queue
check 'after kill -9 and a restart every row is sent' rows "[.[] | select(.id > $before)] | all(.[]; .state == \"sent\")"
ids=$(jq -r '.[] | select(.state == "sent") | .message_id' "$T/queue.json" | sort -u | wc -l)
delivered=$(cat $(sink_files) | sed -n 's/^Message-Id: <\(.*\)>/\1/p' | sort -u | wc -l)
check 'every Message-ID reached the relay; a copy twice only with its own Message-ID' test "$delivered" = "$ids"

# A bounce comes back days later, to the row's VERP address.
victim_row=$(jq '.[0].id' "$T/queue.json")
sed -e "s/^To: .*/To: $(verp_of "$victim_row")/" \
	-e "s/nobody@tamk.example.fi/$(jq -r '.[0].recipient' "$T/queue.json")/g" \
	"$FIXTURES/dsn-bounce.eml" >"$T/bounce.eml"
sent_before=$(ctl queue --format json; jq length "$T/out")
ctl deliver <"$T/bounce.eml"
ctl run-once --now 2025-09-03T09:00:00Z
queue
check 'the bounce fails its row with the diagnostic, and is not answered' \
	rows ".[0].state == \"failed\" and .[0].bounced and (.[0].last_reply | test(\"5.1.1\")) and length == $sent_before"
ctl stats --format json
check 'and stats count it' jq -e '.outbox.bounced == 1' "$T/out"
finish
