#!/bin/bash
# libbpffw.so exports the public API and nothing else (cmake/bpffw.map):
#   1. no dynamic symbol of a layer's own namespace (bpffw::codegen::, bpffw::parser::, ...) or of
#      anything but bpffw::;
#   2. every exported name is declared in include/bpffw/;
#   3. the free functions the map lists are exactly those the public headers declare (a line at
#      namespace level ending a name with "(", not inline), and each is exported.
#   exports_test.sh SOURCE_DIR LIBRARY
set -euo pipefail
source=$1
library=$2
fail() { printf 'exports test: FAIL: %s\n' "$*" >&2; exit 1; }

symbols=$(nm -D --defined-only -C "$library" | cut -d' ' -f3-)
[[ -n $symbols ]] || fail "nm found no dynamic symbols in $library"
if others=$(grep -v '^bpffw::' <<<"$symbols"); then fail "exported, not bpffw::: $others"; fi
if inside=$(grep -E '^bpffw::[a-z_][a-z_0-9]*::' <<<"$symbols"); then
  fail "a layer's namespace is exported: $(head -n 5 <<<"$inside")"
fi

# bpffw::Program::load(...) -> Program; bpffw::compile(...) -> compile
names=$(sed -E 's/^bpffw::([A-Za-z_][A-Za-z_0-9]*).*/\1/' <<<"$symbols" | sort -u)
for name in $names; do
  grep -qw -- "$name" "$source"/include/bpffw/*.hpp || fail "exported but not in include/bpffw/: bpffw::$name"
done

declared=$(grep -hE '^[A-Za-z].*[^A-Za-z_0-9][a-z_][a-z_0-9]*\(' "$source"/include/bpffw/*.hpp |
  grep -vE '^(//|#|namespace|struct|class|enum|using|template|inline|static)' |
  sed -E 's/^[^(]*[^A-Za-z_0-9]([a-z_][a-z_0-9]*)\(.*/\1/' | sort -u)
listed=$(grep -oE '^ *bpffw::[a-z_][a-z_0-9]*\[' "$source/cmake/bpffw.map" | sed -E 's/ *bpffw::(.*)\[/\1/' | sort -u)
[[ $declared == "$listed" ]] || fail "cmake/bpffw.map lists other free functions than include/bpffw/ declares:
$(diff <(echo "$listed") <(echo "$declared") || true)"
for name in $listed; do
  grep -qE "^bpffw::$name(\(|\[)" <<<"$symbols" || fail "listed in cmake/bpffw.map but not exported: bpffw::$name"
done
echo "exports test: $(wc -l <<<"$symbols") symbols, $(wc -w <<<"$names") names, all in include/bpffw/; $(wc -w <<<"$listed") free functions as the headers declare"
