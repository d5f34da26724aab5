// The state of one named filter for `bpffwc status`: what its files declare (NAME.filter,
// NAME.conf's BPFFWC_OPTIONS, the set files), what runs (the program pinned at PIN_DIR/NAME and
// the cgroups it is attached to), and every place where the two part.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <bpffw/cgroup.hpp>
#include <bpffw/program.hpp>

namespace bpffwc {

struct Divergence {
  // files-gone, not-loaded, not-compiling, expression, options, set, parameter, stale-attachment,
  // not-bpffw
  std::string kind;
  std::string message;  // one line: what differs, and what to do
};

struct FilterStatus {
  std::string name;
  std::string filter_file;  // CONFIG_DIR/NAME.filter
  std::string pin;          // PIN_DIR/NAME
  std::optional<std::uint32_t> program_id;
  bool audit = false;                       // the pinned program only audits (--audit): it drops nothing
  std::vector<bpffw::Attachment> attached;  // where the pinned program is attached
  std::vector<Divergence> divergences;      // empty: running state and files agree
  std::optional<bpffw::Error> failure;      // the files could not be compared: the compiler did not load
};

class FilterExaminer {
 public:
  // `attachments`: every bpffw program attached anywhere (bpffw::find_bpffw_attachments).
  FilterExaminer(std::string config_dir, std::string pin_dir, std::vector<bpffw::BpffwAttachment> attachments);

  FilterStatus examine(const std::string& name);

 private:
  // Compiles the files as bpffw@NAME does and compares with the running program.
  void compare_with_files(const bpffw::Program& program, FilterStatus& status);
  // Attached programs sharing a map with `program` (its counters: an older program of the same
  // filter, replaced with --force or --replace) that the pin no longer leads to.
  void find_stale(std::uint32_t id, FilterStatus& status);
  const std::vector<std::uint32_t>& map_ids_of(std::uint32_t id);

  std::string config_dir_;
  std::string pin_dir_;
  std::vector<bpffw::BpffwAttachment> attachments_;
  std::map<std::uint32_t, std::vector<std::uint32_t>> map_ids_;  // by program id, read once
};

}  // namespace bpffwc
