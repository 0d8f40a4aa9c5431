#!/bin/bash
# Prints the path of a Debian 12 (bookworm) root file system tarball that boots under
# systemd-nspawn and runs Java 17, building it with debootstrap first if the cache has none.
#
#   packaging/systemtest/rootfs.sh            # run as root; prints /var/cache/.../rootfs-*.tar
#
# The tarball is keyed by the suite, the architecture, the mirror, the package list and this
# script's own text, so a change to any of them builds a new one and a rerun reuses the old one.
# Progress goes to stderr; only the path goes to stdout.
#
# Environment:
#   PAIRD_SYSTEMTEST_CACHE   cache directory (default /var/cache/paird-systemtest)
#   PAIRD_SYSTEMTEST_MIRROR  Debian mirror (default: the first Debian mirror in the host's apt
#                            sources, else http://deb.debian.org/debian)
set -euo pipefail

cache=${PAIRD_SYSTEMTEST_CACHE:-/var/cache/paird-systemtest}
suite=bookworm
# What the system test needs inside each container: an init (systemd, with dbus for systemctl
# and logind), the Java runtime paird depends on, "ip" and "ss" for checks and diagnosis,
# runuser and sudo to act as ordinary users, jq to read pairctl --json, procps, and man-db,
# with which "systemd-analyze verify" checks the unit's Documentation= man pages.
base=(systemd systemd-sysv dbus iproute2 util-linux sudo jq ca-certificates procps man-db)
java=(openjdk-17-jre-headless)
# Consumers of paird's trusted list, configured as docs/INTEGRATION.md says: nginx requiring
# client certificates, curl presenting one, openssl for "verify -CApath".
consumers=(nginx curl openssl)
packages=("${base[@]}" "${java[@]}" "${consumers[@]}")

log() { printf 'rootfs: %s\n' "$*" >&2; }

# The first "deb" source for Debian proper in the host's apt configuration (one-line .list
# files or deb822 .sources files), skipping the security archive, which has no full suites.
host_mirror() {
  local f
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -r "$f" ] || continue
    awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^https?:\/\//) { print $i; break } }' "$f"
  done
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -r "$f" ] || continue
    awk 'tolower($1) == "uris:" { for (i = 2; i <= NF; i++) print $i }' "$f"
  done
}

mirror=${PAIRD_SYSTEMTEST_MIRROR:-}
if [ -z "$mirror" ]; then
  mirror=$(host_mirror | grep -E '/debian/?$' | grep -v -- '-security' | head -n 1 || true)
  mirror=${mirror:-http://deb.debian.org/debian}
fi
mirror=${mirror%/}
arch=$(dpkg --print-architecture)

key=$( {
  printf '%s\n' "$suite" "$arch" "$mirror" "${packages[@]}"
  cat "${BASH_SOURCE[0]}"
} | sha256sum | cut -c1-16)
tarball=$cache/rootfs-$suite-$arch-$key.tar

if [ -s "$tarball" ]; then
  log "reusing $tarball"
  echo "$tarball"
  exit 0
fi

for tool in debootstrap tar; do
  command -v "$tool" >/dev/null || { log "$tool is missing"; exit 1; }
done
mkdir -p "$cache"
work=$(mktemp -d "$cache/build.XXXXXX")
root=$work/root
mounted=()
cleanup() {
  local m
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
    umount -l "${mounted[i]}" 2>/dev/null || true
  done
  rm -rf --one-file-system "$work"
}
trap cleanup EXIT

log "debootstrap $suite ($arch) from $mirror into $root"
started=$(date +%s)
# minbase plus the base packages; Java and the consumers are installed in a second step with
# apt, which runs their maintainer scripts (ca-certificates-java needs a working java and /proc) reliably.
debootstrap --variant=minbase --arch="$arch" --include="$(IFS=,; echo "${base[*]}")" \
  "$suite" "$root" "$mirror" >&2

for m in proc sys dev; do
  mount --rbind "/$m" "$root/$m"
  mount --make-rslave "$root/$m"
  mounted+=("$root/$m")
done
# No service may start inside the chroot while packages are installed.
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod 0755 "$root/usr/sbin/policy-rc.d"
log "installing ${java[*]} ${consumers[*]}"
chroot "$root" /usr/bin/env DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 \
  sh -c 'apt-get update -q && apt-get install -y -q --no-install-recommends "$@" && apt-get clean' \
  sh "${java[@]}" "${consumers[@]}" >&2
rm -f "$root/usr/sbin/policy-rc.d"
for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
  umount -l "${mounted[i]}"
done
mounted=()

# Each container gets its own machine ID from systemd-nspawn at boot; a shared one would make
# both journals look like one machine's.
: >"$root/etc/machine-id"
rm -f "$root/var/lib/dbus/machine-id"
# The console is only logged for diagnosis: no login prompt on it.
ln -sf /dev/null "$root/etc/systemd/system/console-getty.service"
# The containers have no route to a mirror: apt works from the local .deb alone.
rm -rf "$root"/var/lib/apt/lists/*
echo "paird-systemtest" >"$root/etc/hostname"

log "packing $tarball"
tar --numeric-owner --xattrs --xattrs-include='*' --acls -C "$root" -cf "$tarball.tmp" .
mv "$tarball.tmp" "$tarball"
# Tarballs of earlier package lists or script versions are never used again.
find "$cache" -maxdepth 1 -name "rootfs-$suite-$arch-*.tar" ! -path "$tarball" -delete
log "built in $(($(date +%s) - started))s"
echo "$tarball"
