#!/usr/bin/env bash
# End-to-end timings of paird and pairctl on this machine, as a user sees them: how long paird
# takes to become ready, how long pairctl takes to start and to answer, and how long a whole
# pairing takes (new-key on A, then pair on B: two pairctl runs, TLS, the exchange and two
# durable trusted-list writes). Prints medians over ROUNDS runs (default 20).
#
#   bash packaging/bench-pairing.sh [ROUNDS]
#
# It builds nothing: run "mvn -B -q -DskipTests package" first. The numbers go into
# docs/PERFORMANCE.md.
set -euo pipefail
rounds=${1:-20}

. "$(dirname "$0")/devices.sh"

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# median of the numbers on stdin
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

# time_ms CMD...: runs CMD, discards its output, prints its wall time in ms
time_ms() {
  local t0
  t0=$(now_ms)
  "$@" > /dev/null 2>&1
  echo $(( $(now_ms) - t0 ))
}

startup=()
for i in $(seq 1 5); do
  t0=$(now_ms)
  start "s$i"
  wait_ready "s$i"
  startup+=($(( $(now_ms) - t0 )))
  kill "${pids[-1]}"
  wait "${pids[-1]}" 2>/dev/null || true
done

start a
start b
wait_ready a
wait_ready b
port_a=$(port_of a)

version=() status=() json_status=() pairing=() suite_hmac=()
for i in $(seq 1 "$rounds"); do
  version+=("$(time_ms "$pairctl" --version)")
  status+=("$(time_ms ctl a status)")
  json_status+=("$(time_ms ctl a --json status)")
  for suite in spake2 hmac; do
    t0=$(now_ms)
    key=$(ctl a --json new-key --suite "$suite" | sed -n 's/.*"key":"\([^"]*\)".*/\1/p')
    ctl b pair "127.0.0.1:$port_a" "$key" > /dev/null
    elapsed=$(( $(now_ms) - t0 ))
    if [ "$suite" = spake2 ]; then pairing+=("$elapsed"); else suite_hmac+=("$elapsed"); fi
  done
done

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
echo "machine: ${cpu:-unknown CPU}, $(nproc) cores, $(java -version 2>&1 | head -n 1)"
echo "medians, milliseconds (paird start: 5 runs; the rest: $rounds runs)"
printf '  %-46s %6s\n' \
  "paird start to ready (JVM, TLS, listeners)" "$(printf '%s\n' "${startup[@]}" | median)" \
  "pairctl --version" "$(printf '%s\n' "${version[@]}" | median)" \
  "pairctl status" "$(printf '%s\n' "${status[@]}" | median)" \
  "pairctl --json status" "$(printf '%s\n' "${json_status[@]}" | median)" \
  "pairing, spake2 (new-key on A + pair on B)" "$(printf '%s\n' "${pairing[@]}" | median)" \
  "pairing, hmac (new-key on A + pair on B)" "$(printf '%s\n' "${suite_hmac[@]}" | median)"
