#!/bin/sh
# SPDX-License-Identifier: ISC
# A delegation leader registers seven people in one message; people ask for
# help, their status and the programme, by subject, first line or address.
. "$(dirname "$0")/lib.sh"
plan 15

ctl deliver <"$FIXTURES/delegation-seven.eml"
ctl run-once --now 2025-09-01T12:00:00Z
ctl export --format json
check 'all seven are registered, each under their own address' test "$(jq length "$T/out")" = 7
check 'the lines before the first block apply to everyone' \
	jq -e 'all(.[]; .country == "RO" and .delegation == "Digital Innovation Zone")' "$T/out"
check 'each block keeps its own lines' jq -e '(.[] | select(.email == "cristina.radu@expertware.example.ro") | .diet == "vegetarian")
	and (.[] | select(.email == "ioana.stan@tuiasi.example.ro") | .activities == ["kickoff-meeting","visit-orange-cyberdefense"])
	and (.[] | select(.email == "ion.munteanu@opti.example.ro") | .organisation == "OPTI/MrBenny" and .name == "Ion Munteanu")' "$T/out"
check 'eight mails: one to each person, one summary to the leader' test "$(sent_count)" = 8
leader=$(grep -l '^Delivered-To: stefan.ionescu@diz.example.ro' $(sent_files))
body_of "$leader" >"$T/leader.txt"
check 'the leader gets the summary of everyone' sh -c "grep -q 'Delegation registered: 7 people' '$T/leader.txt' && test \$(grep -c '@.*example.ro>: registered\$' '$T/leader.txt') = 7"
ana=$(grep -l '^Delivered-To: ana.popescu@infosec-center.example.ro' $(sent_files))
body_of "$ana" >"$T/ana.txt"
check 'Ana is told she was registered by her leader' grep -q 'stefan.ionescu@diz.example.ro sent this registration for you' "$T/ana.txt"

cat >"$T/broken-delegation.eml" <<'MSG'
From: stefan.ionescu@diz.example.ro
To: register@campus.example.org
Subject: Two more
Message-ID: <delegation-broken@diz.example.ro>

Country: Romania
Activities: kickoff-meeting

Attendee: Dan Pop <dan.pop@example.ro>
Organisation: Example SRL

Attendee: Maria Ene
Organisation: Example SRL
MSG
ctl deliver <"$T/broken-delegation.eml"
ctl run-once --now 2025-09-01T12:05:00Z
ctl export --format json
check 'a block with a problem registers nobody from that message' test "$(jq length "$T/out")" = 7
body_of "$(sent_files | tail -1)" >"$T/broken.txt"
check 'and the leader is told which line lacks what' grep -q 'line 7: Maria Ene: no email address' "$T/broken.txt"

mail() { # subject first-line to
	printf 'From: Ana Popescu <ana.popescu@infosec-center.example.ro>\nTo: %s\nSubject: %s\nMessage-ID: <%s@example.ro>\nContent-Type: text/plain; charset=UTF-8\n\n%s\n' \
		"$3" "$1" "$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')" "$2" >"$T/m.eml"
	ctl deliver <"$T/m.eml"
	ctl run-once --now "$now"
	body_of "$(ls -t $(sent_files) | head -1)" >"$T/answer.txt"
}
now=2025-09-02T09:00:00Z
mail 'Re: Registered: CAMPUS kick-off meeting' 'status' register@campus.example.org
check 'STATUS on the first line answers with her registration' sh -c "grep -q '^Subject: Your registration' '$T/answer.txt' && grep -q 'Infosec Center SRL' '$T/answer.txt'"
mail 'Question' 'Could you send the form?' register+help@campus.example.org
check 'a plus address carries the command (register+help@)' grep -q '^Subject: How to register' "$T/answer.txt"
mail 'AIDE' '' register@campus.example.org
check 'HELP in French answers in French' grep -q "^Subject: Comment s'inscrire" "$T/answer.txt"
mail 'Programme' '' register@campus.example.org
check 'PROGRAMME lists every day and activity' sh -c "grep -q 'Tuesday 16 September 2025: Site and company visits' '$T/answer.txt' && grep -q 'study-visit-sekoia' '$T/answer.txt'"
mail 'UPDATE' 'Diet: halal' register@campus.example.org
ctl show ana.popescu@infosec-center.example.ro --format json
check 'UPDATE changes only the field it names' jq -e '.diet == "halal" and .organisation == "Infosec Center SRL" and (.activities | length) == 3' "$T/out"

set_conf replies-per-sender-per-hour 2
now=2025-09-02T11:00:00Z
before=$(sent_count)
for i in 1 2 3 4; do mail 'status' '' register@campus.example.org; done
check 'no sender gets more answers an hour than the limit' test "$(($(sent_count) - before))" = 2
check 'the held-back answers are logged' grep -q 'rate_limited=1' "$T/err"
finish
