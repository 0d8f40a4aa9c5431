#!/usr/bin/env bash
# Two devices pairing on one machine: builds paird, starts two daemons (A and B) with their own
# state directories, sockets and ports, pairs them with a short code, and shows that each now
# trusts the other. Leaves nothing running and nothing behind.
set -euo pipefail

. "$(dirname "$0")/devices.sh"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

if [ "${PAIRD_DEMO_SKIP_BUILD:-}" != 1 ]; then
  step "Building paird and pairctl (mvn -DskipTests package)"
  (cd "$repo" && mvn -B -q -DskipTests package)
fi

step "Starting device A and device B (two paird daemons, separate state and ports)"
start a
start b
wait_ready a
wait_ready b
port_a=$(port_of a)
port_b=$(port_of b)
echo "device A (CN=device-a) pairs on 127.0.0.1:$port_a, device B (CN=device-b) on 127.0.0.1:$port_b"

# Runs pairctl on device A or B and shows the command as one would type it there.
on() {
  local name=$1
  shift
  printf '\033[2m%s$ pairctl %s\033[0m\n' "$name" "$*"
  ctl "$(echo "$name" | tr AB ab)" "$@"
}
A() { on A "$@"; }
B() { on B "$@"; }

step "On A: who am I?"
A status

step "On A: make a key (pairctl new-key)"
A new-key | tee "$work/new-key.txt"
# The code as pairctl printed it: slot, secret digits in two groups, check digit.
key=$(grep -Eo '\b[0-9]{2}-[0-9]{3,5}-[0-9]{3,5}-[0-9]\b' "$work/new-key.txt" | head -n 1)

# pairctl pair asks for the key, so that it is never on a command line where other users of
# the machine could read it; here it comes on standard input, as from a script.
step "On B: a typo is caught before anything is sent"
typo=${key%?}$(( (${key: -1} + 1) % 10 ))
B pair "127.0.0.1:$port_a" <<<"$typo" || true

step "On B: type A's address, then the key when asked (pairctl pair)"
B pair "127.0.0.1:$port_a" --label device-a <<<"$key"

step "Both sides now trust each other (pairctl list-trusted)"
A list-trusted
B list-trusted

step "Proof: ping both ways over mutual TLS; each side checks the other's certificate"
B ping "127.0.0.1:$port_a"
A ping "127.0.0.1:$port_b"

step "The key was single-use: trying it again is rejected"
B pair "127.0.0.1:$port_a" <<<"$key" || true

step "Done. The daemons' logs"
sed 's/^/A: /' "$work/a/paird.log"
sed 's/^/B: /' "$work/b/paird.log"
if grep -qF -e "$key" -e "${key//-/}" "$work/a/paird.log" "$work/b/paird.log"; then
  echo "the key appears in a log: this is a bug" >&2
  exit 1
fi
echo
echo "The key appears in neither log. Both daemons are stopped and their files removed."
