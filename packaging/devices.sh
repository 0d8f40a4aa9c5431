# Shared by demo.sh and bench-pairing.sh: start paird daemons as separate "devices" on this
# machine, each with its own openssl-made certificate, state directory, control socket and
# loopback port, and stop them and remove their files on exit. Source it; do not run it.

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
paird=$repo/packaging/bin/paird
pairctl=$repo/packaging/bin/pairctl

work=$(mktemp -d "${TMPDIR:-/tmp}/paird-devices.XXXXXX")
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# start NAME: a device with its own self-signed certificate (devices come with one; here
# openssl makes it, CN=device-NAME, one that may not sign others: see docs/INTEGRATION.md,
# "Certificates that may sign"), an empty config file (all defaults), its own state
# directory and control socket, and the pairing port on loopback, port 0 = any free port.
start() {
  local name=$1
  mkdir -p "$work/$name"
  : > "$work/$name/paird.conf"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
    -addext basicConstraints=critical,CA:FALSE -addext keyUsage=critical,digitalSignature \
    -subj "/CN=device-$name" -keyout "$work/$name/device.key" -out "$work/$name/device.crt" \
    2> /dev/null
  "$paird" --config "$work/$name/paird.conf" --state-dir "$work/$name/state" \
    --socket "$work/$name/control.sock" --listen 127.0.0.1:0 \
    --cert "$work/$name/device.crt" --key "$work/$name/device.key" > "$work/$name/paird.log" 2>&1 &
  pids+=("$!")
}

# wait_ready NAME: waits (at most 60 s) until the device's paird answers on its socket.
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

# port_of NAME: the pairing port the device's paird listens on.
port_of() {
  PAIRD_SOCKET=$work/$1/control.sock "$pairctl" --json status |
    sed -n 's/.*"listen":"[^"]*:\([0-9]*\)".*/\1/p'
}

# ctl NAME ARGS...: pairctl on that device.
ctl() {
  local name=$1
  shift
  PAIRD_SOCKET=$work/$name/control.sock "$pairctl" "$@"
}
