#!/bin/sh
# SPDX-License-Identifier: ISC
# Builds convene in the checkout with the warnings we hold ourselves to.
set -eu
cd "$(dirname "$0")/.."
[ -x configure ] && [ configure -nt configure.ac ] && [ Makefile.in -nt Makefile.am ] || ./autogen.sh >/dev/null 2>&1 || ./autogen.sh
[ -f Makefile ] && [ Makefile -nt configure ] || ./configure -q CFLAGS="${CFLAGS:--g -O2 -Wall -Wextra}"
make -s -j"$(nproc)"
