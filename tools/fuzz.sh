#!/bin/sh
# SPDX-License-Identifier: ISC
# fuzz.sh NAME [SECONDS] [LIBFUZZER-OPTION...]: builds the libFuzzer
# targets with clang in build-fuzz/ (./configure --enable-fuzz in a copy of
# the sources made by tools/mirror.sh; the checkout's own build untouched)
# and runs tests/fuzz/fuzz-NAME for SECONDS (600 unless told), niced, as
# one job. It starts from the target's seeds (tests/fuzz/seeds.sh --dirs
# NAME) and keeps what it finds in build-fuzz/corpus/NAME/, across runs; a
# crash is written to build-fuzz/crashes/NAME/: fix it, then keep the input
# in tests/fuzz/corpus/NAME/. libFuzzer's log is build-fuzz/fuzz-NAME.log.
set -eu
cd "$(dirname "$0")/.."
[ $# -ge 1 ] || { echo "usage: $0 NAME [SECONDS] [LIBFUZZER-OPTION...]" >&2; exit 2; }
name=$1
seconds=${2:-600}
[ $# -ge 2 ] && shift 2 || shift 1
[ -f "tests/fuzz/fuzz-$name.c" ] || { echo "fuzz.sh: no tests/fuzz/fuzz-$name.c" >&2; exit 2; }

sh tools/deps.sh clang
sh tools/mirror.sh build-fuzz
(
	cd build-fuzz/convene
	[ -x configure ] || ./autogen.sh >/dev/null 2>&1
	[ -f Makefile ] || ./configure -q CC=clang CFLAGS="-g -O1 -Wall -Wextra" --enable-fuzz
	make -s -j"$(nproc)" "tests/fuzz/fuzz-$name"
)

top=$(pwd)
mkdir -p "build-fuzz/corpus/$name" "build-fuzz/crashes/$name"
cd build-fuzz
# -jobs=1 runs it in a child whose output goes to fuzz-0.log. Inputs are
# cut at 64 KiB: the shared corpus's mbox files would otherwise make every
# input up to a megabyte long, and fuzzing ten times slower.
# shellcheck disable=SC2046
nice -n 10 "convene/tests/fuzz/fuzz-$name" -max_total_time="$seconds" -jobs=1 \
	-max_len=65536 -print_final_stats=1 -artifact_prefix="crashes/$name/" "$@" \
	"corpus/$name" $(sh "$top/tests/fuzz/seeds.sh" --dirs "$name") >/dev/null 2>&1 || status=$?
mv fuzz-0.log "fuzz-$name.log"
grep -E '(INITED|DONE) |^stat::|ERROR|SUMMARY|^artifact_prefix|Test unit written' "fuzz-$name.log" || true
exit "${status:-0}"
