// bpffwc detach CGROUP|self -t DIR (PIN | --all): take bpffw programs off a cgroup; on egress,
// their socket programs (docs/filter-language.md §10) with them.
// The pin itself stays (systemd units may still name it); rm it to let the program go.
// --all with nothing of ours attached succeeds (with a note): it is a cleanup step, e.g. a unit's
// ExecStopPost=, and the state it asks for is already there. A PIN not attached there is an error:
// the caller named a program and it was not where they said.
#include <optional>
#include <string>

#include <bpffw/cgroup.hpp>
#include <bpffw/program.hpp>

#include "command.hpp"
#include "diagnostics.hpp"

namespace bpffwc {
namespace {

class DetachCommand final : public Command {
 public:
  void define(CLI::App& app) override {
    app.add_option("CGROUP", cgroup_, "a cgroup v2 directory, a path relative to the cgroup2 mount, or self")
        ->required()
        ->type_name("");
    app.add_option("PIN", pin_path_, "the pinned program to detach")->type_name("");
    app.add_option("-t,--type", direction_, "ingress or egress")->type_name("DIR");
    app.add_flag("--all", all_, "detach every bpffw program in that direction (never another tool's)");
  }

  int run() override {
    if (!direction_) return report_usage("detach needs a direction: -t ingress or -t egress");
    if (pin_path_ && all_) return report_usage("give either PIN or --all, not both");
    if (!pin_path_ && !all_)
      return report_usage("detach needs PIN or --all", "bpffwc detach CGROUP -t DIR (PIN | --all)");
    auto direction = bpffw::parse_direction(*direction_);
    if (!direction) return report_usage(direction.error().message, direction.error().hint);

    auto cgroup = bpffw::Cgroup::open(cgroup_);
    if (!cgroup) return report(cgroup.error());
    if (all_) {
      auto attached = bpffw::attached_programs(*cgroup, *direction);
      if (!attached) return report(attached.error());
      bool any_ours = false;
      for (const bpffw::AttachedProgram& program : *attached) any_ours = any_ours || program.is_bpffw;
      // The socket programs of the direction go with the packet programs (one unit, socket_group.hpp).
      auto detached_sockets = bpffw::detach_bpffw_socket_programs(*cgroup, *direction);
      if (!detached_sockets) return report(detached_sockets.error());
      const std::size_t sockets = *detached_sockets;
      if (!any_ours && sockets == 0) {
        report_note("no bpffw program was attached to " + cgroup->path() + " " + bpffw::to_string(*direction) +
                    "; nothing to detach");
        return kExitSuccess;
      }
      if (!any_ours) return kExitSuccess;
      auto detached = bpffw::detach_all_bpffw(*cgroup, *direction);
      if (!detached) return report(detached.error());
      return kExitSuccess;
    }
    auto program = bpffw::Program::open_pinned(*pin_path_);
    if (!program) return report(program.error());
    auto sockets = bpffw::open_pinned_socket_programs(*pin_path_);
    if (!sockets) return report(sockets.error());
    if (auto detached = bpffw::detach(*cgroup, *direction, *program); !detached) return report(detached.error());
    if (auto detached = bpffw::detach(*cgroup, *sockets); !detached) return report(detached.error());
    return kExitSuccess;
  }

 private:
  std::string cgroup_;
  std::optional<std::string> pin_path_;
  std::optional<std::string> direction_;
  bool all_ = false;
};

}  // namespace

std::unique_ptr<Command> make_detach_command() { return std::make_unique<DetachCommand>(); }

}  // namespace bpffwc
