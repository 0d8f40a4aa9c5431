#!/usr/bin/env bash
# The hub benchmark: how paird copes with a long trusted list, as on a gateway paired with a fleet
# of devices. For each list size (default 10, 1000 and 10000 peers) it fills a stopped paird's
# state directory with generated peers (dev.paird.trust.HubFill, a test class: thousands of real
# pairings would take hours), then times with real processes:
#   - paird start to READY (sd_notify, as systemd hears it), once to let paird build its derived
#     files and then ROUNDS_START times;
#   - on the running hub, ROUNDS times: a pairing (new-key on the hub, then the device's `pair`
#     request, timed: TLS, the exchange and both trusted-list writes), ping from the hub to the
#     device and from the device to the hub, `remove` of the device on the hub (the device forgets
#     the hub too, untimed, so that every round pairs afresh and the list keeps its size), and
#     `list-trusted` over the control socket;
#   - `pairctl list-trusted` as a whole process, a few times;
#   - what writing the outputs whole would cost, as a remove once did and a pairing still does:
#     files of trusted.pem's and trusted.p12's sizes written, fsynced and renamed in the same
#     directory, and the directory fsynced, ROUNDS times; and the same again, each time after
#     what precedes a remove in the rounds: files of those sizes renamed into place unflushed, as
#     a pairing's outputs are, and the two pings' time. A remove now withdraws the certificate in
#     place (docs/INTEGRATION.md) and writes a few bytes of each instead.
# Requests go straight to the control socket (python3) so that pairctl's own start-up, about 0.4 s,
# does not hide what the daemon spends. Prints medians in milliseconds and each figure's ratio to
# the smallest size's.
#
#   bash packaging/bench-hub.sh [ROUNDS] [SIZE...]
#
# Needs python3 and openssl. It builds nothing: run "mvn -B -q -DskipTests package" first (the
# test classes are needed too). The numbers go into docs/PERFORMANCE.md.
set -euo pipefail
rounds=${1:-15}
shift || true
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(10 1000 10000)
rounds_start=5

. "$(dirname "$0")/devices.sh"

classpath="$repo/daemon/target/test-classes:$repo/daemon/target/lib/*"
if [ ! -d "$repo/daemon/target/test-classes/dev/paird/trust" ]; then
  echo "bench-hub: build first: mvn -B -q -DskipTests package (test classes included)" >&2
  exit 1
fi

# The timing driver: sd_notify listener and control-socket client in one small program.
driver=$work/driver.py
cat > "$driver" <<'PY'
import json, os, signal, socket, statistics, subprocess, sys, time

def request(sock_path, command, args=None):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sock_path)
    s.sendall((json.dumps({"v": 1, "command": command, "args": args or {}}) + "\n").encode())
    data = bytearray()
    while not data.endswith(b"\n"):
        chunk = s.recv(1 << 20)
        if not chunk:
            break
        data += chunk
    s.close()
    reply = json.loads(data)
    if not reply.get("ok"):
        raise SystemExit("%s failed: %s" % (command, reply.get("error")))
    return reply["result"], len(data)

def timed(fn, *a):
    t0 = time.perf_counter()
    out = fn(*a)
    return (time.perf_counter() - t0) * 1000, out

def startup(notify_path, argv, log):
    """ms from spawning paird to its READY=1; stops it again."""
    if os.path.exists(notify_path):
        os.unlink(notify_path)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    listener.bind(notify_path)
    listener.settimeout(120)
    env = dict(os.environ, NOTIFY_SOCKET=notify_path)
    t0 = time.perf_counter()
    with open(log, "ab") as out:
        proc = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        while True:
            try:
                message = listener.recv(4096)
            except socket.timeout:
                raise SystemExit("paird did not become ready; see " + log)
            if b"READY=1" in message:
                return (time.perf_counter() - t0) * 1000
    finally:
        listener.close()
        proc.send_signal(signal.SIGTERM)
        proc.wait(60)

def main():
    mode = sys.argv[1]
    if mode == "startup":
        notify, log, runs = sys.argv[2], sys.argv[3], int(sys.argv[4])
        argv = sys.argv[5:]
        first = startup(notify, argv, log)
        # The first start wrote every derived file; let the kernel flush them now, so that the
        # timed starts measure a start, not one competing with that write-back.
        os.sync()
        times = [startup(notify, argv, log) for _ in range(runs)]
        print(json.dumps({"first_start": first, "start": statistics.median(times)}))
    elif mode == "ops":
        hub, device, hub_port, device_port, device_fp, runs = sys.argv[2:8]
        runs = int(runs)
        figures = {k: [] for k in ("pair", "ping_hub", "ping_device", "remove", "list")}
        size = 0
        for _ in range(runs):
            key, _ = request(hub, "new-key", {"suite": "spake2"})
            ms, (paired, _) = timed(request, device, "pair",
                                    {"host": "127.0.0.1:" + hub_port, "key": key["key"]})
            figures["pair"].append(ms)
            figures["ping_hub"].append(timed(request, hub, "ping",
                                             {"host": "127.0.0.1:" + device_port})[0])
            figures["ping_device"].append(timed(request, device, "ping",
                                                {"host": "127.0.0.1:" + hub_port})[0])
            figures["remove"].append(timed(request, hub, "remove",
                                           {"fingerprint": device_fp})[0])
            request(device, "remove", {"fingerprint": paired["peer"]["fingerprint"]})
            ms, (_, size) = timed(request, hub, "list-trusted")
            figures["list"].append(ms)
        out = {k: statistics.median(v) for k, v in figures.items()}
        out["list_bytes"] = size
        print(json.dumps(out))
    elif mode == "flush":
        # The floor of a remove's outputs: write files of the sizes of trusted.pem and
        # trusted.p12 beside them, fsync each, rename each over a copy, fsync the directory;
        # what withdrawing trust durably from whole files costs the disk, whatever writes them.
        # Then the same after what comes before a remove in the rounds above: a pairing's
        # outputs (the same sizes, renamed into place unflushed, as paird writes them) and the
        # two pings' time (GAP_MS). The kernel is then still writing the pairing's bytes back,
        # and ext4's next flush waits for them.
        directory, runs, gap = sys.argv[2], int(sys.argv[3]), float(sys.argv[4]) / 1000
        sizes = [int(size) for size in sys.argv[5:]]
        contents = [os.urandom(size) for size in sizes]

        def replace(durable):
            for i, content in enumerate(contents):
                temporary = os.path.join(directory, "floor%d.tmp" % i)
                with open(temporary, "wb") as f:
                    f.write(content)
                    f.flush()
                    if durable:
                        os.fsync(f.fileno())
                os.rename(temporary, os.path.join(directory, "floor%d" % i))
            if durable:
                fd = os.open(directory, os.O_RDONLY)
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)

        def timed_replace():
            t0 = time.perf_counter()
            replace(True)
            return (time.perf_counter() - t0) * 1000

        alone = [timed_replace() for _ in range(runs)]
        after = []
        for _ in range(runs):
            replace(False)
            time.sleep(gap)
            after.append(timed_replace())
        for i in range(len(contents)):
            os.unlink(os.path.join(directory, "floor%d" % i))
        print(json.dumps({"outputs_flush": statistics.median(alone),
                          "outputs_flush_after_pairing": statistics.median(after)}))
    elif mode == "table":
        rows = [json.loads(line) for line in sys.stdin if line.strip()]
        columns = [("start", "paird start to READY"),
                   ("first_start", "first start (derives files)"),
                   ("pair", "pairing (device's pair request)"),
                   ("ping_hub", "ping, hub -> device"),
                   ("ping_device", "ping, device -> hub"),
                   ("remove", "remove on the hub"),
                   ("outputs_flush", "the outputs written whole, flushed"),
                   ("outputs_flush_after_pairing", "  the same after a pairing's and pings"),
                   ("list", "list-trusted, control socket"),
                   ("pairctl_list", "pairctl list-trusted, whole process"),
                   ("list_bytes", "list-trusted response, bytes")]
        base = rows[0]
        print("%-38s" % "medians, ms" + "".join("%20s" % ("%d peers" % r["size"]) for r in rows))
        for key, title in columns:
            cells = []
            for r in rows:
                if key not in r:
                    cells.append("%20s" % r.get("error", "-"))
                    continue
                value = r[key]
                if value < 0:
                    cells.append("%20s" % "fails")
                    continue
                text = "%d" % value if key == "list_bytes" else "%.1f" % value
                if r is not base and key in base and base[key]:
                    text += " (%.2fx)" % (value / base[key])
                cells.append("%20s" % text)
            print("%-38s" % title + "".join(cells))

main()
PY

# fingerprint FILE: SHA-256 of a PEM certificate's DER, as paird writes it
fingerprint() {
  openssl x509 -in "$1" -noout -fingerprint -sha256 | sed 's/.*=//; s/://g' | tr 'A-F' 'a-f'
}

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

start device
wait_ready device
device_port=$(port_of device)
device_fp=$(fingerprint "$work/device/device.crt")

results=$work/results.jsonl
for size in "${sizes[@]}"; do
  name=hub$size
  mkdir -p "$work/$name"
  : > "$work/$name/paird.conf"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
    -subj "/CN=device-$name" -keyout "$work/$name/device.key" -out "$work/$name/device.crt" \
    2> /dev/null
  t0=$(now_ms)
  # One short of the size: the pairing brings the list to it (a full list would refuse it).
  java -cp "$classpath" dev.paird.trust.HubFill "$work/$name/state" $((size - 1))
  echo "filled $((size - 1)) peers in $(( $(now_ms) - t0 )) ms" >&2
  argv=("$paird" --config "$work/$name/paird.conf" --state-dir "$work/$name/state"
    --socket "$work/$name/control.sock" --listen 127.0.0.1:0
    --cert "$work/$name/device.crt" --key "$work/$name/device.key")
  if ! startup=$(python3 "$driver" startup "$work/$name/notify.sock" "$work/$name/paird.log" \
      "$rounds_start" "${argv[@]}"); then
    reason=$(grep -o 'unusable: [^.]*' "$work/$name/paird.log" | head -n 1 || true)
    echo "{\"size\": $size, \"error\": \"fails to start\"}" >> "$results"
    echo "paird with $size peers did not start: ${reason:-see its log}" >&2
    continue
  fi
  start "$name"
  wait_ready "$name"
  hub_port=$(port_of "$name")
  ops=$(python3 "$driver" ops "$work/$name/control.sock" "$work/device/control.sock" \
    "$hub_port" "$device_port" "$device_fp" "$rounds")
  lists=()
  for i in 1 2 3; do
    t0=$(now_ms)
    if ctl "$name" list-trusted > /dev/null 2>&1; then
      lists+=($(( $(now_ms) - t0 )))
    else
      lists+=(-1)  # pairctl refused the answer: shown as "fails"
    fi
  done
  pairctl_list=$(printf '%s\n' "${lists[@]}" | median)
  # The same directory's disk, with the hub's own output sizes.
  gap=$(python3 -c 'import json, sys; o = json.loads(sys.argv[1]); print(o["ping_hub"] + o["ping_device"])' "$ops")
  flush=$(python3 "$driver" flush "$work/$name/state" "$rounds" "$gap" \
    "$(stat -c %s "$work/$name/state/trusted.pem")" "$(stat -c %s "$work/$name/state/trusted.p12")")
  kill "${pids[-1]}"
  wait "${pids[-1]}" 2>/dev/null || true
  python3 - "$size" "$startup" "$ops" "$pairctl_list" "$flush" >> "$results" <<'PY'
import json, sys
row = {"size": int(sys.argv[1])}
row.update(json.loads(sys.argv[2]))
row.update(json.loads(sys.argv[3]))
row["pairctl_list"] = float(sys.argv[4])
row.update(json.loads(sys.argv[5]))
print(json.dumps(row))
PY
done

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
echo "machine: ${cpu:-unknown CPU}, $(nproc) cores, $(java -version 2>&1 | head -n 1)"
echo "start: median of $rounds_start; the rest: median of $rounds rounds; pairctl: of 3"
python3 "$driver" table < "$results"
