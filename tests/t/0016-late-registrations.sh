#!/bin/sh
# SPDX-License-Identifier: ISC
# The deadline as people expect it: a message counts when it reached us,
# not when convene read it; a late newcomer is told the deadline (in their
# language, in the event's time zone) and where to write; people already
# registered keep changing what they have; and organisers register anyone,
# with convenectl register or by email after the round trip.
. "$(dirname "$0")/lib.sh"
plan 17

person() { ctl show "$1" --format json && jq -e "$2" "$T/out"; }
# Delivers a message, then gives its intake file (the only one waiting:
# each run-once takes them all) the delivery time $1, as an MTA writing it
# then would have.
deliver_at() {
	ctl deliver <"$T/mail.eml"
	touch -d "$1" "$T"/var/inbox/new/*
}
mail() { # from subject body
	printf 'From: %s\nTo: register@campus.example.org\nSubject: %s\nMessage-ID: <%s@test.example>\nContent-Type: text/plain; charset=UTF-8\n\n%b\n' \
		"$1" "$2" "$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')" "$3" >"$T/mail.eml"
}

# Written at 21:58 on the deadline day (Paris), read the next morning.
mail 'Réka Szabó <reka@bme.example.hu>' Registration \
	'Name: Réka Szabó\nOrganisation: BME\nCountry: Hungary\nActivities: kickoff-meeting\n'
deliver_at 2025-09-10T21:58:00+02:00
ctl run-once --now 2025-09-11T08:30:00+02:00
check 'a registration delivered before the deadline and read after it is taken' \
	person reka@bme.example.hu '.status == "confirmed"'

# Written after the deadline: refused, with the deadline and an address.
mail 'Late Comer <late@example.it>' Registration \
	'Name: Late Comer\nOrganisation: Polimi\nCountry: Italy\nActivities: kickoff-meeting\n'
deliver_at 2025-09-11T08:40:00+02:00
ctl run-once --now 2025-09-11T09:00:00+02:00
last_to late@example.it >"$T/late.txt"
check 'a late newcomer is not registered' \
	sh -c "'$CONVENECTL' export --format json | jq -e 'all(.[]; .email != \"late@example.it\")' >/dev/null"
check 'and is told the deadline, in Paris time, and where to write' \
	grep -q 'closed on Wednesday 10 September 2025, 23:59; please write to the organisers at events@bretagne-next.example.org' "$T/late.txt"
mail 'Gaëlle Martin <gaelle@example.fr>' Inscription \
	'Nom : Gaëlle Martin\nOrganisme : IMT\nPays : France\nActivités : réunion des partenaires\n'
deliver_at 2025-09-11T09:10:00+02:00
ctl run-once --now 2025-09-11T09:15:00+02:00
last_to gaelle@example.fr >"$T/gaelle.txt"
check 'a French newcomer is told in French' grep -q 'ont fermé le mercredi 10 septembre 2025' "$T/gaelle.txt"
# A message whose file says it came later than convene's clock counts at
# the clock (as under --now, or a file copied in with a new date).
mail 'Early Bird <early@example.fi>' Registration \
	'Name: Early Bird\nOrganisation: Aalto\nCountry: Finland\nActivities: kickoff-meeting\n'
deliver_at 2025-09-20T10:00:00+02:00
ctl run-once --now 2025-09-09T10:00:00+02:00
check "a file dated after convene's clock counts at the clock" \
	person early@example.fi '.status == "confirmed"'

# After the deadline, the registered keep changing what they have.
mail 'Réka Szabó <reka@bme.example.hu>' Update 'Diet: vegetarian\n'
deliver_at 2025-09-12T10:00:00+02:00
ctl run-once --now 2025-09-12T10:00:00+02:00
check 'an update after the deadline works' person reka@bme.example.hu '.diet == "vegetarian"'
mail 'Réka Szabó <reka@bme.example.hu>' STATUS ''
deliver_at 2025-09-12T10:05:00+02:00
ctl run-once --now 2025-09-12T10:05:00+02:00
last_to reka@bme.example.hu >"$T/reka.txt"
check 'and so does STATUS' grep -q '^Subject: Your registration' "$T/reka.txt"

# --- convenectl register ---------------------------------------------------------------
printf 'Activities: kickoff-meeting\nCountry: Italy\n\nAttendee: Late Comer <late@example.it>\nOrganisation: Polimi\n\nAttendee: Chloé Bernard <chloe@example.fr>\nOrganisation: IMT\nCountry: France\nLanguage: fr\nDiet: vegan\n' >"$T/form.txt"
ctl register "$T/form.txt" --now 2025-09-13T10:00:00+02:00
check 'convenectl register registers a delegation past the deadline' \
	sh -c "test $status = 0 && '$CONVENECTL' show late@example.it --format json | jq -e '.status == \"confirmed\"' >/dev/null && '$CONVENECTL' show chloe@example.fr --format json | jq -e '.status == \"confirmed\" and .diet == \"vegan\"' >/dev/null"
check 'and says what it did' grep -q '2 registration(s) changed' "$T/out"
ctl run-once --now 2025-09-13T10:01:00+02:00
last_to late@example.it >"$T/late2.txt"
last_to chloe@example.fr >"$T/chloe.txt"
last_to events@bretagne-next.example.org >"$T/summary.txt"
check 'each person is told, in their language' \
	sh -c "grep -q '^Subject: Registered' '$T/late2.txt' && grep -q '^Subject: Inscription' '$T/chloe.txt'"
check 'the summary goes to the organisers' grep -q 'Chloé Bernard' "$T/summary.txt"

printf 'Activities: kickoff-meeting\nOrganisation: Nobody\n' >"$T/nobody.txt"
ctl register "$T/nobody.txt"
check 'a form naming nobody is refused (65), and says how to name someone' \
	sh -c "test $status = 65 && grep -q 'Attendee: Name <address>' '$T/err'"
printf 'Email: ghost@example.org\nName: Ghost\nOrganisation: X\nCountry: Spain\nActivities: kickoff-meeting, karaoke\n' >"$T/bad.txt"
ctl register "$T/bad.txt" --now 2025-09-13T11:00:00+02:00
check 'a form with a problem changes nothing, prints the problem and exits 65' \
	sh -c "test $status = 65 && grep -qi 'karaoke' '$T/err' && ! '$CONVENECTL' show ghost@example.org >/dev/null 2>&1"
set_conf policy '"closed"'
printf 'Email: closed@example.org\nName: Closed Door\nOrganisation: X\nCountry: Spain\nActivities: kickoff-meeting\n' >"$T/closed.txt"
ctl register "$T/closed.txt" --now 2025-09-13T11:00:00+02:00
check 'and under policy "closed" as well' person closed@example.org '.status == "confirmed"'
ctl run-once --now 2025-09-13T11:01:00+02:00
last_to closed@example.org >"$T/closed-told.txt"
check 'the person named by Email: is the one told' grep -q '^Subject: Registered' "$T/closed-told.txt"
set_conf policy '"open"'

# --- an organiser by email --------------------------------------------------------------
mail events@bretagne-next.example.org REGISTER \
	'Email: byemail@example.ro\nName: Prin Email\nOrganisation: UPB\nCountry: Romania\nActivities: kickoff-meeting\n'
deliver_at 2025-09-14T09:00:00+02:00
ctl run-once --now 2025-09-14T09:00:00+02:00
check "an organiser's form for someone waits for the organiser's confirmation" \
	sh -c "! '$CONVENECTL' show byemail@example.ro >/dev/null 2>&1"
otoken=$(last_to events@bretagne-next.example.org | sed -n 's/^Subject: .*\[\([0-9a-f]*\)\]$/\1/p')
mail events@bretagne-next.example.org "Re: Please confirm [$otoken]" ''
deliver_at 2025-09-14T09:05:00+02:00
ctl run-once --now 2025-09-14T09:05:00+02:00
last_to byemail@example.ro >"$T/byemail.txt"
check 'once confirmed, the organiser registers them past the deadline, and they are told' \
	sh -c "'$CONVENECTL' show byemail@example.ro --format json | jq -e '.status == \"confirmed\"' >/dev/null && grep -q '^Subject: Registered' '$T/byemail.txt'"

finish
