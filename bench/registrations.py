#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""registrations.py: writes N registration mails, as attendees of the CAMPUS
kick-off would send them, into the new/ folder of a Maildir, the way an MTA
or fetchmail delivers them. For benchmarks only: the same N gives the same
mails, and it never touches anything but that folder.

    registrations.py N MAILDIR
"""

import os
import sys

PEOPLE = [
    ("RO", "Ștefan Ionescu", "Universitatea Politehnica din București"),
    ("RO", "Ana Popescu", "INATECH SRL"),
    ("FI", "Aino Jääskeläinen", "Tampere University of Applied Sciences"),
    ("RS", "Đorđe Petrović", "Univerzitet u Novom Sadu"),
    ("HR", "Ivana Kovačević", "Sveučilište u Zagrebu"),
    ("IT", "Giulia Bianchi", "Università di Bologna"),
    ("HU", "Kovács Zoltán", "Szegedi Tudományegyetem"),
    ("FR", "Élodie Le Goff", "Bretagne Next"),
]
ROLES = ["Project manager", "Researcher", "Head of the cybersecurity laboratory",
         "Lecturer", "Innovation officer"]
DIETS = ["", "", "vegetarian", "no pork", "vegan, no nuts"]
# kickoff-meeting always; then one Tuesday visit and one or two Wednesday
# sessions, so that itineraries carry three to five activities.
TUESDAY = ["visit-le-poool", "visit-orange-cyberdefense"]
WEDNESDAY = [["local-ecosystem-talks"], ["next-steps-workshop"],
             ["local-ecosystem-talks", "next-steps-workshop"]]


def mail(i):
    country, name, organisation = PEOPLE[i % len(PEOPLE)]
    local = "attendee%05d" % i
    french = i % 4 == 0
    activities = ["kickoff-meeting", TUESDAY[i % 2]] + WEDNESDAY[i % 3]
    if country == "RO" and i % 3 == 0:
        activities[-1] = "study-visit-sekoia"
    lines = [
        "From: %s <%s@example.%s>" % (name, local, country.lower()),
        "To: CAMPUS kick-off <register@campus.example.org>",
        "Subject: %s" % ("Inscription" if french else "Registration"),
        "Date: Mon, 01 Sep 2025 09:%02d:%02d +0200" % (i // 60 % 60, i % 60),
        "Message-ID: <bench-%05d@mail.example.%s>" % (i, country.lower()),
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=UTF-8",
        "Content-Transfer-Encoding: 8bit",
        "",
        "%s: %s %d" % ("Nom" if french else "Name", name, i),
        "%s: %s" % ("Organisme" if french else "Organisation", organisation),
        "%s: %s" % ("Pays" if french else "Country", country),
        "%s: %s" % ("Fonction" if french else "Role", ROLES[i % len(ROLES)]),
        "%s: %s" % ("Jours" if french else "Days", "tous" if french else "all"),
        "%s: %s" % ("Activités" if french else "Activities", ", ".join(activities)),
    ]
    if DIETS[i % len(DIETS)]:
        lines.append("%s: %s" % ("Régime" if french else "Diet", DIETS[i % len(DIETS)]))
    lines += [
        "%s: Sunday 14 September, TGV from Paris arriving 18:05" % (
            "Arrivée" if french else "Arrival"),
        "%s: Wednesday 17 September, after the workshop" % (
            "Départ" if french else "Departure"),
        "",
        "Best regards," if not french else "Cordialement,",
        name,
        "",
    ]
    return "\n".join(lines).encode("utf-8")


def main():
    if len(sys.argv) != 3:
        print("usage: registrations.py N MAILDIR", file=sys.stderr)
        return 2
    n, maildir = int(sys.argv[1]), sys.argv[2]
    for sub in ("tmp", "new", "cur"):
        os.makedirs(os.path.join(maildir, sub), exist_ok=True)
    for i in range(n):
        name = "1756710000.bench%05d.localhost" % i
        tmp = os.path.join(maildir, "tmp", name)
        with open(tmp, "wb") as f:
            f.write(mail(i))
        os.rename(tmp, os.path.join(maildir, "new", name))
    return 0


if __name__ == "__main__":
    sys.exit(main())
