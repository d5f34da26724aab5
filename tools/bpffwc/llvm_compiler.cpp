// The compiler (compiler_backend.hpp) in the compiler module (compiler_module.cpp): bpffw::compile
// with LLVM, and --emit's stages.
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include <unistd.h>

#include <bpffw/object_bundle.hpp>

#include "cache/build_id.hpp"
#include "compiler_backend.hpp"
#include "diagnostics.hpp"

namespace bpffwc {
namespace {

bpffw::Result<void> write_all(int fd, const void* data, std::size_t size, const std::string& where) {
  const auto* bytes = static_cast<const unsigned char*>(data);
  while (size > 0) {
    ssize_t n = ::write(fd, bytes, size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0)
      return bpffw::make_error(bpffw::ErrorKind::System, "cannot write " + where + ": " + std::strerror(errno), errno);
    bytes += n;
    size -= static_cast<std::size_t>(n);
  }
  return {};
}

bpffw::Result<void> write_output(const std::string& file, const void* data, std::size_t size) {
  if (file.empty() || file == "-") return write_all(STDOUT_FILENO, data, size, "to standard output");
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  if (out) out.write(static_cast<const char*>(data), static_cast<std::streamsize>(size));
  if (out) out.close();
  if (!out)
    return bpffw::make_error(bpffw::ErrorKind::System, "cannot write '" + file + "': " + std::strerror(errno), errno);
  return {};
}

// Compiles the filter's socket programs into `object`; leaves it empty, with a note, when they are
// too large to compile.
bpffw::Result<void> compile_socket_group(const bpffw::Filter& filter, const bpffw::CompileOptions& options,
                                         std::optional<bpffw::ObjectFile>& object) {
  auto compiled = bpffw::compile_socket_programs(filter, options);
  // Too large for a program of its own (the filter's packet program is not): the filter goes on
  // without them, its calls judged by their packets alone.
  if (!compiled && compiled.error().kind == bpffw::ErrorKind::InvalidExpression) {
    report_note("the socket programs are left out: " + compiled.error().message);
    return {};
  }
  if (!compiled) return tl::unexpected(compiled.error());
  object = std::move(*compiled);
  return {};
}

// Sets and rule lists are entries of the program's maps that Program::load writes: another
// tool that loads the object leaves them empty, so its sets hold nothing and its rule lists
// meet no packet — a deny list would let everything through.
void warn_of_entries_written_at_load(const bpffw::ObjectFile& object) {
  std::string what;
  if (!object.sets.empty()) what = std::to_string(object.sets.size()) + " set(s)";
  const std::size_t keys =
      (object.rule_key_size ? object.rule_keys.size() / object.rule_key_size : 0) +
      (object.rule_prefix_key_size ? object.rule_prefix_keys.size() / object.rule_prefix_key_size : 0);
  if (keys != 0) what += (what.empty() ? "" : " and ") + std::to_string(keys) + " rule-list entries";
  if (what.empty()) return;
  std::fprintf(stderr,
               "%s: warning: the object's maps need %s that bpffw writes when it loads the program (bpffwc -o, "
               "Program::load); loaded by another tool, its sets are empty and its rule lists meet no packet (--emit "
               "bundle keeps them, for bpffwc load)\n",
               kProgram, what.c_str());
}

class LlvmCompiler final : public CompilerBackend {
 public:
  std::string identity() override {
    return bpffw::cache::build_id_of_binary_holding(reinterpret_cast<const void*>(&bpffw::compile_socket_programs));
  }

  bpffw::Result<void> compile(bpffw::Filter&& filter, const bpffw::CompileOptions& options, bool sockets_wanted,
                              bpffw::ObjectFile& packet, std::optional<bpffw::ObjectFile>& sockets) override {
    // Without socket programs the filter is not needed afterwards: the object takes its sets' items.
    auto object = sockets_wanted ? bpffw::compile(filter, options) : bpffw::compile(std::move(filter), options);
    if (!object) return tl::unexpected(object.error());
    packet = std::move(*object);
    return sockets_wanted ? compile_socket_group(filter, options, sockets) : bpffw::Result<void>{};
  }

  bpffw::Result<bpffw::ProgramMetadata> metadata(const bpffw::Filter& filter,
                                                 const bpffw::CompileOptions& options) override {
    return bpffw::metadata_for(filter, options);
  }

  bpffw::Result<void> emit(EmitKind kind, const bpffw::Filter& filter, const bpffw::CompileOptions& options,
                           bool sockets_wanted, const std::string& output) override {
    std::string text;
    std::vector<unsigned char> bytes;
    switch (kind) {
      case EmitKind::Ast: text = filter.dump_ast(); break;
      case EmitKind::Llvm: {
        auto ir = bpffw::emit_llvm_ir(filter, options);
        if (!ir) return tl::unexpected(ir.error());
        text = std::move(*ir);
        break;
      }
      case EmitKind::Asm: {
        auto assembly = bpffw::emit_assembly(filter, options);
        if (!assembly) return tl::unexpected(assembly.error());
        text = std::move(*assembly);
        break;
      }
      case EmitKind::Obj: {
        auto object = bpffw::compile(filter, options);
        if (!object) return tl::unexpected(object.error());
        warn_of_entries_written_at_load(*object);
        bytes = std::move(object->bytes);
        break;
      }
      case EmitKind::Bundle: {
        auto object = bpffw::compile(filter, options);
        if (!object) return tl::unexpected(object.error());
        std::optional<bpffw::ObjectFile> sockets;
        if (sockets_wanted)
          if (auto compiled = compile_socket_group(filter, options, sockets); !compiled) return compiled;
        bytes = bpffw::save_object_bundle(*object, sockets ? &*sockets : nullptr);
        break;
      }
    }
    return !bytes.empty() ? write_output(output, bytes.data(), bytes.size())
                          : write_output(output, text.data(), text.size());
  }
};

}  // namespace

CompilerBackend& compiler_backend() {
  static LlvmCompiler compiler;
  return compiler;
}

}  // namespace bpffwc
