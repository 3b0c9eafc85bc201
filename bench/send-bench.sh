#!/bin/sh
# SPDX-License-Identifier: ISC
# Sending benchmark (issues #4 and #17). Fills a scratch outbox with real
# rows: MESSAGES/2 registration mails go through the intake with the relay
# down, each leaving a confirmation and an itinerary queued. Then times
# `convenectl run-once` sending them all to a local smtp-sink with
# smtp.sessions = 1 and = 2, beside Postfix's smtp-source sending as many
# messages of the same average size to the same sink (one session, then two
# at once). Then, when a scratch Postfix can be started (as root), times
# run-once sending PF_MESSAGES rows into it (smtpd, cleanup, the queue and
# the discard transport) with CHUNKING offered, as Postfix does by default,
# and turned off (smtpd_discard_ehlo_keywords), with one and two sessions.
# Prints messages per second and the ratios; record them in
# bench/RESULTS.md.
#
#   sh bench/send-bench.sh [MESSAGES]        MESSAGES: even, 10000 unless told
#   ROUNDS=N sh bench/send-bench.sh          median of N rounds (5 unless told)
#   PF_MESSAGES=N                            rows sent into Postfix (2000; 0: none)
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
n=${1:-10000}
rounds=${ROUNDS:-5}
pf_n=${PF_MESSAGES:-2000}
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
POSTFIX=
cleanup() {
	if [ -n "$SINK_PID" ]; then
		kill "$SINK_PID" 2>/dev/null || true
		wait "$SINK_PID" 2>/dev/null || true
	fi
	if [ -n "$POSTFIX" ]; then
		postfix -c "$POSTFIX" stop >/dev/null 2>&1 || true
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
sed -i 's/^smtp {/smtp {\n\tsessions = 1/' convene.conf

listening() { [ -n "$(ss -Hltn "sport = :$1" 2>/dev/null)" ]; }
random_port() {
	p=$((20000 + $(od -An -N2 -tu2 /dev/urandom) % 40000))
	while listening "$p"; do p=$((20000 + $(od -An -N2 -tu2 /dev/urandom) % 40000)); done
	echo "$p"
}

# smtp-sink on a free loopback port, keeping nothing: SINK_PORT, SINK_PID.
start_sink() {
	user=
	[ "$(id -u)" = 0 ] && user="-u nobody"
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		SINK_PORT=$(random_port)
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

# fill ROWS DIR: a scratch outbox of ROWS rows, saved as DIR. The relay is
# down (nothing listens on its port), so every answer stays queued, as
# after an outage. Sets size to their average size on the wire.
fill() {
	rm -rf var
	python3 "$top/bench/registrations.py" $(($1 / 2)) var/inbox
	set_conf transport "\"smtp://127.0.0.1:$(random_port)\""
	"$convenectl" run-once --now 2025-09-01T08:00:00Z >fill.out 2>fill.log || true
	# shellcheck disable=SC2046 # "ROWS OCTETS" after ROWS and DIR
	set -- "$1" "$2" $("$top/bench/outbox-size" convene.conf)
	if [ "$3" != "$1" ]; then
		echo "send-bench: $3 rows queued, not $1:" >&2
		cat fill.out >&2
		exit 1
	fi
	size=$(($4 / $3))
	rm -rf "$2"
	cp -a var/state "$2"
}

# send ROWS DIR SESSIONS: one timed run-once sending every row of the
# outbox saved as DIR with smtp.sessions = SESSIONS; prints its rate.
send() {
	sed -i "s/^\\([[:space:]]*sessions[[:space:]]*=\\).*/\\1 $3/" convene.conf
	rm -rf var/state
	cp -a "$2" var/state
	sync
	t0=$(now)
	"$convenectl" run-once --now 2025-09-01T08:05:00Z >run.out 2>run.log || true
	t1=$(now)
	if ! grep -q "; $1 sent, 0 deferred, 0 failed" run.out; then
		echo "send-bench: a run did not send every row:" >&2
		cat run.out >&2
		tail -3 run.log >&2
		exit 1
	fi
	rate "$1" "$t0" "$t1"
}

fill "$n" state.filled
start_sink
set_conf transport "\"smtp://127.0.0.1:$SINK_PORT\""

# smtp-source: -s is the sessions at once; -l is the payload alone, so its
# messages are a little larger than convene's (its own headers come on
# top).
from=register@campus.example.org
to=attendee@example.org
source_one() { # M: M messages over one connection each
	smtp-source -s 1 -m "$1" -l "$size" -f "$from" -t "$to" "127.0.0.1:$SINK_PORT"
}
source_batched() { # SESSIONS M: M messages, $batch per connection, SESSIONS at once
	left=$2
	while [ "$left" -gt 0 ]; do
		m=$((left < $1 * batch ? left : $1 * batch))
		smtp-source -s "$1" -d -m "$m" -l "$size" -f "$from" -t "$to" "127.0.0.1:$SINK_PORT"
		left=$((left - m))
	done
}
timed() { # RATE-OF COMMAND...: runs it, prints messages/s for $n
	t0=$(now)
	"$@"
	t1=$(now)
	rate "$n" "$t0" "$t1"
}

# They take turns within each round, so that whatever else the machine is
# doing weighs on all alike.
one='' two='' src='' src1='' src2=''
r_one='' r_batch='' r_two='' r_sessions=''
for _ in $(seq "$rounds"); do
	c1=$(send "$n" state.filled 1)
	c2=$(send "$n" state.filled 2)
	s=$(timed source_one "$n")
	b1=$(timed source_batched 1 "$n")
	b2=$(timed source_batched 2 "$n")
	one="$one $c1" two="$two $c2" src="$src $s" src1="$src1 $b1" src2="$src2 $b2"
	r_one="$r_one $(ratio "$c1" "$s")"
	r_batch="$r_batch $(ratio "$c1" "$b1")"
	r_two="$r_two $(ratio "$c2" "$b2")"
	r_sessions="$r_sessions $(ratio "$c2" "$c1")"
done

echo "machine:  $(uname -m), $(nproc) cores, $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)"
echo "date:     $(date -u +%Y-%m-%dT%H:%M:%SZ), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "messages: $n queued rows ($((n / 2)) registrations: a confirmation and an itinerary each), $size octets on average on the wire"
echo "rates:    messages/s, median of $rounds rounds (each round's figure in brackets)"
# shellcheck disable=SC2086
{
	echo "  convenectl run-once to smtp-sink, sessions = 1:              $(median $one)   [$one ]"
	echo "  convenectl run-once to smtp-sink, sessions = 2:              $(median $two)   [$two ]"
	echo "  smtp-source -s 1 -l $size, a connection per message:         $(median $src)   [$src ]"
	echo "  smtp-source -s 1 -d, $batch per connection:                     $(median $src1)   [$src1 ]"
	echo "  smtp-source -s 2 -d, $batch per connection, two at once:        $(median $src2)   [$src2 ]"
	echo "ratio:    sessions = 1 / smtp-source -s 1:                  $(median $r_one)   [$r_one ]"
	echo "          sessions = 1 / smtp-source -s 1, $batch per connection: $(median $r_batch)   [$r_batch ]"
	echo "          sessions = 2 / smtp-source -s 2, $batch per connection: $(median $r_two)   [$r_two ]"
	echo "          sessions = 2 / sessions = 1:                      $(median $r_sessions)   [$r_sessions ]"
	echo "          (each the median of the rounds' own ratios; target against smtp-source: 0.8 or more)"
}

# Into a scratch Postfix, CHUNKING offered or not.
[ "$pf_n" -gt 0 ] || exit 0
if [ "$(id -u)" != 0 ] || ! command -v postfix >/dev/null 2>&1; then
	echo "postfix:  skipped (a scratch Postfix needs root and postfix)"
	exit 0
fi
pf_port=$(random_port)
pf=$W/postfix
mkdir -p "$pf/etc" "$pf/queue" "$pf/data"
chown postfix "$pf/data"
{
	echo "compatibility_level = 3.6"
	echo "queue_directory = $pf/queue"
	echo "data_directory = $pf/data"
	echo "mail_owner = postfix"
	echo "setgid_group = postdrop"
	echo "inet_interfaces = 127.0.0.1"
	echo "inet_protocols = ipv4"
	echo "myhostname = relay.campus.example.org"
	echo "mydestination ="
	echo "relay_domains ="
	echo "mynetworks = 127.0.0.0/8"
	echo "smtpd_relay_restrictions = permit_mynetworks, reject"
	echo "default_transport = discard"
	echo "maillog_file = $pf/maillog"
	echo "maillog_file_prefixes = $pf"
	echo "alias_maps ="
	echo "alias_database ="
} >"$pf/etc/main.cf"
{
	echo "127.0.0.1:$pf_port inet n - n - - smtpd"
	echo "pickup    unix n - n 60 1 pickup"
	echo "cleanup   unix n - n - 0 cleanup"
	echo "qmgr      unix n - n 300 1 qmgr"
	echo "rewrite   unix - - n - - trivial-rewrite"
	echo "bounce    unix - - n - 0 bounce"
	echo "defer     unix - - n - 0 bounce"
	echo "trace     unix - - n - 0 bounce"
	echo "verify    unix - - n - 1 verify"
	echo "discard   unix - - n - - discard"
	echo "proxymap  unix - - n - - proxymap"
	echo "anvil     unix - - n - 1 anvil"
	echo "scache    unix - - n - 1 scache"
	echo "postlog   unix-dgram n - n - 1 postlogd"
	echo "showq     unix n - n - - showq"
	echo "flush     unix n - n 1000? 0 flush"
} >"$pf/etc/master.cf"
if ! postfix -c "$pf/etc" start >postfix.out 2>&1; then
	echo "postfix:  skipped (a scratch Postfix did not start: $(tail -1 postfix.out))"
	exit 0
fi
POSTFIX=$pf/etc
for _ in $(seq 50); do
	listening "$pf_port" && break
	sleep 0.1
done
chunking() { # on|off
	sed -i '/^smtpd_discard_ehlo_keywords/d' "$pf/etc/main.cf"
	if [ "$1" = off ]; then
		echo 'smtpd_discard_ehlo_keywords = chunking' >>"$pf/etc/main.cf"
	fi
	postfix -c "$pf/etc" reload >/dev/null 2>&1
	sleep 1
}
fill "$pf_n" state.postfix
set_conf transport "\"smtp://127.0.0.1:$pf_port\""
on1='' on2='' off1='' off2='' r1='' r2=''
for _ in $(seq "$rounds"); do
	chunking on
	a=$(send "$pf_n" state.postfix 1)
	b=$(send "$pf_n" state.postfix 2)
	chunking off
	c=$(send "$pf_n" state.postfix 1)
	d=$(send "$pf_n" state.postfix 2)
	on1="$on1 $a" on2="$on2 $b" off1="$off1 $c" off2="$off2 $d"
	r1="$r1 $(ratio "$a" "$c")" r2="$r2 $(ratio "$b" "$d")"
done
bdat=$(grep -c ' bdat=' "$pf/maillog" || true)
echo "postfix:  $pf_n rows into a scratch Postfix (smtpd, cleanup, queue, discard), $size octets on average"
# shellcheck disable=SC2086
{
	echo "  CHUNKING offered, sessions = 1:  $(median $on1)   [$on1 ]"
	echo "  CHUNKING offered, sessions = 2:  $(median $on2)   [$on2 ]"
	echo "  CHUNKING off,     sessions = 1:  $(median $off1)   [$off1 ]"
	echo "  CHUNKING off,     sessions = 2:  $(median $off2)   [$off2 ]"
	echo "ratio:    offered / off, sessions = 1: $(median $r1)   [$r1 ]"
	echo "          offered / off, sessions = 2: $(median $r2)   [$r2 ]"
	echo "          sessions Postfix saw use BDAT: $bdat (convene sends with DATA)"
}
