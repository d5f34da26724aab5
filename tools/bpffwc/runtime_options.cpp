#include "runtime_options.hpp"

#include <cerrno>
#include <charconv>
#include <optional>
#include <string_view>

#include <bpffw/runtime.hpp>

#include "diagnostics.hpp"

namespace bpffwc {

CLI::Option* add_param_option(CLI::App& app, std::vector<std::string>& given, const std::string& description) {
  return app.add_option("--param", given, description)->type_name("NAME[=VALUE]")->allow_extra_args(false);
}

int resolve_parameters(const std::vector<std::string>& given, const bpffw::Program* old_program,
                       std::vector<bpffw::Parameter>& parameters) {
  std::optional<std::vector<bpffw::Parameter>> old_values;  // read once, only if needed
  for (const std::string& text : given) {
    if (text.find('=') != std::string::npos) {
      auto parameter = bpffw::parse_parameter_assignment(text);
      if (!parameter) return report(parameter.error());
      parameters.push_back(std::move(*parameter));
      continue;
    }
    // NAME alone: its value in the program being replaced.
    const std::string keep_hint = "give a value: --param " + text + "=VALUE";
    if (old_program == nullptr)
      return report_usage(
          "parameter '" + text + "' has no value and there is no program being replaced to keep it from", keep_hint);
    if (!old_values) {
      auto read = bpffw::read_parameters(*old_program);
      old_values = read ? std::move(*read) : std::vector<bpffw::Parameter>();
    }
    bool found = false;
    for (const bpffw::Parameter& old : *old_values) {
      if (old.name != text) continue;
      parameters.push_back(old);
      found = true;
    }
    if (!found)
      return report_usage("parameter '" + text + "' has no value: the program being replaced has no such parameter",
                          keep_hint);
  }
  return kExitSuccess;
}

void RuntimeOptions::define(CLI::App& app) {
  add_param_option(app, parameters_,
                   "declare runtime parameter NAME, usable in EXPRESSION like a variable, with its initial VALUE; "
                   "change it later with 'bpffwc set PIN NAME=VALUE'. Plain NAME keeps the current value of the "
                   "program replaced with --force/--replace. Repeatable");
  add_set_options(app, sets_);
  app.add_option("--set-capacity", set_capacity_,
                 "the most entries the program's map of integer sets, and each of its IPv4 and IPv6 prefix maps, "
                 "holds (default 131072 integers, 2097152 prefixes); a range takes one entry per integer")
      ->type_name("N");
  app.add_flag("--no-counters", no_counters_,
               "do not count passed and dropped packets (saves a map lookup per packet)");
  app.add_flag("--log", log_,
               "record each dropped packet in the program's drop log, for 'bpffwc log' (only dropped packets pay "
               "for it); limited to 100 records a second, bursts of 100, unless --log-limit says otherwise");
  app.add_option("--log-limit", log_limit_text_, "the drop log's limit (implies --log), e.g. rate=10/s,burst=20")
      ->type_name("rate=N/s,burst=M");
  app.add_flag("--audit", audit_,
               "audit mode: pass every packet, and count (and with --log, log) the packets the filter would drop; "
               "its socket programs refuse nothing. Replacing it without --audit enforces the filter, keeping "
               "the counters");
}

// "rate=N/s,burst=M", either part optional, in any order; N and M from 1 to 1000000.
static std::optional<bpffw::LogLimit> parse_log_limit(const std::string& text) {
  bpffw::LogLimit limit;
  std::string_view rest = text;
  while (!rest.empty()) {
    std::size_t comma = rest.find(',');
    std::string_view item = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    std::uint32_t* target = nullptr;
    if (item.starts_with("rate=")) {
      item.remove_prefix(5);
      if (item.ends_with("/s")) item.remove_suffix(2);
      target = &limit.rate_per_second;
    } else if (item.starts_with("burst=")) {
      item.remove_prefix(6);
      target = &limit.burst;
    } else {
      return std::nullopt;
    }
    auto [end, error] = std::from_chars(item.data(), item.data() + item.size(), *target);
    if (error != std::errc() || end != item.data() + item.size() || *target == 0 || *target > 1'000'000)
      return std::nullopt;
  }
  return limit;
}

int RuntimeOptions::prepare(const std::optional<std::string>& pin_path, bool force, const bpffw::Program* replaced) {
  old_program_ = replaced;
  if (old_program_ == nullptr && pin_path && force) {
    auto old = bpffw::Program::open_pinned(*pin_path);
    // No pin yet is fine (--force then simply pins); anything else is reported by pin() later.
    if (old) {
      opened_old_.emplace(std::move(*old));
      old_program_ = &*opened_old_;
    }
  }
  if (!log_limit_text_.empty()) {
    log_limit_ = parse_log_limit(log_limit_text_);
    if (!log_limit_)
      return report_usage("--log-limit '" + log_limit_text_ + "' is not rate=N/s,burst=M",
                          "N records a second, bursts of M, each from 1 to 1000000: --log-limit rate=10/s,burst=20");
  } else if (log_) {
    log_limit_ = bpffw::LogLimit{};
  } else if (old_program_ != nullptr) {
    // Replacing a logging program keeps its log, as it keeps its counters.
    if (auto metadata = bpffw::read_metadata(*old_program_)) log_limit_ = metadata->log;
  }
  // Audit mode is not kept: the command line says whether the filter is enforced. A change of mode
  // is said, so that nobody enforces a filter (or stops enforcing one) without noticing.
  if (old_program_ != nullptr)
    if (auto metadata = bpffw::read_metadata(*old_program_); metadata && metadata->audit != audit_)
      report_note(audit_ ? "the program being replaced enforces its filter; the new one only audits (--audit): it "
                           "drops nothing"
                         : "the program being replaced was in audit mode; the new one enforces its filter (it "
                           "drops what it counted as would-drop)");
  if (int resolved = resolve_parameters(parameters_, old_program_, parse_options_.parameters); resolved != kExitSuccess)
    return resolved;
  return resolve_sets(sets_, old_program_, parse_options_.sets);
}

bpffw::CompileOptions RuntimeOptions::compile_options() const {
  bpffw::CompileOptions options;
  options.counters = !no_counters_;
  options.audit = audit_;
  options.log = log_limit_;
  options.set_capacity = set_capacity_;
  return options;
}

bpffw::LoadOptions RuntimeOptions::load_options() const {
  bpffw::LoadOptions options;
  options.keep_counters_of = old_program_;
  return options;
}

}  // namespace bpffwc
