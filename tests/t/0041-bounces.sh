#!/bin/sh
# SPDX-License-Identifier: ISC
# Bounces that cannot be forged: a message to a bounce address is only ever
# read as a delivery report, and fails its row only when the address's
# keyed tag verifies and the report says "Action: failed" for the row's
# recipient. Postfix's delay notice changes nothing; nobody is ever answered.
. "$(dirname "$0")/lib.sh"
command -v smtp-sink >/dev/null 2>&1 || skip_all 'smtp-sink (Postfix) is not installed'
plan 17

sink() { # OPTIONS...: (re)start the sink, pointing the transport at it
	stop_sink
	start_sink "$@" || { echo "Bail out! no free loopback port for smtp-sink"; exit 1; }
	set_conf transport "\"smtp://127.0.0.1:$SINK_PORT\""
}
set_conf starttls '"none"'
register() { # ADDRESS NAME
	write_mail "$2 <$1>" Registration "Name: $2\nOrganisation: Org\nCountry: FI\nActivities: kickoff-meeting\n"
}
row_of() { # ADDRESS: the id of the answer to their registration
	"$CONVENECTL" queue --format json | jq --arg r "$1" '.[] | select(.recipient == $r and .kind == "registered") | .id'
}
row() { # ID: that row as JSON
	"$CONVENECTL" queue --format json | jq -c --argjson id "$1" '.[] | select(.id == $id) | {state, bounced, last_reply, attempts}'
}
# The tag a row's bounce address carries: HMAC-SHA256 under the state's
# secret of "bounce\nID", 40 bits in lower-case base32 (README).
tag_of() {
	python3 - "$T/var/state/secret" "$1" <<'PY'
import base64, hashlib, hmac, sys
key = open(sys.argv[1], 'rb').read()
mac = hmac.new(key, b"bounce\n" + sys.argv[2].encode(), hashlib.sha256).digest()
print(base64.b32encode(mac[:5]).decode().lower())
PY
}
# report FIXTURE ADDRESS RECIPIENT: a delivery report to ADDRESS about
# RECIPIENT, with a Message-ID of its own, into the intake.
report() {
	id=$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')
	sed -e "s/register+bounce-3@campus.example.org/$2/g" -e "s/nobody@tamk.example.fi/$3/g" \
		-e "s/^Message-I[dD]: <.*>/Message-Id: <$id@mx.example.fi>/" \
		"$FIXTURES/$1" >"$T/report.eml"
	ctl deliver <"$T/report.eml"
}
answers() { sink_files | wc -l; }

sink
register ana@example.ro 'Ana Popescu'
register stefan@example.ro 'Stefan Ionescu'
ctl run-once --now 2025-09-01T08:00:00Z
ana=$(row_of ana@example.ro)
stefan=$(row_of stefan@example.ro)
ana_verp=$(verp_of "$ana")
check 'each answer leaves with its own tagged bounce address' \
	test "$ana_verp" = "register+bounce-$ana-$(tag_of "$ana")@campus.example.org"
before=$(row "$ana")
sent=$(answers)

# A person's message to the real bounce address, tag and all.
write_mail 'Ana Popescu <ana@example.ro>' CANCEL 'CANCEL\nName: Mallory\n' "Delivered-To: $ana_verp"
ctl run-once --now 2025-09-01T09:00:00Z
check 'a plain message to a bounce address is dropped' test "$(row "$ana")" = "$before"
check 'and logged as such' grep -q "event=bounce-ignored to=bounce-$ana-" "$T/err"
check 'never read as a command: Ana is still registered' \
	sh -c "'$CONVENECTL' show ana@example.ro --format json | jq -e '.status == \"confirmed\" and .name == \"Ana Popescu\"' >/dev/null"
check 'and nobody is answered' test "$(answers)" = "$sent"

# A forged delivery report: the right row, a tag made up.
report dsn-bounce.eml "register+bounce-$ana-abcdefgh@campus.example.org" ana@example.ro
ctl run-once --now 2025-09-01T09:10:00Z
check 'a report with a wrong tag changes nothing' test "$(row "$ana")" = "$before"
check 'and says why in the log' grep -q 'reason="the address carries no valid tag"' "$T/err"
report dsn-bounce.eml "register+bounce-$ana@campus.example.org" ana@example.ro
ctl run-once --now 2025-09-01T09:20:00Z
check 'an untagged bounce address is not trusted either' test "$(row "$ana")" = "$before"
check 'nobody is answered' test "$(answers)" = "$sent"

# Postfix's delay notice, properly tagged, for a row the relay took.
stefan_before=$(row "$stefan")
report dsn-delayed.eml "$(verp_of "$stefan")" stefan@example.ro
ctl run-once --now 2025-09-01T12:00:00Z
check "Postfix's delay notice (Action: delayed, 4.4.1) leaves a sent row as it is" \
	test "$(row "$stefan")" = "$stefan_before"

# A row the relay refused for now, then a delay notice for it.
sink -r RCPT
register chloe@example.fi 'Chloé Martin'
ctl run-once --now 2025-09-01T13:00:00Z
chloe=$(row_of chloe@example.fi)
check 'a row the relay defers is queued' test "$(row "$chloe" | jq -r .state)" = queued
report dsn-delayed.eml "register+bounce-$chloe-$(tag_of "$chloe")@campus.example.org" chloe@example.fi
ctl run-once --now 2025-09-01T13:00:30Z
check 'a delay notice for it leaves it queued' \
	test "$(row "$chloe" | jq -c '[.state, .attempts, .bounced]')" = '["queued",1,false]'
sink
ctl run-once --now 2025-09-01T13:05:00Z
check 'and it is sent later' test "$(row "$chloe" | jq -r .state)" = sent

# The genuine article: failed, for the row's recipient, with its tag.
sent=$(answers)
report dsn-bounce.eml "$ana_verp" ana@example.ro
ctl run-once --now 2025-09-02T08:00:00Z
check 'a genuine report (Action: failed) fails the row, marked bounced' \
	test "$(row "$ana" | jq -c '[.state, .bounced]')" = '["failed",true]'
check 'keeping the diagnostic' test "$(row "$ana" | jq -r .last_reply)" = \
	'bounce: 5.1.1 smtp; 550 5.1.1 <ana@example.ro>: Recipient address rejected: User unknown'
check 'nobody is answered' test "$(answers)" = "$sent"
ctl stats --format json
check 'stats count one bounce' jq -e '.outbox.bounced == 1' "$T/out"
finish
