#!/bin/sh
# SPDX-License-Identifier: ISC
# The store over time (issue #17, part 8). Simulates an event of ATTENDEES
# people (10,000 unless told) over DAYS days (30) ending on the CAMPUS
# kick-off's last day: registrations come in over the first third, then
# every day a share of the attendees write (a STATUS, a change of diet or of
# activities), and `convenectl run-once --now` runs at 07:00 (the day's
# programme on event days), 12:00 (the day's mail) and 18:00 (the
# organisers' digest), sending to a local smtp-sink that keeps nothing.
# After each day it prints the data file's size, the size of a compacted
# copy (`convenectl backup`: what the store holds), the outbox, and the
# largest RSS of the day's runs with the largest heap within it. Record the
# figures in bench/RESULTS.md.
#
#   sh bench/store-growth.sh [ATTENDEES [DAYS]]
#   KEEP=N sh bench/store-growth.sh     limits.keep-sent-days (7 unless told,
#                                       so that the purge shows within DAYS)
#   WRITERS=P                           percent of attendees writing each day (10)
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
attendees=${1:-10000}
days=${2:-30}
keep=${KEEP:-7}
writers=${WRITERS:-10}
PATH=$PATH:/usr/sbin
for tool in smtp-sink python3 ss pgrep /usr/bin/time; do
	command -v "$tool" >/dev/null 2>&1 || { echo "store-growth: needs $tool" >&2; exit 1; }
done
make -s src/convenectl
convenectl=$top/src/convenectl

W=$(mktemp -d "${TMPDIR:-/tmp}/store-growth.XXXXXX")
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
set_conf capacity 0
set_conf starttls '"none"'
set_conf policy '"open"'
set_conf registration-deadline '"2025-09-17T23:59"'
set_conf replies-per-sender-per-hour 0
sed -i "s/^limits {/limits {\n\tkeep-sent-days = $keep/" convene.conf

listening() { [ -n "$(ss -Hltn "sport = :$1" 2>/dev/null)" ]; }
user=
[ "$(id -u)" = 0 ] && user="-u nobody"
for _ in 1 2 3 4 5 6 7 8 9 10; do
	port=$((20000 + $(od -An -N2 -tu2 /dev/urandom) % 40000))
	listening "$port" && continue
	# shellcheck disable=SC2086
	smtp-sink $user "127.0.0.1:$port" 256 >sink.log 2>&1 &
	SINK_PID=$!
	for _ in $(seq 50); do
		listening "$port" && break
		sleep 0.1
	done
	listening "$port" && break
	kill "$SINK_PID" 2>/dev/null || true
	wait "$SINK_PID" 2>/dev/null || true
	SINK_PID=
done
[ -n "$SINK_PID" ] || { echo "store-growth: no free port for smtp-sink" >&2; exit 1; }
set_conf transport "\"smtp://127.0.0.1:$port\""

# mail DAY FIRST LAST KIND: writes the day's mail of attendees FIRST..LAST
# into the intake: KIND "register", or "answer" (a STATUS, a change of
# diet, or a change of activities, in turn).
mail() {
	python3 - "$@" var/inbox <<'PY'
import os, sys
day, first, last, kind, maildir = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
for sub in ("tmp", "new", "cur"):
    os.makedirs(os.path.join(maildir, sub), exist_ok=True)
acts = ["kickoff-meeting, visit-le-poool, next-steps-workshop",
        "kickoff-meeting, visit-orange-cyberdefense, local-ecosystem-talks"]
for i in range(first, last + 1):
    who = "attendee%05d@example.org" % i
    if kind == "register":
        subject = "Registration"
        body = ("Name: Attendee %d\nOrganisation: Partner %d\nCountry: FI\n"
                "Activities: %s\nDiet: vegetarian\n" % (i, i % 40, acts[i % 2]))
    else:
        turn = (i + day) % 3
        subject = ["STATUS", "Update", "Update"][turn]
        body = ["STATUS\n", "Diet: %s\n" % ["vegan", "no pork", "none"][day % 3],
                "Activities: %s\n" % acts[(i + day) % 2]][turn]
    name = "d%02d.%s.%d" % (day, kind, i)
    text = ("From: Attendee %d <%s>\nTo: register@campus.example.org\nSubject: %s\n"
            "Message-ID: <%s@example.org>\nDate: Mon, 1 Sep 2025 10:00:00 +0200\n\n%s"
            % (i, who, subject, name, body))
    path = os.path.join(maildir, "tmp", name)
    with open(path, "w") as f:
        f.write(text)
    os.rename(path, os.path.join(maildir, "new", name))
PY
}

# run AT: one run-once at that instant (event time: +02:00). Its peak RSS
# (KiB, from time(1)) goes to the day's list, and the largest heap
# (RssAnon, sampled at 20 Hz: the rest of RSS is the mapped store, which
# the kernel may drop at will) to another.
run() {
	/usr/bin/time -f %M -o rss.one "$convenectl" run-once --now "$1+02:00" >run.out 2>run.log &
	timer=$!
	anon=0
	while kill -0 "$timer" 2>/dev/null; do
		for pid in $(pgrep -P "$timer"); do
			a=$(awk '/^RssAnon:/ { print $2 }' "/proc/$pid/status" 2>/dev/null || true)
			[ -n "$a" ] && [ "$a" -gt "$anon" ] && anon=$a
		done
		sleep 0.05
	done
	wait "$timer" ||
		{ echo "store-growth: run-once at $1 failed:" >&2; tail -3 run.log >&2; exit 1; }
	day_rss="$day_rss $(cat rss.one)"
	day_anon="$day_anon $anon"
	grep -h 'event=purged' run.log >>purged.log || true
}
mib() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'; }

echo "machine:    $(uname -m), $(nproc) cores, $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)"
echo "date:       $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "event:      $attendees attendees, $days days ending 2025-09-17, keep-sent-days $keep, $writers% writing each day"
printf '%-10s %9s %7s %7s %12s %12s %10s %10s %7s\n' day attendees rows sent data.mdb compacted peak-RSS "of it heap" seconds
registering=$(((days + 2) / 3))
per_day=$(((attendees + registering - 1) / registering))
registered=0
start=$(date -d 2025-09-17 +%s)
for d in $(seq 1 "$days"); do
	date=$(date -u -d "@$((start - (days - d) * 86400))" +%Y-%m-%d)
	day_rss='' day_anon=''
	t0=$(date +%s.%N)
	run "${date}T07:00:00"
	if [ "$registered" -lt "$attendees" ]; then
		last=$((registered + per_day))
		[ "$last" -gt "$attendees" ] && last=$attendees
		mail "$d" $((registered + 1)) "$last" register
		registered=$last
	fi
	if [ "$registered" -gt 0 ]; then
		n=$((registered * writers / 100))
		from=$(((d * 7919) % registered + 1))
		to=$((from + n - 1))
		if [ "$to" -gt "$registered" ]; then
			mail "$d" "$from" "$registered" answer
			[ "$n" -gt 0 ] && mail "$d" 1 $((to - registered)) answer
		elif [ "$n" -gt 0 ]; then
			mail "$d" "$from" "$to" answer
		fi
	fi
	run "${date}T12:00:00"
	run "${date}T18:00:00"
	t1=$(date +%s.%N)
	"$convenectl" queue --format json >queue.json
	rm -f copy.mdb
	"$convenectl" backup copy.mdb >/dev/null
	rss=$(printf '%s\n' $day_rss | sort -n | tail -1)
	anon=$(printf '%s\n' $day_anon | sort -n | tail -1)
	# shellcheck disable=SC2046 # "ROWS SENT"
	set -- $(python3 -c 'import json; q = json.load(open("queue.json")); print(len(q), sum(r["state"] == "sent" for r in q))')
	printf '%-10s %9s %7s %7s %8s MiB %8s MiB %6s MiB %6s MiB %7s\n' "$date" "$registered" "$1" \
		"$2" "$(mib "$(stat -c %s var/state/data.mdb)")" "$(mib "$(stat -c %s copy.mdb)")" \
		"$(awk -v k="$rss" 'BEGIN { printf "%.1f", k / 1024 }')" \
		"$(awk -v k="$anon" 'BEGIN { printf "%.1f", k / 1024 }')" \
		"$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')"
done
echo "purges:"
sed 's/^/  /' purged.log 2>/dev/null || true
