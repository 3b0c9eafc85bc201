#!/bin/sh
# SPDX-License-Identifier: ISC
# The organiser at the server: stats, cancel, backup while convene works,
# a broadcast by email, and clear usage messages.
. "$(dirname "$0")/lib.sh"
plan 18

now=2025-09-01T08:00:00Z
for who in ana bela cora; do
	write_mail "$who@example.ro" Registration \
		"Name: $who\nOrganisation: Org\nCountry: RO\nActivities: kickoff-meeting, visit-orange-cyberdefense\n"
done
ctl run-once --now "$now"
ctl stats
check 'stats, for people' sh -c "grep -q '^attendees: 3 confirmed, 0 pending, 0 cancelled' '$T/out' && grep -q 'visit-orange-cyberdefense *3 / 20' '$T/out'"
ctl stats --format json
# Three answers, each with its itinerary.
check 'stats, for programs' jq -e '.attendees.confirmed == 3 and .outbox.sent == 3 and .quarantined == 0' "$T/out"

ctl cancel Bela@Example.ro
check 'convenectl cancel cancels and says so' sh -c "test $status = 0 && grep -q 'bela@example.ro cancelled' '$T/out'"
ctl show bela@example.ro --format json
check 'the registration is cancelled' jq -e '.status == "cancelled"' "$T/out"
last_to bela@example.ro >"$T/bela.txt"
check 'and Bela is told' grep -q '^Subject: Registration cancelled' "$T/bela.txt"
ctl cancel nobody@example.ro
check 'cancelling someone unknown: EX_NOUSER (67) and one line' sh -c "test $status = 67 && test \$(wc -l <'$T/err') = 1"

# A broadcast, confirmed by the organiser's reply.
write_mail events@bretagne-next.example.org 'BROADCAST Bus at 8:30' \
	'The bus to Orange Cyberdefense leaves at 8:30 from the hotel.\n\n-- \nThe organisers'
ctl run-once --now "$now"
check 'a broadcast waits for the organiser to confirm' test "$(mails_to ana@example.ro)" = 1
token=$(last_to events@bretagne-next.example.org | sed -n 's/^Subject: .*\[\([0-9a-f]*\)\]$/\1/p')
write_mail events@bretagne-next.example.org "CONFIRM $token" ''
ctl run-once --now "$now"
last_to ana@example.ro >"$T/ana.txt"
check 'then every confirmed attendee receives it' sh -c "grep -q '^Subject: Bus at 8:30' '$T/ana.txt' && grep -q 'leaves at 8:30 from the hotel' '$T/ana.txt' && test $(mails_to cora@example.ro) = 2"
check 'but not the cancelled, nor the signature' sh -c "test $(mails_to bela@example.ro) = 2 && ! grep -q 'The organisers' '$T/ana.txt'"
last_to events@bretagne-next.example.org >"$T/done.txt"
check 'and the organiser hears how many' grep -q 'sent to 2 confirmed attendees' "$T/done.txt"

# REPORT and EXPORT by email, each confirmed by the organiser.
write_mail events@bretagne-next.example.org 'EXPORT' ''
ctl run-once --now "$now"
token=$(last_to events@bretagne-next.example.org | sed -n 's/^Subject: .*\[\([0-9a-f]*\)\]$/\1/p')
write_mail events@bretagne-next.example.org "Re: Please confirm [$token]" ''
ctl run-once --now "$now"
export_mail=$(ls -t $(grep -l '^Delivered-To: events@bretagne-next.example.org$' $(find var/sent/new -type f)) | head -1)
python3 - "$export_mail" >"$T/export.csv" <<'PY'
import email, sys
from email import policy
m = email.message_from_binary_file(open(sys.argv[1], 'rb'), policy=policy.default)
for part in m.iter_attachments():
    if part.get_filename() == "attendees.csv":
        sys.stdout.write(part.get_content() if isinstance(part.get_content(), str) else part.get_content().decode("utf-8-sig"))
PY
check 'EXPORT, once confirmed, mails the CSV of every attendee' sh -c "grep -q 'ana@example.ro' '$T/export.csv' && grep -q 'bela@example.ro' '$T/export.csv'"
write_mail events@bretagne-next.example.org 'REPORT' ''
ctl run-once --now "$now"
token=$(last_to events@bretagne-next.example.org | sed -n 's/^Subject: .*\[\([0-9a-f]*\)\]$/\1/p')
before_report=$(find var/sent/new -type f | wc -l)
write_mail events@bretagne-next.example.org "CONFIRM $token" ''
ctl run-once --now "$now"
report=$(ls -t $(grep -l '^Delivered-To: events@bretagne-next.example.org$' $(find var/sent/new -type f)) | head -1)
check 'REPORT, once confirmed, sends the digest now' grep -q '^Auto-Submitted: auto-generated' "$report"
write_mail mallory@example.net 'EXPORT' ''
before=$(find var/sent/new -type f | wc -l)
ctl run-once --now "$now"
check 'EXPORT from anyone else sends nothing' test "$(find var/sent/new -type f | wc -l)" = "$before"

# A backup taken while another process writes.
for i in $(seq 1 300); do
	write_mail "many$i@example.it" Registration "Name: Many $i\nOrganisation: Org\nCountry: Italy\nActivities: kickoff-meeting\n"
done
"$CONVENECTL" run-once --now "$now" >"$T/bg.out" 2>"$T/bg.err" &
bg=$!
ok=0
for i in 1 2 3 4 5; do
	"$CONVENECTL" backup "$T/backup.mdb" >/dev/null 2>&1 && ok=$((ok + 1))
done
wait $bg
check 'backup succeeds while run-once writes' test "$ok" = 5
mkdir "$T/restore"
cp "$T/backup.mdb" "$T/restore/data.mdb"
sed "s|^\\([[:space:]]*state[[:space:]]*=\\).*|\\1 \"$T/restore\"|" "$T/convene.conf" >"$T/restore.conf"
"$CONVENECTL" -c "$T/restore.conf" export --format json >"$T/restored.json" 2>"$T/err"
check 'the backup opens as a store' test -s "$T/restored.json"
ctl export --format json
cp "$T/out" "$T/final.json"
check 'and holds only committed registrations' \
	sh -c "jq -r '.[].email' '$T/restored.json' | while read -r e; do jq -e --arg e \"\$e\" 'any(.[]; .email == \$e)' '$T/final.json' >/dev/null || exit 1; done"
ctl backup "$T/final.mdb"
cp "$T/final.mdb" "$T/restore/data.mdb"
"$CONVENECTL" -c "$T/restore.conf" export --format json >"$T/restored.json" 2>/dev/null
check 'a backup after the run holds every attendee' test "$(jq length "$T/restored.json")" = "$(jq length "$T/final.json")"

ctl frobnicate
check 'an unknown command: EX_USAGE (64) with the usage' sh -c "test $status = 64 && grep -q '^usage: convenectl' '$T/err'"
finish
