// Small helpers shared by the loader's files: errno -> Error, and what kind of BPF object an fd is.
#pragma once

#include <string>

#include <bpffw/error.hpp>

namespace bpffw::loader {

inline constexpr const char* kPrivilegeMessage =
    "loading BPF programs needs root (CAP_BPF and CAP_NET_ADMIN)";
inline constexpr const char* kPrivilegeHint = "run as root, e.g. with sudo";

// An error for a failed system call: EPERM/EACCES become ErrorKind::Permission, the rest System.
// `what` says what failed, e.g. "cannot pin '/sys/fs/bpf/x'"; strerror(err) is appended.
Error system_error(const std::string& what, int err);

// "prog", "map", "link", another anon-inode name, or "" if the fd is not a BPF object. Read from
// /proc/self/fd, because BPF_OBJ_GET_INFO_BY_FD fills whatever info struct it is given.
std::string bpf_object_kind(int fd);

// Quotes a path for a message: 'path'.
std::string quoted(const std::string& path);

}  // namespace bpffw::loader
