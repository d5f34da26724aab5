#include "all_stats.hpp"

#include <algorithm>

#include <bpffw/cgroup.hpp>

#include "drop_text.hpp"
#include "runtime_text.hpp"

namespace bpffwc {
namespace {

// The items joined with commas, each once, in the order first met.
std::string joined(const std::vector<std::string>& items) {
  std::vector<std::string> seen;
  std::string out;
  for (const std::string& item : items) {
    if (item.empty() || std::find(seen.begin(), seen.end(), item) != seen.end()) continue;
    seen.push_back(item);
    out += (out.empty() ? "" : ",") + item;
  }
  return out;
}

// A cgroup's path under the cgroup2 mount, as `bpffwc log` prints it: "/system.slice/web.service".
std::string under_mount(const std::string& path, const std::string& mount) {
  if (mount.empty() || !path.starts_with(mount)) return path;
  std::string rest = path.substr(mount.size());
  return rest.empty() ? "/" : rest;
}

// Adds `count` to the hook's total: two groups of socket programs loaded beside one packet program
// (pinned beside it, and attached with --attach) refuse on its behalf.
void add_to(std::vector<std::pair<std::string, std::uint64_t>>& totals, const std::string& hook, std::uint64_t count) {
  auto same = std::find_if(totals.begin(), totals.end(), [&](auto& total) { return total.first == hook; });
  if (same == totals.end()) totals.emplace_back(hook, count);
  else same->second += count;
}

ProgramStats read_stats(const CensusProgram& program, const std::string& mount) {
  ProgramStats stats;
  stats.id = program.id;
  stats.pin = joined(program.pins);
  std::vector<std::string> cgroups, units, directions;
  for (const bpffw::Attachment& attachment : program.attached) {
    const std::string cgroup = under_mount(attachment.cgroup, mount);
    stats.attached.push_back({cgroup, attachment.direction});
    cgroups.push_back(cgroup);
    units.push_back(innermost_unit(cgroup));
    directions.push_back(bpffw::to_string(attachment.direction));
  }
  stats.cgroup = joined(cgroups);
  stats.unit = joined(units);
  stats.direction = program.metadata.direction ? bpffw::to_string(*program.metadata.direction) : joined(directions);
  stats.version = program.metadata.bpffw_version;
  stats.audit = program.metadata.audit;
  if (program.metadata.counters)
    if (auto counters = bpffw::read_counters(program.program)) stats.counters = *counters;
  if (program.metadata.log)
    if (auto log = bpffw::read_log_counters(program.program)) stats.log = *log;
  for (const bpffw::SocketProgram& socket : program.sockets) {
    auto refused = bpffw::read_refusals(socket);
    if (!refused) continue;  // compiled with --no-counters
    const std::string hook = bpffw::to_string(socket.hook);
    add_to(stats.refusals, hook, *refused);
    add_to(stats.would_refusals, hook, bpffw::read_would_refusals(socket).value_or(0));
  }
  // Counted a batch at a time: a set of a million addresses is never held whole.
  for (const bpffw::ProgramMetadata::SetName& set : program.metadata.sets) {
    std::uint64_t entries = 0;
    auto visited = bpffw::visit_set(program.program, set.name, [&](const bpffw::SetItems& batch) {
      entries += batch.entry_count();
      return true;
    });
    if (visited) stats.sets.emplace_back(set.name, entries);
  }
  return stats;
}

std::string pairs_json(const std::vector<std::pair<std::string, std::uint64_t>>& pairs) {
  std::string json;
  for (const auto& [name, value] : pairs)
    json += (json.empty() ? "" : ",") + json_string(name) + ":" + std::to_string(value);
  return "{" + json + "}";
}

}  // namespace

std::vector<ProgramStats> read_all_stats(const std::vector<CensusProgram>& programs) {
  auto mount = bpffw::find_cgroup2_mount();
  std::vector<ProgramStats> all;
  for (const CensusProgram& program : programs) all.push_back(read_stats(program, mount ? *mount : std::string()));
  return all;
}

std::string all_stats_text(const std::vector<ProgramStats>& stats) {
  if (stats.empty()) return "no bpffw program is loaded\n";
  std::string out;
  for (const ProgramStats& s : stats) {
    out += "program " + std::to_string(s.id) + " " + (s.direction.empty() ? "" : s.direction + " ") +
           (s.pin.empty() ? "not pinned" : "pinned at " + s.pin) + ", " + attachments_text(s.attached) + "\n";
    if (s.audit) out += "  mode " + audit_text() + "\n";
    out +=
        "  " + (s.counters ? counters_text(*s.counters, s.audit) : "no counters (compiled with --no-counters)") + "\n";
    if (s.log)
      out += "  drop log: logged " + std::to_string(s.log->logged) + ", suppressed " +
             std::to_string(s.log->suppressed) + ", lost " + std::to_string(s.log->lost) + "\n";
    if (!s.refusals.empty()) {
      out += "  refused";
      for (const auto& [hook, refused] : s.refusals) out += " " + hook + " " + std::to_string(refused);
      out += "\n";
    }
    if (s.audit) {
      out += "  would refuse";
      for (const auto& [hook, would] : s.would_refusals) out += " " + hook + " " + std::to_string(would);
      out += "\n";
    }
    if (!s.sets.empty()) {
      out += "  sets";
      for (const auto& [name, entries] : s.sets) out += " " + name + " " + std::to_string(entries);
      out += "\n";
    }
  }
  return out;
}

std::string all_stats_json(const std::vector<ProgramStats>& stats) {
  std::string out = "{\"programs\":[";
  for (std::size_t i = 0; i < stats.size(); ++i) {
    const ProgramStats& s = stats[i];
    out += std::string(i == 0 ? "" : ",") + "{\"id\":" + std::to_string(s.id) + ",\"pin\":" + json_string(s.pin) +
           ",\"direction\":" + json_string(s.direction) + ",\"audit\":" + (s.audit ? "true" : "false") +
           ",\"attached\":[";
    for (std::size_t j = 0; j < s.attached.size(); ++j)
      out += std::string(j == 0 ? "" : ",") + "{\"cgroup\":" + json_string(s.attached[j].cgroup) +
             ",\"unit\":" + json_string(innermost_unit(s.attached[j].cgroup)) + ",\"direction\":\"" +
             bpffw::to_string(s.attached[j].direction) + "\"}";
    out += "],\"counters\":" + (s.counters ? counters_json(*s.counters) : std::string("null"));
    if (s.log)
      out += ",\"logged\":" + std::to_string(s.log->logged) + ",\"suppressed\":" + std::to_string(s.log->suppressed) +
             ",\"lost\":" + std::to_string(s.log->lost);
    if (!s.refusals.empty())
      out += ",\"refusals\":" + pairs_json(s.refusals) + ",\"would_refuse\":" + pairs_json(s.would_refusals);
    if (!s.sets.empty()) out += ",\"sets\":" + pairs_json(s.sets);
    out += "}";
  }
  return out + "]}\n";
}

}  // namespace bpffwc
