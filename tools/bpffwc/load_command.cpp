// bpffwc load FILE (-o PIN [--force] | --replace-everywhere PIN | --attach CGROUP -t DIR ...): a
// bundle compiled elsewhere (bpffwc --emit bundle), loaded, pinned and attached as the compile
// command does (install_program.hpp), without compiling anything: this path calls no LLVM, only
// <bpffw/object_bundle.hpp>, program.hpp, metadata.hpp and cgroup.hpp, so that it can move into
// the LLVM-free front executable (front_main.cpp) later.
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <bpffw/metadata.hpp>
#include <bpffw/object_bundle.hpp>
#include <bpffw/program.hpp>

#include "attach_options.hpp"
#include "command.hpp"
#include "diagnostics.hpp"
#include "install_program.hpp"
#include "socket_group.hpp"
#include "unit_status.hpp"

namespace bpffwc {

namespace {

// Options of the compile command that decide what is compiled: in a bundle, that is done.
struct Fixed {
  const char* name;
  bool takes_value;
  const char* why;
};
constexpr Fixed kFixedInObject[] = {
    {"--param", true,
     "a parameter's initial value is compiled in; change it after loading with bpffwc set PIN NAME=VALUE"},
    {"--set", true, "a set's initial items are in the bundle; change them after loading with bpffwc set PIN SET=ITEMS"},
    {"--set-file", true,
     "a set's initial items are in the bundle; change them after loading with bpffwc set PIN SET=@FILE"},
    {"--set-capacity", true, "the set maps' capacity is compiled in"},
    {"--no-counters", false, "whether the program counts is compiled in"},
    {"--log", false, "the drop log is compiled in"},
    {"--log-limit", true, "the drop log's limit is compiled in"},
    {"--audit", false, "audit mode is compiled in"},
    {"--refuse-bind", false, "the socket programs are compiled in: the bundle has them or not"},
};

class LoadCommand final : public Command {
 public:
  void define(CLI::App& app) override {
    app.add_option("FILE", file_, "the bundle, written by bpffwc --emit bundle -O FILE (on any host)")
        ->type_name("FILE")
        ->required();
    app.add_option("-o,--pin", pin_path_, "load and pin the program at PIN on bpffs (needs root)")->type_name("PIN");
    app.add_flag("--force", force_,
                 "with -o: replace an existing pin atomically, and the pinned program wherever it is attached, "
                 "keeping its counters");
    app.add_option("--replace-everywhere", everywhere_pin_,
                   "load and put the program in place of the one pinned at PIN: at the pin and in every cgroup "
                   "where that one is attached (each swap atomic); a missing PIN is simply pinned")
        ->type_name("PIN");
    attach_.define(app, "load");  // --attach CGROUP -t DIR [--replace PIN | --replace-all] [--allow-host-wide]
    app.add_flag("--no-socket-programs", no_sockets_,
                 "leave out the bundle's socket programs (an egress filter's, or an ingress one's compiled with "
                 "--refuse-bind)");
    // Hidden: each is refused with the reason, rather than as an unknown option.
    for (const Fixed& fixed : kFixedInObject) {
      CLI::Option* option = fixed.takes_value ? app.add_option(fixed.name, ignored_values_) : app.add_flag(fixed.name);
      option->group("");
      fixed_.push_back({option, &fixed});
    }
  }

  int run() override {
    int status = run_command();
    if (everywhere_pin_) notify_unit_status(status, *everywhere_pin_, summary_);
    return status;
  }

 private:
  int run_command() {
    if (int usage = check_usage(); usage != kExitSuccess) return usage;
    auto bundle = read_bundle();
    if (!bundle) return report_file_error(bundle.error());
    const bpffw::ProgramMetadata& metadata = bundle->metadata;
    if (attach_.requested() && metadata.direction && attach_.direction() != metadata.direction)
      return report_usage("'" + file_ + "' was compiled for " + bpffw::to_string(*metadata.direction) + " (-t " +
                          bpffw::to_string(*metadata.direction) + "), not " + bpffw::to_string(*attach_.direction()));
    if (no_sockets_ && !bundle->sockets)
      return report_usage("--no-socket-programs: '" + file_ + "' has no socket programs to leave out");
    if (attach_.requested())
      if (int prepared = attach_.prepare(pin_path_, force_); prepared != kExitSuccess) return prepared;

    // The program replaced, whose counters the new one continues (as -o --force and --replace do).
    std::optional<bpffw::Program> opened_old;
    const bpffw::Program* old_program = attach_.replaced_program();
    const std::optional<std::string>& replaced_pin = everywhere_pin_ ? everywhere_pin_
                                                     : force_        ? pin_path_
                                                                     : std::nullopt;
    if (old_program == nullptr && replaced_pin)
      if (auto old = bpffw::Program::open_pinned(*replaced_pin)) {
        opened_old.emplace(std::move(*old));
        old_program = &*opened_old;
      }
    if (old_program != nullptr)
      if (auto old = bpffw::read_metadata(*old_program); old && old->audit != metadata.audit)
        report_note(metadata.audit ? "the program being replaced enforces its filter; the new one only audits: it "
                                     "drops nothing"
                                   : "the program being replaced was in audit mode; the new one enforces its filter");

    bpffw::LoadOptions options;
    options.keep_counters_of = old_program;
    auto program = bpffw::Program::load(bundle->packet, options);
    if (!program) return report(program.error(), metadata.expression);
    std::vector<bpffw::SocketProgram> sockets;
    if (bundle->sockets && !no_sockets_)
      if (int loaded = load_socket_group(*bundle->sockets, *program, metadata.expression, sockets);
          loaded != kExitSuccess)
        return loaded;
    return install_program(std::move(*program), std::move(sockets),
                           Placement{pin_path_, force_, everywhere_pin_, &attach_, &summary_}, metadata.expression);
  }

  int check_usage() {
    for (const auto& [option, fixed] : fixed_)
      if (option->count() > 0)
        return report_usage(std::string(fixed->name) + " is fixed when the bundle is compiled: " + fixed->why,
                            std::string("give it to the command that writes the bundle: bpffwc --emit bundle ") +
                                fixed->name + " ... -O FILE");
    if (int direction = attach_.parse_direction_option(); direction != kExitSuccess) return direction;
    if (attach_.direction() && !attach_.requested())
      return report_usage("-t only applies to --attach here: the direction is fixed when the bundle is compiled");
    if (everywhere_pin_ && attach_.requested())
      return report_usage("--replace-everywhere finds the cgroups itself; it does not combine with --attach");
    if (attach_.requested()) {
      if (int usage = attach_.check_combination(pin_path_, force_, false); usage != kExitSuccess) return usage;
    } else if (!pin_path_ && !everywhere_pin_) {
      return report_usage("nothing to do: give -o PIN, --attach CGROUP -t DIR or --replace-everywhere PIN");
    }
    if (pin_path_ && everywhere_pin_) return report_usage("-o and --replace-everywhere cannot be combined; give one");
    if (force_ && !pin_path_) return report_usage("--force only applies to -o PIN");
    return kExitSuccess;
  }

  bpffw::Result<bpffw::ObjectBundle> read_bundle() const {
    std::ifstream in(file_, std::ios::binary);
    if (!in.is_open()) return bpffw::make_error(bpffw::ErrorKind::Usage, std::strerror(errno));
    std::vector<unsigned char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad()) return bpffw::make_error(bpffw::ErrorKind::Usage, "it cannot be read (a directory?)");
    return bpffw::read_object_bundle(bytes);
  }

  int report_file_error(bpffw::Error error) const {
    error.message = "cannot load '" + file_ + "': " + error.message;
    return report(error);
  }

  std::string file_;
  std::optional<std::string> pin_path_;
  std::optional<std::string> everywhere_pin_;
  std::string summary_;
  bool force_ = false;
  bool no_sockets_ = false;
  AttachOptions attach_;
  std::vector<std::string> ignored_values_;
  std::vector<std::pair<CLI::Option*, const Fixed*>> fixed_;
};

}  // namespace

std::unique_ptr<Command> make_load_command() { return std::make_unique<LoadCommand>(); }

}  // namespace bpffwc
