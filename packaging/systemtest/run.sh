#!/bin/bash
# System test of the paird package on two Debian 12 machines. It boots two systemd-nspawn
# containers with systemd, each in its own network namespace, joined by a veth pair
# (A = 10.77.0.1, B = 10.77.0.2); installs the .deb in both; checks the service, its sandbox
# and the control socket's permissions; pairs the two devices with pairctl as an ordinary user
# in group paird; checks that nginx on A and curl on B trust each other through paird's
# outputs, and follow a removal and a new pairing with no manual reload (docs/INTEGRATION.md);
# restarts; purges; and installs the tarball as its INSTALL note says.
#
#   packaging/systemtest/run.sh [--packages DIR] [--skip-build] [--keep] [--logs DIR]
#
# Run it as root on Debian 12 (amd64 or arm64) that reaches a Debian mirror; CI runs it with no
# options. It installs the host tools it lacks with apt-get (debootstrap, systemd-container,
# iproute2, procps, unzip), builds the packages with packaging/build-packages.sh, and builds a
# Debian 12 root file system with packaging/systemtest/rootfs.sh, cached in
# /var/cache/paird-systemtest (a cold cache adds a minute or two).
#
#   --packages DIR   test the paird_*_ARCH.deb and paird-*.tar.gz in DIR instead of building
#   --skip-build     build the packages from the jars already built (no mvn)
#   --keep           leave the containers running at the end and print how to enter them
#   --logs DIR       save both containers' consoles, journals and apt logs in DIR (for CI)
#
# Environment: PAIRD_SYSTEMTEST_CACHE and PAIRD_SYSTEMTEST_MIRROR (see rootfs.sh).
#
# Every step prints PASS or FAIL with what it saw; the exit status is 0 only if every step
# passed. Waits are polls with a deadline. Containers, network namespaces and unpacked roots
# are removed on exit, on failure and on Ctrl-C too; the root file system cache is kept.
set -euo pipefail
export LC_ALL=C

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)

packages_dir=""
logs=""
build_args=()
keep=no
while [ $# -gt 0 ]; do
  case $1 in
    --packages)
      [ $# -ge 2 ] || { echo "run.sh: --packages needs a directory" >&2; exit 2; }
      packages_dir=$(cd "$2" && pwd)
      shift
      ;;
    --logs)
      [ $# -ge 2 ] || { echo "run.sh: --logs needs a directory" >&2; exit 2; }
      mkdir -p "$2" && logs=$(cd "$2" && pwd)
      shift
      ;;
    --skip-build) build_args+=(--skip-build) ;;
    --keep) keep=yes ;;
    -h | --help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
    *) echo "run.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done
[ "$(id -u)" = 0 ] || { echo "run.sh: run as root" >&2; exit 2; }

# --- Reporting -------------------------------------------------------------------------------
passed=0
failed=0
failures=()
started=$SECONDS

# step NAME FUNCTION [ARG...]: runs one check in this shell (so it may set variables), prints
# PASS or FAIL with the check's output indented, and counts it.
step() {
  local name=$1 t0=$SECONDS status=0
  shift
  "$@" >"$work/step.out" 2>&1 || status=$?
  if [ "$status" = 0 ]; then
    printf 'PASS  %s (%ss)\n' "$name" $((SECONDS - t0))
    passed=$((passed + 1))
  else
    printf 'FAIL  %s (%ss)\n' "$name" $((SECONDS - t0))
    failed=$((failed + 1))
    failures+=("$name")
  fi
  sed 's/^/      /' "$work/step.out"
  return "$status"
}
# must NAME FUNCTION [ARG...]: a step the rest cannot do without.
must() {
  step "$@" || { echo "run.sh: cannot go on without this step" >&2; exit 1; }
}
# expect WHAT EXPECTED ACTUAL
expect() {
  if [ "$2" = "$3" ]; then
    printf '%s: %s\n' "$1" "$3"
  else
    printf '%s: expected "%s", got "%s"\n' "$1" "$2" "$3"
    return 1
  fi
}
# poll SECONDS COMMAND...: runs COMMAND until it succeeds, for at most SECONDS.
poll() {
  local deadline=$((SECONDS + $1))
  shift
  until "$@"; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.2
  done
}

# --- Containers ------------------------------------------------------------------------------
work=$(mktemp -d /var/tmp/paird-systemtest.XXXXXX)
tag=$$
declare -A ip=([A]=10.77.0.1 [B]=10.77.0.2)
declare -A host=([A]=paird-a [B]=paird-b)
declare -A netns=([A]=paird-st-$tag-a [B]=paird-st-$tag-b)
declare -A machine=([A]=paird-a-$tag [B]=paird-b-$tag)
declare -A root=([A]=$work/a [B]=$work/b)
declare -A nspawn=()
declare -A leader=()

# ct C COMMAND...: runs COMMAND as root inside container C, with a clean environment.
ct() {
  local c=$1
  shift
  nsenter --target "${leader[$c]}" --mount --uts --ipc --net --pid --cgroup -- \
    /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    HOME=/root LANG=C.UTF-8 TERM=dumb DEBIAN_FRONTEND=noninteractive "$@"
}
# as C USER COMMAND...: runs COMMAND inside container C as USER.
as() {
  local c=$1 user=$2
  shift 2
  ct "$c" runuser -u "$user" -- "$@"
}

teardown() {
  local c deadline
  trap - EXIT INT TERM
  # A container whose boot step never ran still needs its init found to be stopped.
  for c in A B; do
    if [ -n "${nspawn[$c]:-}" ] && [ -z "${leader[$c]:-}" ]; then
      find_leader "$c" || true
    fi
  done
  if [ -n "$logs" ]; then
    for c in A B; do
      if [ -n "${leader[$c]:-}" ]; then
        ct "$c" journalctl --no-pager -o short-precise >"$logs/journal-$c.log" 2>&1 || true
      fi
    done
    cp "$work"/*.log "$logs/" 2>/dev/null || true
  fi
  if [ "$keep" = yes ]; then
    echo
    echo "Containers left running (--keep). Enter one with:"
    for c in A B; do
      [ -n "${leader[$c]:-}" ] && echo "  nsenter -t ${leader[$c]} -a bash      # $c, ${ip[$c]}"
    done
    echo "Remove them with:"
    echo "  kill -RTMIN+4 ${leader[A]:-} ${leader[B]:-}; ip netns del ${netns[A]}; ip netns del ${netns[B]}; rm -rf --one-file-system $work"
    return
  fi
  # SIGRTMIN+4 asks systemd to power off.
  for c in A B; do
    if [ -n "${leader[$c]:-}" ]; then
      kill -s RTMIN+4 "${leader[$c]}" 2>/dev/null || true
    fi
  done
  for c in A B; do
    [ -n "${nspawn[$c]:-}" ] || continue
    deadline=$((SECONDS + 30))
    while kill -0 "${nspawn[$c]}" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do
      sleep 0.2
    done
    if kill -0 "${nspawn[$c]}" 2>/dev/null; then
      # Killing a PID namespace's init kills everything in it; then nspawn exits.
      echo "run.sh: container $c did not power off in 30s; killing it" >&2
      if [ -n "${leader[$c]:-}" ]; then
        kill -KILL "${leader[$c]}" 2>/dev/null || true
      fi
      sleep 1
      kill -KILL "${nspawn[$c]}" 2>/dev/null || true
      wait "${nspawn[$c]}" 2>/dev/null || true
    fi
    rmdir "/run/systemd/nspawn/propagate/${machine[$c]}" 2>/dev/null || true
  done
  for c in A B; do
    ip netns del "${netns[$c]}" 2>/dev/null || true
  done
  ip link del "pst$tag" 2>/dev/null || true
  rm -rf --one-file-system "$work"
}
trap teardown EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- Set-up steps ----------------------------------------------------------------------------
host_tools() {
  local missing=() pair tool package
  for pair in debootstrap:debootstrap systemd-nspawn:systemd-container ip:iproute2 \
    nsenter:util-linux pgrep:procps unzip:unzip dpkg-deb:dpkg; do
    tool=${pair%%:*}
    package=${pair#*:}
    command -v "$tool" >/dev/null || missing+=("$package")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
    echo "installing ${missing[*]}"
    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" ||
      return 1
  fi
  echo "debootstrap $(debootstrap --version | awk '{print $2}'), $(systemd-nspawn --version | head -n 1)"
}

arch=$(dpkg --print-architecture)
packages() {
  if [ -z "$packages_dir" ]; then
    packages_dir=$work/packages
    DEB_ARCHES=$arch "$top/packaging/build-packages.sh" "${build_args[@]}" --out "$packages_dir" ||
      return 1
  fi
  deb=$(compgen -G "$packages_dir/paird_*_$arch.deb" | head -n 1) || true
  tarball=$(compgen -G "$packages_dir/paird-*.tar.gz" | head -n 1) || true
  if [ -z "$deb" ] || [ -z "$tarball" ]; then
    echo "no paird_*_$arch.deb or paird-*.tar.gz in $packages_dir"
    return 1
  fi
  echo "$(basename "$deb"), $(basename "$tarball")"
}

# Both main classes must be in the package: every check below runs paird or pairctl.
inspect_jars() {
  mkdir -p "$work/deb"
  dpkg-deb -x "$deb" "$work/deb" || return 1
  local lib=$work/deb/usr/share/paird/lib status=0
  has_main "$lib/daemon" paird-daemon dev/paird/daemon/Paird.class || status=1
  has_main "$lib/ctl" paird-ctl dev/paird/ctl/PairCtl.class || status=1
  return "$status"
}
# has_main DIR JAR_NAME CLASS_FILE
has_main() {
  local jar
  jar=$(compgen -G "$1/$2-*.jar" | head -n 1) || true
  if [ -n "$jar" ] && unzip -l "$jar" "$3" >/dev/null 2>&1; then
    echo "$(basename "$jar"): $3"
  else
    echo "no $3 in $1/$2-*.jar"
    return 1
  fi
}

rootfs() {
  rootfs_tar=$("$here/rootfs.sh") || return 1
  echo "$rootfs_tar ($(du -h "$rootfs_tar" | cut -f1))"
}

network() {
  local c
  for c in A B; do
    ip netns add "${netns[$c]}" && ip -n "${netns[$c]}" link set lo up || return 1
  done
  ip link add "pst$tag" type veth peer name "pst${tag}b" &&
    ip link set "pst$tag" netns "${netns[A]}" name eth0 &&
    ip link set "pst${tag}b" netns "${netns[B]}" name eth0 || return 1
  for c in A B; do
    ip -n "${netns[$c]}" addr add "${ip[$c]}/24" dev eth0 &&
      ip -n "${netns[$c]}" link set eth0 up || return 1
  done
  echo "${netns[A]} eth0 ${ip[A]}/24 <-> ${netns[B]} eth0 ${ip[B]}/24"
}

prepare_root() {
  local c=$1 r=${root[$1]}
  mkdir -p "$r"
  tar -C "$r" --numeric-owner --xattrs --xattrs-include='*' --acls -xf "$rootfs_tar" || return 1
  echo "${host[$c]}" >"$r/etc/hostname"
  printf '%s %s\n' "${ip[A]}" "${host[A]}" "${ip[B]}" "${host[B]}" >>"$r/etc/hosts"
  cp "$deb" "$r/root/paird.deb"
  cp "$tarball" "$r/root/"
}

# Both roots at once: unpacking is mostly waiting for the disk.
unpack_roots() {
  local a b
  prepare_root A &
  a=$!
  prepare_root B &
  b=$!
  wait "$a" && wait "$b" && du -sh "${root[A]}" "${root[B]}"
}

boot() {
  local c=$1
  systemd-nspawn --boot --register=no --keep-unit --console=read-only \
    --network-namespace-path="/run/netns/${netns[$c]}" --machine="${machine[$c]}" \
    -D "${root[$c]}" </dev/null >"$work/console-$c.log" 2>&1 &
  nspawn[$c]=$!
}

# The container's init is the child of systemd-nspawn once it has become systemd.
find_leader() {
  local c=$1 pid
  for pid in $(pgrep -P "${nspawn[$c]}"); do
    if [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = systemd ]; then
      leader[$c]=$pid
      return 0
    fi
  done
  return 1
}

# systemctl needs the manager's private socket, which appears a moment after init starts.
has_bus() {
  ct "$1" test -S /run/systemd/private
}

booted() {
  local c=$1 state
  poll 30 find_leader "$c" || { echo "no init after 30s"; tail -n 20 "$work/console-$c.log"; return 1; }
  poll 30 has_bus "$c" || { echo "no systemd bus after 30s"; tail -n 20 "$work/console-$c.log"; return 1; }
  state=$(ct "$c" timeout 120 systemctl is-system-running --wait) || true
  case $state in
    running) ;;
    degraded)
      # Booted, but some unit of the base system failed (paird is not installed yet): say
      # which, and go on.
      echo "systemd is degraded; failed units:"
      ct "$c" systemctl --failed --no-pager --plain --no-legend || true
      ct "$c" journalctl --no-pager -o cat -p warning -b -n 10 || true
      ;;
    *)
      echo "systemd is '$state'"
      ct "$c" systemctl --failed --no-pager || true
      tail -n 20 "$work/console-$c.log"
      return 1
      ;;
  esac
  echo "systemd is $state (leader PID ${leader[$c]}, $(ct "$c" systemd-analyze 2>/dev/null | head -n 1))"
}

# --- Package checks --------------------------------------------------------------------------
install_deb() {
  local c=$1
  ct "$c" apt-get install -y -q /root/paird.deb >"$work/apt-$c.log" 2>&1 || {
    tail -n 30 "$work/apt-$c.log"
    return 1
  }
  grep -E "^(Setting up|Creating|Created symlink)" "$work/apt-$c.log"
}

settled() {
  [ "$(ct "$1" systemctl is-active paird)" != activating ]
}

service_ready() {
  local c=$1 state
  poll 60 settled "$c" || true
  state=$(ct "$c" systemctl show paird -p ActiveState -p SubState -p NRestarts -p StatusText |
    sort | tr '\n' ' ')
  echo "$state"
  # Type=notify: the unit is active only once paird has sent READY=1.
  if ! expect "ActiveState" "ActiveState=active" "$(ct "$c" systemctl show paird -p ActiveState)" ||
    ! expect "enabled at install" "enabled" "$(ct "$c" systemctl is-enabled paird)" ||
    ! expect "restarts" "NRestarts=0" "$(ct "$c" systemctl show paird -p NRestarts)" ||
    ! expect "main process" "java" "$(ct "$c" cat "/proc/$(ct "$c" systemctl show paird -p MainPID --value)/comm")"; then
    ct "$c" journalctl -u paird --no-pager -n 30 -o cat
    return 1
  fi
}

unit_verifies() {
  local out
  out=$(ct A systemd-analyze verify paird.service paird-trust-changed.path \
    paird-trust-changed.service 2>&1) || { echo "$out"; return 1; }
  [ -z "$out" ] || { echo "$out"; return 1; }
  echo "systemd-analyze verify paird.service paird-trust-changed.{path,service}: no findings"
  # The score of the running unit, and of the installed file alone: no more than the 1.3 that
  # README.md and SYSTEMD.md quote, so that a weakened sandbox fails here.
  local running offline
  running=$(ct A systemd-analyze security paird --no-pager | tail -n 1)
  offline=$(ct A systemd-analyze security --offline=true --no-pager \
    /lib/systemd/system/paird.service | tail -n 1)
  echo "security paird: $running"
  echo "security --offline=true: $offline"
  expect "exposure of the running unit at most 1.3" yes "$(exposure_at_most 1.3 "$running")" &&
    expect "exposure of the unit file at most 1.3" yes "$(exposure_at_most 1.3 "$offline")"
}

# exposure_at_most LIMIT LINE: yes if the score in systemd-analyze security's last LINE is at
# most LIMIT.
exposure_at_most() {
  echo "$2" | awk -v limit="$1" '{ for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+\.[0-9]+$/) { print ($i + 0 <= limit + 0 ? "yes" : "no"); exit } print "no" }'
}

sandbox() {
  local c=$1 pid status
  pid=$(ct "$c" systemctl show paird -p MainPID --value)
  status=$(ct "$c" cat "/proc/$pid/status")
  # seen COLUMN PATH: a column of findmnt for what the main process sees mounted at PATH.
  seen() { ct "$c" findmnt --task "$pid" -n -o "$1" --mountpoint "$2" | tail -n 1; }
  expect "user" "paird" "$(ct "$c" ps -o user= -p "$pid")" &&
    expect "NoNewPrivs" "1" "$(awk '/^NoNewPrivs:/ {print $2}' <<<"$status")" &&
    expect "Seccomp (2 = filter)" "2" "$(awk '/^Seccomp:/ {print $2}' <<<"$status")" &&
    expect "CapEff" "0000000000000000" "$(awk '/^CapEff:/ {print $2}' <<<"$status")" &&
    expect "CapBnd" "0000000000000000" "$(awk '/^CapBnd:/ {print $2}' <<<"$status")" &&
    expect "/ (ProtectSystem=strict)" "ro" "$(seen OPTIONS / | cut -d, -f1)" &&
    expect "/var/lib/paird (StateDirectory)" "rw" "$(seen OPTIONS /var/lib/paird | cut -d, -f1)" &&
    expect "/home (ProtectHome)" "mounted over" "$(seen TARGET /home | sed 's|^/home$|mounted over|')" &&
    expect "/tmp (PrivateTmp)" "mounted over" "$(seen TARGET /tmp | sed 's|^/tmp$|mounted over|')" &&
    expect "/proc (ProtectProc, ProcSubset)" "hidepid=invisible,subset=pid" \
      "$(seen OPTIONS /proc | grep -oE 'hidepid=[a-z]+,subset=pid')" &&
    expect "class-data archive mapped (made by postinst, readable in the sandbox)" "yes" \
      "$(ct "$c" grep -q /var/cache/paird/paird.jsa "/proc/$pid/maps" && echo yes || echo no)" &&
    expect "unit: NoExecPaths, ExecPaths" \
      "NoExecPaths=/ /tmp /var/tmp /dev/shm /var/lib/paird /run/paird -/var/lib/paird-trust-changed/pending ExecPaths=/usr" \
      "$(ct "$c" systemctl show paird -p NoExecPaths -p ExecPaths | sort -r | tr '\n' ' ' | sed 's/ $//')" &&
    expect "noexec (NoExecPaths): / /tmp /var/tmp /var/lib/paird /run/paird /dev/shm the flag's directory; /usr not" \
      "yes yes yes yes yes yes yes no" \
      "$(for m in / /tmp /var/tmp /var/lib/paird /run/paird /dev/shm /var/lib/paird-trust-changed/pending /usr; do
        ct "$c" findmnt --task "$pid" -n -o OPTIONS --target "$m" | tail -n 1 | grep -qw noexec &&
          echo yes || echo no
      done | tr '\n' ' ' | sed 's/ $//')" &&
    native_mapped "$c" "$pid" /usr/lib/paird/native
}

# escape_attempts C: what code running as paird could do, tried by packaging/systemtest/
# escape.pl as user paird twice: with no sandbox, where every attempt succeeds (the control,
# so that each attempt can tell), and under paird.service's own sandbox, in a oneshot unit made
# from the installed paird.service by changing only what a oneshot needs (its type, command,
# output, a runtime directory of its own), where each must fail.
escape_line='escape.pl /var/lib/paird /home/paird-escape-readable /tmp /var/tmp /dev/shm /var/lib/paird /var/lib/paird-trust-changed/pending'
escape_attempts() {
  local c=$1 r=${root[$1]} plain boxed changed
  install -m 0644 "$here/escape.pl" "$r/usr/local/lib/escape.pl" &&
    install -m 0644 /dev/null "$r/home/paird-escape-readable" || return 1
  plain=$(ct "$c" runuser -u paird -- perl /usr/local/lib/$escape_line /run/paird 2>&1) ||
    { echo "$plain"; return 1; }
  sed -e 's|^Description=.*|Description=escape.pl under the sandbox of paird.service|' \
    -e '/^Wants=/d' -e 's|^Type=notify$|Type=oneshot|' -e '/^NotifyAccess=/d' \
    -e '/^SuccessExitStatus=/d' -e '/^RestartPreventExitStatus=/d' -e '/^Restart=/d' \
    -e '/^RestartSec=/d' -e "s|^ExecStart=.*|ExecStart=/usr/bin/perl /usr/local/lib/$escape_line /run/paird-escape|" \
    -e 's|^RuntimeDirectory=paird$|RuntimeDirectory=paird-escape|' \
    -e 's|^\(NoExecPaths=.*\) /run/paird \(.*\)$|\1 /run/paird-escape \2|' -e '/^\[Install\]$/,$d' \
    "$r/lib/systemd/system/paird.service" >"$r/etc/systemd/system/paird-escape.service" &&
    echo 'StandardOutput=truncate:/root/paird-escape.out' >>"$r/etc/systemd/system/paird-escape.service" ||
    return 1
  # Every line of paird.service that differs is one of those, so the sandbox is paird's own.
  changed=$(diff "$r/lib/systemd/system/paird.service" "$r/etc/systemd/system/paird-escape.service" |
    grep -E '^[<>] ' | grep -vE '^[<>] (#.*|\[Install\]|(Description|Wants|Type|NotifyAccess|SuccessExitStatus|RestartPreventExitStatus|Restart|RestartSec|ExecStart|RuntimeDirectory|StandardOutput|WantedBy)=.*|NoExecPaths=/ /tmp /var/tmp /dev/shm /var/lib/paird /run/paird(-escape)? -/var/lib/paird-trust-changed/pending)?$' || true)
  expect "lines of paird.service changed for the oneshot beyond its type, command, output and runtime directory" "" "$changed" ||
    return 1
  ct "$c" systemctl daemon-reload && ct "$c" systemctl start paird-escape.service ||
    { ct "$c" journalctl -u paird-escape --no-pager -n 20 -o cat; return 1; }
  boxed=$(cat "$r/root/paird-escape.out")
  rm -f "$r/etc/systemd/system/paird-escape.service" "$r/root/paird-escape.out" \
    "$r/usr/local/lib/escape.pl" "$r/home/paird-escape-readable"
  ct "$c" systemctl daemon-reload
  echo "as paird, no sandbox:"
  printf '  %s\n' "${plain//$'\n'/$'\n'  }"
  echo "as paird, in paird.service's sandbox:"
  printf '  %s\n' "${boxed//$'\n'/$'\n'  }"
  expect "every attempt without the sandbox" "$escape_plain" "$plain" &&
    expect "every attempt in the sandbox" "$escape_boxed" "$boxed"
}
escape_plain='exec /tmp ok
exec /var/tmp ok
exec /dev/shm ok
exec /var/lib/paird ok
exec /var/lib/paird-trust-changed/pending ok
exec /run/paird ok
setuid-bit ok
read /home ok
see /proc/1 ok
write /run/lock ok
writable /dev/mqueue /dev/shm /run/lock /run/paird /tmp /var/lib/paird /var/lib/paird-trust-changed/pending /var/tmp
socket AF_NETLINK ok
socket AF_INET ok
unshare user namespace ok
personality ok
ptrace ok'
# NoExecPaths (exec), RestrictSUIDSGID, ProtectHome, ProtectProc, ProtectSystem=strict with
# ReadOnlyPaths=/run (write, writable), RestrictAddressFamilies, RestrictNamespaces,
# LockPersonality and the system call filter.
escape_boxed='exec /tmp EACCES
exec /var/tmp EACCES
exec /dev/shm EACCES
exec /var/lib/paird EACCES
exec /var/lib/paird-trust-changed/pending EACCES
exec /run/paird-escape EACCES
setuid-bit EPERM
read /home EACCES
see /proc/1 ENOENT
write /run/lock EROFS
writable /dev/mqueue /dev/shm /run/paird-escape /tmp /var/lib/paird /var/lib/paird-trust-changed/pending /var/tmp
socket AF_NETLINK EAFNOSUPPORT
socket AF_INET ok
unshare user namespace EPERM
personality EPERM
ptrace EPERM'

# native_mapped C PID DIR: the native libraries of Netty that process PID maps are epoll's and
# BoringSSL's, both from DIR, and none is a copy unpacked to a temporary file, which Netty
# deletes right after loading it (so the map says "(deleted)") and which its /tmp would show.
native_mapped() {
  local c=$1 pid=$2 dir=$3 arch
  arch=$(ct "$c" uname -m)
  [ "$arch" != aarch64 ] || arch=aarch_64
  expect "native libraries mapped" \
    "$dir/libnetty_tcnative_linux_$arch.so $dir/libnetty_transport_native_epoll_$arch.so" \
    "$(ct "$c" awk '$6 ~ /netty/ { $1 = $2 = $3 = $4 = $5 = ""; sub(/^ +/, ""); print }' \
      "/proc/$pid/maps" | sort -u | tr '\n' ' ' | sed 's/ $//')" &&
    expect "files in paird's /tmp" "" "$(ct "$c" ls -A "/proc/$pid/root/tmp" | grep -v '^hsperfdata_' || true)"
}

# archive_trained_on_a_second_start C: postinst's archive of paird holds what a start with an
# identity loads (the daemon's classes, the PEM-free reading of the identity) and not what only
# making one needs (BouncyCastle's certificate builder): make-cds-archive trains on paird's second
# start. The JVM lists an archive's classes with the flags the launcher uses with it.
archive_trained_on_a_second_start() {
  local classes
  classes=$(ct "$1" java -Xshare:on -XX:SharedArchiveFile=/var/cache/paird/paird.jsa \
    -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:+PrintSharedArchiveAndExit \
    -cp '/usr/share/paird/lib/daemon/*' 2>/dev/null)
  expect "paird.jsa: the daemon's classes, not an identity's making" "Daemon 1 builder 0" \
    "Daemon $(grep -c ' dev\.paird\.daemon\.Daemon ' <<<"$classes") builder $(grep -c 'X509v3CertificateBuilder' <<<"$classes")"
}

files_and_socket() {
  local c=$1
  expect "user paird" "paird:/var/lib/paird:/usr/sbin/nologin" \
    "$(ct "$c" getent passwd paird | cut -d: -f1,6,7)" &&
    expect "/var/lib/paird" "paird:paird 711" "$(ct "$c" stat -c '%U:%G %a' /var/lib/paird)" &&
    expect "/run/paird" "paird:paird 750" "$(ct "$c" stat -c '%U:%G %a' /run/paird)" &&
    expect "the trust-changed flag's directory (tmpfiles.d)" "root:paird-trust-changed 1770" \
      "$(ct "$c" stat -c '%U:%G %a' /var/lib/paird-trust-changed/pending)" &&
    expect "/etc/paird/paird.conf" "root:root 644" \
      "$(ct "$c" stat -c '%U:%G %a' /etc/paird/paird.conf)" &&
    expect "native libraries" "root:root 755 root:root 644 root:root 644" \
      "$(ct "$c" sh -c 'stat -c "%U:%G %a" /usr/lib/paird/native /usr/lib/paird/native/*.so' | tr '\n' ' ' | sed 's/ $//')" &&
    expect "class-data archives" "root:root 644 root:root 644" \
      "$(ct "$c" stat -c '%U:%G %a' /var/cache/paird/paird.jsa /var/cache/paird/pairctl.jsa | tr '\n' ' ' | sed 's/ $//')" &&
    archive_trained_on_a_second_start "$c" &&
    expect "identity: certificate, private key" "paird 644 paird 600" \
      "$(ct "$c" stat -c '%U %a' /var/lib/paird/identity/cert.pem /var/lib/paird/identity/key.pem | tr '\n' ' ' | sed 's/ $//')" &&
    expect "control socket" "srw-rw---- paird paird" \
      "$(ct "$c" ls -l /run/paird/control.sock | awk '{print $1, $3, $4}')" &&
    expect "pairing listener" "*:7247" \
      "$(ct "$c" ss -Htln 'sport = :7247' | awk '{print $4}' | head -n 1)"
}

users() {
  local c=$1
  ct "$c" useradd --create-home --groups paird alice &&
    ct "$c" useradd --create-home mallory &&
    echo "alice: $(ct "$c" id alice)" && echo "mallory: $(ct "$c" id mallory)"
}

# names_group_paird TEXT: whether TEXT tells the user that group paird is what they lack.
names_group_paird() {
  grep -qiE "group.{0,20}'?paird|'?paird'?.{0,20}group" <<<"$1"
}

socket_access() {
  local c=$1 out status=0
  out=$(as "$c" alice pairctl status 2>&1) || status=$?
  echo "alice: pairctl status"
  printf '  %s\n' "${out//$'\n'/$'\n'  }"
  expect "alice's exit status" 0 "$status" || return 1
  status=0
  out=$(as "$c" mallory pairctl status 2>&1 >/dev/null) || status=$?
  echo "mallory: pairctl status"
  printf '  %s\n' "${out//$'\n'/$'\n'  }"
  expect "mallory's exit status" 4 "$status" || return 1
  # pairctl's users are in group paird, which may not write where paird raises its flag.
  expect "alice (group paird) making a directory where paird raises its flag" "refused" \
    "$(as "$c" alice mkdir /var/lib/paird-trust-changed/pending/changed 2>/dev/null && echo made || echo refused)" ||
    return 1
  if names_group_paird "$out"; then
    echo "the message names the group paird"
  else
    echo "the message does not say that group paird is needed"
    return 1
  fi
}

# Before pairing, a ping crosses the veth, completes the TLS handshake and the protocol's ping
# exchange, and is refused because neither device trusts the other: exit 5, not_trusted.
untrusted_ping() {
  local from=$1 to=$2 out status=0
  out=$(as "$from" alice pairctl --json ping "${ip[$to]}" 2>/dev/null) || status=$?
  echo "$out"
  expect "exit status" 5 "$status" &&
    expect "error code" not_trusted "$(ct "$from" jq -r .error.code <<<"$out")"
}

# --- Pairing ---------------------------------------------------------------------------------
declare -A fingerprint=()
key=""
key_id=""
# When the pairing began (the containers share the host's clock), for reading the journals.
pairing_since=""

fingerprints() {
  local c
  for c in A B; do
    fingerprint[$c]=$(as "$c" alice pairctl --json status | ct "$c" jq -r .fingerprint) || true
    expect "fingerprint of $c" "non-empty" "${fingerprint[$c]:+non-empty}" || return 1
    echo "  ${fingerprint[$c]}"
  done
  [ "${fingerprint[A]}" != "${fingerprint[B]}" ] || { echo "A and B have the same fingerprint"; return 1; }
}

new_key() {
  local out
  pairing_since=$(date +%s)
  out=$(as A alice pairctl --json new-key) || { echo "$out"; return 1; }
  key=$(ct A jq -r .key <<<"$out")
  key_id=$(ct A jq -r .id <<<"$out")
  if [ -z "$key" ] || [ "$key" = null ]; then
    echo "no key in: $out"
    key=""
    return 1
  fi
  # The key itself stays out of the log.
  ct A jq -c '{suite, id, expires_at}' <<<"$out"
}

paired=no
pair() {
  [ -n "$key" ] || { echo "no key: new-key failed"; return 1; }
  # The key on standard input, as the docs teach: never on a command line other users can read.
  printf '%s\n' "$key" | as B alice pairctl pair "${ip[A]}" --label "${host[A]}" && paired=yes
}

trusted_lists() {
  local c other
  for c in A B; do
    [ "$c" = A ] && other=B || other=A
    expect "trusted on $c" "${fingerprint[$other]:-?}" \
      "$(as "$c" alice pairctl --json list-trusted | ct "$c" jq -r '[.peers[].fingerprint] | join(",")')" ||
      return 1
  done
}

# A ping succeeds only if each device trusts the other, and it reports whom it reached.
ping_peer() {
  local from=$1 to=$2 out
  out=$(as "$from" alice pairctl --json ping "${ip[$to]}") || { echo "$out"; return 1; }
  echo "$out"
  expect "peer's fingerprint" "${fingerprint[$to]:-?}" "$(ct "$from" jq -r .peer.fingerprint <<<"$out")"
}

# journal_of C: the paird unit's journal on C since the pairing began, message text only.
journal_of() {
  ct "$1" journalctl -q --no-pager -o cat -u paird --since "@$pairing_since"
}

pairing_logged() {
  local uid
  [ "$paired" = yes ] || { echo "nothing to look for: pairing failed"; return 1; }
  # A, the side that showed the key, says whom it now trusts and where they came from, and has
  # the audit line of alice's new-key.
  uid=$(ct A id -u alice)
  logged A "the pairing with B" "paired with .* \(${fingerprint[B]}\) from ${ip[B]} using spake2; it is now trusted" &&
    logged A "audit of new-key" "uid=$uid pid=[0-9]+ command=new-key .*result=ok" || return 1
  # B, the side that typed the key, has the audit line of alice's pair command.
  uid=$(ct B id -u alice)
  logged B "audit of pair" \
    "uid=$uid pid=[0-9]+ command=pair host=${ip[A]} .*fingerprint=${fingerprint[A]} result=ok"
}
# logged C WHAT REGEX: prints the line of paird's journal on C, since the pairing, that matches.
logged() {
  local c=$1 lines
  lines=$(journal_of "$c" | grep -E "$3") || true
  if [ -n "$lines" ]; then
    printf '%s, %s: %s\n' "$c" "$2" "$lines"
  else
    printf '%s, %s: no line matches %s; the last lines:\n' "$c" "$2" "$3"
    journal_of "$c" | tail -n 20 | sed 's/^/  /'
    return 1
  fi
}

# The key as shown, without its separators, and its secret digits alone, must appear in
# neither container's journal (all of it, not only paird's lines).
no_key_logged() {
  local c compact secret found=()
  [ -n "$key" ] || { echo "nothing to look for: new-key failed"; return 1; }
  compact=${key//[- ]/}
  # A spake2 code is the slot, the secret digits and a check digit.
  secret=${compact#"$key_id"}
  secret=${secret%?}
  [ ${#secret} -ge 6 ] || { echo "cannot find the secret digits in a key of ${#compact} characters"; return 1; }
  for c in A B; do
    ct "$c" journalctl -q --no-pager -o cat >"$work/journal-$c.txt" || return 1
    if grep -qF -e "$key" -e "$compact" -e "$secret" "$work/journal-$c.txt"; then
      found+=("$c")
    fi
    echo "$c: $(wc -l <"$work/journal-$c.txt") journal lines searched"
  done
  expect "journals containing the key" "" "${found[*]}"
}

# --- Consumers: nginx on A, curl on B, configured as docs/INTEGRATION.md says ---------------
# The nginx site of INTEGRATION.md: client certificates required, trusted from paird's output
# only, through the file the 50-nginx program of INTEGRATION.md derives, and served with the
# copies of the device's certificate and key that its 40-device-copies program makes.
# doc_block LINE: the code block of docs/INTEGRATION.md that holds LINE, without its fences:
# the system test installs the recipes as the document gives them.
doc_block() {
  awk -v line="$1" '
    /^```/ {
      if (inside && found) { printf "%s", text; exit }
      inside = !inside; text = ""; found = 0; next
    }
    inside { text = text $0 "\n"; if ($0 == line) found = 1 }
  ' "$top/docs/INTEGRATION.md"
}
nginx_site=$(doc_block '# /etc/nginx/sites-available/paird, linked from sites-enabled/')
nginx_hook=$(doc_block '# /etc/paird/trust-changed.d/50-nginx (mode 0755)')
device_copies_hook=$(doc_block '# /etc/paird/trust-changed.d/40-device-copies (mode 0755)')

nginx_setup() {
  local c=$1
  [ -n "$nginx_site" ] && [ -n "$nginx_hook" ] && [ -n "$device_copies_hook" ] ||
    { echo "the nginx recipe is not in docs/INTEGRATION.md as doc_block looks for it"; return 1; }
  printf '%s\n' "$nginx_site" >"${root[$c]}/etc/nginx/sites-available/paird" &&
    ln -sf ../sites-available/paird "${root[$c]}/etc/nginx/sites-enabled/paird" &&
    rm -f "${root[$c]}/etc/nginx/sites-enabled/default" &&
    mkdir -p "${root[$c]}/etc/paird/trust-changed.d" &&
    printf '%s\n' "$device_copies_hook" >"${root[$c]}/etc/paird/trust-changed.d/40-device-copies" &&
    printf '%s\n' "$nginx_hook" >"${root[$c]}/etc/paird/trust-changed.d/50-nginx" &&
    chmod 0755 "${root[$c]}/etc/paird/trust-changed.d/40-device-copies" \
      "${root[$c]}/etc/paird/trust-changed.d/50-nginx" || return 1
  expect "paird-trust-changed.path" "active" "$(ct "$c" systemctl is-active paird-trust-changed.path)" ||
    return 1
  # Once by hand, as INTEGRATION.md says, so that the files nginx reads exist before a change.
  # Polled: in a container, systemd may still be removing the cgroup of the run the pairing
  # started, and then fails this start (status 219/CGROUP) without running anything.
  poll 15 ct "$c" systemctl start paird-trust-changed.service &&
    expect "the copy of the device's key nginx reads" "root 600" \
      "$(ct "$c" stat -c '%U %a' /var/lib/paird-trust-changed/device-key.pem)" &&
    ct "$c" cmp /var/lib/paird/identity/key.pem /var/lib/paird-trust-changed/device-key.pem &&
    ct "$c" nginx -t 2>&1 &&
    ct "$c" systemctl restart nginx &&
    expect "nginx" "active" "$(ct "$c" systemctl is-active nginx)"
}

# https_code FROM TO [CURL OPTION...]: the HTTP status curl on FROM gets from nginx on TO,
# presenting FROM's paird identity; 000 if the TLS handshake failed.
https_code() {
  local from=$1 to=$2
  shift 2
  ct "$from" curl -s -o /dev/null -w '%{http_code}' --max-time 10 \
    --cert /var/lib/paird/identity/cert.pem --key /var/lib/paird/identity/key.pem \
    "$@" "https://${host[$to]}:8443/" || true
}
# curl_gets FROM TO CODE: polls (nginx reloads in the background) until curl gets CODE.
curl_gets() {
  local from=$1 to=$2 want=$3 got
  code_is() { got=$(https_code "$from" "$to" --cacert /var/lib/paird/trusted.pem); [ "$got" = "$want" ]; }
  poll 30 code_is
  expect "curl on $from (--cacert trusted.pem) -> nginx on $to" "$want" "$got"
}
curl_with_pin() {
  local pin
  pin=$(as B alice pairctl --json show "${fingerprint[A]}" | ct B jq -r .peer.spki_pin)
  echo "A's pin, from pairctl show on B: $pin"
  # --insecure turns off the CA check only; curl still refuses a key that is not the pinned one.
  expect "curl on B (--pinnedpubkey) -> nginx on A" 200 \
    "$(https_code B A --insecure --pinnedpubkey "$pin")" &&
    expect "curl on B (another pin) -> nginx on A" 000 \
      "$(https_code B A --insecure --pinnedpubkey 'sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=')"
}
remove_b_on_a() {
  as A alice pairctl remove "${fingerprint[B]}"
}

# change_as_a_run_ends: a change that comes after the runner last looked at the outputs, while
# its run is still ending, must start it again: systemd folds a start asked for then into the
# run that is ending, so it is paird's flag, looked at again when the run has ended, that does.
# The moment is widened here to 10 s by a drop-in (a sleep after the runner); in it, B is
# removed on A, and paired again while the run that made nginx refuse B has not ended.
window_dropin=/etc/systemd/system/paird-trust-changed.service.d/system-test-window.conf
change_as_a_run_ends() {
  local state status=1
  mkdir -p "${root[A]}${window_dropin%/*}" &&
    printf '[Service]\nExecStartPost=/bin/sleep 10\n' >"${root[A]}$window_dropin" &&
    ct A systemctl daemon-reload || return 1
  if new_key && remove_b_on_a && curl_gets B A 400 && pair; then
    state=$(ct A systemctl show -p ActiveState --value paird-trust-changed.service)
    expect "the run that made nginx refuse B, when B paired again" "activating" "$state" &&
      curl_gets B A 200 && status=0
  fi
  rm -f "${root[A]}$window_dropin"
  ct A systemctl daemon-reload
  return "$status"
}

# started_in_a_row: systemd's default start limit (5 in 10 s) failed the sixth start and then
# stopped paird-trust-changed.path for good; a burst of changes must not.
started_in_a_row() {
  local i
  for i in 1 2 3 4 5 6 7 8; do
    ct A systemctl start paird-trust-changed.service || {
      ct A systemctl status paird-trust-changed.service --no-pager -n 5
      return 1
    }
  done
  echo "8 starts, each run to its end"
  expect "paird-trust-changed.path" "active" "$(ct A systemctl is-active paird-trust-changed.path)"
}

# changes_in_a_row: a script removing many devices changes the list as fast as paird writes it.
# systemd's default trigger limit (200 starts of the runner within 2 s) would fail
# paird-trust-changed.path for good, and no later change would reach the programs; the unit has
# none. For 4 s the outputs are replaced and the flag raised as paird does it (trusted.p12
# written again, same bytes, and renamed over itself), one change every 0.1 s, less than a run
# apart, so that many start a run of their own; then one more change must still run the
# programs. A program of the test's counts the runs and notes when each began.
count_hook=/etc/paird/trust-changed.d/90-system-test-count
runs_file=/var/lib/paird-trust-changed/system-test-runs
changes_in_a_row() {
  local status=1
  expect "paird-trust-changed.path: TriggerLimitIntervalUSec" 0 \
    "$(ct A systemctl show -p TriggerLimitIntervalUSec --value paird-trust-changed.path)" || return 1
  printf '#!/bin/sh\ncut -d" " -f1 /proc/uptime >>%s\n' "$runs_file" >"${root[A]}$count_hook" &&
    chmod 0755 "${root[A]}$count_hook" || return 1
  flood_then_one_more && status=0
  rm -f "${root[A]}$count_hook" "${root[A]}$runs_file"
  return "$status"
}
flood_then_one_more() {
  local cursor journal starts most before
  cursor=$(ct A journalctl -n 0 --show-cursor -q | sed -n 's/^-- cursor: //p')
  change_outputs 40 0.1 || return 1
  poll 60 runs_ended || { echo "trust-changed still running or its flag up after 60 s"; return 1; }
  journal=$(ct A journalctl --after-cursor="$cursor" -q --no-pager -o short-unix \
    -u paird-trust-changed.service -u paird-trust-changed.path)
  starts=$(grep -c 'Starting paird-trust-changed.service' <<<"$journal") || true
  # The most starts within any 2 s, systemd's default interval.
  most=$(grep 'Starting paird-trust-changed.service' <<<"$journal" | awk '
    { t[NR] = $1 }
    END { m = 0; j = 1; for (i = 1; i <= NR; i++) { while (t[i] - t[j] >= 2) j++; if (i - j + 1 > m) m = i - j + 1 } print m }')
  echo "40 changes: the runner started $starts times, at most $most within 2 s; the programs ran $(runs_counted) times"
  # The programs run at most once a second (PAIRD_HOOK_INTERVAL): seen from the programs, which
  # start a little after their pass, no two runs less than 0.9 s apart.
  closest=$(awk 'NR > 1 && (m == "" || $1 - p < m) { m = $1 - p } { p = $1 } END { print m }' \
    "${root[A]}$runs_file")
  expect "the programs' runs at least 0.9 s apart (closest: ${closest:-one run} s)" yes \
    "$(awk -v m="$closest" 'BEGIN { print (m == "" || m > 0.9) ? "yes" : "no" }')" || return 1
  expect "paird-trust-changed.path after them" "active success" \
    "$(ct A systemctl is-active paird-trust-changed.path) $(ct A systemctl show -p Result --value paird-trust-changed.path)" ||
    return 1
  before=$(runs_counted)
  change_outputs 1 0 || return 1
  ran_since "$before" || poll 15 ran_since "$before" ||
    { echo "one more change: the programs did not run within 15 s"; return 1; }
  echo "one more change: the programs ran"
}
# change_outputs COUNT INTERVAL: COUNT changes on A as paird makes them, INTERVAL seconds apart:
# trusted.p12, the last output, written to a temporary file and renamed over the old one (the
# same bytes: nothing that trusts B changes), then the flag raised unless it is up.
change_outputs() {
  as A paird sh -c '
    cd /var/lib/paird && i=0
    while [ "$i" -lt "$1" ]; do
      cp trusted.p12 .trusted.p12.tmp-system-test && mv -f .trusted.p12.tmp-system-test trusted.p12 || exit 1
      (set -C; : >/var/lib/paird-trust-changed/pending/changed) 2>/dev/null
      [ "$2" = 0 ] || sleep "$2"
      i=$((i + 1))
    done' change_outputs "$1" "$2"
}
runs_ended() {
  case $(ct A systemctl show -p ActiveState --value paird-trust-changed.service) in
    inactive | failed) ! ct A test -e /var/lib/paird-trust-changed/pending/changed ;;
    *) return 1 ;;
  esac
}
runs_counted() {
  cat "${root[A]}$runs_file" 2>/dev/null | wc -l
}
ran_since() {
  [ "$(runs_counted)" -gt "$1" ]
}

# stale_copy_remade: nginx's copy of trusted.pem (made by its program in trust-changed.d) goes
# back to one that still holds B after B's removal, as a power cut before the copy reached the
# disk would leave it, and nginx loads it, as at boot; then paird starts again, as after that
# boot, and the programs run again without a change to the list, so nginx refuses B. B is
# paired again at the end.
stale_copy_remade() {
  local copy=/var/lib/paird-trust-changed/nginx-clients.pem
  ct A cp "$copy" /root/nginx-clients-with-b.pem &&
    remove_b_on_a && curl_gets B A 400 || return 1
  ct A cp /root/nginx-clients-with-b.pem "$copy" && ct A systemctl reload nginx &&
    curl_gets B A 200 || return 1
  echo "nginx loaded the old copy and accepts B; restarting paird"
  ct A systemctl restart paird && curl_gets B A 400 || return 1
  ct A rm -f /root/nginx-clients-with-b.pem
  new_key && pair && curl_gets B A 200
}
# The other outputs: keytool reads the PKCS#12 store, openssl verify -CApath accepts the peer.
other_outputs() {
  local c=$1 other=$2 aliases
  aliases=$(ct "$c" keytool -list -keystore /var/lib/paird/trusted.p12 -storetype PKCS12 </dev/null 2>&1 |
    grep -oE '^[0-9a-f]{64}' | tr '\n' ' ' | sed 's/ $//')
  expect "keytool -list on $c: aliases" "${fingerprint[$other]}" "$aliases" || return 1
  as "$c" alice pairctl show --pem "${fingerprint[$other]}" >"${root[$c]}/root/peer.pem" &&
    ct "$c" openssl verify -no-CAfile -no-CAstore -CApath /var/lib/paird/trusted-certs \
      -verify_hostname "${host[$other]}" /root/peer.pem
}

# --- Restart, journal, purge, tarball --------------------------------------------------------
restart() {
  local c=$1 before after
  before=$(ct "$c" sha256sum /var/lib/paird/identity/cert.pem | cut -c1-64)
  ct "$c" systemctl stop paird || return 1
  # SIGTERM ends a JVM with 143, which SuccessExitStatus= makes a clean stop.
  echo "main process exit status: $(ct "$c" systemctl show paird -p ExecMainStatus --value)"
  expect "stop result" "Result=success" "$(ct "$c" systemctl show paird -p Result)" &&
    expect "/run/paird after stop" "gone" "$(ct "$c" test -e /run/paird && echo present || echo gone)" ||
    return 1
  if ! ct "$c" systemctl start paird || ! ct "$c" systemctl restart paird; then
    ct "$c" journalctl -u paird --no-pager -n 30 -o cat
    return 1
  fi
  after=$(ct "$c" sha256sum /var/lib/paird/identity/cert.pem | cut -c1-64)
  expect "ActiveState" "ActiveState=active" "$(ct "$c" systemctl show paird -p ActiveState)" &&
    expect "identity kept across restarts" "$before" "$after" &&
    expect "control socket" "srw-rw---- paird paird" \
      "$(ct "$c" ls -l /run/paird/control.sock | awk '{print $1, $3, $4}')"
}

journal() {
  local c=$1 raw warnings
  ct "$c" journalctl -q --no-pager -o cat _SYSTEMD_UNIT=paird.service SYSLOG_IDENTIFIER=paird -n 5
  # Under systemd paird prefixes lines with <N>; journald must have turned those into levels.
  raw=$(ct "$c" journalctl -q --no-pager -o cat _SYSTEMD_UNIT=paird.service | grep -cE '^<[0-7]>') || true
  # Nothing in this scenario should make paird warn (a lost sd_notify message, say).
  warnings=$(ct "$c" journalctl -q --no-pager -o cat _SYSTEMD_UNIT=paird.service \
    SYSLOG_IDENTIFIER=paird -p warning) || true
  expect "lines with a raw <N> prefix" 0 "$raw" &&
    expect "info lines from paird" "some" \
      "$(ct "$c" journalctl -q --no-pager -o cat _SYSTEMD_UNIT=paird.service SYSLOG_IDENTIFIER=paird -p info..info | grep -q . && echo some || echo none)" &&
    expect "warnings and errors from paird" "" "$warnings"
}

# apt remove keeps the configuration, the identity and the trusted list, and removes the
# programs and the class-data archives; installing again brings paird back, enabled and running,
# as the same device trusting the same peers.
remove_and_reinstall() {
  local c=$1 identity trusted path kept=() gone=() status
  identity=$(ct "$c" sha256sum /var/lib/paird/identity/cert.pem | cut -c1-64)
  trusted=$(ct "$c" sha256sum /var/lib/paird/trusted.pem | cut -c1-64)
  ct "$c" apt-get remove -y -q paird >"$work/remove-$c.log" 2>&1 || { tail -n 20 "$work/remove-$c.log"; return 1; }
  for path in /etc/paird/paird.conf /var/lib/paird/identity/cert.pem /var/lib/paird/trusted.json; do
    ct "$c" test -e "$path" || gone+=("$path")
  done
  for path in /usr/bin/paird /var/cache/paird /run/paird; do
    ct "$c" test -e "$path" && kept+=("$path")
  done
  # shellcheck disable=SC2016 # ${...} is dpkg-query's format, not the shell's
  status=$(ct "$c" dpkg-query -W -f '${db:Status-Status}' paird 2>/dev/null) || status=unknown
  expect "kept by apt remove, but missing" "" "${gone[*]}" &&
    expect "removed by apt remove, but left" "" "${kept[*]}" &&
    expect "dpkg status after remove" "config-files" "$status" &&
    expect "paird processes after remove" "none" "$(ct "$c" pgrep -u paird >/dev/null && echo some || echo none)" ||
    return 1
  install_deb "$c" >/dev/null || return 1
  poll 60 settled "$c" || true
  expect "ActiveState after installing again" "ActiveState=active" "$(ct "$c" systemctl show paird -p ActiveState)" &&
    expect "enabled after installing again" "enabled" "$(ct "$c" systemctl is-enabled paird)" &&
    expect "identity kept" "$identity" "$(ct "$c" sha256sum /var/lib/paird/identity/cert.pem | cut -c1-64)" &&
    expect "trusted.pem kept" "$trusted" "$(ct "$c" sha256sum /var/lib/paird/trusted.pem | cut -c1-64)" &&
    expect "class-data archives made again" "yes" "$(ct "$c" test -s /var/cache/paird/paird.jsa && echo yes || echo no)"
}

purge() {
  local c=$1 path left=() status
  ct "$c" apt-get purge -y -q paird >"$work/purge-$c.log" 2>&1 || { tail -n 20 "$work/purge-$c.log"; return 1; }
  for path in /usr/bin/paird /usr/bin/pairctl /lib/systemd/system/paird.service \
    /usr/lib/systemd/system/paird.service /usr/lib/sysusers.d/paird.conf /usr/share/paird \
    /usr/share/man/man8/paird.8.gz /usr/share/man/man1/pairctl.1.gz /usr/lib/tmpfiles.d/paird.conf \
    /usr/share/bash-completion/completions/pairctl /usr/share/doc/paird /etc/paird/paird.conf \
    /lib/systemd/system/paird-trust-changed.path /lib/systemd/system/paird-trust-changed.service \
    /usr/lib/paird /var/lib/paird-trust-changed /var/cache/paird \
    /var/lib/paird /run/paird /etc/systemd/system/multi-user.target.wants/paird.service; do
    ct "$c" test -e "$path" && left+=("$path")
  done
  # shellcheck disable=SC2016 # ${...} is dpkg-query's format, not the shell's
  status=$(ct "$c" dpkg-query -W -f '${db:Status-Status}' paird 2>/dev/null) || status=not-installed
  expect "left after purge" "" "${left[*]}" &&
    expect "dpkg status" "not-installed" "$status" &&
    expect "paird processes" "none" "$(ct "$c" pgrep -u paird >/dev/null && echo some || echo none)" &&
    expect "user and group paird (kept, as policy wants)" "kept" \
      "$(ct "$c" getent passwd paird >/dev/null && ct "$c" getent group paird >/dev/null && echo kept || echo gone)"
}

# Follows packaging/INSTALL.
tarball_install() {
  local c=$1 name
  name=$(basename "$tarball" .tar.gz)
  ct "$c" sh -euc "
    cd /root && tar -xzf $name.tar.gz && cd $name
    cp -R bin share lib /usr/local/
    [ -e /etc/paird/paird.conf ] || install -D -m 0644 etc/paird/paird.conf /etc/paird/paird.conf
    systemd-sysusers /usr/local/lib/sysusers.d/paird.conf
    systemd-tmpfiles --create /usr/local/lib/tmpfiles.d/paird.conf
    /usr/local/lib/paird/make-cds-archive
    systemctl daemon-reload
    systemctl enable --now paird" || { ct "$c" journalctl -u paird --no-pager -n 20 -o cat; return 1; }
  expect "unit" "/usr/local/lib/systemd/system/paird.service" \
    "$(ct "$c" systemctl show paird -p FragmentPath --value)" &&
    expect "ActiveState" "ActiveState=active" "$(ct "$c" systemctl show paird -p ActiveState)" &&
    expect "control socket" "srw-rw---- paird paird" \
      "$(ct "$c" ls -l /run/paird/control.sock | awk '{print $1, $3, $4}')" &&
    expect "pairctl on PATH" "/usr/local/bin/pairctl" "$(ct "$c" sh -c 'command -v pairctl')" &&
    native_mapped "$c" "$(ct "$c" systemctl show paird -p MainPID --value)" \
      /usr/local/lib/paird/native || return 1
  ct "$c" sh -euc '
    systemctl disable --now paird
    rm -r /usr/local/bin/paird /usr/local/bin/pairctl /usr/local/share/paird \
      /usr/local/share/man/man8/paird.8.gz /usr/local/share/man/man1/pairctl.1.gz \
      /usr/local/share/bash-completion/completions/pairctl /usr/local/share/doc/paird \
      /usr/local/lib/systemd/system/paird.service /usr/local/lib/sysusers.d/paird.conf \
      /usr/local/lib/tmpfiles.d/paird.conf /usr/local/lib/systemd/system/paird-trust-changed.path \
      /usr/local/lib/systemd/system/paird-trust-changed.service /usr/local/lib/paird \
      /var/cache/paird
    systemctl daemon-reload' &&
    expect "after uninstalling" "not-found" "$(ct "$c" systemctl show paird -p LoadState --value)"
}

# --- The run ---------------------------------------------------------------------------------
echo "== set-up"
must "host tools" host_tools
must "packages" packages
must "package contents: paird and pairctl" inspect_jars
must "Debian 12 root file system" rootfs
must "network namespaces and veth" network
must "two copies of the root file system" unpack_roots
boot A
boot B
must "boot A" booted A
must "boot B" booted B

echo "== package and service"
for c in A B; do
  must "install the .deb on $c" install_deb "$c"
done
for c in A B; do
  step "paird.service active and READY on $c" service_ready "$c" || true
done
step "systemd-analyze verify (in A)" unit_verifies || true
for c in A B; do
  step "sandbox of the main process on $c" sandbox "$c" || true
  [ "$c" = B ] || step "what code running as paird could do, without and with its sandbox" \
    escape_attempts "$c" || true
  step "user, directories, socket and listener on $c" files_and_socket "$c" || true
  must "users alice (group paird) and mallory on $c" users "$c"
  step "control socket on $c: pairctl status as alice 0, as mallory 4 naming group paird" \
    socket_access "$c" || true
done
step "TLS and protocol across the veth: ping B -> A before pairing is not_trusted" \
  untrusted_ping B A || true
step "TLS and protocol across the veth: ping A -> B before pairing is not_trusted" \
  untrusted_ping A B || true

echo "== pairing (pairctl as alice)"
step "pairctl --json status: fingerprints" fingerprints || true
step "pairctl new-key on A" new_key || true
step "pairctl pair ${ip[A]} on B, the key on standard input" pair || true
step "list-trusted: each lists exactly the other" trusted_lists || true
step "pairctl ping A -> B" ping_peer A B || true
step "pairctl ping B -> A" ping_peer B A || true
step "journal: A logged the pairing, B the audit line of pair" pairing_logged || true

echo "== consumers: nginx on A requires client certificates, curl on B (INTEGRATION.md)"
step "nginx on A trusting paird's output, reloaded by /etc/paird/trust-changed.d" nginx_setup A || true
step "curl on B with its identity and A's trusted.pem gets 200" curl_gets B A 200 || true
step "curl on B with A's pin from pairctl show gets 200, another pin fails" curl_with_pin || true
step "PKCS#12 and CApath on A: keytool lists B, openssl verify -CApath accepts it" other_outputs A B || true
step "PKCS#12 and CApath on B: keytool lists A, openssl verify -CApath accepts it" other_outputs B A || true
step "pairctl remove B on A" remove_b_on_a || true
step "without a manual reload, nginx on A now refuses B" curl_gets B A 400 || true
step "pairctl new-key on A again" new_key || true
step "pair B with A again" pair || true
step "without a manual reload, nginx on A accepts B again" curl_gets B A 200 || true
step "a consumer's copy older than the list is made again when paird starts" stale_copy_remade || true
step "a change as a run of trust-changed ends runs the programs again" change_as_a_run_ends || true
step "trust-changed started 8 times in a row: no start limit" started_in_a_row || true
step "40 changes within 4 s, then one more: trust-changed still runs the programs" changes_in_a_row || true

echo "== restart"
for c in A B; do
  step "stop (exit 143 is success), start, restart on $c" restart "$c" || true
done
step "after restart: list-trusted" trusted_lists || true
step "after restart: pairctl ping A -> B" ping_peer A B || true
step "after restart: pairctl ping B -> A" ping_peer B A || true
for c in A B; do
  step "journal of paird on $c: levels, no raw prefixes, no warnings" journal "$c" || true
done
step "journals of A and B: no key value anywhere" no_key_logged || true

echo "== remove, purge and tarball"
step "apt-get remove, then install again, on A" remove_and_reinstall A || true
for c in A B; do
  step "apt-get purge on $c" purge "$c" || true
done
step "tarball installed as INSTALL says, then removed (B)" tarball_install B || true

echo
printf 'paird system test: %d passed, %d failed in %ss\n' \
  "$passed" "$failed" $((SECONDS - started))
if [ "$failed" -gt 0 ]; then
  printf '  failed: %s\n' "${failures[@]}"
  exit 1
fi
