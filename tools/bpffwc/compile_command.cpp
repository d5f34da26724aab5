// bpffwc [OPTIONS] (EXPRESSION | -f FILE): compile a filter, then pin it (-o), print a stage (--emit) or
// stop there (--check). Both executables run it; the compiler is the module (compiler_backend.hpp).
#include <optional>
#include <string>

#include <unistd.h>

#include <bpffw/compiler.hpp>
#include <bpffw/filter.hpp>
#include <bpffw/program.hpp>

#include "attach_options.hpp"
#include "cached_objects.hpp"
#include "command.hpp"
#include "compiler_backend.hpp"
#include "diagnostics.hpp"
#include "expression_source.hpp"
#include "install_program.hpp"
#include "runtime_options.hpp"
#include "socket_group.hpp"
#include "unit_status.hpp"

namespace bpffwc {

namespace {

std::optional<EmitKind> parse_emit_kind(const std::string& text) {
  if (text == "ast") return EmitKind::Ast;
  if (text == "llvm") return EmitKind::Llvm;
  if (text == "asm") return EmitKind::Asm;
  if (text == "obj") return EmitKind::Obj;
  if (text == "bundle") return EmitKind::Bundle;
  return std::nullopt;
}

class CompileCommand final : public Command {
 public:
  void define(CLI::App& app) override {
    source_.define(app, "the filter, e.g. 'tcp && dst_port == 80' (put -- before one that starts with '-')");
    app.add_option("-o,--pin", pin_path_, "compile, load and pin the program at PIN on bpffs (needs root)")
        ->type_name("PIN");
    app.add_flag("--force", force_,
                 "with -o: replace an existing pin atomically, and the pinned program wherever it is attached "
                 "(as --replace-everywhere; a line says where when it was attached)");
    app.add_option("--replace-everywhere", everywhere_pin_,
                   "compile, load and put the program in place of the one pinned at PIN: at the pin and in every "
                   "cgroup where that one is attached (each swap atomic); a missing PIN is simply pinned. "
                   "Keeps counters and parameters as --force does; on any failure nothing changes")
        ->type_name("PIN");
    app.add_option("--emit", emit_,
                   "print a stage instead of loading: ast, llvm, asm, obj (the ELF object) or bundle (what 'bpffwc "
                   "load' loads on another host) (no root needed)")
        ->type_name("KIND");
    app.add_option("-O,--output", output_, "with --emit: write to FILE instead of standard output")->type_name("FILE");
    app.add_flag("--check", check_, "parse and compile only; report errors and exit");
    app.add_flag("--no-cache", no_cache_,
                 "compile even when the compile cache holds the program, and do not store it there");
    attach_.define(app);   // --attach CGROUP -t DIR [--replace PIN]
    runtime_.define(app);  // --param NAME[=VALUE], --no-counters
    sockets_.define(app);  // --no-socket-programs
  }

  int run() override {
    int status = run_command();
    // Under bpffw@.service (NotifyAccess=exec): "Status:" in systemctl status, a failed reload included.
    if (everywhere_pin_) notify_unit_status(status, *everywhere_pin_, summary_);
    return status;
  }

 private:
  int run_command() {
    if (int usage = check_usage(); usage != kExitSuccess) return usage;

    if (int prepared = everywhere_pin_ ? runtime_.prepare(everywhere_pin_, true, nullptr)
                                       : runtime_.prepare(pin_path_, force_, attach_.replaced_program());
        prepared != kExitSuccess)
      return prepared;
    // The sets' items (10^6 from a set file) move from the options to the filter to the object.
    bpffw::ParseOptions parse_options = runtime_.take_parse_options();
    parse_options.direction = attach_.direction();
    auto filter = bpffw::Filter::parse(source_.text(), std::move(parse_options));
    if (!filter) return source_.report(filter.error());
    source_.report_warnings(filter->warnings());

    if (emit_) {
      auto emitted = backend_.emit(*emit_kind_, *filter, runtime_.compile_options(),
                                   sockets_.wanted(attach_.direction()), output_.value_or(""));
      return emitted ? kExitSuccess : source_.report(emitted.error());
    }

    const bool sockets_wanted = sockets_.wanted(attach_.direction());
    const bpffw::CompileOptions options = runtime_.compile_options();
    CachedObjects objects;
    if (!check_ && !no_cache_) objects = find_cached_objects(*filter, options, sockets_wanted, backend_);
    if (!objects.found) {
      auto compiled = backend_.compile(std::move(*filter), options, sockets_wanted, objects.packet, objects.sockets);
      if (!compiled) return source_.report(compiled.error());
      if (check_) return kExitSuccess;
      objects.store();
    }

    auto program = bpffw::Program::load(objects.packet, runtime_.load_options());
    if (!program) return source_.report(program.error());
    // Its socket programs, loaded before anything is attached or pinned (socket_group.hpp).
    // With the drop log, their refusals are records in the packet program's ring.
    std::vector<bpffw::SocketProgram> sockets;
    if (objects.sockets)
      if (int loaded = load_socket_group(*objects.sockets, *program, source_.text(), sockets); loaded != kExitSuccess)
        return loaded;
    return install_program(std::move(*program), std::move(sockets),
                           Placement{pin_path_, force_, everywhere_pin_, &attach_, &summary_}, source_.text());
  }

  // Every option must do something: one that would be ignored in this combination is a usage error,
  // with --attach as without it (test/e2e/bad_input_test.cpp has the table).
  int check_usage() {
    int modes = (pin_path_ ? 1 : 0) + (emit_ ? 1 : 0) + (check_ ? 1 : 0) + (everywhere_pin_ ? 1 : 0);
    if (int read = source_.read(); read != kExitSuccess) return read;
    if (int direction = attach_.parse_direction_option(); direction != kExitSuccess) return direction;
    if (everywhere_pin_ && attach_.requested())
      return report_usage("--replace-everywhere finds the cgroups itself; it does not combine with --attach");
    if (attach_.requested()) {
      if (int usage = attach_.check_combination(pin_path_, force_, emit_ || check_); usage != kExitSuccess)
        return usage;
    } else {
      if (modes == 0) return report_usage("nothing to do: give -o PIN, --attach CGROUP, --emit KIND or --check");
      if (modes > 1)
        return report_usage("-o, --replace-everywhere, --emit and --check cannot be combined; give one of them");
    }
    if (force_ && !pin_path_) return report_usage("--force only applies to -o PIN");
    if (output_ && !emit_) return report_usage("-O FILE only applies to --emit");
    if (no_cache_ && (emit_ || check_))
      return report_usage("--no-cache only applies to loading a program: --emit and --check do not use the cache");
    if (emit_) {
      emit_kind_ = parse_emit_kind(*emit_);
      if (!emit_kind_)
        return report_usage("unknown --emit kind '" + *emit_ + "'; expected ast, llvm, asm, obj or bundle");
      if ((*emit_kind_ == EmitKind::Obj || *emit_kind_ == EmitKind::Bundle) && !output_ && ::isatty(STDOUT_FILENO))
        return report_usage("refusing to write a binary object to a terminal",
                            "redirect standard output, or give -O FILE");
    }
    const bool bundle = emit_kind_ == EmitKind::Bundle;
    if (int usage = sockets_.check(attach_.direction(), pin_path_ || everywhere_pin_ || attach_.requested() || bundle);
        usage != kExitSuccess)
      return usage;
    return attach_.requested() ? attach_.prepare(pin_path_, force_) : kExitSuccess;
  }

  ExpressionSource source_;
  std::optional<std::string> pin_path_;
  std::optional<std::string> everywhere_pin_;  // --replace-everywhere
  std::string summary_;                        // what --replace-everywhere did, for the unit's status
  std::optional<std::string> emit_;
  std::optional<std::string> output_;
  std::optional<EmitKind> emit_kind_;
  bool force_ = false;
  bool check_ = false;
  bool no_cache_ = false;
  CompilerBackend& backend_ = compiler_backend();
  AttachOptions attach_;
  RuntimeOptions runtime_;
  SocketGroupOptions sockets_;
};

}  // namespace

std::unique_ptr<Command> make_compile_command() { return std::make_unique<CompileCommand>(); }

}  // namespace bpffwc
