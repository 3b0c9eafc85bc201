#!/bin/sh
# Ingest benchmark (issue #7). Prints, for the same N mails of mixed client
# styles: the parse-only rate (GMime parse and text extraction, nothing
# else), convened's rate taking them from its intake Maildir in batches
# with durable commits (parsed, decided, committed, answers queued, files
# moved), and `convenectl deliver` of each followed by one run-once; with
# the peak RSS of convened at 1,000 and at 10,000 attendees.
#
#   sh bench/ingest.sh [N]           N: 5000 unless told
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
n=${1:-5000}
make -s src/convenectl src/convened bench/parse-only
W=$(mktemp -d "${TMPDIR:-/tmp}/ingest-bench.XXXXXX")
DAEMON=
# Stops convened itself (its pid file), then waits for /usr/bin/time around
# it, which writes the peak RSS only once its child has exited.
stop_daemon() {
	kill "$(cat var/state/convened.pid)" 2>/dev/null || true
	wait "$DAEMON" || true
	DAEMON=
}
cleanup() {
	[ -n "$DAEMON" ] && stop_daemon
	rm -rf "$W"
}
trap cleanup EXIT
cd "$W"
ln -s "$top/templates" templates
# The relay is a port nobody listens on: answers stay queued, so that what
# is measured is intake, not sending.
sed -e 's|^transport.*|transport = "smtp://127.0.0.1:9"|' "$top/etc/convene.conf" >convene.conf
export CONVENE_CONF="$W/convene.conf"

python3 "$top/bench/mixed-mail.py" "$n" "$W/mails" "$top/tests/fixtures"
parse=$("$top/bench/parse-only" "$W/mails/new")
echo "parse only:          $parse"
parse_rate=$(echo "$parse" | sed 's/.*: \([0-9]*\) messages.*/\1/')

# convened, batched: the mails are in new/ when it starts; timed until the
# last has left new/.
mkdir -p var
mv "$W/mails" var/inbox
start=$(date +%s.%N)
/usr/bin/time -f '%M' -o "$W/rss" "$top/src/convened" -f --now 2025-09-01T08:00:00Z \
	>"$W/daemon.log" 2>&1 &
DAEMON=$!
while [ -n "$(ls var/inbox/new)" ]; do sleep 0.01; done
end=$(date +%s.%N)
stop_daemon
daemon_rate=$(echo "$n / ($end - $start)" | bc)
echo "convened (batched):  $n messages in $(echo "$end - $start" | bc) s: $daemon_rate messages/s, peak RSS $(cat "$W/rss") KiB"
echo "ratio convened / parse-only: $(echo "scale=2; $daemon_rate / $parse_rate" | bc)"

# convenectl deliver, one process a message, then one run-once.
rm -rf var
python3 "$top/bench/mixed-mail.py" "$n" "$W/mails2" "$top/tests/fixtures"
start=$(date +%s.%N)
for f in "$W"/mails2/new/*; do "$top/src/convenectl" deliver <"$f" 2>/dev/null; done
mid=$(date +%s.%N)
"$top/src/convenectl" run-once --now 2025-09-01T08:00:00Z >/dev/null 2>&1 || true
end=$(date +%s.%N)
echo "deliver + run-once:  $n messages: deliver $(echo "$n / ($mid - $start)" | bc)/s, run-once $(echo "$n / ($end - $mid)" | bc)/s, together $(echo "$n / ($end - $start)" | bc) messages/s"

# Peak RSS of convened as the number of attendees grows.
for total in 1000 10000; do
	rm -rf var
	python3 "$top/bench/mixed-mail.py" "$total" var/inbox "$top/tests/fixtures"
	/usr/bin/time -f '%M' -o "$W/rss" "$top/src/convened" -f --now 2025-09-01T08:00:00Z \
		>"$W/daemon.log" 2>&1 &
	DAEMON=$!
	while [ -n "$(ls var/inbox/new)" ]; do sleep 0.05; done
	sleep 1
	stop_daemon
	echo "peak RSS of convened with $total attendees: $(cat "$W/rss") KiB (store $(du -k var/state/data.mdb | cut -f1) KiB on disk)"
done
