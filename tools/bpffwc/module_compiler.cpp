// The compiler of both executables (compiler_backend.hpp): LLVM's, from the compiler module,
// bpffwc-compiler.so (compiler_module.cpp), loaded with dlopen when the first compile needs it and
// kept loaded until the process ends. Neither executable links LLVM: what the compile cache serves,
// and every command that does not compile, starts without it.
#include <dlfcn.h>

#include <string_view>

#include "cache/build_id.hpp"
#include "companions.hpp"
#include "compiler_backend.hpp"

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
    const std::string path = companion_path(kModule);
    // RTLD_LOCAL: its symbols stay its own (it exports two, compiler_module.map).
    void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle) return tl::unexpected(installed_incompletely("cannot load the compiler: " + std::string(::dlerror())));
    using Token = const char* (*)();
    using Entry = CompilerBackend* (*)();
    auto token = reinterpret_cast<Token>(::dlsym(handle, "bpffwc_compiler_build_token"));
    auto entry = reinterpret_cast<Entry>(::dlsym(handle, "bpffwc_compiler_backend"));
    if (!token || !entry)
      return tl::unexpected(installed_incompletely("cannot load the compiler: " + path + " is not bpffwc's compiler"));
    // The filter and the objects cross as C++ objects of this build's layout: only its own module.
    if (std::string_view(token()) != BPFFWC_BUILD_TOKEN)
      return tl::unexpected(installed_incompletely("cannot load the compiler: " + path + " is of build " + token() +
                                                   ", this bpffwc of build " BPFFWC_BUILD_TOKEN));
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
