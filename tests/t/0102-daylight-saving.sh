#!/bin/sh
# SPDX-License-Identifier: ISC
# An event across the night the clocks go back (Sunday 26 October 2025 in
# Paris): every morning's programme leaves at 07:00 local time, which is
# 05:00 UTC on Saturday but 06:00 UTC on Sunday and Monday, and the
# calendar keeps each activity at 09:00 local on both sides of the change.
. "$(dirname "$0")/lib.sh"
plan 15

cat >"$T/convene.conf" <<'CONF'
event {
	name = "Autumn partners' meeting"
	location = "Rennes"
	timezone = "Europe/Paris"
	address = "register@campus.example.org"
	organisers = {"events@bretagne-next.example.org"}
	languages = {"en", "fr"}
	policy = "open"
}
day "2025-10-25" { title = "Saturday" }
day "2025-10-26" { title = "Sunday: the clocks go back at 03:00" }
day "2025-10-27" { title = "Monday" }
activity "opening" { title = "Opening" day = "2025-10-25" start = "09:00" end = "10:30"
	location = "Bretagne Next, Rennes" }
activity "harbour-walk" { title = "Harbour walk" day = "2025-10-26" start = "09:00" end = "12:00"
	location = "Saint-Malo" notes = "Bring good shoes" }
activity "closing" { title = "Closing session" day = "2025-10-27" start = "09:00" end = "12:00"
	location = "Bretagne Next, Rennes" }
paths { state = "var/state" intake = "var/inbox" templates = "templates" }
transport = "maildir:var/sent"
schedule { programme-at = "07:00" digest-at = "18:00" itinerary-days-before = 3 }
CONF
ctl check-config
check 'the autumn configuration is OK' test "$status" = 0

write_mail 'Ana Popescu <ana@example.ro>' Registration \
	'Name: Ana Popescu\nOrganisation: INATECH SRL\nCountry: RO\nActivities: all\nDays: all\n'
ctl run-once --now 2025-10-20T08:00:00Z
part_of "$(newest_to ana@example.ro)" text/calendar >"$T/ana.ics"
check 'her calendar holds Saturday at 09:00 Paris time' grep -q '^DTSTART;TZID=Europe/Paris:20251025T090000' "$T/ana.ics"
check 'Sunday at 09:00, after the change' grep -q '^DTSTART;TZID=Europe/Paris:20251026T090000' "$T/ana.ics"
check 'and Monday at 09:00' grep -q '^DTSTART;TZID=Europe/Paris:20251027T090000' "$T/ana.ics"
check 'with the zone, and the change at 03:00 on the 26th, in the file' \
	sh -c "grep -q '^BEGIN:VTIMEZONE' '$T/ana.ics' && grep -q '^TZID:Europe/Paris' '$T/ana.ics' && grep -q '^DTSTART:20251026T030000' '$T/ana.ics'"

ctl run-once --now 2025-10-25T04:59:00Z
check 'Saturday 06:59 (summer time): no programme' test "$(queued_count daily-programme)" = 0
ctl run-once --now 2025-10-25T05:00:00Z
check 'Saturday 07:00 is 05:00 UTC' test "$(queued_count daily-programme)" = 1
ctl run-once --now 2025-10-25T16:00:00Z
check "Saturday 18:00: the organisers' digest" test "$(queued_count organiser-digest)" = 1

ctl run-once --now 2025-10-26T05:00:00Z
check 'Sunday 05:00 UTC is only 06:00 now: no programme' test "$(queued_count daily-programme)" = 1
ctl run-once --now 2025-10-26T05:59:00Z
check 'nor at 06:59' test "$(queued_count daily-programme)" = 1
ctl run-once --now 2025-10-26T06:00:00Z
check 'Sunday 07:00 is 06:00 UTC' test "$(queued_count daily-programme)" = 2
body_of "$(notice_to ana@example.ro 'Sunday 26 October')" >"$T/sunday.txt"
check "Sunday's programme: the walk at 09:00, with its note" \
	sh -c "grep -q '09:00-12:00  Harbour walk' '$T/sunday.txt' && grep -q 'Note: Bring good shoes' '$T/sunday.txt' && ! grep -q 'Opening' '$T/sunday.txt'"
ctl run-once --now 2025-10-26T16:30:00Z
check "Sunday 17:30: Sunday's digest is not due yet" test "$(queued_count organiser-digest)" = 1
ctl run-once --now 2025-10-26T17:00:00Z
check 'Sunday 18:00 is 17:00 UTC' test "$(queued_count organiser-digest)" = 2

ctl run-once --now 2025-10-27T05:59:00Z
ctl run-once --now 2025-10-27T06:00:00Z
check 'Monday as well: 07:00 is 06:00 UTC, once' test "$(queued_count daily-programme)" = 3
finish
