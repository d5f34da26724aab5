#include "loader/bpffs_fixture.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <dirent.h>
#include <linux/magic.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <doctest/doctest.h>

namespace bpffw::test {

namespace {
constexpr const char* kBpffs = "/sys/fs/bpf";

bool is_bpffs(const char* path) {
  struct statfs fs{};
  return ::statfs(path, &fs) == 0 && static_cast<unsigned long>(fs.f_type) == BPF_FS_MAGIC;
}
}  // namespace

void require_root_and_bpffs() {
  REQUIRE_MESSAGE(::geteuid() == 0, "kernel tests need root (CAP_BPF, CAP_NET_ADMIN, CAP_SYS_ADMIN)");
  if (is_bpffs(kBpffs)) return;
  // Two tests may race to mount; EBUSY or a mount that appeared meanwhile are both fine.
  if (::mount("bpf", kBpffs, "bpf", 0, nullptr) != 0) {
    int err = errno;
    REQUIRE_MESSAGE(is_bpffs(kBpffs), "cannot mount bpffs at /sys/fs/bpf: " << std::string(std::strerror(err)));
  }
  REQUIRE(is_bpffs(kBpffs));
}

PinDirectory::PinDirectory(const std::string& tag) {
  require_root_and_bpffs();
  static int instances = 0;
  path_ = std::string(kBpffs) + "/bpffw-test-" + std::to_string(::getpid()) + "-" + std::to_string(instances++) +
          (tag.empty() ? "" : "-" + tag);
  remove_all();
  REQUIRE_MESSAGE(::mkdir(path_.c_str(), 0700) == 0, "mkdir " << path_ << ": " << std::string(std::strerror(errno)));
}

PinDirectory::~PinDirectory() { remove_all(); }

void PinDirectory::remove_all() const {
  // Pins are files; tests may also make subdirectories (one level deep is all they need).
  for (const std::string& name : entries()) {
    std::string entry = path_ + "/" + name;
    if (::unlink(entry.c_str()) != 0) {
      if (DIR* sub = ::opendir(entry.c_str())) {
        while (dirent* inner = ::readdir(sub))
          if (std::string(inner->d_name) != "." && std::string(inner->d_name) != "..")
            ::unlink((entry + "/" + inner->d_name).c_str());
        ::closedir(sub);
      }
      ::rmdir(entry.c_str());
    }
  }
  ::rmdir(path_.c_str());
}

std::vector<std::string> PinDirectory::entries() const {
  std::vector<std::string> names;
  DIR* dir = ::opendir(path_.c_str());
  if (dir == nullptr) return names;
  while (dirent* entry = ::readdir(dir)) {
    std::string name = entry->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  ::closedir(dir);
  std::sort(names.begin(), names.end());
  return names;
}

bool path_exists(const std::string& path) {
  struct stat st{};
  return ::lstat(path.c_str(), &st) == 0;
}

}  // namespace bpffw::test
