#!/bin/sh
# SPDX-License-Identifier: ISC
# Capacity is live: raised, it gives its new places to those who waited, in
# the order they asked, before any newcomer; lowered, it takes nobody's
# place. check-config compares the configuration with the registrations it
# will serve, and the templates with the contexts they get.
. "$(dirname "$0")/lib.sh"
plan 26

form() { # NAME ACTIVITIES
	printf 'Name: %s\nOrganisation: Test Org\nCountry: FI\nActivities: %s\n' "$1" "$2"
}
now=2025-09-01T08:00:00Z
run() { ctl run-once --now "$now"; }
line_of() { grep -n "$1" "$T/convene.conf" | head -1 | cut -d: -f1; }

# --- a capacity raised -------------------------------------------------------
set_activity visit-le-poool capacity 2
for who in anna bela cora dana; do
	write_mail "$who@example.fi" Registration "$(form "$who" 'kickoff-meeting, visit-le-poool')"
	run
done
ctl export --format json
check 'capacity 2: two places taken, cora then dana waiting' jq -e '[.[] | select(.waitlist == ["visit-le-poool"]) | .email] == ["cora@example.fi","dana@example.fi"]' "$T/out"

set_activity visit-le-poool capacity 4
write_mail eve@example.fi Registration "$(form eve 'visit-le-poool')"
run
ctl export --format json
cp "$T/out" "$T/e2.json"
check 'raised to 4: both who waited hold a place' jq -e '[.[] | select(.activities | index("visit-le-poool")) | .email] == ["anna@example.fi","bela@example.fi","cora@example.fi","dana@example.fi"]' "$T/e2.json"
check 'the newcomer waits behind them' jq -e '.[] | select(.email == "eve@example.fi") | .waitlist == ["visit-le-poool"] and .activities == []' "$T/e2.json"
ctl queue --format json
check 'each is told, in the order they asked' jq -e '[.[] | select(.kind == "promoted") | .recipient] == ["cora@example.fi","dana@example.fi"]' "$T/out"
check 'and before the newcomer is answered' jq -e '([.[] | select(.kind == "promoted")] | map(.id) | max) < ([.[] | select(.recipient == "eve@example.fi")] | map(.id) | min)' "$T/out"
last_to dana@example.fi >"$T/dana.txt"
check 'the "promoted" mail names the visit' sh -c "grep -q '^Subject: A place for you' '$T/dana.txt' && grep -q 'Le Poool' '$T/dana.txt'"
last_to eve@example.fi >"$T/eve.txt"
check 'the newcomer is told she is first on the list' grep -q 'number 1 on the list' "$T/eve.txt"
ctl stats --format json
check 'stats: 4 of 4 taken, 1 waiting' jq -e '.activities[] | select(.id == "visit-le-poool") | .taken == 4 and .capacity == 4 and .waiting == 1' "$T/out"

set_activity visit-le-poool capacity 5
write_mail fred@example.fi Registration "$(form fred 'visit-le-poool')"
run
ctl export --format json
check 'raised again while a newcomer writes: the one who waited comes first' jq -e '(.[] | select(.email == "eve@example.fi") | .activities == ["visit-le-poool"]) and (.[] | select(.email == "fred@example.fi") | .waitlist == ["visit-le-poool"])' "$T/out"
run
ctl queue --format json
check 'a run with nothing raised promotes nobody again' jq -e '[.[] | select(.kind == "promoted")] | length == 3' "$T/out"

# --- convened: at a reload ------------------------------------------------------
DAEMON_PID=
trap '[ -n "$DAEMON_PID" ] && kill -KILL "$DAEMON_PID" 2>/dev/null; cleanup' EXIT
"$top_builddir/src/convened" -f --now "$now" >"$T/daemon.log" 2>&1 &
DAEMON_PID=$!
for _ in $(seq 100); do grep -q 'event=started' "$T/daemon.log" && break; sleep 0.1; done
cp "$T/convene.conf" "$T/before-reload.conf"
set_activity visit-le-poool capacity 6
kill -HUP "$DAEMON_PID"
fred_promoted() {
	for _ in $(seq 100); do
		ctl show fred@example.fi --format json
		jq -e '.activities == ["visit-le-poool"]' "$T/out" >/dev/null && return 0
		sleep 0.1
	done
	return 1
}
check 'convened: SIGHUP with a higher capacity promotes the one waiting' fred_promoted
for _ in $(seq 50); do grep -q 'event=capacity-promoted' "$T/daemon.log" && break; sleep 0.1; done
check 'and says so in its log' grep -q 'event=capacity-promoted.*people=1' "$T/daemon.log"
awk '/^activity "visit-le-poool"/ { skip = 1 } !skip { print } skip && /^}/ { skip = 0 }' "$T/before-reload.conf" >"$T/convene.conf"
kill -HUP "$DAEMON_PID"
for _ in $(seq 50); do grep -q 'event=reload-refused' "$T/daemon.log" && break; sleep 0.1; done
check 'a reload that removes a held activity is refused, and logged' grep -q 'event=reload-refused.*visit-le-poool' "$T/daemon.log"
kill -TERM "$DAEMON_PID"
wait "$DAEMON_PID"
DAEMON_PID=
cp "$T/before-reload.conf" "$T/convene.conf"

# --- a capacity lowered ------------------------------------------------------
set_activity visit-le-poool capacity 3
ctl check-config
check 'check-config: a capacity below the places taken is a warning, exit 0' test "$status" = 0
cap_line=$(awk '/^activity "visit-le-poool"/ { on = 1 } on && $1 == "capacity" { print NR; exit }' "$T/convene.conf")
check 'with its line, the activity and the count' grep -q "convene.conf:$cap_line: warning: activity \"visit-le-poool\": capacity 3 is below the 6 places taken" "$T/err"
check 'and still "configuration OK"' grep -q 'configuration OK' "$T/out"
run
ctl export --format json
check 'nobody loses a place' jq -e '[.[] | select(.activities | index("visit-le-poool"))] | length == 6' "$T/out"
ctl digest organisers --now "$now"
run
body_of "$(notice_to events@bretagne-next.example.org '^Preview')" >"$T/digest.txt"
check 'the organisers digest reports it' grep -q 'Le Poool / La French Tech Rennes: 6 places taken, 3 more than its capacity of 3' "$T/digest.txt"
part_of "$(notice_to events@bretagne-next.example.org '^Preview')" text/html >"$T/digest.html"
check 'its HTML too' grep -q '6 places taken, 3 more than its capacity of 3' "$T/digest.html"

# --- a country limit that now excludes holders ------------------------------
awk '/^activity "visit-le-poool"/ { print; print "\tcountries = {\"RO\"}"; next } { print }' "$T/convene.conf" >"$T/c.new" && mv "$T/c.new" "$T/convene.conf"
ctl check-config
check 'a country limit excluding holders: a warning naming them' sh -c "test $status = 0 && grep -q 'warning: activity \"visit-le-poool\": countries now exclude attendees holding it: anna@example.fi, bela@example.fi, cora@example.fi, dana@example.fi, eve@example.fi, fred@example.fi' '$T/err'"
cp "$T/convene.conf" "$T/with-countries.conf"

# --- an activity removed while people hold it ----------------------------------
awk '/^activity "visit-le-poool"/ { skip = 1 } !skip { print } skip && /^}/ { skip = 0 }' "$T/with-countries.conf" >"$T/convene.conf"
ctl check-config
check 'an activity removed while held: an error, exit 78' test "$status" = 78
check 'naming the activity and who holds it' grep -q 'activity "visit-le-poool" is no longer in the configuration (removed or renamed), but attendees hold it: anna@example.fi, bela@example.fi, cora@example.fi, dana@example.fi, eve@example.fi, fred@example.fi' "$T/err"
check 'no "configuration OK"' test ! -s "$T/out"
check 'convened refuses to start on it' sh -c "timeout 30 '$top_builddir/src/convened' -f --now '$now' >'$T/daemon.log' 2>&1; test \$? = 78 && grep -q 'visit-le-poool' '$T/daemon.log'"

# --- a template typo --------------------------------------------------------
cp "$T/with-countries.conf" "$T/convene.conf"
rm templates
cp -r "$top_srcdir/templates" templates
chmod -R u+w templates
sed -i 's/{{attendee\.name}}/{{attendee.nmae}}/' templates/en/registered.txt
typo_line=$(grep -n 'attendee.nmae' templates/en/registered.txt | head -1 | cut -d: -f1)
ctl check-config
check 'a template typo is an error with its file and line' sh -c "test $status = 78 && grep -q 'templates/en/registered.txt:$typo_line: {{attendee.nmae}}: no such variable here' '$T/err'"
rm templates/fr/promoted.txt
ctl check-config
check 'a kind missing in one language is an error' grep -q 'templates/fr/promoted.txt' "$T/err"
finish
