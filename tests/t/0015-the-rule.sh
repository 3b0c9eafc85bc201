#!/bin/sh
# SPDX-License-Identifier: ISC
# The rule, tried by a stranger with nothing but an address: a person's
# data goes only to that person and to organisers, and a change to a
# person needs that person (or an organiser), by a round trip to *their*
# address. STATUS, PROGRAMME, an update, a CANCEL and a delegation that
# name someone else read and change nothing of theirs; the owner is asked,
# and confirming from their own address applies it. A Name: that is an
# encoded word is decoded before it is stored, with no line break in it.
. "$(dirname "$0")/lib.sh"
plan 28

now=2025-09-01T09:00:00+02:00
run() { ctl run-once --now "$now"; }
person() { ctl show "$1" --format json && jq -e "$2" "$T/out"; }
token_of() { sed -n 's/^Subject: Please confirm: .*\[\([0-9a-f]*\)\]$/\1/p' "$1"; }

write_mail 'Ileana Marin <ileana@uvt.example.ro>' Registration \
	'Name: Ileana Marin\nOrganisation: UVT\nCountry: Romania\nActivities: kickoff-meeting, visit-le-poool\nDiet: halal, no sesame\nAccessibility: wheelchair user\n'
write_mail 'Matti Virtanen <matti@tamk.example.fi>' Registration \
	'Name: Matti Virtanen\nOrganisation: TAMK\nCountry: Finland\nActivities: kickoff-meeting\nDiet: vegetarian\n'
run
ctl export --format json
cp "$T/out" "$T/before.json"
same_as_before() { # address
	ctl export --format json
	jq -e --arg e "$1" '.[] | select(.email == $e)' "$T/before.json" >"$T/p1" &&
		jq -e --arg e "$1" '.[] | select(.email == $e)' "$T/out" >"$T/p2" && cmp "$T/p1" "$T/p2"
}
# Nothing of Ileana's (or Matti's) in any mail to the stranger so far, nor
# a token of theirs (the programme of the event is no one's).
nothing_of_theirs() {
	for f in $(grep -l '^Delivered-To: mallory@evil.example$' $(sent_files) /dev/null); do
		body_of "$f"
	done >"$T/mallory.txt"
	! grep -Eqi 'halal|sesame|wheelchair|vegetarian' "$T/mallory.txt" &&
		! grep -Eq 'UVT|TAMK|Ileana Marin|Matti Virtanen' "$T/mallory.txt" &&
		! grep -Eq '[0-9a-f]{50}' "$T/mallory.txt"
}

# --- reading ---------------------------------------------------------------------
now=2025-09-02T09:00:00+02:00
ileana_before=$(mails_to ileana@uvt.example.ro)
write_mail mallory@evil.example STATUS 'Email: ileana@uvt.example.ro'
run
last_to mallory@evil.example >"$T/m1.txt"
check 'STATUS naming Ileana tells the stranger only that it went to her address' \
	grep -q '^Subject: Sent to ileana@uvt.example.ro: ' "$T/m1.txt"
check 'with nothing of hers: no diet, no access needs, no organisation' nothing_of_theirs
last_to ileana@uvt.example.ro >"$T/i1.txt"
check 'Ileana gets her registration, and who asked' \
	sh -c "test $(mails_to ileana@uvt.example.ro) = $((ileana_before + 1)) && grep -q 'halal, no sesame' '$T/i1.txt' && grep -q 'mallory@evil.example' '$T/i1.txt'"
write_mail mallory@evil.example PROGRAMME 'Email: matti@tamk.example.fi'
run
last_to matti@tamk.example.fi >"$T/matti-programme.txt"
last_to mallory@evil.example >"$T/m2.txt"
check 'PROGRAMME naming Matti goes to Matti, never to the stranger' \
	sh -c "grep -q 'mallory@evil.example' '$T/matti-programme.txt' && grep -q '^Subject: Sent to matti@tamk.example.fi: ' '$T/m2.txt'"
check 'still nothing of theirs reaches him' nothing_of_theirs

# --- changing -----------------------------------------------------------------------
write_mail mallory@evil.example 'Update' \
	'Email: matti@tamk.example.fi\nActivities: kickoff-meeting, visit-orange-cyberdefense\nDiet: none\n'
run
check 'an update naming Matti changes nothing of his' same_as_before matti@tamk.example.fi
last_to matti@tamk.example.fi >"$T/matti-ask.txt"
check 'Matti is asked at his own address, told who wrote' \
	sh -c "grep -q '^Subject: Please confirm: ' '$T/matti-ask.txt' && grep -q 'mallory@evil.example has written to us about your registration' '$T/matti-ask.txt'"
last_to mallory@evil.example >"$T/m3.txt"
check 'the stranger is told it was sent to Matti to confirm, and nothing more' \
	grep -q '^Subject: Sent to matti@tamk.example.fi to confirm: ' "$T/m3.txt"
check 'still nothing of theirs, nor a token, reaches him' nothing_of_theirs
mtoken=$(token_of "$T/matti-ask.txt")
write_mail mallory@evil.example "Re: Please confirm: CAMPUS kick-off meeting [$mtoken]" ''
run
check "Matti's token from the stranger's address confirms nothing" same_as_before matti@tamk.example.fi

write_mail mallory@evil.example CANCEL 'Email: ileana@uvt.example.ro'
run
check 'a CANCEL naming Ileana cancels nothing' same_as_before ileana@uvt.example.ro
last_to ileana@uvt.example.ro >"$T/ileana-ask.txt"
check 'Ileana is asked whether to cancel, at her own address' \
	sh -c "grep -q '^Subject: Please confirm: ' '$T/ileana-ask.txt' && grep -q 'asking to cancel it' '$T/ileana-ask.txt'"
check 'and the stranger learns nothing of her' nothing_of_theirs
write_mail mallory@evil.example FORGET 'Email: matti@tamk.example.fi'
run
last_to matti@tamk.example.fi >"$T/matti-forget.txt"
check 'a FORGET naming Matti erases nothing; Matti is asked at his address' \
	sh -c "'$CONVENECTL' show matti@tamk.example.fi >/dev/null && grep -q '^Subject: Please confirm: ' '$T/matti-forget.txt' && grep -q 'asking to erase it' '$T/matti-forget.txt'"
check 'and the stranger, told it was sent, learns nothing of his' nothing_of_theirs

# A delegation naming a registered person asks that person.
write_mail 'Mallory <mallory@evil.example>' 'Our group' \
	'Country: Romania\nActivities: kickoff-meeting\n\nAttendee: Ileana Marin <ileana@uvt.example.ro>\nOrganisation: Evil Corp\nDiet: none\n\nAttendee: Nou Venit <nou@evil.example>\nOrganisation: Evil Corp\nDiet: vegan\n'
run
check 'a delegation block naming Ileana leaves her as she was' same_as_before ileana@uvt.example.ro
check 'the new member is registered, as delegated by the leader' \
	sh -c "'$CONVENECTL' show nou@evil.example --format json | jq -e '.status == \"confirmed\"' >/dev/null"
last_to mallory@evil.example >"$T/leader.txt"
check "the leader's answer names the members, not their diet" \
	sh -c "grep -q 'Nou Venit' '$T/leader.txt' && ! grep -qi 'vegan\\|halal' '$T/leader.txt' && grep -q 'ileana@uvt.example.ro' '$T/leader.txt'"
check 'still nothing of hers reaches him' nothing_of_theirs

# A leader corrects a member they registered, who has not changed it
# since; under policy "confirm" only the member's own round trip does.
write_mail mallory@evil.example 'Correction' 'Email: nou@evil.example\nRole: engineer\n'
run
check 'under "open", the leader corrects the member they registered' \
	person nou@evil.example '.role == "engineer"'
set_conf policy '"confirm"'
write_mail mallory@evil.example 'Correction' 'Email: nou@evil.example\nRole: manager\n'
run
last_to nou@evil.example >"$T/nou-ask.txt"
check 'under "confirm", it changes nothing and the member is asked' \
	sh -c "'$CONVENECTL' show nou@evil.example --format json | jq -e '.role == \"engineer\"' >/dev/null && grep -q '^Subject: Please confirm: ' '$T/nou-ask.txt'"
set_conf policy '"open"'

# Confirming from her own address applies what was asked of her.
write_mail ileana@uvt.example.ro "Re: Please confirm: CAMPUS kick-off meeting [$(token_of "$T/ileana-ask.txt")]" ''
run
check 'Ileana, confirming at her address, cancels her registration' \
	person ileana@uvt.example.ro '.status == "cancelled"'
write_mail matti@tamk.example.fi "Re: Please confirm: CAMPUS kick-off meeting [$mtoken]" ''
run
check 'Matti, confirming at his address, gets the update asked' \
	person matti@tamk.example.fi '.activities == ["kickoff-meeting","visit-orange-cyberdefense"]'

# --- the same attacks under policy "confirm" ------------------------------------------
set_conf policy '"confirm"'
ctl export --format json
cp "$T/out" "$T/before.json"
matti_before=$(mails_to matti@tamk.example.fi)
write_mail mallory@evil.example STATUS 'Email: matti@tamk.example.fi'
write_mail mallory@evil.example 'Update' 'Email: matti@tamk.example.fi\nDiet: none\nActivities: kickoff-meeting\n'
write_mail mallory@evil.example CANCEL 'Email: matti@tamk.example.fi'
write_mail mallory@evil.example FORGET 'Email: matti@tamk.example.fi'
run
check 'under "confirm", STATUS, an update, a CANCEL and a FORGET naming Matti change nothing of his' \
	same_as_before matti@tamk.example.fi
check 'Matti gets his status and three requests to confirm, at his address' \
	sh -c "test $(mails_to matti@tamk.example.fi) = $((matti_before + 4))"
check 'and nothing of his, nor a token, reaches the stranger' nothing_of_theirs
set_conf policy '"open"'

# --- an encoded word in a Name: line ------------------------------------------------
printf 'From: =?utf-8?q?Kov=C3=A1cs_=C3=89va?= <eva@example.hu>\nTo: register@campus.example.org\nSubject: Registration\nMessage-ID: <encoded-name@example.hu>\nContent-Type: text/plain; charset=UTF-8\n\nName: =?utf-8?q?Kov=C3=A1cs_=C3=89va=0D=0ABcc:_victim@example.org?=\nOrganisation: ELTE\nCountry: Hungary\nActivities: kickoff-meeting\n' >"$T/encoded.eml"
ctl deliver <"$T/encoded.eml"
run
ctl show eva@example.hu --format json
check 'a Name: that is an encoded word is stored decoded, with no line break' \
	jq -e '(.name | startswith("Kovács Éva")) and (.name | test("[\\r\\n]") | not)' "$T/out"
check 'and no answer carries a header made from it' \
	sh -c "! grep -l '^Bcc:' $(sent_files | tr '\n' ' ') /dev/null | grep -q ."

finish
