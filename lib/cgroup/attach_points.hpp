// What attaching in a direction and at a socket hook share: who a program is, whether it is ours,
// and what is attached at one attach type of a cgroup.
#pragma once

#include <linux/bpf.h>

#include <cstdint>
#include <string>
#include <vector>

#include <bpffw/cgroup.hpp>

namespace bpffw::cgroup {

struct IdAndName {
  std::uint32_t id = 0;
  std::string name;
};
Result<IdAndName> identify(int prog_fd);

// kProgramName, or a socket program's name (bpffw_connect4, ...).
bool is_bpffw_name(const std::string& name);

// Every program attached at `type` of the cgroup, in attach order; `where` names it in errors.
Result<std::vector<AttachedProgram>> programs_at(const Cgroup& cgroup, bpf_attach_type type, const std::string& where);

}  // namespace bpffw::cgroup
