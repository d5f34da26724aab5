// --param NAME=VALUE, --param NAME, --no-counters, --log, --log-limit and --audit: the options the top-level (compile)
// command gains for runtime control (docs/bpffwc.md), kept here so compile_command.cpp only forwards.
//
// When the new program replaces an old one (-o PIN --force over an existing pin, or --replace PIN),
// it continues the old program's packet counters and drop-log counters (and, without --log, keeps
// logging as the old program did, at its limit), and `--param NAME` without a value keeps that
// parameter's current value in the old program. `--param NAME=VALUE` always sets VALUE: the
// command line says what the program should do, so a value given there wins.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include <bpffw/compiler.hpp>
#include <bpffw/filter.hpp>
#include <bpffw/program.hpp>

#include "set_options.hpp"

namespace bpffwc {

// --param NAME[=VALUE] on `app`, repeatable: the one definition the compile and test commands share.
CLI::Option* add_param_option(CLI::App& app, std::vector<std::string>& given, const std::string& description);

// The --param arguments as parameters, in order: NAME=VALUE as written (parse_parameter_assignment
// in <bpffw/runtime.hpp>); a plain NAME takes its current value in `old_program`, which must exist
// and have it. Names are checked where they are declared (Filter::parse). Returns kExitSuccess, or
// the exit code of the reported error.
int resolve_parameters(const std::vector<std::string>& given, const bpffw::Program* old_program,
                       std::vector<bpffw::Parameter>& parameters);

class RuntimeOptions {
 public:
  void define(CLI::App& app);

  // Before parsing the expression: opens the program being replaced (`pin_path` with --force, or
  // the --replace program) and works out every parameter's value. Returns kExitSuccess or the exit
  // code of the reported error.
  int prepare(const std::optional<std::string>& pin_path, bool force, const bpffw::Program* replaced);

  const bpffw::ParseOptions& parse_options() const { return parse_options_; }
  // The same, handed over: the sets' items move on instead of being copied (parse_options() is
  // left without them).
  bpffw::ParseOptions take_parse_options() { return std::move(parse_options_); }
  bpffw::CompileOptions compile_options() const;
  bpffw::LoadOptions load_options() const;

 private:
  std::vector<std::string> parameters_;  // as given: NAME=VALUE or NAME
  bool no_counters_ = false;
  bool audit_ = false;
  bool log_ = false;
  std::string log_limit_text_;                   // --log-limit rate=N/s,burst=M, as given
  std::optional<bpffw::LogLimit> log_limit_;     // what prepare() made of --log, --log-limit and the old program
  SetArguments sets_;                            // --set, --set-file
  std::uint32_t set_capacity_ = 0;               // --set-capacity
  std::optional<bpffw::Program> opened_old_;     // the pin replaced by --force, if any
  const bpffw::Program* old_program_ = nullptr;  // that one or the --replace program
  bpffw::ParseOptions parse_options_;
};

}  // namespace bpffwc
