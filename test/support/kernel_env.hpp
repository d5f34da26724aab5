// Preconditions of kernel tests. They never skip: a missing precondition they can establish
// themselves (bpffs) is established; one they cannot (root) fails the test with the reason.
#pragma once

#include <cstdint>
#include <string>

namespace bpffw::test {

// Fails the running test (doctest REQUIRE) unless the process may load BPF programs.
void require_root();

// Mounts bpffs at /sys/fs/bpf when it is not mounted there; fails the test if that fails.
void ensure_bpffs();

// `bpffwc show`'s verifier line for loaded program `id`, as ProgramInfo reports its count:
// "verifier    N instructions checked (its limit: 1000000)\n".
std::string verifier_line(std::uint32_t id);

// The id of the program pinned at `pin`, as text; fails the test when there is none.
std::string pinned_id(const std::string& pin);

// A fresh directory /sys/fs/bpf/bpffw-test-<pid>-<n>/ for pins, removed with everything in it.
class ScopedPinDir {
 public:
  ScopedPinDir();
  ~ScopedPinDir();
  ScopedPinDir(const ScopedPinDir&) = delete;
  ScopedPinDir& operator=(const ScopedPinDir&) = delete;

  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace bpffw::test
