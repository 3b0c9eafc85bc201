#!/bin/sh
# SPDX-License-Identifier: ISC
# doc/fields-and-languages.md as an organiser would follow it: its
# questions pasted into the shipped configuration check, its form is
# registered, and the export holds the answers the page says it does.
. "$(dirname "$0")/lib.sh"
plan 5

# Prints the fenced block of kind $1 (```conf, ```mail, ```json) of the page.
doc_block() {
	awk -v kind="$1" '
		$0 == "```" kind { inside = 1; next }
		inside && $0 == "```" { exit }
		inside { print }' "$top_srcdir/doc/fields-and-languages.md"
}

doc_block conf >"$T/questions.conf"
doc_block mail >"$T/form.txt"
doc_block json >"$T/want.json"
check 'the page has its three examples' \
	sh -c "test -s '$T/questions.conf' && test -s '$T/form.txt' && test -s '$T/want.json'"
cat "$T/questions.conf" >>"$T/convene.conf"
ctl check-config
check "the page's questions check" sh -c "test $status = 0 && grep -q 'configuration OK' '$T/out'"

write_mail 'Maria Ionescu <maria@example.ro>' Registration "$(cat "$T/form.txt")\n"
ctl run-once --now 2025-09-01T09:00:00Z
ctl export --format json
check "the page's form registers her" \
	jq -e '.[] | select(.email == "maria@example.ro") | .status == "confirmed"' "$T/out"
check 'with the answers the page shows' \
	jq -e --slurpfile want "$T/want.json" '.[] | select(.email == "maria@example.ro") | .answers == $want[0]' "$T/out"
last_to maria@example.ro >"$T/answer.txt"
check 'her answer shows them with the other fields' \
	sh -c "grep -q 'Hotel: *Mercure' '$T/answer.txt' && grep -q 'Photo on the visit badge: *yes' '$T/answer.txt'"
finish
