#include "drop_text.hpp"

#include <sys/stat.h>
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <string_view>
#include <system_error>
#include <vector>

#include <bpffw/cgroup.hpp>

#include "runtime_text.hpp"

namespace bpffwc {
namespace {

// The cgroup2 mount: /sys/fs/cgroup, or /sys/fs/cgroup/unified on a hybrid host.
const std::string& cgroup_root() {
  static const std::string root = [] {
    auto mount = bpffw::find_cgroup2_mount();
    return mount ? *mount : std::string("/sys/fs/cgroup");
  }();
  return root;
}

bool is_unit(std::string_view directory) { return directory.ends_with(".service") || directory.ends_with(".scope"); }

// The path's unit directories, outermost first: {"user@1000.service", "app.service"}.
std::vector<std::string> units_of(const std::string& path) {
  std::vector<std::string> units;
  std::string_view rest = path;
  while (!rest.empty()) {
    std::size_t slash = rest.find('/');
    std::string_view directory = rest.substr(0, slash);
    if (is_unit(directory)) units.emplace_back(directory);
    if (slash == std::string_view::npos) break;
    rest.remove_prefix(slash + 1);
  }
  return units;
}

void name_units(CgroupNames::Name& name) {
  std::vector<std::string> units = units_of(name.path);
  if (units.empty()) return;
  name.unit = units.back();
  name.system_unit = units.front();
  if (units.size() > 1 && units.front().starts_with("user@")) name.user_unit = units.back();
}

// "1.2.3.4:80", "[fd00::1]:80", or the address alone.
std::string endpoint(const bpffw::DropRecord& record, const std::string& address,
                     const std::optional<std::uint16_t>& port) {
  if (!port) return address;
  return (record.family == 6 ? "[" + address + "]" : address) + ":" + std::to_string(*port);
}

}  // namespace

std::string innermost_unit(const std::string& path) {
  std::vector<std::string> units = units_of(path);
  return units.empty() ? std::string() : units.back();
}

std::string rfc3339(std::int64_t realtime_ns) {
  const std::int64_t milliseconds = realtime_ns / 1'000'000;
  const time_t seconds = static_cast<time_t>(milliseconds / 1000);
  tm local{};
  ::localtime_r(&seconds, &local);
  char date[32] = "", offset[8] = "";
  std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &local);
  std::strftime(offset, sizeof offset, "%z", &local);  // "+0100": RFC 3339 wants "+01:00"
  const std::string zone = std::string(offset, 3) + ":" + std::string(offset + 3, 2);
  char fraction[8] = "";
  std::snprintf(fraction, sizeof fraction, ".%03d", static_cast<int>(milliseconds % 1000));
  return date + std::string(fraction) + zone;
}

const CgroupNames::Name& CgroupNames::lookup(std::uint64_t cgroup_id) {
  if (auto found = names_.find(cgroup_id); found != names_.end() && !found->second.path.empty()) return found->second;
  Name name;
  std::error_code error;
  // The id of the root itself, then every directory below.
  struct stat status{};
  const std::string& root = cgroup_root();
  if (::stat(root.c_str(), &status) == 0 && status.st_ino == cgroup_id) name.path = "/";
  for (auto it = std::filesystem::recursive_directory_iterator(
           root, std::filesystem::directory_options::skip_permission_denied, error);
       name.path.empty() && !error && it != std::filesystem::recursive_directory_iterator(); it.increment(error)) {
    if (!it->is_directory(error)) continue;
    if (::stat(it->path().c_str(), &status) == 0 && status.st_ino == cgroup_id)
      name.path = it->path().string().substr(root.size());
  }
  name_units(name);
  return names_[cgroup_id] = name;
}

std::string decided_by_part(const bpffw::SourceSpan& span, std::string_view source) {
  std::string_view part = source.substr(std::min(span.offset, source.size()), span.length);
  std::size_t newline = part.find('\n');
  std::string_view line = part.substr(0, newline);
  if (line.size() > kShownPart) return std::string(line.substr(0, kShownPart - 3)) + "...";
  return std::string(line) + (newline == std::string_view::npos ? "" : "...");
}

std::string decided_by_place(const bpffw::SourceSpan& span, std::string_view source) {
  std::string_view part = source.substr(std::min(span.offset, source.size()), span.length);
  std::size_t newline = part.find('\n');
  std::size_t end_column = span.column + (newline == std::string_view::npos ? part.size() : newline) - 1;
  return std::to_string(span.line) + ":" + std::to_string(span.column) + "-" + std::to_string(end_column);
}

std::string decided_by_text(const bpffw::SourceSpan& span, std::string_view source) {
  return "'" + decided_by_part(span, source) + "' at " + decided_by_place(span, source);
}

std::string decided_by_json(const std::optional<bpffw::SourceSpan>& span, std::string_view source) {
  if (!span) return "null";
  std::string_view part = source.substr(std::min(span->offset, source.size()), span->length);
  return "{\"text\":" + json_string(std::string(part)) + ",\"line\":" + std::to_string(span->line) +
         ",\"column\":" + std::to_string(span->column) + ",\"length\":" + std::to_string(span->length) + "}";
}

std::optional<bpffw::SourceSpan> locate_decider(const bpffw::DropRecord& record, const Expressions& expressions,
                                                std::string_view& expression) {
  auto found = expressions.find(record.expression_hash);
  if (!record.decided_by || found == expressions.end()) return std::nullopt;
  expression = found->second;
  return bpffw::locate_decider(record, expression);
}

std::string drop_line(const bpffw::DropRecord& record, const CgroupNames::Name& cgroup,
                      const Expressions& expressions) {
  std::string line = std::string("drop ") + bpffw::to_string(record.direction) + " ";
  if (record.hook) {
    // "refuse connect4 tcp -> 192.0.2.1:443, by ...": the flow's source is the socket's, when bound.
    line = std::string("refuse ") + bpffw::to_string(*record.hook) + " " + bpffw::protocol_name(record.protocol) + " " +
           (record.source.empty() ? "" : endpoint(record, record.source, record.source_port) + " ") + "-> " +
           endpoint(record, record.destination, record.destination_port) + ",";
  } else if (record.family == 0) {
    line += "not-ip";
  } else {
    line += bpffw::protocol_name(record.protocol);
    if (!record.source.empty())
      line += " " + endpoint(record, record.source, record.source_port) + " -> " +
              endpoint(record, record.destination, record.destination_port);
    if (record.icmp_type)
      line += " type " + std::to_string(*record.icmp_type) + " code " + std::to_string(*record.icmp_code);
  }
  if (!record.hook) line += " " + std::to_string(record.length) + " B, " + bpffw::to_string(record.reason);
  if (record.rule) line += std::string(" (") + bpffw::to_string(*record.rule) + ")";
  std::string_view expression;
  if (auto span = locate_decider(record, expressions, expression)) {
    line += " by " + decided_by_text(*span, expression);
  } else if (record.decided_by) {  // a program gone before this reader could read its expression
    line += " by bytes " + std::to_string(record.decided_by->offset) + "+" + std::to_string(record.decided_by->length) +
            " of an expression not known here";
  }
  if (record.hook) line += "  pid " + std::to_string(record.pid) + " comm " + record.command;
  // An audit program's: the packet passed, the call went ahead.
  if (record.audit) line = "would " + line;
  if (!cgroup.unit.empty()) {
    line += "  unit " + cgroup.unit;
  } else if (!cgroup.path.empty()) {
    line += "  cgroup " + cgroup.path;
  } else {
    line += "  cgroup id " + std::to_string(record.cgroup_id);
  }
  return line + "  uid " + std::to_string(record.uid);
}

std::string drop_json(const bpffw::DropRecord& record, const CgroupNames::Name& cgroup, std::uint32_t program_id,
                      bool old, const Expressions& expressions) {
  std::string json =
      "{\"time_ns\":" + std::to_string(record.time_ns) + ",\"time\":" + json_string(rfc3339(record.realtime_ns)) +
      (old ? ",\"old\":true" : "") + ",\"program_id\":" + std::to_string(program_id) +
      ",\"direction\":" + json_string(bpffw::to_string(record.direction)) +
      ",\"reason\":" + json_string(bpffw::to_string(record.reason)) + (record.audit ? ",\"audit\":true" : "") +
      (record.rule ? ",\"rule\":" + json_string(bpffw::to_string(*record.rule)) : std::string()) +
      ",\"family\":" + std::to_string(record.family) +
      ",\"protocol\":" + json_string(bpffw::protocol_name(record.protocol));
  if (!record.source.empty()) json += ",\"src_addr\":" + json_string(record.source);
  if (!record.destination.empty()) json += ",\"dst_addr\":" + json_string(record.destination);
  if (record.source_port)
    json += ",\"src_port\":" + std::to_string(*record.source_port) +
            ",\"dst_port\":" + std::to_string(*record.destination_port);
  if (record.icmp_type)
    json +=
        ",\"icmp_type\":" + std::to_string(*record.icmp_type) + ",\"icmp_code\":" + std::to_string(*record.icmp_code);
  if (record.hook)
    json += ",\"hook\":" + json_string(bpffw::to_string(*record.hook)) + ",\"pid\":" + std::to_string(record.pid) +
            ",\"command\":" + json_string(record.command);
  json += ",\"length\":" + std::to_string(record.length) + ",\"cgroup_id\":" + std::to_string(record.cgroup_id);
  if (!cgroup.path.empty()) json += ",\"cgroup\":" + json_string(cgroup.path);
  if (!cgroup.unit.empty()) json += ",\"unit\":" + json_string(cgroup.unit);
  json += ",\"uid\":" + std::to_string(record.uid);
  std::string_view expression;
  if (auto span = locate_decider(record, expressions, expression)) {
    json += ",\"decided_by\":" + decided_by_json(span, expression);
  } else if (record.decided_by) {
    json += ",\"decided_by\":{\"offset\":" + std::to_string(record.decided_by->offset) +
            ",\"length\":" + std::to_string(record.decided_by->length) + "}";
  }
  return json + "}";
}

}  // namespace bpffwc
