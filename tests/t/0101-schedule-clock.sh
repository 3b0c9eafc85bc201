#!/bin/sh
# SPDX-License-Identifier: ISC
# The scheduler on the event's clock, moved with --now: the itinerary on
# registering, the reminder three days before, each morning's programme at
# 07:00 and the organisers' digest at 18:00, each queued once however often
# convene runs; what a downtime missed is caught up the same day, and a day
# that is over is skipped and logged, never sent late.
. "$(dirname "$0")/lib.sh"
plan 24

write_mail 'Ana Popescu <ana@example.ro>' Registration \
	'Name: Ana Popescu\nOrganisation: INATECH SRL\nCountry: Romania\nActivities: kickoff-meeting, visit-le-poool\n'
write_mail 'Kovács Zoltán <zoltan@example.hu>' Registration \
	'Name: Kovács Zoltán\nOrganisation: Óbuda University\nCountry: Hungary\nActivities: visit-orange-cyberdefense, local-ecosystem-talks\n'
write_mail 'Élodie Martin <elodie@example.fr>' Inscription \
	'Nom : Élodie Martin\nOrganisme : Bretagne Next\nPays : France\nActivités : next-steps-workshop\n'

ctl run-once --now 2025-09-01T09:00:00Z
check 'on registering, each of the three gets one answer, the itinerary in it' \
	sh -c "test $(sent_count) = 3 && test $(queued_count itinerary) = 0 && test $(notice_count) = 0"
last_to elodie@example.fr >"$T/elodie.txt"
check 'Élodie gets hers in French' grep -q 'Le fichier joint itinerary.ics place vos activités' "$T/elodie.txt"
ctl run-once --now 2025-09-01T09:30:00Z
check 'a rerun the same morning queues nothing more' sh -c "test $(queued_count itinerary) = 0 && test $(sent_count) = 3"

# The reminder: Friday 12 September, three days before, at 07:00 (05:00 UTC).
ctl run-once --now 2025-09-12T04:59:00Z
check 'at 06:59 on the reminder day, no reminder yet' test "$(queued_count itinerary)" = 0
check 'the digests of the days convene did not run are skipped, and logged' \
	grep -q 'event=schedule-skipped kind=organiser-digest date=2025-09-11' "$T/err"
ctl run-once --now 2025-09-12T05:00:00Z
check 'at 07:00 each attendee gets the reminder' test "$(queued_count itinerary)" = 3
check 'a skipped day is logged once only' sh -c "! grep -q schedule-skipped '$T/err'"
body_of "$(notice_to zoltan@example.hu reminder)" >"$T/reminder.txt"
check 'the reminder holds his whole itinerary' \
	sh -c "grep -q 'begins in 3 days' '$T/reminder.txt' && grep -q '14:00-17:00  Visit: Orange Cyberdefense' '$T/reminder.txt' && grep -q '09:00-12:30  Local ecosystem talks' '$T/reminder.txt'"
ctl run-once --now 2025-09-12T05:01:00Z
check 'at 07:01, nothing more' test "$(queued_count itinerary)" = 3

# Monday 15: the first day's programme, at 07:00.
ctl run-once --now 2025-09-15T04:59:00Z
check 'Monday at 06:59, no programme yet' test "$(queued_count daily-programme)" = 0
ctl run-once --now 2025-09-15T05:00:00Z
check 'at 07:00 it goes to the one attendee of that day' \
	sh -c "test $(queued_count daily-programme) = 1 && test $(queued_count daily-programme ana@example.ro) = 1"
ctl run-once --now 2025-09-15T05:01:00Z
check 'at 07:01, not again' test "$(queued_count daily-programme)" = 1
ctl run-once --now 2025-09-15T08:30:00Z
check 'nor later that morning' test "$(queued_count daily-programme)" = 1
body_of "$(notice_to ana@example.ro '^Today')" >"$T/ana-monday.txt"
check "Ana's Monday: her kick-off meeting, with time and place" \
	sh -c "grep -q '09:00-17:30  Partners. kick-off meeting' '$T/ana-monday.txt' && grep -q 'Bretagne Next, Rennes' '$T/ana-monday.txt'"
check 'and nothing of Tuesday' sh -c "! grep -q 'Poool' '$T/ana-monday.txt'"

ctl run-once --now 2025-09-15T15:59:00Z
check "17:59: no organisers' digest yet" test "$(queued_count organiser-digest)" = 0
ctl run-once --now 2025-09-15T16:00:00Z
check "18:00: the organisers' digest" test "$(queued_count organiser-digest events@bretagne-next.example.org)" = 1
ctl run-once --now 2025-09-15T16:30:00Z
check 'once' test "$(queued_count organiser-digest)" = 1

# Down from Monday evening to Tuesday 10:00: Tuesday's programme is late
# but the day is not over, so it goes.
ctl run-once --now 2025-09-16T08:00:00Z
check 'after a downtime the morning programme is caught up the same day' \
	sh -c "test $(queued_count daily-programme ana@example.ro) = 2 && test $(queued_count daily-programme zoltan@example.hu) = 1"
body_of "$(notice_to zoltan@example.hu '^Today')" >"$T/zoltan-tuesday.txt"
check "Zoltán's Tuesday holds his visit and nothing of another day or person" \
	sh -c "grep -q '14:00-17:00  Visit: Orange Cyberdefense' '$T/zoltan-tuesday.txt' && ! grep -q 'Poool' '$T/zoltan-tuesday.txt' && ! grep -q 'ecosystem' '$T/zoltan-tuesday.txt'"
check 'Élodie, who comes on Wednesday only, gets none yet' test "$(queued_count daily-programme elodie@example.fr)" = 0

# Down again until Thursday: Wednesday is over.
ctl run-once --now 2025-09-18T08:00:00Z
check 'a day that is over is not sent late' \
	sh -c "test $(queued_count daily-programme) = 3 && test $(queued_count organiser-digest) = 1"
check 'its programme and digests are logged as skipped' \
	sh -c "grep -q 'event=schedule-skipped kind=daily-programme date=2025-09-17' '$T/err' && grep -q 'event=schedule-skipped kind=organiser-digest date=2025-09-17' '$T/err'"
ctl run-once --now 2025-09-18T09:00:00Z
check 'and logged once' sh -c "! grep -q schedule-skipped '$T/err'"
finish
