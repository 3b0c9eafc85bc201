#!/bin/sh
# SPDX-License-Identifier: ISC
# The store over time: a sent message's text leaves the store after
# limits.keep-sent-days while its outbox row stays; a damaged store is
# refused, never mistaken: a data file cut short or emptied stops every
# command with EX_CANTCREAT (73) and says so, and one damaged attendee
# record does not stop the export of the others.
. "$(dirname "$0")/lib.sh"
plan 14

flood p 40
ctl run-once --now 2025-08-01T08:00:00Z
check 'forty registrations answered, the itinerary inside each answer' grep -q '; 40 sent' "$T/out"

ctl run-once --now 2025-08-30T08:00:00Z
check 'twenty-nine days later the messages are all kept' sh -c "! grep -q 'event=purged sent_messages=[1-9]' '$T/err'"
ctl run-once --now 2025-09-01T09:00:00Z
check 'after thirty days (limits.keep-sent-days) their text goes' \
	grep -q 'event=purged sent_messages=40 ' "$T/err"
ctl queue --state sent --format json
check 'and the rows stay, with what the relay said' \
	jq -e 'length == 40 and all(.[]; .last_reply | test("^250"))' "$T/out"
sed -i 's/^limits {/limits {\n\tkeep-sent-days = 0/' "$T/convene.conf"
ctl check-config
check 'keep-sent-days is at least one day' sh -c "test $status = 78 && grep -q 'keep-sent-days must be 1 or more' '$T/err'"
sed -i '/keep-sent-days = 0/d' "$T/convene.conf"

# A damaged data file, and the backup that saves the day.
ctl backup "$T/good.mdb"
size=$(stat -c %s var/state/data.mdb)
truncate -s $((size / 2)) var/state/data.mdb
ctl export --format json
check 'a data file cut to half its size: export refuses with 73' test "$status" = 73
check 'saying it was cut short, and what to do' \
	sh -c "grep -q 'data.mdb is damaged: it is $((size / 2)) bytes, but its last commit' '$T/err' && grep -q 'backup' '$T/err'"
ctl run-once --now 2025-09-02T09:00:00Z
check 'run-once refuses it too (73)' test "$status" = 73
"$top_builddir/src/convened" -f >"$T/daemon.log" 2>&1
check 'and so does convened (73)' sh -c "test $? = 73 && grep -q 'cut short' '$T/daemon.log'"

: >var/state/data.mdb
ctl export --format json
check 'an emptied data file beside its secret: 73, not a new empty store' \
	sh -c "test $status = 73 && grep -q 'it is empty, yet the secret beside it' '$T/err'"

cp "$T/good.mdb" var/state/data.mdb
ctl export --format json
check 'the backup put back: all forty are there' test "$(jq length "$T/out")" = 40

# One record damaged as a bad sector would: its email field's length
# spoilt, in every copy LMDB still has of it.
python3 - var/state/data.mdb p7@example.fi <<'PY'
import struct, sys
path, email = sys.argv[1], sys.argv[2].encode()
data = bytearray(open(path, 'rb').read())
head = struct.pack('=I', 3) + b's\x05email'
needle = head + struct.pack('=I', len(email) + 1) + email + b'\x00s\x04name'
at = data.find(needle)
found = 0
while at >= 0:
    data[at + len(head):at + len(head) + 4] = b'\x7f\x7f\x7f\x7f'
    found += 1
    at = data.find(needle, at + 1)
open(path, 'wb').write(bytes(data))
sys.exit(0 if found else 1)
PY
check 'a record was damaged for the story' test $? = 0
ctl export --format json
check 'export of the others goes on: 39 attendees' test "$(jq length "$T/out")" = 39
check 'the damaged one is named on stderr, and the exit is not 0 (EX_DATAERR)' \
	sh -c "test $status = 65 && grep -q 'p7@example.fi' '$T/err' && grep -q '1 attendee record(s) left out' '$T/err'"
finish
