#!/bin/sh
# SPDX-License-Identifier: ISC
# What the MTA runs per message (issue #17): convene-deliver against
# mlmmj-receive, side by side. Each is started N times, one process after
# another as a pipe transport would, with the same registration on stdin,
# and writes it durably: convene-deliver into the intake Maildir (tmp/,
# fsync, rename into new/, fsync of new/), mlmmj-receive -F -P into a
# scratch list's incoming/ (fsync of the file; -P leaves out mlmmj-process,
# the list's own processing, as convene's daemon is left out here).
# `convenectl deliver` (the same delivery behind convenectl's libraries) and
# /bin/true (what starting any program costs) are measured beside them.
#
# Prints messages per second (one process at a time, so the fsyncs' wait
# counts) and CPU per message (user + system of each child, from wait4()),
# for five rounds taken in turns, and the median of each round's ratio
# convene-deliver / mlmmj-receive.
#
#   sh bench/deliver.sh [N]          N: 1000 unless told
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
n=${1:-1000}
make -s src/convene-deliver src/convenectl
if ! command -v mlmmj-receive >/dev/null 2>&1; then
	sudo=
	[ "$(id -u)" = 0 ] || sudo=sudo
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mlmmj >/dev/null
fi
W=$(mktemp -d "${TMPDIR:-/tmp}/deliver-bench.XXXXXX")
trap 'rm -rf "$W"' EXIT

# convene: the shipped configuration, its intake in the scratch folder.
sed -e "s|\"var/inbox\"|\"$W/inbox\"|" -e "s|\"var/state\"|\"$W/state\"|" \
	"$top/etc/convene.conf" >"$W/convene.conf"
# mlmmj: a list is a folder; mlmmj-receive needs incoming/ and the address.
mkdir -p "$W/list/incoming" "$W/list/control"
echo "bench@lists.example.org" >"$W/list/control/listaddress"

nice -n 10 python3 - "$n" "$W" "$top" <<'PY'
import os, shutil, statistics, sys, time

n, work, top = int(sys.argv[1]), sys.argv[2], sys.argv[3]
message = os.path.join(top, "tests/fixtures/register-plain.eml")
programs = [
    ("/bin/true", ["/bin/true"], None),
    ("mlmmj-receive -F -P", [shutil.which("mlmmj-receive"), "-F", "-P", "-L",
                             os.path.join(work, "list")], os.path.join(work, "list/incoming")),
    ("convene-deliver", [os.path.join(top, "src/convene-deliver"), "-c",
                         os.path.join(work, "convene.conf")], os.path.join(work, "inbox")),
    ("convenectl deliver", [os.path.join(top, "src/convenectl"), "-c",
                            os.path.join(work, "convene.conf"), "deliver"],
     os.path.join(work, "inbox")),
]

def run(argv, folder):
    """Starts argv n times, the message on stdin; returns (messages/s, CPU ms each)."""
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)
        os.makedirs(folder)
    devnull = os.open(os.devnull, os.O_WRONLY)
    cpu = 0.0
    start = time.monotonic()
    for _ in range(n):
        fd = os.open(message, os.O_RDONLY)
        pid = os.posix_spawn(argv[0], argv, os.environ,
                             file_actions=[(os.POSIX_SPAWN_DUP2, fd, 0),
                                           (os.POSIX_SPAWN_DUP2, devnull, 1),
                                           (os.POSIX_SPAWN_DUP2, devnull, 2)])
        os.close(fd)
        _, status, usage = os.wait4(pid, 0)
        if os.waitstatus_to_exitcode(status) != 0:
            sys.exit("%s exited %d" % (argv[0], os.waitstatus_to_exitcode(status)))
        cpu += usage.ru_utime + usage.ru_stime
    wall = time.monotonic() - start
    os.close(devnull)
    return n / wall, cpu / n * 1000

results = {name: [] for name, _, _ in programs}
ratios = []
for rnd in range(5):
    for name, argv, folder in programs:
        results[name].append(run(argv, folder))
    ratios.append(results["convene-deliver"][-1][0] / results["mlmmj-receive -F -P"][-1][0])

size = os.path.getsize(message)
print("deliver: %d messages of %d bytes, each program in turn, 5 rounds (median)" % (n, size))
print("%-22s %12s %14s" % ("", "messages/s", "CPU ms/msg"))
med = {}
for name, _, _ in programs:
    rate = statistics.median(r for r, _ in results[name])
    cpu = statistics.median(c for _, c in results[name])
    med[name] = (rate, cpu)
    print("%-22s %12.0f %14.2f" % (name, rate, cpu))
print("convene-deliver / mlmmj-receive, messages/s: %.2f (median of the rounds' ratios: %s)"
      % (statistics.median(ratios), " ".join("%.2f" % r for r in ratios)))
print("CPU per message above /bin/true: convene-deliver %.2f ms, mlmmj-receive %.2f ms, "
      "convenectl deliver %.2f ms"
      % (med["convene-deliver"][1] - med["/bin/true"][1],
         med["mlmmj-receive -F -P"][1] - med["/bin/true"][1],
         med["convenectl deliver"][1] - med["/bin/true"][1]))
PY
