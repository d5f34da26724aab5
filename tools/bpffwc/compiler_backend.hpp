// What the compile command (compile_command.cpp) needs of a compiler. bpffwc-full has LLVM
// (llvm_compiler.cpp); the small bpffwc has none (front_main.cpp): it serves what the compile
// cache holds, and hands any other compile, with the whole command, to bpffwc-full.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <bpffw/compiler.hpp>
#include <bpffw/filter.hpp>

namespace bpffwc {

enum class EmitKind { Ast, Llvm, Asm, Obj, Bundle };

class CompilerBackend {
 public:
  virtual ~CompilerBackend() = default;
  // False in the small bpffwc: every other call hands the command over (and does not return).
  virtual bool present() const = 0;
  // The small bpffwc's: runs bpffwc-full with this process's arguments, in its place.
  [[noreturn]] virtual void hand_over() = 0;
  // The build id of the executable that compiles: part of the compile cache's key.
  virtual std::string identity() = 0;
  // The packet program; with `sockets_wanted`, the socket programs too (left empty, with a note,
  // when they are too large to compile).
  virtual bpffw::Result<void> compile(bpffw::Filter&& filter, const bpffw::CompileOptions& options, bool sockets_wanted,
                                      bpffw::ObjectFile& packet, std::optional<bpffw::ObjectFile>& sockets) = 0;
  // --emit KIND: the stage, written to `output` (empty or "-": standard output).
  virtual bpffw::Result<void> emit(EmitKind kind, const bpffw::Filter& filter, const bpffw::CompileOptions& options,
                                   bool sockets_wanted, const std::string& output) = 0;
};

// This executable's.
CompilerBackend& compiler_backend();

}  // namespace bpffwc
