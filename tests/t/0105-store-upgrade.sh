#!/bin/sh
# SPDX-License-Identifier: ISC
# A store written by the previous release (record format 2, before
# attendees had answers: tests/fixtures/store-v2) is opened by this one,
# read whole, and upgraded in place; nothing of it is lost, and it goes on
# working: waiting lists, pending confirmations, new answers.
. "$(dirname "$0")/lib.sh"
plan 7

fixture="$top_srcdir/tests/fixtures/store-v2"
cp "$fixture/convene.conf" "$T/convene.conf"
mkdir -p "$T/var/state"
gzip -dc "$fixture/data.mdb.gz" >"$T/var/state/data.mdb"
cp "$fixture/secret" "$T/var/state/secret"
chmod 600 "$T/var/state/secret"

# The export contract, as the previous release wrote it: every key of it is
# still there with the same value, and the answers are empty.
ctl export --format json
check 'every registration reads as the previous release exported it' \
	python3 - "$fixture/export.json" "$T/out" <<'PY'
import json, sys
old = json.load(open(sys.argv[1]))
new = json.load(open(sys.argv[2]))
assert len(old) == len(new) == 8, (len(old), len(new))
for a, b in zip(old, new):
    for k, v in a.items():
        assert b[k] == v, (a["email"], k, v, b[k])
    assert b["answers"] == {}, b
PY
ctl stats --format json
check 'and every record is now in the current format' \
	jq -e '.attendee_records == {"current_format": 8, "older_format": 0}' "$T/out"

# Still a working store: the Romanian place Ștefan waits for goes to him
# when Ana gives hers up, and a newcomer answers a new question.
cat >>"$T/convene.conf" <<'CONF'
field "tshirt" {
	type = "choice"
	choices = {"S", "M", "L", "XL"}
	label = {"en=T-shirt size", "fr=Taille de t-shirt"}
}
CONF
write_mail 'Ana Popescu <ana.popescu@example.ro>' Update 'Activities: kickoff-meeting, visit-le-poool'
write_mail 'Jean Dupont <jean.dupont@example.fr>' Modifier 'Taille de t-shirt : M'
ctl run-once --now 2025-09-04T09:00:00+02:00
ctl export --format json
check "Ștefan, who waited for Sekoia, has Ana's place" \
	jq -e '.[] | select(.email == "stefan@example.ro") | .activities == ["kickoff-meeting","study-visit-sekoia"] and .waitlist == []' "$T/out"
check 'Jean answers the new question, and nothing else of his moves' \
	jq -e '.[] | select(.email == "jean.dupont@example.fr") | .answers == {"tshirt": "M"} and .diet == "sans gluten" and .language == "fr"' "$T/out"
check 'Matti is still cancelled, Nadia still waits for her confirmation' \
	jq -e '(.[] | select(.email == "matti@example.fi") | .status == "cancelled") and (.[] | select(.email == "nadia@example.hr") | .status == "pending")' "$T/out"
last_to jean.dupont@example.fr >"$T/jean.txt"
check 'Jean is told what changed, in French' grep -q 'Taille de t-shirt : (rien) → M' "$T/jean.txt"
ctl stats --format json
check 'the store has no record in an older format' jq -e '.attendee_records.older_format == 0' "$T/out"

finish
