#!/bin/sh
# SPDX-License-Identifier: ISC
# convened as organisers run it: it answers within seconds, survives a bad
# reload, stops cleanly in the middle of a flood, speaks LMTP to an MTA,
# and loses nothing to kill -9.
. "$(dirname "$0")/lib.sh"
plan 14

CONVENED="$top_builddir/src/convened"
DAEMON_PID=
start_daemon() {
	# The log holds earlier runs too: this one has started when it adds a line.
	started=$(grep -c 'event=started' "$T/daemon.log" 2>/dev/null)
	"$CONVENED" -f --now 2025-09-01T08:00:00Z >>"$T/daemon.log" 2>&1 &
	DAEMON_PID=$!
	for _ in $(seq 50); do
		[ "$(grep -c 'event=started' "$T/daemon.log" 2>/dev/null)" -gt "${started:-0}" ] && return 0
		kill -0 "$DAEMON_PID" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}
stop_daemon() { # SIGNAL
	[ -n "$DAEMON_PID" ] || return 0
	kill "-${1:-TERM}" "$DAEMON_PID" 2>/dev/null
	wait "$DAEMON_PID" 2>/dev/null
	status=$?
	DAEMON_PID=
}
trap 'stop_daemon KILL; cleanup' EXIT
# Waits up to $2 seconds (default 10) for $1 files in the spool.
wait_sent() {
	for _ in $(seq $((${2:-10} * 20))); do
		[ "$(sent_count)" -ge "$1" ] && return 0
		sleep 0.05
	done
	return 1
}
form() { printf 'Name: %s\nOrganisation: Org\nCountry: FI\nActivities: kickoff-meeting\n' "$1"; }
# Waits (five minutes at most: a slow machine is slow, not wrong) for the
# intake to be empty, then for no outbox row to be waiting.
wait_intake() {
	for _ in $(seq 3000); do
		[ -z "$(ls var/inbox/new)" ] && return 0
		sleep 0.1
	done
}
wait_outbox() {
	for _ in $(seq 600); do
		ctl stats --format json
		jq -e '.outbox.queued == 0 and .outbox.sending == 0' "$T/out" >/dev/null && return 0
		sleep 0.5
	done
}
# Puts a registration from $1 straight into new/ as an MTA would.
drop() {
	write_mail "$1" Registration "$(form "$1")"
}

start_daemon || { echo "Bail out! convened did not start"; cat "$T/daemon.log"; exit 1; }
check 'a second convened on the same state refuses to start' \
	sh -c "'$CONVENED' -f >'$T/second.log' 2>&1; test \$? = 75 && grep -q 'another convened' '$T/second.log'"

drop first@example.fi
check 'mail delivered while it runs is answered within two seconds' wait_sent 1 2
sent_now=$(sent_count)

cp "$T/convene.conf" "$T/good.conf"
echo 'this is { not a configuration' >>"$T/convene.conf"
kill -HUP "$DAEMON_PID"
sleep 0.5
check 'SIGHUP with a broken configuration is refused, and logged' grep -q 'event=reload-refused' "$T/daemon.log"
CONVENE_CONF="$T/good.conf" "$CONVENECTL" deliver <"$FIXTURES/french-iso-8859-1.eml" 2>/dev/null
check 'and the daemon goes on answering with the old one' wait_sent $((sent_now + 1)) 3
cp "$T/good.conf" "$T/convene.conf"

flood flood 500
sleep 0.3
stop_daemon TERM
check 'SIGTERM in the middle of 500 messages exits 0' test "$status" = 0
check 'the message it was on is either done or still waiting, never lost' \
	test $(($(ls var/inbox/new | wc -l) + $(ls var/inbox/cur | wc -l))) -ge 502
start_daemon
wait_intake
wait_outbox
ctl export --format json
check 'after a restart all 500 are registered' test "$(jq '[.[] | select(.email | startswith("flood"))] | length' "$T/out")" = 500
# One line per confirmation: who it went to; then who got exactly one.
find var/sent/new -type f -exec awk 'FNR == 1 { to = "" } /^Delivered-To:/ { to = $2 }
	/^Subject: Registered/ { print to; nextfile } /^$/ { nextfile }' {} + |
	grep '^flood' | sort | uniq -c | awk '$1 == 1' | wc -l >"$T/once"
check 'and each answered exactly once' test "$(cat "$T/once")" = 500

# LMTP on a Unix socket.
stop_daemon TERM
add_conf lmtp "\"unix:$T/lmtp.sock\""
start_daemon
python3 - "$T/lmtp.sock" "$FIXTURES/register-plain.eml" >"$T/lmtp.out" 2>&1 <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
f = s.makefile('rwb')
def reply():
    lines = []
    while True:
        line = f.readline().decode().rstrip('\r\n')
        lines.append(line)
        if len(line) < 4 or line[3] != '-':
            return lines
def cmd(text):
    f.write(text.encode() + b'\r\n'); f.flush()
    return reply()
print(reply())
print(cmd('LHLO mta.example.org'))
print(cmd('MAIL FROM:<stefan.ionescu@infosec-center.example.ro>'))
print(cmd('RCPT TO:<register@campus.example.org>'))
print(cmd('RCPT TO:<register+status@campus.example.org>'))
print(cmd('DATA'))
body = open(sys.argv[2], 'rb').read().replace(b'\n', b'\r\n')
body = body.replace(b'\r\n.', b'\r\n..')
f.write(body + b'.\r\n'); f.flush()
print('after-data', reply(), reply())
print(cmd('QUIT'))
PY
sed 's/^/# /' "$T/lmtp.out"
check 'LMTP: one reply per recipient after DATA, 250 once committed' \
	grep -q "after-data \['250 2.0.0 Ok: committed'\] \['250 2.0.0 Ok: committed'\]" "$T/lmtp.out"
ctl show stefan.ionescu@infosec-center.example.ro --format json
check 'and the registration is there' jq -e '.name == "Ștefan Ionescu"' "$T/out"
stop_daemon TERM

# LMTP over TCP, from Postfix's own LMTP client.
for _ in 1 2 3 4 5; do
	port=$((20000 + $(od -An -N2 -tu2 /dev/urandom) % 40000))
	listening "$port" || break
done
set_conf lmtp "\"127.0.0.1:$port\""
start_daemon
smtp-source -L -m 20 -s 2 -f sender@example.org -t register@campus.example.org \
	-F "$FIXTURES/gmail-alternative-qp.eml" "127.0.0.1:$port" >"$T/source.out" 2>&1
source_status=$?
check 'smtp-source -L hands over 20 messages without an error' \
	sh -c "test $source_status = 0 && ! grep -qi 'error\|fail' '$T/source.out' || { echo status $source_status; cat '$T/source.out'; false; }"
stop_daemon TERM
set_conf lmtp '""'

# kill -9 at random moments: nothing is lost.
for round in $(seq 1 20); do
	flood "r$round-" 200
	start_daemon
	sleep "0.$(od -An -N1 -tu1 /dev/urandom | tr -d ' ')"
	stop_daemon KILL
done
start_daemon
wait_intake
wait_outbox
stop_daemon TERM
ctl export --format json
check 'after 20 rounds of kill -9, all 4000 registrations are there' \
	test "$(jq '[.[] | select(.email | test("^r[0-9]+-"))] | length' "$T/out")" = 4000
ctl queue --format json
check 'every answer is sent' jq -e 'all(.[]; .state == "sent")' "$T/out"
find var/sent/new -type f -exec grep -h '^Delivered-To: r[0-9]*-' {} + | sort -u >"$T/answered"
check 'and every one of them reached its person' test "$(wc -l <"$T/answered")" = 4000
finish
