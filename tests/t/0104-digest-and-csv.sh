#!/bin/sh
# SPDX-License-Identifier: ISC
# The organisers' digest at 18:00: who registered, changed or cancelled
# since the last one, the figures to prepare for, the problems, in text and
# HTML, with every attendee in a CSV that a CSV reader takes back intact;
# the same CSV from "export --format csv", and digests queued by hand.
. "$(dirname "$0")/lib.sh"
plan 33

# Prints the CSV in $1 as "email|name|organisation|role|status|activities"
# lines, read with Python's csv module.
csv_rows() {
	python3 - "$1" <<'PY'
import csv, sys
raw = open(sys.argv[1], "rb").read()
assert raw.startswith(b"\xef\xbb\xbf"), "no byte order mark"
assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b""), "not CRLF"
with open(sys.argv[1], encoding="utf-8-sig", newline="") as f:
    for r in csv.DictReader(f):
        print("|".join(r[k] for k in ("email", "name", "organisation", "role", "status", "activities")))
PY
}

write_mail 'Ana Popescu <ana@example.ro>' Registration \
	'Name: Ana Popescu\nOrganisation: INATECH SRL\nCountry: RO\nDelegation: Romanian delegation\nActivities: kickoff-meeting, visit-le-poool\nDiet: vegetarian\n'
write_mail 'Kovács Zoltán <zoltan@example.hu>' Registration \
	'Name: Kovács Zoltán\nOrganisation: Óbuda University, Budapest\nCountry: HU\nActivities: kickoff-meeting\nDiet: Vegetarian\nAccessibility: wheelchair access\n'
write_mail 'Đorđe Petrović <djordje@example.rs>' Registration \
	'Name: Đorđe Petrović\nOrganisation: RDA Belgrade & Partners\nCountry: Serbia\nRole: =1+1\nActivities: visit-orange-cyberdefense\nDiet: halal\n'
write_mail 'Nobody <nobody@tamk.example.fi>' Registration \
	'Name: Nobody\nOrganisation: TAMK\nCountry: FI\nActivities: kickoff-meeting\n'
ctl deliver <"$FIXTURES/robot-out-of-office.eml"
ctl deliver <"$FIXTURES/not-mail.eml"
ctl run-once --now 2025-09-01T09:00:00Z
row=$("$CONVENECTL" queue --format json | jq '.[] | select(.recipient == "nobody@tamk.example.fi" and .kind == "registered") | .id')
sed "s/register+bounce-3@campus.example.org/$(verp_of "$row")/" "$FIXTURES/dsn-bounce.eml" >"$T/bounce.eml"
ctl deliver <"$T/bounce.eml"
ctl run-once --now 2025-09-01T10:00:00Z

ctl run-once --now 2025-09-01T15:59:00Z
check "17:59: no digest yet" test "$(queued_count organiser-digest)" = 0
ctl run-once --now 2025-09-01T16:00:00Z
check '18:00: one digest to the organisers' test "$(queued_count organiser-digest events@bretagne-next.example.org)" = 1
digest=$(notice_to events@bretagne-next.example.org "Organisers' digest")
body_of "$digest" >"$T/digest.txt"
check 'it names who registered, with what' \
	sh -c "grep -q '+ Ana Popescu <ana@example.ro>' '$T/digest.txt' && grep -q '+ Đorđe Petrović <djordje@example.rs>' '$T/digest.txt' && grep -q 'Activities: kickoff-meeting, visit-le-poool' '$T/digest.txt'"
check 'the totals' grep -q '4 confirmed, 0 awaiting confirmation, 0 cancelled' "$T/digest.txt"
check 'per day' sh -c "grep -q 'Monday 15 September 2025: 3' '$T/digest.txt' && grep -q 'Tuesday 16 September 2025: 2' '$T/digest.txt'"
check 'per activity, taken of capacity with a bar' \
	sh -c "grep -A1 'Visit: Le Poool' '$T/digest.txt' | grep -q '\\[#\\.*\\] 1 / 25' && grep -A1 \"Partners' kick-off meeting\" '$T/digest.txt' | grep -q '3 (no limit)'"
check 'per country and per delegation' \
	sh -c "grep -q 'HU Hungary: 1' '$T/digest.txt' && grep -q 'RS Serbia: 1' '$T/digest.txt' && grep -q 'Romanian delegation: 1' '$T/digest.txt'"
check 'diets to prepare, grouped, and accessibility needs' \
	sh -c "grep -q 'vegetarian: 2 (Ana Popescu, Kovács Zoltán)' '$T/digest.txt' && grep -q 'halal: 1' '$T/digest.txt' && grep -q 'wheelchair access: 1 (Kovács Zoltán)' '$T/digest.txt'"
check 'problems: the quarantined message, new' grep -q 'Quarantined mail: 1 message(s) in .*/new, 1 new' "$T/digest.txt"
check 'the robot ignored' grep -q 'djordje.petrovic@rda-belgrade.example.rs, .*Auto-Submitted: auto-replied' "$T/digest.txt"
check 'the bounce, with its diagnostic' grep -q "#$row registered to nobody@tamk.example.fi: bounce: 5.1.1" "$T/digest.txt"

part_of "$digest" text/html >"$T/digest.html"
check 'an HTML part with a table' sh -c "grep -q '<table' '$T/digest.html' && grep -q '<td>Visit: Orange Cyberdefense</td>' '$T/digest.html'"
check 'capacity bars' grep -q 'width="4%" style="background: #1a7f37' "$T/digest.html"
check 'values escaped in the HTML' grep -q 'RDA Belgrade &amp; Partners' "$T/digest.html"
check 'the CSV is attached as text/csv' \
	grep -q '^Content-Type: text/csv; charset=utf-8; name=attendees-2025-09-01.csv' "$digest"
part_of "$digest" text/csv >"$T/attached.csv"
csv_rows "$T/attached.csv" >"$T/rows.txt"
check 'a CSV reader finds every attendee, BOM and CRLF' test "$(wc -l <"$T/rows.txt")" = 4
check 'commas and diacritics intact' \
	grep -q '^zoltan@example.hu|Kovács Zoltán|Óbuda University, Budapest||confirmed|kickoff-meeting$' "$T/rows.txt"
check 'a formula is kept from running' grep -q "^djordje@example.rs|Đorđe Petrović|RDA Belgrade & Partners|'=1+1|" "$T/rows.txt"
ctl export --format csv
check 'export --format csv writes the same CSV' cmp "$T/out" "$T/attached.csv"

ctl run-once --now 2025-09-01T16:30:00Z
check 'one digest a day' test "$(queued_count organiser-digest)" = 1

# The next day: one change, one cancellation.
write_mail 'Ana Popescu <ana@example.ro>' Update 'Diet: vegan\n'
write_mail 'Kovács Zoltán <zoltan@example.hu>' CANCEL ''
ctl run-once --now 2025-09-02T08:00:00Z
ctl digest organisers --now 2025-09-02T12:00:00Z
check 'digest organisers queues a preview by hand' \
	sh -c "test $status = 0 && grep -q '^1 message(s) queued' '$T/out'"
ctl run-once --now 2025-09-02T12:00:00Z
body_of "$(notice_to events@bretagne-next.example.org '^Preview')" >"$T/preview.txt"
check 'the preview shows the day so far' grep -q 'Diet: vegetarian -> vegan' "$T/preview.txt"
ctl run-once --now 2025-09-02T16:00:00Z
body_of "$(notice_to events@bretagne-next.example.org "^Organisers' digest")" >"$T/second.txt"
check "the second digest reports only what changed since the first" \
	sh -c "grep -q 'CHANGES SINCE Monday 1 September 2025, 18:00' '$T/second.txt' && ! grep -q '^  + ' '$T/second.txt'"
check 'the change, before and after' grep -q '\* Ana Popescu <ana@example.ro>' "$T/second.txt"
check 'the preview did not keep it from the daily digest' grep -q 'Diet: vegetarian -> vegan' "$T/second.txt"
check 'the cancellation and what it frees' grep -q -- '- Kovács Zoltán <zoltan@example.hu>, .*held: kickoff-meeting' "$T/second.txt"
check 'the quarantined message is no longer new' grep -q 'Quarantined mail: 1 message(s) in .*/new, 0 new' "$T/second.txt"

ctl digest organisers --date 2025-09-01 --now 2025-09-02T17:00:00Z
ctl run-once --now 2025-09-02T17:00:00Z
body_of "$(notice_to events@bretagne-next.example.org '^Preview')" >"$T/resent.txt"
check "--date re-sends a day's digest: Monday's registrations, not Tuesday's change" \
	sh -c "grep -q '+ Ana Popescu' '$T/resent.txt' && ! grep -q 'vegetarian -> vegan' '$T/resent.txt'"
ctl digest programme --date 2025-09-16 --now 2025-09-02T17:00:00Z
check 'digest programme --date queues that day for those who come' \
	sh -c "grep -q '^2 message(s) queued' '$T/out' && test $(queued_count daily-programme ana@example.ro) = 1 && test $(queued_count daily-programme djordje@example.rs) = 1"
ctl digest programme --now 2025-09-02T17:00:00Z
check 'on a day that is not an event day it needs --date (EX_USAGE)' \
	sh -c "test $status = 64 && grep -q 'not a day of the event' '$T/err'"
ctl digest itinerary --now 2025-09-02T17:00:00Z
check 'digest itinerary re-sends every confirmed attendee theirs' grep -q '^3 message(s) queued' "$T/out"
# Ana's itinerary mails: the two by hand (on registering, hers came with
# her answer; changing her diet changed nothing an itinerary shows).
ctl digest itinerary ana@example.ro --now 2025-09-02T17:00:00Z
check 'or one' sh -c "grep -q '^1 message(s) queued' '$T/out' && test $(queued_count itinerary ana@example.ro) = 2"
ctl digest frobnicate
check 'an unknown digest: EX_USAGE' test "$status" = 64
finish
