#!/bin/sh
# SPDX-License-Identifier: ISC
# The MTA delivers the same message twice (a retry after a timeout): the
# attendee is registered once and answered once.
. "$(dirname "$0")/lib.sh"
plan 5

ctl deliver <"$FIXTURES/register-plain.eml"
ctl run-once --now 2025-09-01T09:00:00Z
ctl export --format json
cp "$T/out" "$T/first.json"
ctl deliver <"$FIXTURES/register-plain.eml"
ctl run-once --now 2025-09-01T09:05:00Z
check 'the second run exits 0' test "$status" = 0
check 'it reports the duplicate' grep -q '1 duplicate' "$T/out"
check 'only one reply was ever written' test "$(sent_count)" = 1
ctl export --format json
check 'the registration is unchanged' cmp "$T/first.json" "$T/out"
check 'both copies left new/' test "$(ls var/inbox/cur | wc -l)" = 2
finish
