#include "filter_status.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <utility>

#include <bpffw/runtime.hpp>

#include "compiler_backend.hpp"
#include "diagnostics.hpp"
#include "expression_source.hpp"  // read_text_file
#include "runtime_options.hpp"

namespace bpffwc {
namespace {

bool exists(const std::string& path) {
  struct stat status;
  return ::stat(path.c_str(), &status) == 0;
}

// BPFFWC_OPTIONS of an environment file (systemd's EnvironmentFile=), split at white space as
// systemd splits an unquoted $BPFFWC_OPTIONS in ExecStart=. No file: no options.
std::vector<std::string> conf_options(const std::string& conf) {
  std::ifstream in(conf);
  std::string line, value;
  while (std::getline(in, line)) {
    std::size_t start = line.find_first_not_of(" \t");
    if (start == std::string::npos || line.compare(start, 15, "BPFFWC_OPTIONS=") != 0) continue;
    value = line.substr(start + 15);
    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') && value.back() == value.front())
      value = value.substr(1, value.size() - 2);
  }
  std::vector<std::string> words;
  std::istringstream split(value);
  for (std::string word; split >> word;) words.push_back(word);
  return words;
}

// A set's items in one canonical order, to compare a live set with its file.
struct CanonicalSet {
  std::vector<bpffw::SetPrefix> prefixes;  // sorted, unique
  std::vector<std::int64_t> integers;      // sorted, unique: each integer of a range
};

CanonicalSet canonical(const bpffw::SetItems& items) {
  CanonicalSet set;
  set.prefixes = items.prefixes;
  auto before = [](const bpffw::SetPrefix& a, const bpffw::SetPrefix& b) {
    return std::tie(a.ipv6, a.bytes, a.length) < std::tie(b.ipv6, b.bytes, b.length);
  };
  std::sort(set.prefixes.begin(), set.prefixes.end(), before);
  set.prefixes.erase(std::unique(set.prefixes.begin(), set.prefixes.end()), set.prefixes.end());
  for (const bpffw::SetIntegerRange& range : items.ranges)
    for (std::int64_t value = range.lo;; ++value) {
      set.integers.push_back(value);
      if (value == range.hi) break;
    }
  std::sort(set.integers.begin(), set.integers.end());
  set.integers.erase(std::unique(set.integers.begin(), set.integers.end()), set.integers.end());
  return set;
}

// "N items (a, b, c, ...)": what `a` has that `b` lacks.
template <class T, class Format>
std::string missing_from(const std::vector<T>& a, const std::vector<T>& b, const Format& format) {
  std::vector<T> only;
  if constexpr (std::is_same_v<T, bpffw::SetPrefix>)
    std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(only),
                        [](const bpffw::SetPrefix& x, const bpffw::SetPrefix& y) {
                          return std::tie(x.ipv6, x.bytes, x.length) < std::tie(y.ipv6, y.bytes, y.length);
                        });
  else std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(only));
  if (only.empty()) return {};
  std::string text = std::to_string(only.size()) + (only.size() == 1 ? " item (" : " items (");
  for (std::size_t i = 0; i < std::min<std::size_t>(only.size(), 3); ++i)
    text += (i == 0 ? "" : ", ") + format(only[i]);
  return text + (only.size() > 3 ? ", ...)" : ")");
}

// What differs between a live set and the items its declaration reads; empty when nothing does.
std::string set_difference_text(const bpffw::SetItems& live, const bpffw::SetItems& declared) {
  CanonicalSet have = canonical(live), want = canonical(declared);
  auto prefix = [](const bpffw::SetPrefix& p) { return bpffw::format_set_prefix(p); };
  auto integer = [](std::int64_t value) { return std::to_string(value); };
  std::string extra =
      missing_from(have.prefixes, want.prefixes, prefix) + missing_from(have.integers, want.integers, integer);
  std::string lacking =
      missing_from(want.prefixes, have.prefixes, prefix) + missing_from(want.integers, have.integers, integer);
  std::string text;
  if (!extra.empty()) text = "holds " + extra + " that its declaration lacks";
  if (!lacking.empty()) text += (text.empty() ? "lacks " : " and lacks ") + lacking + " of its declaration";
  return text;
}

std::string names_text(const std::vector<std::string>& names) {
  std::string text;
  for (const std::string& name : names) text += (text.empty() ? "" : ",") + name;
  return text.empty() ? "none" : text;
}

std::string sets_text(const std::vector<bpffw::ProgramMetadata::SetName>& sets) {
  std::string text;
  for (const auto& set : sets) text += (text.empty() ? "" : ",") + set.name + (set.file.empty() ? "" : "=@" + set.file);
  return text.empty() ? "none" : text;
}

std::string log_text(const std::optional<bpffw::LogLimit>& log) {
  return log ? std::to_string(log->rate_per_second) + "/s,burst " + std::to_string(log->burst) : "off";
}

}  // namespace

FilterExaminer::FilterExaminer(std::string config_dir, std::string pin_dir,
                               std::vector<bpffw::BpffwAttachment> attachments)
    : config_dir_(std::move(config_dir)), pin_dir_(std::move(pin_dir)), attachments_(std::move(attachments)) {}

FilterStatus FilterExaminer::examine(const std::string& name) {
  FilterStatus status{name, config_dir_ + "/" + name + ".filter", pin_dir_ + "/" + name, std::nullopt, false, {}, {}};
  bool has_file = exists(status.filter_file), has_pin = exists(status.pin);
  if (!has_file && !has_pin) {
    status.divergences.push_back({"not-loaded", "there is no " + status.filter_file + " and nothing pinned at " +
                                                    status.pin + ": no such named filter"});
    return status;
  }
  if (!has_pin) {
    status.divergences.push_back({"not-loaded", status.filter_file + " is not loaded: nothing is pinned at " +
                                                    status.pin + " (systemctl start bpffw@" + name + ")"});
    return status;
  }
  auto program = bpffw::Program::open_pinned(status.pin);
  if (!program) {
    status.divergences.push_back({"not-bpffw", "cannot open " + status.pin + ": " + program.error().message});
    return status;
  }
  auto info = program->info();
  if (info) {
    status.program_id = info->id;
    for (const bpffw::BpffwAttachment& a : attachments_)
      if (a.program_id == info->id) status.attached.push_back(a.where);
    find_stale(info->id, status);
  }
  if (auto metadata = bpffw::read_metadata(*program)) status.audit = metadata->audit;
  if (!has_file) {
    status.divergences.push_back({"files-gone", "the program pinned at " + status.pin + " has no " +
                                                    status.filter_file +
                                                    ": its files are gone (restore it; or, once no service uses "
                                                    "it, rm " +
                                                    status.pin + ")"});
    return status;
  }
  compare_with_files(*program, status);
  return status;
}

void FilterExaminer::compare_with_files(const bpffw::Program& program, FilterStatus& status) {
  const std::string reload = "systemctl reload bpffw@" + status.name;
  auto diverge = [&](std::string kind, std::string message) {
    status.divergences.push_back({std::move(kind), std::move(message)});
  };
  auto running = bpffw::read_metadata(program);
  if (!running) return diverge("not-bpffw", status.pin + ": " + running.error().message);

  // The files compiled as bpffw@NAME compiles them: NAME.conf's options, then -f NAME.filter.
  const std::string conf = config_dir_ + "/" + status.name + ".conf";
  std::vector<std::string> words = conf_options(conf);
  std::reverse(words.begin(), words.end());  // CLI11 takes the arguments last first
  CLI::App app;
  RuntimeOptions runtime;
  runtime.define(app);
  std::optional<std::string> type;
  app.add_option("-t,--type", type);
  std::optional<bpffw::Direction> direction;
  try {
    app.parse(words);
  } catch (const CLI::ParseError& error) {
    return diverge("not-compiling", conf + ": BPFFWC_OPTIONS: " + error.what());
  }
  if (type) {
    auto parsed = bpffw::parse_direction(*type);
    if (!parsed) return diverge("not-compiling", conf + ": " + parsed.error().message);
    direction = *parsed;
  }
  // Errors in the options or the set files are printed as bpffwc would print them.
  if (runtime.prepare(status.pin, true, &program) != kExitSuccess)
    return diverge("not-compiling", "the options in " + conf + " or its set files are refused (the error above): " +
                                        "a reload would fail and keep program " +
                                        std::to_string(status.program_id.value_or(0)));
  auto text = read_text_file(status.filter_file);
  if (!text) return diverge("not-compiling", text.error().message);
  bpffw::ParseOptions parse_options = runtime.parse_options();
  parse_options.direction = direction;
  auto filter = bpffw::Filter::parse(*text, parse_options);
  if (!filter) {
    std::string where = filter.error().span ? ":" + std::to_string(filter.error().span->line) + ":" +
                                                  std::to_string(filter.error().span->column)
                                            : "";
    return diverge("not-compiling", status.filter_file + where + ": " + filter.error().message +
                                        ": a reload would fail and keep the running program");
  }
  auto metadata = compiler_backend().metadata(*filter, runtime.compile_options());
  if (!metadata) {
    status.failure = metadata.error();  // not the files' fault: bpffwc is installed incompletely
    return;
  }
  const bpffw::ProgramMetadata& declared = *metadata;

  if (declared.expression != running->expression)
    diverge("expression", "the program runs another expression than " + status.filter_file +
                              " (edited since it was loaded, or replaced by hand): " + reload);
  if (declared.direction != running->direction)
    diverge("options", std::string("the program is for ") +
                           (running->direction ? bpffw::to_string(*running->direction) : "either direction") + ", " +
                           conf + " says " + (declared.direction ? bpffw::to_string(*declared.direction) : "neither") +
                           ": " + reload);
  if (declared.parameter_names != running->parameter_names)
    diverge("options", "the program's parameters are " + names_text(running->parameter_names) + ", " + conf +
                           " declares " + names_text(declared.parameter_names) + ": " + reload);
  if (declared.sets != running->sets)
    diverge("options", "the program's sets are " + sets_text(running->sets) + ", the files declare " +
                           sets_text(declared.sets) + ": " + reload);
  if (declared.audit != running->audit)
    diverge("options", running->audit ? "the program only audits (--audit: it drops nothing), " + conf +
                                            " asks to enforce the filter: " + reload
                                      : "the program enforces the filter, " + conf + " asks for audit mode: " + reload);
  if (declared.counters != running->counters || declared.log != running->log)
    diverge("options", "the program counts " + std::string(running->counters ? "packets" : "nothing") + " and logs " +
                           log_text(running->log) + ", " + conf + " asks to count " +
                           (declared.counters ? "packets" : "nothing") + " and log " + log_text(declared.log) + ": " +
                           reload);

  // Live changes (bpffwc set) that the next reload undoes.
  if (auto values = bpffw::read_parameters(program)) {
    for (const bpffw::Parameter& want : parse_options.parameters)
      for (const bpffw::Parameter& have : *values)
        if (have.name == want.name && have.value != want.value)
          diverge("parameter", "parameter " + want.name + " is " + std::to_string(have.value) + " in the program, " +
                                   conf + " says " + std::to_string(want.value) + ": " + reload + " resets it");
  }
  if (!parse_options.sets.empty()) {
    auto live = bpffw::read_sets(program);
    if (!live) return diverge("set", "cannot read the program's sets: " + live.error().message);
    for (const bpffw::NamedSet& want : parse_options.sets)
      for (const bpffw::NamedSet& have : *live) {
        if (have.name != want.name) continue;
        std::string difference = set_difference_text(have.items, want.items);
        if (!difference.empty())
          diverge("set", "set " + want.name + " " + difference + (want.file.empty() ? "" : " (" + want.file + ")") +
                             ": " + reload + " resets it");
      }
  }
}

void FilterExaminer::find_stale(std::uint32_t id, FilterStatus& status) {
  const std::vector<std::uint32_t> ours = map_ids_of(id);
  for (const bpffw::BpffwAttachment& a : attachments_) {
    if (a.program_id == id) continue;
    const std::vector<std::uint32_t>& theirs = map_ids_of(a.program_id);
    bool shared = std::any_of(theirs.begin(), theirs.end(), [&](std::uint32_t map) {
      return std::find(ours.begin(), ours.end(), map) != ours.end();
    });
    if (!shared) continue;
    std::string direction = bpffw::to_string(a.where.direction);
    status.divergences.push_back({"stale-attachment", a.where.cgroup + " (" + direction + ") runs program " +
                                                          std::to_string(a.program_id) +
                                                          ", an older program of this filter that " + status.pin +
                                                          " no longer leads to: " + "bpffwc attach " + a.where.cgroup +
                                                          " -t " + direction + " --replace-all " + status.pin});
  }
}

const std::vector<std::uint32_t>& FilterExaminer::map_ids_of(std::uint32_t id) {
  auto found = map_ids_.find(id);
  if (found != map_ids_.end()) return found->second;
  std::vector<std::uint32_t> ids;
  if (auto program = bpffw::Program::open_id(id))
    if (auto info = program->info()) ids = info->map_ids;
  return map_ids_.emplace(id, std::move(ids)).first->second;
}

}  // namespace bpffwc
