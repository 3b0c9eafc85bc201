#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
# chunking-sink.py: an SMTP sink that offers CHUNKING (RFC 3030) or not, for
# bench/send-bench.sh. Postfix's smtp-sink (3.7) never offers CHUNKING, and
# the question is what libESMTP's BDAT costs against the same server with
# DATA. Everything is accepted and thrown away; the count of messages is
# written to the file given with --count when the sink is stopped.
#
#   python3 bench/chunking-sink.py [--chunking] [--count FILE] HOST:PORT
import argparse
import asyncio
import signal

count = 0


async def session(reader, writer, chunking):
    global count

    def reply(text):
        writer.write(text.encode() + b"\r\n")

    reply("220 chunking-sink ESMTP")
    await writer.drain()
    while True:
        line = await reader.readline()
        if not line:
            break
        words = line.decode("ascii", "replace").strip().split()
        verb = words[0].upper() if words else ""
        if verb in ("EHLO", "HELO"):
            ext = ["PIPELINING", "8BITMIME", "ENHANCEDSTATUSCODES", "SIZE 104857600"]
            if chunking:
                ext.append("CHUNKING")
            for e in ["chunking-sink"] + ext[:-1]:
                reply("250-" + e)
            reply("250 " + ext[-1])
        elif verb == "MAIL":
            reply("250 2.1.0 Ok")
        elif verb == "RCPT":
            reply("250 2.1.5 Ok")
        elif verb == "DATA":
            reply("354 End data with <CR><LF>.<CR><LF>")
            await writer.drain()
            while True:
                data = await reader.readline()
                if not data or data == b".\r\n":
                    break
            count += 1
            reply("250 2.0.0 Ok: queued")
        elif verb == "BDAT" and chunking and len(words) >= 2:
            await reader.readexactly(int(words[1]))
            if len(words) >= 3 and words[2].upper() == "LAST":
                count += 1
                reply("250 2.0.0 Ok: queued")
            else:
                reply("250 2.0.0 Ok: %s octets" % words[1])
        elif verb in ("RSET", "NOOP"):
            reply("250 2.0.0 Ok")
        elif verb == "QUIT":
            reply("221 2.0.0 Bye")
            await writer.drain()
            break
        else:
            reply("502 5.5.2 Error: command not recognized")
        # Answers to pipelined commands go out together.
        if not reader._buffer:
            await writer.drain()
    writer.close()


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--chunking", action="store_true")
    parser.add_argument("--count")
    parser.add_argument("address")
    args = parser.parse_args()
    host, port = args.address.rsplit(":", 1)
    server = await asyncio.start_server(
        lambda r, w: session(r, w, args.chunking), host, int(port))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    async with server:
        await stop.wait()
    if args.count:
        with open(args.count, "w") as f:
            f.write("%d\n" % count)


asyncio.run(main())
