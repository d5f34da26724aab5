#include "runtime_text.hpp"

#include <cstdio>

#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include <bpffw/cgroup.hpp>

#include "diagnostics.hpp"

namespace bpffwc {

std::string counters_text(const bpffw::Counters& c, bool audit) {
  std::string text = "passed " + std::to_string(c.passed_packets) + " packets (" + std::to_string(c.passed_bytes) +
                     " bytes), dropped " + std::to_string(c.dropped_packets) + " packets (" +
                     std::to_string(c.dropped_bytes) + " bytes)";
  // An enforcing program that never audited says what it always said.
  if (audit || c.would_drop_packets != 0)
    text += ", would have dropped " + std::to_string(c.would_drop_packets) + " packets (" +
            std::to_string(c.would_drop_bytes) + " bytes)";
  return text;
}

std::string counters_json(const bpffw::Counters& c) {
  return "{\"passed_packets\":" + std::to_string(c.passed_packets) +
         ",\"dropped_packets\":" + std::to_string(c.dropped_packets) +
         ",\"passed_bytes\":" + std::to_string(c.passed_bytes) +
         ",\"dropped_bytes\":" + std::to_string(c.dropped_bytes) +
         ",\"would_drop_packets\":" + std::to_string(c.would_drop_packets) +
         ",\"would_drop_bytes\":" + std::to_string(c.would_drop_bytes) + "}";
}

std::string attachments_text(const std::vector<bpffw::Attachment>& attached) {
  if (attached.empty()) return "attached nowhere";
  std::string text = "attached to ";
  for (std::size_t i = 0; i < attached.size(); ++i)
    text += (i == 0 ? "" : ", ") + attached[i].cgroup + " (" + bpffw::to_string(attached[i].direction) + ")";
  return text;
}

std::string audit_text() {
  return "audit: passes every packet, counts and logs what the filter would drop (without --audit, -o PIN --force "
         "enforces it)";
}

std::string parameters_text(const std::vector<bpffw::Parameter>& parameters) {
  if (parameters.empty()) return "none";
  std::string text;
  for (const bpffw::Parameter& p : parameters)
    text += (text.empty() ? "" : " ") + p.name + "=" + std::to_string(p.value);
  return text;
}

std::string sets_text(const std::vector<bpffw::NamedSet>& sets) {
  std::string text;
  for (const bpffw::NamedSet& set : sets)
    text += (text.empty() ? "" : ", ") + set.name + " (" + std::to_string(set.items.entry_count()) +
            (set.items.element == bpffw::SetElement::Address ? " prefixes)" : " integers)");
  return text;
}

std::string sets_json(const std::vector<bpffw::NamedSet>& sets) {
  std::string out;
  for (const bpffw::NamedSet& set : sets)
    out += (out.empty() ? "" : ",") + json_string(set.name) + ":" + std::to_string(set.items.entry_count());
  return "{" + out + "}";
}

std::string parameters_json(const std::vector<bpffw::Parameter>& parameters) {
  std::string json;
  for (const bpffw::Parameter& p : parameters)
    json += (json.empty() ? "" : ",") + json_string(p.name) + ":" + std::to_string(p.value);
  return "{" + json + "}";
}

std::string json_string(const std::string& text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
      out += escaped;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

bool is_bpffs_path(const std::string& argument) {
  auto on_bpffs = [](const std::string& path) {
    struct statfs fs{};
    return ::statfs(path.c_str(), &fs) == 0 && static_cast<unsigned long>(fs.f_type) == BPF_FS_MAGIC;
  };
  struct stat st{};
  if (::stat(argument.c_str(), &st) == 0) return on_bpffs(argument);
  if (argument.empty() || argument[0] != '/') return false;
  // Missing: the nearest existing ancestor says which file system the path would be on.
  std::string ancestor = argument;
  while (ancestor.size() > 1) {
    std::size_t slash = ancestor.find_last_of('/', ancestor.size() - 2);
    ancestor = slash == 0 ? "/" : ancestor.substr(0, slash);
    if (::stat(ancestor.c_str(), &st) == 0) return on_bpffs(ancestor);
  }
  return false;
}

bpffw::Result<ProgramReport> describe_program(const bpffw::Program& program) {
  ProgramReport report;
  auto info = program.info();
  if (!info) return tl::unexpected(info.error());
  report.info = std::move(*info);
  auto metadata = bpffw::read_metadata(program);
  if (!metadata) return tl::unexpected(metadata.error());
  report.metadata = std::move(*metadata);
  auto parameters = bpffw::read_parameters(program);
  if (!parameters) return tl::unexpected(parameters.error());
  if (!report.metadata.sets.empty()) {
    auto sets = bpffw::read_sets(program);
    if (!sets) return tl::unexpected(sets.error());
    report.sets = std::move(*sets);
  }
  report.parameters = std::move(*parameters);
  auto rule_entries = bpffw::read_rule_entries(program);
  if (!rule_entries) return tl::unexpected(rule_entries.error());
  report.rule_entries = *rule_entries;
  if (report.metadata.counters) {
    auto counters = bpffw::read_counters(program);
    if (!counters) return tl::unexpected(counters.error());
    report.counters = *counters;
  }
  // Only for a logging program.
  if (report.metadata.log) {
    auto log = bpffw::read_log_counters(program);
    if (!log) return tl::unexpected(log.error());
    report.log = *log;
  }
  return report;
}

std::string verifier_text(std::optional<std::uint32_t> verified_instructions) {
  if (!verified_instructions) return "the kernel does not say how many instructions it checked (5.16 and later do)";
  return std::to_string(*verified_instructions) +
         " instructions checked (its limit: " + std::to_string(bpffw::kVerifierInstructionLimit) + ")";
}

std::string program_report_text(const ProgramReport& report, const std::string& indent) {
  const bpffw::ProgramMetadata& metadata = report.metadata;
  std::string out;
  out += indent + "program     " + std::to_string(report.info.id) + " " + report.info.name + ", compiled by bpffw " +
         metadata.bpffw_version + "\n";
  out += indent + "expression  " + metadata.expression + "\n";
  out += indent + "verifier    " + verifier_text(report.info.verified_instructions) + "\n";
  if (metadata.audit) out += indent + "mode        " + audit_text() + "\n";
  out += indent + "direction   " +
         (metadata.direction ? bpffw::to_string(*metadata.direction) : "either (compiled without -t)") + "\n";
  out += indent + "parameters  " + parameters_text(report.parameters) + "\n";
  if (!report.sets.empty()) out += indent + "sets        " + sets_text(report.sets) + "\n";
  if (report.rule_entries != 0)
    out += indent + "rule lists  " + std::to_string(report.rule_entries) +
           " entries, looked up per packet (docs/filter-language.md §7.4)\n";
  out += indent + "counters    " +
         (report.counters ? counters_text(*report.counters, metadata.audit) : "none (compiled with --no-counters)") +
         "\n";
  // Only for a logging program: the description of the others stays as it was.
  if (metadata.log && report.log)
    out += indent + "drop log    rate=" + std::to_string(metadata.log->rate_per_second) +
           "/s,burst=" + std::to_string(metadata.log->burst) + ": logged " + std::to_string(report.log->logged) +
           ", suppressed " + std::to_string(report.log->suppressed) + ", lost " + std::to_string(report.log->lost) +
           " (bpffwc log PIN)\n";
  return out;
}

// ,"log":{"rate":100,"burst":100,"logged":N,"suppressed":N,"lost":N} for a logging program, else nothing.
static std::string log_json(const ProgramReport& report) {
  if (!report.metadata.log || !report.log) return "";
  return ",\"log\":{\"rate\":" + std::to_string(report.metadata.log->rate_per_second) +
         ",\"burst\":" + std::to_string(report.metadata.log->burst) +
         ",\"logged\":" + std::to_string(report.log->logged) +
         ",\"suppressed\":" + std::to_string(report.log->suppressed) + ",\"lost\":" + std::to_string(report.log->lost) +
         "}";
}

std::string program_report_json(const ProgramReport& report) {
  const bpffw::ProgramMetadata& metadata = report.metadata;
  return "{\"id\":" + std::to_string(report.info.id) + ",\"name\":" + json_string(report.info.name) +
         ",\"bpffw_version\":" + json_string(metadata.bpffw_version) + ",\"verified_instructions\":" +
         (report.info.verified_instructions ? std::to_string(*report.info.verified_instructions) : "null") +
         ",\"expression\":" + json_string(metadata.expression) +
         ",\"direction\":" + (metadata.direction ? json_string(bpffw::to_string(*metadata.direction)) : "null") +
         ",\"audit\":" + (metadata.audit ? "true" : "false") + ",\"parameters\":" + parameters_json(report.parameters) +
         (report.sets.empty() ? "" : ",\"sets\":" + sets_json(report.sets)) +
         (report.rule_entries == 0 ? "" : ",\"rule_entries\":" + std::to_string(report.rule_entries)) +
         ",\"counters\":" + (report.counters ? counters_json(*report.counters) : "null") + log_json(report) + "}";
}

bpffw::Result<std::string> program_description(const bpffw::Program& program, const std::string& indent) {
  auto report = describe_program(program);
  if (!report) return tl::unexpected(report.error());
  return program_report_text(*report, indent);
}

void add_cgroup_direction_option(CLI::App& app, std::optional<std::string>& direction) {
  app.add_option("-t,--type", direction,
                 "ingress or egress: PIN is then a cgroup, and the program the one bpffw program attached "
                 "there in that direction")
      ->type_name("DIR");
}

namespace {

bpffw::Result<bpffw::Program> open_attached(const std::string& cgroup_argument, const std::string& direction_text) {
  auto direction = bpffw::parse_direction(direction_text);
  if (!direction) return tl::unexpected(direction.error());
  auto cgroup = bpffw::Cgroup::open(cgroup_argument);
  if (!cgroup) return tl::unexpected(cgroup.error());
  auto programs = bpffw::attached_programs(*cgroup, *direction);
  if (!programs) return tl::unexpected(programs.error());
  std::vector<std::uint32_t> ours;
  for (const bpffw::AttachedProgram& program : *programs)
    if (program.is_bpffw) ours.push_back(program.id);
  const std::string where = cgroup->path() + " " + bpffw::to_string(*direction);
  if (ours.empty())
    return bpffw::make_error(bpffw::ErrorKind::Usage, "no bpffw program is attached to " + where, 0,
                             "show what is attached with: bpffwc show " + cgroup->path());
  if (ours.size() > 1) {
    std::string list;
    for (std::uint32_t id : ours) list += "\n  " + program_line(id);
    return bpffw::make_error(bpffw::ErrorKind::Usage,
                             std::to_string(ours.size()) + " bpffw programs are attached to " + where + ":" + list, 0,
                             "name one by its id: id:" + std::to_string(ours.front()));
  }
  return bpffw::Program::open_id(ours.front());
}

}  // namespace

bpffw::Result<bpffw::Program> open_program(const std::string& argument, const std::optional<std::string>& direction) {
  if (direction) return open_attached(argument, *direction);
  if (argument.rfind("id:", 0) != 0) return bpffw::Program::open_pinned(argument);
  const std::string digits = argument.substr(3);
  std::uint32_t id = 0;
  bool valid = !digits.empty() && digits.size() <= 10;
  for (char c : digits) valid = valid && c >= '0' && c <= '9';
  if (valid) {
    unsigned long long value = std::stoull(digits);
    valid = value > 0 && value <= 0xffffffffULL;
    id = static_cast<std::uint32_t>(value);
  }
  if (!valid)
    return bpffw::make_error(bpffw::ErrorKind::Usage, "'" + argument + "' is not a program id", 0,
                             "write id:N with the id bpffwc show CGROUP lists, e.g. id:17036");
  return bpffw::Program::open_id(id);
}

int show_pin(const std::string& pin, bool json) {
  auto program = open_program(pin);
  if (!program) return report(program.error());
  auto described = describe_program(*program);
  if (!described) return report(described.error());
  std::string out = json ? "{\"pin\":" + json_string(pin) + ",\"program\":" + program_report_json(*described) + "}\n"
                         : pin + "\n" + program_report_text(*described);
  std::fwrite(out.data(), 1, out.size(), stdout);
  return kExitSuccess;
}

std::string program_line(std::uint32_t id) {
  std::string line = "program " + std::to_string(id);
  auto program = bpffw::Program::open_id(id);
  if (!program) return line + " (" + program.error().message + ")";
  auto metadata = bpffw::read_metadata(*program);
  if (!metadata) return line + " (" + metadata.error().message + ")";
  return line + ": " + metadata->expression;
}

}  // namespace bpffwc
