#!/usr/bin/env bash
# `systemctl restart` of a service that uses the one-liner, before and after the compile cache
# (issue 30, item 1), under a real systemd: boots the Debian 12 root of test/systemd (systemd-nspawn,
# test/systemd/container.sh) with bpffw installed from the build tree into a staging directory,
# bound read-only over the container's /usr/local, and times, in one interleaved run:
#   A (before) ExecStartPre=+/usr/local/bin/bpffwc --no-cache --attach self -t ingress --replace-all F1
#   B (after)  the same without --no-cache: a compile cache hit (the cache is warmed once first)
#   C (floor)  the same service without ExecStartPre=: what systemd's restart costs by itself
# each with ExecStart=/bin/sleep infinity, F1 = 'icmp || (udp && dst_port == 53) || (tcp && dst_port == 80)'.
# Before timing it checks that A and B really attach F1 to their own cgroups (bpffwc show) and C
# nothing, and that B is served without the compiler while A needs it (for one restart of each,
# the compiler module cut to its first 4 KiB: its build id, which the cache's key names, is still
# there, but it cannot be loaded); after timing, that A and B still have F1 attached.
# Each round restarts all three (`nsenter ... systemctl restart UNIT`, timed from the host), in an
# order rotated every round. Prints a markdown table: median/min/max ms per service and the medians
# of the per-round ratios B/A and (B-C)/(A-C).
#
# Usage: bench/systemd_restart.sh [ROUNDS]      (default 21), as root
# Environment: BPFFW_BUILD_DIR (default build/; only installed from, never built),
#              BPFFW_TEST_ROOT (default /var/cache/bpffw-test/debian12-root, as systemd_test.sh)
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
rounds=${1:-21}
build=${BPFFW_BUILD_DIR:-$repo/build}
root=${BPFFW_TEST_ROOT:-/var/cache/bpffw-test/debian12-root}
f1='icmp || (udp && dst_port == 53) || (tcp && dst_port == 80)'

say() { printf 'systemd restart bench: %s\n' "$*" >&2; }
fail() { printf 'systemd restart bench: FAIL: %s\n' "$*" >&2; exit 1; }

[[ $rounds =~ ^[1-9][0-9]*$ ]] || fail "ROUNDS must be a positive number, not '$rounds'"
[[ $(id -u) -eq 0 ]] || fail "needs root (systemd-nspawn, cgroups, BPF)"
for tool in systemd-nspawn nsenter flock cmake; do
  command -v "$tool" >/dev/null || fail "$tool is missing"
done
[[ -x $build/tools/bpffwc/bpffwc && -e $build/tools/bpffwc/bpffwc-compiler.so ]] ||
  fail "no bpffwc and bpffwc-compiler.so in $build/tools/bpffwc: build first (this script does not)"
if [[ ! -x $root/usr/lib/systemd/systemd || ! -x $root/bin/sleep ]]; then
  fail "no Debian 12 root with systemd at $root: test/systemd/systemd_test.sh BUILD_DIR builds it (debootstrap)"
fi

# One boot of the root at a time, as systemd_test.sh (nspawn locks the directory anyway).
exec 9>"$root.lock"
flock 9

# --- bpffw, installed once into a staging directory: a rebuild of the tree cannot disturb the run
# (shellcheck follows it with -x; without, SC1091 would only say that it does not)
# shellcheck source=SCRIPTDIR/../test/systemd/container.sh disable=SC1091
source "$repo/test/systemd/container.sh"
stage=$(mktemp -d /tmp/bpffw-stage-XXXX)
remove_at_exit+=("$stage")
DESTDIR=$stage cmake --install "$build" --prefix /usr/local --strip >/dev/null ||
  fail "cmake --install into $stage failed"
compiler=$stage/usr/local/libexec/bpffw/bpffwc-compiler.so
[[ -x $stage/usr/local/bin/bpffwc && -e $compiler ]] || fail "cmake --install did not install bpffwc and its compiler module"

# --- boot ----------------------------------------------------------------------------------------
# A unified hierarchy in the container, as Debian 12 has by default (and as systemd_test.sh boots).
export SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1
boot_container "$root" bpffw-bench-restart --bind-ro="$stage/usr/local:/usr/local"
# The units live in /run (gone with the container); the cache in the root's /var/cache/bpffw, the
# default, emptied now and removed before the container powers off.
cache_dir=/var/cache/bpffw
container_cleanup_bench() {
  local status=$?
  set +e  # (exit "$status") below passes the status on; under -e it would end the trap there
  [[ -n ${container_pid:-} ]] && kill -0 "$container_pid" 2>/dev/null &&
    in_container rm -rf "$cache_dir" 2>/dev/null
  (exit "$status")
  container_cleanup
}
trap container_cleanup_bench EXIT
in_container rm -rf "$cache_dir"

bpffwc=/usr/local/bin/bpffwc
unit_a=bpffw-bench-before.service
unit_b=bpffw-bench-after.service
unit_c=bpffw-bench-floor.service
write_unit() {  # write_unit UNIT DESCRIPTION [EXECSTARTPRE]
  {
    # No start rate limit: the rounds restart each unit more often than 5 times in 10 s.
    printf '[Unit]\nDescription=%s\nStartLimitIntervalSec=0\n\n[Service]\n' "$2"
    [[ -n ${3:-} ]] && printf 'ExecStartPre=%s\n' "$3"
    printf 'ExecStart=/bin/sleep infinity\n'
  } | in_container sh -c "mkdir -p /run/systemd/system && cat > /run/systemd/system/$1"
}
# The one-liner as docs/systemd.md and examples/systemd/ write it (a '+', the filter in quotes).
write_unit "$unit_a" "bench A: the one-liner, compile cache off" \
  "+$bpffwc --no-cache --attach self -t ingress --replace-all '$f1'"
write_unit "$unit_b" "bench B: the one-liner, compile cache on" \
  "+$bpffwc --attach self -t ingress --replace-all '$f1'"
write_unit "$unit_c" "bench C: no ExecStartPre="
in_container systemctl daemon-reload

restart() { in_container systemctl restart "$1" || fail "systemctl restart $1 failed"; }
# attached UNIT: F1 is attached to the unit's cgroup on ingress (bpffwc show), exactly once.
attached() {
  local out
  out=$(in_container "$bpffwc" show "system.slice/$1" 2>&1) || { printf '%s\n' "$out" >&2; return 1; }
  if [[ $(grep -cF "$f1" <<<"$out") != 1 ]]; then
    printf 'bpffwc show system.slice/%s:\n%s\n' "$1" "$out" >&2
    return 1
  fi
}
nothing_attached() {
  local out
  out=$(in_container "$bpffwc" show "system.slice/$1" 2>&1) || { printf '%s\n' "$out" >&2; return 1; }
  ! grep -qF "$f1" <<<"$out" || { printf 'bpffwc show system.slice/%s:\n%s\n' "$1" "$out" >&2; return 1; }
}
cache_entries() { in_container "$bpffwc" cache show | awk 'NR == 1 { print $2 }'; }

# --- checks before timing -------------------------------------------------------------------------
restart "$unit_a"
[[ $(cache_entries) == 0 ]] || fail "A (--no-cache) stored its program in the compile cache"
restart "$unit_b"  # warms the cache
[[ $(cache_entries) == 1 ]] || fail "B did not store its program in the compile cache: $(in_container "$bpffwc" cache show)"
restart "$unit_c"
attached "$unit_a" || fail "F1 is not attached to $unit_a's cgroup"
attached "$unit_b" || fail "F1 is not attached to $unit_b's cgroup"
nothing_attached "$unit_c" || fail "something of bpffw is attached to $unit_c's cgroup"
# B is served by the small bpffwc alone, A is not: with a compiler module that cannot be loaded,
# B still restarts (and attaches), A cannot.
mv "$compiler" "$compiler.whole"
head -c 4096 "$compiler.whole" >"$compiler"
in_container systemctl restart "$unit_b" || { mv -f "$compiler.whole" "$compiler"; fail "B needs the compiler: not a compile cache hit"; }
if in_container systemctl restart "$unit_a" 2>/dev/null; then
  mv -f "$compiler.whole" "$compiler"
  fail "A restarted without the compiler: --no-cache did not compile"
fi
mv -f "$compiler.whole" "$compiler"
in_container systemctl reset-failed "$unit_a" 2>/dev/null || true
attached "$unit_b" || fail "F1 is not attached to $unit_b's cgroup after a restart from the cache"
restart "$unit_a"
attached "$unit_a" || fail "F1 is not attached to $unit_a's cgroup"
say "checked: A compiles (the compiler module) and attaches F1, B attaches F1 from the cache alone, C has no program"

# --- timing ------------------------------------------------------------------------------------
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
times=$(mktemp /tmp/bpffw-bench-restart.XXXXXX)
remove_at_exit+=("$times")
units=("$unit_a" "$unit_b" "$unit_c")
names=(A B C)
for ((round = 0; round < rounds; round++)); do
  for ((k = 0; k < 3; k++)); do
    i=$(((round + k) % 3))
    start=$EPOCHREALTIME
    restart "${units[i]}"
    end=$EPOCHREALTIME
    # EPOCHREALTIME is seconds.microseconds: microseconds as integers, no floating point in bash.
    printf '%d %s %d\n' "$round" "${names[i]}" $((${end/./} - ${start/./})) >>"$times"
  done
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
attached "$unit_a" || fail "F1 is no longer attached to $unit_a's cgroup after the timed rounds"
attached "$unit_b" || fail "F1 is no longer attached to $unit_b's cgroup after the timed rounds"
[[ $(cache_entries) == 1 ]] || fail "the compile cache holds $(cache_entries) entries after the timed rounds, not 1"
in_container systemctl stop "$unit_a" "$unit_b" "$unit_c"

# --- the table -------------------------------------------------------------------------------------
systemd_version=$(in_container systemctl --version | awk 'NR == 1 { print $2 }')
commit=$(git -C "$repo" describe --always --dirty 2>/dev/null || echo unknown)
printf '%s rounds, %s UTC, bpffw %s (installed from %s), systemd %s in systemd-nspawn, host kernel %s, load %s -> %s\n\n' \
  "$rounds" "$(date -u '+%Y-%m-%d %H:%M')" "$commit" "$build" "$systemd_version" "$(uname -r)" "$load_before" "$load_after"
awk -v rounds="$rounds" '
  function median(a, n,   i, j, t) {  # sorts a[1..n]
    for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  { us[$2, $1] = $3 }
  END {
    what["A"] = "A, before: `bpffwc --no-cache --attach self ...` (compiles)"
    what["B"] = "B, after: `bpffwc --attach self ...` (compile cache hit)"
    what["C"] = "C, floor: no `ExecStartPre=`"
    print "| `systemctl restart` of | median ms | min ms | max ms |"
    print "|---|---:|---:|---:|"
    split("A B C", order, " ")
    for (s = 1; s <= 3; s++) {
      n = 0
      for (r = 0; r < rounds; r++) v[++n] = us[order[s], r] / 1000
      m = median(v, n)
      printf "| %s | %.1f | %.1f | %.1f |\n", what[order[s]], m, v[1], v[n]
    }
    for (r = 0; r < rounds; r++) {
      ba[r + 1] = us["B", r] / us["A", r]
      net[r + 1] = (us["B", r] - us["C", r]) / (us["A", r] - us["C", r])
    }
    printf "\nmedian of the per-round ratios: B/A %.3f, (B-C)/(A-C) %.3f\n", median(ba, rounds), median(net, rounds)
  }' "$times"
