#!/bin/sh
# SPDX-License-Identifier: ISC
# Digests by hand go where convenectl(8) says: the organisers' digest to an
# organiser of the configuration, an itinerary or a programme to someone
# registered. Any other address is refused with 67 (EX_NOUSER) and nothing
# is queued, rather than "0 message(s) queued".
. "$(dirname "$0")/lib.sh"
plan 8

write_mail 'Ana Popescu <ana@example.ro>' Registration \
	'Name: Ana Popescu\nOrganisation: INATECH SRL\nCountry: RO\nActivities: kickoff-meeting\n'
ctl run-once --now 2025-09-01T09:00:00Z
before=$("$CONVENECTL" queue --format json | jq length)

ctl digest organisers stranger@example.org --now 2025-09-01T12:00:00Z
check 'a digest for an address that is no organiser: exit 67' \
	sh -c "test $status = 67 && grep -q 'stranger@example.org is not an organiser' '$T/err'"
check 'and nothing said on stdout' test ! -s "$T/out"
ctl digest organisers ana@example.ro --now 2025-09-01T12:00:00Z
check 'an attendee is no organiser either' test "$status" = 67
ctl digest itinerary stranger@example.org --now 2025-09-01T12:00:00Z
check 'an itinerary for someone not registered: exit 67' \
	sh -c "test $status = 67 && grep -q 'stranger@example.org is not registered' '$T/err'"
ctl digest programme nobody@example.org --date 2025-09-15 --now 2025-09-01T12:00:00Z
check 'a programme likewise' test "$status" = 67
check 'none of them queued anything' test "$("$CONVENECTL" queue --format json | jq length)" = "$before"

ctl digest organisers EVENTS@bretagne-next.example.org --now 2025-09-01T12:00:00Z
check "the organiser's address, in any case, is queued its digest" \
	sh -c "test $status = 0 && grep -q '^1 message(s) queued' '$T/out' && test $(queued_count organiser-digest events@bretagne-next.example.org) = 1"
ctl digest itinerary ana@example.ro --now 2025-09-01T12:00:00Z
check "an attendee's itinerary is queued" \
	sh -c "test $status = 0 && grep -q '^1 message(s) queued' '$T/out'"
finish
