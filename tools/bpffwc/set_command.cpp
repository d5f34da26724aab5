// bpffwc set PIN|id:N|CGROUP -t DIR NAME=VALUE...: change runtime parameters of a loaded program in place — the same
// program keeps running, nothing is recompiled. Every assignment is checked before any is written.
// Named sets (docs/filter-language.md §9) too: SET+=ITEMS, SET-=ITEMS, SET=ITEMS and SET=@FILE (a whole,
// atomic replace). A set declared from a file (--set-file NAME=FILE) is read from that file again at
// every reload: a change is noted as one the next reload undoes, unless --save writes it into the
// file too (set_file_edit.hpp). Removing an item the set does not hold, or one a wider prefix of the
// set still matches, is noted.
#include <algorithm>
#include <filesystem>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include <bpffw/runtime.hpp>

#include "command.hpp"
#include "diagnostics.hpp"
#include "runtime/opened_sets.hpp"
#include "runtime_text.hpp"
#include "set_file_edit.hpp"
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
    app.add_flag("--save", save_,
                 "write the set changes into the sets' files too (--set-file NAME=FILE), keeping their comments and "
                 "order, so that the next reload from the file keeps them");
  }

  int run() override {
    auto program = open_program(pin_, direction_);
    if (!program) return report(program.error());
    // The program's maps are opened once for the metadata and every set change.
    auto opened = bpffw::runtime::open_sets(*program);
    if (!opened) return report(opened.error());
    const bpffw::ProgramMetadata* metadata = &opened->metadata;
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
    // --save is checked whole before anything changes: every set changed has a file to save to.
    if (save_) {
      if (set_changes.empty())
        return report_usage("--save writes set changes into the sets' files, and there is no set change",
                            "drop --save: a parameter is not kept in a file");
      for (const SetChange& change : set_changes)
        if (file_of(*metadata, change.name).empty())
          return report_usage("cannot save set '" + change.name + "': it was not declared from a file",
                              "--save writes to the file of a set declared with --set-file " + change.name +
                                  "=FILE; change it without --save");
    }
    if (!changes.empty())
      if (auto set = bpffw::set_parameters(*program, changes); !set) return report(set.error());
    for (const SetChange& change : set_changes)
      if (int done = apply(*opened, change, file_of(*metadata, change.name)); done != kExitSuccess) return done;
    return kExitSuccess;
  }

 private:
  struct SetChange {
    std::string name;
    char op;  // '+', '-' or '='
    bpffw::SetItems items;
    std::string source;  // SET=@FILE: FILE's absolute path
  };

  static std::string file_of(const bpffw::ProgramMetadata& metadata, const std::string& name) {
    for (const auto& set : metadata.sets)
      if (set.name == name) return set.file;
    return {};
  }

  // Whether `source` (SET=@SOURCE) is the set's own file: then the file and the set agree.
  static bool is_own_file(const std::string& source, const std::string& file) {
    if (source.empty() || file.empty()) return false;
    std::error_code error;
    return source == file || std::filesystem::equivalent(source, file, error);
  }

  // One set change: the file's new text prepared first (--save), then the maps changed, then the
  // new text renamed over the file, so that a failure never leaves the two apart unsaid.
  int apply(const bpffw::runtime::OpenedSets& program, const SetChange& change, const std::string& file) const {
    bool own_file = change.op == '=' && is_own_file(change.source, file);
    PendingSetFile pending;
    if (save_ && !own_file) {
      auto prepared = PendingSetFile::prepare(file, change.op, change.items);
      if (!prepared) return report(prepared.error());
      pending = std::move(*prepared);
    }
    bpffw::SetItems removed;
    bpffw::Result<void> done;
    switch (change.op) {
      case '+': done = bpffw::runtime::add_to_set(program, change.name, change.items); break;
      case '-': done = bpffw::runtime::remove_from_set(program, change.name, change.items, &removed); break;
      default: done = bpffw::runtime::replace_set(program, change.name, change.items); break;
    }
    if (!done) return report(done.error());  // `pending` is removed with it
    if (change.op == '-') note_removals(program, change, removed);
    if (save_ && !own_file) {
      if (auto committed = pending.commit(); !committed) {
        bpffw::Error error = committed.error();
        error.message = "set '" + change.name + "' changed, but its file did not: " + error.message;
        error.hint = "the next reload from " + file + " will undo the change; run the same command again to save it";
        return report(error);
      }
    } else if (!file.empty() && !own_file) {
      report_note("set '" + change.name + "' is read from " + file +
                  " at every reload: the next reload will undo this change (--save writes it to the file too)");
    }
    return kExitSuccess;
  }

  // "a, b and 3 more" for up to kShown items.
  static constexpr std::size_t kShown = 20;
  static std::string list_items(const std::vector<std::string>& items) {
    std::string text;
    for (std::size_t i = 0; i < items.size() && i < kShown; ++i)
      text += (i == 0 ? "" : i + 1 == items.size() ? " and " : ", ") + items[i];
    if (items.size() > kShown) text += " and " + std::to_string(items.size() - kShown) + " more";
    return text;
  }

  // Notes for SET-=ITEMS: the items the set did not hold, and removed addresses or prefixes that a
  // wider prefix of the set still matches (packets from them are still matched). The first kShown
  // removed items are looked up, each as the program would (match_in_set).
  void note_removals(const bpffw::runtime::OpenedSets& program, const SetChange& change,
                     const bpffw::SetItems& removed) const {
    std::vector<std::string> absent;
    auto less = [](const bpffw::SetPrefix& a, const bpffw::SetPrefix& b) {
      return std::tie(a.ipv6, a.bytes, a.length) < std::tie(b.ipv6, b.bytes, b.length);
    };
    std::vector<bpffw::SetPrefix> gone = removed.prefixes;
    std::sort(gone.begin(), gone.end(), less);
    for (const bpffw::SetPrefix& prefix : change.items.prefixes)
      if (!std::binary_search(gone.begin(), gone.end(), prefix, less))
        absent.push_back(bpffw::format_set_prefix(prefix));
    std::vector<bpffw::SetIntegerRange> gone_integers = bpffw::merge_set_ranges(removed.ranges);
    for (const bpffw::SetIntegerRange& range : change.items.ranges)
      for (const bpffw::SetIntegerRange& left : subtract_ranges(range, gone_integers))
        absent.push_back(bpffw::format_set_range(left));
    if (!absent.empty())
      report_note("set '" + change.name + "' did not hold " + list_items(absent) + ": nothing to remove there");

    std::size_t checked = std::min(removed.prefixes.size(), kShown);
    for (std::size_t i = 0; i < checked; ++i) {
      const bpffw::SetPrefix& prefix = removed.prefixes[i];
      bpffw::SetPrefix address = prefix;
      address.length = prefix.ipv6 ? 128 : 32;
      auto match = bpffw::runtime::match_in_set(program, change.name, {bpffw::SetElement::Address, {}, {address}});
      if (!match || !*match || (*match)->prefixes.empty() || (*match)->prefixes[0].length >= prefix.length) continue;
      report_note(bpffw::format_set_prefix(prefix) + " is no longer in set '" + change.name + "', but " +
                  bpffw::format_set_prefix((*match)->prefixes[0]) + " still matches it");
    }
    if (removed.prefixes.size() > checked)
      report_note("the other " + std::to_string(removed.prefixes.size() - checked) +
                  " removed items were not checked for a wider prefix that still matches them: 'bpffwc show " + pin_ +
                  " --set " + change.name + " --match ADDRESS' checks one");
  }

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
    SetChange change{name, op, {}, {}};
    if (op == '=' && items.starts_with('@')) {
      if (int read = read_set_file(name, items.substr(1), may_be_empty(allow_empty, name), change.items);
          read != kExitSuccess)
        return tl::unexpected(read);
      std::error_code error;
      std::filesystem::path source = std::filesystem::absolute(items.substr(1), error);
      if (!error) change.source = source.lexically_normal().string();
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
  bool save_ = false;                     // --save: set changes into the sets' files too
};

}  // namespace

std::unique_ptr<Command> make_set_command() { return std::make_unique<SetCommand>(); }

}  // namespace bpffwc
