#!/bin/sh
# The Debian packages (issue 14): scripts/build-deb builds them, then their contents, their
# Depends: and lintian are checked. Fails on any lintian error (E:); warnings are printed.
#   deb_test.sh SOURCE_DIR DEB_BUILD_DIR
# DEB_BUILD_DIR is a build directory configured for the packages (prefix /usr): the test's own
# build directory when it is, else one of its own (CMakeLists.txt chooses).
set -eu
source=$1
deb_build=$2
work=$(mktemp -d /tmp/bpffw-test-deb.XXXXXX)
trap 'rm -rf "$work"' EXIT

fail() { echo "deb_test: FAIL: $*" >&2; exit 1; }
command -v lintian >/dev/null || fail "lintian is not installed (scripts/bootstrap installs it)"

"$source/scripts/build-deb" "$deb_build" > "$work/debs" || fail "scripts/build-deb"
deb_of() { grep "/$1_[^/]*\.deb\$" "$work/debs" || fail "scripts/build-deb made no $1 package: $(cat "$work/debs")"; }
bpffw=$(deb_of bpffw)
lib=$(deb_of libbpffw0.1)
dev=$(deb_of bpffw-dev)
[ "$(wc -l < "$work/debs")" -eq 3 ] || fail "expected 3 packages, got: $(cat "$work/debs")"

# Contents: `dpkg-deb -c` lists ./usr/...; each path must be there.
has() {  # has DEB PATH...
  deb=$1; shift
  dpkg-deb -c "$deb" | awk '{ print $6 }' > "$work/list"
  for f in "$@"; do
    grep -qx "./$f" "$work/list" || fail "$(basename "$deb") lacks /$f"
  done
}
has "$bpffw" usr/bin/bpffwc usr/libexec/bpffw/bpffwc-full usr/libexec/bpffw/bpffwc-compiler.so usr/lib/systemd/system/bpf-firewall@.service usr/lib/systemd/system/bpffw-log.service \
  usr/lib/systemd/system/cgroup-sock-drop.service usr/lib/systemd/system/bpffw-metrics.service \
  usr/lib/systemd/system/bpffw-metrics.timer usr/share/man/man1/bpffwc.1.gz \
  usr/share/bash-completion/completions/bpffwc usr/share/doc/bpffw/copyright \
  usr/share/doc/bpffw/changelog.Debian.gz usr/share/doc/bpffw/examples/systemd/filtered-ping@.service
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
has "$lib" "usr/lib/$multiarch/libbpffw.so.0.1" "usr/lib/$multiarch/libbpffw.so.0.1.0" \
  usr/share/doc/libbpffw0.1/copyright usr/share/doc/libbpffw0.1/changelog.Debian.gz
has "$dev" usr/include/bpffw/bpffw.hpp usr/include/bpffw/version.hpp "usr/lib/$multiarch/libbpffw.a" \
  "usr/lib/$multiarch/libbpffw.so" "usr/lib/$multiarch/cmake/bpffw/bpffwConfig.cmake" \
  "usr/lib/$multiarch/pkgconfig/bpffw.pc" usr/share/doc/bpffw-dev/copyright
# Each file in exactly one package.
for deb in "$bpffw" "$lib" "$dev"; do dpkg-deb -c "$deb" | awk '$1 !~ /^d/ { print $6 }'; done | sort | uniq -d > "$work/dups"
[ ! -s "$work/dups" ] || fail "files in more than one package: $(cat "$work/dups")"

# The units call the packaged bpffwc.
dpkg-deb -x "$bpffw" "$work/root"
for unit in "$work"/root/usr/lib/systemd/system/*.service "$work"/root/usr/share/doc/bpffw/examples/systemd/*.service; do
  if grep -q /usr/local "$unit"; then fail "$(basename "$unit") mentions /usr/local: $(grep /usr/local "$unit")"; fi
done
grep -qx 'ExecStart=/usr/bin/bpffwc stats --all --prometheus --output ${BPFFW_METRICS_FILE}' \
  "$work/root/usr/lib/systemd/system/bpffw-metrics.service" || fail "bpffw-metrics.service does not call /usr/bin/bpffwc"
grep -qx 'ExecStart=/usr/bin/bpffwc --force -o /sys/fs/bpf/%i -- %I' "$work/root/usr/lib/systemd/system/bpf-firewall@.service" ||
  fail "bpf-firewall@.service does not call /usr/bin/bpffwc: $(grep ExecStart "$work/root/usr/lib/systemd/system/bpf-firewall@.service")"
gzip -t "$work/root/usr/share/man/man1/bpffwc.1.gz" || fail "the man page is not gzip"
"$work/root/usr/bin/bpffwc" --version > /dev/null || fail "the packaged bpffwc does not run"

# Depends: from dpkg-shlibdeps; LLVM is linked in, so no llvm package, and libbpf is.
for deb in "$bpffw" "$lib"; do
  depends=$(dpkg-deb -f "$deb" Depends)
  echo "deb_test: $(basename "$deb"): Depends: $depends"
  case $depends in *llvm*|*LLVM*) fail "$(basename "$deb") depends on LLVM: $depends" ;; esac
  case $depends in *libbpf1*) ;; *) fail "$(basename "$deb") does not depend on libbpf1: $depends" ;; esac
done
dpkg-deb -f "$dev" Depends | grep -q "libbpffw0.1 (= $(dpkg-deb -f "$lib" Version))" ||
  fail "bpffw-dev does not depend on its libbpffw0.1: $(dpkg-deb -f "$dev" Depends)"

# lintian: no errors. Warnings are printed; the ones that remain are overridden in the packages,
# each with its reason (packaging/deb/*.lintian-overrides), and so do not show here.
status=0
lintian --tag-display-limit 0 "$bpffw" "$lib" "$dev" > "$work/lintian" 2>&1 || status=$?
grep -v '^running with root privileges' "$work/lintian" || true
if grep -q '^E:' "$work/lintian"; then fail "lintian reports errors"; fi
[ "$status" -eq 0 ] || fail "lintian exited with status $status"

echo "deb_test: ok ($(cat "$work/debs" | tr '\n' ' '))"
