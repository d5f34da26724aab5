// How stats, set, show PIN and watch print counters and parameters (one place, one format).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include <bpffw/cgroup.hpp>
#include <bpffw/program.hpp>
#include <bpffw/runtime.hpp>

namespace bpffwc {

// "passed 10 packets (1200 bytes), dropped 2 packets (80 bytes)", and for an `audit` program (or
// one that was) ", would have dropped 3 packets (120 bytes)"
std::string counters_text(const bpffw::Counters& counters, bool audit);

// {"passed_packets":10,"dropped_packets":2,"passed_bytes":1200,"dropped_bytes":80,
//  "would_drop_packets":0,"would_drop_bytes":0}
std::string counters_json(const bpffw::Counters& counters);

// "attached to /sys/fs/cgroup/web.service (ingress), ...", or "attached nowhere".
std::string attachments_text(const std::vector<bpffw::Attachment>& attached);

// How show, stats and status say that a program is in audit mode (CompileOptions::audit).
std::string audit_text();

// "mtu=1500 limit=-1", or "none"
std::string parameters_text(const std::vector<bpffw::Parameter>& parameters);

// "ports (3 integers), blocklist (2 prefixes)": named sets with their sizes in map entries.
std::string sets_text(const std::vector<bpffw::NamedSet>& sets);
// {"ports":3,"blocklist":2}
std::string sets_json(const std::vector<bpffw::NamedSet>& sets);
// {"mtu":1500,"limit":-1}, in declaration order; {} for none
std::string parameters_json(const std::vector<bpffw::Parameter>& parameters);

// A JSON string literal.
std::string json_string(const std::string& text);

// True when `argument` is a path on bpffs, so that `show` tells pins from cgroups: an absolute path
// whose nearest existing directory is on bpffs (a pin, whether it exists or not), or an existing
// relative path on bpffs (a relative path that does not exist is a cgroup under the cgroup2 mount).
bool is_bpffs_path(const std::string& argument);

// The program a runtime command (stats, set, watch, show) names: "id:N" opens the loaded program
// with id N (Program::open_id); with `direction` (-t) the argument is a cgroup, and the one bpffw
// program attached there in that direction (ErrorKind::Usage listing them when there are several,
// or none); anything else is a pin (Program::open_pinned).
bpffw::Result<bpffw::Program> open_program(const std::string& argument,
                                           const std::optional<std::string>& direction = std::nullopt);

// The -t option of stats, set and watch: PIN then names a cgroup (open_program).
void add_cgroup_direction_option(CLI::App& app, std::optional<std::string>& direction);

// bpffwc show PIN [--json]: the program's self-description. Returns the exit code.
int show_pin(const std::string& pin, bool json);

// Everything `show` says about one loaded bpffw program, read once, printed as text or JSON.
struct ProgramReport {
  bpffw::ProgramInfo info;
  bpffw::ProgramMetadata metadata;
  std::vector<bpffw::Parameter> parameters;
  std::vector<bpffw::NamedSet> sets;        // docs/filter-language.md §9, with their contents
  std::optional<bpffw::Counters> counters;  // empty: compiled with --no-counters
  std::optional<bpffw::LogCounters> log;    // empty: compiled without --log
  std::uint64_t rule_entries = 0;           // docs/filter-language.md §7.4
};
bpffw::Result<ProgramReport> describe_program(const bpffw::Program& program);

// "812 instructions checked (its limit: 1000000)": what the kernel's verifier did
// with the program (ProgramInfo::verified_instructions), or that the kernel does not say.
std::string verifier_text(std::optional<std::uint32_t> verified_instructions);

// The lines of `show PIN` after the first, each starting with `indent`: program, expression,
// direction, parameters, counters.
std::string program_report_text(const ProgramReport& report, const std::string& indent = "");

// docs/bpffwc.md "JSON output": {"id":41,"name":"bpffw_filter","bpffw_version":"0.1.0",
// "expression":"...","direction":"ingress"|null,"parameters":{...},"counters":{...}|null}
std::string program_report_json(const ProgramReport& report);

// program_report_text of the program, for callers that only print.
bpffw::Result<std::string> program_description(const bpffw::Program& program, const std::string& indent = "");

// "program 17036: tcp && dst_port == 443" for a loaded program, by id; "program 17036 (...)" with
// the reason when its metadata cannot be read.
std::string program_line(std::uint32_t id);

}  // namespace bpffwc
