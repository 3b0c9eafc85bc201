#!/bin/sh
# SPDX-License-Identifier: ISC
# seeds.sh tests/fuzz/fuzz-NAME.c: replays the fuzz target's seeds through
# it, a TAP line per set of seeds (make check hands it the target's source).
# The target is the replay driver's build, or libFuzzer's with
# --enable-fuzz: both run each file named once.
# seeds.sh --dirs NAME: prints the directories of NAME's seeds, for
# tools/fuzz.sh to start from.
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"

# The seeds of target $1, as "DIRECTORY FILES DESCRIPTION" lines: its own in
# tests/fuzz/corpus/NAME (hand-written inputs and every crash ever found),
# then what the project already has, read where it is.
seed_sets() {
	echo "$top_srcdir/tests/fuzz/corpus/$1 * its seeds and past crashes"
	case $1 in
	message | dsn)
		echo "$top_srcdir/tests/fixtures *.eml the fixtures"
		echo "$top_srcdir/../shared/corpus * the shared corpus"
		;;
	config) echo "$top_srcdir/etc convene.conf the shipped configuration" ;;
	template) echo "$top_srcdir/templates * the shipped templates" ;;
	esac
}

if [ "${1:-}" = --dirs ]; then
	seed_sets "$2" | while read -r dir files what; do
		[ -d "$dir" ] && echo "$dir"
	done
	exit 0
fi

name=$(basename "$1" .c)
program="$top_builddir/tests/fuzz/$name"
out=$(mktemp "${TMPDIR:-/tmp}/convene-seeds.XXXXXX")
trap 'rm -f "$out" "$out.list" "$out.sets"' EXIT

echo "1..$(seed_sets "${name#fuzz-}" | wc -l)"
n=0
seed_sets "${name#fuzz-}" >"$out.sets"
while read -r dir files what; do
	n=$((n + 1))
	if [ ! -d "$dir" ]; then
		echo "ok $n - $what # SKIP no $dir"
		continue
	fi
	# File by file: libFuzzer given a directory would fuzz it.
	find "$dir" -type f -name "$files" | sort >"$out.list"
	count=$(wc -l <"$out.list")
	inputs="$count inputs"
	[ "$count" -eq 1 ] && inputs="1 input"
	if [ "$count" -eq 0 ]; then
		echo "ok $n - $what # SKIP no seeds in $dir"
	elif tr '\n' '\0' <"$out.list" | xargs -0 "$program" >"$out" 2>&1; then
		echo "ok $n - $name replays $what: $inputs"
	else
		echo "not ok $n - $name replays $what: $inputs"
		tail -n 60 "$out" | sed 's/^/# /'
	fi
done <"$out.sets"
