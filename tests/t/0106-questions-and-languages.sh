#!/bin/sh
# SPDX-License-Identifier: ISC
# The organisers ask questions of their own (a choice, a yes-no, a date, a
# multi-choice asked only of those at the workshop), partners answer in
# English, French and Romanian, each told in their own language what was
# read and what was wrong, line by line; export, CSV and digest carry the
# answers; and a fourth language is added by copying a directory and
# changing only its data.
. "$(dirname "$0")/lib.sh"
plan 23

cat >>"$T/convene.conf" <<'CONF'
field "tshirt" {
	type     = "choice"
	choices  = {"S", "M", "L", "XL"}
	label    = {"en=T-shirt size", "fr=Taille de t-shirt", "ro=Mărime tricou"}
	keys     = {"T-shirt", "Taille", "Tricou"}
	help     = {"en=We order shirts on 1 September", "fr=Commande des t-shirts le 1er septembre"}
}
field "dinner" {
	type     = "yes-no"
	required = true
	label    = {"en=Dinner", "fr=Dîner", "ro=Cină"}
	keys     = {"Gala dinner"}
}
field "hotel-night" {
	type     = "date"
	label    = {"en=Hotel night", "fr=Nuit d'hôtel", "ro=Noapte la hotel"}
}
field "topics" {
	type     = "multi-choice"
	choices  = {"Cloud", "OT/ICS", "Identity"}
	required = true
	activities = {"next-steps-workshop"}
	label    = {"en=Workshop topics", "fr=Sujets de l'atelier", "ro=Temele atelierului"}
}
CONF
ctl check-config
check 'a configuration with questions of its own checks' sh -c "test $status = 0 && grep -q 'configuration OK' '$T/out'"

write_mail 'Matti Virtanen <matti@example.fi>' Registration \
	'Name: Matti Virtanen\nOrganisation: VTT\nCountry: Finland\nActivities: kickoff-meeting, next-steps-workshop\nT-shirt: xl\nDinner: yes\nHotel night: Sunday 14\nWorkshop topics: cloud, OT-ICS\n'
write_mail 'Élodie Lefèvre <elodie@example.fr>' Inscription \
	'Nom : Élodie Lefèvre\nOrganisme : BDI\nPays : France\nActivités : réunion des partenaires\nTaille : M\nDîner : non\nNuit d'"'"'hôtel : 14/09\n'
write_mail 'Ana Popescu <ana@example.ro>' Înscriere \
	'Nume: Ana Popescu\nOrganizație: INATECH SRL\nȚara: România\nActivități: kickoff-meeting\nTricou: XLL\nCină: da\n'
write_mail 'Kovács Zoltán <zoltan@example.hu>' Registration \
	'Name: Kovács Zoltán\nOrganisation: BME\nCountry: Hungary\nActivities: kickoff-meeting, next-steps-workshop\nT-shirt: XXXL\nHotel night: next Friday\n'
ctl run-once --now 2025-09-01T09:00:00+02:00
ctl export --format json
cp "$T/out" "$T/export.json"

check 'the English answers are stored, typed' \
	jq -e '.[] | select(.email == "matti@example.fi") | .answers == {"tshirt": "XL", "dinner": true, "hotel-night": "2025-09-14", "topics": ["Cloud", "OT/ICS"]}' "$T/export.json"
check 'so are the French ones, and a date the French way' \
	jq -e '.[] | select(.email == "elodie@example.fr") | .answers == {"tshirt": "M", "dinner": false, "hotel-night": "2025-09-14"} and .language == "fr"' "$T/export.json"
check 'topics are asked only of those at the workshop' \
	jq -e '.[] | select(.email == "elodie@example.fr") | .answers.topics == null' "$T/export.json"
check 'a small typo in a choice is read (Ana: XLL is XL), in Romanian' \
	jq -e '.[] | select(.email == "ana@example.ro") | .answers.tshirt == "XL" and .language == "ro"' "$T/export.json"
check 'a message with wrong answers registers nobody' \
	jq -e 'all(.[]; .email != "zoltan@example.hu")' "$T/export.json"

last_to zoltan@example.hu >"$T/zoltan.txt"
check 'Zoltán is told each problem on its line, with what is accepted' \
	sh -c "grep -q 'line 5: T-shirt size: “XXXL” is not accepted; write one of: S, M, L, XL' '$T/zoltan.txt' &&
	       grep -q 'line 6: Hotel night: “next Friday” is not accepted; write a date, such as 15/09' '$T/zoltan.txt'"
check 'and of the answers he left out that are needed' \
	sh -c "grep -q 'Dinner: missing, and needed' '$T/zoltan.txt' && grep -q 'Workshop topics: missing, and needed' '$T/zoltan.txt'"
last_to ana@example.ro >"$T/ana.txt"
check 'Ana is answered in Romanian, her typo read with a note' \
	sh -c "grep -q '^Subject: Înscriere confirmată' '$T/ana.txt' && grep -q 'rândul 5: Mărime tricou: „XLL” înțeles ca XL' '$T/ana.txt'"
check 'her summary lists her answers with their Romanian labels' \
	sh -c "grep -q 'Mărime tricou: *XL' '$T/ana.txt' && grep -q 'Cină: *da' '$T/ana.txt' && grep -q 'Țară: *România (RO)' '$T/ana.txt'"
last_to elodie@example.fr >"$T/elodie.txt"
check 'Élodie reads hers in French: the date, the yes-no, the status' \
	sh -c "grep -q 'Nuit d.hôtel *: dimanche 14 septembre 2025' '$T/elodie.txt' && grep -q 'Dîner *: non' '$T/elodie.txt' && grep -q 'Statut *: confirmée' '$T/elodie.txt' && grep -q 'Pays *: France (FR)' '$T/elodie.txt'"
check 'and not a word of English in her answer' \
	sh -c "! grep -Eiq '\\b(the|your|registered|confirmed|waiting|yes|no|line)\\b' '$T/elodie.txt'"

write_mail 'Kovács Zoltán <zoltan@example.hu>' Help ''
ctl run-once --now 2025-09-01T09:10:00+02:00
last_to zoltan@example.hu >"$T/help.txt"
check 'the help answer lists every question with its label, help and accepted values' \
	sh -c "grep -q 'T-shirt size: one of: S, M, L, XL' '$T/help.txt' && grep -q 'We order shirts on 1 September' '$T/help.txt' && grep -q 'Dinner \\*: yes or no' '$T/help.txt' && grep -q 'Workshop topics \\*: one or more of: Cloud, OT/ICS, Identity' '$T/help.txt'"

ctl export --format csv
check 'the CSV has one column per question, in configuration order' \
	sh -c "head -1 '$T/out' | grep -q ',departure,tshirt,dinner,hotel-night,topics,registered_at,updated_at'"
check 'with the answers in them' grep -q '^matti@example.fi,.*,XL,yes,2025-09-14,Cloud; OT/ICS,' "$T/out"

ctl digest organisers --now 2025-09-01T10:00:00+02:00
ctl run-once --now 2025-09-01T10:00:00+02:00
body_of "$(notice_to events@bretagne-next.example.org '^Preview')" >"$T/digest.txt"
check 'the digest counts each choice' \
	sh -c "grep -q 'T-shirt size: S 0, M 1, L 0, XL 2' '$T/digest.txt' && grep -q 'Dinner: yes 2, no 1' '$T/digest.txt'"

# A fourth language: a copy of the English directory, its data translated.
cp -r "$top_srcdir/templates" "$T/tpl"
chmod -R u+w "$T/tpl"
cp -r "$T/tpl/en" "$T/tpl/de"
python3 - "$T/tpl/de/language.conf" <<'PY'
import sys
p = sys.argv[1]
s = open(p, encoding="utf-8").read()
for a, b in [
    ("names=English;en;eng;anglais;engleză;in English", "names=Deutsch;de;deu;ger;German;allemand"),
    ("country=Country", "country=Land"),
    ("days=Days;Dates;Day;Date", "days=Tage;Tag;Termine"),
    ("organisation=Organisation;Organization;", "organisation=Organisation;Firma;Einrichtung;"),
    ("register=register;registration;", "register=anmeldung;anmelden;"),
    ("monday=Monday;mon", "monday=Montag;mo"),
    ("wednesday=Wednesday;wed", "wednesday=Mittwoch;mi"),
    ("all=all;all days;", "all=alle;alle Tage;"),
    ("name=Name;Full name;Your name;First and last name", "name=Name;Vollständiger Name"),
    ("and=and", "and=und"),
]:
    assert a in s, a
    s = s.replace(a, b)
open(p, "w", encoding="utf-8").write(s)
PY
set_conf templates "\"$T/tpl\""
sed -i 's/languages  = {"en", "fr", "ro"}/languages  = {"en", "fr", "ro", "de"}/' "$T/convene.conf"
ctl check-config
check 'a fourth language is a directory: check-config takes it' sh -c "test $status = 0"
write_mail 'Jürgen Müller <juergen@example.de>' Anmeldung \
	'Name: Jürgen Müller\nOrganisation: Fraunhofer\nLand: Deutschland\nTage: Montag und Mittwoch\nActivities: kickoff-meeting\nDinner: ja\n'
ctl run-once --now 2025-09-01T11:00:00+02:00
ctl export --format json
check 'a German form is read by the data alone' \
	jq -e '.[] | select(.email == "juergen@example.de") | .country == "DE" and .days == ["2025-09-15","2025-09-17"] and .language == "de" and .answers.dinner == true' "$T/out"

rm "$T/tpl/de/language.conf"
ctl check-config
check 'a language without its data file is named by check-config' \
	sh -c "test $status = 78 && grep -q 'tpl/de/language.conf' '$T/err'"
cp "$T/tpl/en/language.conf" "$T/tpl/de/language.conf"
sed -i '/^unknown-day=/d' "$T/tpl/de/language.conf"
rm "$T/tpl/de/help.txt"
ctl check-config
check 'a missing problem sentence is named with its file and line' \
	sh -c "test $status = 78 && grep -q 'tpl/de/language.conf:[0-9]*: \\[problems\\] has no unknown-day' '$T/err'"
cp "$T/tpl/en/language.conf" "$T/tpl/de/language.conf"
ctl check-config
check 'so is a missing template kind' sh -c "test $status = 78 && grep -q 'tpl/de/help.txt' '$T/err'"

# A field that would take a key another field has is refused.
cp "$top_srcdir/etc/convene.conf" "$T/clash.conf"
printf 'field "country-of-birth" {\n\tkeys = {"Country"}\n}\n' >>"$T/clash.conf"
sed -i "s|templates = \"templates\"|templates = \"$top_srcdir/templates\"|" "$T/clash.conf"
ctl -c "$T/clash.conf" check-config
check 'a key two fields would share is refused, with its line' \
	sh -c "test $status = 78 && grep -q 'clash.conf:[0-9]*: field \"country-of-birth\": .Country. is already a key of country' '$T/err'"
check 'duplicates finds no list of fields written twice in src/' \
	sh -c "! grep -nE '\"(diet|accessibility|arrival|departure)\"' '$top_srcdir'/src/*.c | grep -v '^$top_srcdir/src/field.c:'"
finish
