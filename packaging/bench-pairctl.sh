#!/usr/bin/env bash
# pairctl's speed against its floor, in one run: a minimal Java client (packaging/bench/
# MinimalClient.java: connect to the control socket, send one request line, print the answer)
# run with pairctl's own JVM flags, and pairctl for the same requests, against one running paird.
# Prints medians of wall and CPU (user + system) time over ROUNDS runs (default 20) and each
# pairctl figure as a multiple of the minimal client's. docs/PERFORMANCE.md ("pairctl") keeps the
# figures.
#
#   bash packaging/bench-pairctl.sh [ROUNDS]
#
# It builds nothing: run "mvn -B -q -DskipTests package" first. pairctl runs as a user runs it,
# with whatever class-data archive its launcher finds (PAIRD_CDS=off turns that off).
set -euo pipefail
rounds=${1:-20}

. "$(dirname "$0")/devices.sh"

# The JVM flags of packaging/bin/pairctl, so that the two differ only in what they load.
flags=(-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xshare:auto -Xss512k)
# The JVM the launcher picks: $JAVA_HOME's, else the one on the PATH.
jdk=${JAVA_HOME:+$JAVA_HOME/bin/}
mkdir -p "$work/floor"
"${jdk}javac" -d "$work/floor" "$repo/packaging/bench/MinimalClient.java"

# median of the numbers on stdin
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

# measure NAME CMD...: runs CMD once, output discarded, and appends its wall and CPU times in
# milliseconds to the files NAME.wall and NAME.cpu.
measure() {
  local name=$1 times
  shift
  times=$({ TIMEFORMAT='%3R %3U %3S'; time "$@" > /dev/null 2>&1; } 2>&1)
  awk '{printf "%d\n", $1 * 1000}' <<< "$times" >> "$work/$name.wall"
  awk '{printf "%d\n", ($2 + $3) * 1000}' <<< "$times" >> "$work/$name.cpu"
}

floor() { "${jdk}java" "${flags[@]}" -cp "$work/floor" MinimalClient "$work/a/control.sock" "$@"; }

start a
start b
wait_ready a
wait_ready b
# One trusted device, so that list-trusted has a row to format.
key=$(ctl a --json new-key | sed -n 's/.*"key":"\([^"]*\)".*/\1/p')
ctl b pair "127.0.0.1:$(port_of a)" "$key" > /dev/null
# Each new-key below is cancelled straight away (untimed): paird keeps at most 16 pending.
cancel_keys() {
  local id
  for id in $(ctl a --json list-keys | grep -o '"id":"[^"]*"' | cut -d'"' -f4); do
    ctl a cancel-key "$id" > /dev/null
  done
}

# Interleaved, so that a slow moment of the machine hits every row alike.
for i in $(seq 1 "$rounds"); do
  measure floor-status floor status
  measure json-status ctl a --json status
  measure status ctl a status
  measure floor-list floor list-trusted
  measure list ctl a list-trusted
  measure floor-new-key floor new-key
  measure json-new-key ctl a --json new-key
  cancel_keys
done

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
echo "machine: ${cpu:-unknown CPU}, $(nproc) cores, $("${jdk}java" -version 2>&1 | head -n 1)"
echo "medians of $rounds runs, milliseconds; ratio = pairctl / minimal client, wall (CPU)"
row() {
  local name=$1 what=$2 base=$3 wall cpu bwall bcpu
  wall=$(median < "$work/$name.wall")
  cpu=$(median < "$work/$name.cpu")
  bwall=$(median < "$work/$base.wall")
  bcpu=$(median < "$work/$base.cpu")
  if [ "$name" = "$base" ]; then
    printf '  %-34s %6s wall %6s CPU\n' "$what" "$wall" "$cpu"
  else
    printf '  %-34s %6s wall %6s CPU   %5s x (%s x)\n' "$what" "$wall" "$cpu" \
      "$(awk -v a="$wall" -v b="$bwall" 'BEGIN {printf "%.2f", a / b}')" \
      "$(awk -v a="$cpu" -v b="$bcpu" 'BEGIN {printf "%.2f", a / b}')"
  fi
}
row floor-status "minimal client, status" floor-status
row json-status "pairctl --json status" floor-status
row status "pairctl status" floor-status
row floor-list "minimal client, list-trusted" floor-list
row list "pairctl list-trusted" floor-list
row floor-new-key "minimal client, new-key" floor-new-key
row json-new-key "pairctl --json new-key" floor-new-key
