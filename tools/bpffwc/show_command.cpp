// bpffwc show [CGROUP|self] [--json]: the bpffw programs attached to a cgroup, per direction.
// bpffwc show PIN (a path on bpffs) or show id:N: what the program says about itself (runtime_text.cpp).
// bpffwc show PIN --set NAME [--match VALUE]: a named set's live items, or the entry a value meets
// (show_set.cpp).
// Each bpffw program, read by its id (no pin needed), with what `show PIN` says of it:
//   /sys/fs/cgroup/system.slice/foo.service
//   ingress 41  bpffw_filter
//             expression  tcp && dst_port == 443
//             direction   ingress
//             parameters  none
//             counters    passed 10 packets (1200 bytes), dropped 2 packets (80 bytes)
//   egress  none (other tools' programs: 7 sd_fw_egress)
//   sockets connect4 51 (3 refused), connect6 52 (0 refused), sendmsg4 53 (0 refused), ...  (§10)
#include <cstdio>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <bpffw/cgroup.hpp>
#include <bpffw/runtime.hpp>

#include "command.hpp"
#include "diagnostics.hpp"
#include "runtime_text.hpp"
#include "show_set.hpp"

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
    app.add_flag("--json", json_,
                 "print one JSON object (docs/bpffwc.md, \"JSON output\"): for a cgroup its path and, per direction, "
                 "the attached programs; for a program what it says about itself; with --set an array of the items");
    app.add_option("--set", set_,
                   "with PIN or id:N: list the live items of the program's named set NAME, one per line as a set file "
                   "takes them (--set-file, set NAME=@FILE)")
        ->type_name("NAME");
    app.add_option(
           "--match", match_,
           "with --set: print the entry of the set a packet's VALUE (one integer or one address) meets, by the "
           "program's own lookups: the integer's range, the whole address or the longest prefix; exit 1 if none")
        ->type_name("VALUE");
  }

  int run() override {
    if (match_ && !set_) return report_usage("--match needs --set NAME", "bpffwc show PIN --set NAME --match VALUE");
    if (set_) {
      if (!is_bpffs_path(cgroup_) && cgroup_.rfind("id:", 0) != 0)
        return report_usage("--set lists a set of a program: give its PIN or id:N, not a cgroup ('" + cgroup_ + "')");
      return show_set(cgroup_, *set_, match_, json_);
    }
    // A path on bpffs is a pin to describe (runtime_text.hpp), or to say is missing; anything else
    // is a cgroup.
    if (is_bpffs_path(cgroup_) || cgroup_.rfind("id:", 0) == 0) return show_pin(cgroup_, json_);
    auto cgroup = bpffw::Cgroup::open(cgroup_);
    if (!cgroup) return report(cgroup.error());
    if (json_) return show_json(*cgroup);
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
    auto sockets = socket_programs(*cgroup);
    if (!sockets) return report(sockets.error());
    std::string line;
    for (const auto& [hook, ids] : *sockets)
      for (std::uint32_t id : ids) {
        auto [refused, would] = refusals(hook, id);
        line += (line.empty() ? "" : ", ") + std::string(bpffw::to_string(hook)) + " " + std::to_string(id) +
                (refused ? " (" + std::to_string(*refused) + " refused" +
                               (would != 0 ? ", " + std::to_string(would) + " would have been" : "") + ")"
                         : "");
      }
    if (!line.empty()) out += "sockets " + line + "\n";
    std::fwrite(out.data(), 1, out.size(), stdout);
    return kExitSuccess;
  }

 private:
  // {"cgroup":PATH,"ingress":[PROGRAM...],"egress":[...]}, in attach order: a bpffw program as
  // program_report_json with "bpffw":true (or "error" when it cannot be read), another tool's as
  // {"id":7,"name":"sd_fw_egress","bpffw":false}.
  int show_json(const bpffw::Cgroup& cgroup) {
    std::string out = "{\"cgroup\":" + json_string(cgroup.path());
    for (bpffw::Direction direction : {bpffw::Direction::Ingress, bpffw::Direction::Egress}) {
      auto programs = bpffw::attached_programs(cgroup, direction);
      if (!programs) return report(programs.error());
      std::string list;
      for (const bpffw::AttachedProgram& program : *programs) {
        std::string head = "{\"id\":" + std::to_string(program.id) + ",\"name\":" + json_string(program.name) +
                           ",\"bpffw\":" + (program.is_bpffw ? "true" : "false");
        std::string entry = head + "}";
        if (program.is_bpffw) {
          auto described = describe(program.id);
          entry = described ? "{\"bpffw\":true," + program_report_json(*described).substr(1)
                            : head + ",\"error\":" + json_string(described.error().message) + "}";
        }
        list += (list.empty() ? "" : ",") + entry;
      }
      out += ",\"" + std::string(bpffw::to_string(direction)) + "\":[" + list + "]";
    }
    auto sockets = socket_programs(cgroup);
    if (!sockets) return report(sockets.error());
    std::string hooks;
    for (const auto& [hook, ids] : *sockets) {
      std::string list;
      for (std::uint32_t id : ids) {
        auto [refused, would] = refusals(hook, id);
        list += (list.empty() ? "" : ",") + std::string("{\"id\":") + std::to_string(id) +
                ",\"refusals\":" + (refused ? std::to_string(*refused) : "null") +
                ",\"would_refuse\":" + (refused ? std::to_string(would) : "null") + "}";
      }
      hooks += (hooks.empty() ? "\"" : ",\"") + std::string(bpffw::to_string(hook)) + "\":[" + list + "]";
    }
    out += ",\"sockets\":{" + hooks + "}}\n";
    std::fwrite(out.data(), 1, out.size(), stdout);
    return kExitSuccess;
  }

  // The ids of the bpffw socket programs at each hook (docs/filter-language.md §10).
  static bpffw::Result<std::vector<std::pair<bpffw::SocketHook, std::vector<std::uint32_t>>>> socket_programs(
      const bpffw::Cgroup& cgroup) {
    std::vector<std::pair<bpffw::SocketHook, std::vector<std::uint32_t>>> hooks;
    for (bpffw::SocketHook hook : bpffw::kSocketHooks) {
      auto programs = bpffw::attached_programs(cgroup, hook);
      if (!programs) return tl::unexpected(programs.error());
      hooks.emplace_back(hook, std::vector<std::uint32_t>());
      for (const bpffw::AttachedProgram& program : *programs)
        if (program.is_bpffw) hooks.back().second.push_back(program.id);
    }
    return hooks;
  }

  // A socket program's refusals, nothing when they cannot be read (--no-counters), and the calls
  // it would have refused in audit mode.
  static std::pair<std::optional<std::uint64_t>, std::uint64_t> refusals(bpffw::SocketHook hook, std::uint32_t id) {
    auto program = bpffw::Program::open_id(id);
    if (!program) return {std::nullopt, 0};
    const bpffw::SocketProgram socket{hook, std::move(*program)};
    auto refused = bpffw::read_refusals(socket);
    if (!refused) return {std::nullopt, 0};
    return {*refused, bpffw::read_would_refusals(socket).value_or(0)};
  }

  static bpffw::Result<ProgramReport> describe(std::uint32_t id) {
    auto program = bpffw::Program::open_id(id);
    if (!program) return tl::unexpected(program.error());
    return describe_program(*program);
  }

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
  bool json_ = false;
  std::optional<std::string> set_;    // --set NAME
  std::optional<std::string> match_;  // --match VALUE
};

}  // namespace

std::unique_ptr<Command> make_show_command() { return std::make_unique<ShowCommand>(); }

}  // namespace bpffwc
