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

# The replies written by the maildir: transport, one file each.
sent_files() { find "$T/var/sent/new" -type f 2>/dev/null | sort; }
sent_count() { sent_files | wc -l; }

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
		if (exec 3<>"/dev/tcp/127.0.0.1/$SINK_PORT") 2>/dev/null; then
			continue # somebody listens there
		fi
		# shellcheck disable=SC2086
		smtp-sink $user -d "$T/sink/%Y%m%d%H%M%S." "$@" "127.0.0.1:$SINK_PORT" 64 \
			>"$T/sink.log" 2>&1 &
		SINK_PID=$!
		for _ in $(seq 50); do
			if (exec 3<>"/dev/tcp/127.0.0.1/$SINK_PORT") 2>/dev/null; then
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

finish() {
	[ "$failed" -eq 0 ]
	exit $?
}
