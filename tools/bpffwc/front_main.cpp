// bpffwc, the command people run: an executable without LLVM, whose static start-up costs several
// times what loading a cached program or changing a set does. It runs `set`, `load`, `cache` and
// the compile command; a compile that the compile cache does not serve (a miss, --emit, --check,
// --no-cache) it runs with the compiler module, bpffwc-compiler.so, loaded then
// (module_compiler.cpp): in the same process, on the filter it parsed and the set files it read.
// Every other command, help, and arguments it refuses it hands to bpffwc-full, which has every
// command (main.cpp): the same process (execv), with the same arguments, before anything is read
// or printed.
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <string>

#include <CLI/CLI.hpp>

#include "command.hpp"
#include "companions.hpp"
#include "diagnostics.hpp"

namespace bpffwc {
namespace {

char** arguments;  // main's argv, for the hand-over

[[noreturn]] void run_full() {
  std::string path = companion_path("bpffwc-full");
  ::execv(path.c_str(), arguments);
  int err = errno;
  std::exit(report(installed_incompletely("cannot run " + path + ": " + std::strerror(err), err)));
}

bool asks_for_help(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--") == 0) return false;
    if (std::strcmp(argv[i], "-h") == 0 || std::strncmp(argv[i], "--help", 6) == 0 ||
        std::strcmp(argv[i], "--version") == 0)
      return true;
  }
  return false;
}

// `bpffwc --check -tcp` is read as `-t cp`: bpffwc-full explains that an expression after '-' and a
// letter needs '--' (main.cpp), where the compile command would only miss its expression. So an
// argument that might be one goes there, as an option with its value attached (`-o/sys/fs/bpf/x`)
// does too.
bool may_be_expression_read_as_options(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--") return false;
    if (arg.size() >= 3 && arg[0] == '-' && arg[1] != '-') return true;
  }
  return false;
}

// A subcommand's name is a lowercase word; an expression given first (`bpffwc 'tcp' -o PIN`)
// rarely is a word, and one that is goes to bpffwc-full, which tells the two apart and names the
// subcommand a misspelt word (`Show`, `show_`) is close to (main.cpp, misspelt_subcommand).
bool is_word(const char* arg) {
  if (*arg == '\0') return false;
  for (; *arg != '\0'; ++arg)
    if (!std::isalpha(static_cast<unsigned char>(*arg)) && *arg != '_') return false;
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
  return command->run();
}

}  // namespace

}  // namespace bpffwc

int main(int argc, char** argv) {
  using namespace bpffwc;
  arguments = argv;
  set_invocation_name(argv[0]);
  if (argc < 2 || asks_for_help(argc, argv)) run_full();
  if (std::strcmp(argv[1], "set") == 0) return run_here("set", make_set_command(), argc, argv);
  if (std::strcmp(argv[1], "load") == 0) return run_here("load", make_load_command(), argc, argv);
  if (std::strcmp(argv[1], "cache") == 0) return run_here("cache", make_cache_command(), argc, argv);
  if (is_word(argv[1]) || may_be_expression_read_as_options(argc, argv)) run_full();
  return run_here("", make_compile_command(), argc, argv);
}
