#!/bin/sh
# SPDX-License-Identifier: ISC
# An organiser checks the configuration before starting: the shipped CAMPUS
# event is fine; a broken file gets every error with its line, and EX_CONFIG.
. "$(dirname "$0")/lib.sh"
plan 9

ctl check-config
check 'the shipped CAMPUS configuration is OK' test "$status" = 0
check 'it says so in one line' grep -qx 'configuration OK' "$T/out"

cat >"$T/broken.conf" <<'CONF'
event {
  name = "Broken"
  timezone = "Europe/Nowhere"
  address = "register@example.org"
  colour = "blue"
}
day "2025-09-15" { title = "Monday" }
day "2025-02-30" { title = "No such date" }
activity "visit" {
  title = "A visit"  day = "2025-09-18"  start = "25:00"  end = "12:00"
}
transport = "carrier-pigeon://loft"
CONF
ctl -c "$T/broken.conf" check-config
check 'a broken configuration exits with EX_CONFIG (78)' test "$status" = 78
check 'the unknown key is named with its line' grep -q 'broken.conf:5:.*colour' "$T/err"
check 'the unknown time zone is named with its line' grep -q 'broken.conf:3:.*Europe/Nowhere' "$T/err"
check 'the impossible date is named with its line' grep -q 'broken.conf:8:.*2025-02-30' "$T/err"
check 'the activity on an undeclared day is named' grep -q 'broken.conf:[0-9]*:.*2025-09-18' "$T/err"

ctl -c "$T/missing.conf" check-config
check 'a missing file exits 78 with one line' \
	sh -c "test $status = 78 && test \$(wc -l <'$T/err') = 1 && grep -q missing.conf '$T/err'"

mkdir -p "$T/tpl"
cp -r "$top_srcdir/templates/en" "$top_srcdir/templates/fr" "$top_srcdir/templates/ro" \
	"$top_srcdir/templates/mail.conf" "$T/tpl/"
chmod -R u+w "$T/tpl"
rm "$T/tpl/fr/registered.txt"
printf 'Subject: x\n{{#open}}never closed\n' >"$T/tpl/en/status.txt"
set_conf templates "\"$T/tpl\""
ctl check-config
check 'a missing or broken template fails check-config, named' \
	sh -c "test $status = 78 && grep -q 'fr/registered.txt' '$T/err' && grep -q 'en/status.txt:2' '$T/err'"
finish
