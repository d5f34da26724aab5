#!/usr/bin/env bash
# The shipped systemd units under a real systemd: boots a minimal Debian 12 in a container
# (systemd-nspawn), installs bpffw into it with `cmake --install`, starts the example units and
# checks what their processes can send and receive; measures the fail-closed table of
# docs/systemd.md (each pattern x compile error, load refusal, attach failure) and checks that a
# failed reload shows in `systemctl status bpffw@NAME`.
#
# Usage: systemd_test.sh BUILD_DIR
# The container root is built once with debootstrap (~1.5 min) and kept outside the repository in
# $BPFFW_TEST_ROOT (default /var/cache/bpffw-test/debian12-root). If the Debian mirror
# ($BPFFW_DEBIAN_MIRROR) cannot be reached to build it, the test fails and says so (nothing is
# skipped). Needs root, debootstrap, systemd-container, bpftool and clang-19 (another tool's BPF
# programs, for a cgroup that holds 64), and promtool (prometheus: the metrics file is checked).
set -euo pipefail

build=${1:?usage: systemd_test.sh BUILD_DIR}
root=${BPFFW_TEST_ROOT:-/var/cache/bpffw-test/debian12-root}
mirror=${BPFFW_DEBIAN_MIRROR:-http://deb.debian.org/debian}

say() { printf 'systemd test: %s\n' "$*"; }
fail() { printf 'systemd test: FAIL: %s\n' "$*" >&2; exit 1; }

[[ $(id -u) -eq 0 ]] || fail "needs root (systemd-nspawn, cgroups, BPF)"
for tool in debootstrap systemd-nspawn nsenter wget flock bpftool clang-19 promtool; do
  command -v "$tool" >/dev/null || fail "$tool is missing: apt-get install debootstrap systemd-container bpftool clang-19 prometheus"
done

# One run at a time per root: nspawn locks the directory anyway, and a half-built root must not
# be booted.
mkdir -p "$(dirname "$root")"
exec 9>"$root.lock"
flock 9

# --- the container root -------------------------------------------------------------------------
# libpcap0.8: bpffwc reads captures with it (test --pcap); a root from before that is built again.
if [[ ! -x $root/usr/lib/systemd/systemd || ! -x $root/usr/bin/ping ]] ||
  ! compgen -G "$root/usr/lib/*/libpcap.so.0.8" >/dev/null; then
  if ! wget -q -T 20 -t 2 -O /dev/null "$mirror/dists/bookworm/Release"; then
    fail "the Debian mirror $mirror cannot be reached, so the container root cannot be built (set BPFFW_DEBIAN_MIRROR to one that can)"
  fi
  say "building the container root in $root (debootstrap, about 1.5 min, once)"
  rm -rf "$root.tmp"
  log=$(mktemp /tmp/bpffw-debootstrap.XXXXXX)
  if ! debootstrap --variant=minbase --include=systemd,systemd-sysv,dbus,iputils-ping,libbpf1,libelf1,libpcap0.8 \
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
for file in "$units/bpffw@.service" "$units/bpffw-log.service" "$units/bpffw-metrics.service" "$units/bpffw-metrics.timer" "$units/bpf-firewall@.service" "$units/cgroup-sock-drop.service" "$examples/filtered-ping@.service" \
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
# A unified cgroup hierarchy in the container, as Debian 12 has by default, also on a hybrid host:
# systemd attaches BPFProgram= only there (its bpf_foreign_supported()).
export SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1
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
put() { in_container sh -c "cat > $1"; }  # put FILE: standard input becomes FILE in the container

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

# 5b. Failing fast at the socket (docs/systemd.md, "Egress: EPERM at connect()"): the one-liner
# with an egress filter attaches its socket programs too, so the service's connect() to a port the
# filter drops fails at once with EPERM, and with --log the refusal reaches the unit's journal with
# the caller's PID and command name. The caller is the script's own bash (`:` with a redirection
# runs in the shell itself), which says its PID and comm and stays up.
put /usr/local/bin/connect-once <<'SCRIPT'
#!/bin/bash
# connect-once PORT: one TCP connect() to 127.0.0.1:PORT from this process, how long it took, then sleep.
echo "caller $$ $(cat /proc/$$/comm)"
start=$(date +%s%N)
if : 3<>"/dev/tcp/127.0.0.1/$1"; then echo connected; fi
end=$(date +%s%N)
echo "connect took $(( (end - start) / 1000 )) us"
exec sleep 60
SCRIPT
in_container chmod 755 /usr/local/bin/connect-once
put /etc/systemd/system/refused-one-liner.service <<'UNIT'
[Service]
ExecStartPre=+/usr/local/bin/bpffwc --attach self -t egress --log --replace-all 'tcp && dst_port == 443'
ExecStart=/usr/local/bin/connect-once 8022
UNIT
put /etc/systemd/system/refused-bpfprogram.service <<'UNIT'
[Service]
IPEgressFilterPath=/sys/fs/bpf/web-out
BPFProgram=connect4:/sys/fs/bpf/web-out-connect4
BPFProgram=connect6:/sys/fs/bpf/web-out-connect6
BPFProgram=sendmsg4:/sys/fs/bpf/web-out-sendmsg4
BPFProgram=sendmsg6:/sys/fs/bpf/web-out-sendmsg6
ExecStart=/usr/local/bin/connect-once 8022
UNIT
in_container systemctl daemon-reload
# refused_at_once UNIT: the unit's connect() failed with "Operation not permitted", within 0.5 s
# (a dropped SYN would wait a second for its first retransmission), and never connected.
refused_at_once() {
  local out _
  for _ in $(seq 40); do
    out=$(in_container journalctl -b -q -u "$1" -o cat --no-pager)
    grep -q '^connect took' <<<"$out" && break
    sleep 0.25
  done
  local took
  took=$(sed -n 's/^connect took \([0-9]*\) us$/\1/p' <<<"$out")
  grep -q 'connect: Operation not permitted' <<<"$out" && ! grep -qx connected <<<"$out" && ((${took:-999999} < 500000)) ||
    { printf '%s\n' "$out" >&2; return 1; }
  say "$1: connect() failed after $took us (the two date(1) runs around it included)"
}
one_liner=refused-one-liner.service
check "$one_liner (the one-liner, egress, --log) starts" start_unit "$one_liner"
check "$one_liner: its connect() to 127.0.0.1:8022 fails at once with EPERM" refused_at_once "$one_liner"
caller=$(in_container journalctl -b -q -u "$one_liner" -o cat --no-pager | sed -n 's/^caller //p' | tail -n 1)
caller_comm=${caller#* }
# The record names the caller by its pid as the host sees it: the one whose innermost pid (the last
# of NSpid) is the container's, in the container's pid namespace.
host_pid_of() {
  local namespace status
  namespace=$(readlink "/proc/$container_pid/ns/pid")
  for status in /proc/[0-9]*/status; do
    [[ $(readlink "${status%/status}/ns/pid" 2>/dev/null) == "$namespace" ]] || continue
    if awk -v pid="$1" '/^NSpid:/ { found = $NF == pid } END { exit !found }' "$status" 2>/dev/null; then
      status=${status%/status}
      echo "${status#/proc/}"
      return 0
    fi
  done
  return 1
}
caller_pid=$(host_pid_of "${caller%% *}") || caller_pid="(not found: ${caller%% *} in the container)"
refusal_in_journal() {
  local out _
  for _ in $(seq 40); do
    out=$(in_container journalctl -b -q -u "$one_liner" -o cat --no-pager)
    grep -qxF "refuse connect4 tcp -> 127.0.0.1:8022, by 'dst_port == 443' at 1:8-22  pid $caller_pid comm $caller_comm  unit $one_liner  uid 0" <<<"$out" &&
      return 0
    sleep 0.25
  done
  printf 'wanted pid %s comm %s in:\n%s\n' "$caller_pid" "$caller_comm" "$out" >&2
  return 1
}
check "journalctl -u $one_liner shows the refusal with the caller's PID and command name" refusal_in_journal
structured_refusal() {
  local entry
  entry=$(in_container journalctl -b -q -u "$one_liner" -o verbose --no-pager MESSAGE_ID=5a0c3b7e2f9d4e61a8b4c07d1e93f256 |
    tr -d ' ') || return 1
  grep -qx 'BPFFW_REASON=refused' <<<"$entry" && grep -qx 'BPFFW_HOOK=connect4' <<<"$entry" &&
    grep -qx "BPFFW_PID=$caller_pid" <<<"$entry" && grep -qx "BPFFW_COMM=$caller_comm" <<<"$entry" &&
    grep -qx 'BPFFW_DST_PORT=8022' <<<"$entry" ||
    { printf '%s\n' "$entry" >&2; return 1; }
}
check "the entry is structured: BPFFW_REASON=refused, BPFFW_HOOK, BPFFW_PID, BPFFW_COMM" structured_refusal
# Pattern 2: the loader's -o PIN -t egress pins the socket programs beside PIN for BPFProgram=.
check "bpffwc -t egress -o /sys/fs/bpf/web-out pins the socket programs beside it" \
  in_container /usr/local/bin/bpffwc -t egress -o /sys/fs/bpf/web-out 'tcp && dst_port == 443'
check "refused-bpfprogram.service (IPEgressFilterPath= and BPFProgram= lines) starts" start_unit refused-bpfprogram.service
check "refused-bpfprogram.service: its connect() fails at once with EPERM" refused_at_once refused-bpfprogram.service
in_container systemctl stop "$client" bpffw-log.service "$one_liner" refused-bpfprogram.service
in_container rm -f /sys/fs/bpf/no-tcp /sys/fs/bpf/web-out /sys/fs/bpf/web-out-connect4 /sys/fs/bpf/web-out-connect6 \
  /sys/fs/bpf/web-out-sendmsg4 /sys/fs/bpf/web-out-sendmsg6

# 5b. Metrics: bpffw-metrics.service writes every program's counters where Debian's node_exporter
# reads them, a file promtool (on the host) accepts, put in place whole; the timer runs it at once;
# a drop-in moves the file.
textfile=/var/lib/prometheus/node-exporter
in_container mkdir -p "$textfile"
in_container rm -f "$textfile/bpffw.prom"
check "a filter is pinned at /sys/fs/bpf/metrics-web" in_container /usr/local/bin/bpffwc -o /sys/fs/bpf/metrics-web -t ingress 'tcp'
check "bpffw-metrics.service runs" start_unit bpffw-metrics.service
metrics_file_good() {
  local file=$root$textfile/bpffw.prom
  [[ $(stat -c %a "$file") == 644 ]] && grep -q '^bpffw_packets_total{id="[0-9]*",pin="/sys/fs/bpf/metrics-web",.*verdict="passed"} ' "$file" &&
    [[ $(find "$root$textfile" -mindepth 1 | wc -l) == 1 ]] && promtool check metrics <"$file"
}
check "$textfile/bpffw.prom: mode 0644, the pinned filter's series, nothing else left there, promtool accepts it" metrics_file_good
in_container rm -f "$textfile/bpffw.prom"
file_appears() { for _ in $(seq 50); do [[ -s $root$textfile/bpffw.prom ]] && return 0; sleep 0.2; done; return 1; }
check "bpffw-metrics.timer starts" start_unit bpffw-metrics.timer
check "the timer runs the service at once: the file is there again" file_appears
in_container systemctl stop bpffw-metrics.timer
in_container mkdir -p /etc/systemd/system/bpffw-metrics.service.d
put /etc/systemd/system/bpffw-metrics.service.d/file.conf <<<$'[Service]\nEnvironment=BPFFW_METRICS_FILE=/run/bpffw-test.prom'
in_container systemctl daemon-reload
check "with Environment=BPFFW_METRICS_FILE= in a drop-in it writes that file" \
  bash -c 'nsenter -t "$1" -a systemctl start bpffw-metrics.service && nsenter -t "$1" -a grep -q "pin=\"/sys/fs/bpf/metrics-web\"" /run/bpffw-test.prom' _ "$container_pid"
in_container rm -rf /etc/systemd/system/bpffw-metrics.service.d /run/bpffw-test.prom "$textfile/bpffw.prom" /sys/fs/bpf/metrics-web
in_container systemctl daemon-reload

# 6. Failing closed (docs/systemd.md, "Failing closed"): each shipped pattern x {compile error, load
# refusal, attach failure}, on a transient service pinging 127.0.0.1 once through an ingress filter
# '!icmp' (filtered: no reply). Each cell prints a row of the table in docs/systemd.md: does the
# service start, is it filtered, what systemd says.
#   (a) a loader (bpffw@NAME, Wants= + After=) and IPIngressFilterPath=/sys/fs/bpf/bpffw/NAME
#   (b) the one-liner ExecStartPre=+bpffwc --attach self -t ingress --replace-all FILTER
#   (c) bpffw@NAME and ExecStartPre=+bpffwc attach self -t ingress --replace-all /sys/fs/bpf/bpffw/NAME
# The failures are real ones: a filter that does not parse; a set map the kernel refuses to create
# (--set-capacity 300000000: more hash buckets than it allows, E2BIG); at the pin something that is not a
# cgroup program (a map: another tool's pin); the service's cgroup already holding 64 programs of
# another tool, the kernel's limit (E2BIG).
bpffwc=/usr/local/bin/bpffwc
in_container mkdir -p /etc/bpffw /sys/fs/bpf/bpffw
put /etc/bpffw/fc-compile.filter <<<'!icmp &&'
put /etc/bpffw/fc-compile.conf <<<'BPFFWC_OPTIONS="-t ingress"'
put /etc/bpffw/fc-load.filter <<<'!icmp && !(dst_port in ports)'
put /etc/bpffw/fc-load.conf <<<'BPFFWC_OPTIONS="-t ingress --set ports=9 --set-capacity 300000000"'
put /etc/bpffw/fc-map.filter <<<'!icmp'
put /etc/bpffw/fc-map.conf <<<'BPFFWC_OPTIONS="-t ingress"'
put /etc/bpffw/fc-good.filter <<<'!icmp'
put /etc/bpffw/fc-good.conf <<<'BPFFWC_OPTIONS="-t ingress"'
bpftool map create "$pins/bpffw/fc-map" type array key 4 value 4 entries 1 name not_a_program
# Another tool's 64 cgroup programs (each passes everything), pinned for IPIngressFilterPath=.
foreign=$(mktemp -d /tmp/bpffw-test-foreign.XXXXXX)
remove_at_exit+=("$foreign")
printf '%s\n' 'struct __sk_buff;' \
  '__attribute__((section("cgroup_skb/ingress"), used)) int other_tool(struct __sk_buff *skb) { return 1; }' \
  'char _license[] __attribute__((section("license"), used)) = "GPL";' > "$foreign/other.c"
clang-19 -O2 -target bpf -c "$foreign/other.c" -o "$foreign/other.o" || fail "clang-19 cannot build a BPF object"
mkdir "$pins/other"
full=()
for i in $(seq 64); do
  bpftool prog load "$foreign/other.o" "$pins/other/$i" || fail "bpftool prog load"
  full+=("IPIngressFilterPath=/sys/fs/bpf/other/$i")
done

# cell NAME PROPERTY...: runs the transient service fc-NAME with the properties; sets `row` to
# "STARTED? | FILTERED? | systemd's result" and says it, and `out` to what systemd-run and the
# service's commands printed (--pipe: ExecStartPre='s errors too).
cell() {
  local unit=fc-$1.service result
  shift
  out=$(in_container systemd-run --wait --pipe --unit="$unit" "${@/#/-p}" \
    /usr/bin/ping -c 1 -W 1 127.0.0.1 2>&1 </dev/null) || true
  if grep -q '1 packets transmitted, 1 received' <<<"$out"; then row="started | UNFILTERED (reply)"
  elif grep -q '1 packets transmitted, 0 received' <<<"$out"; then row="started | filtered (no reply)"
  else row="not started | -"; fi
  # systemd's verdict: "Failed with result 'resources'", "Job ... failed with result 'dependency'"
  # (systemd-run --wait says "success" for a unit whose start job failed on a dependency).
  local _ journal
  for _ in $(seq 20); do
    journal=$(in_container journalctl -b -q -o cat --no-pager -u "$unit")
    result=$(sed -n "s/.*with result '\([a-z-]*\)'.*/\1/p" <<<"$journal" | tail -n 1)
    [[ -n $result || $row == started* ]] && break
    sleep 0.1
  done
  [[ -n $result ]] || result=$(sed -n 's/^Finished with result: //p' <<<"$out")
  row="$row | Result: ${result:-?}"
  say "cell $unit: $row"
  in_container systemctl reset-failed "$unit" 2>/dev/null || true
}
is_row() { [[ $row == "$1"* ]]; }
journal_has() { local text; text=$(in_container journalctl -q -o cat --no-pager -u "$1") && grep -qF "$2" <<<"$text"; }
loader() { printf 'Wants=bpffw@%s.service\nAfter=bpffw@%s.service\n' "$1" "$1"; }
uses_path() { loader "$1"; echo "IPIngressFilterPath=/sys/fs/bpf/bpffw/$1"; }
uses_attach() { loader "$1"; echo "ExecStartPre=+$bpffwc attach self -t ingress --replace-all /sys/fs/bpf/bpffw/$1"; }
one_liner() { echo "ExecStartPre=+$bpffwc --attach self -t ingress --replace-all $1"; }
mapfile -t p <<<"$(uses_path fc-good)"
cell good-a "${p[@]}"
check "(a) with a good filter: starts, filtered" is_row "started | filtered"
mapfile -t p <<<"$(uses_attach fc-good)"
cell good-c "${p[@]}"
check "(c) with a good filter: starts, filtered" is_row "started | filtered"

for failure in compile load map; do
  mapfile -t p <<<"$(uses_path fc-$failure)"
  cell "a-$failure" "${p[@]}"
  case $failure in
    map) check "(a) the pin is a map: systemd 252 starts the service UNFILTERED" is_row "started | UNFILTERED" ;;
    *) check "(a) $failure error: bpffw@fc-$failure fails, no pin: the service does not start" is_row "not started" ;;
  esac
  check "(a) $failure: systemctl says bpffw@fc-$failure failed" unit_is "bpffw@fc-$failure.service" failed
  [[ $failure == load ]] && check "(a) load: the kernel refused the map (E2BIG), in bpffw@fc-load's journal" \
    journal_has bpffw@fc-load.service "map 'bpffw_set_int': failed to create: Argument list too long"
  mapfile -t p <<<"$(uses_attach fc-$failure)"
  cell "c-$failure" "${p[@]}"
  check "(c) $failure: the service does not start" is_row "not started"
done
# (a) with the other loader, bpf-firewall@FILTER, which services use with Requires=.
broken=$(escape '!icmp &&')
cell a-compile-bpf-firewall "Requires=bpf-firewall@$broken.service" "After=bpf-firewall@$broken.service" \
  "IPIngressFilterPath=/sys/fs/bpf/$broken"
check "(a) bpf-firewall@ with a compile error: the service does not start (dependency failed)" is_row "not started"
in_container systemctl reset-failed "bpf-firewall@$broken.service" 2>/dev/null || true
cell b-compile "$(one_liner "'!icmp &&'")"
check "(b) compile error: the service does not start" is_row "not started"
cell b-load "$(one_liner "--set ports=9 --set-capacity 300000000 '!icmp && !(dst_port in ports)'")"
check "(b) load refusal: the service does not start" is_row "not started"
check "(b) load refusal: the kernel refused the map (E2BIG), and bpffwc said so" \
  grep -q "map 'bpffw_set_int': failed to create: Argument list too long" <<<"$out"
# 64 programs of another tool in the service's cgroup: one more cannot be attached.
cell a-full "${full[@]}" "IPIngressFilterPath=/sys/fs/bpf/bpffw/fc-good"
check "(a) cgroup full: systemd 252 logs the failed attach and starts the service all the same" is_row "started"
check "... and logs it" journal_has fc-a-full.service "Argument list too long"
cell b-full "${full[@]}" "$(one_liner "'!icmp'")"
check "(b) cgroup full: the service does not start" is_row "not started"
mapfile -t p <<<"$(uses_attach fc-good)"
cell c-full "${full[@]}" "${p[@]}"
check "(c) cgroup full: the service does not start" is_row "not started"
# A compile error with a pin from an earlier good start: the services start on the last good program.
in_container "$bpffwc" -t ingress -o /sys/fs/bpf/bpffw/fc-compile '!icmp'
for pattern in a c; do
  if [[ $pattern == a ]]; then mapfile -t p <<<"$(uses_path fc-compile)"; else mapfile -t p <<<"$(uses_attach fc-compile)"; fi
  cell "$pattern-compile-earlier" "${p[@]}"
  check "($pattern) compile error with an earlier pin: starts, filtered by the last good program" is_row "started | filtered"
done
in_container systemctl reset-failed 'bpffw@fc-*' 2>/dev/null || true
rm -rf "$pins/other" "$pins/bpffw/fc-"*

# 7. A failed reload shows in `systemctl status bpffw@NAME`: bpffwc --replace-everywhere sets the
# unit's status (sd_notify STATUS=, NotifyAccess=exec), which a failed reload leaves active.
status_text() { in_container systemctl show -p StatusText --value bpffw@st.service; }
status_is() { local text; text=$(status_text); say "bpffw@st: Status: $text"; [[ $text == $1 ]]; }
put /etc/bpffw/st.filter <<<'!icmp'
put /etc/bpffw/st.conf <<<'BPFFWC_OPTIONS="-t ingress"'
check "bpffw@st starts" in_container systemctl start bpffw@st.service
check "its status says what it pinned" status_is "program * pinned; there was none to replace"
put /etc/bpffw/st.filter <<<'!icmpp'
check "a broken edit: systemctl reload bpffw@st fails" bash -c '! nsenter -t "$1" -a systemctl reload bpffw@st.service 2>/dev/null' _ "$container_pid"
check "the unit stays active" unit_is bpffw@st.service active
check "its status says FAILED, with the error and the program still in force" \
  status_is "FAILED, nothing changed: /etc/bpffw/st.filter:1:2: unknown variable 'icmpp'* (in force: program *, as before)"
check "systemctl status shows it" bash -c 'nsenter -t "$1" -a systemctl status --no-pager bpffw@st.service | grep -q "Status: \"FAILED, nothing changed"' _ "$container_pid"
put /etc/bpffw/st.filter <<<'icmp'
check "fixed: systemctl reload bpffw@st succeeds" in_container systemctl reload bpffw@st.service
check "and the status says what replaced what" status_is "program * replaces * at the pin and in no cgroup"
put /etc/bpffw/st.filter <<<'!icmpp'
check "a restart with the broken file fails" bash -c '! nsenter -t "$1" -a systemctl restart bpffw@st.service 2>/dev/null' _ "$container_pid"
check "the unit is failed, its status says why" status_is "FAILED, nothing changed: *"
in_container systemctl stop bpffw@st.service
in_container systemctl reset-failed bpffw@st.service 2>/dev/null || true
rm -f "$pins/bpffw/st"

# 8. Audit mode through bpffw@NAME (docs/bpffwc.md, "Try it on live traffic first"): --audit in
# NAME.conf loads a program that drops nothing, which status and stats say; the reload without it
# enforces the filter, and the unit's journal has bpffwc's note that the mode changed.
put /etc/bpffw/au.filter <<<'tcp && dst_port == 443'
put /etc/bpffw/au.conf <<<'BPFFWC_OPTIONS="-t ingress --audit"'
check "bpffw@au starts in audit mode" in_container systemctl start bpffw@au.service
check "status names it an audit program" bash -c 'nsenter -t "$1" -a /usr/local/bin/bpffwc status au | grep -q "(audit mode: drops nothing)"' _ "$container_pid"
check "stats --json says audit" bash -c 'nsenter -t "$1" -a /usr/local/bin/bpffwc stats --json /sys/fs/bpf/bpffw/au | grep -q "\"audit\":true"' _ "$container_pid"
put /etc/bpffw/au.conf <<<'BPFFWC_OPTIONS="-t ingress"'
check "status sees the conf ask to enforce" bash -c 'nsenter -t "$1" -a /usr/local/bin/bpffwc status au | grep -q "asks to enforce the filter"' _ "$container_pid"
check "the reload without --audit succeeds" in_container systemctl reload bpffw@au.service
check "the program enforces now" bash -c 'nsenter -t "$1" -a /usr/local/bin/bpffwc stats --json /sys/fs/bpf/bpffw/au | grep -q "\"audit\":false"' _ "$container_pid"
check "the journal has the note of the switch" bash -c 'nsenter -t "$1" -a journalctl -q -u bpffw@au.service --no-pager | grep -q "was in audit mode; the new one enforces"' _ "$container_pid"
in_container systemctl stop bpffw@au.service
rm -f "$pins/bpffw/au"

if ((failures > 0)); then
  in_container journalctl -b -q -o short --no-pager -n 60 >&2 || true
  fail "$failures checks failed"
fi
say "all checks passed"
