#!/usr/bin/env python3
"""gen_mqtt.py - writes specs/rules/mqtt-3.1.1.yaml and mqtt-5.0.yaml from the statement lists of
OASIS MQTT 3.1.1 and 5.0 (Appendix B; the reference TSVs `id section level summary`) plus the
classification below: who each statement applies to, which ones no wire observer can test, and
the summaries we reword. It guarantees completeness (every reference ID, exact row counts); it
does not judge levels or sections, which come from the reference as given. Python 3 stdlib only.

Usage: gen_mqtt.py [--reference DIR] [--check]
  DIR defaults to $PCS_REFERENCE_DIR, else <repo>/../shared/reference.
  --check compares the committed YAML files with what would be written and exits 1 on a difference.
"""

import argparse
import csv
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

# ---------------------------------------------------------------------------------------------
# applies_to: a first pass from the wording of the summary, then explicit overrides.
# The heuristic reads the acting party: "X: server does Y", "Server does Y", "Client and server
# ...", then which of server/client the summary names, then packets only one side sends
# (CONNACK, SUBACK, ...), CONNECT fields only the client writes, and retained/subscription
# handling (a server matter). Anything else is "both" (either sender or receiver).
# ---------------------------------------------------------------------------------------------

ACTOR = r"(?:a |an |the )?(server|client)s?\b"
SERVER_PACKETS = re.compile(r"\b(CONNACK|SUBACK|UNSUBACK|PINGRESP)\b")
CLIENT_FIELDS = re.compile(r"\b(CONNECT payload|(?:UN)?SUBSCRIBE topic filters?|Will Flag|"
                           r"User Name Flag|Password Flag|ClientI[Dd]|Will Topic|User Name)\b",
                           re.I)
SERVER_TOPICS = re.compile(r"\b(retained|retain handling|subscriptions?|subscribers?)\b", re.I)


def guess_applies_to(summary):
    s = summary
    if re.match(r"(?:client|server)s? and (?:client|server)", s, re.I):
        return "both"
    m = re.match(r"[^:;]*: " + ACTOR, s, re.I) or re.match(ACTOR, s, re.I)
    if m:
        return m.group(1).lower()
    bare = re.sub(r"\b(?:client|server)'s\b", "", s, flags=re.I)
    has_s = re.search(r"\bservers?\b", bare, re.I) is not None
    has_c = re.search(r"\bclients?\b", bare, re.I) is not None
    if has_s != has_c:
        return "server" if has_s else "client"
    if has_s and has_c:
        return "both"
    if SERVER_PACKETS.search(s):
        return "server"
    if CLIENT_FIELDS.search(s):
        return "client"
    if SERVER_TOPICS.search(s):
        return "server"
    return "both"


# Every case where the heuristic above is wrong (all 392 statements were reviewed against their
# meaning). The script fails if an override agrees with the heuristic, so this stays minimal.
# Fixed-header flag rules name the receiving server but bind whoever sends the packet too; an
# "at least one filter" rule binds the client's packet and the server's reaction; the
# CleanSession / Clean Start rules bind both ends.
APPLIES_TO_OVERRIDES = {
    "3.1.1": {
        "MQTT-3.1.2-4": "both",     # both sides keep the session after disconnecting
        "MQTT-3.2.2-3": "server",   # CONNACK contents
        "MQTT-3.6.1-1": "both",     # PUBREL: both send it, the server checks it
        "MQTT-3.8.1-1": "both",     # client sets the flags, server rejects others
        "MQTT-3.10.1-1": "both",    # same for UNSUBSCRIBE
    },
    "5.0": {
        "MQTT-3.1.2-4": "both",     # client and server discard the old session
        "MQTT-3.2.2-3": "server",   # CONNACK contents
        "MQTT-3.6.1-1": "both",
        "MQTT-3.8.1-1": "both",
        "MQTT-3.8.3-2": "both",     # client's payload; the server treats an empty one as an error
        "MQTT-3.8.3-4": "both",     # client must not, server treats it as a Protocol Error
        "MQTT-3.10.1-1": "both",
        "MQTT-4.8.2-1": "both",     # filter syntax: client writes it, server validates it
        "MQTT-4.12.0-5": "both",    # AUTH goes both ways
        "MQTT-4.13.2-1": "both",    # CONNACK or DISCONNECT, either side closes
    },
}

# Summaries we reword (tighter, or naming who acts). Others are the reference paraphrase.
SUMMARY_OVERRIDES = {
    "3.1.1": {
        "MQTT-2.3.1-2": "Client gives every new SUBSCRIBE, UNSUBSCRIBE and QoS>0 PUBLISH a currently "
                        "unused Packet Identifier.",
        "MQTT-3.1.2-5": "CleanSession=0 client away: server stores matching QoS 1/2 messages in its session.",
        "MQTT-3.1.2.7": "Server does not delete retained messages when a session ends; they are not session state.",
        "MQTT-3.1.2-12": "Will Flag=0: server publishes no Will Message when the connection ends.",
        "MQTT-3.1.4-2": "Server disconnects an existing client when a new CONNECT reuses its ClientId.",
        "MQTT-3.1.4-5": "Server rejecting a CONNECT processes no further data from that client.",
        "MQTT-3.3.1-7": "Retained QoS 0 PUBLISH: server discards the topic's earlier retained message "
                        "(should keep the new one, may drop it later).",
        "MQTT-3.8.4-6": "Server delivers at the lower of the published QoS and the granted maximum QoS.",
        "MQTT-4.6.0-1": "Client resends QoS 1/2 PUBLISH packets in their original sending order.",
        "MQTT-4.7.2-1": "Server never matches filters starting with '#' or '+' to topic names starting with '$'.",
        "MQTT-7.0.0-1": "A server that also connects out to other servers (a bridge) conforms as both "
                        "client and server.",
    },
    "5.0": {
        "MQTT-3.1.2-8": "Server publishes the Will after the Will Delay or at session end, unless a normal "
                        "DISCONNECT or a reconnection cancels it.",
        "MQTT-3.1.3-7": "A server assigning a ClientID processes CONNECT with it and returns it as "
                        "Assigned Client Identifier in CONNACK.",
        "MQTT-3.1.4-6": "Server rejecting CONNECT processes no further client data except AUTH packets.",
        "MQTT-3.2.2-16": "Zero-length ClientID: server's CONNACK carries an Assigned Client Identifier "
                         "used by no other session.",
        "MQTT-3.3.1-13": "Retain As Published=1: server copies the publisher's RETAIN flag onto forwarded messages.",
        "MQTT-3.8.3-3": "No Local=1: server never sends messages back to a connection with the publisher's ClientID.",
        "MQTT-3.8.4-8": "Server delivers at the lower of the published QoS and the granted maximum QoS.",
        "MQTT-3.10.4-2": "UNSUBSCRIBE: server stops queuing new matching messages for the client.",
        "MQTT-4.7.2-1": "Server never matches filters starting with '#' or '+' to Topic Names starting with '$'.",
        "MQTT-4.8.2-4": "Server completes an interrupted QoS 2 shared delivery to the same client when it reconnects.",
        "MQTT-4.8.2-5": "Interrupted QoS 2 shared delivery whose client's session ends first: server "
                        "sends it to no other subscriber.",
    },
}

# Statements no observer of the wire can test. Kept deliberately short: storage and session
# rules all have a later observable effect (a resend, Session Present, a retained message).
UNTESTABLE = {
    "3.1.1": {
        "MQTT-7.0.0-1": "Conformance clause for bridges: a bridge is tested through the client and "
                        "server statements themselves; it names no behaviour of its own.",
        "MQTT-7.0.0-2": "Conformance clause about depending on extensions; no single exchange can "
                        "show that an implementation needs none.",
        "MQTT-4.7.3-3": "The two-byte length prefix cannot encode a longer topic, so no packet on "
                        "the wire can break it.",
        "MQTT-4.8.0-2": "A transient error inside the receiver cannot be caused or seen from the "
                        "wire; only its consequence (the close) is, and MQTT-4.8.0-1 covers that.",
        "MQTT-7.1.1-1": "A property of the transport the server offers: every exchange over TCP "
                        "relies on it, and no frame can show it missing.",
    },
    "5.0": {
        "MQTT-4.7.3-3": "The two-byte length prefix cannot encode a longer topic, so no packet on "
                        "the wire can break it.",
        "MQTT-4.2-1": "A property of the transport: every exchange over TCP relies on it, and no "
                      "frame can show it missing.",
    },
}

# Other spellings of an ID (main ID -> aliases).
ALIASES = {
    "3.1.1": {},
    "5.0": {"MQTT-4.2-1": ["MQTT-4.2.0-1"]},   # the body writes 4.2-1, Appendix B 4.2.0-1
}

CATALOGUES = [
    # version, reference file, expected rows, source
    ("3.1.1", "mqtt-3.1.1-statements.tsv", 141,
     "OASIS MQTT Version 3.1.1 (OASIS Standard, 29 October 2014), Appendix B"),
    ("5.0", "mqtt-5.0-statements.tsv", 251,
     "OASIS MQTT Version 5.0 (OASIS Standard, 07 March 2019), Appendix B"),
]

LEVELS = ("MUST", "MUST NOT", "SHOULD", "SHOULD NOT", "MAY")


def fail(msg):
    sys.exit("gen_mqtt.py: " + msg)


def quote(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def read_reference(path, expected):
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    if len(rows) != expected:
        fail("%s: %d rows, expected %d" % (path, len(rows), expected))
    seen = set()
    for r in rows:
        for k in ("id", "section", "level", "summary"):
            if not (r.get(k) or "").strip():
                fail("%s: row %r has no %s" % (path, r.get("id"), k))
        if r["id"] in seen:
            fail("%s: duplicate id %s" % (path, r["id"]))
        if r["level"] not in LEVELS:
            fail("%s: %s has level %r" % (path, r["id"], r["level"]))
        seen.add(r["id"])
    return rows


def render(version, source, rows):
    ids = {r["id"] for r in rows}
    for table in (APPLIES_TO_OVERRIDES, SUMMARY_OVERRIDES, UNTESTABLE, ALIASES):
        for k in table[version]:
            if k not in ids:
                fail("%s: override for unknown id %s" % (version, k))
    out = ["# generated by specs/rules/gen_mqtt.py from the OASIS statement list; "
           "edit the script, not this file",
           "pcs_rules: 1",
           "protocol: mqtt",
           "version: %s" % quote(version),
           "source: %s" % source,
           "rules:"]
    for r in rows:
        rid = r["id"]
        summary = SUMMARY_OVERRIDES[version].get(rid, r["summary"]).strip()
        guess = guess_applies_to(summary)
        applies = APPLIES_TO_OVERRIDES[version].get(rid, guess)
        if rid in APPLIES_TO_OVERRIDES[version] and applies == guess:
            fail("%s: override for %s agrees with the heuristic; drop it" % (version, rid))
        if applies not in ("server", "client", "both"):
            fail("%s: %s applies_to %r" % (version, rid, applies))
        out.append("  - id: %s" % rid)
        if rid in ALIASES[version]:
            out.append("    aliases: [%s]" % ", ".join(ALIASES[version][rid]))
        out.append("    section: %s" % quote(r["section"]))
        out.append("    level: %s" % r["level"])
        out.append("    applies_to: %s" % applies)
        out.append("    summary: %s" % quote(summary))
        if rid in UNTESTABLE[version]:
            out.append("    testable: false")
            out.append("    why: %s" % quote(UNTESTABLE[version][rid]))
    text = "\n".join(out) + "\n"
    for rid in ids:   # completeness: every reference ID is written exactly once
        if text.count("  - id: %s\n" % rid) != 1:
            fail("%s: %s not written exactly once" % (version, rid))
    return text


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default_ref = os.environ.get("PCS_REFERENCE_DIR") or os.path.join(
        HERE, "..", "..", "..", "shared", "reference")
    ap.add_argument("--reference", default=default_ref)
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()
    status = 0
    for version, tsv, expected, source in CATALOGUES:
        rows = read_reference(os.path.join(args.reference, tsv), expected)
        text = render(version, source, rows)
        path = os.path.join(HERE, "mqtt-%s.yaml" % version)
        if args.check:
            try:
                with open(path, encoding="utf-8") as f:
                    same = f.read() == text
            except OSError:
                same = False
            if not same:
                print("%s is out of date; run gen_mqtt.py" % path, file=sys.stderr)
                status = 1
        else:
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
            counts = {}
            for line in text.splitlines():
                if line.startswith("    applies_to: "):
                    k = line.split(": ", 1)[1]
                    counts[k] = counts.get(k, 0) + 1
            print("%s: %d rules, %s, %d untestable" % (
                os.path.basename(path), len(rows),
                " ".join("%s %d" % (k, counts.get(k, 0)) for k in ("server", "client", "both")),
                len(UNTESTABLE[version])))
    return status


if __name__ == "__main__":
    sys.exit(main())
