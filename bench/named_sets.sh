#!/bin/bash
# Named sets (issues 16 and 30): whole-process time of `bpffwc -o` (compile + load + fill + pin) with
# large --set-file sets and the same sets written inline, and of `bpffwc set PIN NAME+=ITEM`. The
# address sets are also timed in one process (bpffw-bench-sets) and against the kernel's own batch
# fill of the same keys (bpffw-set-floor fill), and `set` against a C program making the same one
# change (bpffw-set-floor add); these rows are interleaved round by round, and a second build's
# bpffwc (BEFORE_BUILD_DIR, e.g. of the commit before a change) is run in the same rounds. Needs
# root, bpffs and a -DBPFFW_BUILD_BENCH=ON build. Usage:
#   bench/named_sets.sh BUILD_DIR [RUNS] [BEFORE_BUILD_DIR]
set -euo pipefail
build=${1:?usage: named_sets.sh BUILD_DIR [RUNS] [BEFORE_BUILD_DIR]}
runs=${2:-5}
before=${3:-}
bpffwc=$build/tools/bpffwc/bpffwc
in_process=$build/bench/bpffw-bench-sets
floor=$build/bench/bpffw-set-floor
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
median_of() { sort -n | awk '{a[NR]=$1} END {printf "%.2f", a[int((NR+1)/2)]}'; }

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
# Address sets, round by round: bpffwc (and the before build's), in one process, the kernel's floor.
# The kernel frees a removed program's maps after the pin goes, in the background: freeing 10^6
# entries then runs beside the next command and costs it more than the change measured. `settle`
# removes the pin and waits before each command.
settle() { rm -f "$pin"; sleep 1; }
declare -A whole old inproc fill steps parse read_only
for _ in $(seq "$runs"); do
  for n in 10000 100000 1000000; do
    settle
    whole[$n]+="$(us_of "$bpffwc" -o "$pin" --set-file s="$dir/prefixes-$n" 'src_addr in s') "
    if [[ -n $before ]]; then
      settle
      old[$n]+="$(us_of "$before/tools/bpffwc/bpffwc" -o "$pin" --set-file s="$dir/prefixes-$n" 'src_addr in s') "
    fi
    settle
    steps[$n]=$("$in_process" "$dir/prefixes-$n" "$pin" 'src_addr in s')
    inproc[$n]+="$(awk '{print $10 * 1000}' <<<"${steps[$n]}") "
    settle
    fill[$n]+="$("$floor" fill "$n" | awk '{print ($2 + $4) * 1000}') "
    parse[$n]+="$("$floor" parse "$dir/prefixes-$n" | awk '{print $2 * 1000}') "
    read_only[$n]+="$("$in_process" read "$dir/prefixes-$n" | awk '{print $2 * 1000}') "
  done
done
rm -f "$pin"
for n in 10000 100000 1000000; do
  line="prefixes $n: $(printf '%s\n' ${whole[$n]} | median) ms"
  if [[ -n $before ]]; then line+=", before $(printf '%s\n' ${old[$n]} | median) ms"; fi
  line+=", in process $(printf '%s\n' ${inproc[$n]} | median) ms"
  line+=", kernel batch fill (create + update) $(printf '%s\n' ${fill[$n]} | median) ms"
  echo "$line"
  echo "  in process, the last round's steps (ms): ${steps[$n]}"
  echo "  the file read with read() + inet_pton: $(printf '%s\n' ${parse[$n]} | median) ms," \
    "by SetFileParser alone (bpffw-bench-sets read): $(printf '%s\n' ${read_only[$n]} | median) ms"
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
sleep 2  # the maps of the programs before are freed meanwhile
# A change costs about a process start: four times the rounds, the median of each round's ratio.
times=() same=() true=() c=() ratio=() old_set=()
for i in $(seq $((runs * 4))); do
  times+=("$(us_of "$bpffwc" set "$pin" "s+=198.51.100.$i" 2>/dev/null)")
  c+=("$(us_of "$floor" add "$pin" "198.51.101.$i")")
  same+=("$(us_of "$bpffwc" set "$pin" "s+=198.51.100.$i" 2>/dev/null)")
  true+=("$(us_of /bin/true)")
  if [[ -n $before ]]; then
    old_set+=("$(us_of "$before/tools/bpffwc/bpffwc" set "$pin" "s+=198.51.102.$i" 2>/dev/null)")
  fi
  ratio+=("$(awk -v a="${times[-1]}" -v b="${c[-1]}" 'BEGIN {print a / b}')")
done
echo "set s+=ADDRESS on a 10^5 set (new address): $(printf '%s\n' "${times[@]}" | median) ms"
if [[ -n $before ]]; then echo "  the same, before build: $(printf '%s\n' "${old_set[@]}" | median) ms"; fi
echo "  the C floor (bpffw-set-floor add, a new address): $(printf '%s\n' "${c[@]}" | median) ms"
echo "  bpffwc / C floor, median of the rounds' ratios: $(printf '%s\n' "${ratio[@]}" | median_of)"
echo "set s+=ADDRESS on a 10^5 set (already there): $(printf '%s\n' "${same[@]}" | median) ms"
echo "/bin/true, for scale: $(printf '%s\n' "${true[@]}" | median) ms"
echo "set s=@FILE, 10^5 prefixes replaced whole: $(($(us_of "$bpffwc" set "$pin" "s=@$dir/prefixes-100000") / 1000)) ms"
