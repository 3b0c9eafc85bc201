#!/bin/sh
# SPDX-License-Identifier: ISC
# Places are limited, some visits are for one delegation only, and under
# the "confirm" policy nobody is registered, cancelled or acted for without
# the round trip to their own address.
. "$(dirname "$0")/lib.sh"
plan 30

form() { # NAME COUNTRY ACTIVITIES
	printf 'Name: %s\nOrganisation: Test Org\nCountry: %s\nActivities: %s\n' "$1" "$2" "$3"
}
now=2025-09-01T08:00:00Z
run() { ctl run-once --now "$now"; }

# --- capacity and the waiting list ---------------------------------------
set_activity visit-le-poool capacity 2
for who in anna bela cora; do
	write_mail "$who@example.fi" Registration "$(form "$who" FI 'kickoff-meeting, visit-le-poool')"
done
run
ctl export --format json
cp "$T/out" "$T/e1.json"
check 'capacity 2: the first two get the places' jq -e '[.[] | select(.activities | index("visit-le-poool"))] | map(.email) == ["anna@example.fi","bela@example.fi"]' "$T/e1.json"
check 'the third waits, and keeps the rest of the registration' jq -e '.[] | select(.email == "cora@example.fi") | .waitlist == ["visit-le-poool"] and .activities == ["kickoff-meeting"] and .status == "confirmed"' "$T/e1.json"
last_to cora@example.fi >"$T/cora.txt"
check 'she is told she waits, and her position' sh -c "grep -q 'on the waiting list' '$T/cora.txt' && grep -q 'number 1 on the list' '$T/cora.txt'"
ctl stats --format json
check 'stats show 2 of 2 taken and 1 waiting' jq -e '.activities[] | select(.id == "visit-le-poool") | .taken == 2 and .capacity == 2 and .waiting == 1' "$T/out"

write_mail anna@example.fi CANCEL ''
run
ctl export --format json
check 'a cancellation promotes the first waiting' jq -e '.[] | select(.email == "cora@example.fi") | .activities == ["kickoff-meeting","visit-le-poool"] and .waitlist == []' "$T/out"
last_to cora@example.fi >"$T/cora2.txt"
check 'who gets a "promoted" mail with her new programme' sh -c "grep -q '^Subject: A place for you' '$T/cora2.txt' && grep -q 'Visit: Le Poool' '$T/cora2.txt'"
check 'never more than 2 hold the places' jq -e '[.[] | select(.activities | index("visit-le-poool"))] | length == 2' "$T/out"

write_mail dora@example.fi Registration "$(form dora FI 'visit-le-poool')"
write_mail bela@example.fi UPDATE 'Activities: kickoff-meeting'
run
ctl export --format json
check 'an update that drops the activity frees the place for the next' jq -e '.[] | select(.email == "dora@example.fi") | .activities == ["visit-le-poool"]' "$T/out"

# --- eligibility -----------------------------------------------------------
write_mail eero@example.fi Registration "$(form 'Eero Virtanen' Finland 'kickoff-meeting, study-visit-sekoia')"
run
ctl show eero@example.fi --format json
check 'a Finn asking for the Romanian study visit keeps the rest' jq -e '.activities == ["kickoff-meeting"] and .status == "confirmed"' "$T/out"
last_to eero@example.fi >"$T/eero.txt"
check 'and is told why that visit was refused' grep -q 'study-visit-sekoia: open to participants from RO only' "$T/eero.txt"
write_mail ioana@example.ro Registration "$(form 'Ioana Stan' Romania 'study-visit-sekoia')"
run
ctl show ioana@example.ro --format json
check 'a Romanian gets it' jq -e '.activities == ["study-visit-sekoia"]' "$T/out"

# --- two processes racing for the last places -------------------------------
set_activity visit-orange-cyberdefense capacity 3
for i in $(seq 1 12); do
	write_mail "racer$i@example.hu" Registration "$(form "Racer $i" HU 'visit-orange-cyberdefense')"
done
"$CONVENECTL" run-once --now "$now" >"$T/race1" 2>&1 &
p1=$!
"$CONVENECTL" run-once --now "$now" >"$T/race2" 2>&1 &
p2=$!
wait $p1 $p2
ctl export --format json
check 'two processes at once never oversubscribe' jq -e '[.[] | select(.activities | index("visit-orange-cyberdefense"))] | length == 3' "$T/out"
check 'and register each racer once, the rest waiting' jq -e '[.[] | select(.email | startswith("racer"))] | length == 12 and ([.[] | select(.waitlist | index("visit-orange-cyberdefense"))] | length == 9)' "$T/out"
answered_once=0
for i in $(seq 1 12); do
	[ "$(mails_to "racer$i@example.hu")" = 1 ] && answered_once=$((answered_once + 1))
done
check 'each racer got exactly one answer' test "$answered_once" = 12

# --- the confirm policy ------------------------------------------------------
set_conf policy '"confirm"'
write_mail 'Zsofia Nagy <zsofia@example.hu>' Registration "$(form 'Nagy Zsófia' HU 'kickoff-meeting')"
run
ctl show zsofia@example.hu --format json
check 'under confirm, a first message is stored as pending only' jq -e '.status == "pending" and .activities == []' "$T/out"
last_to zsofia@example.hu >"$T/z.txt"
token=$(sed -n 's/^Subject: Please confirm: .*\[\([0-9a-f]*\)\]$/\1/p' "$T/z.txt")
check 'she is asked to confirm, with a token' test "${#token}" = 50
write_mail zsofia@example.hu "CONFIRM 0000000000$(printf '%040d' 7)" ''
run
ctl show zsofia@example.hu --format json
check 'a wrong token confirms nothing' jq -e '.status == "pending"' "$T/out"
write_mail mallory@example.net "Re: Please confirm: CAMPUS kick-off meeting [$token]" ''
run
ctl show zsofia@example.hu --format json
check 'her token from another address confirms nothing' jq -e '.status == "pending"' "$T/out"
write_mail zsofia@example.hu "Re: Please confirm: CAMPUS kick-off meeting [$token]" '> quoted request\n'
run
ctl show zsofia@example.hu --format json
check 'her simple reply confirms: registered' jq -e '.status == "confirmed" and .activities == ["kickoff-meeting"]' "$T/out"
last_to zsofia@example.hu >"$T/z2.txt"
check 'and she is told so' grep -q '^Subject: Registered' "$T/z2.txt"
write_mail zsofia@example.hu "Re: Please confirm: CAMPUS kick-off meeting [$token]" ''
run
last_to zsofia@example.hu >"$T/z3.txt"
check 'the same token again is refused, and said so' grep -q 'matches no request waiting' "$T/z3.txt"

before=$(mails_to eero@example.fi)
mallory_before=$(mails_to mallory@example.net)
write_mail eero@example.fi CANCEL '' 'Reply-To: mallory@example.net'
run
ctl show eero@example.fi --format json
check 'a CANCEL (perhaps forged) cancels nothing by itself' jq -e '.status == "confirmed"' "$T/out"
check 'the confirmation request goes to the real address only' \
	sh -c "test $(mails_to eero@example.fi) = $((before + 1)) && test $(mails_to mallory@example.net) = $mallory_before"

# --- organisers by email --------------------------------------------------------
sent_before=$(sent_count)
write_mail mallory@example.net 'BROADCAST Free drinks' 'Come to the bar.'
write_mail mallory@example.net 'CANCEL cora@example.fi' ''
run
check 'organiser commands from a non-organiser send nothing at all' test "$(sent_count)" = "$sent_before"
write_mail events@bretagne-next.example.org 'CANCEL cora@example.fi' '' 'Reply-To: mallory@example.net'
run
check 'an organiser command asks the organiser address, never the Reply-To' \
	sh -c "test $(mails_to events@bretagne-next.example.org) = 1 && test $(mails_to mallory@example.net) = $mallory_before"
ctl show cora@example.fi --format json
check 'and does nothing before it is confirmed' jq -e '.status == "confirmed"' "$T/out"
otoken=$(last_to events@bretagne-next.example.org | sed -n 's/^Subject: .*\[\([0-9a-f]*\)\]$/\1/p')
write_mail events@bretagne-next.example.org "Re: Please confirm [$otoken]" ''
run
ctl show cora@example.fi --format json
check 'once confirmed, the organiser cancels Cora' jq -e '.status == "cancelled"' "$T/out"
last_to cora@example.fi >"$T/cora3.txt"
check 'who is told the organisers cancelled it' grep -q 'The organisers (events@bretagne-next.example.org) have cancelled it' "$T/cora3.txt"

# --- the deadline ---------------------------------------------------------------
set_conf policy '"open"'
now=2025-09-11T08:00:00Z
write_mail late@example.it Registration "$(form 'Late Comer' Italy 'kickoff-meeting')"
write_mail dora@example.fi UPDATE 'Diet: vegan'
run
ctl export --format json
last_to late@example.it >"$T/late.txt"
check 'after the deadline a newcomer is refused politely' sh -c "jq -e 'all(.[]; .email != \"late@example.it\")' '$T/out' >/dev/null && grep -q 'closed on Wednesday 10 September 2025, 23:59; please write to the organisers at events@bretagne-next.example.org' '$T/late.txt'"
check 'while an update still works' jq -e '.[] | select(.email == "dora@example.fi") | .diet == "vegan"' "$T/out"
finish
