// bpffwc show [CGROUP|self]: the bpffw programs attached to a cgroup, per direction.
// bpffwc show PIN (a path on bpffs) or show id:N: what the program says about itself (runtime_text.cpp).
// Each bpffw program, read by its id (no pin needed), with what `show PIN` says of it:
//   /sys/fs/cgroup/system.slice/foo.service
//   ingress 41  bpffw_filter
//             expression  tcp && dst_port == 443
//             direction   ingress
//             parameters  none
//             counters    passed 10 packets (1200 bytes), dropped 2 packets (80 bytes)
//   egress  none (other tools' programs: 7 sd_fw_egress)
#include <cstdio>
#include <string>

#include <bpffw/cgroup.hpp>

#include "command.hpp"
#include "diagnostics.hpp"
#include "runtime_text.hpp"

namespace bpffwc {
namespace {

class ShowCommand final : public Command {
 public:
  void define(CLI::App& app) override {
    app.add_option("CGROUP", cgroup_,
                   "a cgroup v2 directory, a path relative to the cgroup2 mount, or self (the default); "
                   "or a PIN (any path on bpffs) or id:N (a program id): its expression, parameters, counters and "
                   "bpffw version")
        ->type_name("");
  }

  int run() override {
    // A path on bpffs is a pin to describe (runtime_text.hpp), or to say is missing; anything else
    // is a cgroup.
    if (is_bpffs_path(cgroup_) || cgroup_.rfind("id:", 0) == 0) return show_pin(cgroup_);
    auto cgroup = bpffw::Cgroup::open(cgroup_);
    if (!cgroup) return report(cgroup.error());
    std::string out = cgroup->path() + "\n";
    for (bpffw::Direction direction : {bpffw::Direction::Ingress, bpffw::Direction::Egress}) {
      auto programs = bpffw::attached_programs(*cgroup, direction);
      if (!programs) return report(programs.error());
      std::string label = bpffw::to_string(direction);
      label.resize(8, ' ');
      std::string others;
      bool any_ours = false;
      for (const bpffw::AttachedProgram& program : *programs) {
        if (program.is_bpffw) {
          out += label + std::to_string(program.id) + "  " + program.name + "\n" + details(program.id);
          any_ours = true;
        } else {
          others += (others.empty() ? "" : ", ") + std::to_string(program.id) + " " + program.name;
        }
      }
      if (!any_ours) out += label + "none" + (others.empty() ? "" : " (other tools' programs: " + others + ")") + "\n";
      else if (!others.empty()) out += label + "(other tools' programs: " + others + ")\n";
    }
    std::fwrite(out.data(), 1, out.size(), stdout);
    return kExitSuccess;
  }

 private:
  // The description of `show PIN` without its first line (the program line above says it).
  static std::string details(std::uint32_t id) {
    const std::string indent(10, ' ');
    auto program = bpffw::Program::open_id(id);
    if (!program) return indent + "(" + program.error().message + ")\n";
    auto description = program_description(*program, indent);
    if (!description) return indent + "(" + description.error().message + ")\n";
    return description->substr(description->find('\n') + 1);
  }

  std::string cgroup_ = "self";
};

}  // namespace

std::unique_ptr<Command> make_show_command() { return std::make_unique<ShowCommand>(); }

}  // namespace bpffwc
