#!/bin/sh
# SPDX-License-Identifier: ISC
# Ștefan writes from Thunderbird; the MTA pipes it to convenectl deliver;
# run-once registers him and his confirmation lands in the maildir: spool.
. "$(dirname "$0")/lib.sh"
plan 17

ctl deliver <"$FIXTURES/register-plain.eml"
check 'deliver exits 0' test "$status" = 0
check 'the message is in the intake new/' test "$(ls var/inbox/new | wc -l)" = 1
check 'nothing is left in tmp/' test "$(ls var/inbox/tmp | wc -l)" = 0

ctl run-once --now 2025-09-01T09:00:00Z
check 'run-once exits 0' test "$status" = 0
check 'the message moved to cur/' sh -c 'test "$(ls var/inbox/new | wc -l)" = 0 && test "$(ls var/inbox/cur | wc -l)" = 1'
check 'one reply was written to the spool' test "$(sent_count)" = 1

reply=$(sent_files | head -1)
body_of "$reply" >"$T/reply.txt"
check 'the reply goes to Ștefan' grep -q '^To: Ștefan Ionescu <stefan.ionescu@infosec-center.example.ro>' "$T/reply.txt"
check 'its subject says he is registered' grep -q '^Subject: Registered: CAMPUS kick-off meeting' "$T/reply.txt"
check 'it quotes his name and organisation' sh -c "grep -q 'Name: *Ștefan Ionescu' '$T/reply.txt' && grep -q 'Infosec Center SRL' '$T/reply.txt'"
check 'it lists his activities with times' grep -q 'Monday 15 September 2025, 09:00-17:30' "$T/reply.txt"
check 'it is threaded to his message' grep -q '^In-Reply-To: <b3f1c2a4-7d1e-4c55-9a61-2f0d6c1e8a10@infosec-center.example.ro>' "$reply"
part_of "$reply" text/calendar >"$T/reply.ics"
check 'his calendar rides with the answer, a published agenda to import' \
	sh -c "grep -q '^METHOD:PUBLISH' '$T/reply.ics' && test \$(grep -c '^BEGIN:VEVENT' '$T/reply.ics') = 3 && ! grep -q '^ATTENDEE' '$T/reply.ics'"
check 'it is marked auto-replied and comes from the event' sh -c "grep -q '^Auto-Submitted: auto-replied' '$reply' && grep -q '^From: .*<register@campus.example.org>' '$reply' && grep -q '^Message-Id: <.*@campus.example.org>' '$reply'"

ctl export --format json
check 'export holds one attendee' test "$(jq length "$T/out")" = 1
check 'stored as the contract says' jq -e '.[0] | .email == "stefan.ionescu@infosec-center.example.ro"
	and .name == "Ștefan Ionescu" and .country == "RO" and .status == "confirmed"
	and .days == ["2025-09-15","2025-09-16","2025-09-17"]
	and .activities == ["kickoff-meeting","visit-le-poool","next-steps-workshop"]
	and .diet == "vegetarian" and .language == "en"
	and .registered_at == "2025-09-01T11:00:00+02:00"' "$T/out"

ctl queue --format json
check 'one answer is sent, his itinerary in it: no second mail a second later' jq -e 'length == 1 and all(.[]; .state == "sent") and map(.kind) == ["registered"]' "$T/out"

ctl show Stefan.Ionescu@infosec-center.example.ro --format json
check 'show finds him whatever the case of his address' jq -e '.name == "Ștefan Ionescu"' "$T/out"
finish
