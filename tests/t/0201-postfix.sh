#!/bin/sh
# SPDX-License-Identifier: ISC
# The Postfix set-up of doc/postfix.md, line for line (contrib/postfix/), on
# a scratch Postfix of our own: registrations sent to its SMTP port reach
# convene by pipe and by LMTP, each answer goes out through the same Postfix
# to a sink, a bounce of an answer comes back to register+bounce-... through
# recipient_delimiter and fails its row, and a delivery that cannot be made
# for now waits in Postfix's queue instead of bouncing.
. "$(dirname "$0")/lib.sh"
. "$top_srcdir/tests/scratch-postfix.sh"
plan 26

CONTRIB="$top_srcdir/contrib/postfix"
DELIVER="$top_builddir/src/convene-deliver"
CONVENED="$top_builddir/src/convened"
NOW=2025-09-01T09:00:00+02:00

# --- One pipe line, the same everywhere it is written -----------------------

# The pipe service of contrib/postfix/master.cf: its line and the next.
grep -A1 '^convene  *unix .* pipe$' "$CONTRIB/master.cf" >"$T/pipe.line"
check 'contrib/postfix/master.cf has the pipe line' test "$(wc -l <"$T/pipe.line")" = 2
for doc in doc/postfix.md README.md man/convene-deliver.8.in; do
	sed 's/\\-/-/g' "$top_srcdir/$doc" | grep -A1 '^convene  *unix .* pipe$' >"$T/doc.line"
	check "$doc gives that pipe line, word for word" cmp "$T/pipe.line" "$T/doc.line"
done
# Every other argv= is the same line, wherever it is.
others=$(cd "$top_srcdir" && grep -rh 'argv=' README.md doc contrib man | sed 's/\\-/-/g' |
	sort -u | grep -vxF "$(sed -n 2p "$T/pipe.line")")
check 'no other pipe command is given anywhere' test -z "$others"
missing=
for f in main.cf master.cf convene_recipients transport.pipe transport.lmtp; do
	grep -v '^#' "$CONTRIB/$f" | grep -v '^$' | while IFS= read -r line; do
		grep -qxF "$line" "$top_srcdir/doc/postfix.md" || echo "$f: $line"
	done
done >"$T/missing"
check 'doc/postfix.md quotes every line of contrib/postfix/' test ! -s "$T/missing"
sed 's/^/# /' "$T/missing"

# --- A scratch Postfix -----------------------------------------------------------

PF="$T/postfix"
PFC="$PF/etc"
CONVENED_PID=
REJECT_PID=
PF_STARTED=
stop_all() {
	[ -n "$CONVENED_PID" ] && kill "$CONVENED_PID" 2>/dev/null && wait "$CONVENED_PID" 2>/dev/null
	CONVENED_PID=
	[ -n "$REJECT_PID" ] && kill "$REJECT_PID" 2>/dev/null && wait "$REJECT_PID" 2>/dev/null
	REJECT_PID=
	[ -n "$PF_STARTED" ] && scratch_postfix_stop "$PF"
	PF_STARTED=
	cleanup
}
trap stop_all EXIT
trap 'exit 1' INT TERM HUP

# Passes the rest of the plan as skipped, and stops.
skip_rest() {
	while [ "$n" -lt 26 ]; do
		n=$((n + 1))
		echo "ok $n # SKIP $1"
	done
	exit 0
}

free_port() {
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		port=$((20000 + $(od -An -N2 -tu2 /dev/urandom) % 40000))
		listening "$port" || { echo "$port"; return 0; }
	done
	return 1
}

# Waits up to two minutes for "$@" to succeed, trying every tenth of a
# second: a slow machine is slow, not wrong.
wait_for() {
	until_s=$(($(date +%s) + 120))
	while [ "$(date +%s)" -le "$until_s" ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

[ "$(id -u)" = 0 ] || skip_rest "starting Postfix needs root"
for c in postfix postconf postmap postqueue smtp-sink python3 jq; do
	command -v "$c" >/dev/null 2>&1 || skip_rest "no $c"
done
id postfix >/dev/null 2>&1 && getent group postdrop >/dev/null 2>&1 ||
	skip_rest "no postfix user or postdrop group"
start_sink || skip_rest "no smtp-sink"
SMTP_PORT=$(free_port) || skip_rest "no free port"
# A second sink, for bounce.example.net, refuses every recipient for good.
REJECT_PORT=$(free_port) || skip_rest "no free port"
smtp-sink -u nobody -f rcpt "127.0.0.1:$REJECT_PORT" 16 >"$T/reject.log" 2>&1 &
REJECT_PID=$!
wait_for listening "$REJECT_PORT" || skip_rest "the second smtp-sink does not start"

# What the outside world is to this Postfix: everything goes to the sink,
# but bounce.example.net to the sink that refuses.
mkdir -p "$T/run"
scratch_postfix_write "$PF" "$SMTP_PORT" "$SINK_PORT"
# The documented lines, their maps in this instance's directory.
sed "s|/etc/postfix/|$PFC/|g" "$CONTRIB/main.cf" >>"$PFC/main.cf"
OUTSIDE="bounce.example.net   smtp:[127.0.0.1]:$REJECT_PORT"
# The documented services, run as nobody (there is no user convene here) on
# this build and this test's configuration.
sed -e "s|user=convene|user=nobody|" -e "s|/usr/sbin/convene-deliver|$DELIVER|" \
	-e "s|/etc/convene/convene.conf|$T/convene.conf|" "$CONTRIB/master.cf" >>"$PFC/master.cf"
cp "$CONTRIB/convene_recipients" "$PFC/convene_recipients"
{ cat "$CONTRIB/transport.pipe"; echo "$OUTSIDE"; } >"$PFC/transport"
for map in convene_recipients transport; do
	postmap -c "$PFC" "hash:$PFC/$map" || { echo "Bail out! postmap $map failed"; exit 1; }
done

# convene: its data outside the checkout's relative paths (the pipe runs in
# Postfix's queue directory), its answers through this Postfix.
set_conf state "\"$T/var/state\""
set_conf intake "\"$T/var/inbox\""
set_conf templates "\"$top_srcdir/templates\""
set_conf transport "\"smtp://127.0.0.1:$SMTP_PORT\""
set_conf starttls '"none"'
mkdir -p "$T/var/inbox"
chown -R nobody "$T/var"

scratch_postfix_start "$PF" || skip_rest "this Postfix cannot be started here"
PF_STARTED=1
wait_for listening "$SMTP_PORT" || skip_rest "Postfix does not listen on $SMTP_PORT"

# submit FROM TO SUBJECT BODY: one message to Postfix's SMTP port; prints
# the reply to RCPT TO.
submit() {
	python3 - "$SMTP_PORT" "$@" <<'PY'
import smtplib, sys, time, email.utils
port, sender, rcpt, subject, body = sys.argv[1:6]
s = smtplib.SMTP("127.0.0.1", int(port))
s.ehlo("client.example")
s.mail(sender)
code, reply = s.rcpt(rcpt)
print(code, reply.decode())
if code == 250:
    s.data(("From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\nMessage-ID: %s\r\n\r\n%s\r\n"
            % (sender, rcpt, subject, email.utils.formatdate(), email.utils.make_msgid(),
               body.replace("\n", "\r\n"))).encode())
s.quit()
PY
}
form() { printf 'Name: %s\nOrganisation: Org\nCountry: %s\nActivities: kickoff-meeting\n' "$1" "$2"; }
in_intake() { grep -lq "^From: $1" "$T"/var/inbox/new/* 2>/dev/null; }
sink_to() { grep -il "^X-Rcpt-Args: <$1>" $(sink_files) /dev/null 2>/dev/null | head -1; }
at_sink() { [ -n "$(sink_to "$1")" ]; }
rows_bounced() {
	"$CONVENECTL" queue --format json | jq -e --arg r "$1" \
		'[.[] | select(.recipient == $r)] | length > 0 and all(.state == "failed" and .bounced)'
}
answer_bounce() { # run-once, then: have the rows to $1 bounced?
	"$CONVENECTL" run-once --now "$NOW" && rows_bounced "$1"
}
deferred() { # is a message to register@ deferred, with $1 in its reason?
	postqueue -c "$PFC" -j | jq -e --arg why "$1" 'select(.queue_name == "deferred") |
		.recipients[] | select(.address == "register@campus.example.org") |
		.delay_reason | contains($why)'
}

# --- The pipe route ---------------------------------------------------------

submit ana@example.ro register@campus.example.org Registration "$(form 'Ana Popescu' RO)" >"$T/rcpt"
check 'Postfix takes a registration for register@ and pipes it to convene-deliver' \
	wait_for in_intake ana@example.ro
f=$(grep -l '^From: ana@example.ro' "$T"/var/inbox/new/*)
check 'the pipe adds Delivered-To and Return-Path (flags=DR)' sh -c \
	"grep -q '^Delivered-To: register@campus.example.org' '$f' && grep -q '^Return-Path: <ana@example.ro>' '$f'"
ctl run-once --now "$NOW"
check 'the answer goes out through Postfix and reaches Ana at the sink' wait_for at_sink ana@example.ro
check 'its envelope sender is a register+bounce- address' \
	grep -q '^X-Mail-Args: <register+bounce-' "$(sink_to ana@example.ro)"
submit x@example.ro someone@campus.example.org Hello "hello" >"$T/rcpt"
check 'another address of the event domain is refused at RCPT' grep -q '^550 ' "$T/rcpt"
submit ana@example.ro register+status@campus.example.org STATUS "STATUS" >"$T/rcpt"
check 'register+status@ is accepted, as recipient_delimiter makes it register@' grep -q '^250 ' "$T/rcpt"

# A bounce: Postfix cannot deliver the answer to Bob, and sends the report
# to the answer's envelope sender, register+bounce-...@, which is convene's.
submit bob@bounce.example.net register@campus.example.org Registration \
	"$(form 'Bob Smith' FI)" >/dev/null
wait_for in_intake bob@bounce.example.net
ctl run-once --now "$NOW"
check "the bounce of Bob's answer comes back, and his rows end failed and bounced" \
	wait_for answer_bounce bob@bounce.example.net
check 'and the report itself is not answered' test -z "$(sink_to MAILER-DAEMON@mx.campus.test)"

# A delivery that fails for now: convene-deliver exits 75, and Postfix keeps
# the message and says why.
chown root "$T/var/inbox/tmp"
chmod 700 "$T/var/inbox/tmp"
submit carl@example.fi register@campus.example.org Registration "$(form 'Carl Berg' FI)" >/dev/null
check 'a delivery that fails for now is deferred by Postfix, with the real cause' \
	wait_for deferred 'by user nobody (uid'
check 'and nothing, no bounce either, goes back to Carl' test -z "$(sink_to carl@example.fi)"
chown nobody "$T/var/inbox/tmp"
postqueue -c "$PFC" -f
check 'once the directory is mended, the next try delivers it' wait_for in_intake carl@example.fi

# A configuration that does not read: convene-deliver exits 75 (Postfix
# would bounce 78), and the message waits.
cp "$T/convene.conf" "$T/good.conf"
echo 'this is { not a configuration' >>"$T/convene.conf"
submit dora@example.fi register@campus.example.org Registration "$(form 'Dora Berg' FI)" >/dev/null
check 'a configuration that does not read defers the message too' \
	wait_for deferred 'convene-deliver: '"$T/convene.conf"
cp "$T/good.conf" "$T/convene.conf"
postqueue -c "$PFC" -f
check 'and once it is mended, the next try delivers it' wait_for in_intake dora@example.fi

# --- The LMTP route -------------------------------------------------------------

{ sed "s|/run/convene/lmtp.sock|$T/run/lmtp.sock|" "$CONTRIB/transport.lmtp"; echo "$OUTSIDE"; } >"$PFC/transport"
postmap -c "$PFC" "hash:$PFC/transport"
postfix -c "$PFC" reload >/dev/null 2>&1
add_conf lmtp "\"unix:$T/run/lmtp.sock\""
# The socket's mode and group as doc/postfix.md has them, where this
# convened knows the keys; else a socket anyone may use.
cp "$T/convene.conf" "$T/plain.conf"
add_conf lmtp-socket-mode '"0660"'
add_conf lmtp-socket-group '"postfix"'
umask_lmtp=077
if ! "$CONVENECTL" check-config >/dev/null 2>&1; then
	echo "# this convened has no lmtp-socket-mode: its socket is made with umask 000"
	cp "$T/plain.conf" "$T/convene.conf"
	umask_lmtp=000
fi
# Starts convened in the background (not in a subshell: CONVENED_PID is
# needed to stop it); its readiness is then waited for.
start_convened() {
	: >"$T/convened.log"
	(umask $umask_lmtp && exec "$CONVENED" -f --now "$NOW") >"$T/convened.log" 2>&1 &
	CONVENED_PID=$!
}
start_convened
check 'convened starts with its LMTP socket' wait_for grep -q 'event=started' "$T/convened.log"

submit dana@example.hr register@campus.example.org Registration "$(form 'Dana Horvat' HR)" >/dev/null
check 'a registration reaches convened by LMTP, and its answer the sink' wait_for at_sink dana@example.hr
ctl export --format json
check 'and she is registered' jq -e 'any(.[]; .email == "dana@example.hr" and .status == "confirmed")' "$T/out"
submit erik@bounce.example.net register@campus.example.org Registration \
	"$(form 'Erik Berg' FI)" >/dev/null
check "the bounce of Erik's answer comes back by LMTP, and his rows end failed and bounced" \
	wait_for rows_bounced erik@bounce.example.net

# convened is down: Postfix keeps the mail until it is back.
kill "$CONVENED_PID"
wait "$CONVENED_PID"
CONVENED_PID=
cp "$T/convened.log" "$T/convened.log.1"
submit fanny@example.it register@campus.example.org Registration "$(form 'Fanny Rossi' IT)" >/dev/null
check 'with convened stopped, Postfix defers the message' wait_for deferred 'lmtp.sock'
check 'and sends no bounce' test -z "$(sink_to fanny@example.it)"
start_convened
wait_for grep -q 'event=started' "$T/convened.log"
postqueue -c "$PFC" -f
check 'once convened is back, the next try is answered' wait_for at_sink fanny@example.it

if [ "$failed" -ne 0 ]; then
	echo "# Postfix's log:"
	sed 's/^/# /' "$PF/maillog"
	echo "# convened's logs:"
	sed 's/^/# /' "$T/convened.log.1" "$T/convened.log" 2>/dev/null
fi
finish
