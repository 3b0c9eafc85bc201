#!/bin/sh
# SPDX-License-Identifier: ISC
# Installs, from Debian's archive, what convene needs to build and test and
# this machine lacks; installs nothing when all is there. Quiet unless apt
# fails. Uses sudo when not run as root. "deps.sh clang" adds clang and its
# sanitizer and fuzzer runtimes, which only the sanitizers' build of
# tools/test.sh (CI) and the libFuzzer one of tools/fuzz.sh use: gcc's
# UndefinedBehaviorSanitizer, beside its AddressSanitizer, writes its
# reports to stderr whatever its log_path says.
set -eu

packages="build-essential autoconf automake pkg-config
libglib2.0-dev libgmime-3.0-dev libesmtp-dev libconfuse-dev liblmdb-dev
libjson-glib-dev libssl-dev libxml2-dev libical-dev libxlsxwriter-dev iso-codes
postfix iproute2 jq python3 openssl valgrind"
[ "${1:-}" = clang ] && packages="$packages clang libclang-rt-dev"

missing=
for p in $packages; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed'; then
		missing="$missing $p"
	fi
done
[ -n "$missing" ] || exit 0

sudo=
[ "$(id -u)" = 0 ] || sudo=sudo
echo "installing:$missing"
# Postfix is only wanted for its smtp-sink test server: no daemon, no
# configuration questions.
echo "postfix postfix/main_mailer_type select No configuration" | $sudo debconf-set-selections
$sudo apt-get update -qq
# shellcheck disable=SC2086
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
