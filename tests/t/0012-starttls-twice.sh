#!/bin/sh
# SPDX-License-Identifier: ISC
# The relay speaks STARTTLS with a self-signed certificate that SSL_CERT_FILE
# makes trusted, and wants AUTH: mail goes out in two runs in a row and in
# two sessions within one run (libESMTP 1.1.0 crashes on a second STARTTLS
# session in one process unless it is given convene's own SSL_CTX), the
# password travels only inside TLS, and a wrong password or an untrusted
# certificate keeps every row queued with a clear reason.
. "$(dirname "$0")/lib.sh"
command -v openssl >/dev/null 2>&1 || skip_all 'openssl is not installed'
command -v python3 >/dev/null 2>&1 || skip_all 'python3 is not installed'
plan 15

# The relay's certificate, for the name convene connects to.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
	-subj /CN=localhost -addext 'subjectAltName=DNS:localhost,IP:127.0.0.1' \
	-keyout "$T/relay.key" -out "$T/relay.pem" >/dev/null 2>&1 ||
	{ echo "Bail out! openssl cannot make a certificate"; exit 1; }
SSL_CERT_FILE="$T/relay.pem"
export SSL_CERT_FILE
password='campus relay pass'
printf '%s\n' "$password" >"$T/password"

# Starts tests/tls-smtpd.py on a free loopback port; sets RELAY_PORT and
# RELAY_PID. Each message lands in $T/relay/, each session's STARTTLS and
# AUTH in $T/relay.log.
RELAY_PID=
start_relay() {
	mkdir -p "$T/relay"
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		RELAY_PORT=$((20000 + $(od -An -N2 -tu2 /dev/urandom) % 40000))
		listening "$RELAY_PORT" && continue
		python3 "$top_srcdir/tests/tls-smtpd.py" --port "$RELAY_PORT" \
			--cert "$T/relay.pem" --key "$T/relay.key" --dir "$T/relay" \
			--log "$T/relay.log" --user convene --password "$password" \
			--require-auth 2>>"$T/relay.err" &
		RELAY_PID=$!
		for _ in $(seq 50); do
			listening "$RELAY_PORT" && return 0
			kill -0 "$RELAY_PID" 2>/dev/null || break
			sleep 0.1
		done
		kill "$RELAY_PID" 2>/dev/null
		wait "$RELAY_PID" 2>/dev/null
		RELAY_PID=
	done
	return 1
}
stop_relay() {
	[ -n "$RELAY_PID" ] && kill "$RELAY_PID" 2>/dev/null && wait "$RELAY_PID" 2>/dev/null
	RELAY_PID=
}
trap 'stop_relay; cleanup' EXIT
# A signal (a reader that went away, ^C) goes through the EXIT trap too,
# so that the relay never outlives the story.
trap 'exit 129' HUP INT PIPE TERM

start_relay || { echo "Bail out! no free loopback port for tls-smtpd.py"; exit 1; }
set_conf transport "\"smtp://localhost:$RELAY_PORT\""
set_conf starttls '"required"'
set_conf user '"convene"'
set_conf password-file "\"$T/password\""

# A registration from $1 naming $2 people in Attendee: blocks, waiting in
# the intake.
register() {
	{
		printf 'From: %s\nTo: register@campus.example.org\nSubject: Registration\n' "$1"
		printf 'Message-ID: <%s.%s@test.example>\n\n' "$1" "$$"
		printf 'Organisation: Org\nCountry: HR\nActivities: kickoff-meeting\n\n'
		i=0
		while [ "$i" -lt "$2" ]; do
			i=$((i + 1))
			printf 'Attendee: P %s <p%s-%s>\n\n' "$i" "$i" "$1"
		done
	} | "$CONVENECTL" deliver 2>/dev/null
}
relay_files() { find "$T/relay" -name '*.eml' | sort; }
queue() { ctl queue --format json; cp "$T/out" "$T/queue.json"; }
rows() { jq -e "$1" "$T/queue.json"; }
sessions() { grep -c ' connect$' "$T/relay.log"; }

register first@example.hr 1
ctl run-once --now 2025-09-01T08:00:00Z
first=$status
register second@example.hr 1
ctl run-once --now 2025-09-01T08:01:00Z
check 'two runs in a row, each with its STARTTLS sessions (smtp.sessions = 2), both exit 0' \
	test "$first$status" = 00 -a "$(sessions)" -ge 2
queue
check 'the relay took every answer of both' \
	test "$(relay_files | wc -l)" = "$(jq 'map(select(.state == "sent")) | length' "$T/queue.json")"

# A delegation leader registers 210 people: a reply, and a notice (with
# the itinerary in it) for each, are more rows than one session carries.
register lead@example.hr 210
before=$(sessions)
ctl run-once --now 2025-09-01T08:02:00Z
check 'one run with more rows than one session carries exits 0' test "$status" = 0
queue
check 'every row is sent' rows 'length > 200 and all(.[]; .state == "sent")'
check 'the relay has every message' test "$(relay_files | wc -l)" = "$(jq length "$T/queue.json")"
check 'that run took two sessions or more' test $(($(sessions) - before)) -ge 2
check 'every session started TLS 1.2' \
	test "$(grep -c ' starttls TLSv1.2 ' "$T/relay.log")" = "$(sessions)"
check 'each session authenticated once, with PLAIN' \
	test "$(grep -c ' auth PLAIN user=convene ok TLSv1.2$' "$T/relay.log")" = "$(sessions)"
# In every session the line for STARTTLS comes before the one for AUTH.
check 'AUTH only after STARTTLS, never before' awk '
	$2 == "starttls" { tls[$1] = 1 }
	$2 == "auth" && !tls[$1] { bad = 1 }
	END { exit bad }' "$T/relay.log"
check 'every message came in over TLS, authenticated' \
	test "$(relay_files | xargs grep -l '^X-TLS: TLSv1.2' | xargs grep -l '^X-Auth-User: convene' | wc -l)" = "$(jq length "$T/queue.json")"
sent=$(jq length "$T/queue.json")

printf 'not the password\n' >"$T/password"
register wrong@example.hr 1
ctl run-once --now 2025-09-01T08:10:00Z
cp "$T/out" "$T/run.out"
cp "$T/err" "$T/run.err"
check 'a wrong password: EX_TEMPFAIL (75)' test "$status" = 75
check 'with the relay refusing authentication, said in one line' \
	sh -c "grep '^convenectl: ' '$T/run.err' >'$T/said' && test \$(wc -l <'$T/said') = 1 && grep -q 'refused authentication: 535' '$T/said'"
queue
check 'the row stays queued, with the reason' \
	rows '[.[] | select(.state != "sent")] | length > 0 and all(.[]; .state == "queued" and (.last_reply | test("refused authentication")))'
check 'no password in any output or log' sh -c "! cat '$T/run.out' '$T/run.err' '$T/out' '$T/relay.log' '$T/relay.err' | grep -q -e 'relay pass' -e 'not the password'"

printf '%s\n' "$password" >"$T/password"
unset SSL_CERT_FILE
ctl run-once --now 2025-09-01T08:20:00Z
check 'a certificate nobody vouches for: not sent, and said' \
	sh -c "test $status = 75 && grep -q 'certificate not trusted' '$T/err' && test \$(find '$T/relay' -name '*.eml' | wc -l) = $sent"
finish
