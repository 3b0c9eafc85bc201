#!/bin/sh
# SPDX-License-Identifier: ISC
# Bad input gets a clear answer and loses nothing: a person is told what is
# wrong, a robot gets silence, what is not mail is quarantined, and broken
# set-ups get one line and a sysexits code.
. "$(dirname "$0")/lib.sh"
plan 18

ctl deliver <"$FIXTURES/register-unknown-day.eml"
ctl run-once --now 2025-09-02T09:00:00Z
check 'a message with a problem is answered' test "$(sent_count)" = 1
body_of "$(sent_files | head -1)" >"$T/reply.txt"
check 'the answer names the line and the day, and the days that exist' \
	grep -q 'line 4: Thursday: no such day; the event runs from Monday 15 September 2025 to Wednesday 17 September 2025' "$T/reply.txt"
check 'the typo in an activity is read, and said' grep -q 'Orange Cyber Defence: understood as visit-orange-cyberdefense' "$T/reply.txt"
ctl export --format json
check 'nothing is stored for a message with a problem' test "$(jq length "$T/out")" = 0

ctl deliver <"$FIXTURES/robot-out-of-office.eml"
ctl run-once --now 2025-09-02T09:01:00Z
check 'an out-of-office reply gets no answer' test "$(sent_count)" = 1
check 'it is counted as a robot' grep -q '1 robot' "$T/out"

ctl deliver <"$FIXTURES/not-mail.eml"
ctl run-once --now 2025-09-02T09:02:00Z
check 'what is not mail is quarantined' test "$(ls var/inbox.quarantine/new | wc -l)" = 1
check 'byte for byte' cmp "$FIXTURES/not-mail.eml" var/inbox.quarantine/new/*
check 'the quarantine is logged with its reason' grep -q 'event=quarantined.*reason=' "$T/err"

# MIME nested 60 deep, as a hostile sender builds it.
python3 - >"$T/deep.eml" <<'PY'
depth = 60
print("From: deep@example.org\nTo: register@campus.example.org\nSubject: Registration")
print("Message-ID: <deep@example.org>\nMIME-Version: 1.0")
for i in range(depth):
    print('Content-Type: multipart/mixed; boundary="b%d"\n\n--b%d' % (i, i))
print("Content-Type: text/plain\n\nName: Deep\n")
for i in reversed(range(depth)):
    print("--b%d--" % i)
PY
ctl deliver <"$T/deep.eml"
ctl run-once --now 2025-09-02T09:02:30Z
check 'MIME nested 60 deep is quarantined, with that reason' \
	sh -c "test \$(ls var/inbox.quarantine/new | wc -l) = 2 && grep -q 'reason=\"MIME nested deeper' '$T/err'"

head -c 300000 /dev/zero | tr '\0' 'x' | fold -w 76 >"$T/big.txt"
{ cat "$FIXTURES/register-plain.eml"; cat "$T/big.txt"; } | sed 's/^Message-ID: <b3f1/Message-ID: <big-b3f1/' >"$T/big.eml"
set_conf max-message-size 100000
ctl deliver <"$T/big.eml"
ctl run-once --now 2025-09-02T09:03:00Z
check 'an oversized message is quarantined, not parsed' test "$(ls var/inbox.quarantine/new | wc -l)" = 3
check 'and nobody is registered from it' test "$(ctl export --format json; jq length "$T/out")" = 0

ctl deliver <"$FIXTURES/register-plain.eml"
ctl deliver <"$FIXTURES/update-diet.eml"
ctl deliver <"$FIXTURES/cancel-signature.eml"
ctl run-once --now 2025-09-03T09:00:00Z
ctl export --format json
check 'an update changes only what it names, a cancel cancels' jq -e '.[0] | .diet == "vegan, no nuts"
	and .organisation == "Infosec Center SRL" and .status == "cancelled" and .country == "RO"' "$T/out"
check 'each of the three got its answer' test "$(sent_count)" = 4

ctl -c "$T/nothing-here.conf" run-once
check 'a missing configuration: EX_CONFIG and one line' sh -c "test $status = 78 && test \$(wc -l <'$T/err') = 1"

ctl deliver <"$FIXTURES/register-plain.eml"
if [ "$(id -u)" = 0 ]; then
	: >"$T/locked" # root writes anywhere: put a file where the folder must go
else
	mkdir "$T/locked" && chmod 500 "$T/locked"
fi
set_conf state "\"$T/locked/state\""
ctl run-once
check 'an unwritable state directory: EX_CANTCREAT and one line' \
	sh -c "test $status = 73 && test \$(wc -l <'$T/err') = 1 && grep -q 'state' '$T/err'"
check 'and the waiting mail stays waiting' test "$(ls var/inbox/new | wc -l)" = 1

rm -rf var/inbox/tmp && : >var/inbox/tmp
ctl deliver <"$FIXTURES/register-plain.eml"
check 'deliver that cannot write exits EX_TEMPFAIL (75)' test "$status" = 75
finish
