// The shape every bpffwc command has. main.cpp holds the one table of commands and dispatches:
// each command defines its options on a CLI11 app (the top level for the compile command, a
// subcommand for the others), and after a successful parse its run() returns the exit code.
#pragma once

#include <memory>

#include <CLI/CLI.hpp>

namespace bpffwc {

class Command {
 public:
  virtual ~Command() = default;
  // Declares options and positionals on `app`.
  virtual void define(CLI::App& app) = 0;
  // Runs after parsing; renders its own errors through diagnostics.hpp and returns the exit code.
  virtual int run() = 0;
};

struct CommandEntry {
  const char* name;     // "" for the top-level command (bpffwc [OPTIONS] EXPRESSION)
  const char* summary;  // one line for --help
  const char* footer;   // the end of its own --help: a few examples
  std::unique_ptr<Command> (*make)();
};

// Top level: compile an expression and pin it (-o), emit a stage (--emit), or check it (--check).
std::unique_ptr<Command> make_compile_command();
// load FILE -o PIN | --attach CGROUP -t DIR: a bundle compiled elsewhere (load_command.cpp).
std::unique_ptr<Command> make_load_command();
// cache (show | clear): the compile cache (cache_command.cpp).
std::unique_ptr<Command> make_cache_command();
// attach CGROUP -t DIR PIN, detach CGROUP -t DIR (PIN | --all), show [CGROUP]: see attach_command.cpp,
// detach_command.cpp, show_command.cpp.
std::unique_ptr<Command> make_attach_command();
std::unique_ptr<Command> make_detach_command();
std::unique_ptr<Command> make_show_command();
// test EXPRESSION --packet SPEC...: a dry run on packets described in words (test_command.cpp).
std::unique_ptr<Command> make_test_command();
// diff -t DIR OLD NEW --pcap FILE: the flows of a capture whose verdict an edit changes (diff_command.cpp).
std::unique_ptr<Command> make_diff_command();
// stats PIN [--json], set PIN NAME=VALUE..., watch PIN: runtime control (stats_command.cpp,
// set_command.cpp, watch_command.cpp); `show PIN` is show_command.cpp handing over to runtime_text.hpp.
std::unique_ptr<Command> make_stats_command();
std::unique_ptr<Command> make_set_command();
std::unique_ptr<Command> make_watch_command();
// log PIN: follows a program's drop log live (log_command.cpp).
std::unique_ptr<Command> make_log_command();
// status [NAME...]: whether the named filters run as their files declare (status_command.cpp).
std::unique_ptr<Command> make_status_command();

}  // namespace bpffwc
