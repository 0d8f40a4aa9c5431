#!/usr/bin/env bash
# paird's and pairctl's whole-program figures, each beside a floor measured in the same run on
# the same machine, as ratios. docs/PERFORMANCE.md ("Whole programs") keeps the figures.
#
#   bash packaging/bench-pairing.sh [--rounds N] [--starts N] [--warmup N] [--blocks N]
#        paird: start to READY (floor: java -version), idle RSS, ping through two daemons
#        (floor: an OpenSSL mutual-TLS 1.3 handshake and one round trip), a pairing of each
#        suite (floor: that handshake + two atomic durable writes + both sides of SPAKE2);
#        (warm figures and their floors by turns, in BLOCKS blocks); then pairctl against a
#        minimal Java client (bench-pairctl.sh, same ROUNDS)
#   bash packaging/bench-pairing.sh --hub [ARGS]
#        a hub: the same operations at 10, 1,000 and 10,000 trusted peers (bench-hub.sh)
#
# It builds nothing: run "mvn -B -q -DskipTests package" first. Needs python3, openssl, javac.
set -euo pipefail
here=$(dirname "$0")

if [ "${1:-}" = --hub ]; then
  shift
  exec bash "$here/bench-hub.sh" "$@"
fi

rounds=50
args=("$@")
while [ $# -gt 0 ]; do
  case $1 in
    --rounds) rounds=$2; shift 2 ;;
    *) shift ;;
  esac
done

python3 "$here/bench/pairing.py" "${args[@]}"
echo
bash "$here/bench-pairctl.sh" "$rounds"
