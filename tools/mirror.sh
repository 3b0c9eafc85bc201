#!/bin/sh
# SPDX-License-Identifier: ISC
# mirror.sh DIR: keeps DIR/convene (DIR relative to the checkout) a copy of
# the checkout's sources, what git tracks and new files it does not ignore,
# for a second build with other flags (the sanitizers', libFuzzer's) that
# leaves the checkout's own build alone: configure refuses a VPATH build
# from a source tree configured in place. Copies, not links, as tests write
# into copies of the templates. Run it before each build: it copies what
# changed (with its time, so make rebuilds only that) and drops what was
# deleted. DIR/shared points to the checkout's ../shared, so that tests find
# ../shared/corpus from there too. DIR must be one .gitignore ignores.
set -eu
cd "$(dirname "$0")/.."
[ $# -eq 1 ] || { echo "usage: $0 DIR" >&2; exit 2; }
mkdir -p "$1/convene"
dir=$(cd "$1" && pwd)
[ -e ../shared ] && ln -sfn "$(cd ../shared && pwd)" "$dir/shared"

git ls-files --cached --others --exclude-standard | while IFS= read -r f; do
	[ -f "$f" ] && [ ! -L "$f" ] && printf '%s\n' "$f"
done | sort >"$dir/sources.new"
if [ -f "$dir/sources" ]; then
	comm -23 "$dir/sources" "$dir/sources.new" | (cd "$dir/convene" && xargs -r rm -f)
fi
tr '\n' '\0' <"$dir/sources.new" | xargs -0 -r cp -p -u --parents -t "$dir/convene"
mv "$dir/sources.new" "$dir/sources"
