#!/usr/bin/env python3
"""Where a pairing's time goes: the time of every TCP segment between two daemons, per phase.

Run after "mvn -B -q -DskipTests package", as root (it reads the loopback interface through a
raw packet socket, which needs CAP_NET_RAW):

    sudo python3 packaging/bench/phases.py [--pairings N] [--warmup N]

It starts two daemons on 127.0.0.1 as pairing.py does, warms them up with pings and pairings,
then pairs them N times with each suite (first pairings, each device forgetting the other after
each, untimed; with --again, devices that already trust each other) while a second process
records, with the kernel's
timestamps, every segment to or from the listener's port. Each pairing's segments with data
are numbered in order, with the time since the previous one, so a phase that grows shows
which side was working: a server segment's time is the server's, a client segment's the
client's, each plus one loopback hop. The daemons are not traced, so the figures carry none
of a tracer's cost. Only the listener's port is read; nothing is decrypted.
"""

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pairing  # noqa: E402  (the daemons and the control requests of the main benchmark)

ETH_P_ALL = 0x0003
SO_TIMESTAMPNS = 35
ETHERNET_HEADER = 14


def record(port, out):
    """Writes to OUT, as JSON, (time, source port, destination port, payload bytes, TCP flags)
    of every TCP segment on lo to or from PORT, until SIGTERM."""
    sniffer = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    sniffer.bind(("lo", 0))
    sniffer.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    sniffer.settimeout(0.2)
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    segments = []
    with open(out + ".ready", "w"):
        pass
    while not stopping:
        try:
            frame, ancillary, _, address = sniffer.recvmsg(65536, 64)
        except (socket.timeout, InterruptedError):
            continue
        if address[2] == socket.PACKET_OUTGOING:
            continue  # lo shows each segment twice: going out and coming in
        when = None
        for _, kind, data in ancillary:
            if kind == SO_TIMESTAMPNS:
                seconds, nanoseconds = struct.unpack("qq", data[:16])
                when = seconds + nanoseconds / 1e9
        segment = tcp(frame)
        if when is not None and segment is not None and port in segment[:2]:
            segments.append((when,) + segment)
    with open(out, "w") as f:
        json.dump(segments, f)


def tcp(frame):
    """(source port, destination port, payload bytes, flags) of a TCP/IP frame, or None."""
    ip = ETHERNET_HEADER
    ethertype = struct.unpack("!H", frame[12:14])[0]
    if ethertype == 0x0800:
        header = (frame[ip] & 15) * 4
        protocol, length = frame[ip + 9], struct.unpack("!H", frame[ip + 2:ip + 4])[0] - header
    elif ethertype == 0x86DD:
        header = 40
        protocol, length = frame[ip + 6], struct.unpack("!H", frame[ip + 4:ip + 6])[0]
    else:
        return None
    if protocol != 6:
        return None
    start = ip + header
    source, destination = struct.unpack("!HH", frame[start:start + 4])
    offset = (frame[start + 12] >> 4) * 4
    return source, destination, length - offset, frame[start + 13]


def phases(pairings, segments, port):
    """Per suite, each phase's times: from the control request to the SYN, between segments
    with data (named by their order, sender and size), and from the last to the answer."""
    connections = {}
    for when, source, destination, length, _ in segments:
        client = source if destination == port else destination
        sender = "client" if destination == port else "server"
        connections.setdefault(client, []).append((when, sender, length))
    result = {}
    for suite, start, end in pairings:
        matching = [c for c in connections.values() if start <= c[0][0] <= end]
        if len(matching) != 1:
            continue
        table = result.setdefault(suite, {})
        previous = matching[0][0][0]
        table.setdefault("control request to SYN", []).append(previous - start)
        data = [(when, sender, length) for when, sender, length in matching[0] if length > 0]
        for index, (when, sender, length) in enumerate(data):
            # A flight that carries certificates or a key share varies by a few bytes.
            size = "%d bytes" % length if length < 500 else "%d00+ bytes" % (length // 100)
            table.setdefault("%d %s, %s" % (index, sender, size), []).append(when - previous)
            previous = when
        table.setdefault("last segment to the answer", []).append(end - previous)
        table.setdefault("whole pairing", []).append(end - start)
    return result


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "--record":
        record(int(sys.argv[2]), sys.argv[3])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pairings", type=int, default=40, help="pairings of each suite")
    parser.add_argument("--warmup", type=int, default=300, help="pings first, with a pairing "
                        "of each suite every fifth")
    parser.add_argument("--again", action="store_true", help="pair devices that already trust "
                        "each other, instead of first pairings")
    options = parser.parse_args()
    work = tempfile.mkdtemp(prefix="paird-phases.")
    daemons = []
    try:
        a, b = (pairing.make_cert(work, n) for n in ("a", "b"))
        conf = os.path.join(work, "paird.conf")
        with open(conf, "w") as f:
            f.write("rate_limit_per_minute = 6000\n")
        daemon_a = pairing.Paird(work, "a", a[0], a[1], conf)
        daemons.append(daemon_a)
        daemon_b = pairing.Paird(work, "b", b[0], b[1], conf)
        daemons.append(daemon_b)
        target = "127.0.0.1:" + daemon_a.port

        fingerprint_b = pairing.call(daemon_b.socket, "status")["fingerprint"]

        def pair(suite, forget=not options.again):
            key = pairing.call(daemon_a.socket, "new-key", {"suite": suite})["key"]
            start = time.time()  # the kernel's timestamps are wall-clock time too
            paired = pairing.call(daemon_b.socket, "pair", {"host": target, "key": key})
            end = time.time()
            if forget:
                # A first pairing, as pairing.py times it: each device forgets the other after.
                pairing.call(daemon_b.socket, "remove",
                             {"fingerprint": paired["peer"]["fingerprint"]})
                pairing.call(daemon_a.socket, "remove", {"fingerprint": fingerprint_b})
            return suite, start, end

        pair("hmac", forget=False)
        for i in range(options.warmup):
            pairing.call(daemon_b.socket, "ping", {"host": target})
            if i % 5 == 0:
                pair("spake2")
                pair("hmac", forget=False)  # the pings need the devices to trust each other
        if not options.again:
            pair("hmac")
        out = os.path.join(work, "segments.json")
        recorder = subprocess.Popen([sys.executable, __file__, "--record", daemon_a.port, out])
        deadline = time.monotonic() + 30
        while not os.path.exists(out + ".ready"):
            if recorder.poll() is not None or time.monotonic() > deadline:
                sys.exit("cannot read the loopback interface (run as root)")
            time.sleep(0.05)
        done = [pair(suite) for _ in range(options.pairings) for suite in ("hmac", "spake2")]
        time.sleep(0.3)  # the last segments
        recorder.send_signal(signal.SIGTERM)
        recorder.wait(30)
        with open(out) as f:
            segments = json.load(f)
        print("load average %.2f; medians of %d pairings of each suite after %d pings"
              % (os.getloadavg()[0], options.pairings, options.warmup))
        for suite, table in sorted(phases(done, segments, int(daemon_a.port)).items()):
            print(suite)
            for name, times in table.items():
                print("  %-32s %7.2f ms  (%d)" % (name, statistics.median(times) * 1000,
                                                  len(times)))
    finally:
        for daemon in daemons:
            daemon.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
