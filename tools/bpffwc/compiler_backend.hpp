// What bpffwc's commands need of a compiler: LLVM's (llvm_compiler.cpp), linked into the compiler
// module, bpffwc-compiler.so, which both executables load the first time they need to compile
// (module_compiler.cpp).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <bpffw/compiler.hpp>
#include <bpffw/filter.hpp>
#include <bpffw/runtime.hpp>

namespace bpffwc {

enum class EmitKind { Ast, Llvm, Asm, Obj, Bundle };

class CompilerBackend {
 public:
  virtual ~CompilerBackend() = default;
  // The build id of the binary that compiles: part of the compile cache's key. Read without
  // loading the compiler module, so that a cache hit never starts LLVM.
  virtual std::string identity() = 0;
  // The packet program; with `sockets_wanted`, the socket programs too (left empty, with a note,
  // when they are too large to compile).
  virtual bpffw::Result<void> compile(bpffw::Filter&& filter, const bpffw::CompileOptions& options, bool sockets_wanted,
                                      bpffw::ObjectFile& packet, std::optional<bpffw::ObjectFile>& sockets) = 0;
  // --emit KIND: the stage, written to `output` (empty or "-": standard output).
  virtual bpffw::Result<void> emit(EmitKind kind, const bpffw::Filter& filter, const bpffw::CompileOptions& options,
                                   bool sockets_wanted, const std::string& output) = 0;
  // The metadata a program compiled from `filter` carries (bpffw::metadata_for).
  virtual bpffw::Result<bpffw::ProgramMetadata> metadata(const bpffw::Filter& filter,
                                                         const bpffw::CompileOptions& options) = 0;
};

// This binary's: the module's in it, the one that loads the module in the executables.
CompilerBackend& compiler_backend();

}  // namespace bpffwc
