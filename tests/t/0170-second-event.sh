#!/bin/sh
# SPDX-License-Identifier: ISC
# Another event with the shipped templates (tests/fixtures/second-event:
# Helsinki, two days in March 2026, its own activities and question): a
# HELP, an error, a registration confirmed by reply, an itinerary, an
# organisers' digest and a morning programme, each in the attendee's
# language, and not one word of the CAMPUS event in any of them (the words
# are read from etc/convene.conf: its activity ids, places, time zone and
# dates). tests/unit/test-second-event.c renders every kind the same way.
. "$(dirname "$0")/lib.sh"
plan 9

cp "$top_srcdir/tests/fixtures/second-event/convene.conf" "$T/convene.conf"
EVENT_ADDRESS=forum@baltic-data.example.net

# What only CAMPUS says, from its configuration.
conf=$top_srcdir/etc/convene.conf
{
	sed -n 's/^activity "\([^"]*\)".*/\1/p' "$conf"
	sed -n 's/^[[:space:]]*location[[:space:]]*=[[:space:]]*"\([^,"]*\).*/\1/p' "$conf"
	sed -n 's/^[[:space:]]*timezone[[:space:]]*=[[:space:]]*"\([^"]*\)".*/\1/p' "$conf"
	sed -n 's/^[[:space:]]*name[[:space:]]*=[[:space:]]*"\([A-Z][A-Z]*\) .*/\1/p' "$conf"
	sed -n 's/^day "[0-9]*-\([0-9]*\)-\([0-9]*\)".*/\2\/\1/p' "$conf"
} >"$T/campus-words"
check 'the CAMPUS words are read from its configuration' \
	sh -c "grep -qx visit-le-poool '$T/campus-words' && grep -qx 'Le Poool' '$T/campus-words' && grep -qx CAMPUS '$T/campus-words' && grep -qx 17/09 '$T/campus-words'"

ctl check-config
check 'the second event checks with the shipped templates' test "$status" = 0

write_mail 'Liis Tamm <liis@example.ee>' HELP ''
write_mail 'Élise Martin <elise@example.fr>' Inscription \
	'Nom : Élise Martin\nOrganisme : Aalto\nPays : Atlantide\nActivités : harbour-tour\n'
write_mail 'Liis Tamm <liis@example.ee>' Registration \
	'Name: Liis Tamm\nOrganisation: Tartu Data Lab\nCountry: Estonia\nActivities: plenary, harbour-tour, estonian-exchange\nSauna: yes\n'
ctl run-once --now 2026-02-20T09:00:00Z
# Her HELP and her registration are answered in the same second: read both.
token=$(for f in $(grep -l '^Delivered-To: liis@example.ee$' $(sent_files)); do body_of "$f"; done |
	sed -n 's/^Subject: Please confirm: .*\[\([0-9a-f]*\)\]$/\1/p' | tail -1)
check 'under confirm, Liis is asked to confirm' test -n "$token"
write_mail 'Liis Tamm <liis@example.ee>' "Re: Please confirm: Baltic Data Forum [$token]" ''
ctl run-once --now 2026-02-20T10:00:00Z
ctl show liis@example.ee --format json
check 'her reply registers her' \
	jq -e '.status == "confirmed" and .activities == ["plenary", "harbour-tour", "estonian-exchange"]' "$T/out"
last_to elise@example.fr >"$T/elise.txt"
check "Élise's country is refused in French, with this event's examples" \
	grep -q 'Atlantide : pays inconnu ; écrivez son nom ou son code ISO (FI, EE…)' "$T/elise.txt"

ctl run-once --now 2026-02-20T17:30:00Z # the digest, 19:00 in Helsinki
ctl run-once --now 2026-03-02T06:30:00Z # itineraries, two days before
ctl run-once --now 2026-03-04T06:30:00Z # the first morning's programme
for kind in organiser-digest itinerary daily-programme; do
	[ "$(queued_count "$kind")" -ge 1 ] || echo "no $kind"
done >"$T/missing-kinds"
check 'a digest, an itinerary and a programme were sent' test ! -s "$T/missing-kinds"

# Every mail written, headers and every text part (CSV and calendar too).
python3 - "$T/var/sent/new" >"$T/all-mail.txt" <<'PY'
import email, os, sys
from email import policy
d = sys.argv[1]
for name in sorted(os.listdir(d)):
    msg = email.message_from_binary_file(open(os.path.join(d, name), "rb"), policy=policy.default)
    print("==== %s: %s" % (name, msg["Subject"]))
    for k, v in msg.items():
        print("%s: %s" % (k, v))
    for part in msg.walk():
        if part.get_content_maintype() == "text":
            print(part.get_content())
PY
check 'the mails are read' test "$(grep -c '^==== ' "$T/all-mail.txt")" -ge 7
check 'they are about this event' grep -q 'Helsinki, Uusimaa' "$T/all-mail.txt"
check 'and hold no word of the CAMPUS event' \
	sh -c "! grep -n -i -F -f '$T/campus-words' '$T/all-mail.txt'"
finish
