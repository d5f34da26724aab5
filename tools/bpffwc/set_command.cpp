// bpffwc set PIN|id:N|CGROUP -t DIR NAME=VALUE...: change runtime parameters of a loaded program in place — the same
// program keeps running, nothing is recompiled. Every assignment is checked before any is written.
// Named sets (docs/filter-language.md §9) too: SET+=ITEMS, SET-=ITEMS, SET=ITEMS and SET=@FILE (a whole,
// atomic replace).
#include <optional>
#include <string>
#include <vector>

#include <bpffw/runtime.hpp>

#include "command.hpp"
#include "diagnostics.hpp"
#include "runtime_text.hpp"
#include "set_options.hpp"

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
    app.add_option("ASSIGNMENT", assignments_,
                   "NAME=VALUE for a parameter; SET+=ITEMS, SET-=ITEMS, SET=ITEMS or SET=@FILE for a named set; "
                   "one or more")
        ->required()
        ->type_name("NAME=VALUE");
    add_allow_empty_option(app, allow_empty_);
  }

  int run() override {
    auto program = open_program(pin_, direction_);
    if (!program) return report(program.error());
    auto metadata = bpffw::read_metadata(*program);
    if (!metadata) return report(metadata.error());
    std::vector<bpffw::Parameter> changes;
    std::vector<SetChange> set_changes;
    for (const std::string& text : assignments_) {
      if (auto set_change = parse_set_change(text, *metadata, allow_empty_)) {
        if (!*set_change) return (*set_change).error();
        set_changes.push_back(std::move(**set_change));
        continue;
      }
      auto change = bpffw::parse_parameter_assignment(text);
      if (!change) return report(change.error());
      changes.push_back(std::move(*change));
    }
    if (auto set = bpffw::set_parameters(*program, changes); !set) return report(set.error());
    for (const SetChange& change : set_changes) {
      bpffw::Result<void> done;
      switch (change.op) {
        case '+': done = bpffw::add_to_set(*program, change.name, change.items); break;
        case '-': done = bpffw::remove_from_set(*program, change.name, change.items); break;
        default: done = bpffw::replace_set(*program, change.name, change.items); break;
      }
      if (!done) return report(done.error());
    }
    return kExitSuccess;
  }

 private:
  struct SetChange {
    std::string name;
    char op;  // '+', '-' or '='
    bpffw::SetItems items;
  };

  // A set change, if `text` is one: NAME+=, NAME-=, or NAME= where NAME is one of the program's
  // sets. Its error is the exit code of the reported error.
  static std::optional<tl::expected<SetChange, int>> parse_set_change(const std::string& text,
                                                                      const bpffw::ProgramMetadata& metadata,
                                                                      const std::vector<std::string>& allow_empty) {
    std::size_t equals = text.find('=');
    if (equals == std::string::npos || equals == 0) return std::nullopt;
    char op = text[equals - 1] == '+' || text[equals - 1] == '-' ? text[equals - 1] : '=';
    std::string name = text.substr(0, op == '=' ? equals : equals - 1);
    bool is_set = false;
    for (const auto& set : metadata.sets) is_set |= set.name == name;
    if (op == '=' && !is_set) return std::nullopt;  // a parameter, checked by set_parameters
    if (!is_set) {
      std::string known;
      for (const auto& set : metadata.sets) known += (known.empty() ? "" : ", ") + set.name;
      return tl::unexpected(
          report_usage("the program has no set '" + name + "'",
                       known.empty() ? "it was compiled without --set or --set-file" : "its sets: " + known));
    }
    std::string items = text.substr(equals + 1);
    SetChange change{name, op, {}};
    if (op == '=' && items.starts_with('@')) {
      if (int read = read_set_file(name, items.substr(1), may_be_empty(allow_empty, name), change.items);
          read != kExitSuccess)
        return tl::unexpected(read);
      return change;
    }
    auto parsed = bpffw::parse_set_items(items);
    if (!parsed) return tl::unexpected(report(parsed.error(), items, name + std::string(1, op) + "="));
    change.items = std::move(*parsed);
    return change;
  }

  std::string pin_;
  std::optional<std::string> direction_;
  std::vector<std::string> assignments_;
  std::vector<std::string> allow_empty_;  // --allow-empty: SET=@FILE may empty these sets
};

}  // namespace

std::unique_ptr<Command> make_set_command() { return std::make_unique<SetCommand>(); }

}  // namespace bpffwc
