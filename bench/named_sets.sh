#!/bin/bash
# Named sets (issue 16): whole-process time of `bpffwc -o` (compile + load + fill + pin) with large
# --set-file sets and the same sets written inline, and of `bpffwc set PIN NAME+=ITEM`. Needs root
# and bpffs. Usage:
#   bench/named_sets.sh BUILD_DIR [RUNS]
set -euo pipefail
build=${1:?usage: named_sets.sh BUILD_DIR [RUNS]}
runs=${2:-5}
bpffwc=$build/tools/bpffwc/bpffwc
dir=$(mktemp -d)
pin=/sys/fs/bpf/bench-named-sets-$$
trap 'rm -rf "$dir"; rm -f "$pin"' EXIT

# n/2 IPv4 /32s and n/2 IPv6 /128s, distinct.
prefixes() {
  python3 -c "
import sys
n = int(sys.argv[1])
for i in range(n // 2): print('10.%d.%d.%d' % (i >> 16 & 255, i >> 8 & 255, i & 255))
for i in range(n - n // 2): print('2001:db8::%x:%x' % (i >> 16, i & 0xffff))
" "$1"
}

# Wall time of one command in microseconds, from bash's clock (no `date` process in the time).
us_of() {
  local start=$EPOCHREALTIME
  "$@" >/dev/null
  local end=$EPOCHREALTIME
  echo $(((${end/./} - ${start/./})))
}
median() { sort -n | awk '{a[NR]=$1} END {printf "%.1f", a[int((NR+1)/2)]/1000}'; }

median_ms() {  # runs "$@" $runs times, each with no pin there yet; prints the median in ms
  local times=()
  for _ in $(seq "$runs"); do
    rm -f "$pin"
    times+=("$(us_of "$@")")
  done
  printf '%s\n' "${times[@]}" | median
}

seq 1 10000 >"$dir/ports-10k"
seq 0 65535 >"$dir/ports-all"
for n in 10000 100000 1000000; do prefixes $n >"$dir/prefixes-$n"; done

echo "ports 10^4:   $(median_ms "$bpffwc" -o "$pin" --set-file s="$dir/ports-10k" 'dst_port in s') ms"
echo "ports 65536:  $(median_ms "$bpffwc" -o "$pin" --set-file s="$dir/ports-all" 'dst_port in s') ms"
for n in 10000 100000 1000000; do
  echo "prefixes $n: $(median_ms "$bpffwc" -o "$pin" --set-file s="$dir/prefixes-$n" 'src_addr in s') ms"
done
# The same sets written inline (docs/filter-language.md §7.3), from a filter file: their items go
# into the same maps, through the grammar instead of the set-file reader.
inline_filter() { echo "$1 in {$(paste -sd, "$2")}"; }
inline_filter dst_port "$dir/ports-10k" >"$dir/inline-ports-10k"
inline_filter src_addr "$dir/prefixes-10000" >"$dir/inline-prefixes-10000"
inline_filter src_addr "$dir/prefixes-100000" >"$dir/inline-prefixes-100000"
echo "inline ports 10^4: $(median_ms "$bpffwc" -o "$pin" -f "$dir/inline-ports-10k") ms"
echo "inline prefixes 10000: $(median_ms "$bpffwc" -o "$pin" -f "$dir/inline-prefixes-10000") ms"
echo "inline prefixes 100000: $(median_ms "$bpffwc" -o "$pin" -f "$dir/inline-prefixes-100000") ms"
rm -f "$pin"
"$bpffwc" -o "$pin" --set-file s="$dir/prefixes-100000" 'src_addr in s'
times=() same=() true=()
for i in $(seq "$runs"); do
  times+=("$(us_of "$bpffwc" set "$pin" "s+=198.51.100.$i")")
  same+=("$(us_of "$bpffwc" set "$pin" "s+=198.51.100.$i")")
  true+=("$(us_of /bin/true)")
done
echo "set s+=ADDRESS on a 10^5 set (new address): $(printf '%s\n' "${times[@]}" | median) ms"
echo "set s+=ADDRESS on a 10^5 set (already there): $(printf '%s\n' "${same[@]}" | median) ms"
echo "/bin/true, for scale: $(printf '%s\n' "${true[@]}" | median) ms"
echo "set s=@FILE, 10^5 prefixes replaced whole: $(($(us_of "$bpffwc" set "$pin" "s=@$dir/prefixes-100000") / 1000)) ms"
