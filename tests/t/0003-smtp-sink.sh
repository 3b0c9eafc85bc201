#!/bin/sh
# SPDX-License-Identifier: ISC
# The confirmation goes out through a real SMTP relay (Postfix's smtp-sink);
# when the relay is down the reply stays queued and goes out later.
. "$(dirname "$0")/lib.sh"
command -v smtp-sink >/dev/null 2>&1 || skip_all 'smtp-sink (Postfix) is not installed'
plan 10

start_sink || { echo "Bail out! no free loopback port for smtp-sink"; exit 1; }
set_conf transport "\"smtp://127.0.0.1:$SINK_PORT\""
set_conf starttls '"none"'

ctl deliver <"$FIXTURES/register-plain.eml"
ctl run-once --now 2025-09-01T09:00:00Z
check 'run-once exits 0' test "$status" = 0
check 'the sink received his answer, his itinerary in it' test "$(sink_files | wc -l)" = 1
dump=$(grep -l '^Subject: Registered' $(sink_files) | head -1)
check 'to Ștefan' grep -qi 'stefan.ionescu@infosec-center.example.ro' "$dump"
check 'with the confirmation subject' grep -q '^Subject: Registered: CAMPUS kick-off meeting' "$dump"
body_of "$dump" >"$T/reply.txt" 2>/dev/null || sed -n '/^$/,$p' "$dump" >"$T/reply.txt"
check 'quoting his name' grep -q 'Ștefan Ionescu' "$T/reply.txt"
ctl queue --format json
check 'the row is sent with the relay reply kept' jq -e '.[0].state == "sent" and (.[0].last_reply | test("^250"))' "$T/out"

port=$SINK_PORT
stop_sink
ctl deliver <"$FIXTURES/register-unknown-day.eml"
ctl run-once --now 2025-09-02T09:00:00Z
check 'with the relay down run-once exits EX_TEMPFAIL (75)' test "$status" = 75
check 'and says so in one line' sh -c "test \$(wc -l <'$T/err' ) -ge 1 && grep -q 'stay queued' '$T/err'"
ctl queue --format json
check 'the answer stays queued, not lost' jq -e '[.[] | select(.state == "queued")] | length == 1' "$T/out"

start_sink || { echo "Bail out! no free loopback port for smtp-sink"; exit 1; }
set_conf transport "\"smtp://127.0.0.1:$SINK_PORT\""
ctl run-once --now 2025-09-02T10:00:00Z
ctl queue --format json
check 'once the relay is back it is sent' jq -e '[.[] | select(.state == "sent")] | length == 2' "$T/out"
finish
