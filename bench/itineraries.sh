#!/bin/sh
# SPDX-License-Identifier: ISC
# Builds and runs the itinerary and digest benchmark: 1,000 then 10,000
# attendees (or the counts given), each run in a fresh scratch store.
# Prints times and peak RSS; record them in bench/RESULTS.md.
set -eu
cd "$(dirname "$0")/.."
make -s bench/bench-itineraries
top_srcdir=$(pwd)
export top_srcdir
echo "machine: $(uname -m), $(nproc) cores, $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)"
echo "date:    $(date -u +%Y-%m-%dT%H:%M:%SZ)"
[ $# -gt 0 ] || set -- 1000 10000
for n in "$@"; do
	echo "--- $n attendees"
	./bench/bench-itineraries "$n" 2>/dev/null
done
