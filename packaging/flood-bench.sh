#!/usr/bin/env bash
# Flood benchmark of paird's pairing port: while attackers from 1, 5 and 50 source addresses
# flood device A's pairing port, each at its source's rate limit, device B pairs with A every
# 2 seconds. Measures how many of B's pairings succeed and how long they take, and A's memory
# and CPU, idle and under the flood. Prints one table (docs/PERFORMANCE.md shows one).
#
#   sudo bash packaging/flood-bench.sh [--seconds 60] [--sources "1 5 50"] [--per-minute 30]
#                                      [--burst 30] [--mix KINDS] [--period 2] [--json]
#                                      [--attacker-nice 0] [--keep DIR]
#
# Three network namespaces, joined by a bridge in the first: pf-server (paird A, 10.201.0.1),
# pf-legit (paird B, 10.201.0.2) and pf-attack (the attacker, 10.201.0.10 and up, one address
# per source). Both daemons run with an empty config file, every setting at its default, their
# state and sockets in a temporary directory. The attacker is dev.paird.hostile.Flood from the
# test classes. Needs root, iproute2 and openssl; builds with Maven when the build is missing
# or older than the sources. Everything it made is removed on exit, Ctrl-C included. With the
# defaults it takes about 5 minutes on an idle machine. --keep DIR keeps the daemons' logs
# and the raw figures.
set -euo pipefail

usage() { sed -n '2,18s/^# \{0,1\}//p' "$0"; }

seconds=60 scenarios="1 5 50" per_minute=30 burst="" mix="" period=2 json=0 keep="" nice=0
while [ $# -gt 0 ]; do
  case $1 in
    --seconds) seconds=$2; shift 2 ;;
    --sources) scenarios=$2; shift 2 ;;
    --per-minute) per_minute=$2; shift 2 ;;
    --burst) burst=$2; shift 2 ;;
    --mix) mix=$2; shift 2 ;;
    --period) period=$2; shift 2 ;;
    --json) json=1; shift ;;
    --keep) keep=$2; shift 2 ;;
    --attacker-nice) nice=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "flood-bench: unknown argument $1" >&2; usage >&2; exit 2 ;;
  esac
done
burst=${burst:-$per_minute}
for n in $seconds $per_minute $burst $period $scenarios; do
  case $n in ''|*[!0-9]*|0) echo "flood-bench: not a positive whole number: $n" >&2; exit 2 ;; esac
done
for n in $scenarios; do
  if [ "$n" -gt 200 ]; then echo "flood-bench: at most 200 sources" >&2; exit 2; fi
done
if [ "$(id -u)" != 0 ]; then
  echo "flood-bench: run as root (it creates network namespaces)" >&2
  exit 1
fi

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
paird=$repo/packaging/bin/paird
pairctl=$repo/packaging/bin/pairctl
namespaces=(pf-server pf-legit pf-attack)
server_ip=10.201.0.1 legit_ip=10.201.0.2
hz=$(getconf CLK_TCK)

log() { printf '%s\n' "$*" >&2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/paird-flood.XXXXXX")
pids=()
# kill_tree PID: PID and its descendants, children first found, by their ids.
kill_tree() {
  local child
  for child in $(pgrep -P "$1" 2>/dev/null); do kill_tree "$child"; done
  kill -TERM "$1" 2>/dev/null || true
}
cleanup() {
  local status=$? pid
  trap - EXIT INT TERM
  # The legitimate pairing loop is a subshell: its pairctl runs go with it.
  for pid in "${pids[@]}"; do kill_tree "$pid"; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  for ns in "${namespaces[@]}"; do ip netns delete "$ns" 2>/dev/null || true; done
  if [ -n "$keep" ]; then
    mkdir -p "$keep"
    cp "$work"/*.txt "$work"/*.err "$work"/*.log "$keep"/ 2>/dev/null || true
  fi
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- Build ---------------------------------------------------------------------------------

# The stamp is written after a build; Maven leaves an up-to-date jar's time alone, so the jar
# itself cannot tell whether the sources changed since.
stamp=$repo/daemon/target/flood-bench.built
if [ ! -f "$stamp" ] || [ ! -f "$repo/daemon/target/test-classes/dev/paird/hostile/Flood.class" ] ||
   [ -n "$(find "$repo/pom.xml" "$repo"/ctl/pom.xml "$repo"/daemon/pom.xml "$repo"/ctl/src \
             "$repo"/daemon/src -newer "$stamp" -type f -print -quit)" ]; then
  log "building (mvn -B -q -DskipTests package)"
  (cd "$repo" && mvn -B -q -DskipTests package) >&2
  touch "$stamp"
fi

# --- Network ---------------------------------------------------------------------------------

for ns in "${namespaces[@]}"; do
  if ip netns list | grep -q "^$ns\( \|$\)"; then
    echo "flood-bench: namespace $ns exists; another run? delete it with 'ip netns delete $ns'" >&2
    namespaces=()  # not ours: leave it alone
    exit 1
  fi
done
for ns in "${namespaces[@]}"; do
  ip netns add "$ns"
  ip -n "$ns" link set lo up
done
# One link for everyone, as on a home network: a bridge in pf-server, a veth to each host.
ip -n pf-server link add pf-br type bridge
ip -n pf-server address add "$server_ip/24" dev pf-br
ip -n pf-server link set pf-br up
for host in legit attack; do
  ip link add "pfv-$host" netns pf-server type veth peer name "pf-$host" netns "pf-$host"
  ip -n pf-server link set "pfv-$host" master pf-br up
  ip -n "pf-$host" link set "pf-$host" up
done
ip -n pf-legit address add "$legit_ip/24" dev pf-legit
max_sources=0
for n in $scenarios; do
  if [ "$n" -gt "$max_sources" ]; then max_sources=$n; fi
done
attack_ips=()
for i in $(seq 1 "$max_sources"); do
  attack_ips+=("10.201.0.$((9 + i))")
  ip -n pf-attack address add "10.201.0.$((9 + i))/24" dev pf-attack
done

# The attacker's certificate: a stranger's, self-signed.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
  -subj "/CN=flood" -keyout "$work/flood.key" -out "$work/flood.crt" 2> /dev/null

# --- Devices ---------------------------------------------------------------------------------

# now_ns: nanoseconds on the boot-time clock (10 ms steps), which a wall-clock step leaves alone.
now_ns() {
  local up
  read -r up _ < /proc/uptime
  echo $(( ${up/./} * 10000000 ))
}

# start_device NAME NAMESPACE: paird with all defaults, its files and its pid in $work.
start_device() {
  local name=$1 ns=$2
  rm -rf "${work:?}/$name"
  mkdir -p "$work/$name"
  echo "# every setting at its default" > "$work/$name/paird.conf"
  # ip netns exec and the launch script both exec: the pid is the JVM's.
  ip netns exec "$ns" "$paird" --config "$work/$name/paird.conf" \
    --state-dir "$work/$name/state" --socket "$work/$name/control.sock" \
    > "$work/$name/paird.log" 2>&1 &
  pids+=("$!")
  echo "$!" > "$work/$name.pid"
}

ctl_a() { ip netns exec pf-server "$pairctl" --socket "$work/a/control.sock" "$@"; }
ctl_b() { ip netns exec pf-legit "$pairctl" --socket "$work/b/control.sock" "$@"; }

# wait_ready NAME: at most 60 s until the device answers on its control socket.
wait_ready() {
  local name=$1 deadline=$((SECONDS + 60))
  until "$pairctl" --socket "$work/$name/control.sock" status > /dev/null 2>&1; do
    if [ $SECONDS -ge $deadline ] || ! kill -0 "$(cat "$work/$name.pid")" 2>/dev/null; then
      log "paird $name did not start; its log:"
      cat "$work/$name/paird.log" >&2
      exit 1
    fi
    sleep 0.2
  done
}

stop_device() {
  local pid
  pid=$(cat "$work/$1.pid")
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# json_field NAME: a string or number field of the one-line JSON on stdin.
json_field() { sed -n "s/.*\"$1\":\"\{0,1\}\([^\",}]*\).*/\1/p" | head -n 1; }

# pair_once: one pairing of B with A; prints "ok|fail CODE PAIR_MS NEW_KEY_MS". PAIR_MS is the
# time of "pairctl pair" on B, JVM start included, as a person or script on B waits for it.
# NEW_KEY_MS, the time of "pairctl new-key" on A, never touches the pairing port: it shows what
# the machine's load alone does to a pairctl run.
pair_once() {
  local issued key id answer t0 t1 t2 code
  t0=$(now_ns)
  if ! issued=$(ctl_a --json new-key 2> /dev/null); then
    echo "fail new_key:$(echo "$issued" | json_field code) 0 $((($(now_ns) - t0) / 1000000))"
    return
  fi
  key=$(echo "$issued" | json_field key)
  id=$(echo "$issued" | json_field id)
  t1=$(now_ns)
  # The key goes through a pipe, which pairctl reads when its standard input is not a
  # terminal: on the command line every user of the machine could read it.
  if answer=$(printf '%s\n' "$key" | ctl_b --json pair "$server_ip" 2> /dev/null); then
    t2=$(now_ns)
    echo "ok - $(((t2 - t1) / 1000000)) $(((t1 - t0) / 1000000))"
  else
    t2=$(now_ns)
    code=$(echo "$answer" | json_field code)
    echo "fail ${code:-exit} $(((t2 - t1) / 1000000)) $(((t1 - t0) / 1000000))"
    # A failed attempt leaves its key pending; withdraw it so that max_pending_keys is never
    # reached by the benchmark itself.
    ctl_a cancel-key "$id" > /dev/null 2>&1 || true
  fi
  key=
}

# legit_loop OUT SECONDS: a pairing every $period seconds, or at once when the last one took
# longer; none started after SECONDS.
legit_loop() {
  local out=$1 next now deadline
  next=$(now_ns)
  deadline=$((next + $2 * 1000000000))
  for _ in $(seq 1 $(($2 / period))); do
    now=$(now_ns)
    [ "$now" -lt "$deadline" ] || break
    pair_once >> "$out"
    next=$((next + period * 1000000000))
    now=$(now_ns)
    if [ "$next" -gt "$now" ]; then
      sleep "$(awk -v ns="$((next - now))" 'BEGIN {printf "%.3f", ns / 1e9}')"
    fi
  done
}

# listen_drops: SYNs and connections the kernel in pf-server dropped because a listen queue
# was full (paird's pairing port has a backlog of 64), since the namespace was made.
listen_drops() {
  ip netns exec pf-server awk '/^TcpExt:/ {
      if (!n) { for (i = 2; i <= NF; i++) name[i] = $i; n = 1; next }
      for (i = 2; i <= NF; i++) if (name[i] == "ListenDrops") print $i }' /proc/net/netstat
}

# columns: the tab-separated fields on stdin, right-aligned in columns.
columns() { awk -F'\t' '{for (i = 1; i <= NF; i++) printf " %10s", $i; print ""}'; }

rss_kib() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\).*/\1/p' "/proc/$1/status"; }
cpu_ticks() {
  [ -r "/proc/$1/stat" ] || return 1
  sed 's/^.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'
}

# percentile P: the P-th percentile (nearest rank) of the numbers on stdin; "-" if none.
percentile() {
  sort -n | awk -v p="$1" '{a[NR] = $1} END {
    if (NR == 0) { print "-"; exit }
    r = int((p / 100) * NR + 0.999999); if (r < 1) r = 1; print a[r] }'
}

# --- Scenarios -------------------------------------------------------------------------------

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
machine="${cpu:-unknown CPU}, $(nproc) cores, $(java -version 2>&1 | head -n 1)"
machine="$machine, $(date -u '+%Y-%m-%d %H:%M UTC')"
log "machine: $machine"

rows=() attack_rows=() json_lines=()
for n in $scenarios; do
  log "--- $n source(s): starting paird A (pf-server) and B (pf-legit)"
  start_device a pf-server
  start_device b pf-legit
  wait_ready a
  wait_ready b
  pid_a=$(cat "$work/a.pid")

  # Warm-up, then the latency without a flood: the same pairing, two times and four times.
  pair_once > /dev/null
  pair_once > /dev/null
  : > "$work/idle-$n.txt"
  for _ in 1 2 3 4; do pair_once >> "$work/idle-$n.txt"; done
  idle_p50=$(awk '$1 == "ok" {print $3}' "$work/idle-$n.txt" | percentile 50)

  # Idle: five quiet seconds.
  idle_rss=0
  c0=$(cpu_ticks "$pid_a") t0=$(now_ns)
  for _ in $(seq 1 10); do
    r=$(rss_kib "$pid_a")
    if [ "$r" -gt "$idle_rss" ]; then idle_rss=$r; fi
    sleep 0.5
  done
  idle_cpu=$(awk -v t="$(( $(cpu_ticks "$pid_a") - c0 ))" -v hz="$hz" -v w="$(( $(now_ns) - t0 ))" \
    'BEGIN {printf "%.1f", 100 * t / hz / (w / 1e9)}')

  load=$(cut -d ' ' -f 1 /proc/loadavg)
  log "--- $n source(s): flooding for ${seconds}s (load average $load)"
  sources=$(IFS=,; echo "${attack_ips[*]:0:$n}")
  flood_args=(--target "$server_ip:7247" --sources "$sources" --cert "$work/flood.crt"
    --key "$work/flood.key" --per-minute "$per_minute" --burst "$burst"
    --seconds $((seconds + 60)) --stop-file "$work/stop-$n")
  if [ -n "$mix" ]; then flood_args+=(--mix "$mix"); fi
  # The flood lasts until the last pairing has ended (the stop file), at most a minute more.
  # The attacker shares the machine's CPU with paird, which a real one would not; a positive
  # --attacker-nice lets paird go first, at the risk of an attacker slower than asked.
  ip netns exec pf-attack timeout -k 5 $((seconds + 90)) nice -n "$nice" \
    java -Xmx256m -cp "$repo/daemon/target/test-classes" dev.paird.hostile.Flood \
    "${flood_args[@]}" > "$work/flood-$n.txt" 2> "$work/flood-$n.err" &
  flood_pid=$!
  pids+=("$flood_pid")
  : > "$work/legit-$n.txt"
  legit_loop "$work/legit-$n.txt" "$seconds" &
  legit_pid=$!
  pids+=("$legit_pid")

  max_rss=0 attacker_ticks=0 attacker_pid=""
  drops0=$(listen_drops)
  c0=$(cpu_ticks "$pid_a") t0=$(now_ns)
  # Sample A while the pairings go on: bounded by their own bound, plus a margin.
  for _ in $(seq 1 $(((seconds + 120) * 2))); do
    kill -0 "$legit_pid" 2>/dev/null || break
    r=$(rss_kib "$pid_a")
    if [ "$r" -gt "$max_rss" ]; then max_rss=$r; fi
    # The attacker's JVM is the child of timeout; its CPU is what it took from paird's machine.
    attacker_pid=${attacker_pid:-$(pgrep -P "$flood_pid" java || true)}
    if [ -n "$attacker_pid" ]; then
      attacker_ticks=$(cpu_ticks "$attacker_pid" 2>/dev/null || echo "$attacker_ticks")
    fi
    sleep 0.5
  done
  wall=$(( $(now_ns) - t0 ))
  flood_cpu=$(awk -v t="$(( $(cpu_ticks "$pid_a") - c0 ))" -v hz="$hz" -v w="$wall" \
    'BEGIN {printf "%.1f", 100 * t / hz / (w / 1e9)}')
  attacker_cpu=$(awk -v t="$attacker_ticks" -v hz="$hz" -v w="$wall" \
    'BEGIN {printf "%.1f", 100 * t / hz / (w / 1e9)}')
  drops=$(( $(listen_drops) - drops0 ))
  wait "$legit_pid" 2>/dev/null || true
  touch "$work/stop-$n"
  wait "$flood_pid" 2>/dev/null || log "the attacker failed: $(tail -n 3 "$work/flood-$n.err")"
  stop_device a
  stop_device b
  cp "$work/a/paird.log" "$work/paird-a-$n.log"
  cp "$work/b/paird.log" "$work/paird-b-$n.log"
  # All four have been waited for: their pids may now be reused by anyone's process, which the
  # cleanup must not kill.
  pids=()

  legit=$work/legit-$n.txt flood=$work/flood-$n.txt
  attempts=$(wc -l < "$legit")
  successes=$(grep -c '^ok' "$legit" || true)
  rate=$(awk -v s="$successes" -v a="$attempts" 'BEGIN {printf "%.1f", a ? 100 * s / a : 0}')
  p50=$(awk '$1 == "ok" {print $3}' "$legit" | percentile 50)
  p95=$(awk '$1 == "ok" {print $3}' "$legit" | percentile 95)
  newkey_p50=$(awk '{print $4}' "$legit" | percentile 50)
  failures=$(awk '$1 == "fail" {print $2}' "$legit" | sort | uniq -c |
    awk '{printf "%s%s×%s", (NR > 1 ? "," : ""), $2, $1}')
  ratio=$(awk -v m="$max_rss" -v i="$idle_rss" 'BEGIN {printf "%.2f", i ? m / i : 0}')
  rows+=("$(printf '%4s %5s %5s %5s %6s%% %6s %6s %6s %7s %5s %5s %5s %6s%% %6s%% %6s%%  %s' \
    "$n" "$load" "$attempts" "$successes" "$rate" "$p50" "$p95" "$idle_p50" "$newkey_p50" \
    "$((idle_rss / 1024))" "$((max_rss / 1024))" "$ratio" "$idle_cpu" "$flood_cpu" \
    "$attacker_cpu" "${failures:--}")")

  # The attacker's report: a header, one line per kind, "skipped", "seconds", one JSON line.
  while IFS=$'\t' read -r kind rest; do
    case $kind in
      kind|skipped|seconds|'{'*|'') ;;
      *) attack_rows+=("$(printf '%4s %-10s' "$n" "$kind")$(printf '%s\n' "$rest" | columns)") ;;
    esac
  done < "$flood"
  skipped=$(sed -n 's/^skipped\t//p' "$flood")
  flood_s=$(sed -n 's/^seconds\t//p' "$flood")
  made=$(awk -F'\t' '$2 ~ /^[0-9]+$/ && $1 != "skipped" {s += $2} END {print s + 0}' "$flood")
  steady=$(awk -v n="$n" -v b="$burst" -v r="$per_minute" -v t="${flood_s:-0}" \
    'BEGIN {printf "%d", n * (b + r * t / 60)}')
  attack_rows+=("$(printf '%4s %s connections in %s s (a steady attacker: %s), %s skipped;' \
    "$n" "$made" "${flood_s:-?}" "$steady" "${skipped:-?}") listen queue drops: $drops")

  json_lines+=("$(printf '{"sources":%s,"load_average":%s,"seconds":%s,"per_minute":%s,' \
    "$n" "$load" "$seconds" "$per_minute"
    printf '"burst":%s,"legit_attempts":%s,"legit_successes":%s,"success_percent":%s,' \
    "$burst" "$attempts" "$successes" "$rate"
    printf '"p50_ms":"%s","p95_ms":"%s","idle_p50_ms":"%s","new_key_p50_ms":"%s",' \
    "$p50" "$p95" "$idle_p50" "$newkey_p50"
    printf '"idle_rss_kib":%s,"max_rss_kib":%s,"rss_ratio":%s,"idle_cpu_percent":%s,' \
    "$idle_rss" "$max_rss" "$ratio" "$idle_cpu"
    printf '"flood_cpu_percent":%s,"attacker_cpu_percent":%s,"listen_drops":%s,"attacker":%s}' \
    "$flood_cpu" "$attacker_cpu" "$drops" "$(tail -n 1 "$flood")")")
done

if [ "$json" = 1 ]; then
  printf '%s\n' "${json_lines[@]}"
  exit 0
fi
cat << EOF
machine: $machine
flood: $seconds s per scenario, each source at $per_minute/min after a burst of $burst;
a pairing every $period s (or at once after a slower one). Times in ms: "pair" is pairctl pair
on B (p50 and p95 over the successful ones), "new-key" is pairctl new-key on A in the same
rounds, which never touches the pairing port: both include a JVM start. RSS in MiB (VmRSS of
paird A); CPU in % of one core: paird A idle and under the flood, and the attacker's JVM.

EOF
printf '%4s %5s %5s %5s %7s %6s %6s %6s %7s %5s %5s %5s %7s %7s %7s  %s\n' \
  N load tries ok success pair pair pair new-key RSS RSS ratio CPU CPU CPU failures
printf '%4s %5s %5s %5s %7s %6s %6s %6s %7s %5s %5s %5s %7s %7s %7s\n' \
  "" "" "" "" "" p50 p95 idle p50 idle max "" idle flood attack
printf '%s\n' "${rows[@]}"
echo
echo "attack connections as the attacker saw them"
printf '%4s %-10s' N kind
head -n 1 "$work/flood-${scenarios##* }.txt" | cut -f 2- | columns
printf '%s\n' "${attack_rows[@]}"
