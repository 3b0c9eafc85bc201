#!/bin/sh
# SPDX-License-Identifier: ISC
# convened's LMTP listener under abuse: thirty clients that connect and say
# nothing, a command line of a megabyte, a data line of 100 kB, a
# message over the size limit, one connection more than allowed, clients
# that never finish; then an MTA with a real registration is greeted at
# once, gets its 250, and the person is answered. The crash of old: idle
# clients hanging up all at once killed convened with SIGSEGV. And the
# LMTP settings: checked by check-config, applied, moved by SIGHUP.
. "$(dirname "$0")/lib.sh"
plan 26

CONVENED="$top_builddir/src/convened"
DAEMON_PID=
start_daemon() {
	"$CONVENED" -f --now 2025-09-01T08:00:00Z >>"$T/daemon.log" 2>&1 &
	DAEMON_PID=$!
	for _ in $(seq 100); do
		grep -q 'event=started' "$T/daemon.log" 2>/dev/null && return 0
		kill -0 "$DAEMON_PID" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}
stop_daemon() {
	[ -n "$DAEMON_PID" ] || return 0
	kill -TERM "$DAEMON_PID" 2>/dev/null
	wait "$DAEMON_PID" 2>/dev/null
	status=$?
	DAEMON_PID=
}
trap 'stop_daemon; cleanup' EXIT

SOCK="$T/lmtp.sock"
add_conf lmtp "\"unix:$SOCK\""
# Limits small enough for a test: a message of at most 200 kB, two idle
# seconds, forty connections.
set_conf max-message-size 200000
set_conf lmtp-idle-timeout 2
set_conf lmtp-max-connections 40
check 'the limits are a valid configuration' "$CONVENECTL" check-config
cp "$T/convene.conf" "$T/good.conf"
# check-config says what is wrong with each LMTP setting.
refused() { # KEY VALUE WORDS: check-config refuses it, naming the key
	cp "$T/good.conf" "$T/convene.conf"
	if grep -q "^[[:space:]]*$1[[:space:]]*=" "$T/convene.conf"; then
		set_conf "$1" "$2"
	else
		add_conf "$1" "$2"
	fi
	ctl check-config
	[ "$status" != 0 ] && grep -q "$1.*$3" "$T/err"
}
check 'check-config refuses a socket mode that is not octal bits' refused lmtp-socket-mode '"rw-rw----"' 'octal'
check 'and a socket group that does not exist' refused lmtp-socket-group '"no-such-group-here"' 'no such group'
check 'and data lines shorter than RFC 5321 allows' refused max-line-length 200 '1000 or more'
check 'and an idle timeout of zero' refused lmtp-idle-timeout 0 '1 or more'
check 'and no connection at all' refused lmtp-max-connections 0 '1 or more'
cp "$T/good.conf" "$T/convene.conf"
# The socket's access, so that Postfix's group can connect under UMask=0077.
add_conf lmtp-socket-mode '"0660"'
add_conf lmtp-socket-group "\"$(id -gn)\""

start_daemon || { echo "Bail out! convened did not start"; cat "$T/daemon.log"; exit 1; }

# The clients. Every wait has a bound, so that a listener that hangs fails
# the story instead of stalling it; the bounds are generous.
cat >"$T/lmtp.py" <<'PY'
import socket, sys, time

PATH = sys.argv[1]


class Client:
    def __init__(self, timeout=30):
        self.s = socket.socket(socket.AF_UNIX)
        self.s.settimeout(timeout)
        self.s.connect(PATH)
        self.buf = b''

    def line(self):
        while b'\n' not in self.buf:
            try:
                data = self.s.recv(65536)
            except OSError:
                return None
            if not data:
                return None
            self.buf += data
        line, self.buf = self.buf.split(b'\n', 1)
        return line.decode('utf-8', 'replace').rstrip('\r')

    def reply(self):
        lines = []
        while True:
            line = self.line()
            if line is None:
                return lines or None
            lines.append(line)
            if len(line) < 4 or line[3] != '-':
                return lines

    def send(self, data):
        try:
            self.s.sendall(data)
            return True
        except OSError:
            return False

    def cmd(self, text):
        self.send(text.encode() + b'\r\n')
        return self.reply()

    def closed(self):
        try:
            return self.s.recv(1) == b''
        except OSError:
            return True


def say(*words):
    print(*words, flush=True)


def message(path):
    body = open(path, 'rb').read().replace(b'\r\n', b'\n').replace(b'\n', b'\r\n')
    return body.replace(b'\r\n.', b'\r\n..') + b'.\r\n'


def idle(n):
    clients = []
    for _ in range(n):
        try:
            clients.append(Client(timeout=10))
        except OSError:
            pass
    greeted = sum(1 for c in clients if (c.reply() or [''])[0].startswith('220 '))
    return clients, greeted


def abuse(fixture):
    clients, greeted = idle(30)
    say('idle-greeted', greeted)

    big = Client()
    big.reply()
    big.send(b'LHLO ' + b'x' * (1 << 20) + b'\r\n')
    say('long-command', (big.reply() or ['nothing'])[0], 'closed' if big.closed() else 'open')

    c = Client()
    c.reply()
    c.cmd('LHLO mx.example.org')
    c.cmd('MAIL FROM:<a@example.org>')
    c.cmd('RCPT TO:<register@campus.example.org>')
    c.cmd('DATA')
    c.send(b'Subject: long line\r\n\r\n' + b'y' * 100000 + b'\r\n.\r\n')
    say('long-data-line', (c.reply() or ['nothing'])[0])
    say('then', (c.cmd('MAIL FROM:<a@example.org> SIZE=400000') or ['nothing'])[0])
    c.cmd('MAIL FROM:<a@example.org>')
    c.cmd('RCPT TO:<register@campus.example.org>')
    c.cmd('DATA')
    c.send(b'Subject: big\r\n\r\n' + (b'z' * 998 + b'\r\n') * 400 + b'.\r\n')
    say('oversized', (c.reply() or ['nothing'])[0])
    say('after-oversized', (c.cmd('NOOP') or ['nothing'])[0])

    # 30 idle and this one: 31. Nine more make forty, the limit.
    more = [Client() for _ in range(9)]
    for m in more:
        m.reply()
    extra = Client(timeout=5)
    say('one-too-many', (extra.reply() or ['nothing'])[0], 'closed' if extra.closed() else 'open')
    for m in more:
        m.s.close()
    c.s.close()
    time.sleep(0.5)

    # The idle ones still hold their connections: a real delivery now.
    started = time.time()
    mta = Client()
    greeting = (mta.reply() or ['nothing'])[0]
    say('greeting', greeting[:3], 'in', '%.2f' % (time.time() - started))
    mta.cmd('LHLO mx.example.org')
    mta.cmd('MAIL FROM:<stefan.ionescu@infosec-center.example.ro>')
    mta.cmd('RCPT TO:<register@campus.example.org>')
    mta.cmd('DATA')
    mta.send(message(fixture))
    say('delivery', (mta.reply() or ['nothing'])[0], 'in', '%.2f' % (time.time() - started))
    mta.cmd('QUIT')

    # Nobody spoke on the idle ones: each is told, then closed.
    told = sum(1 for cl in clients if (cl.reply() or [''])[0].startswith('421 4.4.2'))
    say('idle-told', told, 'closed', sum(1 for cl in clients if cl.closed()))


def hang_up():
    clients, greeted = idle(30)
    try:
        big = Client(timeout=10)
        big.reply()
        big.send(b'LHLO ' + b'x' * (1 << 20) + b'\r\n')
        clients.append(big)
    except OSError:
        pass
    for cl in clients:
        cl.s.close()
    time.sleep(0.2)
    try:
        after = Client(timeout=10)
        say('hang-up', greeted, (after.reply() or ['nothing'])[0][:3])
        after.s.close()
    except OSError as e:
        say('hang-up', greeted, 'no-connection', e)


if sys.argv[2] == 'abuse':
    abuse(sys.argv[3])
else:
    hang_up()
PY

python3 "$T/lmtp.py" "$SOCK" abuse "$FIXTURES/register-plain.eml" >"$T/abuse.out" 2>&1
sed 's/^/# /' "$T/abuse.out"
check 'thirty idle clients are each greeted' grep -qx 'idle-greeted 30' "$T/abuse.out"
check 'a command line of a megabyte is refused with 500 and the connection closed' \
	grep -q '^long-command 500 5.5.2 .* closed$' "$T/abuse.out"
check 'a data line of 100,000 octets is refused with 554 after the final dot' \
	grep -q '^long-data-line 554 5.6.0' "$T/abuse.out"
check 'a declared SIZE over the limit is refused at MAIL' grep -q '^then 552 5.3.4' "$T/abuse.out"
check 'a message over the size limit is refused with 552 after the final dot' \
	grep -q '^oversized 552 5.3.4' "$T/abuse.out"
check 'and the same connection goes on' grep -q '^after-oversized 250' "$T/abuse.out"
check 'one connection over the limit is answered 421 and closed, not left waiting' \
	grep -q '^one-too-many 421 4.3.2 .* closed$' "$T/abuse.out"
# The one bound the story needs: "at once" is generously five seconds.
check 'the socket has the mode and group configured' \
	test "$(stat -c '%A %G' "$SOCK")" = "srw-rw---- $(id -gn)"
check 'with thirty idle clients still connected, a delivery is greeted at once' \
	awk '/^greeting / { ok = $2 == 220 && $4 < 5 } END { exit !ok }' "$T/abuse.out"
check 'and its message is committed: 250' grep -q '^delivery 250 2.0.0' "$T/abuse.out"
check 'the idle clients are told 421 and closed after the idle timeout' \
	grep -qx 'idle-told 30 closed 30' "$T/abuse.out"
check 'convened is still running' kill -0 "$DAEMON_PID"
ctl show stefan.ionescu@infosec-center.example.ro --format json
check 'the registration is there' jq -e '.name == "Ștefan Ionescu"' "$T/out"
for _ in $(seq 100); do
	last_to stefan.ionescu@infosec-center.example.ro >"$T/reply" 2>/dev/null && break
	sleep 0.1
done
check 'and Ștefan is answered' grep -q '^Subject: .*Registered' "$T/reply"
check 'the refusals are counted in the log, the data is not' \
	sh -c "grep -q 'event=lmtp-busy' '$T/daemon.log' && ! grep -q 'yyyyyyyy\\|zzzzzzzz' '$T/daemon.log'"

# The crash of old: thirty idle clients and a megabyte line, then everyone
# hangs up at once; five times.
for round in 1 2 3 4 5; do
	python3 "$T/lmtp.py" "$SOCK" hang-up >>"$T/hangup.out" 2>&1
done
sed 's/^/# /' "$T/hangup.out"
check 'five times thirty idle clients hanging up: each time greeted afterwards' \
	test "$(grep -cx 'hang-up 30 220' "$T/hangup.out")" = 5
check 'and convened is still running' kill -0 "$DAEMON_PID"

# SIGHUP with a new address: the listener moves; with one that cannot be
# had, it stays where it is and says so.
set_conf lmtp "\"unix:$T/moved.sock\""
kill -HUP "$DAEMON_PID"
for _ in $(seq 100); do test -S "$T/moved.sock" && ! test -e "$SOCK" && break; sleep 0.1; done
python3 "$T/lmtp.py" "$T/moved.sock" hang-up >"$T/moved.out" 2>&1
check 'SIGHUP with a new lmtp address moves the listener there' \
	sh -c "! test -e '$SOCK' && grep -qx 'hang-up 30 220' '$T/moved.out'"
set_conf lmtp "\"unix:$T/no/such/dir/lmtp.sock\""
kill -HUP "$DAEMON_PID"
for _ in $(seq 100); do grep -q 'event=lmtp-kept' "$T/daemon.log" && break; sleep 0.1; done
python3 "$T/lmtp.py" "$T/moved.sock" hang-up >"$T/kept.out" 2>&1
check 'one that cannot be bound keeps the old listener, with a warning' \
	sh -c "grep -q 'event=lmtp-kept' '$T/daemon.log' && grep -qx 'hang-up 30 220' '$T/kept.out'"
stop_daemon
check 'it stops cleanly (exit 0) and removes its socket' \
	sh -c "test '$status' = 0 && ! test -e '$T/moved.sock'"
finish
