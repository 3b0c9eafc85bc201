#!/bin/sh
# SPDX-License-Identifier: ISC
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

# Parse-only and convened run in turns, five times, and each convened run
# is compared with the parse-only run just before it: this virtual
# machine shares its host, whose load comes and goes over seconds, and a
# pair taken together sees the same machine. The median of the five
# ratios is the figure that counts.
#
# convened, batched: the mails are in new/ when it starts and it takes
# them in one intake run (batches of 256, each one durable commit), which
# it logs with its own duration: parse, decide, commit, answers queued,
# files moved. That is the rate reported; the wall clock from starting the
# daemon until the run is logged (start-up, and the itineraries the
# scheduler then queues for the 5,000 new attendees) is shown beside it.
# The log is polled at 5 Hz: listing a folder of thousands of files in a
# tight loop took a good part of a core from the daemon being measured.
ratios=
parse_rates=
rates=
for round in 1 2 3 4 5; do
	parse=$("$top/bench/parse-only" "$W/mails/new")
	parse_rate=$(echo "$parse" | sed 's/.*: \([0-9]*\) messages.*/\1/')
	parse_rates="$parse_rates $parse_rate"
	rm -rf var
	mkdir -p var
	cp -r "$W/mails" var/inbox
	start=$(date +%s.%N)
	/usr/bin/time -f '%M' -o "$W/rss" "$top/src/convened" -f --now 2025-09-01T08:00:00Z \
		>"$W/daemon.log" 2>&1 &
	DAEMON=$!
	until grep -q 'event=batch' "$W/daemon.log"; do sleep 0.2; done
	end=$(date +%s.%N)
	stop_daemon
	intake=$(sed -n 's/.*event=batch messages=\([0-9]*\) .*seconds=\([0-9.]*\).*/\1 \2/p' \
		"$W/daemon.log" | head -1)
	taken=${intake% *}
	seconds=${intake#* }
	if [ "$taken" != "$n" ]; then
		echo "ingest: convened took $taken of $n messages in its first run" >&2
		exit 1
	fi
	rate=$(echo "$n / $seconds" | bc)
	rates="$rates $rate"
	ratio=$(echo "scale=2; $rate / $parse_rate" | bc)
	ratios="$ratios $ratio"
	echo "round $round: parse only $parse_rate messages/s; convened (batched) $n messages in $seconds s: $rate messages/s; ratio $ratio (wall clock with start-up and itineraries: $(echo "$end - $start" | bc) s, peak RSS $(cat "$W/rss") KiB)"
done
median() {
	echo "$@" | tr ' ' '\n' | sort -n | sed -n 3p
}
echo "parse only, median of 5: $(median $parse_rates) messages/s"
echo "convened, median of 5: $(median $rates) messages/s"
echo "ratio convened / parse-only, median of 5 pairs: $(median $ratios)"

# convenectl deliver, one process a message, then one run-once.
rm -rf var
python3 "$top/bench/mixed-mail.py" "$n" "$W/mails2" "$top/tests/fixtures"
start=$(date +%s.%N)
for f in "$W"/mails2/new/*; do "$top/src/convenectl" deliver <"$f" 2>/dev/null; done
mid=$(date +%s.%N)
"$top/src/convenectl" run-once --now 2025-09-01T08:00:00Z >/dev/null 2>&1 || true
end=$(date +%s.%N)
echo "deliver + run-once:  $n messages: deliver $(echo "$n / ($mid - $start)" | bc)/s, run-once $(echo "$n / ($end - $mid)" | bc)/s, together $(echo "$n / ($end - $start)" | bc) messages/s"

# Peak RSS of convened as the number of attendees grows, and what it is
# made of: the heap and other private memory (RssAnon, its peak sampled at
# 5 Hz) and the pages of the LMDB file mapped in (RssFile), which the kernel
# may drop at will.
for total in 1000 10000; do
	rm -rf var
	python3 "$top/bench/mixed-mail.py" "$total" var/inbox "$top/tests/fixtures"
	/usr/bin/time -f '%M' -o "$W/rss" "$top/src/convened" -f --now 2025-09-01T08:00:00Z \
		>"$W/daemon.log" 2>&1 &
	DAEMON=$!
	anon=0
	file=0
	until grep -q 'event=batch' "$W/daemon.log"; do
		pid=$(cat var/state/convened.pid 2>/dev/null || true)
		if [ -n "$pid" ] && [ -r "/proc/$pid/status" ]; then
			a=$(sed -n 's/^RssAnon:[[:space:]]*\([0-9]*\).*/\1/p' "/proc/$pid/status")
			f=$(sed -n 's/^RssFile:[[:space:]]*\([0-9]*\).*/\1/p' "/proc/$pid/status")
			[ -n "$a" ] && [ "$a" -gt "$anon" ] && anon=$a
			[ -n "$f" ] && [ "$f" -gt "$file" ] && file=$f
		fi
		sleep 0.2
	done
	stop_daemon
	echo "peak RSS of convened with $total attendees: $(cat "$W/rss") KiB; peaks sampled: private (heap) $anon KiB, mapped file $file KiB (store $(du -k var/state/data.mdb | cut -f1) KiB on disk)"
done
