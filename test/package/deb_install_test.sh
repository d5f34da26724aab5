#!/usr/bin/env bash
# bpffw installed and used as an administrator would, in a Debian 12 root booted with its own
# systemd (test/systemd/container.sh; --ephemeral: the root itself is never changed):
#   1. apt-get install ./bpffw_*.deb ./libbpffw0.1_*.deb pulls their dependencies and nothing else
#      (no LLVM: it is linked in); bpffwc runs from /usr/bin; the units pass systemd-analyze verify;
#      the ldconfig trigger registered libbpffw.so.0.1.
#   2. A named filter, /etc/bpffw/web.filter with comments over several lines (and web.conf), loaded
#      by bpffw@web.service; two long-running services ping through it, one with
#      IPIngressFilterPath=, one with the fail-closed ExecStartPre=+bpffwc attach self. After an edit,
#      `systemctl reload bpffw@web` changes both running services' verdicts on real traffic, with
#      no restart; a broken edit leaves the filter in force, the reload fails, and the journal of
#      bpffw@web has the error with FILE:LINE:COLUMN and the caret.
#   2b. `bpffwc status` after a hand --force -o, a live set, a failed reload and a removed filter
#      file: each divergence named, and agreement after a reload.
#   3. Failing closed (docs/systemd.md): what systemd 252 does when IPIngressFilterPath= names a
#      missing pin (refuses to start) or a pin that is not a program (starts unfiltered!), and that
#      the shipped pattern and the one-liner refuse to start in both cases.
#   4. dpkg -r removes every file. bpffw-dev is only unpacked (its Depends, libbpf-dev and
#      libexpected-dev, are not in the root). dpkg --purge removes the compile cache, which the
#      units filled (root's, 0700).
# Needs root and systemd-container; the root is test/systemd's ($BPFFW_TEST_ROOT, default
# /var/cache/bpffw-test/debian12-root, built by systemd_container_test, which ctest runs first): a
# missing root fails the test.
#   deb_install_test.sh SOURCE_DIR DEB_BUILD_DIR
set -euo pipefail
source=$1
deb_build=$2
root=${BPFFW_TEST_ROOT:-/var/cache/bpffw-test/debian12-root}

say() { printf 'deb install test: %s\n' "$*"; }
fail() { printf 'deb install test: FAIL: %s\n' "$*" >&2; exit 1; }

[[ $(id -u) -eq 0 ]] || fail "needs root (systemd-nspawn)"
for tool in systemd-nspawn nsenter bpftool; do
  command -v "$tool" >/dev/null || fail "$tool is missing: apt-get install systemd-container bpftool"
done
if [[ ! -x $root/usr/lib/systemd/systemd ]]; then
  fail "no container root at $root: run systemd_container_test first (it debootstraps the root)"
fi

work=$(mktemp -d /tmp/bpffw-test-deb-install.XXXXXX)
trap 'rm -rf "$work"' EXIT  # until boot_container's trap, which removes it too
"$source/scripts/build-deb" "$deb_build" > "$work/debs" || fail "scripts/build-deb"
mkdir "$work/debs.d"
while read -r deb; do cp "$deb" "$work/debs.d/"; done < "$work/debs"

# test/systemd's lock: its run installs into this root, so wait for it.
exec 9>"$root.lock"
flock 9
source "$source/test/systemd/container.sh"
remove_at_exit+=("$work")
boot_container "$root" bpffw-test-deb --ephemeral --bind-ro="$work/debs.d":/debs

# --- 1. install --------------------------------------------------------------------------------------
# The systemd test installs into this root with `cmake --install` under /usr/local, whose units
# systemd would prefer: this copy gets only what the packages bring.
in_container sh -c 'rm -rf /usr/local/bin/bpffwc /usr/local/lib/systemd/system/* /usr/local/share/doc/bpffw'
apt_log=$work/apt.log
debs=("$work"/debs.d/bpffw_*.deb "$work"/debs.d/libbpffw0.1_*.deb)  # as the container sees them:
in_container env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
  "${debs[@]/#"$work"\/debs.d//debs}" >"$apt_log" 2>&1 </dev/null || { cat "$apt_log" >&2; fail "apt-get install"; }
# The packages apt chose: the indented lines after "The following NEW packages will be installed:".
new=$(awk '/^The following NEW packages/ { on = 1; next } on && /^ / { print; next } { on = 0 }' "$apt_log" |
  tr -s ' ' '\n' | sed '/^$/d' | sort | tr '\n' ' ')
say "apt-get install brought: $new(bpffw Depends: $(dpkg-deb -f "${debs[0]}" Depends); what the root has already is not brought again)"
check "apt-get installed bpffw and libbpffw0.1" grep -qE '(^| )bpffw .*libbpffw0\.1 |(^| )libbpffw0\.1 .*bpffw ' <<<"$new "
check "and nothing of LLVM, clang or a compiler (linked in statically)" \
  bash -c '! grep -qiE "llvm|clang|libz3|gcc|g\+\+" <<<"$1"' _ "$new"
check "bpffwc --version runs from /usr/bin" in_container /usr/bin/bpffwc --version
check "the packaged units pass systemd-analyze verify" in_container systemd-analyze verify --man=no \
  /usr/lib/systemd/system/bpffw@.service /usr/lib/systemd/system/cgroup-sock-drop.service \
  /usr/lib/systemd/system/bpf-firewall@.service /usr/lib/systemd/system/bpffw-log.service
check "the ldconfig trigger registered libbpffw.so.0.1" \
  bash -c 'nsenter -t "$1" -a ldconfig -p | grep -q "x86_64-linux-gnu/libbpffw.so.0.1$"' _ "$container_pid"

# --- 2. a named filter, reloaded under running services --------------------------------------------
put() { in_container sh -c "cat > $1"; }  # put FILE: standard input becomes FILE in the container
in_container mkdir -p /etc/bpffw
put /etc/bpffw/web.filter <<'FILTER'
# /etc/bpffw/web.filter: what the pingers may receive.
icmp        # ping's echo replies
  || tcp    # and TCP, for the web server to come
FILTER
put /etc/bpffw/web.conf <<<'BPFFWC_OPTIONS="-t ingress"'
for style in path closed; do
  if [[ $style == path ]]; then attach='IPIngressFilterPath=/sys/fs/bpf/bpffw/web'
  else attach='ExecStartPre=+/usr/bin/bpffwc attach self -t ingress --replace-all /sys/fs/bpf/bpffw/web'; fi
  put /etc/systemd/system/pinger-$style.service <<UNIT
[Unit]
Wants=bpffw@web.service
After=bpffw@web.service
[Service]
$attach
ExecStart=/usr/bin/ping -O -i 0.1 127.0.0.1
UNIT
done
in_container systemctl daemon-reload
check "the unit is the package's, calling /usr/bin/bpffwc" bash -c '
  unit=$(nsenter -t "$1" -a systemctl show -p FragmentPath --value bpffw@web.service)
  echo "bpffw@web.service is $unit"
  [[ $unit == */lib/systemd/system/bpffw@.service && $unit != /usr/local/* ]] &&
    nsenter -t "$1" -a grep -q "^ExecReload=/usr/bin/bpffwc --replace-everywhere" /usr/lib/systemd/system/bpffw@.service' \
  _ "$container_pid"
check "bpffw@web and two services using it start" in_container systemctl start pinger-path.service pinger-closed.service
check "the pin is /sys/fs/bpf/bpffw/web, in a directory for root alone" \
  bash -c '[[ -e $1/bpffw/web && $(stat -c %a "$1/bpffw") == 700 ]]' _ "$pins"
check "web.conf's options reached bpffwc: the program is for ingress" \
  bash -c 'nsenter -t "$1" -a bpffwc show /sys/fs/bpf/bpffw/web | grep -qx "direction   ingress"' _ "$container_pid"

# Ping's lines since the mark: replies ("bytes from") or none ("no answer yet").
journal_lines() { in_container journalctl -q -o cat --no-pager -u "$1" | wc -l; }
declare -A mark
set_marks() { for s in path closed; do mark[$s]=$(journal_lines pinger-$s.service); done; }
since_mark() { in_container journalctl -q -o cat --no-pager -u "pinger-$1.service" | tail -n +"$((mark[$1] + 1))"; }
replies() { since_mark "$1" | grep -q 'bytes from 127.0.0.1'; }
only_unanswered() { local lines; lines=$(since_mark "$1"); grep -q 'no answer yet' <<<"$lines" && ! grep -q 'bytes from' <<<"$lines"; }
main_pid() { in_container systemctl show -p MainPID --value "pinger-$1.service"; }

set_marks; sleep 1
for s in path closed; do check "pinger-$s: replies pass the first filter" replies $s; done
pid_path=$(main_pid path) pid_closed=$(main_pid closed)
old_id=$(in_container bpffwc show --json /sys/fs/bpf/bpffw/web | sed 's/.*"program":{"id":\([0-9]*\).*/\1/')

put /etc/bpffw/web.filter <<'FILTER'
# /etc/bpffw/web.filter, second version: no more ping.
tcp && dst_port == 80     # HTTP only
FILTER
check "systemctl reload bpffw@web succeeds" in_container systemctl reload bpffw@web.service
sleep 0.5; set_marks; sleep 1
for s in path closed; do check "pinger-$s: after the reload its replies are dropped" only_unanswered $s; done
check "both kept running, with no restart" bash -c '[[ $(nsenter -t "$1" -a systemctl show -p MainPID --value pinger-path.service) == "$2" && $(nsenter -t "$1" -a systemctl show -p MainPID --value pinger-closed.service) == "$3" ]]' _ "$container_pid" "$pid_path" "$pid_closed"
new_id=$(in_container bpffwc show --json /sys/fs/bpf/bpffw/web | sed 's/.*"program":{"id":\([0-9]*\).*/\1/')
check "the reload said where it swapped the program in" bash -c 'nsenter -t "$1" -a journalctl -q -o cat --no-pager -u bpffw@web.service | grep -q "program $2 replaces $3 at the pin and in 2 cgroups"' _ "$container_pid" "$new_id" "$old_id"

put /etc/bpffw/web.filter <<'FILTER'
# /etc/bpffw/web.filter, broken: a typo on line 3.
tcp
  && dst_prot == 80
FILTER
check "a broken edit: systemctl reload bpffw@web fails" bash -c '! nsenter -t "$1" -a systemctl reload bpffw@web.service 2>/dev/null' _ "$container_pid"
journal=$(in_container journalctl -q -o cat --no-pager -u bpffw@web.service)
check "its journal has the error with FILE:LINE:COLUMN" \
  grep -qF "bpffwc: error: /etc/bpffw/web.filter:3:6: unknown variable 'dst_prot' (did you mean 'dst_port'?)" <<<"$journal"
check "and the line with the caret" grep -qxF '       ^~~~~~~~' <<<"$journal"
check "bpffw@web stays active, its pin unchanged" bash -c '[[ $(nsenter -t "$1" -a systemctl is-active bpffw@web.service) == active && $(nsenter -t "$1" -a bpffwc show --json /sys/fs/bpf/bpffw/web) == *"\"id\":$2,"* ]]' _ "$container_pid" "$new_id"
# The failed reload leaves the unit active: its status line (bpffwc sets it) says it failed.
status_says_failed() {
  local text
  text=$(in_container systemctl show -p StatusText --value bpffw@web.service)
  say "bpffw@web: Status: $text"
  [[ $text == "FAILED, nothing changed: /etc/bpffw/web.filter:3:6: unknown variable 'dst_prot'"*"(in force: program $new_id, as before)" ]]
}
check "systemctl status bpffw@web says the reload FAILED, with the error and the program in force" status_says_failed
set_marks; sleep 1
for s in path closed; do check "pinger-$s: the filter in force still drops its replies" only_unanswered $s; done
# The one-liner reads the same file itself (the broken one refuses to start, below): a good file lets it start.
put /etc/bpffw/ping.filter <<'FILTER'
# one-liner test: replies may come in
icmp
FILTER
check "the one-liner with -f /etc/bpffw/ping.filter: starts and ping gets its reply" in_container systemd-run --wait -q \
  -p "ExecStartPre=+/usr/bin/bpffwc --attach self -t ingress --replace-all -f /etc/bpffw/ping.filter" \
  /usr/bin/ping -c 1 -W 1 127.0.0.1
# Restarting, failing or stopping bpffw@web neither stops the services (Wants=) nor unfilters them.
check "with the broken file, systemctl restart bpffw@web fails" \
  bash -c '! nsenter -t "$1" -a systemctl restart bpffw@web.service 2>/dev/null' _ "$container_pid"
check "and systemctl says bpffw@web failed" \
  bash -c '[[ $(nsenter -t "$1" -a systemctl is-failed bpffw@web.service) == failed ]]' _ "$container_pid"
check "both services kept running through it, with no restart" bash -c '[[ $(nsenter -t "$1" -a systemctl show -p MainPID --value pinger-path.service) == "$2" && $(nsenter -t "$1" -a systemctl show -p MainPID --value pinger-closed.service) == "$3" ]]' _ "$container_pid" "$pid_path" "$pid_closed"
set_marks; sleep 1
for s in path closed; do check "pinger-$s: still filtered by the last good program" only_unanswered $s; done
in_container systemctl stop bpffw@web.service
check "stopping bpffw@web keeps its pin: the filter stays in force" test -e "$pins/bpffw/web"
in_container systemctl stop pinger-path.service pinger-closed.service
rm -f "$pins/bpffw/web"

# --- 2b. bpffwc status names each way the running filter parts from its files ----------------------
# A named filter with a set file, under a running service; then a hand --force -o, a live set, a
# failed reload and a removed file, each named by `bpffwc status` (exit 1), and agreement (exit 0).
put /etc/bpffw/guard.filter <<<'icmp && !(src_addr in blocklist)'
put /etc/bpffw/guard.blocklist <<<'192.0.2.0/24   # documentation addresses'
put /etc/bpffw/guard.conf <<<'BPFFWC_OPTIONS="-t ingress --set-file blocklist=/etc/bpffw/guard.blocklist"'
put /etc/systemd/system/pinger-guard.service <<'UNIT'
[Unit]
Wants=bpffw@guard.service
After=bpffw@guard.service
[Service]
ExecStartPre=+/usr/bin/bpffwc attach self -t ingress --replace-all /sys/fs/bpf/bpffw/guard
ExecStart=/usr/bin/ping -O -i 0.5 127.0.0.1
UNIT
in_container systemctl daemon-reload
in_container systemctl start pinger-guard.service
status_of() { in_container bpffwc status guard > "$work/status" 2>&1; echo $? >> "$work/status"; cat "$work/status"; }
# status_says DESCRIPTION EXIT TEXT: `bpffwc status guard` exits EXIT and prints TEXT
status_says() {
  local out
  out=$(status_of)
  say "bpffwc status guard, $1:"
  sed 's/^/    /' <<<"$out"
  [[ $(tail -n 1 <<<"$out") == "$2" ]] && grep -qF -- "$3" <<<"$out"
}
check "status: as started, the filter agrees with its files" \
  status_says "as started" 0 "pinger-guard.service (ingress); agrees with /etc/bpffw/guard.filter"
in_container bpffwc --force -o /sys/fs/bpf/bpffw/guard -t ingress 'icmp' >/dev/null
check "status: after a hand --force -o, the other expression is named" \
  status_says "after a hand --force -o" 1 "diverges: the program runs another expression than /etc/bpffw/guard.filter"
in_container systemctl reload bpffw@guard.service
check "status: a reload brings them together" status_says "after the reload" 0 "agrees with /etc/bpffw/guard.filter"
in_container bpffwc set /sys/fs/bpf/bpffw/guard blocklist+=198.51.100.7 >/dev/null 2>&1
check "status: after a live set, the item the file lacks is named" \
  status_says "after a live set" 1 "diverges: set blocklist holds 1 item (198.51.100.7) that its declaration lacks"
in_container systemctl reload bpffw@guard.service
put /etc/bpffw/guard.filter <<<'icmp && !(src_adr in blocklist)'
in_container systemctl reload bpffw@guard.service 2>/dev/null || true
check "status: after a failed reload, the file that does not compile is named" \
  status_says "after a failed reload" 1 "diverges: /etc/bpffw/guard.filter:1:11: unknown variable 'src_adr'"
in_container rm /etc/bpffw/guard.filter
check "status: a removed filter file is named" \
  status_says "after rm guard.filter" 1 "has no /etc/bpffw/guard.filter: its files are gone"
in_container systemctl stop pinger-guard.service bpffw@guard.service
rm -f "$pins/bpffw/guard"

# --- 3. failing closed -----------------------------------------------------------------------------
# run_ping [PROPERTY...]: a transient service pinging once; succeeds when it started and got a reply.
run_ping() { in_container systemd-run --wait -q "${@/#/-p}" /usr/bin/ping -c 1 -W 1 127.0.0.1 >/dev/null 2>&1; }
bpftool map create "$pins/not-a-program" type array key 4 value 4 entries 1 name not_a_program
check "systemd 252, IPIngressFilterPath= with a missing pin: refuses to start" \
  bash -c '! nsenter -t "$1" -a systemd-run --wait -q -p IPIngressFilterPath=/sys/fs/bpf/missing /usr/bin/true 2>/dev/null' _ "$container_pid"
check "systemd 252, IPIngressFilterPath= naming a map, not a program: starts UNFILTERED (ping replied)" \
  run_ping IPIngressFilterPath=/sys/fs/bpf/not-a-program
for pin in missing not-a-program; do
  check "the shipped pattern (ExecStartPre=+bpffwc attach self) with $pin: refuses to start" \
    bash -c '! nsenter -t "$1" -a systemd-run --wait -q -p "ExecStartPre=+/usr/bin/bpffwc attach self -t ingress /sys/fs/bpf/$2" /usr/bin/true 2>/dev/null' _ "$container_pid" "$pin"
done
check "the one-liner with a broken filter: refuses to start" \
  bash -c '! nsenter -t "$1" -a systemd-run --wait -q -p "ExecStartPre=+/usr/bin/bpffwc --attach self -t ingress \"tcp &&\"" /usr/bin/true 2>/dev/null' _ "$container_pid"
check "the one-liner with a broken filter file: refuses to start" \
  bash -c '! nsenter -t "$1" -a systemd-run --wait -q -p "ExecStartPre=+/usr/bin/bpffwc --attach self -t ingress -f /etc/bpffw/web.filter" /usr/bin/true 2>/dev/null' _ "$container_pid"

# --- 4. remove -------------------------------------------------------------------------------------
remove_all() {
  in_container sh -c '
    dpkg --unpack /debs/bpffw-dev_*.deb >/tmp/dpkg.log 2>&1 || { cat /tmp/dpkg.log; exit 1; }
    [ -e /usr/include/bpffw/bpffw.hpp ] && [ -L /usr/lib/x86_64-linux-gnu/libbpffw.so ] || { echo "bpffw-dev files"; exit 1; }
    files=$(dpkg -L bpffw libbpffw0.1 bpffw-dev | sort -u)
    dpkg -r bpffw-dev libbpffw0.1 bpffw >/tmp/dpkg.log 2>&1 || { cat /tmp/dpkg.log; exit 1; }
    for f in $files; do [ -d "$f" ] || [ ! -e "$f" ] || { echo "$f left after dpkg -r"; exit 1; }; done'
}
check "the units' compiles filled the compile cache, /var/cache/bpffw, root's and 0700" bash -c '
  [[ $(nsenter -t "$1" -a stat -c %U:%a /var/cache/bpffw) == root:700 ]] &&
    nsenter -t "$1" -a bpffwc cache show | grep -q "^/var/cache/bpffw: [1-9][0-9]* entries"' _ "$container_pid"
check "bpffw-dev unpacks; dpkg -r removes every file of the three packages" remove_all
# Without conffiles, dpkg -r purges already; with them, dpkg --purge does (postrm purge either way).
check "purging bpffw removes the compile cache" bash -c '
  nsenter -t "$1" -a dpkg --purge bpffw >/dev/null 2>&1 || true
  ! nsenter -t "$1" -a test -e /var/cache/bpffw' _ "$container_pid"


if ((failures > 0)); then
  in_container journalctl -b -q -o short --no-pager -n 80 >&2 || true
  fail "$failures checks failed"
fi
say "all checks passed"
