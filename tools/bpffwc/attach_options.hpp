// --attach CGROUP -t DIR [--replace PIN | --replace-all] [--allow-host-wide]: the options the
// top-level (compile) command gains for attaching the freshly loaded program to a cgroup, kept here
// so compile_command.cpp only forwards.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>

#include <bpffw/cgroup.hpp>
#include <bpffw/program.hpp>

namespace bpffwc {

// After a plain attach (--attach, the attach subcommand) of `added`: warns on stderr when other
// bpffw programs are attached there too, naming each with its expression: the programs stack.
void warn_if_stacking(const bpffw::Cgroup& cgroup, bpffw::Direction direction, const bpffw::Program& added);

// After --replace-all: "bpffwc: note: replaced program 41 in place and detached 42 (CGROUP DIR)".
void note_replaced(const bpffw::ReplaceAllOutcome& outcome, const bpffw::Cgroup& cgroup, bpffw::Direction direction);

// The option that confirms an attach refuse_wide_cgroup would refuse.
inline constexpr const char* kAllowHostWide = "--allow-host-wide";

// Refuses, as a usage error (exit 2) before anything is compiled or attached, to attach where a
// filter reaches far beyond one service, unless `allowed` (--allow-host-wide): the root cgroup,
// however it is named (every process of the host), and `self` when it resolved to a login session
// (session-N.scope, user@UID.service: bpffwc run from an admin's shell). An explicit path to a
// session stays allowed: it was named on purpose. Returns kExitSuccess or the exit code reported.
int refuse_wide_cgroup(std::string_view argument, const bpffw::Cgroup& cgroup, bool allowed);

class AttachOptions {
 public:
  // `verb` is what --attach does first, for its help: "compile, load" or "load".
  void define(CLI::App& app, const char* verb = "compile, load");

  // True when --attach, --replace, --replace-all or --allow-host-wide was given: the compile
  // command then hands over (check_combination refuses all but --attach without --attach).
  bool requested() const { return cgroup_ || replace_pin_ || replace_all_ || allow_host_wide_; }

  // -t, parsed: the direction the program is compiled for (and attached to, with --attach).
  // Returns kExitSuccess, or the exit code of the reported error.
  int parse_direction_option();
  std::optional<bpffw::Direction> direction() const { return parsed_direction_; }

  // After check_usage: the program pinned at --replace PIN, or nullptr (its counters and
  // parameters carry over to the new one, runtime_options.hpp).
  const bpffw::Program* replaced_program() const { return replaced_ ? &*replaced_ : nullptr; }

  // Checks the combination of --attach, -t, --replace with the compile command's options. Returns
  // kExitSuccess, or the exit code of the reported error.
  int check_combination(const std::optional<std::string>& pin_path, bool force, bool emit_or_check);

  // After check_combination: opens the cgroup (refusing a host-wide one without --allow-host-wide)
  // and the --replace program, before anything is compiled or loaded. Returns kExitSuccess, or the
  // exit code of the reported error.
  int prepare(const std::optional<std::string>& pin_path, bool force);

  // With the program loaded: attach it (and pin it at pin_path if given), or swap it in for the
  // program pinned at --replace PIN, together with its socket programs (socket_group.hpp; none
  // for ingress or with --no-socket-programs). Any failure undoes what was done.
  int run(bpffw::Program program, std::vector<bpffw::SocketProgram> sockets, const std::optional<std::string>& pin_path,
          bool force, std::string_view expression);

 private:
  int attach_and_pin(bpffw::Program program, const std::optional<std::string>& pin_path, bool force,
                     std::string_view expression);
  int replace_and_repin(bpffw::Program program, std::string_view expression);
  int replace_all(bpffw::Program program, const std::optional<std::string>& pin_path, std::string_view expression);

  std::optional<std::string> cgroup_;
  std::optional<std::string> direction_;
  std::optional<std::string> replace_pin_;
  bool replace_all_ = false;
  bool allow_host_wide_ = false;
  std::optional<bpffw::Cgroup> opened_;
  std::optional<bpffw::Program> replaced_;  // the program pinned at --replace PIN
  std::optional<bpffw::Direction> parsed_direction_;
  std::vector<bpffw::SocketProgram> sockets_;  // the new program's socket programs
};

}  // namespace bpffwc
