# SPDX-License-Identifier: ISC
# scratch-postfix.sh: a Postfix of one's own, for tests/t/0201-postfix.sh and
# bench/e2e.sh. Its configuration, queue and data directories are under one
# folder, its SMTP server listens on a loopback port of the caller's choice,
# nothing is chrooted, and mail for the rest of the world goes to one relay
# (a sink). It shares nothing with a Postfix the machine may run. Sourced;
# starting it needs root, as Postfix does.

# scratch_postfix_write DIR SMTP_PORT RELAY_PORT: writes DIR/etc/main.cf and
# DIR/etc/master.cf with the services any Postfix needs and nothing of
# convene's; the caller appends its own lines.
scratch_postfix_write() {
	mkdir -p "$1/etc" "$1/spool" "$1/data"
	chown postfix "$1/data"
	cat >"$1/etc/main.cf" <<EOF2
compatibility_level = 3.6
queue_directory = $1/spool
data_directory = $1/data
mail_owner = postfix
setgid_group = postdrop
inet_interfaces = loopback-only
inet_protocols = ipv4
myhostname = mx.campus.test
mydestination =
mynetworks = 127.0.0.0/8
alias_maps =
alias_database =
maillog_file = $1/maillog
maillog_file_prefixes = $1
relayhost = [127.0.0.1]:$3
smtp_dns_support_level = disabled
EOF2
	cat >"$1/etc/master.cf" <<EOF2
127.0.0.1:$2 inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF2
}

# scratch_postfix_start DIR: starts it; on failure says why (as TAP
# comments) and returns non-zero.
scratch_postfix_start() {
	postfix -c "$1/etc" start >"$1/start.out" 2>&1 && return 0
	sed 's/^/# /' "$1/start.out" "$1/maillog" 2>/dev/null
	return 1
}

# scratch_postfix_stop DIR: stops it, and waits (ten seconds at most) for its
# master to be gone, so that its folder can be removed.
scratch_postfix_stop() {
	master=$(sed -n '1s/ //gp' "$1/spool/pid/master.pid" 2>/dev/null)
	postfix -c "$1/etc" stop >/dev/null 2>&1
	[ -n "$master" ] || return 0
	for _ in $(seq 100); do
		kill -0 "$master" 2>/dev/null || return 0
		sleep 0.1
	done
}
