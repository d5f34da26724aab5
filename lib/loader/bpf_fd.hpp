// Small helpers shared by the loader's files: errno -> Error, and what kind of BPF object an fd is.
#pragma once

#include <string>

#include <bpffw/error.hpp>

namespace bpffw::loader {

inline constexpr const char* kPrivilegeMessage = "loading BPF programs needs root (CAP_BPF and CAP_NET_ADMIN)";
inline constexpr const char* kPrivilegeHint = "run as root, e.g. with sudo";

// An error for a failed system call: EPERM/EACCES become ErrorKind::Permission, the rest System.
// `what` says what failed, e.g. "cannot pin '/sys/fs/bpf/x'"; strerror(err) is appended.
Error system_error(const std::string& what, int err);

// "prog", "map", "link", another anon-inode name, or "" if the fd is not a BPF object. Read from
// /proc/self/fd, because BPF_OBJ_GET_INFO_BY_FD fills whatever info struct it is given.
std::string bpf_object_kind(int fd);

// Quotes a path for a message: 'path'.
std::string quoted(const std::string& path);

// Where a bpffs is mounted (the first in /proc/self/mounts, /sys/fs/bpf when there are several and
// it is one of them), or empty when none is mounted.
std::string bpffs_mount();

// The hint for a pin path off bpffs: an example under the mounted bpffs with this last component
// ("e.g. /sys/fs/bpf/NAME"), or how to mount one when none is mounted.
std::string off_bpffs_hint(const std::string& name);

}  // namespace bpffw::loader
