#!/bin/sh
# SPDX-License-Identifier: ISC
# Sending benchmark (issue #4). Fills a scratch outbox with real rows:
# MESSAGES/2 registration mails go through the intake with the relay down,
# each leaving a confirmation and an itinerary queued. Then times
# `convenectl run-once` sending them all to a local smtp-sink, beside
# Postfix's smtp-source sending as many messages of the same average size to
# the same sink, one connection after another. Prints messages per second
# and the ratios; record them in bench/RESULTS.md.
#
#   sh bench/send-bench.sh [MESSAGES]        MESSAGES: even, 10000 unless told
#   ROUNDS=N sh bench/send-bench.sh          median of N rounds (5 unless told)
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
n=${1:-10000}
rounds=${ROUNDS:-5}
PATH=$PATH:/usr/sbin
for tool in smtp-sink smtp-source python3 ss; do
	command -v "$tool" >/dev/null 2>&1 || { echo "send-bench: needs $tool" >&2; exit 1; }
done
make -s src/convenectl bench/outbox-size
convenectl=$top/src/convenectl
# Rows convene hands to the relay in one session.
batch=$(sed -n 's/^#define SENDER_BATCH \([0-9]*\).*/\1/p' "$top/src/sender.c")

W=$(mktemp -d "${TMPDIR:-/tmp}/send-bench.XXXXXX")
chmod 755 "$W"
SINK_PID=
cleanup() {
	if [ -n "$SINK_PID" ]; then
		kill "$SINK_PID" 2>/dev/null || true
		wait "$SINK_PID" 2>/dev/null || true
	fi
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
cd "$W"
ln -s "$top/templates" templates
cp "$top/etc/convene.conf" convene.conf
export CONVENE_CONF="$W/convene.conf"
set_conf() { sed -i "s|^\\([[:space:]]*$1[[:space:]]*=\\).*|\\1 $2|" convene.conf; }
# Unlimited places: everybody is confirmed, nobody waitlisted.
set_conf capacity 0
set_conf starttls '"none"'

listening() { [ -n "$(ss -Hltn "sport = :$1" 2>/dev/null)" ]; }
random_port() { echo $((20000 + $(od -An -N2 -tu2 /dev/urandom) % 40000)); }

# smtp-sink on a free loopback port, keeping nothing: SINK_PORT, SINK_PID.
start_sink() {
	user=
	[ "$(id -u)" = 0 ] && user="-u nobody"
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		SINK_PORT=$(random_port)
		listening "$SINK_PORT" && continue
		# shellcheck disable=SC2086
		smtp-sink $user "127.0.0.1:$SINK_PORT" 256 >sink.log 2>&1 &
		SINK_PID=$!
		for _ in $(seq 50); do
			listening "$SINK_PORT" && return 0
			kill -0 "$SINK_PID" 2>/dev/null || break
			sleep 0.1
		done
		kill "$SINK_PID" 2>/dev/null || true
		wait "$SINK_PID" 2>/dev/null || true
		SINK_PID=
	done
	echo "send-bench: no free loopback port for smtp-sink" >&2
	exit 1
}

now() { date +%s.%N; }
rate() { awk -v n="$1" -v a="$2" -v b="$3" 'BEGIN { printf "%.0f", n / (b - a) }'; }
median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

# Fill the outbox: the relay is down (nothing listens on the port), so every
# answer stays queued, as after an outage.
python3 "$top/bench/registrations.py" $((n / 2)) var/inbox
port=$(random_port)
while listening "$port"; do port=$(random_port); done
set_conf transport "\"smtp://127.0.0.1:$port\""
"$convenectl" run-once --now 2025-09-01T08:00:00Z >fill.out 2>fill.log || true
# shellcheck disable=SC2046 # "ROWS OCTETS" into $1 and $2
set -- $("$top/bench/outbox-size" convene.conf)
if [ "$1" != "$n" ]; then
	echo "send-bench: $1 rows queued, not $n:" >&2
	cat fill.out >&2
	exit 1
fi
size=$(($2 / $1))
cp -a var/state state.filled

start_sink
set_conf transport "\"smtp://127.0.0.1:$SINK_PORT\""

# smtp-source: -s 1 is one session at a time, as convene; -l is the payload
# alone, so its messages are a little larger than convene's (its own
# headers come on top).
from=register@campus.example.org
to=attendee@example.org
source_one() { # M: M messages over one connection each
	smtp-source -s 1 -m "$1" -l "$size" -f "$from" -t "$to" "127.0.0.1:$SINK_PORT"
}
source_batched() { # M: M messages, $batch per connection, as convene
	left=$1
	while [ "$left" -gt 0 ]; do
		m=$((left < batch ? left : batch))
		smtp-source -s 1 -d -m "$m" -l "$size" -f "$from" -t "$to" "127.0.0.1:$SINK_PORT"
		left=$((left - m))
	done
}

# The three take turns within each round, so that whatever else the machine
# is doing weighs on all three alike.
convene_rates='' source_rates='' batch_rates='' ratios='' batch_ratios=''
for r in $(seq "$rounds"); do
	rm -rf var/state
	cp -a state.filled var/state
	sync
	t0=$(now)
	"$convenectl" run-once --now 2025-09-01T08:05:00Z >run.out 2>run.log || true
	t1=$(now)
	if ! grep -q "; $n sent, 0 deferred, 0 failed" run.out; then
		echo "send-bench: round $r did not send every row:" >&2
		cat run.out >&2
		tail -3 run.log >&2
		exit 1
	fi
	c=$(rate "$n" "$t0" "$t1")
	t0=$(now)
	source_one "$n"
	t1=$(now)
	s=$(rate "$n" "$t0" "$t1")
	t0=$(now)
	source_batched "$n"
	t1=$(now)
	b=$(rate "$n" "$t0" "$t1")
	convene_rates="$convene_rates $c"
	source_rates="$source_rates $s"
	batch_rates="$batch_rates $b"
	ratios="$ratios $(ratio "$c" "$s")"
	batch_ratios="$batch_ratios $(ratio "$c" "$b")"
done

# shellcheck disable=SC2086
convene=$(median $convene_rates)
# shellcheck disable=SC2086
source=$(median $source_rates)
# shellcheck disable=SC2086
source_batch=$(median $batch_rates)
echo "machine:  $(uname -m), $(nproc) cores, $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)"
echo "date:     $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "messages: $n queued rows ($((n / 2)) registrations: a confirmation and an itinerary each), $size octets on average on the wire"
echo "rates:    messages/s, median of $rounds rounds (each round's figure in brackets)"
echo "  convenectl run-once to smtp-sink, $batch rows per session:    $convene   [$convene_rates ]"
echo "  smtp-source -s 1 -m $n -l $size, a connection per message:  $source   [$source_rates ]"
echo "  smtp-source -s 1 -d -m $batch -l $size, $batch per connection:  $source_batch   [$batch_rates ]"
# shellcheck disable=SC2086
echo "ratio:    convene / smtp-source -s 1: $(median $ratios)   [$ratios ]"
# shellcheck disable=SC2086
echo "          convene / smtp-source $batch per connection: $(median $batch_ratios)   [$batch_ratios ]"
echo "          (each the median of the rounds' own ratios; target: 0.8 or more)"
