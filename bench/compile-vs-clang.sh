#!/usr/bin/env bash
# Whole-process compile + load + pin of F1, as root:
#   A: bpffwc -o PIN 'F1', a compile cache hit (the usual start: compiled before)
#   M: the same, a cache miss (an empty cache each time: compile, store, load)
#   N: bpffwc --no-cache -o PIN 'F1': compile and load, the cache neither read nor written
#   B: clang-19 -O2 -target bpf -c bench/reference/f1.bpf.c  +  bpftool prog load f1.bpf.o PIN
#   L: the floor: the object bpffwc compiles (--emit obj) loaded and pinned by a small C program
#      with libbpf linked statically (bench/reference/object_loader.c)
#   D: the floor of a miss's start: a small C program that loads bpffwc's compiler module
#      (dlopen of bpffwc-compiler.so: the dynamic loader and LLVM's static initializers) and exits
#      (bench/reference/module_loader.c)
#   T: /bin/true, what starting any process costs here
# where bench/reference/f1.bpf.c is the same filter written by hand in C with the same packet
# semantics. First checks that A, M and B give the specified verdict on every sample packet, then
# runs N interleaved rounds of all seven (the order rotates every round), removing the pins after
# every run, and prints one table: median/min/max wall time per path, the median of the per-round
# ratios to B, and the median peak RSS of A and B (/usr/bin/time, separate runs).
#
# Usage: bench/compile-vs-clang.sh [ROUNDS]     (default 31; runs scripts/bootstrap first)
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
pairs=${1:-31}
rss_runs=5
export BPFFW_BUILD_DIR=${BPFFW_BUILD_DIR:-$repo/build}
bash "$repo/scripts/bootstrap" bpffwc bpffw-object-loader bpffw-module-loader >&2
# shellcheck source=scripts/lib/sample-packets.sh
source "$repo/scripts/lib/sample-packets.sh"

bpffwc=${BPFFWC:-$BPFFW_BUILD_DIR/tools/bpffwc/bpffwc}
loader=$BPFFW_BUILD_DIR/bench/bpffw-object-loader
module_loader=$BPFFW_BUILD_DIR/bench/bpffw-module-loader
for program in "$loader" "$module_loader"; do
  [[ -x $program ]] || { echo "bench: $program is missing: configure with -DBPFFW_BUILD_BENCH=ON" >&2; exit 1; }
done
module=$(dirname "$bpffwc")/bpffwc-compiler.so
reference=$repo/bench/reference/f1.bpf.c
f1='icmp || (udp && dst_port == 53) || (tcp && dst_port == 80)'
# clang -target bpf does not search the multiarch include directory that holds <asm/types.h>.
clang_flags=(-O2 -target bpf -I"/usr/include/$(gcc -print-multiarch)")

tmp=$(mktemp -d /tmp/bpffw-bench.XXXXXX)
pin_a=/sys/fs/bpf/bpffw-bench-$$-bpffwc
pin_b=/sys/fs/bpf/bpffw-bench-$$-clang
pin_m=/sys/fs/bpf/bpffw-bench-$$-miss
pin_l=/sys/fs/bpf/bpffw-bench-$$-floor
cleanup() { rm -f "$pin_a" "$pin_b" "$pin_m" "$pin_l"; rm -rf "$tmp"; }
trap cleanup EXIT

# A cache of the bench's own, root's, 0700 (the default, /var/cache/bpffw, is left alone).
export BPFFW_CACHE_DIR=$tmp/cache
path_a() { "$bpffwc" -o "$pin_a" "$f1"; }
misses=0
path_m() { BPFFW_CACHE_DIR=$tmp/miss/$((++misses)) "$bpffwc" -o "$pin_m" "$f1"; }
path_n() { "$bpffwc" --no-cache -o "$pin_m" "$f1"; }
path_l() { "$loader" "$tmp/f1.o" "$pin_l"; }
path_d() { "$module_loader" "$module"; }
path_t() { /bin/true; }
"$bpffwc" --emit obj -O "$tmp/f1.o" "$f1"
path_b() {
  clang-19 "${clang_flags[@]}" -c "$reference" -o "$tmp/f1.bpf.o"
  bpftool prog load "$tmp/f1.bpf.o" "$pin_b"
}

# 1. The programs must be right before their speed means anything: A is served from the cache
# that the first run filled; M and L are the same program.
path_a
path_a_again() { "$bpffwc" -o "$pin_a-hit" "$f1"; }
path_a_again
path_m
path_l
path_d  # loads, or the bench stops here
path_b
bad=0
for entry in "${SAMPLE_PACKETS[@]}"; do
  read -r name expected _ <<<"$entry"
  sample_frame "$name" >"$tmp/frame"
  want=$([[ $expected == pass ]] && echo 1 || echo 0)
  for pin in "$pin_a-hit" "$pin_m" "$pin_l" "$pin_b"; do
    got=$(run_pinned "$pin" "$tmp/frame")
    [[ $got == "$want" ]] || { echo "verdict mismatch on $name: spec $want, $pin $got" >&2; bad=1; }
  done
done
((bad == 0)) || { echo "bench: the programs disagree with the spec; not timing them" >&2; exit 1; }
sizes_a=$(bpftool prog show pinned "$pin_a" | grep -o 'xlated [0-9]*B  jited [0-9]*B')
sizes_b=$(bpftool prog show pinned "$pin_b" | grep -o 'xlated [0-9]*B  jited [0-9]*B')
rm -f "$pin_a" "$pin_a-hit" "$pin_b" "$pin_m" "$pin_l"

# 2. Wall time, interleaved. EPOCHREALTIME has microsecond resolution; no wrapper process.
now_us() { local t=${EPOCHREALTIME/[.,]/}; echo $((10#$t)); }
# time_path X: runs path_x, appends its microseconds to $tmp/X, removes its pin.
time_path() {
  local key=$1 s
  s=$(now_us)
  "path_${key,,}"
  echo $(($(now_us) - s)) >>"$tmp/$key"
  rm -f "$pin_a" "$pin_b" "$pin_m" "$pin_l" "$tmp/f1.bpf.o"
}
paths=(A M N B L D T)
for key in "${paths[@]}"; do : >"$tmp/$key"; "path_${key,,}"; rm -f "$pin_a" "$pin_b" "$pin_m" "$pin_l"; done  # warm
for ((i = 0; i < pairs; i++)); do
  for ((j = 0; j < ${#paths[@]}; j++)); do time_path "${paths[(i + j) % ${#paths[@]}]}"; done
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
ms() { awk -v us="$1" 'BEGIN { printf "%.1f", us / 1000 }'; }
mib() { awk -v kib="$1" 'BEGIN { printf "%.1f", kib / 1024 }'; }
minmax() { sort -g "$1" | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%.1f-%.1f", lo / 1000, hi / 1000 }'; }
# share KEY: the median of the per-round ratios KEY / B: the share of the clang path's time.
share() { paste "$tmp/$1" "$tmp/B" | awk '{ print $1 / $2 }' >"$tmp/ratio"; awk -v r="$(median "$tmp/ratio")" 'BEGIN { printf "%.3f (1/%.0f)", r, 1 / r }'; }

cpu=$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)
echo
echo "F1 = $f1"
echo "compile + load + pin, whole process; $pairs interleaved rounds; $(date -u +%Y-%m-%d), $(nproc) CPUs ($cpu), kernel $(uname -r), load $(cut -d' ' -f1 /proc/loadavg)"
echo
row() { printf '| %-58s | %9s | %11s | %-15s | %12s |\n' "$@"; }
row path "median ms" "min-max ms" "share of B" "peak RSS MiB"
echo "|------------------------------------------------------------|----------:|------------:|-----------------|-------------:|"
row "A: bpffwc -o PIN F1, compile cache hit" "$(ms "$(median "$tmp/A")")" "$(minmax "$tmp/A")" "$(share A)" "$(mib "$(median "$tmp/rss_a")")"
row "M: bpffwc -o PIN F1, cache miss (compile, store, load)" "$(ms "$(median "$tmp/M")")" "$(minmax "$tmp/M")" "$(share M)" ""
row "N: bpffwc --no-cache -o PIN F1 (compile, load)" "$(ms "$(median "$tmp/N")")" "$(minmax "$tmp/N")" "$(share N)" ""
row "B: clang-19 -O2 -target bpf + bpftool prog load" "$(ms "$(median "$tmp/B")")" "$(minmax "$tmp/B")" "1" "$(mib "$(median "$tmp/rss_b")")"
row "L: floor: C + static libbpf loads the saved object" "$(ms "$(median "$tmp/L")")" "$(minmax "$tmp/L")" "$(share L)" ""
row "D: floor of a miss's start: C loads the compiler module" "$(ms "$(median "$tmp/D")")" "$(minmax "$tmp/D")" "$(share D)" ""
row "T: /bin/true" "$(ms "$(median "$tmp/T")")" "$(minmax "$tmp/T")" "$(share T)" ""
echo
echo "program size: bpffwc $sizes_a; clang $sizes_b"
