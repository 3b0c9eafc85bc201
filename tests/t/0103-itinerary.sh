#!/bin/sh
# SPDX-License-Identifier: ISC
# Ana's itinerary follows her registration: in the very answer that
# confirms it, again in the answer to a change of her schedule (not to a
# change of her diet), and in the answer to a cancellation. Its .ics keeps one UID
# per activity, raises SEQUENCE at each change and cancels what she dropped.
. "$(dirname "$0")/lib.sh"
plan 20

# Prints each VEVENT of the calendar in $1 as "UID STATUS SEQUENCE", sorted,
# after the calendar's METHOD.
events() {
	python3 - "$1" <<'PY'
import sys
text = open(sys.argv[1], encoding="utf-8", newline="").read()
assert "\r\n" in text
lines, out, ev = text.replace("\r\n ", "").split("\r\n"), [], None
for line in lines:
    if line.startswith("METHOD:"):
        print(line)
    elif line == "BEGIN:VEVENT":
        ev = {}
    elif line == "END:VEVENT":
        out.append("%s %s %s" % (ev["UID"], ev["STATUS"], ev["SEQUENCE"]))
        ev = None
    elif ev is not None and ":" in line:
        key, value = line.split(":", 1)
        ev[key.split(";")[0]] = value
print("\n".join(sorted(out)))
PY
}

set_activity visit-le-poool capacity 1
write_mail 'Bob Virtanen <bob@example.fi>' Registration \
	'Name: Bob Virtanen\nOrganisation: TAMK\nCountry: FI\nActivities: visit-le-poool\n'
ctl run-once --now 2025-09-01T08:00:00Z
write_mail 'Ana Popescu <ana@example.ro>' Registration \
	'Name: Ana Popescu\nOrganisation: INATECH SRL\nCountry: RO\nActivities: kickoff-meeting, visit-le-poool, next-steps-workshop\nArrival: Sunday 14 September, 21:40 at Rennes station\nDeparture: Thursday 18 September, morning train\n'
ctl run-once --now 2025-09-01T09:00:00Z
check 'her answer (she waits for one visit) carries her itinerary: one mail, not two' \
	sh -c "test $(queued_count waitlisted ana@example.ro) = 1 && test $(queued_count itinerary ana@example.ro) = 0"
first=$(newest_to ana@example.ro)
body_of "$first" >"$T/first.txt"
check 'it lists her days and activities in order, with times and places' \
	sh -c "grep -n 'Monday 15 September 2025\|09:00-17:30: Partners. kick-off meeting\|Bretagne Next, Rennes\|Wednesday 17 September 2025\|14:00-16:30: Next steps workshop' '$T/first.txt' | cut -d: -f1 | paste -sd' ' | awk '{ for (i = 2; i <= NF; i++) if (\$i < \$(i-1)) exit 1 }'"
check 'her arrival and departure' \
	sh -c "grep -q 'Arrival: *Sunday 14 September, 21:40 at Rennes station' '$T/first.txt' && grep -q 'Departure: *Thursday 18 September, morning train' '$T/first.txt'"
check 'the full visit shows as a waiting list, not as an event' \
	grep -q 'waiting list: Visit: Le Poool / La French Tech Rennes, Tuesday 16 September 2025 (number 1)' "$T/first.txt"
check 'the calendar is a text/calendar attachment, a published agenda' \
	grep -q '^Content-Type: text/calendar; charset=utf-8; method=PUBLISH; name=itinerary.ics' "$first"
part_of "$first" text/calendar >"$T/first.ics"
events "$T/first.ics" >"$T/first.events"
check 'one event per activity she holds, each at SEQUENCE 0, nobody asked to reply' \
	sh -c "test \$(grep -c ' CONFIRMED 0\$' '$T/first.events') = 2 && test \$(wc -l <'$T/first.events') = 3 && grep -q '^METHOD:PUBLISH' '$T/first.events' && ! grep -q '^ATTENDEE' '$T/first.ics'"
check 'each event is placed and timed in the event zone' \
	sh -c "grep -q '^LOCATION:Bretagne Next\\\\, Rennes' '$T/first.ics' && grep -q '^DTSTART;TZID=Europe/Paris:20250915T090000' '$T/first.ics' && grep -q '^DTEND;TZID=Europe/Paris:20250917T163000' '$T/first.ics'"
kickoff_uid=$(grep '^UID:kickoff-meeting' "$T/first.ics" | tr -d '\r')

# Two changes in one run: the workshop swapped for a visit, then the diet.
write_mail 'Ana Popescu <ana@example.ro>' 'Update' \
	'Activities: kickoff-meeting, visit-le-poool, visit-orange-cyberdefense\n'
write_mail 'Ana Popescu <ana@example.ro>' 'Update' 'Diet: vegan\n'
ctl run-once --now 2025-09-02T09:00:00Z
second=$(grep -l '^Subject: Registration changed' $(sent_files) | xargs grep -l '^Content-Type: text/calendar' | head -1)
diet=$(grep -l '^Subject: Registration changed' $(sent_files) | xargs grep -L '^Content-Type: text/calendar' | head -1)
check 'two changes in one run: two answers, the itinerary with the one that changed it' \
	sh -c "test $(queued_count updated ana@example.ro) = 2 && test $(queued_count itinerary ana@example.ro) = 0 && test -n '$second' && test -n '$diet'"
body_of "$second" >"$T/second.txt"
body_of "$diet" >"$T/diet.txt"
check 'each says exactly what changed, before and after' \
	sh -c "grep -q 'Activities: Partners. kick-off meeting, Next steps workshop → Partners. kick-off meeting, Visit: Orange Cyberdefense' '$T/second.txt' && grep -q 'Diet: (nothing) → vegan' '$T/diet.txt'"
check 'it lists the new visit' grep -q '14:00-17:00: Visit: Orange Cyberdefense' "$T/second.txt"
check 'and what is no longer in her itinerary' \
	sh -c "grep -A3 'No longer in your itinerary' '$T/second.txt' | grep -q 'Next steps workshop'"
part_of "$second" text/calendar >"$T/second.ics"
events "$T/second.ics" >"$T/second.events"
check 'the kick-off keeps its UID' sh -c "tr -d '\\r' <'$T/second.ics' | grep -qx '$kickoff_uid'"
check 'SEQUENCE is raised on every event' sh -c "! grep -q ' 0\$' '$T/second.events' && test \$(grep -c ' 1\$' '$T/second.events') = 3"
check 'the dropped workshop is cancelled in her calendar' grep -q '^next-steps-workshop-.* CANCELLED 1$' "$T/second.events"
check 'the new visit is confirmed' grep -q '^visit-orange-cyberdefense-.* CONFIRMED 1$' "$T/second.events"

sent_before=$(sent_count)
ctl run-once --now 2025-09-02T10:00:00Z
check 'with nothing changed, no further itinerary' \
	sh -c "test $(queued_count itinerary ana@example.ro) = 0 && test $(sent_count) = $sent_before"

# Bob cancels: the waiting list moves and Ana holds the visit now.
write_mail 'Bob Virtanen <bob@example.fi>' CANCEL ''
ctl run-once --now 2025-09-03T09:00:00Z
promoted=$(newest_to ana@example.ro)
check 'her promotion from the waiting list carries her itinerary' \
	sh -c "test $(queued_count promoted ana@example.ro) = 1 && grep -q '^Subject: A place for you' '$promoted' && grep -q '^Content-Type: text/calendar' '$promoted'"
part_of "$promoted" text/calendar >"$T/third.ics"
check 'with the visit she was waiting for as an event' \
	sh -c "grep -q '^UID:visit-le-poool-' '$T/third.ics' && grep -q '^SEQUENCE:2' '$T/third.ics'"
bob=$(newest_to bob@example.fi)
check 'and Bob, who cancelled, gets the cancellation for his calendar with his answer' \
	sh -c "grep -q '^Subject: Registration cancelled' '$bob' && test $(queued_count itinerary bob@example.fi) = 0"
part_of "$bob" text/calendar >"$T/bob.ics"
events "$T/bob.ics" >"$T/bob.events"
check 'still published, every event he had cancelled, SEQUENCE raised' \
	sh -c "grep -q '^METHOD:PUBLISH' '$T/bob.events' && grep -q '^visit-le-poool-.* CANCELLED 1\$' '$T/bob.events' && test \$(wc -l <'$T/bob.events') = 2"
finish
