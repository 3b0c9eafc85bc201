#!/bin/sh
# SPDX-License-Identifier: ISC
# LMTP intake benchmark (issue #17). convened listens on a Unix socket of a
# scratch state and N registrations (the six client styles of
# tests/fixtures, each from its own address) are handed over by SESSIONS
# parallel LMTP connections, 20 unless told: Postfix's default concurrency
# for a transport. Each message is answered 250 only after the commit that
# holds it is durable. Three rounds, each with:
#   - intake alone: the relay accepts the connection and never answers, so
#     the sender waits in its first session and what is measured is
#     intake; bench/lmtp-source speaks Postfix's LMTP client's dialogue
#     (LHLO once a connection, kept; MAIL, RCPT, DATA, each reply waited
#     for) with distinct registrations: the figure that counts;
#   - the same with the relay's port closed: the sender then retries in a
#     loop beside intake (claiming and settling rows in the same main
#     loop), as it would with its relay down;
#   - Postfix's own smtp-source -L -d, relay held: the same dialogue, but
#     one message over and over from one sender (answered as errors, most
#     over the hourly limit), for comparison with Postfix's own client.
# The medians of the three rounds are printed last.
#
#   sh bench/lmtp.sh [N [SESSIONS]]      N: 5000 unless told
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
n=${1:-5000}
sessions=${2:-20}
make -s src/convened bench/lmtp-source
W=$(mktemp -d "${TMPDIR:-/tmp}/lmtp-bench.XXXXXX")
DAEMON=
RELAY=
stop_daemon() {
	if [ -n "$RELAY" ]; then
		kill "$RELAY" 2>/dev/null || true
		wait "$RELAY" 2>/dev/null || true
	fi
	RELAY=
	[ -n "$DAEMON" ] || return 0
	kill "$DAEMON" 2>/dev/null || true
	wait "$DAEMON" || true
	DAEMON=
}
cleanup() {
	stop_daemon
	rm -rf "$W"
}
trap cleanup EXIT
cd "$W"
ln -s "$top/templates" templates
python3 "$top/bench/mixed-mail.py" "$n" "$W/mails" "$top/tests/fixtures"

# A relay that takes connections and never says a word; its port in
# $W/relay.port.
hold_relay() {
	rm -f "$W/relay.port"
	python3 -c '
import socket, sys
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(16)
print(s.getsockname()[1], flush=True)
held = []
while True:
    held.append(s.accept())
' >"$W/relay.port" 2>/dev/null &
	RELAY=$!
	until [ -s "$W/relay.port" ]; do sleep 0.05; done
}

# start_daemon PORT: convened with its relay at PORT of this machine.
start_daemon() {
	rm -rf var
	sed -e "s|^transport.*|transport = \"smtp://127.0.0.1:$1\"|" "$top/etc/convene.conf" \
		>convene.conf
	echo "lmtp = \"unix:$W/lmtp.sock\"" >>convene.conf
	"$top/src/convened" -c convene.conf -f --now 2025-09-01T08:00:00Z >"$W/daemon.log" 2>&1 &
	DAEMON=$!
	until grep -q 'event=started' "$W/daemon.log"; do
		if ! kill -0 "$DAEMON" 2>/dev/null; then
			cat "$W/daemon.log" >&2
			exit 1
		fi
		sleep 0.1
	done
}

# lmtp_round: the registrations handed over; prints messages/s.
lmtp_round() {
	out=$("$top/bench/lmtp-source" -s "$sessions" "$W/lmtp.sock" "$W/mails/new")
	registered=$("$top/src/convenectl" -c convene.conf export --format json | grep -c '"email"' || true)
	if [ "$registered" != "$n" ]; then
		echo "lmtp: $registered of $n registered ($out)" >&2
		exit 1
	fi
	echo "$out" | sed 's/.*: \([0-9]*\) messages\/s/\1/'
}

median() {
	echo "$@" | tr ' ' '\n' | sort -n | sed -n 2p
}

echo "$(nproc) CPUs, load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
alone=
down=
sources=
for round in 1 2 3; do
	hold_relay
	start_daemon "$(cat "$W/relay.port")"
	a=$(lmtp_round)
	stop_daemon
	start_daemon 9
	b=$(lmtp_round)
	stop_daemon
	hold_relay
	start_daemon "$(cat "$W/relay.port")"
	begin=$(date +%s.%N)
	smtp-source -L -d -s "$sessions" -m "$n" -f bench@example.org \
		-t register@campus.example.org "unix:$W/lmtp.sock"
	end=$(date +%s.%N)
	stop_daemon
	c=$(echo "$n / ($end - $begin)" | bc)
	alone="$alone $a"
	down="$down $b"
	sources="$sources $c"
	echo "round $round: $n registrations over $sessions connections: intake alone $a/s," \
		"sender retrying beside it $b/s; smtp-source -L -d -s $sessions: $c messages/s"
done
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "registrations, intake alone, median of 3: $(median $alone)/s"
echo "registrations, sender retrying beside intake, median of 3: $(median $down)/s"
echo "smtp-source -L -d (one message over and over), median of 3: $(median $sources)/s"
