#!/bin/sh
# SPDX-License-Identifier: ISC
# Installs what is missing, builds, and runs every test twice: in the
# checkout's own build, then in a second build with AddressSanitizer and
# UndefinedBehaviorSanitizer (build-asan/, a copy of the sources made by
# tools/mirror.sh), where any sanitizer report fails the run even if no
# test noticed it; then make distcheck. Ends with one line "N passed, N
# failed[, N skipped]" counted from both runs' own logs (distcheck one
# more), and exits non-zero if any failed.
set -u
cd "$(dirname "$0")/.."
top=$(pwd)
sh tools/deps.sh clang || exit 1
sh tools/build.sh || exit 1

# check DIR: runs make check in DIR, prints each result line, the whole log
# of each test that failed, and how long it took.
check() {
	started=$(date +%s)
	(cd "$1" && make -s -j"$(nproc)" check >make-check.out 2>&1)
	rc=$?
	took=$(($(date +%s) - started))
	grep -E '^(PASS|FAIL|ERROR|XPASS|SKIP|XFAIL):' "$1/make-check.out" || true
	if [ $rc -ne 0 ]; then
		for log in $(find "$1/tests" -name '*.log' ! -name 'test-suite.log'); do
			if grep -qE ':test-result: (FAIL|ERROR|XPASS)' "${log%.log}.trs" 2>/dev/null; then
				echo "=== $log"
				cat "$log"
			fi
		done
	fi
	echo "=== make check in $1: $took s"
	return $rc
}

check .
rc=$?

# The sanitizers' build, with clang: gcc's UndefinedBehaviorSanitizer would
# ignore log_path. Reports go to files rather than into the tests' output,
# so that one from a process whose exit status no test looks at (a daemon,
# a child) still fails the run.
echo "=== the suite again under AddressSanitizer and UndefinedBehaviorSanitizer (build-asan/)"
reports=$top/build-asan/reports
sh tools/mirror.sh build-asan &&
	(
		cd build-asan/convene &&
			{ [ -x configure ] || ./autogen.sh >/dev/null 2>&1; } &&
			{ [ -f Makefile ] || ./configure -q CC=clang CFLAGS="-g -O1 -Wall -Wextra" --enable-sanitizers; } &&
			make -s -j"$(nproc)"
	)
asan_build=$?
rm -rf "$reports"
mkdir -p "$reports"
find build-asan/convene/tests -name '*.trs' -delete 2>/dev/null
if [ $asan_build -eq 0 ]; then
	ASAN_OPTIONS="halt_on_error=1:detect_leaks=1:handle_sigbus=0:log_path=$reports/asan"
	UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$reports/ubsan"
	# handle_sigbus=0: the store's check of a file cut short walks it in a
	# child that is meant to die of SIGBUS (src/store.c, store_file_check);
	# that death is the answer, not a fault to report.
	# GLib's slice allocator would hide its blocks from AddressSanitizer.
	G_SLICE=always-malloc
	export ASAN_OPTIONS UBSAN_OPTIONS G_SLICE
	check build-asan/convene || rc=1
	unset ASAN_OPTIONS UBSAN_OPTIONS G_SLICE
else
	echo "FAIL: the sanitizers' build (build-asan/convene)"
	rc=1
fi
sanitizer_reports=$(find "$reports" -type f | wc -l)
for report in $(find "$reports" -type f); do
	echo "=== sanitizer report $report"
	cat "$report"
done

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
	find tests build-asan/convene/tests -name '*.trs' -exec cat {} + 2>/dev/null
	echo ":test-result: $dist make distcheck"
} | awk '
	/^:test-result: (PASS|XFAIL)/ { p++ }
	/^:test-result: (FAIL|XPASS|ERROR)/ { f++ }
	/^:test-result: SKIP/ { s++ }
	END { printf "%d %d %d", p, f, s }')
set -- $counts
failed=$(($2 + sanitizer_reports + (asan_build != 0)))
line="$1 passed, $failed failed"
[ "$3" -gt 0 ] && line="$line, $3 skipped"
echo "$line"
[ $rc -eq 0 ] && [ "$failed" -eq 0 ] && [ "$dist" = PASS ]
