# SPDX-License-Identifier: ISC
# lib.sh: what every integration story shares. Each story runs the real
# binaries in a scratch folder of its own (the shipped configuration, with
# its relative paths, works there as it is) and speaks TAP.
set -u

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
CONVENECTL="$top_builddir/src/convenectl"
FIXTURES="$top_srcdir/tests/fixtures"
CORPUS="$top_srcdir/../shared/corpus"

T=$(mktemp -d "${TMPDIR:-/tmp}/convene-test.XXXXXX")
chmod 755 "$T"
SINK_PID=
cleanup() {
	[ -n "$SINK_PID" ] && kill "$SINK_PID" 2>/dev/null && wait "$SINK_PID" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
cd "$T" || exit 99
ln -s "$top_srcdir/templates" templates
cp "$top_srcdir/etc/convene.conf" convene.conf
export CONVENE_CONF="$T/convene.conf"

n=0
failed=0
plan() { echo "1..$1"; }
pass() { n=$((n + 1)); echo "ok $n - $1"; }
fail() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; }
skip_all() { echo "1..0 # SKIP $1"; exit 0; }

# check 'what should be true' command...: one TAP line for the command's
# success; on failure its output goes to the log as TAP comments.
check() {
	desc=$1
	shift
	if out=$("$@" 2>&1); then
		pass "$desc"
	else
		fail "$desc"
		printf '%s\n' "$out" | sed 's/^/# /'
	fi
}

# Runs convenectl, keeping its stdout in $T/out and stderr in $T/err, and
# its exit status in $status.
# CONVENE_TEST_WRAPPER runs it under a checker, e.g. "valgrind -q --error-exitcode=99
# --suppressions=tests/valgrind.supp --log-file=/tmp/vg.%p".
ctl() {
	${CONVENE_TEST_WRAPPER:-} "$CONVENECTL" "$@" >"$T/out" 2>"$T/err"
	status=$?
	return 0
}

# Sets a top-level or nested configuration value by rewriting its line.
set_conf() {
	sed -i "s|^\\([[:space:]]*$1[[:space:]]*=\\).*|\\1 $2|" "$T/convene.conf"
}

# Sets KEY = VALUE inside the block of activity ID.
set_activity() {
	awk -v id="$1" -v key="$2" -v val="$3" '
		$0 ~ "^activity \"" id "\"" { inside = 1 }
		inside && $1 == key { sub(/=.*/, "= " val) }
		inside && /^}/ { inside = 0 }
		{ print }' "$T/convene.conf" >"$T/convene.conf.new" &&
		mv "$T/convene.conf.new" "$T/convene.conf"
}

# Writes a plain message FROM, SUBJECT, BODY (printf escapes allowed) and
# any extra header lines after them, and delivers it to the intake.
write_mail() {
	from=$1 subject=$2 body=$3
	shift 3
	{
		printf 'From: %s\nTo: %s\nSubject: %s\n' "$from" "${EVENT_ADDRESS:-register@campus.example.org}" "$subject"
		printf 'Message-ID: <%s@test.example>\n' "$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')"
		for h in "$@"; do printf '%s\n' "$h"; done
		printf 'Content-Type: text/plain; charset=UTF-8\n\n'
		printf "$body"
		printf '\n'
	} >"$T/mail.eml"
	ctl deliver <"$T/mail.eml"
}

# Appends a top-level setting to the configuration.
add_conf() {
	printf '%s = %s\n' "$1" "$2" >>"$T/convene.conf"
}

# Puts N registrations from PREFIX1@example.fi … PREFIXN@example.fi straight
# into the intake's new/, as an MTA or fetchmail would (tmp/, then rename).
flood() {
	python3 - "$1" "$2" "$T/var/inbox" <<'PY'
import os, sys
prefix, n, maildir = sys.argv[1], int(sys.argv[2]), sys.argv[3]
for sub in ("tmp", "new", "cur"):
    os.makedirs(os.path.join(maildir, sub), exist_ok=True)
for i in range(1, n + 1):
    name = "%s.%d.flood" % (prefix, i)
    with open(os.path.join(maildir, "tmp", name), "w") as f:
        f.write("From: %s%d@example.fi\nTo: register@campus.example.org\n"
                "Subject: Registration\nMessage-ID: <%s-%d@example.fi>\n\n"
                "Name: %s %d\nOrganisation: Org\nCountry: FI\n"
                "Activities: kickoff-meeting\n" % (prefix, i, prefix, i, prefix, i))
    os.rename(os.path.join(maildir, "tmp", name), os.path.join(maildir, "new", name))
PY
}

# The file of the newest reply written to ADDRESS.
newest_to() {
	files=$(grep -l "^Delivered-To: $1\$" $(sent_files) /dev/null)
	[ -n "$files" ] || return 1
	# shellcheck disable=SC2086
	ls -t $files | head -1
}

# The newest reply written to ADDRESS, decoded.
last_to() {
	file=$(newest_to "$1") || return 1
	body_of "$file"
}
mails_to() { grep -l "^Delivered-To: $1\$" $(sent_files) /dev/null | wc -l; }

# The Message-IDs of what the scheduler queued: itineraries, daily
# programmes and organisers' digests (see notice_files).
scheduled_ids() {
	"$CONVENECTL" queue --format json 2>/dev/null | jq -r '.[] |
		select(.kind == "itinerary" or .kind == "daily-programme" or
		       .kind == "organiser-digest") | .message_id'
}

# Files of the maildir: transport whose Message-ID is (with $1 = in) or is
# not (out) one of scheduled_ids.
spool_files() {
	ids=" $(scheduled_ids | tr '\n' ' ') "
	for f in $(find "$T/var/sent/new" -type f 2>/dev/null | sort); do
		id=$(sed -n '/^$/q; s/^Message-I[dD]: *<\(.*\)>.*/\1/p' "$f")
		case "$ids" in
		*" $id "*) [ "$1" = in ] && echo "$f" ;;
		*) [ "$1" = out ] && echo "$f" ;;
		esac
	done
}

# The replies written by the maildir: transport, one file each: every mail
# but what the scheduler sends.
sent_files() { spool_files out; }
sent_count() { sent_files | wc -l; }

# What the scheduler sent through the maildir: transport.
notice_files() { spool_files in; }
notice_count() { notice_files | wc -l; }

# The number of outbox rows of KIND, to RECIPIENT when given.
queued_count() {
	"$CONVENECTL" queue --format json 2>/dev/null |
		jq --arg k "$1" --arg r "${2:-}" '[.[] | select(.kind == $k and ($r == "" or .recipient == $r))] | length'
}

# The newest notice to ADDRESS whose subject matches the Python regular
# expression SUBJECT, as a file name.
notice_to() {
	# shellcheck disable=SC2046
	python3 - "$1" "$2" $(notice_files) <<'PY'
import email, os, re, sys
from email import policy
found = []
for f in sys.argv[3:]:
    m = email.message_from_binary_file(open(f, 'rb'), policy=policy.default)
    if m["Delivered-To"] == sys.argv[1] and re.search(sys.argv[2], str(m["Subject"])):
        found.append((os.stat(f).st_mtime_ns, f))
if found:
    print(max(found)[1])
PY
}

# Writes the decoded part of FILE of type TYPE (text/plain, text/html,
# text/calendar, text/csv) to stdout, byte for byte.
part_of() {
	python3 - "$1" "$2" <<'PY'
import email, sys
from email import policy
m = email.message_from_binary_file(open(sys.argv[1], 'rb'), policy=policy.default)
for part in m.walk():
    if part.get_content_type() == sys.argv[2] and not part.is_multipart():
        sys.stdout.buffer.write(part.get_payload(decode=True))
        sys.exit(0)
sys.exit(1)
PY
}

# Decodes a message's body (quoted-printable or base64) to plain text.
body_of() {
	python3 - "$1" <<'PY'
import email, sys
from email import policy
msg = email.message_from_binary_file(open(sys.argv[1], 'rb'), policy=policy.default)
print("Subject:", msg["Subject"])
print("To:", msg["To"])
part = msg.get_body(preferencelist=("plain",))
print(part.get_content())
PY
}

# TRUE when something listens on TCP port $1 of this machine.
listening() {
	[ -n "$(ss -Hltn "sport = :$1" 2>/dev/null)" ]
}

# Starts Postfix's smtp-sink on a free loopback port with the given extra
# options; sets SINK_PORT and SINK_PID and dumps each message into
# $T/sink/. Returns 1 when no port could be had.
start_sink() {
	command -v smtp-sink >/dev/null 2>&1 || return 1
	mkdir -p "$T/sink"
	chmod 1777 "$T/sink"
	user=
	[ "$(id -u)" = 0 ] && user="-u nobody"
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		SINK_PORT=$((20000 + $(od -An -N2 -tu2 /dev/urandom) % 40000))
		if listening "$SINK_PORT"; then
			continue # somebody listens there
		fi
		# shellcheck disable=SC2086
		smtp-sink $user -d "$T/sink/%Y%m%d%H%M%S." "$@" "127.0.0.1:$SINK_PORT" 64 \
			>"$T/sink.log" 2>&1 &
		SINK_PID=$!
		for _ in $(seq 50); do
			if listening "$SINK_PORT"; then
				return 0
			fi
			kill -0 "$SINK_PID" 2>/dev/null || break
			sleep 0.1
		done
		kill "$SINK_PID" 2>/dev/null
		wait "$SINK_PID" 2>/dev/null
		SINK_PID=
	done
	return 1
}

stop_sink() {
	if [ -n "$SINK_PID" ]; then
		kill "$SINK_PID" 2>/dev/null
		wait "$SINK_PID" 2>/dev/null
		SINK_PID=
	fi
}

sink_files() { find "$T/sink" -type f 2>/dev/null | sort; }

# The VERP address outbox row $1 went out with (its keyed tag included), as
# the relay (smtp-sink's X-Mail-Args) or the maildir: spool (Return-Path)
# saw it.
verp_of() {
	# shellcheck disable=SC2046
	cat $(sink_files) $(find "$T/var/sent/new" -type f 2>/dev/null) /dev/null |
		grep -o -m1 "register+bounce-$1-[a-z2-7]*@campus.example.org" | head -1
}

finish() {
	[ "$failed" -eq 0 ]
	exit $?
}
