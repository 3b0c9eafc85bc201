#!/bin/sh
# SPDX-License-Identifier: ISC
# End to end through a real Postfix (issue #17): N registrations are sent to
# a scratch Postfix's SMTP port and answered through that same Postfix to an
# smtp-sink, by each of
#   - convene's pipe route (doc/postfix.md: convene-deliver, then convened),
#   - convene's LMTP route (convened's socket),
#   - mlmmj: the same number of requests (a subscription each, which mlmmj
#     answers with a confirmation), piped to mlmmj-receive -F as its own
#     README.postfix has it, its answers sent through the same Postfix;
# and Postfix's own ceiling: smtp-source sends through the same Postfix to
# the same sink as many messages as one convene run carried (the N
# registrations in and the answers out), and the time it takes is the time
# N registrations would take if convene cost nothing.
#
# For each it prints answered registrations per second (from the first
# submission to the last answer at the sink) and CPU per request: convene's
# (convened, read from /proc, and each convene-deliver, measured by
# bench/rusage-of, which the pipe runs in front of it) or mlmmj's (each
# mlmmj-receive with the mlmmj-process and mlmmj-send it runs), and
# Postfix's (its processes, less the commands its pipe ran). Each route
# starts from an empty store. Needs root, as Postfix does.
#
#   sh bench/e2e.sh [N]          N: 1000 unless told
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
n=${1:-1000}
[ "$(id -u)" = 0 ] || { echo "e2e: a scratch Postfix needs root" >&2; exit 1; }
make -s src/convene-deliver src/convenectl src/convened bench/rusage-of
command -v mlmmj-receive >/dev/null 2>&1 ||
	env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mlmmj >/dev/null
. "$top/tests/scratch-postfix.sh"

W=$(mktemp -d "${TMPDIR:-/tmp}/e2e-bench.XXXXXX")
chmod 755 "$W"
PF="$W/postfix"
PFC="$PF/etc"
SINK_PID=
PF_STARTED=
cleanup() {
	[ -n "$PF_STARTED" ] && scratch_postfix_stop "$PF"
	[ -n "$SINK_PID" ] && kill "$SINK_PID" 2>/dev/null && wait "$SINK_PID" 2>/dev/null
	# Postfix's last processes may still be closing their files.
	[ -n "${E2E_KEEP:-}" ] || rm -rf "$W" 2>/dev/null || { sleep 2; rm -rf "$W"; }
}
trap cleanup EXIT
trap 'exit 1' INT TERM

listening() { [ -n "$(ss -Hltn "sport = :$1" 2>/dev/null)" ]; }
free_port() {
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		port=$((20000 + $(od -An -N2 -tu2 /dev/urandom) % 40000))
		listening "$port" || { echo "$port"; return 0; }
	done
	return 1
}
SINK_PORT=$(free_port)
SMTP_PORT=$(free_port)
mkdir -p "$W/sink" "$W/run"
chmod 1777 "$W/sink"
smtp-sink -u nobody -d "$W/sink/%Y%m%d%H%M%S." "127.0.0.1:$SINK_PORT" 256 >"$W/sink.log" 2>&1 &
SINK_PID=$!

# mlmmj: a list made by its own tool, sending through our Postfix.
printf 'lists.example.org\nowner@example.org\nen\nN\n' |
	mlmmj-make-ml -L bench -s "$W/mlmmj" >/dev/null 2>&1
echo 127.0.0.1 >"$W/mlmmj/bench/control/relayhost"
echo "$SMTP_PORT" >"$W/mlmmj/bench/control/smtpport"
chown -R nobody "$W/mlmmj"

# convene: the shipped event, absolute paths, answers through our Postfix,
# LMTP on a socket the lmtp client (user postfix) may use.
sed -e "s|\"var/state\"|\"$W/var/state\"|" -e "s|\"var/inbox\"|\"$W/var/inbox\"|" \
	-e "s|\"templates\"|\"$top/templates\"|" \
	-e "s|^transport = .*|transport = \"smtp://127.0.0.1:$SMTP_PORT\"|" \
	-e 's|starttls = "required"|starttls = "none"|' "$top/etc/convene.conf" >"$W/convene.conf"
cp "$W/convene.conf" "$W/plain.conf"
printf 'lmtp = "unix:%s/run/lmtp.sock"\nlmtp-socket-mode = "0660"\nlmtp-socket-group = "postfix"\n' \
	"$W" >>"$W/convene.conf"
LMTP_UMASK=077
if ! "$top/src/convenectl" -c "$W/convene.conf" check-config >/dev/null 2>&1; then
	echo "e2e: this convened has no lmtp-socket-mode: its socket is made with umask 000"
	printf 'lmtp = "unix:%s/run/lmtp.sock"\n' "$W" >>"$W/plain.conf"
	mv "$W/plain.conf" "$W/convene.conf"
	LMTP_UMASK=000
fi

# Postfix: doc/postfix.md's lines, the pipes run as nobody behind rusage-of,
# and mlmmj's domain beside the event's.
scratch_postfix_write "$PF" "$SMTP_PORT" "$SINK_PORT"
sed "s|/etc/postfix/|$PFC/|g" "$top/contrib/postfix/main.cf" >>"$PFC/main.cf"
postconf -c "$PFC" -e 'relay_domains = campus.example.org lists.example.org' \
	'mlmmj_destination_recipient_limit = 1'
sed -e "s|user=convene|user=nobody|" \
	-e "s|argv=/usr/sbin/convene-deliver|argv=$top/bench/rusage-of $W/deliver.cpu $top/src/convene-deliver|" \
	-e "s|/etc/convene/convene.conf|$W/convene.conf|" "$top/contrib/postfix/master.cf" >>"$PFC/master.cf"
cat >>"$PFC/master.cf" <<EOF
mlmmj     unix  -       n       n       -       -       pipe
  flags=ORhu user=nobody argv=$top/bench/rusage-of $W/mlmmj.cpu $(command -v mlmmj-receive) -F -L $W/mlmmj/bench/
EOF
{ cat "$top/contrib/postfix/convene_recipients"; echo '@lists.example.org OK'; } >"$PFC/convene_recipients"
postmap -c "$PFC" "hash:$PFC/convene_recipients"
sed "s|/run/convene/lmtp.sock|$W/run/lmtp.sock|" "$top/contrib/postfix/transport.lmtp" >"$W/transport.lmtp"
cp "$top/contrib/postfix/transport.pipe" "$W/transport.pipe"
echo 'lists.example.org   mlmmj:' >>"$W/transport.pipe"
echo 'lists.example.org   mlmmj:' >>"$W/transport.lmtp"
cp "$W/transport.pipe" "$PFC/transport"
postmap -c "$PFC" "hash:$PFC/transport"
mkdir -p "$W/var/inbox"
chown -R nobody "$W/var"
# rusage-of runs as nobody too.
: >"$W/deliver.cpu"
: >"$W/mlmmj.cpu"
chmod 666 "$W/deliver.cpu" "$W/mlmmj.cpu"
scratch_postfix_start "$PF" || exit 1
PF_STARTED=1

nice -n 10 python3 - "$n" "$W" "$top" "$SMTP_PORT" "$LMTP_UMASK" <<'PY'
import email.parser, email.policy, email.utils, os, shutil, statistics, subprocess, sys, threading, time, smtplib

n, work, top, port, lmtp_umask = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
pfc = os.path.join(work, "postfix/etc")
sink = os.path.join(work, "sink")
tick = os.sysconf("SC_CLK_TCK")
NOW = "2025-09-01T09:00:00+02:00"

def proc_cpu(pid):
    """CPU seconds of a live process and of the children it reaped."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return sum(int(x) for x in fields[11:15]) / tick

def tree_cpu(root):
    """CPU seconds of root and every descendant, live or reaped."""
    parent = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open("/proc/%s/stat" % d) as f:
                    parent[int(d)] = int(f.read().rsplit(")", 1)[1].split()[1])
            except OSError:
                pass
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        try:
            total += proc_cpu(pid)
        except OSError:
            pass
        todo += [p for p, pp in parent.items() if pp == pid]
    return total

def postfix_cpu():
    with open(os.path.join(work, "postfix/spool/pid/master.pid")) as f:
        return tree_cpu(int(f.read().split()[0]))

def wrapped_cpu(name):
    """CPU seconds recorded by rusage-of in work/name."""
    try:
        with open(os.path.join(work, name)) as f:
            return sum(int(u) + int(s) for u, s in (l.split() for l in f)) / 1e6
    except FileNotFoundError:
        return 0.0

def submit(messages, sessions=4):
    """Sends (sender, rcpt, text) over a few SMTP sessions at once."""
    errors = []
    def worker(part):
        try:
            s = smtplib.SMTP("127.0.0.1", port)
            for sender, rcpt, text in part:
                s.sendmail(sender, [rcpt], text.encode())
            s.quit()
        except Exception as e:
            errors.append(e)
    threads = [threading.Thread(target=worker, args=(messages[i::sessions],)) for i in range(sessions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        sys.exit("e2e: submitting failed: %s" % errors[0])

seen = set()
def new_sink_files():
    names = set(os.listdir(sink)) - seen
    seen.update(names)
    return [os.path.join(sink, f) for f in sorted(names)]

def headers(path):
    with open(path, "rb") as f:
        return email.parser.BytesHeaderParser(policy=email.policy.default).parsebytes(f.read(8192))

def queue_empty():
    out = subprocess.run(["postqueue", "-c", pfc, "-j"], capture_output=True, text=True).stdout
    return out.strip() == ""

def drain():
    """Waits until Postfix's queue is empty and the sink quiet for a second."""
    quiet = 0
    while quiet < 10:
        time.sleep(0.1)
        quiet = quiet + 1 if queue_empty() and not new_sink_files() else 0

def answered(registrants, subject_word, limit=int(os.environ.get("E2E_LIMIT", "600"))):
    """Waits for an answer to each registrant at the sink; returns the time of the last.
    smtp-sink writes a file as the transaction goes: one without its Subject yet is
    read again later."""
    waiting = set(registrants)
    pending = []
    start = time.monotonic()
    while waiting:
        files = new_sink_files()
        later = []
        for path in pending + files:
            h = headers(path)
            if h.get("Subject") is None:
                later.append(path)
                continue
            rcpt = (h.get("X-Rcpt-Args") or "").split(">")[0].lstrip("<").lower()
            if rcpt in waiting and subject_word in str(h["Subject"]):
                waiting.discard(rcpt)
        pending = later
        if not files:
            if time.monotonic() - start > limit:
                sys.exit("e2e: %d of %d never answered" % (len(waiting), len(registrants)))
            time.sleep(0.02)
    return time.monotonic()

def form(i, prefix):
    return ("Name: %s %d\nOrganisation: Org\nCountry: FI\n"
            "Activities: kickoff-meeting, visit-le-poool\n" % (prefix.title(), i))

def message(sender, rcpt, subject, body):
    return ("From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\nMessage-ID: %s\r\n\r\n%s"
            % (sender, rcpt, subject, email.utils.formatdate(), email.utils.make_msgid(),
               body.replace("\n", "\r\n")))

def use_transport(which):
    shutil.copy(os.path.join(work, "transport." + which), os.path.join(pfc, "transport"))
    subprocess.run(["postmap", "-c", pfc, "hash:" + os.path.join(pfc, "transport")], check=True)
    subprocess.run(["postfix", "-c", pfc, "reload"], check=True, capture_output=True)
    time.sleep(1)

def convene_run(route):
    drain()
    for d in ("var/state", "var/inbox", "var/inbox.quarantine"):
        shutil.rmtree(os.path.join(work, d), ignore_errors=True)
    # The pipe runs as nobody: the Maildir is nobody's before convened
    # (root here) would make it its own.
    for sub in ("", "/tmp", "/new", "/cur"):
        os.makedirs(os.path.join(work, "var/inbox" + sub), exist_ok=True)
        shutil.chown(os.path.join(work, "var/inbox" + sub), "nobody")
    use_transport(route)
    log = open(os.path.join(work, "convened-%s.log" % route), "w")
    daemon = subprocess.Popen(["sh", "-c", "umask %s && exec %s/src/convened -f --now %s -c %s/convene.conf"
                               % (lmtp_umask, top, NOW, work)], stdout=log, stderr=log)
    try:
        return convene_measure(route, daemon, log.name)
    finally:
        daemon.terminate()
        daemon.wait()

def convene_measure(route, daemon, logname):
    while "event=started" not in open(logname).read():
        if daemon.poll() is not None:
            sys.exit("e2e: convened did not start: " + open(logname).read())
        time.sleep(0.1)
    senders = ["%s%d@example.fi" % (route, i) for i in range(n)]
    msgs = [(s, "register@campus.example.org",
             message(s, "register@campus.example.org", "Registration", form(i, route)))
            for i, s in enumerate(senders)]
    cpu0, pf0, wrap0 = proc_cpu(daemon.pid), postfix_cpu(), wrapped_cpu("deliver.cpu")
    out0 = len(seen)
    start = time.monotonic()
    submit(msgs)
    end = answered(senders, "Registered")
    drain()
    cpu = proc_cpu(daemon.pid) - cpu0
    wrap = wrapped_cpu("deliver.cpu") - wrap0
    pf = postfix_cpu() - pf0 - wrap
    mails_out = len(seen) - out0
    return {"rate": n / (end - start), "seconds": end - start, "cpu": (cpu + wrap) / n,
            "daemon": cpu / n, "postfix": pf / n, "out": mails_out}

def mlmmj_run():
    drain()
    senders = ["list%d@example.fi" % i for i in range(n)]
    msgs = [(s, "bench+subscribe@lists.example.org",
             message(s, "bench+subscribe@lists.example.org", "subscribe", "subscribe\n"))
            for s in senders]
    pf0, wrap0 = postfix_cpu(), wrapped_cpu("mlmmj.cpu")
    out0 = len(seen)
    start = time.monotonic()
    submit(msgs)
    end = answered(senders, "Confirm subscription")
    drain()
    wrap = wrapped_cpu("mlmmj.cpu") - wrap0
    pf = postfix_cpu() - pf0 - wrap
    return {"rate": n / (end - start), "seconds": end - start, "cpu": wrap / n,
            "postfix": pf / n, "out": len(seen) - out0}

def ceiling_run(messages):
    drain()
    pf0 = postfix_cpu()
    out0 = len(seen)
    start = time.monotonic()
    subprocess.run(["smtp-source", "-s", "8", "-m", str(messages), "-l", "2048", "-c",
                    "-f", "source@example.net", "-t", "sink@outside.example",
                    "127.0.0.1:%d" % port], check=True, capture_output=True)
    while len(seen) - out0 < messages:
        if not new_sink_files():
            time.sleep(0.02)
    end = time.monotonic()
    drain()
    pf = postfix_cpu() - pf0
    return {"rate": n / (end - start), "seconds": end - start, "msgs": messages / (end - start),
            "postfix": pf / n}

new_sink_files()
print("e2e: convene's pipe route", file=sys.stderr)
pipe = convene_run("pipe")
print("e2e: convene's LMTP route", file=sys.stderr)
lmtp = convene_run("lmtp")
print("e2e: mlmmj", file=sys.stderr)
ml = mlmmj_run()
carried = n + lmtp["out"]
print("e2e: Postfix alone", file=sys.stderr)
ceiling = ceiling_run(carried)

print("e2e: %d registrations through one scratch Postfix to an smtp-sink, one run" % n)
print("%-34s %12s %9s %15s %15s" % ("", "answered/s", "seconds", "CPU ms/request", "Postfix ms/req"))
print("%-34s %12.0f %9.1f %15.2f %15.2f" % ("convene, pipe (convene-deliver)", pipe["rate"],
      pipe["seconds"], pipe["cpu"] * 1000, pipe["postfix"] * 1000))
print("%-34s %12.0f %9.1f %15.2f %15.2f" % ("convene, LMTP", lmtp["rate"], lmtp["seconds"],
      lmtp["cpu"] * 1000, lmtp["postfix"] * 1000))
print("%-34s %12.0f %9.1f %15.2f %15.2f" % ("mlmmj (mlmmj-receive -F)", ml["rate"], ml["seconds"],
      ml["cpu"] * 1000, ml["postfix"] * 1000))
print("%-34s %12.0f %9.1f %15s %15.2f" % ("Postfix alone (smtp-source)", ceiling["rate"],
      ceiling["seconds"], "-", ceiling["postfix"] * 1000))
print("mails at the sink per registration: pipe %.1f, LMTP %.1f, mlmmj %.1f; Postfix alone carried "
      "%d messages (%d in + %d answers) at %.0f/s"
      % (pipe["out"] / n, lmtp["out"] / n, ml["out"] / n, carried, n, lmtp["out"], ceiling["msgs"]))
print("of which convened: pipe %.2f ms, LMTP %.2f ms per registration"
      % (pipe["daemon"] * 1000, lmtp["daemon"] * 1000))
print("LMTP / Postfix alone: %.2f (target 0.8); LMTP / mlmmj: %.1f (target 5); pipe / mlmmj: %.1f"
      % (lmtp["rate"] / ceiling["rate"], lmtp["rate"] / ml["rate"], pipe["rate"] / ml["rate"]))
PY
