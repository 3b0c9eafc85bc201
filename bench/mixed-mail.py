#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""mixed-mail.py: writes N registration mails into the new/ folder of a
Maildir, in the styles the fixtures show real clients write (Gmail
multipart/alternative in quoted-printable, Outlook HTML-only windows-1250,
Apple Mail base64 format=flowed, Thunderbird above a quoted invitation, a
French form in iso-8859-1, plain UTF-8), each from its own address with its
own Message-ID. For benchmarks only.

    mixed-mail.py N MAILDIR FIXTURES
"""

import os
import re
import sys

STYLES = ["gmail-alternative-qp.eml", "outlook-html-1250.eml", "apple-flowed-base64.eml",
          "thunderbird-reply-above-invitation.eml", "french-iso-8859-1.eml",
          "register-plain.eml"]


def main():
    n, maildir, fixtures = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    new = os.path.join(maildir, "new")
    for sub in ("tmp", "new", "cur"):
        os.makedirs(os.path.join(maildir, sub), exist_ok=True)
    originals = [open(os.path.join(fixtures, s), "rb").read() for s in STYLES]
    for i in range(n):
        data = originals[i % len(originals)]
        data = re.sub(rb"(?m)^From: .*$",
                      b"From: Attendee %d <attendee%06d@bench.example.org>" % (i, i), data, count=1)
        data = re.sub(rb"(?mi)^Message-ID: .*$", b"Message-ID: <bench-%06d@bench.example.org>" % i,
                      data, count=1)
        with open(os.path.join(new, "%010d.bench%06d.host" % (1700000000 + i, i)), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
