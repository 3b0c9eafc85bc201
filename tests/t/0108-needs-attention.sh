#!/bin/sh
# SPDX-License-Identifier: ISC
# What needs the organisers comes first in their digest: a question passed
# to them, an error answer not put right, a refusal after the deadline,
# a quarantined message (with the command that releases it), a bounced
# answer, a sender held by the hourly limit, a confirmation pending for
# days and the waiting list, in order. The text, the HTML and
# "convenectl attention --format json" name each; every text part is
# UTF-8 and says so.
. "$(dirname "$0")/lib.sh"
plan 28

set_activity visit-orange-cyberdefense capacity 1
set_conf replies-per-sender-per-hour 2

# Monday 8 September, before the deadline.
write_mail 'Ana Popescu <ana@example.ro>' Registration \
	'Name: Ana Popescu\nOrganisation: INATECH SRL\nCountry: RO\nActivities: visit-orange-cyberdefense\n'
write_mail 'Nobody <nobody@tamk.example.fi>' Registration \
	'Name: Nobody\nOrganisation: TAMK\nCountry: FI\nActivities: kickoff-meeting\n'
ctl run-once --now 2025-09-08T07:00:00Z
write_mail 'Bogdan Ionescu <bogdan@example.ro>' Registration \
	'Name: Bogdan Ionescu\nOrganisation: UPB\nCountry: RO\nActivities: visit-orange-cyberdefense\n'
write_mail 'Ștefan Ionescu <stefan@example.ro>' Registration \
	'Name: Ștefan Ionescu\nOrganisation: UPB\nCountry: RO\nDays: Thursday\n'
ctl deliver <"$FIXTURES/question-gmail.eml"
{
	printf 'From: Mikko Jääskeläinen\nTo: register@campus.example.org\n'
	printf 'Subject: Ilmoittautuminen\nDate: Mon, 8 Sep 2025 10:00:00 +0300\n\nName: Mikko\n'
} | ctl deliver
# Somebody else's change to Ana's registration waits for Ana's yes.
write_mail 'Carol Smith <carol@example.org>' Update 'Email: ana@example.ro\nDiet: vegan\n'
for i in 1 2 3; do write_mail 'Loop <loop@example.net>' HELP ''; done
ctl run-once --now 2025-09-08T08:00:00Z
row=$("$CONVENECTL" queue --format json | jq '.[] | select(.recipient == "nobody@tamk.example.fi" and .kind == "registered") | .id')
sed "s/register+bounce-3@campus.example.org/$(verp_of "$row")/" "$FIXTURES/dsn-bounce.eml" >"$T/bounce.eml"
ctl deliver <"$T/bounce.eml"
ctl run-once --now 2025-09-08T09:00:00Z
quarantined=$(ls var/inbox.quarantine/new)

# Thursday 11 September, the day after the deadline.
write_mail 'Late Comer <late@example.fi>' Registration \
	'Name: Late Comer\nOrganisation: TAMK\nCountry: FI\nActivities: kickoff-meeting\n'
ctl run-once --now 2025-09-11T09:00:00Z

ctl attention --format json --now 2025-09-11T09:30:00Z
cp "$T/out" "$T/attention.json"
q() { jq -e "$1" "$T/attention.json" >/dev/null; }
check 'attention --format json: something needs the organisers' q '.any == true'
check 'the question passed to them' \
	q '.forwarded.items[] | select(.email == "anamaria.popescu@gmail.com" and .subject == "Parking near Le Poool?")'
check 'the error answer, with its problem' \
	q '.errors.items[] | select(.email == "stefan@example.ro" and .subject == "Registration" and (.problems[0].text | test("Thursday")))'
check 'the late refusal, with the deadline' \
	q '.refusals.items[] | select(.email == "late@example.fi" and .problems[0].code == "deadline-passed")'
check 'the quarantined message: sender, subject, date, reason, release' \
	q ".quarantine.items[] | select(.file == \"$quarantined\" and .from == \"Mikko Jääskeläinen\" and .subject == \"Ilmoittautuminen\" and (.date | test(\"8 Sep 2025\")) and .reason == \"no usable From address\" and .release == \"convenectl release $quarantined\")"
check 'the bounced answer, with the reply' \
	q ".bounced.items[] | select(.id == $row and .to == \"nobody@tamk.example.fi\" and (.reply | test(\"5.1.1\")))"
check 'the sender held by the hourly limit' q '.limited.items[] | select(.email == "loop@example.net" and .held == 1)'
check 'the confirmation pending for three days' \
	q '.pending.items[] | select(.email == "ana@example.ro" and .days == 3)'
check 'the waiting list, by name, in order, with the date asked' \
	q '.waiting.items[] | select(.id == "visit-orange-cyberdefense" and .people[0].position == 1 and .people[0].email == "bogdan@example.ro" and .people[0].at == "2025-09-08T08:00:00Z")'
check 'who registered without trouble needs nobody' \
	sh -c "! grep -q 'nobody@tamk.example.fi\"[^}]*\"subject\"' '$T/attention.json' && ! jq -e '.errors.items[] | select(.email == \"ana@example.ro\")' '$T/attention.json'"
ctl attention --now 2025-09-11T09:30:00Z
check 'attention prints the same in text' \
	sh -c "test $status = 0 && grep -q '^errors: 1' '$T/out' && grep -q 'release=convenectl release $quarantined' '$T/out' && grep -q 'email=bogdan@example.ro' '$T/out'"

ctl run-once --now 2025-09-11T16:00:00Z
digest=$(notice_to events@bretagne-next.example.org "Organisers' digest")
body_of "$digest" >"$T/digest.txt"
check 'needs attention comes first in the digest' \
	sh -c "test \$(grep -n '^NEEDS ATTENTION' '$T/digest.txt' | cut -d: -f1) -lt \$(grep -n '^CHANGES' '$T/digest.txt' | cut -d: -f1)"
check 'the digest names the question' grep -q 'Ana-Maria Popescu <anamaria.popescu@gmail.com>, .*"Parking near Le Poool?"' "$T/digest.txt"
check 'the error answer, its subject and problem' \
	sh -c "grep -A1 'Ștefan Ionescu <stefan@example.ro>, .*\"Registration\"' '$T/digest.txt' | grep -q 'Thursday'"
check 'the late refusal' sh -c "grep -A1 'Late Comer <late@example.fi>' '$T/digest.txt' | grep -q 'closed on'"
check 'the quarantined message and how to release it' \
	sh -c "grep -A2 'Mikko Jääskeläinen, \"Ilmoittautuminen\", Mon, 8 Sep 2025' '$T/digest.txt' | grep -q 'release: convenectl release $quarantined'"
check 'the bounce' grep -q "#$row registered to nobody@tamk.example.fi: bounce: 5.1.1" "$T/digest.txt"
check 'the held sender and the pending confirmation' \
	sh -c "grep -q 'loop@example.net: 1 answer(s) held' '$T/digest.txt' && grep -q 'Ana Popescu <ana@example.ro>, asked .* (3 days)' '$T/digest.txt'"
check 'the waiting list' \
	sh -c "grep -A1 'Visit: Orange Cyberdefense (.*), 1 waiting:' '$T/digest.txt' | grep -q '1. Bogdan Ionescu <bogdan@example.ro>, asked Monday 8 September 2025, 10:00'"
part_of "$digest" text/html >"$T/digest.html"
check 'the HTML digest: needs attention first' \
	sh -c "test \$(grep -n 'Needs attention' '$T/digest.html' | cut -d: -f1) -lt \$(grep -n '>Changes' '$T/digest.html' | cut -d: -f1)"
check 'the HTML names each' \
	sh -c "grep -q 'Parking near Le Poool?' '$T/digest.html' && grep -q 'stefan@example.ro' '$T/digest.html' && grep -q 'late@example.fi' '$T/digest.html' && grep -q 'convenectl release $quarantined' '$T/digest.html' && grep -q 'nobody@tamk.example.fi' '$T/digest.html' && grep -q 'Bogdan Ionescu' '$T/digest.html'"
check 'every text part of the digest is UTF-8 and says so' python3 - "$digest" <<'PY'
import email, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"))
parts = [p for p in m.walk() if p.get_content_maintype() == "text"]
assert len(parts) >= 3, parts
for p in parts:
    assert p.get_content_charset() == "utf-8", (p.get_content_type(), p.get_content_charset())
    p.get_payload(decode=True).decode("utf-8")
html = [p for p in parts if p.get_content_type() == "text/html"][0]
assert b'<meta charset="utf-8">' in html.get_payload(decode=True)
PY

python3 - "$digest" >"$T/attention.csv" <<'PY'
import email, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"))
for p in m.walk():
    if p.get_filename() == "attention-2025-09-11.csv":
        sys.stdout.write(p.get_payload(decode=True).decode("utf-8-sig"))
PY
check 'the attached attention CSV carries the same, a row each' python3 - "$T/attention.csv" "$quarantined" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
seen = {(r["list"], r["email"]) for r in rows}
for want in [("forwarded", "anamaria.popescu@gmail.com"), ("errors", "stefan@example.ro"),
             ("refusals", "late@example.fi"), ("quarantine", "Mikko Jääskeläinen"),
             ("bounced", "nobody@tamk.example.fi"), ("limited", "loop@example.net"),
             ("pending", "ana@example.ro"), ("waiting", "bogdan@example.ro")]:
    assert want in seen, (want, seen)
assert any(r["action"] == "convenectl release " + sys.argv[2] for r in rows)
PY
check 'registrations.xlsx beside the CSV: a column per field, a row per attendee' python3 - "$digest" <<'PY'
import email, io, re, sys, zipfile
m = email.message_from_binary_file(open(sys.argv[1], "rb"))
[book] = [p.get_payload(decode=True) for p in m.walk() if p.get_filename() == "registrations.xlsx"]
[csv] = [p.get_payload(decode=True).decode("utf-8-sig") for p in m.walk() if (p.get_filename() or "").startswith("attendees-")]
z = zipfile.ZipFile(io.BytesIO(book))
sheet = z.read("xl/worksheets/sheet1.xml").decode("utf-8")
rows = re.findall(r"<row [^>]*>(.*?)</row>", sheet)
header = csv.splitlines()[0].split(",")
cells = lambda r: [re.sub(r"<[^>]+>", "", c) for c in re.findall(r"<is>(.*?)</is>", r)]
assert cells(rows[0]) == header, (cells(rows[0]), header)
assert len(rows) == len(csv.splitlines()), (len(rows), len(csv.splitlines()))
assert any("Bogdan Ionescu" in cells(r) for r in rows)
PY

# Ștefan puts his registration right: his error needs nobody any more.
write_mail 'Ștefan Ionescu <stefan@example.ro>' Registration \
	'Name: Ștefan Ionescu\nOrganisation: UPB\nCountry: RO\nDays: Monday\n'
ctl run-once --now 2025-09-11T17:00:00Z
ctl attention --format json --now 2025-09-11T17:00:00Z
check 'an error put right leaves the list' \
	sh -c "jq -e '.errors.count == 0' '$T/out' >/dev/null"

ctl release "$quarantined"
check 'release moves the quarantined message back into the intake' \
	sh -c "test $status = 0 && test -f 'var/inbox/new/$quarantined' && ! test -e 'var/inbox.quarantine/new/$quarantined'"
ctl release "$quarantined"
check 'releasing what the quarantine does not hold: EX_NOINPUT' \
	sh -c "test $status = 66 && grep -q 'no message' '$T/err'"
ctl run-once --now 2025-09-11T17:30:00Z
check 'read again, unreadable mail goes back to the quarantine' test -f "var/inbox.quarantine/new/$quarantined"
finish
