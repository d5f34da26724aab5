// bpffwc [OPTIONS] (EXPRESSION | -f FILE): compile a filter, then pin it (-o), print a stage (--emit) or
// stop there (--check).
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <optional>
#include <string>

#include <unistd.h>

#include <bpffw/compiler.hpp>
#include <bpffw/filter.hpp>
#include <bpffw/object_bundle.hpp>
#include <bpffw/program.hpp>

#include "attach_options.hpp"
#include "command.hpp"
#include "diagnostics.hpp"
#include "expression_source.hpp"
#include "install_program.hpp"
#include "runtime_options.hpp"
#include "socket_group.hpp"
#include "unit_status.hpp"

namespace bpffwc {

namespace {

enum class EmitKind { Ast, Llvm, Asm, Obj, Bundle };

std::optional<EmitKind> parse_emit_kind(const std::string& text) {
  if (text == "ast") return EmitKind::Ast;
  if (text == "llvm") return EmitKind::Llvm;
  if (text == "asm") return EmitKind::Asm;
  if (text == "obj") return EmitKind::Obj;
  if (text == "bundle") return EmitKind::Bundle;
  return std::nullopt;
}

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
// too large to compile. Returns the exit code of a reported error, or kExitSuccess.
int compile_socket_group(const bpffw::Filter& filter, const bpffw::CompileOptions& options, std::string_view expression,
                         std::optional<bpffw::ObjectFile>& object) {
  auto compiled = bpffw::compile_socket_programs(filter, options);
  // Too large for a program of its own (the filter's packet program is not): the filter goes on
  // without them, its calls judged by their packets alone.
  if (!compiled && compiled.error().kind == bpffw::ErrorKind::InvalidExpression) {
    report_note("the socket programs are left out: " + compiled.error().message);
    return kExitSuccess;
  }
  if (!compiled) return report(compiled.error(), expression);
  object = std::move(*compiled);
  return kExitSuccess;
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

    if (emit_) return emit(*filter);

    // The filter is needed afterwards only for the socket programs.
    const bool sockets_wanted = sockets_.wanted(attach_.direction());
    auto object = sockets_wanted ? bpffw::compile(*filter, runtime_.compile_options())
                                 : bpffw::compile(std::move(*filter), runtime_.compile_options());
    if (!object) return source_.report(object.error());
    if (check_) return kExitSuccess;

    auto program = bpffw::Program::load(*object, runtime_.load_options());
    if (!program) return source_.report(program.error());
    // Its socket programs, loaded before anything is attached or pinned (socket_group.hpp).
    std::vector<bpffw::SocketProgram> sockets;
    // With the drop log, their refusals are records in the packet program's ring.
    if (sockets_wanted) {
      std::optional<bpffw::ObjectFile> socket_object;
      if (int compiled = compile_socket_group(*filter, runtime_.compile_options(), source_.text(), socket_object);
          compiled != kExitSuccess)
        return compiled;
      if (socket_object)
        if (int loaded = load_socket_group(*socket_object, *program, source_.text(), sockets); loaded != kExitSuccess)
          return loaded;
    }
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

  int emit(const bpffw::Filter& filter) {
    std::string text;
    std::vector<unsigned char> bytes;
    switch (*emit_kind_) {
      case EmitKind::Ast: text = filter.dump_ast(); break;
      case EmitKind::Llvm: {
        auto ir = bpffw::emit_llvm_ir(filter, runtime_.compile_options());
        if (!ir) return source_.report(ir.error());
        text = std::move(*ir);
        break;
      }
      case EmitKind::Asm: {
        auto assembly = bpffw::emit_assembly(filter, runtime_.compile_options());
        if (!assembly) return source_.report(assembly.error());
        text = std::move(*assembly);
        break;
      }
      case EmitKind::Obj: {
        auto object = bpffw::compile(filter, runtime_.compile_options());
        if (!object) return source_.report(object.error());
        warn_of_entries_written_at_load(*object);
        bytes = std::move(object->bytes);
        break;
      }
      case EmitKind::Bundle: {
        auto object = bpffw::compile(filter, runtime_.compile_options());
        if (!object) return source_.report(object.error());
        std::optional<bpffw::ObjectFile> sockets;
        if (sockets_.wanted(attach_.direction()))
          if (int compiled = compile_socket_group(filter, runtime_.compile_options(), source_.text(), sockets);
              compiled != kExitSuccess)
            return compiled;
        bytes = bpffw::save_object_bundle(*object, sockets ? &*sockets : nullptr);
        break;
      }
    }
    auto written = !bytes.empty() ? write_output(output_.value_or(""), bytes.data(), bytes.size())
                                  : write_output(output_.value_or(""), text.data(), text.size());
    if (!written) return report(written.error());
    return kExitSuccess;
  }

  // Sets and rule lists are entries of the program's maps that Program::load writes: another
  // tool that loads the object leaves them empty, so its sets hold nothing and its rule lists
  // meet no packet — a deny list would let everything through.
  static void warn_of_entries_written_at_load(const bpffw::ObjectFile& object) {
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

  ExpressionSource source_;
  std::optional<std::string> pin_path_;
  std::optional<std::string> everywhere_pin_;  // --replace-everywhere
  std::string summary_;                        // what --replace-everywhere did, for the unit's status
  std::optional<std::string> emit_;
  std::optional<std::string> output_;
  std::optional<EmitKind> emit_kind_;
  bool force_ = false;
  bool check_ = false;
  AttachOptions attach_;
  RuntimeOptions runtime_;
  SocketGroupOptions sockets_;
};

}  // namespace

std::unique_ptr<Command> make_compile_command() { return std::make_unique<CompileCommand>(); }

}  // namespace bpffwc
