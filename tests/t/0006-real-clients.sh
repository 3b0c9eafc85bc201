#!/bin/sh
# SPDX-License-Identifier: ISC
# Partners register from the mail clients they really use; each message is
# read as its writer meant it, whatever the client did to it.
. "$(dirname "$0")/lib.sh"
plan 23

for f in gmail-alternative-qp outlook-html-1250 apple-flowed-base64 \
	thunderbird-reply-above-invitation french-iso-8859-1 activity-typo \
	encoded-from-crlf-bcc undeclared-1250-with-attachment; do
	ctl deliver <"$FIXTURES/$f.eml"
done
ctl run-once --now 2025-09-05T08:00:00Z
check 'all eight are answered' grep -q '^8 message(s) read: 8 answered' "$T/out"
ctl export --format json
cp "$T/out" "$T/export.json"
person() { jq -e --arg e "$1" ".[] | select(.email == \$e) | $2" "$T/export.json"; }

check 'Gmail (multipart/alternative, quoted-printable): the text part, diacritics intact' \
	person anamaria.popescu@gmail.com '.organisation == "Technical University Gheorghe Asachi Iași"
	and .country == "RO" and .days == ["2025-09-15","2025-09-16","2025-09-17"]
	and .arrival == "Sunday 14 September, flight TK1905 landing at 21:40"'
check 'Gmail: a long line split by quoted-printable is one line again' \
	person anamaria.popescu@gmail.com '.role == "Associate professor, Faculty of Automatic Control and Computer Engineering"'
check 'Outlook (HTML only, windows-1250): Szőke Ildikó read from MsoNormal paragraphs' \
	person ildiko.szoke@ctria.example.hu '.name == "Szőke Ildikó" and .country == "HU" and .diet == "lactose free"'
check 'Outlook: days 15/09 – 16/09 and aliases read' \
	person ildiko.szoke@ctria.example.hu '.days == ["2025-09-15","2025-09-16"]
	and .activities == ["kickoff-meeting","visit-orange-cyberdefense"]'
check 'Outlook: the quoted invitation below its header block is ignored' \
	person ildiko.szoke@ctria.example.hu '.language == "en"'
check 'Apple Mail (base64, format=flowed, DelSp): flowed lines joined' \
	person aino.jaaskelainen@tamk.example.fi '.activities == ["kickoff-meeting","visit-orange-cyberdefense","local-ecosystem-talks","next-steps-workshop"]
	and .accessibility == "I use a wheelchair; step-free access please."'
check 'Apple Mail: the name with its Finnish letters' \
	person aino.jaaskelainen@tamk.example.fi '.name == "Jääskeläinen Aino"'
check 'Thunderbird reply above the quoted invitation: only what she wrote' \
	person marija.kovacevic@rijeka.example.hr '.name == "Marija Kovačević" and .country == "HR"
	and .days == ["2025-09-16","2025-09-17"] and .language == "en"
	and .activities == ["visit-le-poool","local-ecosystem-talks","next-steps-workshop"]'
check 'French form in iso-8859-1: keys, days and accents' \
	person elodie.lefevre@bdi.example.fr '.name == "Élodie Lefèvre" and .country == "FR"
	and .diet == "végétarien" and .language == "fr" and .days == ["2025-09-16","2025-09-17"]
	and .activities == ["visit-orange-cyberdefense","next-steps-workshop"]'
check 'typos in activity names read as the one clearly meant' \
	person djordje.petrovic@rda-belgrade.example.rs '.activities == ["kickoff-meeting","visit-orange-cyberdefense","local-ecosystem-talks"]
	and .country == "RS"'

check 'no charset declared: a Hungarian sender is read as windows-1250, no mojibake' \
	person gabor.toth@ctria.example.hu '.name == "Tóth Gábor" and .diet == "gluténmentes, szőlő nélkül"
	and .organisation == "Fejér Megyei Kereskedelmi és Iparkamara"'
check 'an attached text file is never read as the form' \
	person gabor.toth@ctria.example.hu '.country == "HU" and .activities == ["kickoff-meeting"]'

reply_to() { grep -l "^Delivered-To: $1" $(sent_files) | head -1; }
body_of "$(reply_to elodie.lefevre@bdi.example.fr)" >"$T/fr.txt"
check 'Élodie is answered in French' sh -c "grep -q '^Subject: Inscription enregistrée' '$T/fr.txt' && grep -q 'Régime *: végétarien' '$T/fr.txt'"
body_of "$(reply_to djordje.petrovic@rda-belgrade.example.rs)" >"$T/typo.txt"
check 'Đorđe is told how his typos were read' \
	sh -c "grep -q 'line 4: kick-off meting: understood as kickoff-meeting' '$T/typo.txt' && grep -q 'Orange Cyber Defence: understood as visit-orange-cyberdefense' '$T/typo.txt'"
check 'his name keeps its Đ in the To header' sh -c "grep -q '^To: Đorđe Petrović <djordje.petrovic@rda-belgrade.example.rs>' '$T/typo.txt'"
body_of "$(reply_to ildiko.szoke@ctria.example.hu)" >"$T/hu.txt"
check 'Ildikó gets her answer with her name encoded by GMime' \
	sh -c "grep -q '^To: Szőke Ildikó' '$T/hu.txt' && grep -q '^To: =?' '$(reply_to ildiko.szoke@ctria.example.hu)'"

mallory=$(reply_to mallory@example.net)
check 'an encoded CRLF in From or Subject forges no header: no Bcc' sh -c "! grep -qi '^Bcc:' '$mallory'"
check 'and no injected header either' sh -c "! grep -qi '^X-Injected' '$mallory'"
check 'the reply still goes to the sender alone' sh -c "test \$(grep -c '^To:' '$mallory') = 1 && grep -q '^Delivered-To: mallory@example.net' '$mallory'"
check 'no log line is forged by it' sh -c "! grep -q '^Bcc' '$T/err'"

ctl deliver <"$FIXTURES/dsn-bounce.eml"
ctl run-once --now 2025-09-05T08:10:00Z
check 'a delivery status notification is not answered' sh -c "grep -q '1 robot' '$T/out' && test $(sent_count) = 8"
check 'nor registered' test "$(ctl export --format json; jq length "$T/out")" = 8
finish
