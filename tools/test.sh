#!/bin/sh
# SPDX-License-Identifier: ISC
# Installs what is missing, builds, runs every test, then make distcheck;
# ends with one line "N passed, N failed[, N skipped]" counted from the
# tests' own logs (distcheck one more), and exits non-zero if any failed.
set -u
cd "$(dirname "$0")/.."
sh tools/deps.sh || exit 1
sh tools/build.sh || exit 1

make -s -j"$(nproc)" check >make-check.out 2>&1
rc=$?
grep -E '^(PASS|FAIL|ERROR|XPASS|SKIP|XFAIL):' make-check.out || true
if [ $rc -ne 0 ]; then
	for log in $(find tests -name '*.log' ! -name 'test-suite.log'); do
		trs=${log%.log}.trs
		if grep -qE ':test-result: (FAIL|ERROR|XPASS)' "$trs" 2>/dev/null; then
			echo "=== $log"
			cat "$log"
		fi
	done
fi
# The release tarball must build and pass the same tests from what it holds
# alone (make distcheck: a read-only source copy, a separate build folder,
# install and uninstall under a scratch prefix). It counts as one test.
if make -s -j"$(nproc)" distcheck >distcheck.out 2>&1; then
	dist=PASS
else
	dist=FAIL
	echo "=== make distcheck (the end of distcheck.out)"
	tail -60 distcheck.out
fi
echo "$dist: make distcheck"
counts=$({
	find tests -name '*.trs' -exec cat {} + 2>/dev/null
	echo ":test-result: $dist make distcheck"
} | awk '
	/^:test-result: (PASS|XFAIL)/ { p++ }
	/^:test-result: (FAIL|XPASS|ERROR)/ { f++ }
	/^:test-result: SKIP/ { s++ }
	END { printf "%d %d %d", p, f, s }')
set -- $counts
line="$1 passed, $2 failed"
[ "$3" -gt 0 ] && line="$line, $3 skipped"
echo "$line"
[ $rc -eq 0 ] && [ "$2" -eq 0 ] && [ "$dist" = PASS ]
