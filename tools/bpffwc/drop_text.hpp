// How `bpffwc log` prints a drop record: one line of text or one JSON object, with the packet's
// cgroup resolved to its path and, under systemd, its unit.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <bpffw/drop_log.hpp>

namespace bpffwc {

// A cgroup v2 id (its directory's inode) to its path under the cgroup2 mount and its systemd unit
// (the innermost *.service or *.scope directory). Resolved by walking the hierarchy, cached.
class CgroupNames {
 public:
  struct Name {
    std::string path;  // "/system.slice/sshd.service"; empty when no directory has the id (any more)
    std::string unit;  // "sshd.service"; empty outside systemd's units
    // For the journal: the system's unit (the outermost unit directory, "user@1000.service" for a
    // user's service) and, inside user@UID.service, the user's unit ("app.service").
    std::string system_unit;
    std::string user_unit;
  };
  const Name& lookup(std::uint64_t cgroup_id);

 private:
  std::map<std::uint64_t, Name> names_;
};

// The systemd unit a cgroup path under the cgroup2 mount belongs to: its innermost *.service or
// *.scope directory ("/system.slice/sshd.service/sub" -> "sshd.service"); empty outside units.
std::string innermost_unit(const std::string& path);

// RFC 3339 local time with milliseconds and the UTC offset: "2026-12-05T14:03:07.512+01:00".
std::string rfc3339(std::int64_t realtime_ns);

// 'dst_port == 8080' at 1:30-45: the part of the filter a span covers, and where (columns of its
// first line; a part over several lines, or longer than kShownPart, ends with "..."). bpffwc test
// --why and bpffwc log.
inline constexpr std::size_t kShownPart = 80;
std::string decided_by_text(const bpffw::SourceSpan& span, std::string_view source);
std::string decided_by_part(const bpffw::SourceSpan& span, std::string_view source);   // dst_port == 8080
std::string decided_by_place(const bpffw::SourceSpan& span, std::string_view source);  // 1:30-45
// {"text":"dst_port == 8080","line":1,"column":30,"length":16}, or null.
std::string decided_by_json(const std::optional<bpffw::SourceSpan>& span, std::string_view source);

// The expressions of the programs whose records a reader may see, by bpffw::expression_hash: those
// that wrote to one ring (a pin replaced with --force keeps its ring).
using Expressions = std::map<std::uint32_t, std::string>;

// The record's decider located in its program's expression, if the record has one and the
// expression is among `expressions`.
std::optional<bpffw::SourceSpan> locate_decider(const bpffw::DropRecord& record, const Expressions& expressions,
                                                std::string_view& expression);

// "drop ingress tcp 203.0.113.7:51234 -> 10.0.0.5:22 60 B, filter by 'dst_port == 22' at 1:8-22  unit sshd.service ..."
std::string drop_line(const bpffw::DropRecord& record, const CgroupNames::Name& cgroup, const Expressions& expressions);
// {"time_ns":N,"time":"2026-...","program_id":N,"direction":"ingress",...,"decided_by":{...}}; "old":true
// for a record that was in the ring before the reader started.
std::string drop_json(const bpffw::DropRecord& record, const CgroupNames::Name& cgroup, std::uint32_t program_id,
                      bool old, const Expressions& expressions);

}  // namespace bpffwc
