#!/bin/bash
# Builds paird's Debian packages and its tarball from this checkout, reproducibly: two builds
# of one commit give byte-identical files.
#
#   packaging/build-packages.sh                       mvn -B -DskipTests package, then assemble
#   packaging/build-packages.sh --skip-build          assemble from the jars already built
#   packaging/build-packages.sh --check-reproducible  build twice from two copies of the
#                                                     checkout and compare the results
#
# Outputs, in packaging/target/ (or --out DIR):
#   paird_VERSION_amd64.deb  paird_VERSION_arm64.deb  paird-VERSION.tar.gz  SHA256SUMS
#
# VERSION is the root pom's version (a -SNAPSHOT becomes ~snapshot in the Debian version).
# One package per architecture, because the only native code, Netty's epoll transport and
# netty-tcnative (BoringSSL), exists for x86_64 and aarch64 only: each .deb carries its own
# architecture's native jars, and dpkg refuses to install paird where it could not run. The
# tarball carries both. docs/PACKAGING.md describes the layout.
#
# Environment:
#   SOURCE_DATE_EPOCH  the timestamp of every file (default: the last commit's time)
#   DEB_ARCHES         architectures to build (default "amd64 arm64")
# Needs: bash, coreutils, findutils, GNU tar, gzip, unzip, dpkg-deb, git (for the default
# SOURCE_DATE_EPOCH), and Maven with a JDK 17 unless --skip-build.
set -euo pipefail
umask 022
export LC_ALL=C TZ=UTC

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
pkg=$top/packaging
out=$pkg/target
build=yes
check=no

usage() { sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"; }
die() { printf 'build-packages: %s\n' "$*" >&2; exit 1; }
say() { printf 'build-packages: %s\n' "$*" >&2; }

while [ $# -gt 0 ]; do
  case $1 in
    --skip-build) build=no ;;
    --check-reproducible) check=yes ;;
    --out)
      [ $# -ge 2 ] || die "--out needs a directory"
      out=$(mkdir -p "$2" && cd "$2" && pwd)
      shift
      ;;
    -h | --help) usage; exit 0 ;;
    *) die "unknown argument '$1' (try --help)" ;;
  esac
  shift
done

if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
  SOURCE_DATE_EPOCH=$(git -C "$top" log -1 --format=%ct 2>/dev/null) ||
    die "not a git checkout: set SOURCE_DATE_EPOCH"
fi
export SOURCE_DATE_EPOCH

# --- The reproducibility check: two full builds in two different directories ---------------
if [ "$check" = yes ]; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  for copy in one two; do
    mkdir -p "$tmp/$copy/src"
    # The files git would commit (tracked and new), as they are in the working tree.
    (cd "$top" && git ls-files -z --cached --others --exclude-standard |
      while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
      tar --null -T - -cf -) | tar -C "$tmp/$copy/src" -xf -
    say "build $copy of 2 in $tmp/$copy"
    "$tmp/$copy/src/packaging/build-packages.sh" --out "$tmp/$copy/out" >&2
  done
  status=0
  for f in "$tmp"/one/out/*; do
    name=$(basename "$f")
    if cmp -s "$f" "$tmp/two/out/$name"; then
      printf 'identical  %s\n' "$name"
    else
      printf 'DIFFERENT  %s\n' "$name"
      status=1
    fi
  done
  if [ "$status" = 0 ]; then
    say "reproducible: both builds are byte-identical"
  else
    say "NOT reproducible (compare the two with diffoscope)"
  fi
  exit "$status"
fi

# --- Version ---------------------------------------------------------------------------------
version=$(sed -n 's|^  <version>\(.*\)</version>$|\1|p' "$top/pom.xml" | head -n 1)
[ -n "$version" ] || die "cannot read the project version from pom.xml"
deb_version=${version/-SNAPSHOT/\~snapshot}
changelog_version=$(sed -n '1s/^paird (\([^)]*\)).*/\1/p' "$pkg/debian/changelog")
[ "${changelog_version%%~*}" = "${deb_version%%~*}" ] ||
  die "packaging/debian/changelog starts with $changelog_version but pom.xml says $version;" \
    "add a changelog entry for $deb_version"
maintainer=$(sed -n 's/^ -- \(.*>\)  .*/\1/p' "$pkg/debian/changelog" | head -n 1)

# --- Jars ------------------------------------------------------------------------------------
if [ "$build" = yes ]; then
  say "mvn -B -DskipTests package"
  (cd "$top" && mvn -B --no-transfer-progress -DskipTests package) >&2
fi
daemon_lib=$top/daemon/target/lib
ctl_lib=$top/ctl/target/lib
for lib in "$daemon_lib" "$ctl_lib"; do
  compgen -G "$lib/*.jar" >/dev/null || die "no jars in $lib: build them (drop --skip-build)"
done
has_class() { unzip -l "$1" "$2" >/dev/null 2>&1; }
has_class "$daemon_lib/paird-daemon-$version.jar" dev/paird/daemon/Paird.class ||
  die "paird-daemon-$version.jar has no dev.paird.daemon.Paird: paird would not start"
has_class "$ctl_lib/paird-ctl-$version.jar" dev/paird/ctl/PairCtl.class ||
  die "paird-ctl-$version.jar has no dev.paird.ctl.PairCtl: pairctl would not run"
for lib in "$daemon_lib" "$ctl_lib"; do
  has_class "$lib/paird-api-$version.jar" dev/paird/api/ErrorCode.class ||
    die "$lib has no paird-api-$version.jar: neither program would run"
done
# copy-dependencies never deletes: a daemon/target/lib from before paird-api had its own module
# still holds paird-ctl, which must not ship with paird.
if compgen -G "$daemon_lib/paird-ctl-*.jar" >/dev/null; then
  die "$daemon_lib holds a paird-ctl jar from an older build: run mvn clean package"
fi

# --- Assembly helpers ------------------------------------------------------------------------
stage=$out/.stage
rm -rf "$stage"
mkdir -p "$stage"

# put MODE SOURCE DEST: copies one file, creating parent directories.
put() {
  install -D -m "$1" "$2" "$3"
}
# put_gz SOURCE DEST: a gzip-compressed copy without name or time stamp.
put_gz() {
  mkdir -p "$(dirname "$2")"
  gzip -9n <"$1" >"$2"
  chmod 0644 "$2"
}
# put_jars SOURCE_DIR DEST_DIR SKIP_GLOB: the jars, leaving out another platform's natives.
put_jars() {
  local jar
  mkdir -p "$2"
  for jar in "$1"/*.jar; do
    # shellcheck disable=SC2053
    [ -n "$3" ] && [[ $(basename "$jar") == $3 ]] && continue
    put 0644 "$jar" "$2/$(basename "$jar")"
  done
}
# put_natives SOURCE_DIR DEST_DIR SKIP_GLOB: the native libraries inside the jars that put_jars
# ships (META-INF/native/*.so), unpacked for the JVM to load in place instead of Netty copying
# them to a temporary file at every start; and DEST_DIR/jars, the names of the jars they came
# from, by which the launcher makes sure they are the libraries of the jars it runs.
put_natives() {
  local jar entry
  mkdir -p "$2"
  : >"$2/jars"
  for jar in "$1"/*.jar; do
    # shellcheck disable=SC2053
    [ -n "$3" ] && [[ $(basename "$jar") == $3 ]] && continue
    for entry in $(unzip -Z1 "$jar" 'META-INF/native/*.so' 2>/dev/null); do
      unzip -p "$jar" "$entry" >"$2/${entry##*/}"
      chmod 0644 "$2/${entry##*/}"
      printf '%s\n' "$(basename "$jar")" >>"$2/jars"
    done
  done
  [ -s "$2/jars" ] || die "no native libraries in the jars of $1"
  sort -u -o "$2/jars" "$2/jars"
  chmod 0644 "$2/jars"
}
# normalize ROOT: fixed modes for directories and fixed mtimes for everything.
normalize() {
  find "$1" -type d -exec chmod 0755 {} +
  find "$1" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
}

# --- Debian packages -------------------------------------------------------------------------
build_deb() {
  local arch=$1 skip root
  case $arch in
    amd64) skip='*-linux-aarch_64.jar' ;;
    arm64) skip='*-linux-x86_64.jar' ;;
    *) die "no native libraries for architecture $arch" ;;
  esac
  root=$stage/deb-$arch
  put 0755 "$pkg/bin/paird" "$root/usr/bin/paird"
  put 0755 "$pkg/bin/pairctl" "$root/usr/bin/pairctl"
  put_jars "$daemon_lib" "$root/usr/share/paird/lib/daemon" "$skip"
  put_jars "$ctl_lib" "$root/usr/share/paird/lib/ctl" "$skip"
  put_natives "$daemon_lib" "$root/usr/lib/paird/native" "$skip"
  put 0644 "$top/systemd/paird.service" "$root/lib/systemd/system/paird.service"
  put 0644 "$top/systemd/paird-trust-changed.path" "$root/lib/systemd/system/paird-trust-changed.path"
  put 0644 "$top/systemd/paird-trust-changed.service" \
    "$root/lib/systemd/system/paird-trust-changed.service"
  put 0755 "$pkg/libexec/trust-changed" "$root/usr/lib/paird/trust-changed"
  put 0644 "$pkg/libexec/cds.sh" "$root/usr/lib/paird/cds.sh"
  put 0755 "$pkg/libexec/make-cds-archive" "$root/usr/lib/paird/make-cds-archive"
  put 0644 "$top/docs/INTEGRATION.md" "$root/usr/share/doc/paird/INTEGRATION.md"
  put 0644 "$pkg/sysusers.d/paird.conf" "$root/usr/lib/sysusers.d/paird.conf"
  put 0644 "$pkg/tmpfiles.d/paird.conf" "$root/usr/lib/tmpfiles.d/paird.conf"
  put 0644 "$pkg/paird.conf" "$root/etc/paird/paird.conf"
  put_gz "$pkg/man/paird.8" "$root/usr/share/man/man8/paird.8.gz"
  put_gz "$pkg/man/pairctl.1" "$root/usr/share/man/man1/pairctl.1.gz"
  put 0644 "$pkg/completion/pairctl" "$root/usr/share/bash-completion/completions/pairctl"
  put 0644 "$pkg/debian/copyright" "$root/usr/share/doc/paird/copyright"
  put_gz "$pkg/debian/changelog" "$root/usr/share/doc/paird/changelog.gz"
  put 0644 "$pkg/debian/lintian-overrides" "$root/usr/share/lintian/overrides/paird"

  # Installed-Size as dpkg-gencontrol counts it: each file in 1 KiB units, rounded up, and 1
  # for every other object. du would depend on the file system.
  local size
  size=$(find "$root" -mindepth 1 -printf '%y %s\n' |
    awk '$1 == "f" { n += int(($2 + 1023) / 1024); next } { n += 1 } END { print n }')

  mkdir -p "$root/DEBIAN"
  sed -e "s|@VERSION@|$deb_version|" -e "s|@ARCH@|$arch|" -e "s|@MAINTAINER@|$maintainer|" \
    -e "s|@INSTALLED_SIZE@|$size|" "$pkg/debian/control.in" >"$root/DEBIAN/control"
  chmod 0644 "$root/DEBIAN/control"
  put 0644 "$pkg/debian/conffiles" "$root/DEBIAN/conffiles"
  put 0644 "$pkg/debian/triggers" "$root/DEBIAN/triggers"
  local script
  for script in postinst prerm postrm; do
    put 0755 "$pkg/debian/$script" "$root/DEBIAN/$script"
  done
  # md5sums of every file but the conffiles, whose sums dpkg keeps itself.
  (cd "$root" && find . -type f ! -path './DEBIAN/*' ! -path './etc/*' -printf '%P\n' | sort |
    xargs -d '\n' md5sum) >"$root/DEBIAN/md5sums"
  chmod 0644 "$root/DEBIAN/md5sums"

  normalize "$root"
  # gzip: the jars are compressed already, so xz would save under 2% and take 15 times as
  # long; and gzip's output, unlike xz's, does not depend on the number of threads.
  dpkg-deb --root-owner-group -Zgzip -z9 --build "$root" "$out/paird_${deb_version}_$arch.deb" >&2
}

# --- Tarball ---------------------------------------------------------------------------------
# Laid out for the prefix /usr/local (see packaging/INSTALL), with both platforms' natives.
build_tarball() {
  local name=paird-$deb_version
  local root=$stage/tar/$name
  put 0755 "$pkg/bin/paird" "$root/bin/paird"
  put 0755 "$pkg/bin/pairctl" "$root/bin/pairctl"
  put_jars "$daemon_lib" "$root/share/paird/lib/daemon" ""
  put_jars "$ctl_lib" "$root/share/paird/lib/ctl" ""
  put_natives "$daemon_lib" "$root/lib/paird/native" ""
  mkdir -p "$root/lib/systemd/system"
  sed 's|^ExecStart=/usr/bin/paird$|ExecStart=/usr/local/bin/paird|' "$top/systemd/paird.service" \
    >"$root/lib/systemd/system/paird.service"
  grep -qx 'ExecStart=/usr/local/bin/paird' "$root/lib/systemd/system/paird.service" ||
    die "systemd/paird.service has no 'ExecStart=/usr/bin/paird' line to relocate"
  chmod 0644 "$root/lib/systemd/system/paird.service"
  put 0644 "$top/systemd/paird-trust-changed.path" "$root/lib/systemd/system/paird-trust-changed.path"
  sed 's|^ExecStart=/usr/lib/paird/trust-changed$|ExecStart=/usr/local/lib/paird/trust-changed|' \
    "$top/systemd/paird-trust-changed.service" >"$root/lib/systemd/system/paird-trust-changed.service"
  grep -qx 'ExecStart=/usr/local/lib/paird/trust-changed' \
    "$root/lib/systemd/system/paird-trust-changed.service" ||
    die "systemd/paird-trust-changed.service has no 'ExecStart=/usr/lib/paird/trust-changed' line"
  chmod 0644 "$root/lib/systemd/system/paird-trust-changed.service"
  put 0755 "$pkg/libexec/trust-changed" "$root/lib/paird/trust-changed"
  put 0644 "$pkg/libexec/cds.sh" "$root/lib/paird/cds.sh"
  put 0755 "$pkg/libexec/make-cds-archive" "$root/lib/paird/make-cds-archive"
  put 0644 "$top/docs/INTEGRATION.md" "$root/share/doc/paird/INTEGRATION.md"
  put 0644 "$pkg/sysusers.d/paird.conf" "$root/lib/sysusers.d/paird.conf"
  put 0644 "$pkg/tmpfiles.d/paird.conf" "$root/lib/tmpfiles.d/paird.conf"
  put 0644 "$pkg/paird.conf" "$root/etc/paird/paird.conf"
  put_gz "$pkg/man/paird.8" "$root/share/man/man8/paird.8.gz"
  put_gz "$pkg/man/pairctl.1" "$root/share/man/man1/pairctl.1.gz"
  put 0644 "$pkg/completion/pairctl" "$root/share/bash-completion/completions/pairctl"
  put 0644 "$pkg/debian/copyright" "$root/share/doc/paird/copyright"
  sed "s|@VERSION@|$deb_version|g" "$pkg/INSTALL" >"$root/INSTALL"
  chmod 0644 "$root/INSTALL"
  normalize "$stage/tar"
  tar --sort=name --format=gnu --owner=0 --group=0 --numeric-owner \
    --mtime="@$SOURCE_DATE_EPOCH" -C "$stage/tar" -cf - "$name" |
    gzip -9n >"$out/$name.tar.gz"
}

mkdir -p "$out"
rm -f "$out"/paird_*.deb "$out"/paird-*.tar.gz "$out/SHA256SUMS"
for arch in ${DEB_ARCHES:-amd64 arm64}; do
  build_deb "$arch"
done
build_tarball
rm -rf "$stage"
(cd "$out" && sha256sum paird_*.deb paird-*.tar.gz >SHA256SUMS)
say "packages in $out:"
(cd "$out" && ls -l paird_*.deb paird-*.tar.gz) >&2
