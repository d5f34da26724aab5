// bpffwc, the command people run: an executable without LLVM, whose static start-up costs several
// times what loading a cached program or changing a set does. It runs `set`, `load`, `cache`, and
// the compile command as far as the compile cache serves it (cached_objects.hpp); everything else
// — a cache miss, --emit, --check, any other command, help, and anything it refuses — it hands to
// bpffwc-full, which has every command (main.cpp): the same process (execv), with the same
// arguments, run again from the start, so that what is printed is what bpffwc-full prints.
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <string>

#include <CLI/CLI.hpp>

#include "cache/build_id.hpp"
#include "command.hpp"
#include "compiler_backend.hpp"
#include "diagnostics.hpp"

namespace bpffwc {
namespace {

char** arguments;  // main's argv, for the hand-over

// bpffwc-full: beside this executable (the build tree), else in the libexec directory installed
// beside bin/ (BPFFWC_FULL_FROM_BIN, relative to bin/). This executable is /proc/self/exe, or
// without /proc argv[0] when it names a path; else bpffwc-full is where it is installed
// (BPFFWC_FULL_INSTALLED).
std::string full_path() {
  char self[PATH_MAX];
  ssize_t length = ::readlink("/proc/self/exe", self, sizeof self - 1);
  std::string path = length > 0 ? std::string(self, static_cast<std::size_t>(length)) : std::string(arguments[0]);
  std::size_t slash = path.rfind('/');
  if (slash == std::string::npos) return BPFFWC_FULL_INSTALLED "/bpffwc-full";
  std::string dir = path.substr(0, slash);
  std::string beside = dir + "/bpffwc-full";
  if (::access(beside.c_str(), F_OK) == 0) return beside;
  return dir + "/" BPFFWC_FULL_FROM_BIN "/bpffwc-full";
}

[[noreturn]] void run_full() {
  std::string path = full_path();
  ::execv(path.c_str(), arguments);
  int err = errno;
  release_diagnostics();
  std::exit(report(bpffw::make_error(bpffw::ErrorKind::System, "cannot run " + path + ": " + std::strerror(err), err,
                                     "bpffwc is installed incompletely: install it again")
                       .value()));
}

// No compiler here: a compile is bpffwc-full's.
class HandOver final : public CompilerBackend {
 public:
  bool present() const override { return false; }
  [[noreturn]] void hand_over() override { run_full(); }
  std::string identity() override { return bpffw::cache::build_id_of_file(full_path()); }
  bpffw::Result<void> compile(bpffw::Filter&&, const bpffw::CompileOptions&, bool, bpffw::ObjectFile&,
                              std::optional<bpffw::ObjectFile>&) override {
    run_full();
  }
  bpffw::Result<void> emit(EmitKind, const bpffw::Filter&, const bpffw::CompileOptions&, bool,
                           const std::string&) override {
    run_full();
  }
};

bool asks_for_help(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--") == 0) return false;
    if (std::strcmp(argv[i], "-h") == 0 || std::strncmp(argv[i], "--help", 6) == 0 ||
        std::strcmp(argv[i], "--version") == 0)
      return true;
  }
  return false;
}

// "-" (an expression or a set file on standard input) could not be read again by bpffwc-full.
bool reads_standard_input(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "-" || arg.ends_with("=-")) return true;
  }
  return false;
}

// A subcommand's name is a lowercase word; an expression given first (`bpffwc 'tcp' -o PIN`)
// rarely is one, and one that is goes to bpffwc-full, which tells the two apart.
bool is_word(const char* arg) {
  if (*arg == '\0') return false;
  for (; *arg != '\0'; ++arg)
    if (*arg < 'a' || *arg > 'z') return false;
  return true;
}

// `command` as the subcommand `name` (or the top level, for an empty one), run here; whatever its
// arguments make it refuse, bpffwc-full refuses with the message and hint every command's errors get.
int run_here(const char* name, std::unique_ptr<Command> command, int argc, char** argv) {
  CLI::App app;
  CLI::App* target = *name ? app.add_subcommand(name) : &app;
  command->define(*target);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError&) { run_full(); }
  set_usage_subcommand(name);
  if (*name) return command->run();
  // The compile command: held until the cache has served it (compile_command.cpp).
  hold_diagnostics();
  int status = command->run();
  if (diagnostics_held() && status != kExitSuccess) run_full();
  release_diagnostics();
  return status;
}

}  // namespace

CompilerBackend& compiler_backend() {
  static HandOver hand_over;
  return hand_over;
}

}  // namespace bpffwc

int main(int argc, char** argv) {
  using namespace bpffwc;
  arguments = argv;
  if (argc < 2 || asks_for_help(argc, argv) || reads_standard_input(argc, argv)) run_full();
  if (std::strcmp(argv[1], "set") == 0) return run_here("set", make_set_command(), argc, argv);
  if (std::strcmp(argv[1], "load") == 0) return run_here("load", make_load_command(), argc, argv);
  if (std::strcmp(argv[1], "cache") == 0) return run_here("cache", make_cache_command(), argc, argv);
  if (is_word(argv[1])) run_full();
  return run_here("", make_compile_command(), argc, argv);
}
