// bpffwc set PIN|id:N|CGROUP -t DIR NAME=VALUE...: change runtime parameters of a loaded program in place — the same
// program keeps running, nothing is recompiled. Every assignment is checked before any is written.
#include <optional>
#include <string>
#include <vector>

#include <bpffw/runtime.hpp>

#include "command.hpp"
#include "diagnostics.hpp"
#include "runtime_text.hpp"

namespace bpffwc {
namespace {

class SetCommand final : public Command {
 public:
  void define(CLI::App& app) override {
    app.add_option("PIN", pin_,
                   "a program pinned by bpffwc -o ... --param NAME=VALUE, a program id (id:N), or with -t a cgroup")
        ->required()
        ->type_name("");
    add_cgroup_direction_option(app, direction_);
    app.add_option("ASSIGNMENT", assignments_, "NAME=VALUE, one or more")->required()->type_name("NAME=VALUE");
  }

  int run() override {
    std::vector<bpffw::Parameter> changes;
    for (const std::string& text : assignments_) {
      auto change = bpffw::parse_parameter_assignment(text);
      if (!change) return report(change.error());
      changes.push_back(std::move(*change));
    }
    auto program = open_program(pin_, direction_);
    if (!program) return report(program.error());
    if (auto set = bpffw::set_parameters(*program, changes); !set) return report(set.error());
    return kExitSuccess;
  }

 private:
  std::string pin_;
  std::optional<std::string> direction_;
  std::vector<std::string> assignments_;
};

}  // namespace

std::unique_ptr<Command> make_set_command() { return std::make_unique<SetCommand>(); }

}  // namespace bpffwc
