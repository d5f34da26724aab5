#!/usr/bin/env bash
# The shipped systemd units under a real systemd: boots a minimal Debian 12 in a container
# (systemd-nspawn), installs bpffw into it with `cmake --install`, starts the example units and
# checks what their processes can send and receive.
#
# Usage: systemd_test.sh BUILD_DIR
# The container root is built once with debootstrap (~1.5 min) and kept outside the repository in
# $BPFFW_TEST_ROOT (default /var/cache/bpffw-test/debian12-root). If the Debian mirror
# ($BPFFW_DEBIAN_MIRROR) cannot be reached to build it, the test says so and exits 77 (skipped);
# every other problem fails it. Needs root, debootstrap and systemd-container.
set -euo pipefail

build=${1:?usage: systemd_test.sh BUILD_DIR}
root=${BPFFW_TEST_ROOT:-/var/cache/bpffw-test/debian12-root}
mirror=${BPFFW_DEBIAN_MIRROR:-http://deb.debian.org/debian}
readonly SKIP=77

say() { printf 'systemd test: %s\n' "$*"; }
fail() { printf 'systemd test: FAIL: %s\n' "$*" >&2; exit 1; }

[[ $(id -u) -eq 0 ]] || fail "needs root (systemd-nspawn, cgroups, BPF)"
for tool in debootstrap systemd-nspawn nsenter wget flock; do
  command -v "$tool" >/dev/null || fail "$tool is missing: apt-get install debootstrap systemd-container"
done

# One run at a time per root: nspawn locks the directory anyway, and a half-built root must not
# be booted.
mkdir -p "$(dirname "$root")"
exec 9>"$root.lock"
flock 9

# --- the container root -------------------------------------------------------------------------
if [[ ! -x $root/usr/lib/systemd/systemd || ! -x $root/usr/bin/ping ]]; then
  if ! wget -q -T 20 -t 2 -O /dev/null "$mirror/dists/bookworm/Release"; then
    say "SKIP: the Debian mirror $mirror cannot be reached, so the container root cannot be built"
    exit "$SKIP"
  fi
  say "building the container root in $root (debootstrap, about 1.5 min, once)"
  rm -rf "$root.tmp"
  log=$(mktemp /tmp/bpffw-debootstrap.XXXXXX)
  if ! debootstrap --variant=minbase --include=systemd,systemd-sysv,dbus,iputils-ping,libbpf1,libelf1 \
      bookworm "$root.tmp" "$mirror" >"$log" 2>&1; then
    tail -n 20 "$log" >&2
    fail "debootstrap failed (log: $log)"
  fi
  rm -f "$log"
  rm -rf "$root"
  mv "$root.tmp" "$root"
fi

# --- install bpffw into it, as a user would ----------------------------------------------------
DESTDIR=$root cmake --install "$build" --prefix /usr/local --strip >/dev/null ||
  fail "cmake --install into the container root failed"
examples=$root/usr/local/share/doc/bpffw/examples/systemd
units=$root/usr/local/lib/systemd/system
for file in "$units/bpf-firewall@.service" "$units/cgroup-sock-drop.service" "$examples/filtered-ping@.service" \
    "$examples/ping-attach-self@.service" "$examples/ping-no-icmp-egress.service" "$root/usr/local/bin/bpffwc" \
    "$root/usr/local/share/man/man1/bpffwc.1" "$root/usr/local/share/bash-completion/completions/bpffwc"; do
  [[ -f $file ]] || fail "cmake --install did not install ${file#"$root"}"
done
# The loaders stay where cmake put them (systemd reads /usr/local/lib/systemd/system); the demo
# services are copied to /etc as an administrator would. Copies from earlier runs go first.
for file in "$examples"/*.service; do rm -f "$root/etc/systemd/system/$(basename "$file")"; done
cp "$examples/filtered-ping@.service" "$examples/ping-attach-self@.service" \
  "$examples/ping-no-icmp-egress.service" "$root/etc/systemd/system/"

# --- boot it --------------------------------------------------------------------------------------
cgroup2=$(awk '$0 ~ / - cgroup2 / { print $5; exit }' /proc/self/mountinfo)
[[ -n $cgroup2 ]] || fail "no cgroup2 mount in /proc/self/mountinfo"
named_systemd=$(awk '$0 ~ / - cgroup .*name=systemd/ { print $5; exit }' /proc/self/mountinfo)
if ! [[ $(stat -f -c %T /sys/fs/bpf 2>/dev/null) == bpf_fs ]]; then
  mkdir -p /sys/fs/bpf
  mount -t bpf bpf /sys/fs/bpf || fail "cannot mount bpffs at /sys/fs/bpf"
fi

# Everything this run creates on the host has its name: the container's cgroups go under scratch
# cgroups, its /sys/fs/bpf is a scratch directory of the host's bpffs.
name=bpffw-test-systemd-$$
pins=/sys/fs/bpf/$name
scratch=("$cgroup2/$name")
[[ -n $named_systemd ]] && scratch+=("$named_systemd/$name")
nspawn_pid=
container_pid=

cleanup() {
  local status=$?
  if [[ -n $nspawn_pid ]] && kill -0 "$nspawn_pid" 2>/dev/null; then
    kill -TERM "$nspawn_pid"  # nspawn asks the container's systemd to power off
    for _ in $(seq 80); do kill -0 "$nspawn_pid" 2>/dev/null || break; sleep 0.25; done
    if kill -0 "$nspawn_pid" 2>/dev/null; then
      say "the container did not stop in 20 s; killing it"
      [[ -n $container_pid ]] && kill -KILL "$container_pid" 2>/dev/null
      kill -KILL "$nspawn_pid" 2>/dev/null
    fi
    wait "$nspawn_pid" 2>/dev/null || true
  fi
  local dir
  for dir in "${scratch[@]}"; do
    [[ -d $dir ]] && find "$dir" -depth -type d -exec rmdir {} + 2>/dev/null
    [[ -d $dir ]] && say "could not remove $dir"
  done
  if [[ -d $pins ]]; then
    find "$pins" -mindepth 1 -delete
    rmdir "$pins"
  fi
  exit "$status"
}
trap cleanup EXIT

mkdir "$pins"
for dir in "${scratch[@]}"; do mkdir "$dir"; done
console=$(mktemp /tmp/bpffw-nspawn.XXXXXX)
# SYSTEMD_SECCOMP=0 and --capability=all: otherwise systemd inside finds BPF firewalling unsupported.
SCRATCH="${scratch[*]}" PINS=$pins ROOT=$root setsid bash -c '
  for dir in $SCRATCH; do echo $$ > "$dir/cgroup.procs"; done
  SYSTEMD_SECCOMP=0 exec systemd-nspawn --quiet --register=no --keep-unit --capability=all \
    --bind="$PINS":/sys/fs/bpf --console=passive -D "$ROOT" -b' >"$console" 2>&1 </dev/null &
nspawn_pid=$!

for _ in $(seq 120); do
  container_pid=$(pgrep -P "$nspawn_pid" -x systemd || true)
  [[ -n $container_pid ]] && break
  kill -0 "$nspawn_pid" 2>/dev/null || { cat "$console" >&2; fail "systemd-nspawn exited"; }
  sleep 0.25
done
[[ -n $container_pid ]] || { cat "$console" >&2; fail "the container's systemd did not start"; }
in_container() { nsenter -t "$container_pid" -a "$@"; }
# systemctl fails with "Failed to connect to bus" until systemd has created its private socket:
# wait for the socket, then ask (again) until the boot has finished.
state=unknown
deadline=$((SECONDS + 120))
while ((SECONDS < deadline)); do
  if in_container test -S /run/systemd/private; then
    state=$(timeout 60 nsenter -t "$container_pid" -a systemctl is-system-running --wait 2>/dev/null || true)
    [[ $state == running || $state == degraded ]] && break
  fi
  kill -0 "$nspawn_pid" 2>/dev/null || { cat "$console" >&2; fail "systemd-nspawn exited"; }
  sleep 0.25
done
[[ $state == running || $state == degraded ]] || fail "the container's systemd is '$state', not running"
say "booted systemd $(in_container systemctl --version | awk 'NR == 1 { print $2 }') (pid $container_pid)"

# --- checks ----------------------------------------------------------------------------------------
failures=0
check() {  # check DESCRIPTION COMMAND...: runs the command, counts a failure
  local what=$1
  shift
  if "$@"; then say "ok: $what"; else say "FAILED: $what"; failures=$((failures + 1)); fi
}

escape() { in_container systemd-escape "$1"; }
# Starts a oneshot unit; prints its ping summary line. The start fails when ping does.
start_unit() { in_container systemctl start "$1" >/dev/null 2>&1; }
start_fails() { ! start_unit "$1"; }
ping_summary() { in_container journalctl -b -q -u "$1" -o cat --no-pager | grep 'packets transmitted' | tail -n 1; }
all_replies() { [[ $(ping_summary "$1") == "3 packets transmitted, 3 received"* ]]; }
no_reply() { [[ $(ping_summary "$1") == "3 packets transmitted, 0 received"* ]]; }
unit_is() { [[ $(in_container systemctl is-active "$1" 2>/dev/null) == "$2" ]]; }

# 1. The one-liner: ExecStartPre=+bpffwc --attach self -t ingress --replace-all FILTER, FILTER from the instance.
deny=ping-attach-self@$(escape '!icmp').service
allow=ping-attach-self@icmp.service
check "$deny: the start fails because ping gets no reply" start_fails "$deny"
check "$deny: 3 echo requests, 0 replies" no_reply "$deny"
check "$allow: starts, and ping gets every reply" start_unit "$allow"
check "$allow: 3 echo requests, 3 replies" all_replies "$allow"

# 2. The literal one-liner in the unit file: egress '!icmp'.
check "ping-no-icmp-egress.service: the start fails" start_fails "ping-no-icmp-egress.service"
check "ping-no-icmp-egress.service: ping ran and got no reply" no_reply ping-no-icmp-egress.service

# 3. Loader template + IPIngressFilterPath=: the pin is named by the escaped filter.
deny_instance=$(escape '!icmp')
check "filtered-ping@$deny_instance.service: the start fails because ping gets no reply" start_fails "filtered-ping@$deny_instance.service"
check "filtered-ping@$deny_instance.service: 3 echo requests, 0 replies" no_reply "filtered-ping@$deny_instance.service"
check "bpf-firewall@$deny_instance.service is active" unit_is "bpf-firewall@$deny_instance.service" active
check "its pin exists: /sys/fs/bpf/$deny_instance" test -e "$pins/$deny_instance"
check "filtered-ping@icmp.service: starts, and ping gets every reply" start_unit filtered-ping@icmp.service
check "filtered-ping@icmp.service: 3 echo requests, 3 replies" all_replies filtered-ping@icmp.service
check "the pin of bpf-firewall@icmp.service exists" test -e "$pins/icmp"
in_container systemctl stop "bpf-firewall@$deny_instance.service" bpf-firewall@icmp.service
check "stopping the loaders removes their pins" test ! -e "$pins/$deny_instance" -a ! -e "$pins/icmp"

# 4. The drop-all loader, used by a transient service through IPEgressFilterPath=.
check "a transient service pings 127.0.0.1 without a filter" \
  in_container systemd-run --wait -q /usr/bin/ping -c 1 -W 1 127.0.0.1
dropped_ping() {
  ! in_container systemd-run --wait -q -p Requires=cgroup-sock-drop.service -p After=cgroup-sock-drop.service \
    -p IPEgressFilterPath=/sys/fs/bpf/cgroup-sock-drop /usr/bin/ping -c 1 -W 1 127.0.0.1 >/dev/null 2>&1
}
check "with IPEgressFilterPath=/sys/fs/bpf/cgroup-sock-drop it cannot" dropped_ping
check "the drop-all pin exists while cgroup-sock-drop.service is active" test -e "$pins/cgroup-sock-drop"
in_container systemctl stop cgroup-sock-drop.service
check "stopping cgroup-sock-drop.service removes the pin" test ! -e "$pins/cgroup-sock-drop"

if ((failures > 0)); then
  in_container journalctl -b -q -o short --no-pager -n 60 >&2 || true
  fail "$failures checks failed"
fi
say "all checks passed"
