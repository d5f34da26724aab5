// The compiler as a module (bpffwc-compiler.so): what the small bpffwc loads with dlopen when the
// compile cache does not serve a compile, so that the compile runs in the same process, on the
// filter bpffwc parsed and the set files it read (front_main.cpp). Its one export, the name
// compiler_module.map lets out; the rest (LLVM, libbpf, the C++ library) stays inside.
#include "compiler_backend.hpp"

extern "C" bpffwc::CompilerBackend* bpffwc_compiler_backend() { return &bpffwc::compiler_backend(); }
