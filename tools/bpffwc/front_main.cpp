// bpffwc, the command people run. `bpffwc set ...` runs here, in an executable without LLVM: its
// static start-up costs several times what changing a set or a parameter does, and a change at
// run time should take a few milliseconds, whole process. Every other command, and `set` asking
// for help or with arguments it refuses, runs in bpffwc-full, which has every command (main.cpp):
// the same process (execv), with the same arguments.
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <string>

#include <CLI/CLI.hpp>

#include "command.hpp"
#include "diagnostics.hpp"

namespace bpffwc {
namespace {

// This executable's directory: from /proc/self/exe, or, without /proc, from argv[0].
std::string own_directory(const char* argv0) {
  char self[PATH_MAX];
  ssize_t length = ::readlink("/proc/self/exe", self, sizeof self - 1);
  std::string path = length > 0 ? std::string(self, static_cast<std::size_t>(length)) : std::string(argv0);
  std::size_t slash = path.rfind('/');
  return slash == std::string::npos ? std::string() : path.substr(0, slash);
}

// bpffwc-full beside this executable (the build tree), else where `cmake --install` puts it:
// BPFFWC_FULL_FROM_BIN is the libexec directory relative to bin/, BPFFWC_FULL_INSTALLED the
// absolute one, for when this executable's directory cannot be told.
std::string full_path(const char* argv0) {
  std::string dir = own_directory(argv0);
  if (dir.empty()) return BPFFWC_FULL_INSTALLED "/bpffwc-full";
  std::string beside = dir + "/bpffwc-full";
  if (::access(beside.c_str(), X_OK) == 0) return beside;
  return dir + "/" BPFFWC_FULL_FROM_BIN "/bpffwc-full";
}

[[noreturn]] void run_full(char** argv) {
  std::string path = full_path(argv[0]);
  ::execv(path.c_str(), argv);
  int err = errno;
  std::exit(report(bpffw::make_error(bpffw::ErrorKind::System, "cannot run " + path, err,
                                     "bpffwc is installed incompletely: install it again")
                       .value()));
}

bool is_set_without_help(int argc, char** argv) {
  if (argc < 2 || std::strcmp(argv[1], "set") != 0) return false;
  for (int i = 2; i < argc; ++i)
    if (std::strcmp(argv[i], "-h") == 0 || std::strncmp(argv[i], "--help", 6) == 0) return false;
  return true;
}

// `set` as bpffwc-full defines it (set_command.cpp); what it refuses goes there, to be refused
// with the message and hint every command's errors get.
int run_set(int argc, char** argv) {
  CLI::App app;
  CLI::App* set = app.add_subcommand("set");
  std::unique_ptr<Command> command = make_set_command();
  command->define(*set);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError&) { run_full(argv); }
  set_usage_subcommand("set");
  return command->run();
}

}  // namespace
}  // namespace bpffwc

int main(int argc, char** argv) {
  if (bpffwc::is_set_without_help(argc, argv)) return bpffwc::run_set(argc, argv);
  bpffwc::run_full(argv);
}
