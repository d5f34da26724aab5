// bpffwc stats --all: the counters of every bpffw program (program_census.hpp), read once, and
// printed as text, JSON or the Prometheus text exposition format (docs/bpffwc.md "Metrics").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <bpffw/runtime.hpp>

#include "program_census.hpp"

namespace bpffwc {

// What one program's series say, and the labels that tell it from the others.
struct ProgramStats {
  std::uint32_t id = 0;
  std::string pin;        // its pins, comma-separated; empty when not pinned
  std::string unit;       // the systemd units of the cgroups it is attached to, comma-separated
  std::string cgroup;     // those cgroups, under the cgroup2 mount ("/system.slice/web.service"), comma-separated
  std::string direction;  // the one it was compiled for, else those it is attached in, comma-separated
  std::string version;    // of the bpffw that compiled it
  bool audit = false;     // compiled with --audit: it drops nothing, and counts the would-drops
  std::optional<bpffw::Counters> counters;                            // empty: compiled with --no-counters
  std::optional<bpffw::LogCounters> log;                              // empty: compiled without --log
  std::vector<std::pair<std::string, std::uint64_t>> refusals;        // hook ("connect4"), refused calls
  std::vector<std::pair<std::string, std::uint64_t>> would_refusals;  // hook, calls audit mode let go ahead
  std::vector<std::pair<std::string, std::uint64_t>> sets;            // name, entries in its maps
  std::vector<bpffw::Attachment> attached;                            // each cgroup (under the mount) and direction
};

// Reads each program's counters. A program that goes away meanwhile keeps what was read of it.
std::vector<ProgramStats> read_all_stats(const std::vector<CensusProgram>& programs);

// The Prometheus text exposition format (0.0.4), for node_exporter's textfile collector or any
// scraper: HELP and TYPE of every metric family, then its series; ends with a newline.
std::string prometheus_text(const std::vector<ProgramStats>& stats);

// One block per program: "program 57  pin /sys/fs/bpf/web  attached to ... \n  passed ...".
std::string all_stats_text(const std::vector<ProgramStats>& stats);

// {"programs":[{"id":57,"pin":"...",...,"counters":{...}|null,...}]}
std::string all_stats_json(const std::vector<ProgramStats>& stats);

}  // namespace bpffwc
