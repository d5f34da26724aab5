// Kernel-test preconditions and a private pin directory on bpffs, removed with everything in it.
#pragma once

#include <string>
#include <vector>

namespace bpffw::test {

// Fails the test (never skips) when not root; mounts bpffs at /sys/fs/bpf when it is not mounted.
void require_root_and_bpffs();

// /sys/fs/bpf/bpffw-test-<pid>-<n>[-tag]/, created fresh; the destructor removes it and its entries.
class PinDirectory {
 public:
  explicit PinDirectory(const std::string& tag = {});
  ~PinDirectory();
  PinDirectory(const PinDirectory&) = delete;
  PinDirectory& operator=(const PinDirectory&) = delete;

  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }
  // The names in the directory, sorted (to check that no temporary pin is left behind).
  std::vector<std::string> entries() const;

 private:
  void remove_all() const;
  std::string path_;
};

bool path_exists(const std::string& path);

}  // namespace bpffw::test
