#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""tls-smtpd.py: a small SMTP server with STARTTLS and AUTH for the tests.

It accepts every message and writes each into a directory, one file per
message, and logs each session's STARTTLS and AUTH to a file so that a test
can check that credentials travelled only inside TLS. It relays nothing,
listens on loopback only, and exits on SIGTERM.

    tls-smtpd.py --port N --cert FILE --key FILE --dir DIR --log FILE
                 [--user NAME --password SECRET] [--require-auth]

Exits 2 when the port cannot be had, so that a caller can try another.
"""

import argparse
import base64
import binascii
import itertools
import os
import signal
import socket
import socketserver
import ssl
import sys
import threading

MAX_SIZE = 10485760
LINE_MAX = 4096


class Session:
    """One client connection: plain text first, TLS after STARTTLS."""

    def __init__(self, server, sock, number):
        self.server = server
        self.sock = sock
        self.id = "s%d" % number
        self.rfile = sock.makefile("rb")
        self.tls = None
        self.user = None
        self.ehlo = False
        self.reset()

    def reset(self):
        self.mail_from = None
        self.rcpts = []

    def log(self, text):
        self.server.log("%s %s" % (self.id, text))

    def send(self, text):
        self.sock.sendall(text.encode("ascii") + b"\r\n")

    def readline(self):
        line = self.rfile.readline(LINE_MAX + 1)
        if not line:
            raise EOFError
        return line.rstrip(b"\r\n").decode("utf-8", "replace")

    def run(self):
        self.log("connect")
        self.send("220 localhost ESMTP tls-smtpd")
        while True:
            line = self.readline()
            verb, _, arg = line.partition(" ")
            handler = getattr(self, "cmd_" + verb.upper(), None)
            if handler is None:
                self.send("502 5.5.2 command not recognised")
                continue
            if handler(arg.strip()) is False:
                return

    def cmd_EHLO(self, arg):
        self.ehlo = True
        self.reset()
        lines = ["localhost greets %s" % arg, "PIPELINING", "8BITMIME", "SIZE %d" % MAX_SIZE]
        if self.tls is None:
            lines.append("STARTTLS")
        else:
            lines.append("AUTH PLAIN LOGIN")
        for line in lines[:-1]:
            self.send("250-" + line)
        self.send("250 " + lines[-1])

    def cmd_HELO(self, arg):
        self.ehlo = True
        self.reset()
        self.send("250 localhost")

    def cmd_STARTTLS(self, arg):
        if self.tls is not None:
            self.send("503 5.5.1 TLS already active")
            return
        self.send("220 2.0.0 ready to start TLS")
        try:
            self.sock = self.server.tls_context.wrap_socket(self.sock, server_side=True)
        except (ssl.SSLError, OSError) as e:
            self.log("starttls failed %s" % e)
            return False
        # Whatever the client wrote before the handshake is discarded, as
        # RFC 3207 asks: it was not protected.
        self.rfile = self.sock.makefile("rb")
        self.tls = self.sock.version()
        self.ehlo = False
        self.reset()
        self.log("starttls %s %s" % (self.tls, self.sock.cipher()[0]))

    def cmd_AUTH(self, arg):
        mechanism, _, initial = arg.partition(" ")
        mechanism = mechanism.upper()
        if self.tls is None:
            self.log("auth %s refused: no TLS" % mechanism)
            self.send("530 5.7.0 must issue a STARTTLS command first")
            return
        if self.user is not None:
            self.send("503 5.5.1 already authenticated")
            return
        try:
            if mechanism == "PLAIN":
                if not initial:
                    self.send("334 ")
                    initial = self.readline()
                _, user, password = base64.b64decode(initial, validate=True).split(b"\0")
            elif mechanism == "LOGIN":
                if initial:
                    user = base64.b64decode(initial, validate=True)
                else:
                    self.send("334 VXNlcm5hbWU6")
                    user = base64.b64decode(self.readline(), validate=True)
                self.send("334 UGFzc3dvcmQ6")
                password = base64.b64decode(self.readline(), validate=True)
            else:
                self.send("504 5.5.4 mechanism not supported")
                return
        except (binascii.Error, ValueError):
            self.send("501 5.5.2 cannot decode the response")
            return
        user = user.decode("utf-8", "replace")
        if (user, password.decode("utf-8", "replace")) != (self.server.user,
                                                            self.server.password):
            # The password itself is never logged.
            self.log("auth %s user=%s refused: wrong user or password" % (mechanism, user))
            self.send("535 5.7.8 authentication credentials invalid")
            return
        self.user = user
        self.log("auth %s user=%s ok %s" % (mechanism, user, self.tls))
        self.send("235 2.7.0 authentication successful")

    def cmd_MAIL(self, arg):
        if not arg.upper().startswith("FROM:<") or ">" not in arg:
            self.send("501 5.5.4 syntax: MAIL FROM:<address>")
            return
        if self.server.require_auth and self.user is None:
            self.send("530 5.7.0 authentication required")
            return
        self.reset()
        self.mail_from = arg[6:arg.index(">")]
        self.send("250 2.1.0 ok")

    def cmd_RCPT(self, arg):
        if self.mail_from is None:
            self.send("503 5.5.1 MAIL first")
            return
        if not arg.upper().startswith("TO:<") or ">" not in arg:
            self.send("501 5.5.4 syntax: RCPT TO:<address>")
            return
        self.rcpts.append(arg[4:arg.index(">")])
        self.send("250 2.1.5 ok")

    def cmd_DATA(self, arg):
        if not self.rcpts:
            self.send("503 5.5.1 RCPT first")
            return
        self.send("354 end data with <CR><LF>.<CR><LF>")
        lines = []
        size = 0
        while True:
            line = self.rfile.readline(LINE_MAX + 1)
            if not line:
                raise EOFError
            if line == b".\r\n":
                break
            if line.startswith(b"."):
                line = line[1:]
            size += len(line)
            if size <= MAX_SIZE:
                lines.append(line)
        if size > MAX_SIZE:
            self.send("552 5.3.4 message too big")
            self.reset()
            return
        name = self.server.store(self, b"".join(lines))
        self.log("message %s from=<%s> to=%s" % (name, self.mail_from,
                                                   ",".join("<%s>" % r for r in self.rcpts)))
        self.send("250 2.0.0 ok queued as %s" % name)
        self.reset()

    def cmd_RSET(self, arg):
        self.reset()
        self.send("250 2.0.0 ok")

    def cmd_NOOP(self, arg):
        self.send("250 2.0.0 ok")

    def cmd_QUIT(self, arg):
        self.send("221 2.0.0 bye")
        return False


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        # Replies go out as they are written: with Nagle's algorithm a reply
        # that follows another in a pipelined exchange would wait for the
        # client's delayed ACK.
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        session = Session(self.server, self.request, next(self.server.numbers))
        try:
            session.run()
        except (EOFError, OSError, ssl.SSLError):
            pass
        session.log("disconnect")


class Server(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, args):
        self.dir = args.dir
        self.user = args.user
        self.password = args.password
        self.require_auth = args.require_auth
        self.numbers = itertools.count(1)
        self.messages = itertools.count(1)
        self.lock = threading.Lock()
        self.logfile = open(args.log, "a", encoding="utf-8")
        self.tls_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.tls_context.load_cert_chain(args.cert, args.key)
        super().__init__(("127.0.0.1", args.port), Handler)

    def log(self, line):
        with self.lock:
            self.logfile.write(line + "\n")
            self.logfile.flush()

    def store(self, session, content):
        """Writes one message, its envelope first, into the directory under a
        name that appears only once the file is complete."""
        with self.lock:
            name = "%06d" % next(self.messages)
        header = "X-Envelope-From: <%s>\r\n" % session.mail_from
        header += "".join("X-Envelope-To: <%s>\r\n" % r for r in session.rcpts)
        header += "X-Auth-User: %s\r\nX-TLS: %s\r\n" % (session.user or "", session.tls or "")
        tmp = os.path.join(self.dir, ".%s.tmp" % name)
        with open(tmp, "wb") as f:
            f.write(header.encode("utf-8") + content)
        os.rename(tmp, os.path.join(self.dir, name + ".eml"))
        return name


def main():
    p = argparse.ArgumentParser(description="STARTTLS-capable SMTP test server")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--cert", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--dir", required=True, help="where each message is written")
    p.add_argument("--log", required=True)
    p.add_argument("--user", default="convene")
    p.add_argument("--password", default="")
    p.add_argument("--require-auth", action="store_true",
                   help="refuse MAIL before a successful AUTH")
    args = p.parse_args()

    def terminate(signum, frame):
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, terminate)
    try:
        server = Server(args)
    except OSError as e:
        print("tls-smtpd: cannot listen on 127.0.0.1:%d: %s" % (args.port, e), file=sys.stderr)
        return 2
    try:
        server.serve_forever()
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
