#!/bin/sh
# SPDX-License-Identifier: ISC
# Erasure: convenectl forget leaves nothing of a person in the state
# directory (the store compacted), FORGET by email is a round trip to the
# address erased, and everyone is erased event.retention-days after the
# event.
. "$(dirname "$0")/lib.sh"
plan 30

now=2025-09-01T08:00:00Z
set_activity visit-le-poool capacity 1
write_mail 'Ana Vlăduțescu-Popa <ana.vladutescu@example.ro>' Registration \
	'Name: Ana Vladutescu-Popa\nOrganisation: Orgaro\nCountry: RO\nActivities: kickoff-meeting, visit-le-poool\n'
write_mail bela@example.ro Registration \
	'Name: Bela Kiss\nOrganisation: Org\nCountry: RO\nActivities: visit-le-poool\n'
ctl run-once --now "$now"
ctl show bela@example.ro --format json
check 'Bela waits for the place Ana holds' jq -e '.waitlist == ["visit-le-poool"]' "$T/out"
# A digest sent, another and an itinerary queued: all hold Ana's data.
ctl digest organisers --now "$now"
ctl run-once --now "$now"
ctl digest organisers --now "$now"
ctl digest itinerary ana.vladutescu@example.ro --now "$now"
check 'before: the state directory holds her address' grep -rqi 'ana.vladutescu' var/state

ctl forget Ana.Vladutescu@example.ro --now "$now"
check 'convenectl forget says what it erased' sh -c "test $status = 0 && grep -q '^ana.vladutescu@example.ro erased: 1 registration' '$T/out'"
check 'nothing in the state directory names her: address' sh -c "! grep -rqi 'vladutescu' var/state"
check 'nor name' sh -c "! grep -rqi 'Vladutescu-Popa' var/state && ! grep -rqi 'orgaro' var/state"
check 'nor the intake Maildir that held her mail' sh -c "! grep -rqi 'vladutescu' var/inbox"
check 'the store was compacted into a new file' sh -c "ls var/state | grep -qv compact"
ctl export --format json
check 'export does not name her' sh -c "! grep -qi vladutescu '$T/out' && jq -e 'length == 1' '$T/out'"
ctl queue --format json
check 'nor the queue' sh -c "! grep -qi vladutescu '$T/out'"
check 'the queued digest that named her is withdrawn' jq -e '[.[] | select(.kind == "organiser-digest" and .state == "failed" and (.last_reply | test("withdrawn")))] | length == 1' "$T/out"
ctl show ana.vladutescu@example.ro
check 'show knows nobody: 67' test "$status" = 67
ctl show bela@example.ro --format json
check 'Bela, who waited, has her place' jq -e '.activities == ["visit-le-poool"] and .waitlist == []' "$T/out"
last_to bela@example.ro >"$T/bela.txt"
check 'and is told' grep -q 'visit-le-poool' "$T/bela.txt"
ctl forget ana.vladutescu@example.ro --now "$now"
check 'forgetting again: nothing is kept, 67' test "$status" = 67

# FORGET by email: a round trip to the address, then the last answer.
write_mail cora@example.fi Registration 'Name: Cora Lindqvist\nOrganisation: Org\nCountry: FI\nActivities: kickoff-meeting\n'
ctl run-once --now "$now"
write_mail cora@example.fi FORGET ''
ctl run-once --now "$now"
ctl show cora@example.fi
check 'FORGET alone erases nothing' test "$status" = 0
token=$(last_to cora@example.fi | sed -n 's/^Subject: Please confirm: .*\[\([0-9a-f]*\)\]$/\1/p')
check 'she is asked, at her address' test "${#token}" = 50
write_mail cora@example.fi "Re: Please confirm: CAMPUS kick-off meeting [$token]" ''
ctl run-once --now "$now"
ctl show cora@example.fi
check 'confirmed, she is erased' test "$status" = 67
last_to cora@example.fi >"$T/cora.txt"
check 'and told what was erased, last' grep -q '^Subject: Your data is erased' "$T/cora.txt"
# Her last answer and its hourly counter go at the next purge, within the hour.
ctl run-once --now 2025-09-01T10:00:00Z
check 'then nothing in the state directory names her' sh -c "! grep -rqi 'cora' var/state"

# In Romanian: ȘTERGERE, asked and answered in her language.
write_mail ioana@example.ro Înscriere 'Nume: Ioana Marin\nOrganizație: Org\nȚara: RO\nLimba: ro\nActivități: kickoff-meeting\n'
ctl run-once --now "$now"
write_mail ioana@example.ro 'Ștergere' ''
ctl run-once --now "$now"
itoken=$(last_to ioana@example.ro | sed -n 's/^Subject: .*\[\([0-9a-f]*\)\]$/\1/p')
check 'ȘTERGERE asks her to confirm' test "${#itoken}" = 50
write_mail ioana@example.ro "Re: [$itoken]" ''
ctl run-once --now "$now"
last_to ioana@example.ro >"$T/ioana.txt"
check 'and, confirmed, tells her in Romanian' grep -q '^Subject: Datele dumneavoastră au fost șterse' "$T/ioana.txt"

# OUBLIER naming another address: the owner is asked, the stranger learns nothing.
write_mail dan@example.fr Inscription 'Nom: Dan Moreau\nOrganisme: Org\nPays: FR\nActivités: kickoff-meeting\n'
ctl run-once --now "$now"
write_mail eve@example.net OUBLIER 'Email: dan@example.fr\n'
ctl run-once --now "$now"
ctl show dan@example.fr
check 'a stranger erases nothing' test "$status" = 0
last_to eve@example.net >"$T/eve.txt"
check 'the stranger gets nothing of his' sh -c "test -s '$T/eve.txt' && ! grep -q 'Moreau' '$T/eve.txt'"
dtoken=$(last_to dan@example.fr | sed -n 's/^Subject: .*\[\([0-9a-f]*\)\]$/\1/p')
write_mail dan@example.fr "CONFIRMATION $dtoken" ''
ctl run-once --now "$now"
ctl show dan@example.fr
check 'the owner confirms: erased' test "$status" = 67

# convened keeps the store open: forget compacts it underneath, and
# convened adopts the new file at its next transaction, losing nothing.
CONVENED="$top_builddir/src/convened"
DAEMON_PID=
trap '[ -n "$DAEMON_PID" ] && kill -KILL "$DAEMON_PID" 2>/dev/null; cleanup' EXIT
# Waits (up to 20 s) until export names ADDRESS.
exported() {
	for _ in $(seq 200); do
		"$CONVENECTL" export --format json 2>/dev/null | grep -q "\"$1\"" && return 0
		sleep 0.1
	done
	return 1
}
"$CONVENED" -f --now 2025-09-01T09:00:00Z >"$T/daemon.log" 2>&1 &
DAEMON_PID=$!
write_mail fay@example.fi Registration 'Name: Fay Aalto\nOrganisation: Org\nCountry: FI\nActivities: kickoff-meeting\n'
check 'convened registers Fay' exported fay@example.fi
ctl forget fay@example.fi --now 2025-09-01T09:00:00Z
check 'convenectl forget while convened runs' sh -c "test $status = 0 && ! grep -rqi 'fay' var/state"
write_mail gus@example.fi Registration 'Name: Gus Berg\nOrganisation: Org\nCountry: FI\nActivities: kickoff-meeting\n'
exported gus@example.fi
ctl export --format json
check 'convened goes on in the compacted store' sh -c "jq -e 'any(.[]; .email == \"gus@example.fi\") and all(.[]; .email != \"fay@example.fi\")' '$T/out' >/dev/null && grep -q 'store-reopened' '$T/daemon.log'"
kill -TERM "$DAEMON_PID"
wait "$DAEMON_PID"
DAEMON_PID=

# Retention: the last digest says when; 90 days after the event, all goes.
ctl digest organisers --now 2025-09-17T16:00:00Z
ctl run-once --now 2025-09-17T16:00:00Z
body_of "$(notice_to events@bretagne-next.example.org .)" >"$T/digest.txt"
check 'the last digest tells the organisers when' grep -q 'kept until 2025-12-17' "$T/digest.txt"
ctl run-once --now 2025-12-17T12:00:00Z
ctl export --format json
check 'retention: nobody is left' jq -e 'length == 0' "$T/out"
check 'and the state directory names none of them' sh -c "! grep -rqiE 'bela|kiss@|example\\.(ro|fi|fr|net)' var/state"
exit $((failed > 0))
