// The compiler as a module (bpffwc-compiler.so): what bpffwc and bpffwc-full load with dlopen when
// they compile and the compile cache does not serve it (module_compiler.cpp), so that the compile
// runs in the process that parsed the filter and read its set files. Its one export, the name
// compiler_module.map lets out; the rest (LLVM, the library, the C++ library) stays inside.
// Before anything else crosses, the two sides compare their build tokens: the objects they pass
// each other are laid out by one build, and a module of another (replaced under a running
// bpffwc by an upgrade) is refused.
#include "compiler_backend.hpp"

extern "C" const char* bpffwc_compiler_build_token() { return BPFFWC_BUILD_TOKEN; }

extern "C" bpffwc::CompilerBackend* bpffwc_compiler_backend() { return &bpffwc::compiler_backend(); }
