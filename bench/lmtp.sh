#!/bin/sh
# SPDX-License-Identifier: ISC
# LMTP intake benchmark (issue #17). convened listens on a Unix socket of a
# scratch state, its relay a closed port (answers stay queued: what is
# measured is intake), and N registrations (the six client styles of
# tests/fixtures, each from its own address) are handed over by SESSIONS
# parallel LMTP connections, 20 unless told: Postfix's default
# concurrency for a transport. Each message is answered 250 only after the
# commit that holds it is durable. Printed per round and as the median of
# three:
#   - bench/lmtp-source: Postfix's LMTP client's dialogue (LHLO once a
#     connection, kept; MAIL, RCPT, DATA, each reply waited for), with
#     distinct registrations: the figure that counts;
#   - Postfix's own smtp-source -L -d: the same dialogue, but one message
#     over and over from one sender (answered as errors, most over the
#     hourly limit), for comparison with Postfix's own client.
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
stop_daemon() {
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
sed -e 's|^transport.*|transport = "smtp://127.0.0.1:9"|' "$top/etc/convene.conf" >convene.conf
echo "lmtp = \"unix:$W/lmtp.sock\"" >>convene.conf
export CONVENE_CONF="$W/convene.conf"
python3 "$top/bench/mixed-mail.py" "$n" "$W/mails" "$top/tests/fixtures"

start_daemon() {
	rm -rf var
	"$top/src/convened" -f --now 2025-09-01T08:00:00Z >"$W/daemon.log" 2>&1 &
	DAEMON=$!
	until grep -q 'event=started' "$W/daemon.log"; do sleep 0.1; done
}
median() {
	echo "$@" | tr ' ' '\n' | sort -n | sed -n 2p
}

echo "$(nproc) CPUs, load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
rates=
sources=
for round in 1 2 3; do
	start_daemon
	out=$("$top/bench/lmtp-source" -s "$sessions" "$W/lmtp.sock" "$W/mails/new")
	rate=$(echo "$out" | sed 's/.*: \([0-9]*\) messages\/s/\1/')
	rates="$rates $rate"
	registered=$("$top/src/convenectl" export --format json | grep -c '"email"' || true)
	stop_daemon
	if [ "$registered" != "$n" ]; then
		echo "lmtp: $registered of $n registered after round $round" >&2
		exit 1
	fi

	start_daemon
	begin=$(date +%s.%N)
	smtp-source -L -d -s "$sessions" -m "$n" -f bench@example.org \
		-t register@campus.example.org "unix:$W/lmtp.sock"
	end=$(date +%s.%N)
	stop_daemon
	source=$(echo "$n / ($end - $begin)" | bc)
	sources="$sources $source"
	echo "round $round: lmtp-source, $n registrations over $sessions connections: $out;" \
		"smtp-source -L -d -s $sessions: $source messages/s"
done
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "lmtp-source, median of 3: $(median $rates) registrations/s"
echo "smtp-source -L, median of 3: $(median $sources) messages/s"
