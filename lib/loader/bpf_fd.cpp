#include "loader/bpf_fd.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include <unistd.h>

namespace bpffw::loader {

std::string bpffs_mount() {
  std::ifstream mounts("/proc/self/mounts");
  std::string line, first;
  while (std::getline(mounts, line)) {
    std::istringstream fields(line);
    std::string device, where, type;
    if (!(fields >> device >> where >> type) || type != "bpf") continue;
    if (where == "/sys/fs/bpf") return where;
    if (first.empty()) first = where;
  }
  return first;
}

std::string off_bpffs_hint(const std::string& name) {
  std::string mount = bpffs_mount();
  if (mount.empty()) return "no bpffs is mounted; mount one: mount -t bpf bpf /sys/fs/bpf";
  std::string example =
      name.empty() || name == "." || name == ".." || name.find('.') != std::string::npos ? "NAME" : name;
  return "a pin is a file name under a mounted bpffs, e.g. " + (mount == "/" ? "" : mount) + "/" + example;
}

Error system_error(const std::string& what, int err) {
  bool denied = err == EPERM || err == EACCES;
  Error error;
  error.kind = denied ? ErrorKind::Permission : ErrorKind::System;
  error.message = what + ": " + std::strerror(err);
  error.sys_errno = err;
  if (denied) error.hint = "run as root (BPF needs CAP_BPF and CAP_NET_ADMIN; bpffs needs write access)";
  return error;
}

std::string bpf_object_kind(int fd) {
  std::string link = "/proc/self/fd/" + std::to_string(fd);
  char target[128];
  ssize_t n = ::readlink(link.c_str(), target, sizeof target - 1);
  if (n < 0) return {};
  std::string name(target, static_cast<std::size_t>(n));
  // anon_inode:bpf-prog, anon_inode:bpf-map, anon_inode:bpf_link
  const std::string prefix = "anon_inode:bpf";
  if (name.rfind(prefix, 0) != 0 || name.size() <= prefix.size() + 1) return {};
  return name.substr(prefix.size() + 1);
}

std::string quoted(const std::string& path) { return "'" + path + "'"; }

}  // namespace bpffw::loader
