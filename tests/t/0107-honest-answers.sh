#!/bin/sh
# SPDX-License-Identifier: ISC
# Every answer is true, and what convene cannot act on goes to a person: a
# question is passed to the organisers (never answered "updated"), robots
# and calendar clients are never answered, a sentence cancels what it
# names and no more, a doubt is asked about, the confirming reply's own
# lines count, and a form that repeats what is stored changes nothing.
. "$(dirname "$0")/lib.sh"
plan 27

now=2025-09-01T09:00:00+02:00
run() { ctl run-once --now "$now"; }
person() { ctl export --format json && jq -e --arg e "$1" ".[] | select(.email == \$e) | $2" "$T/out"; }

write_mail 'Ana-Maria Popescu <anamaria.popescu@gmail.com>' Registration \
	'Name: Ana-Maria Popescu\nOrganisation: TUIASI\nCountry: Romania\nActivities: kickoff-meeting, visit-le-poool, visit-orange-cyberdefense\nDiet: vegetarian\n'
write_mail 'Matti Virtanen <matti@tamk.example.fi>' Registration \
	'Name: Matti Virtanen\nOrganisation: TAMK\nCountry: Finland\nActivities: kickoff-meeting\nDiet: vegetarian\n'
write_mail 'Élodie Lefèvre <elodie.lefevre@bdi.example.fr>' Inscription \
	'Nom : Élodie Lefèvre\nOrganisme : BDI\nPays : France\nActivités : réunion des partenaires, visite Orange, Le Poool\n'
run
ctl export --format json
cp "$T/out" "$T/before.json"
sent_before=$(sent_count)

# A question from a registered attendee, written in Gmail.
now=2025-09-02T09:00:00+02:00
ctl deliver <"$FIXTURES/question-gmail.eml"
run
ana=$(newest_to anamaria.popescu@gmail.com)
body_of "$ana" >"$T/ana.txt"
check 'a question is not answered "updated": the answer says the organisers have it' \
	sh -c "grep -q '^Subject: Your message has reached the organisers' '$T/ana.txt' && grep -q 'Your registration is unchanged' '$T/ana.txt' && ! grep -qi 'updated\\|registration changed' '$T/ana.txt'"
check 'and nothing of her registration moved, not even updated_at' \
	sh -c "ctl() { :; }; jq -e '.[] | select(.email == \"anamaria.popescu@gmail.com\")' '$T/before.json' >'$T/a1' && '$CONVENECTL' export --format json | jq -e '.[] | select(.email == \"anamaria.popescu@gmail.com\")' >'$T/a2' && cmp '$T/a1' '$T/a2'"
fwd=$(grep -l '^Subject: A message for you from Ana-Maria Popescu' $(sent_files))
check 'the organisers get it, with Reply-To her address' \
	sh -c "test -n '$fwd' && grep -q '^Delivered-To: events@bretagne-next.example.org' '$fwd' && grep -q '^Reply-To: Ana-Maria Popescu <anamaria.popescu@gmail.com>' '$fwd'"
check 'the original attached whole, as message/rfc822' \
	sh -c "grep -q '^Content-Type: message/rfc822' '$fwd' && grep -q '^Message-ID: <CAJ8s1Lk2v9=Qparking7ZkP1f3n@mail.gmail.com>' '$fwd'"
body_of "$fwd" >"$T/fwd.txt"
check 'her question and her registration above it' \
	sh -c "grep -q '> is there parking near Le Poool?' '$T/fwd.txt' && grep -q 'Visit: Orange Cyberdefense' '$T/fwd.txt'"

# A question from a stranger registers nothing.
write_mail 'Someone <someone@example.org>' 'Question' 'Hello, can I still bring a colleague? Thanks'
run
check 'a stranger with a question is passed on, and registers nothing' \
	sh -c "'$CONVENECTL' export --format json | jq -e 'all(.[]; .email != \"someone@example.org\")' >/dev/null && grep -l '^Delivered-To: events@bretagne-next.example.org' \$(grep -l 'A message for you from Someone' $(sent_files | tr '\n' ' ') /dev/null) | grep -q ."

# Robots: an out-of-office with only X-Autoreply (its signature has a
# Name: line), Exchange's with X-Auto-Response-Suppress and an absence
# subject, and calendar clients accepting their itinerary.
sent_before=$(sent_count)
ctl deliver <"$FIXTURES/ooo-x-autoreply.eml"
ctl deliver <"$FIXTURES/ooo-exchange-suppress.eml"
ctl deliver <"$FIXTURES/imip-accept-thunderbird.eml"
ctl deliver <"$FIXTURES/imip-accept-outlook.eml"
run
check 'no robot gets an answer' test "$(sent_count)" = "$sent_before"
check "the out-of-office's Name: line renames nobody" \
	person anamaria.popescu@gmail.com '.name == "Ana-Maria Popescu" and .organisation == "TUIASI"'
check 'an iMIP Accept is no update either' person matti@tamk.example.fi '.updated_at == "2025-09-01T09:00:00+02:00"'
now=2025-09-02T10:00:00+02:00
ctl digest organisers --now "$now"
run
body_of "$(notice_to events@bretagne-next.example.org '^Preview')" >"$T/digest.txt"
check 'each robot is counted in the digest' \
	sh -c "grep -q 'X-Autoreply: yes' '$T/digest.txt' && grep -q 'absence subject' '$T/digest.txt' && grep -q 'calendar REPLY (iMIP)' '$T/digest.txt' && test \$(grep -c 'calendar REPLY' '$T/digest.txt') = 2"

# A sentence cancels what it names, and nothing else.
now=2025-09-03T09:00:00+02:00
ctl deliver <"$FIXTURES/partial-cancel-apple.eml"
ctl deliver <"$FIXTURES/partial-cancel-french.eml"
run
check '"cancel the Orange Cyberdefense visit" cancels that visit only' \
	person anamaria.popescu@gmail.com '.status == "confirmed" and .activities == ["kickoff-meeting","visit-le-poool"]'
last_to anamaria.popescu@gmail.com >"$T/partial.txt"
check 'and the answer says what changed, before and after' \
	grep -q "Activities: Partners' kick-off meeting, Visit: Le Poool / La French Tech Rennes, Visit: Orange Cyberdefense → Partners' kick-off meeting, Visit: Le Poool / La French Tech Rennes" "$T/partial.txt"
check '"je ne peux plus venir mardi" gives up Tuesday and its visits' \
	person elodie.lefevre@bdi.example.fr '.status == "confirmed" and .activities == ["kickoff-meeting"] and (.days | index("2025-09-16") == null)'
last_to elodie.lefevre@bdi.example.fr >"$T/elodie.txt"
check 'told in French, with her calendar' \
	sh -c "grep -q '^Subject: Inscription modifiée' '$T/elodie.txt' && grep -q 'Le fichier joint itinerary.ics' '$T/elodie.txt'"
write_mail 'Matti Virtanen <matti@tamk.example.fi>' 'Plans' 'Sorry, I have to cancel.'
write_mail 'Matti Virtanen <matti@tamk.example.fi>' 'CANCEL the visit' ''
run
check 'a withdrawing sentence that names nothing cancels nothing' person matti@tamk.example.fi '.status == "confirmed"'
last_to matti@tamk.example.fi >"$T/matti.txt"
check 'and is asked about: CANCEL alone cancels everything' \
	grep -q 'not sure what you want to cancel, so nothing has changed; to cancel your whole registration write CANCEL alone' "$T/matti.txt"

# "visit" alone fits several activities: a problem listing them, no guess.
write_mail 'Matti Virtanen <matti@tamk.example.fi>' Update 'Activities: kickoff-meeting, visit'
run
last_to matti@tamk.example.fi >"$T/visit.txt"
check '"visit" alone is a problem naming every visit' \
	grep -q 'visit: this could be any of visit-le-poool, visit-orange-cyberdefense' "$T/visit.txt"
check 'and no guess is made' person matti@tamk.example.fi '.activities == ["kickoff-meeting"]'

# A reply to our own answer, quoting it: only the new line is read.
ctl deliver <"$FIXTURES/thunderbird-reply-to-answer.eml"
run
check 'a reply quoting our answer changes only the line written' \
	person matti@tamk.example.fi '.diet == "vegan" and .organisation == "TAMK" and .activities == ["kickoff-meeting"]'
last_to matti@tamk.example.fi >"$T/vegan.txt"
check 'the answer says what changed, and only that' \
	sh -c "grep -q 'Diet: vegetarian → vegan' '$T/vegan.txt' && test \$(grep -c ' → ' '$T/vegan.txt') = 1"

# A form that repeats what is stored: "nothing changed", and nothing moves.
write_mail 'Matti Virtanen <matti@tamk.example.fi>' Update 'Diet: vegan\nCountry: FI'
run
last_to matti@tamk.example.fi >"$T/same.txt"
check 'a form repeating what is stored is answered: nothing changed' grep -q '^Subject: Nothing changed' "$T/same.txt"
check 'and updated_at does not move' person matti@tamk.example.fi '.updated_at == "2025-09-03T09:00:00+02:00"'

# An Outlook HTML form in windows-1251 from Bulgaria, Cyrillic names kept.
ctl deliver <"$FIXTURES/outlook-html-1251-bulgaria.eml"
run
check 'Bulgaria written in Cyrillic is known' \
	person g.ivanov@uni-sofia.example.bg '.country == "BG" and .name == "Георги Иванов" and .organisation == "Софийски университет"'

# A French registrant's answer holds no English word.
write_mail 'Jean Martin <jean.martin@example.fr>' Inscription \
	'Nom : Jean Martin\nOrganisme : Rennes Métropole\nPays : Roumanie\nJours : lundi\nActivités : réunion des partenaires\nRégime : sans porc\n'
run
last_to jean.martin@example.fr >"$T/jean.txt"
check 'a French answer: country, status, days in French' \
	sh -c "grep -q 'Pays *: Roumanie (RO)' '$T/jean.txt' && grep -q 'Statut *: confirmée' '$T/jean.txt' && grep -q 'lundi 15 septembre 2025' '$T/jean.txt'"
check 'and no English word in it' \
	sh -c "! sed -n '/^Subject/,\$p' '$T/jean.txt' | grep -v 'CAMPUS kick-off meeting\\|Partners. kick-off meeting\\|register@\\|Bretagne Next\\|kickoff-meeting\\|visit-' | grep -Eiqw 'the|your|you|registered|confirmed|waiting|list|line|day|days|name|country|status|monday|september|yes|no'"

# Under confirm, the reply that confirms carries a line of its own.
set_conf policy '"confirm"'
write_mail 'Jüri Tamm <juri@example.ee>' Registration \
	'Name: Jüri Tamm\nOrganisation: TalTech\nCountry: Estonia\nActivities: kickoff-meeting\n'
run
token=$(last_to juri@example.ee | sed -n 's/^Subject: .*\[\([0-9a-f]*\)\]$/\1/p')
write_mail 'Jüri Tamm <juri@example.ee>' "Re: Please confirm: CAMPUS kick-off meeting [$token]" 'Diet: no fish\n\n> CONFIRM'
run
check 'the confirming reply registers him, with the diet he added' \
	person juri@example.ee '.status == "confirmed" and .diet == "no fish"'
last_to juri@example.ee >"$T/juri.txt"
check 'and the answer shows it' sh -c "grep -q '^Subject: Registered' '$T/juri.txt' && grep -q 'Diet: *no fish' '$T/juri.txt'"
finish
