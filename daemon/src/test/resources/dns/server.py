#!/usr/bin/python3
"""A DNS server whose answers a test controls, for SlowResolverIT, and a TCP port that counts.

  server.py ADDRESS

Serves DNS over UDP on ADDRESS port 53, and listens for TCP connections on ADDRESS at a port of
the kernel's choice, closing each as soon as it is accepted. It is told what to do on stdin, one
command a line, and says what happened on stdout, one JSON object a line:

  silent NAME          queries for NAME are never answered
  answer NAME ADDRESS  an A query for NAME is answered ADDRESS at once; any other type gets no data
  hold NAME ADDRESS    queries for NAME wait until "release NAME", which answers them as "answer"
  release NAME         answers the held queries for NAME, and later ones at once

  {"event": "ready", "tcp_port": P}          once both sockets are bound
  {"event": "done", "n": N, "count": C}      once command number N (from 1) is in force; for a
                                             release, C is how many held queries it answered
  {"event": "query", "name": S, "type": T}   for each query, T being "A", "AAAA" or a number
  {"event": "connection"}                    for each TCP connection accepted

Any other name is answered NXDOMAIN at once. Names compare without case and without a final
dot. Only the Python standard library is used.
"""

import json
import select
import socket
import struct
import sys
import threading

A, AAAA = 1, 28
TYPES = {A: "A", AAAA: "AAAA"}

lock = threading.Lock()
rules = {}  # name -> ("silent",) | ("answer", address) | ("hold", address)
held = {}  # name -> [(query, client)]


def say(**event):
    with lock:
        sys.stdout.write(json.dumps(event) + "\n")
        sys.stdout.flush()


def question(query):
    """The name, type and end offset of the query's one question."""
    labels, offset = [], 12
    while query[offset]:
        length = query[offset]
        labels.append(query[offset + 1 : offset + 1 + length].decode("ascii", "replace"))
        offset += 1 + length
    qtype = struct.unpack("!H", query[offset + 1 : offset + 3])[0]
    return ".".join(labels).lower(), qtype, offset + 5


def response(query, rcode, address=None):
    """The answer to query: its id and question, rcode, and an A record if address is given."""
    _, qtype, end = question(query)
    flags = 0x8180 | (struct.unpack("!H", query[2:4])[0] & 0x0100) | rcode
    records = b""
    if address is not None and qtype == A:
        records = struct.pack("!HHHIH", 0xC00C, A, 1, 60, 4) + socket.inet_aton(address)
    count = 1 if records else 0
    return query[:2] + struct.pack("!HHHHH", flags, 1, count, 0, 0) + query[12:end] + records


def commands(udp):
    n = 0
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        n += 1
        name = words[1].lower().rstrip(".")
        answered = []
        with lock:
            if words[0] == "silent":
                rules[name] = ("silent",)
            elif words[0] in ("answer", "hold"):
                rules[name] = (words[0], words[2])
            elif words[0] == "release":
                address = rules[name][1]
                rules[name] = ("answer", address)
                answered = held.pop(name, [])
            else:
                raise SystemExit("unknown command: " + line.strip())
        for query, client in answered:
            udp.sendto(response(query, 0, address), client)
        say(event="done", n=n, count=len(answered))


def main():
    address = sys.argv[1]
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind((address, 53))
    tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    tcp.bind((address, 0))
    tcp.listen(16)
    threading.Thread(target=commands, args=(udp,), daemon=True).start()
    say(event="ready", tcp_port=tcp.getsockname()[1])
    while True:
        readable, _, _ = select.select([udp, tcp], [], [])
        if tcp in readable:
            connection, _ = tcp.accept()
            connection.close()
            say(event="connection")
        if udp in readable:
            query, client = udp.recvfrom(4096)
            try:
                name, qtype, _ = question(query)
            except (IndexError, struct.error):
                continue
            say(event="query", name=name, type=TYPES.get(qtype, qtype))
            with lock:
                rule = rules.get(name)
                if rule is not None and rule[0] == "hold":
                    held.setdefault(name, []).append((query, client))
                    continue
            if rule is None:
                udp.sendto(response(query, 3), client)
            elif rule[0] == "answer":
                udp.sendto(response(query, 0, rule[1]), client)


if __name__ == "__main__":
    main()
