#!/bin/sh
# SPDX-License-Identifier: ISC
# Installs what is missing, builds, and shows convene at work on the shipped
# CAMPUS kick-off: a sample registration is delivered, answered, and the
# answer (written by the embedded maildir: transport) printed. No relay or
# set-up needed; everything lives in var/ of the checkout, which each run
# starts afresh.
set -eu
cd "$(dirname "$0")/.."
sh tools/deps.sh
sh tools/build.sh
rm -rf var
export CONVENE_CONF="$PWD/etc/convene.conf"
ctl=src/convenectl

$ctl check-config
echo
echo "== A partner writes (tests/fixtures/register-plain.eml):"
sed -n '/^$/,$p' tests/fixtures/register-plain.eml
$ctl deliver <tests/fixtures/register-plain.eml
# The shipped event took place in September 2025: the clock is set to
# before its registration deadline, as the organisers saw it then.
now=2025-09-01T09:00:00+02:00
echo "== convenectl run-once --now $now:"
$ctl run-once --now "$now" 2>/dev/null
reply=$(grep -l '^Subject: Registered' var/sent/new/* | head -1)
echo
echo "== The answer, as it would reach the partner ($reply):"
python3 - "$reply" <<'PY'
import email, sys
from email import policy
m = email.message_from_binary_file(open(sys.argv[1], 'rb'), policy=policy.default)
for h in ("From", "To", "Subject", "Date", "Auto-Submitted"):
    print(f"{h}: {m[h]}")
print()
print(m.get_body(preferencelist=("plain",)).get_content())
PY
echo "== convenectl export --format json:"
$ctl export --format json
