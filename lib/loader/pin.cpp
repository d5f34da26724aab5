// Program::pin: create a pin on bpffs, or replace one atomically, leaving nothing behind on failure.
#include <bpffw/program.hpp>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <string>

#include <bpf/bpf.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "loader/bpf_fd.hpp"

namespace bpffw {

namespace {

constexpr mode_t kPinMode = 0600;

struct PinPath {
  std::string directory;  // where the pin lives; "." for a bare name
  std::string name;       // the last component
};

Result<PinPath> split_pin_path(const std::string& path) {
  if (path.empty()) return make_error(ErrorKind::Usage, "the pin path is empty");
  if (path.back() == '/')
    return make_error(ErrorKind::Usage, "pin path " + loader::quoted(path) + " names a directory, not a file");
  std::size_t slash = path.rfind('/');
  PinPath split;
  split.directory = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
  split.name = slash == std::string::npos ? path : path.substr(slash + 1);
  // bpffs refuses names with a dot (EPERM, "reserved for future extensions"); say so plainly
  // instead of letting it look like a privilege problem.
  if (split.name.find('.') != std::string::npos) {
    std::string suggestion = split.name;
    for (char& c : suggestion)
      if (c == '.') c = '-';
    return make_error(ErrorKind::Usage,
                      "pin name " + loader::quoted(split.name) + " contains '.', which bpffs does not allow", 0,
                      "use another character, e.g. " + loader::quoted(suggestion));
  }
  return split;
}

Result<void> require_bpffs(const std::string& path, const std::string& directory) {
  struct statfs fs{};
  if (::statfs(directory.c_str(), &fs) != 0) {
    int err = errno;
    if (err == ENOENT)
      return make_error(ErrorKind::System, "directory " + loader::quoted(directory) + " does not exist", err,
                        "create it on bpffs first, e.g. mkdir -p " + directory);
    return tl::unexpected(loader::system_error("cannot inspect " + loader::quoted(directory), err));
  }
  if (static_cast<unsigned long>(fs.f_type) != BPF_FS_MAGIC)
    return make_error(ErrorKind::System, loader::quoted(path) + " is not on a BPF filesystem (bpffs)", 0,
                      loader::off_bpffs_hint(path.substr(path.rfind('/') + 1)));
  return {};
}

// Refuse to replace something that is not a BPF program (a map pin, a directory...).
Result<void> require_replaceable(const std::string& path) {
  struct stat st{};
  if (::lstat(path.c_str(), &st) != 0) return {};  // missing: nothing to replace
  if (!S_ISREG(st.st_mode))
    return make_error(ErrorKind::Usage, loader::quoted(path) + " exists and is not a pin; refusing to replace it");
  auto existing = Program::open_pinned(path);
  if (!existing && existing.error().sys_errno != ENOENT) {
    Error error = existing.error();
    if (error.kind == ErrorKind::Usage) error.message += "; refusing to replace it";
    return tl::unexpected(error);
  }
  return {};
}

// Pins fd at path and sets mode 0600 (bpffs applies the umask at creation). On failure the new
// pin is removed again. EEXIST is how CreateNew finds an existing pin without a race.
Result<void> pin_exclusive(int fd, const std::string& path) {
  if (bpf_obj_pin(fd, path.c_str()) != 0)
    return tl::unexpected(loader::system_error("cannot pin " + loader::quoted(path), errno));
  if (::chmod(path.c_str(), kPinMode) != 0) {
    int err = errno;
    ::unlink(path.c_str());
    return tl::unexpected(loader::system_error("cannot set mode 0600 on " + loader::quoted(path), err));
  }
  return {};
}

std::string temporary_name(const PinPath& target, unsigned attempt) {
  static std::atomic<unsigned> counter{0};
  // No dots (bpffs forbids them); pid and counter keep concurrent replacers apart.
  std::string name =
      "bpffw_tmp_" + std::to_string(::getpid()) + "_" + std::to_string(counter++) + "_" + std::to_string(attempt);
  return (target.directory == "/" ? "" : target.directory) + "/" + name;
}

Result<void> pin_replacing(int fd, const std::string& path, const PinPath& target) {
  if (auto ok = require_replaceable(path); !ok) return ok;
  std::string temporary;
  for (unsigned attempt = 0;; ++attempt) {
    temporary = temporary_name(target, attempt);
    auto pinned = pin_exclusive(fd, temporary);
    if (pinned) break;
    if (pinned.error().sys_errno != EEXIST || attempt >= 8) {
      Error error = pinned.error();
      error.message = "cannot pin next to " + loader::quoted(path) + ": " + std::strerror(error.sys_errno);
      return tl::unexpected(error);
    }
  }
  // rename(2) swaps the directory entry in one step: readers see the old pin or the new one.
  if (::rename(temporary.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(temporary.c_str());
    return tl::unexpected(loader::system_error("cannot replace " + loader::quoted(path), err));
  }
  return {};
}

}  // namespace

Result<void> Program::pin(const std::string& path, PinMode mode) const {
  if (fd_ < 0) return make_error(ErrorKind::Internal, "the program has no file descriptor (moved from)");
  auto split = split_pin_path(path);
  if (!split) return tl::unexpected(split.error());
  // `-o /sys/fs/bpf`: the mount itself, or another directory, is no name for a pin.
  struct stat st{};
  if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
    return make_error(ErrorKind::Usage,
                      "pin path " + loader::quoted(path) + " is a directory; a pin needs a file name in it", 0,
                      "e.g. " + (path == "/" ? std::string() : path) + "/NAME");
  if (auto on_bpffs = require_bpffs(path, split->directory); !on_bpffs) return on_bpffs;

  if (mode == PinMode::Replace) return pin_replacing(fd_, path, *split);

  auto pinned = pin_exclusive(fd_, path);
  if (!pinned && pinned.error().sys_errno == EEXIST)
    return make_error(ErrorKind::Usage, "pin " + loader::quoted(path) + " already exists; use --force to replace it",
                      EEXIST);
  return pinned;
}

}  // namespace bpffw

namespace bpffw {

std::string socket_pin_path(const std::string& pin, SocketHook hook) { return pin + "-" + to_string(hook); }

Result<void> pin_socket_programs(const std::vector<SocketProgram>& programs, const std::string& pin, PinMode mode) {
  for (std::size_t i = 0; i < programs.size(); ++i) {
    auto pinned = programs[i].program.pin(socket_pin_path(pin, programs[i].hook), mode);
    if (pinned) continue;
    if (mode == PinMode::CreateNew)
      for (std::size_t j = 0; j < i; ++j) ::unlink(socket_pin_path(pin, programs[j].hook).c_str());
    return pinned;
  }
  return {};
}

Result<std::vector<SocketProgram>> open_pinned_socket_programs(const std::string& pin) {
  std::vector<SocketProgram> programs;
  // An egress filter's group (connect, sendmsg) or an ingress filter's (bind), whole.
  for (Direction direction : {Direction::Egress, Direction::Ingress}) {
    std::vector<std::string> missing;
    const std::size_t before = programs.size();
    for (SocketHook hook : socket_hooks(direction)) {
      const std::string path = socket_pin_path(pin, hook);
      struct stat st{};
      if (::stat(path.c_str(), &st) != 0) {
        missing.push_back(path);
        continue;
      }
      auto program = Program::open_pinned(path);
      if (!program) return tl::unexpected(program.error());
      programs.push_back(SocketProgram{hook, std::move(*program)});
    }
    if (programs.size() != before && !missing.empty())
      return make_error(ErrorKind::Usage,
                        "of the socket programs beside " + loader::quoted(pin) + ", " +
                            loader::quoted(missing.front()) + " is missing",
                        ENOENT,
                        "pin the filter again: bpffwc -o " + pin + " --force -t " + to_string(direction) +
                            (direction == Direction::Ingress ? " --refuse-bind" : "") + " EXPRESSION");
  }
  return programs;
}

void unpin_socket_programs(const std::string& pin) {
  for (SocketHook hook : kSocketHooks) ::unlink(socket_pin_path(pin, hook).c_str());
}

}  // namespace bpffw
