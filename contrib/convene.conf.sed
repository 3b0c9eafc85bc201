# SPDX-License-Identifier: ISC
# Turns etc/convene.conf, which runs from a checkout, into the example that
# make install puts in @sysconfdir@/convene: the data where the FHS puts them
# whatever the prefix (and tmpfiles.d/convene.conf makes the directories),
# templates where make install puts them, and mail going out through the
# local Postfix. The Makefile fills in @pkgdatadir@, and fails if a relative
# path is left.
/^# Where convene keeps its data\. Relative paths/,/^paths {$/c\
# Where convene keeps its data: the directories tmpfiles.d/convene.conf\
# makes, the user convene's alone.\
paths {
s|^\([[:space:]]*\)state[[:space:]]*= "var/state".*|\1state     = "/var/lib/convene"           # the registrations (LMDB)|
s|^\([[:space:]]*\)intake[[:space:]]*= "var/inbox".*|\1intake    = "/var/spool/convene/inbox"   # incoming mail (Maildir: tmp/ new/ cur/)|
s|^\([[:space:]]*\)templates[[:space:]]*= "templates".*|\1templates = "@pkgdatadir@/templates"|
/^# How mail goes out: /,/^transport = /c\
# How mail goes out: through the local Postfix, which relays the answers and\
# sends their bounces back to convene (doc/postfix.md); or\
# "smtp://relay.example.org:587" to another relay.\
transport = "smtp://127.0.0.1:25"\
\
# Postfix hands the event's mail to convened by LMTP (doc/postfix.md), or\
# pipes it to convene-deliver, which needs none of these.\
#lmtp = "unix:/run/convene/lmtp.sock"\
#lmtp-socket-mode = "0660"\
#lmtp-socket-group = "postfix"
/^smtp {$/,/^}$/s|starttls = "required"|starttls = "none"    |
