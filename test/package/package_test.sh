#!/bin/sh
# The installed package, as a user gets it: `cmake --install` into a temporary prefix, then
# examples/embed built against it with CMake (find_package(bpffw): shared, then static) and with
# pkg-config, and run
# (it loads a program: root). Also checks what libbpffw.so exports: bpffw:: only.
#   package_test.sh BUILD_DIR SOURCE_DIR
set -eu
build=$1
source=$2
work=$(mktemp -d /tmp/bpffw-test-package.XXXXXX)
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix

fail() { echo "package_test: FAIL: $*" >&2; exit 1; }

cmake --install "$build" --prefix "$prefix" > "$work/install.log" || { cat "$work/install.log"; fail "cmake --install"; }

libdir=$(cd "$prefix" && ls -d lib lib/*-linux-gnu 2>/dev/null | while read -r d; do [ -e "$prefix/$d/libbpffw.so" ] && echo "$d"; done | head -n 1)
[ -n "$libdir" ] || fail "no libbpffw.so under $prefix/lib"
for f in include/bpffw/bpffw.hpp include/bpffw/runtime.hpp include/bpffw/version.hpp \
         "$libdir/libbpffw.a" "$libdir/libbpffw.so" "$libdir/cmake/bpffw/bpffwConfig.cmake" \
         "$libdir/cmake/bpffw/bpffwConfigVersion.cmake" "$libdir/pkgconfig/bpffw.pc" bin/bpffwc \
         share/bash-completion/completions/bpffwc; do
  [ -e "$prefix/$f" ] || fail "not installed: $f"
done
# The man page as it is, or gzip'ed in a tree configured for the Debian packages (BPFFW_GZIP_MAN_PAGES).
[ -e "$prefix/share/man/man1/bpffwc.1" ] || [ -e "$prefix/share/man/man1/bpffwc.1.gz" ] || fail "not installed: the man page"
ls "$prefix"/lib/systemd/system/*.service > /dev/null 2>&1 || fail "no systemd units installed"

# Exported: bpffw:: symbols only (LLVM, PEGTL, libbpf hidden inside).
exported=$(nm -D --defined-only "$prefix/$libdir/libbpffw.so" | awk '{print $3}' | c++filt)
[ -n "$exported" ] || fail "libbpffw.so exports nothing"
others=$(printf '%s\n' "$exported" | grep -v '^bpffw::' | grep -v '^$' | grep -v '^LIBBPFFW' || true)
[ -z "$others" ] || fail "libbpffw.so exports more than bpffw:: — $(printf '%s\n' "$others" | head -n 5 | tr '\n' ' ')"
printf '%s\n' "$exported" | grep -q '^bpffw::compile(' || fail "bpffw::compile is not exported"
if nm -D "$prefix/$libdir/libbpffw.so" | grep -q ' U .*llvm'; then fail "libbpffw.so needs LLVM symbols from outside"; fi

expected="verdicts 0 1 0
passed 1 dropped 2"

# CMake consumer.
cmake -S "$source/examples/embed" -B "$work/cmake-build" -G Ninja -DCMAKE_PREFIX_PATH="$prefix" > "$work/cmake.log" 2>&1 ||
  { cat "$work/cmake.log"; fail "configuring examples/embed with find_package(bpffw)"; }
cmake --build "$work/cmake-build" > "$work/build.log" 2>&1 || { cat "$work/build.log"; fail "building examples/embed with CMake"; }
out=$("$work/cmake-build/embed") || fail "embed (CMake build) failed: $out"
[ "$(printf '%s\n' "$out" | tail -n 2)" = "$expected" ] || fail "embed (CMake build) printed: $out"
# It links libbpffw.so, not LLVM.
ldd "$work/cmake-build/embed" | grep -q 'libbpffw.so' || fail "CMake build does not use libbpffw.so"
if ldd "$work/cmake-build/embed" | grep -qi 'libLLVM'; then fail "CMake build links libLLVM"; fi

# CMake consumer of the static library (LLVM's static libraries and libbpf come from the system).
cmake -S "$source/examples/embed" -B "$work/static-build" -G Ninja -DCMAKE_PREFIX_PATH="$prefix" -DEMBED_STATIC=ON \
  > "$work/static.log" 2>&1 || { cat "$work/static.log"; fail "configuring examples/embed with bpffw::bpffw_static"; }
cmake --build "$work/static-build" > "$work/static-build.log" 2>&1 ||
  { tail -n 30 "$work/static-build.log"; fail "building examples/embed with bpffw::bpffw_static"; }
out=$("$work/static-build/embed") || fail "embed (static) failed: $out"
[ "$(printf '%s\n' "$out" | tail -n 2)" = "$expected" ] || fail "embed (static) printed: $out"
if ldd "$work/static-build/embed" | grep -q 'libbpffw.so'; then fail "static build uses libbpffw.so"; fi

# pkg-config consumer.
flags=$(PKG_CONFIG_PATH="$prefix/$libdir/pkgconfig" pkg-config --cflags --libs bpffw) || fail "pkg-config bpffw"
c++ "$source/examples/embed/embed.cpp" $flags -Wl,-rpath,"$prefix/$libdir" -o "$work/embed-pc" ||
  fail "building examples/embed with pkg-config flags: $flags"
out=$("$work/embed-pc") || fail "embed (pkg-config build) failed: $out"
[ "$(printf '%s\n' "$out" | tail -n 2)" = "$expected" ] || fail "embed (pkg-config build) printed: $out"

echo "package_test: ok ($prefix: CMake shared, CMake static and pkg-config consumers ran)"
