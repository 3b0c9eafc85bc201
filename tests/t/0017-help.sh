#!/bin/sh
# SPDX-License-Identifier: ISC
# Every command says what it takes: convenectl COMMAND --help (each
# command in convenectl's own usage), convened --help and
# convene-deliver --help exit 0 and print their options; a misspelt option
# is a usage error (64) that names it.
. "$(dirname "$0")/lib.sh"
plan 5

commands=$("$CONVENECTL" --help | sed -n 's/^  \([a-z][a-z-]*\).*/\1/p' | sort -u)
bad=
for c in $commands; do
	"$CONVENECTL" "$c" --help >"$T/help.$c" 2>&1 || bad="$bad $c(exit)"
	grep -q "^Usage:" "$T/help.$c" && grep -q "convenectl $c" "$T/help.$c" || bad="$bad $c"
done
check "every convenectl command has --help ($(echo $commands | wc -w) commands)" \
	sh -c "test -z '$bad' && test $(echo $commands | wc -w) -ge 10 || { echo 'no help:$bad'; false; }"
check "a command's --help lists its own options" \
	sh -c "grep -q -- '--format' '$T/help.export' && grep -q -- '--lang' '$T/help.register' && ! grep -q -- '--lang' '$T/help.export'"
ctl export --fromat json
check 'a misspelt option: 64, and it is named' sh -c "test $status = 64 && grep -q -- '--fromat' '$T/err'"
"$top_builddir/src/convened" --help >"$T/convened.help" 2>&1
rc=$?
check 'convened --help' sh -c "test $rc = 0 && grep -q -- '--foreground' '$T/convened.help' && grep -q -- '--now' '$T/convened.help'"
"$top_builddir/src/convene-deliver" --help >"$T/deliver.help" 2>&1
rc=$?
check 'convene-deliver --help' sh -c "test $rc = 0 && grep -q -- '-c' '$T/deliver.help'"

finish
