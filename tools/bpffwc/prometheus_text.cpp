// The Prometheus text exposition format of every bpffw program's counters (docs/bpffwc.md
// "Metrics"). One series set per program, however many cgroups it is attached to: the counters
// are the program's, not the attachment's, so a series per attachment would count each packet
// once per cgroup in a PromQL sum. The cgroups and units are on each series as comma-separated
// labels (one value, the usual case, reads as itself), and bpffw_attachment_info has one series
// per attachment for a query that needs each. `id` is on every series: unpinned programs in one
// cgroup differ in nothing else, and a series set must be unique.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "all_stats.hpp"
#include "drop_text.hpp"

namespace bpffwc {
namespace {

// Label values escape backslash, double quote and newline; HELP text backslash and newline.
std::string escaped(const std::string& text, bool quote) {
  std::string out;
  for (char c : text) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else if (c == '"' && quote) out += "\\\"";
    else out += c;
  }
  return out;
}

using Labels = std::vector<std::pair<std::string, std::string>>;

std::string label_text(const Labels& labels) {
  std::string out;
  for (const auto& [name, value] : labels) out += (out.empty() ? "" : ",") + name + "=\"" + escaped(value, true) + "\"";
  return "{" + out + "}";
}

// The labels that tell a program's series from another's.
Labels program_labels(const ProgramStats& stats) {
  return {{"id", std::to_string(stats.id)},
          {"pin", stats.pin},
          {"unit", stats.unit},
          {"cgroup", stats.cgroup},
          {"direction", stats.direction}};
}

Labels with(Labels labels, const std::string& name, const std::string& value) {
  labels.emplace_back(name, value);
  return labels;
}

// One metric family: HELP and TYPE, then every series of it (a family must not be split).
class Family {
 public:
  Family(std::string& out, const std::string& name, const std::string& type, const std::string& help)
      : out_(out), name_(name) {
    out_ += "# HELP " + name + " " + escaped(help, false) + "\n# TYPE " + name + " " + type + "\n";
  }
  void add(const Labels& labels, std::uint64_t value) {
    out_ += name_ + label_text(labels) + " " + std::to_string(value) + "\n";
  }

 private:
  std::string& out_;
  std::string name_;
};

}  // namespace

std::string prometheus_text(const std::vector<ProgramStats>& stats) {
  std::string out;
  {
    Family info(out, "bpffw_program_info", "gauge",
                "A bpffw program loaded in the kernel (1), with the version of bpffw that compiled it and its mode: "
                "enforce, or audit (--audit: it drops nothing).");
    for (const ProgramStats& s : stats)
      info.add(with(with(program_labels(s), "version", s.version), "mode", s.audit ? "audit" : "enforce"), 1);
  }
  {
    Family attachment(out, "bpffw_attachment_info", "gauge",
                      "A cgroup and direction a bpffw program is attached in (1), one series per attachment.");
    for (const ProgramStats& s : stats)
      for (const bpffw::Attachment& a : s.attached) {
        ProgramStats one = s;
        one.cgroup = a.cgroup;
        one.unit = innermost_unit(a.cgroup);
        one.direction = bpffw::to_string(a.direction);
        attachment.add(program_labels(one), 1);
      }
  }
  {
    Family packets(out, "bpffw_packets_total", "counter",
                   "Packets the program judged, by verdict (would_drop: what audit mode passed and the filter "
                   "would have dropped).");
    for (const ProgramStats& s : stats) {
      if (!s.counters) continue;
      packets.add(with(program_labels(s), "verdict", "passed"), s.counters->passed_packets);
      packets.add(with(program_labels(s), "verdict", "dropped"), s.counters->dropped_packets);
      packets.add(with(program_labels(s), "verdict", "would_drop"), s.counters->would_drop_packets);
    }
  }
  {
    Family bytes(out, "bpffw_bytes_total", "counter",
                 "Bytes of the packets the program judged, from the IP header on, by verdict.");
    for (const ProgramStats& s : stats) {
      if (!s.counters) continue;
      bytes.add(with(program_labels(s), "verdict", "passed"), s.counters->passed_bytes);
      bytes.add(with(program_labels(s), "verdict", "dropped"), s.counters->dropped_bytes);
      bytes.add(with(program_labels(s), "verdict", "would_drop"), s.counters->would_drop_bytes);
    }
  }
  {
    Family log(
        out, "bpffw_drop_log_total", "counter",
        "Drops the drop log met (--log), by outcome: logged, suppressed by the rate limit, lost to a full ring.");
    for (const ProgramStats& s : stats) {
      if (!s.log) continue;
      log.add(with(program_labels(s), "outcome", "logged"), s.log->logged);
      log.add(with(program_labels(s), "outcome", "suppressed"), s.log->suppressed);
      log.add(with(program_labels(s), "outcome", "lost"), s.log->lost);
    }
  }
  {
    Family refusals(out, "bpffw_socket_refusals_total", "counter",
                    "Calls the program's socket programs refused with EPERM, by hook.");
    for (const ProgramStats& s : stats)
      for (const auto& [hook, refused] : s.refusals) refusals.add(with(program_labels(s), "hook", hook), refused);
  }
  {
    Family would(out, "bpffw_socket_would_refusals_total", "counter",
                 "Calls the socket programs of an audit program (--audit) let go ahead and would have refused, by "
                 "hook.");
    for (const ProgramStats& s : stats)
      for (const auto& [hook, count] : s.would_refusals) would.add(with(program_labels(s), "hook", hook), count);
  }
  {
    Family sets(out, "bpffw_set_entries", "gauge", "Entries in the maps of the program's named set.");
    for (const ProgramStats& s : stats)
      for (const auto& [name, entries] : s.sets) sets.add(with(program_labels(s), "set", name), entries);
  }
  return out;
}

}  // namespace bpffwc
