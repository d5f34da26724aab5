#!/usr/bin/env bash
# The shipped systemd units under a real systemd: boots a minimal Debian 12 in a container
# (systemd-nspawn), installs bpffw into it with `cmake --install`, starts the example units and
# checks what their processes can send and receive.
#
# Usage: systemd_test.sh BUILD_DIR
# The container root is built once with debootstrap (~1.5 min) and kept outside the repository in
# $BPFFW_TEST_ROOT (default /var/cache/bpffw-test/debian12-root). If the Debian mirror
# ($BPFFW_DEBIAN_MIRROR) cannot be reached to build it, the test fails and says so (nothing is
# skipped). Needs root, debootstrap and systemd-container.
set -euo pipefail

build=${1:?usage: systemd_test.sh BUILD_DIR}
root=${BPFFW_TEST_ROOT:-/var/cache/bpffw-test/debian12-root}
mirror=${BPFFW_DEBIAN_MIRROR:-http://deb.debian.org/debian}

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
    fail "the Debian mirror $mirror cannot be reached, so the container root cannot be built (set BPFFW_DEBIAN_MIRROR to one that can)"
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
for file in "$units/bpffw@.service" "$units/bpffw-log.service" "$units/bpf-firewall@.service" "$units/cgroup-sock-drop.service" "$examples/filtered-ping@.service" \
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
source "$(dirname "${BASH_SOURCE[0]}")/container.sh"
boot_container "$root" bpffw-test-systemd

# --- checks ----------------------------------------------------------------------------------------
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

# 5. The drop log in the service's journal: bpffw-log.service, started before the filter exists,
# follows it once pinned; a service whose TCP connection the filter refuses finds the drop in
# `journalctl -u` of its own unit.
check "bpffw-log.service starts" start_unit bpffw-log.service
check "bpffw-log.service is active" unit_is bpffw-log.service active
check "a logging filter refusing TCP is pinned at /sys/fs/bpf/no-tcp" \
  in_container /usr/local/bin/bpffwc -o /sys/fs/bpf/no-tcp --log '!tcp'
client=bpffw-log-client.service
# The SYN is dropped on egress, and again when TCP sends it again; the unit stays up meanwhile, so
# its cgroup, which names the unit in the entry, is still there when the record is read.
check "$client starts with IPEgressFilterPath=/sys/fs/bpf/no-tcp" \
  in_container systemd-run -q --unit="$client" -p IPEgressFilterPath=/sys/fs/bpf/no-tcp \
  /bin/bash -c 'echo connecting to 8022; (exec 3<>/dev/tcp/127.0.0.1/8022) && echo connected; exec sleep 60'
drop_in_journal() {
  local _
  for _ in $(seq 40); do
    in_container journalctl -q -u "$client" -o cat --no-pager |
      grep -qE '^drop egress tcp 127\.0\.0\.1:[0-9]+ -> 127\.0\.0\.1:8022 [0-9]+ B, filter by '"'tcp' at 1:2-4  unit $client" &&
      return 0
    sleep 0.25
  done
  in_container journalctl -q -u "$client" -o cat --no-pager >&2
  return 1
}
check "journalctl -u $client shows the drop beside the unit's own output" drop_in_journal
check "... its own output is there too, and it never connected" \
  bash -c 'out=$(nsenter -t "$1" -a journalctl -q -u "$2" -o cat --no-pager) &&
    grep -qx "connecting to 8022" <<<"$out" && ! grep -qx connected <<<"$out"' _ "$container_pid" "$client"
structured_entry() {
  # Read whole first: `journalctl | grep -q` fails under pipefail when grep exits before journalctl
  # has written everything (SIGPIPE).
  local entry
  entry=$(in_container journalctl -q -u "$client" -o verbose --no-pager MESSAGE_ID=5a0c3b7e2f9d4e61a8b4c07d1e93f256 |
    tr -d ' ') || return 1
  grep -qx 'BPFFW_REASON=filter' <<<"$entry" && grep -qx 'BPFFW_DST_PORT=8022' <<<"$entry" &&
    grep -qx 'BPFFW_DECIDED_BY=tcp' <<<"$entry" && grep -qx 'BPFFW_DECIDED_AT=1:2-4' <<<"$entry"
}
check "the entry is structured: MESSAGE_ID, BPFFW_REASON=filter, BPFFW_DST_PORT=8022, BPFFW_DECIDED_BY=tcp" structured_entry
in_container systemctl stop "$client" bpffw-log.service
in_container rm -f /sys/fs/bpf/no-tcp

if ((failures > 0)); then
  in_container journalctl -b -q -o short --no-pager -n 60 >&2 || true
  fail "$failures checks failed"
fi
say "all checks passed"
