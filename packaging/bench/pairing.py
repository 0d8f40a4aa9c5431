#!/usr/bin/env python3
"""paird's whole-program figures beside their floors, measured in the same run.

Run through packaging/bench-pairing.sh, after "mvn -B -q -DskipTests package". Every figure is a
median over real processes on loopback; every floor is measured here, now, on the same machine:

  paird start to READY=1      against a JVM that prints one line and exits (java -version)
  ping through two daemons    against OpenSSL: a TLS 1.3 mutual-authentication handshake with the
                              same certificate type plus one round trip (s_server -rev)
  pairing through two daemons against that handshake + two atomic durable writes (the fsync
                              probe: write, fsync, rename, fsync the directory) + both sides of
                              SPAKE2 with paird's own code under paird's JVM flags; a first
                              pairing, each device forgetting the other after it (untimed), and
                              for comparison a pairing again of devices that trust each other
  idle RSS                    against the target only (64 MiB)

The daemons are driven over their control sockets by this script, so no pairctl start is in the
pairing, ping and status figures; pairctl's own start is measured by bench-pairctl.sh. After the
warm-up, the warm figures (ping, pairings) and the floors they are held against are taken by
turns in --blocks blocks, so that a ratio compares a figure and a floor taken in the same minutes.
"""

import argparse
import json
import os
import shutil
import signal
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PAIRD = os.path.join(REPO, "packaging", "bin", "paird")
LIB = os.path.join(REPO, "daemon", "target", "lib")


def median(values):
    return statistics.median(values)


def make_cert(directory, name):
    cert, key = os.path.join(directory, name + ".crt"), os.path.join(directory, name + ".key")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
         "-nodes", "-days", "3650", "-subj", "/CN=bench-" + name, "-keyout", key, "-out", cert],
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return cert, key


class Paird:
    """One paird with its own state directory and control socket, on 127.0.0.1 port 0."""

    def __init__(self, work, name, cert, key, conf):
        self.dir = os.path.join(work, name)
        os.makedirs(self.dir, exist_ok=True)
        self.socket = os.path.join(self.dir, "control.sock")
        notify_path = os.path.join(self.dir, "notify")
        notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        notify.bind(notify_path)
        notify.settimeout(60)
        env = dict(os.environ, NOTIFY_SOCKET=notify_path)
        env.pop("JOURNAL_STREAM", None)
        self.log = open(os.path.join(self.dir, "paird.log"), "w")
        start = time.perf_counter()
        self.process = subprocess.Popen(
            [PAIRD, "--config", conf, "--state-dir", os.path.join(self.dir, "state"),
             "--socket", self.socket, "--listen", "127.0.0.1:0", "--cert", cert, "--key", key],
            env=env, stdout=subprocess.DEVNULL, stderr=self.log)
        try:
            while b"READY=1" not in notify.recv(4096):
                pass
        except socket.timeout:
            self.stop()
            sys.exit("paird %s did not become ready in 60 s; see %s" % (name, self.log.name))
        finally:
            notify.close()
        self.ready_ms = (time.perf_counter() - start) * 1000
        self.port = call(self.socket, "status")["listen"].rsplit(":", 1)[1]

    def rss_mib(self):
        with open("/proc/%d/status" % self.process.pid) as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return float("nan")

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(30)
        self.log.close()


def read_line(sock, chunk_size):
    """Bytes from sock up to and including a newline, or up to the end of the stream."""
    data = b""
    while not data.endswith(b"\n"):
        chunk = sock.recv(chunk_size)
        if not chunk:
            break
        data += chunk
    return data


def call(path, command, args=None):
    """One control request (docs/CONTROL.md): a JSON line out, a JSON line back."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(60)
        s.connect(path)
        request = {"v": 1, "command": command, "args": args or {}, "id": 1}
        s.sendall((json.dumps(request) + "\n").encode())
        reply = read_line(s, 65536)
    answer = json.loads(reply)
    if not answer.get("ok"):
        sys.exit("%s failed: %s" % (command, answer.get("error")))
    return answer["result"]


def timed(function, rounds, warmup=3):
    for _ in range(warmup):
        function()
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        function()
        times.append((time.perf_counter() - start) * 1000)
    return times


def fsync_probe(directory, rounds):
    """An atomic durable replacement of a 4 KiB file, as the trusted list is written."""
    target, temporary = os.path.join(directory, "probe"), os.path.join(directory, ".probe.tmp")
    data = os.urandom(4096)

    def write():
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.rename(temporary, target)
        dfd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)

    return timed(write, rounds)


class OpenSslFloor:
    """A TLS 1.3 handshake with client certificates, and one round trip, both sides OpenSSL:
    s_server runs for the whole benchmark, so that the floor can be taken by turns with the
    figures held against it."""

    def __init__(self, server, client):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.s_server = subprocess.Popen(
            ["openssl", "s_server", "-accept", "127.0.0.1:%d" % self.port, "-cert", server[0],
             "-key", server[1], "-Verify", "1", "-verify_return_error", "-CAfile", client[0],
             "-tls1_3", "-rev", "-quiet"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        self.context.minimum_version = ssl.TLSVersion.TLSv1_3
        self.context.check_hostname = False
        self.context.load_verify_locations(server[0])
        self.context.load_cert_chain(client[0], client[1])
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    sys.exit("openssl s_server did not start")
                time.sleep(0.05)

    def handshake(self):
        with socket.create_connection(("127.0.0.1", self.port), timeout=10) as raw:
            raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self.context.wrap_socket(raw) as tls:
                tls.sendall(b"ping\n")
                read_line(tls, 64)

    def times(self, rounds):
        return timed(self.handshake, rounds, warmup=3)

    def close(self):
        self.s_server.kill()
        self.s_server.wait()


class Spake2Floor:
    """Both sides of one SPAKE2 run, paird's code under paird's JVM flags: one JVM, warmed up
    once, asked for the median of N runs whenever the benchmark takes this floor."""

    def __init__(self, work, cert_a, cert_b):
        classes = os.path.join(work, "probe-classes")
        source = os.path.join(REPO, "packaging", "bench", "Spake2Probe.java")
        classpath = os.path.join(LIB, "*")
        subprocess.run(["javac", "-cp", classpath, "-d", classes, source], check=True)
        # The compile thresholds packaging/bin/paird gives paird's, Bouncy Castle's and the
        # others' classes, so that the probe runs the arithmetic as the daemon would.
        sooner = ["-XX:CompileCommand=quiet"] + [
            "-XX:CompileCommand=CompileThresholdScaling,%s/*.*,0.1" % package
            for package in ("io/netty", "dev/paird", "org/bouncycastle", "com/fasterxml")]
        self.process = subprocess.Popen(
            ["java", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"] + sooner + ["-cp",
             classpath + os.pathsep + classes, "Spake2Probe", cert_a, cert_b, "-"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def median_ms(self, rounds):
        self.process.stdin.write("%d\n" % rounds)
        self.process.stdin.flush()
        return int(self.process.stdout.readline().strip()) / 1000

    def close(self):
        self.process.stdin.close()
        self.process.wait(30)


def jvm_floor(rounds):
    def run():
        subprocess.run(["java", "-Xshare:auto", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
                        "-version"], check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
    return timed(run, rounds, warmup=1)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=50, help="runs of each timed step")
    parser.add_argument("--starts", type=int, default=7, help="paird starts to time")
    parser.add_argument("--warmup", type=int, default=300,
                        help="pings before the warm figures are taken")
    parser.add_argument("--blocks", type=int, default=5,
                        help="blocks the warm figures and their floors are taken in, by turns")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    options = parser.parse_args()
    if not os.path.isdir(LIB):
        sys.exit("no %s: build first with: mvn -B -q -DskipTests package" % LIB)

    work = tempfile.mkdtemp(prefix="paird-bench.")
    daemons = []
    try:
        a, b, stranger = (make_cert(work, n) for n in ("a", "b", "c"))
        conf = os.path.join(work, "paird.conf")
        with open(conf, "w") as f:
            # Every setting at its default but the per-source rate limit, which would otherwise
            # refuse the benchmark's own back-to-back connections after 30.
            f.write("rate_limit_per_minute = 6000\n")

        figures = {}
        probe_dir = os.path.join(work, "fsync")
        os.mkdir(probe_dir)
        figures["jvm_version_ms"] = median(jvm_floor(max(5, options.starts)))

        starts, rss = [], []
        for i in range(options.starts):
            device = Paird(work, "start%d" % i, stranger[0], stranger[1], conf)
            starts.append(device.ready_ms)
            if i == options.starts - 1:
                time.sleep(5)
                rss.append(device.rss_mib())
            device.stop()
        figures["paird_ready_ms"] = median(starts)
        figures["paird_idle_rss_mib"] = rss[0]

        daemon_a = Paird(work, "a", a[0], a[1], conf)
        daemons.append(daemon_a)
        daemon_b = Paird(work, "b", b[0], b[1], conf)
        daemons.append(daemon_b)
        target = "127.0.0.1:" + daemon_a.port

        fingerprint_b = call(daemon_b.socket, "status")["fingerprint"]

        def pair(suite, again=False):
            """A first pairing: each device then forgets the other (untimed), so that every timed
            pairing adds a peer and writes every output, as a new device's does. With AGAIN, the
            devices already trust each other, and re-pairing writes only the journal line."""
            key = call(daemon_a.socket, "new-key", {"suite": suite})["key"]
            start = time.perf_counter()
            paired = call(daemon_b.socket, "pair", {"host": target, "key": key})
            elapsed = (time.perf_counter() - start) * 1000
            if not again:
                call(daemon_b.socket, "remove", {"fingerprint": paired["peer"]["fingerprint"]})
                call(daemon_a.socket, "remove", {"fingerprint": fingerprint_b})
            return elapsed

        def ping():
            call(daemon_b.socket, "ping", {"host": target})

        # The first connections run in the JVM's interpreter; a daemon that has served a few
        # hundred runs compiled code. Both are shown.
        key = call(daemon_a.socket, "new-key", {"suite": "hmac"})["key"]
        call(daemon_b.socket, "pair", {"host": target, "key": key})
        figures["ping_cold_ms"] = median(timed(ping, options.rounds, warmup=0))
        timed(ping, options.warmup, warmup=0)
        for suite in ("spake2", "hmac"):
            for _ in range(options.rounds):
                pair(suite)
        pair("spake2", again=True)

        # The warm figures and their floors by turns, in blocks: the machine's speed drifts
        # over minutes (the handshake floor moved by a third between runs), and a ratio of a
        # figure to a floor taken minutes apart moves with it. Before each block of floors the
        # kernel writes back what the daemons left unflushed (a pairing's outputs), so that the
        # floor's flushes do not write it too, and what the daemons still did settles.
        tls_floor = OpenSslFloor(a, b)
        spake2_floor = Spake2Floor(work, a[0], b[0])
        try:
            per_block = max(1, -(-options.rounds // options.blocks))
            samples = {name: [] for name in ("fsync", "tls", "ping", "pair_spake2", "pair_hmac",
                                             "pair_again")}
            spake2_medians = []
            for _ in range(options.blocks):
                os.sync()
                time.sleep(0.2)
                samples["fsync"] += fsync_probe(probe_dir, per_block)
                samples["tls"] += tls_floor.times(per_block)
                spake2_medians.append(spake2_floor.median_ms(4 * per_block))
                samples["ping"] += timed(ping, per_block, warmup=0)
                for suite in ("spake2", "hmac"):
                    samples["pair_" + suite] += [pair(suite) for _ in range(per_block)]
                pair("spake2", again=True)
                samples["pair_again"] += [pair("spake2", again=True) for _ in range(per_block)]
        finally:
            tls_floor.close()
            spake2_floor.close()
        figures["fsync_write_ms"] = median(samples["fsync"])
        figures["openssl_mtls_ms"] = median(samples["tls"])
        figures["spake2_both_sides_ms"] = median(spake2_medians)
        figures["ping_ms"] = median(samples["ping"])
        figures["pair_spake2_ms"] = median(samples["pair_spake2"])
        figures["pair_hmac_ms"] = median(samples["pair_hmac"])
        figures["pair_again_spake2_ms"] = median(samples["pair_again"])
        figures["status_ms"] = median(
            timed(lambda: call(daemon_b.socket, "status"), options.rounds))
        time.sleep(5)
        figures["paird_rss_after_mib"] = daemon_a.rss_mib()

        handshake = figures["openssl_mtls_ms"]
        pairing_floor = handshake + 2 * figures["fsync_write_ms"] + figures["spake2_both_sides_ms"]
        figures["pairing_floor_ms"] = pairing_floor
        rows = [
            ("paird start to READY", figures["paird_ready_ms"], "ms",
             "java -version", figures["jvm_version_ms"], "<= 800 ms"),
            ("ping, first runs of a daemon", figures["ping_cold_ms"], "ms",
             "openssl mTLS handshake + round trip", handshake, ""),
            ("ping through two daemons", figures["ping_ms"], "ms",
             "openssl mTLS handshake + round trip", handshake, "<= 1.5x"),
            ("pairing, spake2", figures["pair_spake2_ms"], "ms",
             "handshake + 2 durable writes + SPAKE2", pairing_floor, "<= 2x"),
            ("pairing, hmac", figures["pair_hmac_ms"], "ms",
             "handshake + 2 durable writes + SPAKE2", pairing_floor, "<= 2x"),
            ("pairing again, spake2", figures["pair_again_spake2_ms"], "ms",
             "handshake + 2 durable writes + SPAKE2", pairing_floor, ""),
            ("control round trip (status)", figures["status_ms"], "ms", "", None, ""),
            ("idle RSS, 5 s after READY", figures["paird_idle_rss_mib"], "MiB", "", None,
             "<= 64 MiB"),
            ("RSS after the runs above", figures["paird_rss_after_mib"], "MiB", "", None, ""),
        ]
        if options.json:
            print(json.dumps(figures, indent=2, sort_keys=True))
            return
        load = os.getloadavg()[0]
        print("%s, %d cores, load average %.2f; medians of %d runs (paird start: %d),"
              " warm figures after %d pings and %d pairings of each suite, taken with their"
              " floors by turns in %d blocks"
              % (platform_line(), os.cpu_count(), load, options.rounds, options.starts,
                 options.warmup, options.rounds, options.blocks))
        print("floors: openssl mTLS %.2f ms, durable write %.2f ms, SPAKE2 both sides %.2f ms"
              % (handshake, figures["fsync_write_ms"], figures["spake2_both_sides_ms"]))
        print("%-30s %9s  %-38s %9s %7s  %s" % ("figure", "paird", "floor", "floor", "ratio",
                                               "target"))
        for name, value, unit, floor_name, floor, goal in rows:
            ratio = "%.2fx" % (value / floor) if floor else ""
            floor_text = "%.2f" % floor if floor else ""
            print("%-30s %9s  %-38s %9s %7s  %s"
                  % (name, "%.1f %s" % (value, unit), floor_name, floor_text, ratio, goal))
    finally:
        for daemon in daemons:
            daemon.stop()
        shutil.rmtree(work, ignore_errors=True)


def platform_line():
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    java = subprocess.run(["java", "-version"], capture_output=True, text=True).stderr
    return "%s, %s" % (model, java.splitlines()[0] if java else "java ?")


if __name__ == "__main__":
    main()
