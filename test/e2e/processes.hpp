// Processes for the end-to-end tests: children moved into a cgroup before they do anything, the
// built bpffwc run as a child, and scratch cgroups. Only processes started here are ever killed,
// by their PID.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

#include <bpffw/direction.hpp>

namespace bpffw::e2e {

// A fresh cgroup <cgroup2 mount>/bpffw-test-<pid>-<n>, removed when it goes (its processes must be
// gone by then: every child here is reaped before its cgroup ends).
class ScratchCgroup {
 public:
  ScratchCgroup();
  // A child <parent>/<child> of another scratch cgroup, e.g. one named like systemd's
  // session-N.scope; declare it after its parent, so that it goes first.
  ScratchCgroup(const ScratchCgroup& parent, const std::string& child);
  ~ScratchCgroup();
  ScratchCgroup(const ScratchCgroup&) = delete;
  ScratchCgroup& operator=(const ScratchCgroup&) = delete;

  const std::string& path() const { return path_; }
  const std::string& name() const { return name_; }  // relative to the cgroup2 mount

 private:
  std::string path_;
  std::string name_;
};

// A cgroup v1 directory: an existing v1 hierarchy, or a named one without controllers mounted
// for the test and unmounted after (pure cgroup v2 hosts have none).
class CgroupV1Dir {
 public:
  CgroupV1Dir();
  ~CgroupV1Dir();
  CgroupV1Dir(const CgroupV1Dir&) = delete;
  CgroupV1Dir& operator=(const CgroupV1Dir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  bool mounted_here_ = false;
};

// The cgroup2 mount point (fails the test when there is none).
std::string cgroup2_mount();

// Forks a child that first moves itself into `cgroup` (unless empty), then runs body and exits
// with its return value (100 if the move failed).
pid_t spawn(const std::string& cgroup, const std::function<int()>& body);

// Waits for a child started here; after timeout_ms it is killed (SIGKILL, by PID) and -1 returned.
// Otherwise its exit code (128 + signal if it died of one).
int wait_child(pid_t pid, int timeout_ms = 10000);

struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs the built bpffwc (BPFFWC_PATH) with args, inside `cgroup` unless empty. `before_exec`
// runs in the child after the cgroup move (e.g. to hide /proc); nonzero makes the child exit 101.
RunResult run_bpffwc(const std::vector<std::string>& args, const std::string& cgroup = {},
                     const std::function<int()>& before_exec = {});

// The ids of the programs attached to `cgroup` in `direction`, in attach order: every tool's, or
// only bpffw's.
enum class Whose { Any, Bpffw };
std::vector<std::uint32_t> attached_ids(const std::string& cgroup, bpffw::Direction direction, Whose whose);

// "exit 2, stderr: ..." for failure messages.
std::string describe(const RunResult& result);

}  // namespace bpffw::e2e
