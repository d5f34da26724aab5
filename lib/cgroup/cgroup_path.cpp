// Resolving a cgroup argument to an open cgroup v2 directory, and telling how far a filter there
// reaches (the root, a login session, or one service).
// The cgroup2 mount differs between systems (/sys/fs/cgroup, /sys/fs/cgroup/unified on hybrid
// hosts), so it is always read from mountinfo, never assumed.
#include <bpffw/cgroup.hpp>

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

#include "loader/unique_fd.hpp"

namespace bpffw {
namespace {

const char* kUseAPathHint = "name the cgroup by its path, e.g. /sys/fs/cgroup/system.slice/foo.service";

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string unescape_mountinfo(std::string_view field) {
  std::string out;
  for (std::size_t i = 0; i < field.size(); ++i) {
    if (field[i] == '\\' && i + 3 < field.size()) {
      const char a = field[i + 1], b = field[i + 2], c = field[i + 3];
      if (a >= '0' && a <= '3' && b >= '0' && b <= '7' && c >= '0' && c <= '7') {
        out += static_cast<char>((a - '0') * 64 + (b - '0') * 8 + (c - '0'));
        i += 3;
        continue;
      }
    }
    out += field[i];
  }
  return out;
}

struct Cgroup2Mount {
  std::string mount_point;
  std::string root;  // the subtree of the hierarchy mounted there, "/" unless bind-mounted
};

Result<std::ifstream> open_proc_file(const CgroupResolveOptions& options, const char* name, const char* purpose) {
  const std::string path = options.proc_root + "/self/" + name;
  std::ifstream in(path);
  if (!in) {
    const int err = errno;
    return make_error(ErrorKind::System, "cannot read " + path + " to " + purpose + ": " + std::strerror(err), err,
                      std::string("mount /proc (mount -t proc proc /proc), or ") + kUseAPathHint);
  }
  return in;
}

Result<Cgroup2Mount> read_cgroup2_mount(const CgroupResolveOptions& options) {
  auto in = open_proc_file(options, "mountinfo", "find the cgroup2 mount");
  if (!in) return tl::unexpected(in.error());
  std::optional<Cgroup2Mount> found;
  std::string line;
  while (std::getline(*in, line)) {
    // id parent major:minor root mount-point options [optional...] - fstype source super-options
    const auto separator = line.find(" - ");
    if (separator == std::string::npos) continue;
    std::istringstream tail(line.substr(separator + 3));
    std::string fstype;
    tail >> fstype;
    if (fstype != "cgroup2") continue;
    std::istringstream head(line.substr(0, separator));
    std::string id, parent, device, root, mount_point;
    head >> id >> parent >> device >> root >> mount_point;
    Cgroup2Mount mount{unescape_mountinfo(mount_point), unescape_mountinfo(root)};
    // Prefer a mount of the whole hierarchy over a bind mount of a subtree.
    if (!found || (found->root != "/" && mount.root == "/")) found = std::move(mount);
  }
  if (!found)
    return make_error(ErrorKind::System,
                      "no cgroup2 file system is mounted (none in " + options.proc_root + "/self/mountinfo)", 0,
                      "mount it with: mount -t cgroup2 none /sys/fs/cgroup");
  return *found;
}

std::string join(const std::string& base, std::string_view rest) {
  std::string out = base;
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  while (!rest.empty() && rest.front() == '/') rest.remove_prefix(1);
  // `.` is the mount itself: `bpffwc show .` prints where cgroup2 is mounted.
  if (rest.empty() || rest == ".") return out;
  if (out != "/") out += '/';
  out += rest;
  return out;
}

std::string under_mount_hint(const CgroupResolveOptions& options) {
  auto mount = read_cgroup2_mount(options);
  if (!mount) return "name a directory on the cgroup2 file system";
  return "name a directory under the cgroup2 mount " + mount->mount_point + " (or a path relative to it, or self)";
}

}  // namespace

Result<std::string> find_cgroup2_mount(const CgroupResolveOptions& options) {
  auto mount = read_cgroup2_mount(options);
  if (!mount) return tl::unexpected(mount.error());
  return mount->mount_point;
}

Result<std::string> self_cgroup_path(const CgroupResolveOptions& options) {
  auto in = open_proc_file(options, "cgroup", "find the cgroup of self");
  if (!in) return tl::unexpected(in.error());
  // A hybrid host lists one line per v1 hierarchy too; cgroup v2 is the "0::" line.
  std::optional<std::string> relative;
  std::string line;
  while (std::getline(*in, line)) {
    if (line.rfind("0::", 0) == 0) {
      relative = line.substr(3);
      break;
    }
  }
  if (!relative || relative->empty() || relative->front() != '/')
    return make_error(ErrorKind::System,
                      "no cgroup v2 entry (0::) in " + options.proc_root +
                          "/self/cgroup: this process is not in a cgroup v2 hierarchy",
                      0, kUseAPathHint);
  auto mount = read_cgroup2_mount(options);
  if (!mount) return tl::unexpected(mount.error());
  std::string_view path = *relative;
  if (mount->root != "/") {
    // Only a subtree is mounted: the process's cgroup must lie inside it.
    if (path.rfind(mount->root, 0) != 0)
      return make_error(ErrorKind::System,
                        "the cgroup of self (" + *relative + ") is outside the mounted cgroup2 subtree " + mount->root,
                        0, kUseAPathHint);
    path.remove_prefix(mount->root.size());
  }
  return join(mount->mount_point, path);
}

Result<Cgroup> Cgroup::open(std::string_view argument, const CgroupResolveOptions& options) {
  if (argument.empty())
    return make_error(ErrorKind::Usage, "empty cgroup argument", 0,
                      "give self, a cgroup path, or a path relative to the cgroup2 mount");
  std::string path;
  if (argument == "self") {
    auto self = self_cgroup_path(options);
    if (!self) return tl::unexpected(self.error());
    path = std::move(*self);
  } else if (argument.front() == '/') {
    path = std::string(argument);
  } else {
    auto mount = read_cgroup2_mount(options);
    if (!mount) return tl::unexpected(mount.error());
    path = join(mount->mount_point, argument);
  }

  detail::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) {
    const int err = errno;
    switch (err) {
      case ENOENT:
        return make_error(ErrorKind::Usage, "cgroup '" + path + "' does not exist", err, under_mount_hint(options));
      case ENOTDIR:
        return make_error(ErrorKind::Usage, "'" + path + "' is not a directory, so it is not a cgroup", err,
                          under_mount_hint(options));
      case EACCES:
      case EPERM:
        return make_error(ErrorKind::Permission, "cannot open cgroup '" + path + "': " + std::strerror(err), err,
                          "run as root");
      default: return make_error(ErrorKind::System, "cannot open cgroup '" + path + "': " + std::strerror(err), err);
    }
  }
  // Checked on the open fd, so the answer is about the very directory programs will attach to.
  struct statfs fs{};
  if (::fstatfs(fd.get(), &fs) != 0) {
    const int err = errno;
    return make_error(ErrorKind::System, "cannot statfs '" + path + "': " + std::strerror(err), err);
  }
  if (static_cast<unsigned long>(fs.f_type) == CGROUP_SUPER_MAGIC)
    return make_error(ErrorKind::Usage,
                      "'" + path + "' is a cgroup v1 directory; bpf programs attach to cgroup v2 only", 0,
                      under_mount_hint(options));
  if (static_cast<unsigned long>(fs.f_type) != CGROUP2_SUPER_MAGIC)
    return make_error(ErrorKind::Usage, "'" + path + "' is not on the cgroup2 file system", 0,
                      under_mount_hint(options));
  return Cgroup(std::move(path), fd.release());
}

namespace {

bool matches(std::string_view name, std::string_view prefix, std::string_view suffix) {
  return name.size() > prefix.size() + suffix.size() && name.substr(0, prefix.size()) == prefix &&
         name.substr(name.size() - suffix.size()) == suffix;
}

// systemd's names for what a login brings: the session's scope (an SSH or console login) and the
// user's service manager (where a desktop terminal's shell runs).
bool names_login_session(std::string_view component) {
  return matches(component, "session-", ".scope") || matches(component, "user@", ".service");
}

}  // namespace

CgroupClass classify_cgroup_path(std::string_view relative) {
  std::vector<std::string_view> components;
  while (!relative.empty()) {
    const std::size_t slash = relative.find('/');
    const std::string_view component = relative.substr(0, slash);
    relative = slash == std::string_view::npos ? std::string_view() : relative.substr(slash + 1);
    if (component.empty() || component == ".") continue;
    if (component == "..") {
      if (!components.empty()) components.pop_back();
      continue;
    }
    components.push_back(component);
  }
  if (components.empty()) return {CgroupReach::Root, ""};
  for (std::string_view component : components)
    if (names_login_session(component)) return {CgroupReach::LoginSession, std::string(component)};
  return {};
}

Result<CgroupClass> classify(const Cgroup& cgroup, const CgroupResolveOptions& options) {
  // The root of the hierarchy is the one cgroup without cgroup.type (the kernel's cgroup-v2.rst):
  // true however the path was spelled and whatever is mounted where.
  if (::faccessat(cgroup.fd(), "cgroup.type", F_OK, 0) != 0) {
    const int err = errno;
    if (err == ENOENT) return CgroupClass{CgroupReach::Root, ""};
    return make_error(ErrorKind::System, "cannot read cgroup '" + cgroup.path() + "': " + std::strerror(err), err);
  }
  auto mount = read_cgroup2_mount(options);
  if (!mount) return classify_cgroup_path(cgroup.path());  // no /proc: the path's own words
  // A cgroup namespace's root (a container's /sys/fs/cgroup) has cgroup.type, but is mounted whole
  // (root "/" in mountinfo): the directory held open is then the mount point itself.
  struct stat opened{}, mounted{};
  if (mount->root == "/" && ::fstat(cgroup.fd(), &opened) == 0 && ::stat(mount->mount_point.c_str(), &mounted) == 0 &&
      opened.st_dev == mounted.st_dev && opened.st_ino == mounted.st_ino)
    return CgroupClass{CgroupReach::Root, ""};
  // Otherwise by its name in the hierarchy: the mounted subtree, then the path under the mount.
  const std::string& path = cgroup.path();
  const std::string& point = mount->mount_point;
  const bool under_mount =
      point == "/" || (path.rfind(point, 0) == 0 && (path.size() == point.size() || path[point.size()] == '/'));
  if (!under_mount) return classify_cgroup_path(path);
  return classify_cgroup_path(mount->root + "/" + path.substr(point == "/" ? 0 : point.size()));
}

Cgroup::Cgroup(Cgroup&& other) noexcept : path_(std::move(other.path_)), fd_(std::exchange(other.fd_, -1)) {}

Cgroup& Cgroup::operator=(Cgroup&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    path_ = std::move(other.path_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

Cgroup::~Cgroup() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace bpffw
