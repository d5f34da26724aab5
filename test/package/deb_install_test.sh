#!/usr/bin/env bash
# bpffw and libbpffw0.1 installed as a user would: dpkg -i into a Debian 12 root in a container
# (systemd-nspawn --ephemeral: the root itself is never changed; no network, so only what the root
# has satisfies Depends:), then bpffwc runs from /usr/bin, the units pass systemd-analyze verify,
# the ldconfig trigger registered libbpffw.so.0.1, and dpkg -r removes every file. bpffw-dev is
# only unpacked (its Depends, libbpf-dev and libexpected-dev, are not in the root).
# Needs root and systemd-container.
#   deb_install_test.sh SOURCE_DIR DEB_BUILD_DIR
# The root is test/systemd's ($BPFFW_TEST_ROOT, default /var/cache/bpffw-test/debian12-root,
# built by systemd_container_test, which ctest runs before this one): a missing root fails the test.
# Not yet: booting it and starting the packaged units (test/systemd does that for `cmake --install`).
set -euo pipefail
source=$1
deb_build=$2
root=${BPFFW_TEST_ROOT:-/var/cache/bpffw-test/debian12-root}

say() { printf 'deb install test: %s\n' "$*"; }
fail() { printf 'deb install test: FAIL: %s\n' "$*" >&2; exit 1; }

[[ $(id -u) -eq 0 ]] || fail "needs root (systemd-nspawn)"
command -v systemd-nspawn >/dev/null || fail "systemd-nspawn is missing: apt-get install systemd-container"
if [[ ! -x $root/usr/lib/systemd/systemd ]]; then
  fail "no container root at $root: run systemd_container_test first (it debootstraps the root)"
fi

work=$(mktemp -d /tmp/bpffw-test-deb-install.XXXXXX)
trap 'rm -rf "$work"' EXIT
"$source/scripts/build-deb" "$deb_build" > "$work/debs" || fail "scripts/build-deb"
mkdir "$work/debs.d"
while read -r deb; do cp "$deb" "$work/debs.d/"; done < "$work/debs"

# What runs inside. A failing check prints "FAIL: ..." and exits non-zero.
cat > "$work/debs.d/check.sh" <<'INSIDE'
set -eu
fail() { echo "FAIL: $*"; exit 1; }
dpkg -i /debs/bpffw_*.deb /debs/libbpffw0.1_*.deb > /tmp/dpkg.log 2>&1 || { cat /tmp/dpkg.log; fail "dpkg -i"; }
for p in bpffw libbpffw0.1; do
  dpkg-query -W -f='${Status}' "$p" | grep -q '^install ok installed$' || fail "$p is not installed"
done
dpkg --unpack /debs/bpffw-dev_*.deb > /tmp/dpkg.log 2>&1 || { cat /tmp/dpkg.log; fail "dpkg --unpack bpffw-dev"; }
[ -e /usr/include/bpffw/bpffw.hpp ] && [ -L /usr/lib/x86_64-linux-gnu/libbpffw.so ] || fail "bpffw-dev's files"
/usr/bin/bpffwc --version > /dev/null || fail "bpffwc --version"
/usr/bin/bpffwc --check 'icmp || (tcp && dst_port == 80)' || fail "bpffwc --check"
systemd-analyze verify --man=no /usr/lib/systemd/system/cgroup-sock-drop.service \
  /usr/lib/systemd/system/bpf-firewall@.service || fail "systemd-analyze verify"
ldconfig -p | grep -q 'x86_64-linux-gnu/libbpffw.so.0.1$' || fail "libbpffw.so.0.1 is not in ld.so.cache"
files=$(dpkg -L bpffw libbpffw0.1 bpffw-dev | sort -u)
dpkg -r bpffw-dev libbpffw0.1 bpffw > /tmp/dpkg.log 2>&1 || { cat /tmp/dpkg.log; fail "dpkg -r"; }
for f in $files; do
  [ -d "$f" ] || [ ! -e "$f" ] || fail "$f left after dpkg -r"
done
echo "inside: ok"
INSIDE

# test/systemd's lock: its run installs into this root, so wait for it.
exec 9>"$root.lock"
flock 9
out=$(systemd-nspawn --quiet --register=no --keep-unit --ephemeral -D "$root" \
        --bind-ro="$work/debs.d":/debs sh /debs/check.sh 2>&1 | tr -d '\r') || true
printf '%s\n' "$out" | grep -v 'Attempted to remove disk file system' || true
printf '%s\n' "$out" | grep -qx 'inside: ok' || fail "in the container (above)"
say "ok: dpkg -i, bpffwc, systemd-analyze verify, ldconfig trigger, dpkg -r"
