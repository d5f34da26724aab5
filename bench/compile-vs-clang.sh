#!/usr/bin/env bash
# Whole-process compile + load + pin of F1, as root:
#   A: bpffwc -o PIN 'F1'
#   B: clang-19 -O2 -target bpf -c bench/reference/f1.bpf.c  +  bpftool prog load f1.bpf.o PIN
# where bench/reference/f1.bpf.c is the same filter written by hand in C with the same packet
# semantics. First checks that both programs give the specified verdict on every sample packet,
# then runs N interleaved pairs (the order inside a pair alternates: AB, BA, AB, ...), removing
# the pins after every run, and prints one table: median/min/max wall time per path, the median of
# the per-pair ratios B/A, and the median peak RSS of each path (/usr/bin/time, separate runs).
#
# Usage: bench/compile-vs-clang.sh [PAIRS]     (default 31; runs scripts/bootstrap first)
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
pairs=${1:-31}
rss_runs=5
export BPFFW_BUILD_DIR=${BPFFW_BUILD_DIR:-$repo/build}
bash "$repo/scripts/bootstrap" bpffwc >&2
# shellcheck source=scripts/lib/sample-packets.sh
source "$repo/scripts/lib/sample-packets.sh"

bpffwc=${BPFFWC:-$BPFFW_BUILD_DIR/tools/bpffwc/bpffwc}
reference=$repo/bench/reference/f1.bpf.c
f1='icmp || (udp && dst_port == 53) || (tcp && dst_port == 80)'
# clang -target bpf does not search the multiarch include directory that holds <asm/types.h>.
clang_flags=(-O2 -target bpf -I"/usr/include/$(gcc -print-multiarch)")

tmp=$(mktemp -d /tmp/bpffw-bench.XXXXXX)
pin_a=/sys/fs/bpf/bpffw-bench-$$-bpffwc
pin_b=/sys/fs/bpf/bpffw-bench-$$-clang
cleanup() { rm -f "$pin_a" "$pin_b"; rm -rf "$tmp"; }
trap cleanup EXIT

path_a() { "$bpffwc" -o "$pin_a" "$f1"; }
path_b() {
  clang-19 "${clang_flags[@]}" -c "$reference" -o "$tmp/f1.bpf.o"
  bpftool prog load "$tmp/f1.bpf.o" "$pin_b"
}

# 1. Both programs must be right before their speed means anything.
path_a
path_b
bad=0
for entry in "${SAMPLE_PACKETS[@]}"; do
  read -r name expected _ <<<"$entry"
  sample_frame "$name" >"$tmp/frame"
  a=$(run_pinned "$pin_a" "$tmp/frame")
  b=$(run_pinned "$pin_b" "$tmp/frame")
  want=$([[ $expected == pass ]] && echo 1 || echo 0)
  if [[ $a != "$want" || $b != "$want" ]]; then
    echo "verdict mismatch on $name: spec $want, bpffwc $a, clang $b" >&2
    bad=1
  fi
done
((bad == 0)) || { echo "bench: the two programs disagree with the spec; not timing them" >&2; exit 1; }
sizes_a=$(bpftool prog show pinned "$pin_a" | grep -o 'xlated [0-9]*B  jited [0-9]*B')
sizes_b=$(bpftool prog show pinned "$pin_b" | grep -o 'xlated [0-9]*B  jited [0-9]*B')
rm -f "$pin_a" "$pin_b"

# 2. Wall time, interleaved. EPOCHREALTIME has microsecond resolution; no wrapper process.
now_us() { local t=${EPOCHREALTIME/[.,]/}; echo $((10#$t)); }
time_a() { local s; s=$(now_us); path_a; echo $(($(now_us) - s)) >>"$tmp/a"; rm -f "$pin_a"; }
time_b() { local s; s=$(now_us); path_b; echo $(($(now_us) - s)) >>"$tmp/b"; rm -f "$pin_b" "$tmp/f1.bpf.o"; }
path_a && rm -f "$pin_a"  # warm the page cache for both paths
path_b && rm -f "$pin_b"
: >"$tmp/a"
: >"$tmp/b"
for ((i = 0; i < pairs; i++)); do
  if ((i % 2 == 0)); then time_a; time_b; else time_b; time_a; fi
done

# 3. Peak RSS (KiB) of each path: the largest process of the path, under GNU time.
for ((i = 0; i < rss_runs; i++)); do
  /usr/bin/time -f %M -o "$tmp/rss" "$bpffwc" -o "$pin_a" "$f1"
  cat "$tmp/rss" >>"$tmp/rss_a"
  rm -f "$pin_a"
  /usr/bin/time -f %M -o "$tmp/rss" clang-19 "${clang_flags[@]}" -c "$reference" -o "$tmp/f1.bpf.o"
  clang_rss=$(cat "$tmp/rss")
  /usr/bin/time -f %M -o "$tmp/rss" bpftool prog load "$tmp/f1.bpf.o" "$pin_b"
  bpftool_rss=$(cat "$tmp/rss")
  echo $((clang_rss > bpftool_rss ? clang_rss : bpftool_rss)) >>"$tmp/rss_b"
  rm -f "$pin_b"
done

median() { sort -g "$1" | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
paste "$tmp/a" "$tmp/b" | awk '{ print $2 / $1 }' >"$tmp/ratio"
ms() { awk -v us="$1" 'BEGIN { printf "%.1f", us / 1000 }'; }
mib() { awk -v kib="$1" 'BEGIN { printf "%.1f", kib / 1024 }'; }
minmax() { sort -g "$1" | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%.1f-%.1f", lo / 1000, hi / 1000 }'; }

cpu=$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)
echo
echo "F1 = $f1"
echo "compile + load + pin, whole process; $pairs interleaved pairs; $(date -u +%Y-%m-%d), $(nproc) CPUs ($cpu), kernel $(uname -r)"
echo
row() { printf '| %-48s | %9s | %11s | %12s | %-26s |\n' "$@"; }
row path "median ms" "min-max ms" "peak RSS MiB" "program size"
echo "|--------------------------------------------------|----------:|------------:|-------------:|----------------------------|"
row "A: bpffwc -o PIN F1" "$(ms "$(median "$tmp/a")")" \
  "$(minmax "$tmp/a")" "$(mib "$(median "$tmp/rss_a")")" "$sizes_a"
row "B: clang-19 -O2 -target bpf + bpftool prog load" \
  "$(ms "$(median "$tmp/b")")" "$(minmax "$tmp/b")" "$(mib "$(median "$tmp/rss_b")")" "$sizes_b"
echo
awk -v r="$(median "$tmp/ratio")" 'BEGIN { printf "median of per-pair ratios B/A: %.2f (bpffwc takes %.3f of the clang path'"'"'s time)\n", r, 1 / r }'
