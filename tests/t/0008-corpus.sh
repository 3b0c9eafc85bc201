#!/bin/sh
# SPDX-License-Identifier: ISC
# Every message of the shared corpus of real-world mail (bounces, broken
# MIME, deep nesting, odd charsets, mbox files split into their messages)
# goes through deliver and run-once, under valgrind where it is installed
# (AddressSanitizer's build checks the same itself): no crash, no leak, no
# hang, no lost file, and no answer to a robot.
. "$(dirname "$0")/lib.sh"
[ -d "$CORPUS" ] || skip_all "no corpus at $CORPUS"
plan 7

mkdir "$T/split"
i=0
for f in "$CORPUS"/*/*; do
	case "$f" in
	*LICENSE* | *README*) continue ;;
	*.mbox*)
		awk -v dir="$T/split" -v base="$(basename "$f")" '
			/^From / { n++; next }
			{ print > (dir "/" base "." n ".eml") }' "$f"
		;;
	*) cp "$f" "$T/split/$(basename "$f").eml" ;;
	esac
done
total=$(ls "$T/split" | wc -l)
for m in "$T"/split/*; do
	ctl deliver <"$m"
	[ "$status" = 0 ] || echo "# deliver failed for $m"
done
check "every one of the $total corpus messages is accepted by deliver" test "$(ls var/inbox/new | wc -l)" = "$total"

wrapper=
if command -v valgrind >/dev/null 2>&1 && [ -z "${CONVENE_SANITIZERS:-}" ]; then
	wrapper="valgrind -q --error-exitcode=99 --suppressions=$top_srcdir/tests/valgrind.supp
		--leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite
		--log-file=$T/valgrind.log"
fi
# shellcheck disable=SC2086
timeout 600 $wrapper "$CONVENECTL" run-once --now 2025-09-01T08:00:00Z >"$T/out" 2>"$T/err"
status=$?
check 'run-once finishes, neither crashing nor hanging' test "$status" = 0
check 'valgrind finds no memory error and no leak' sh -c "test ! -s '$T/valgrind.log' || { cat '$T/valgrind.log'; false; }"
check 'nothing is left waiting in new/' test "$(ls var/inbox/new | wc -l)" = 0
kept=$(($(ls var/inbox/cur | wc -l) + $(ls var/inbox.quarantine/new 2>/dev/null | wc -l)))
check "nothing is lost: all $total are in cur/ or in quarantine" test "$kept" = "$total"

# Which senders are robots, by the rules of RFC 3834 and the list managers,
# read independently of convene.
python3 - "$T/split" >"$T/robots" <<'PY'
import email, os, sys
from email import policy
robots, people = set(), set()
for name in os.listdir(sys.argv[1]):
    with open(os.path.join(sys.argv[1], name), 'rb') as f:
        try:
            m = email.message_from_binary_file(f, policy=policy.compat32)
            sender = email.utils.parseaddr(str(m.get('From', '')))[1].lower()
        except Exception:
            continue
    if not sender:
        continue
    auto = str(m.get('Auto-Submitted', 'no')).strip().lower()
    robot = (not auto.startswith('no') or
             str(m.get('Precedence', '')).strip().lower() in ('bulk', 'junk', 'list') or
             any(k.lower().startswith('list-') for k in m.keys()) or
             str(m.get('Return-Path', 'x')).strip() in ('<>', '') or
             sender.startswith('mailer-daemon@') or sender.startswith('postmaster@') or
             m.get_content_type() == 'multipart/report')
    (robots if robot else people).add(sender)
for r in sorted(robots - people):
    print(r)
PY
answered_robots=0
while read -r robot; do
	if grep -qil "^Delivered-To: $robot\$" $(sent_files) /dev/null; then
		echo "# answered a robot: $robot"
		answered_robots=$((answered_robots + 1))
	fi
done <"$T/robots"
check "none of the $(wc -l <"$T/robots") robots in it is answered" test "$answered_robots" = 0
check 'each quarantined message is logged with its reason' \
	test "$(grep -c 'event=quarantined.*reason=' "$T/err")" = "$(ls var/inbox.quarantine/new 2>/dev/null | wc -l)"
finish
