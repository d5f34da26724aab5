#include "loader/bpf_fd.hpp"

#include <cerrno>
#include <cstring>

#include <unistd.h>

namespace bpffw::loader {

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
