// bpffwc attach CGROUP|self -t DIR PIN [--replace-all] [--allow-host-wide]: attach a program already
// pinned (by bpffwc -o) to a cgroup, the counterpart of `detach CGROUP -t DIR PIN`. Like --attach it
// warns when bpffw programs are attached there already, --replace-all puts it in their place, and
// the root cgroup or a login session as self is refused without --allow-host-wide.
#include <optional>
#include <string>
#include <vector>

#include <bpffw/cgroup.hpp>
#include <bpffw/program.hpp>

#include "attach_options.hpp"
#include "command.hpp"
#include "diagnostics.hpp"
#include "socket_group.hpp"

namespace bpffwc {
namespace {

class AttachCommand final : public Command {
 public:
  void define(CLI::App& app) override {
    app.add_option("CGROUP", cgroup_, "a cgroup v2 directory, a path relative to the cgroup2 mount, or self")
        ->required()
        ->type_name("");
    app.add_option("PIN", pin_path_, "the pinned program to attach")->required()->type_name("");
    app.add_option("-t,--type", direction_, "ingress or egress")->type_name("DIR");
    app.add_flag("--replace-all", replace_all_,
                 "put the program in place of every bpffw program attached there in that direction (other "
                 "tools' programs stay)");
    app.add_flag(kAllowHostWide, allow_host_wide_,
                 "attach even to the root cgroup (every process of the host) or, for self, to a login session "
                 "(session-N.scope, user@UID.service), which are refused without it");
  }

  int run() override {
    if (!direction_) return report_usage("attach needs a direction: -t ingress or -t egress");
    auto direction = bpffw::parse_direction(*direction_);
    if (!direction) return report_usage(direction.error().message, direction.error().hint);
    auto cgroup = bpffw::Cgroup::open(cgroup_);
    if (!cgroup) return report(cgroup.error());
    if (int refused = refuse_wide_cgroup(cgroup_, *cgroup, allow_host_wide_); refused != kExitSuccess) return refused;
    auto program = bpffw::Program::open_pinned(pin_path_);
    if (!program) return report(program.error());
    // The filter's socket programs pinned beside it go with it (socket_group.hpp).
    auto pinned = bpffw::open_pinned_socket_programs(pin_path_);
    if (!pinned) return report(pinned.error());
    std::vector<bpffw::SocketProgram> sockets = std::move(*pinned);
    if (replace_all_) {
      auto swap = [&] {
        auto outcome = bpffw::replace_all_bpffw(*program, *cgroup, *direction);
        if (!outcome) return report(outcome.error());
        note_replaced(*outcome, *cgroup, *direction);
        return kExitSuccess;
      };
      return swap_with_socket_group(*cgroup, *direction, sockets, swap, {});
    }
    if (auto attached = bpffw::attach(*program, *cgroup, *direction); !attached) return report(attached.error());
    if (auto attached = bpffw::attach(sockets, *cgroup); !attached) {
      (void)bpffw::detach(*cgroup, *direction, *program);  // all or none
      return report(attached.error());
    }
    warn_if_stacking(*cgroup, *direction, *program);
    return kExitSuccess;
  }

 private:
  std::string cgroup_;
  std::string pin_path_;
  std::optional<std::string> direction_;
  bool replace_all_ = false;
  bool allow_host_wide_ = false;
};

}  // namespace

std::unique_ptr<Command> make_attach_command() { return std::make_unique<AttachCommand>(); }

}  // namespace bpffwc
