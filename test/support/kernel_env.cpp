#include "support/kernel_env.hpp"

#include <dirent.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

#include <doctest/doctest.h>

#include <bpffw/program.hpp>

namespace bpffw::test {
namespace {

constexpr const char* kBpffs = "/sys/fs/bpf";
constexpr long kBpffsMagic = 0xcafe4a11;

bool is_bpffs(const char* path) {
  struct statfs info{};
  return statfs(path, &info) == 0 && static_cast<long>(info.f_type) == kBpffsMagic;
}

}  // namespace

std::string verifier_line(std::uint32_t id) {
  auto program = Program::open_id(id);
  REQUIRE_MESSAGE(program.has_value(), program.error().message);
  auto info = program->info();
  REQUIRE_MESSAGE(info.has_value(), info.error().message);
  if (!info->verified_instructions)
    return "verifier    the kernel does not say how many instructions it checked (5.16 and later do)\n";
  return "verifier    " + std::to_string(*info->verified_instructions) + " instructions checked (its limit: 1000000)\n";
}

std::string pinned_id(const std::string& pin) {
  auto program = Program::open_pinned(pin);
  REQUIRE_MESSAGE(program.has_value(), pin << ": " << (program ? "" : program.error().message));
  auto info = program->info();
  REQUIRE_MESSAGE(info.has_value(), info.error().message);
  return std::to_string(info->id);
}

void require_root() {
  REQUIRE_MESSAGE(geteuid() == 0,
                  "kernel tests load BPF programs and need root (CAP_BPF and CAP_NET_ADMIN); "
                  "run them as root, e.g. sudo ctest -L kernel");
}

void ensure_bpffs() {
  require_root();
  if (is_bpffs(kBpffs)) return;
  mkdir(kBpffs, 0700);
  int rc = mount("bpf", kBpffs, "bpf", 0, nullptr);
  REQUIRE_MESSAGE(rc == 0, "bpffs is not mounted at /sys/fs/bpf and mounting it failed: " << std::strerror(errno));
  REQUIRE(is_bpffs(kBpffs));
}

ScopedPinDir::ScopedPinDir() {
  ensure_bpffs();
  static std::atomic<unsigned> counter{0};
  path_ = std::string(kBpffs) + "/bpffw-test-" + std::to_string(getpid()) + "-" + std::to_string(counter++);
  int rc = mkdir(path_.c_str(), 0700);
  REQUIRE_MESSAGE(rc == 0, "cannot create " << path_ << ": " << std::strerror(errno));
}

ScopedPinDir::~ScopedPinDir() {
  // bpffs directories hold only pins (and sub-directories we do not create): unlink each, then the dir.
  if (DIR* dir = opendir(path_.c_str())) {
    while (dirent* entry = readdir(dir)) {
      std::string name = entry->d_name;
      if (name != "." && name != "..") unlink((path_ + "/" + name).c_str());
    }
    closedir(dir);
  }
  rmdir(path_.c_str());
}

}  // namespace bpffw::test
