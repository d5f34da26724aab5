// The compiler of both executables (compiler_backend.hpp): LLVM's, from the compiler module,
// bpffwc-compiler.so (compiler_module.cpp), loaded with dlopen when the first compile needs it and
// kept loaded until the process ends. Neither executable links LLVM: what the compile cache serves,
// and every command that does not compile, starts without it.
#include <dlfcn.h>

#include "cache/build_id.hpp"
#include "compiler_backend.hpp"
#include "companions.hpp"

namespace bpffwc {
namespace {

constexpr const char* kModule = "bpffwc-compiler.so";

class ModuleCompiler final : public CompilerBackend {
 public:
  std::string identity() override { return bpffw::cache::build_id_of_file(companion_path(kModule)); }

  bpffw::Result<void> compile(bpffw::Filter&& filter, const bpffw::CompileOptions& options, bool sockets_wanted,
                              bpffw::ObjectFile& packet, std::optional<bpffw::ObjectFile>& sockets) override {
    auto compiler = module();
    if (!compiler) return tl::unexpected(compiler.error());
    return (*compiler)->compile(std::move(filter), options, sockets_wanted, packet, sockets);
  }

  bpffw::Result<void> emit(EmitKind kind, const bpffw::Filter& filter, const bpffw::CompileOptions& options,
                           bool sockets_wanted, const std::string& output) override {
    auto compiler = module();
    if (!compiler) return tl::unexpected(compiler.error());
    return (*compiler)->emit(kind, filter, options, sockets_wanted, output);
  }

  bpffw::Result<bpffw::ProgramMetadata> metadata(const bpffw::Filter& filter,
                                                 const bpffw::CompileOptions& options) override {
    auto compiler = module();
    if (!compiler) return tl::unexpected(compiler.error());
    return (*compiler)->metadata(filter, options);
  }

 private:
  bpffw::Result<CompilerBackend*> module() {
    if (loaded_) return loaded_;
    // RTLD_LOCAL: its symbols stay its own (it exports one, compiler_module.map).
    void* handle = ::dlopen(companion_path(kModule).c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle) return tl::unexpected(installed_incompletely("cannot load the compiler: " + std::string(::dlerror())));
    using Entry = CompilerBackend* (*)();
    auto entry = reinterpret_cast<Entry>(::dlsym(handle, "bpffwc_compiler_backend"));
    if (!entry) return tl::unexpected(installed_incompletely("cannot load the compiler: " + std::string(::dlerror())));
    loaded_ = entry();
    return loaded_;
  }

  CompilerBackend* loaded_ = nullptr;
};

}  // namespace

CompilerBackend& compiler_backend() {
  static ModuleCompiler compiler;
  return compiler;
}

}  // namespace bpffwc
