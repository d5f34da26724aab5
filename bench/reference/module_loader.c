// SPDX-License-Identifier: Apache-2.0
//
// The start of a compile in bpffwc: a process that loads the compiler module (bpffwc-compiler.so:
// the dynamic loader's work and LLVM's static initializers) and does nothing else.
// bench/compile-vs-clang.sh holds a cache miss against it: what is above it is the compile, the
// load and bpffwc's own work.
//
//   module_loader MODULE      exit 0 when loaded
#include <dlfcn.h>
#include <stdio.h>

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: module_loader MODULE\n");
    return 2;
  }
  if (dlopen(argv[1], RTLD_NOW | RTLD_LOCAL) == NULL) {
    fprintf(stderr, "module_loader: %s\n", dlerror());
    return 1;
  }
  return 0;
}
