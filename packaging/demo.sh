#!/usr/bin/env bash
# Two devices pairing on one machine: builds paird, starts two daemons (A and B) with their own
# state directories, sockets and ports, pairs them with a short code, and shows that each now
# trusts the other. Leaves nothing running and nothing behind.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
paird=$repo/packaging/bin/paird
pairctl=$repo/packaging/bin/pairctl

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

if [ "${PAIRD_DEMO_SKIP_BUILD:-}" != 1 ]; then
  step "Building paird and pairctl (mvn -DskipTests package)"
  (cd "$repo" && mvn -B -q -DskipTests package)
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/paird-demo.XXXXXX")
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# Each device: its own self-signed certificate (devices come with one; here openssl makes
# them), an empty config file (all defaults), its own state directory and control socket, and
# the pairing port on loopback, port 0 = any free port (status shows which).
start() {
  local name=$1
  mkdir -p "$work/$name"
  : > "$work/$name/paird.conf"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
    -subj "/CN=device-$name" -keyout "$work/$name/device.key" -out "$work/$name/device.crt" \
    2> /dev/null
  "$paird" --config "$work/$name/paird.conf" --state-dir "$work/$name/state" \
    --socket "$work/$name/control.sock" --listen 127.0.0.1:0 \
    --cert "$work/$name/device.crt" --key "$work/$name/device.key" > "$work/$name/paird.log" 2>&1 &
  pids+=("$!")
}

# Waits (at most 60 s) until the daemon answers on its control socket.
wait_ready() {
  local name=$1 deadline=$((SECONDS + 60))
  until PAIRD_SOCKET=$work/$name/control.sock "$pairctl" status > /dev/null 2>&1; do
    if [ $SECONDS -ge $deadline ]; then
      echo "paird $name did not start; its log:" >&2
      cat "$work/$name/paird.log" >&2
      exit 1
    fi
    sleep 0.2
  done
}

step "Starting device A and device B (two paird daemons, separate state and ports)"
start a
start b
wait_ready a
wait_ready b
port_a=$(PAIRD_SOCKET=$work/a/control.sock "$pairctl" --json status | sed -n 's/.*"listen":"[^"]*:\([0-9]*\)".*/\1/p')
port_b=$(PAIRD_SOCKET=$work/b/control.sock "$pairctl" --json status | sed -n 's/.*"listen":"[^"]*:\([0-9]*\)".*/\1/p')
echo "device A (CN=device-a) pairs on 127.0.0.1:$port_a, device B (CN=device-b) on 127.0.0.1:$port_b"

# Runs pairctl on device A or B and shows the command as one would type it there.
on() {
  local name=$1
  shift
  printf '\033[2m%s$ pairctl %s\033[0m\n' "$name" "$*"
  PAIRD_SOCKET=$work/$(echo "$name" | tr AB ab)/control.sock "$pairctl" "$@"
}
A() { on A "$@"; }
B() { on B "$@"; }

step "On A: who am I?"
A status

step "On A: make a key (pairctl new-key)"
A new-key | tee "$work/new-key.txt"
# The code as pairctl printed it: slot, secret digits in two groups, check digit.
key=$(grep -Eo '\b[0-9]{2}-[0-9]{3,5}-[0-9]{3,5}-[0-9]\b' "$work/new-key.txt" | head -n 1)

step "On B: a typo is caught before anything is sent"
typo=${key%?}$(( (${key: -1} + 1) % 10 ))
B pair "127.0.0.1:$port_a" "$typo" || true

step "On B: type A's address and the key (pairctl pair)"
B pair "127.0.0.1:$port_a" "$key" --label device-a

step "Both sides now trust each other (pairctl list-trusted)"
A list-trusted
B list-trusted

step "Proof: ping both ways over mutual TLS; each side checks the other's certificate"
B ping "127.0.0.1:$port_a"
A ping "127.0.0.1:$port_b"

step "The key was single-use: trying it again is rejected"
B pair "127.0.0.1:$port_a" "$key" || true

step "Done. The daemons' logs"
sed 's/^/A: /' "$work/a/paird.log"
sed 's/^/B: /' "$work/b/paird.log"
if grep -qF -e "$key" -e "${key//-/}" "$work/a/paird.log" "$work/b/paird.log"; then
  echo "the key appears in a log: this is a bug" >&2
  exit 1
fi
echo
echo "The key appears in neither log. Both daemons are stopped and their files removed."
