// Attach, replace, detach and list cgroup_skb programs on a cgroup v2 directory (libbpf 1.1.2).
// Everything attaches with BPF_F_ALLOW_MULTI so that systemd's own programs (IPAddressDeny=,
// IPIngressFilterPath=, device policy) and other tools' filters keep working beside ours.
#include <bpffw/cgroup.hpp>
#include <bpffw/metadata.hpp>

#include <bpf/bpf.h>
#include <linux/bpf.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "cgroup/attach_points.hpp"
#include "loader/unique_fd.hpp"
#include "loader/kernel_features.hpp"

namespace bpffw {

using cgroup::identify;
using cgroup::IdAndName;
using cgroup::is_bpffw_name;

namespace {

bpf_attach_type attach_type(Direction direction) {
  return direction == Direction::Ingress ? BPF_CGROUP_INET_INGRESS : BPF_CGROUP_INET_EGRESS;
}

std::string where(const Cgroup& cgroup, Direction direction) {
  return cgroup.path() + " " + to_string(direction);
}

Result<void> require_bpffw(const IdAndName& program, const char* verb) {
  if (is_bpffw_name(program.name)) return {};
  return make_error(ErrorKind::Usage,
                    "program " + std::to_string(program.id) + " is named '" + program.name + "', not '" +
                        kProgramName + "': bpffwc does not " + verb + " another tool's program",
                    0, "use bpftool cgroup detach for programs bpffwc did not load");
}

// Errors common to attach and replace.
Error attach_error(int err, const Cgroup& cgroup, Direction direction, const char* what) {
  std::string message = std::string("cannot ") + what + " on " + where(cgroup, direction) + ": ";
  switch (err) {
    case EPERM:
      if (::geteuid() != 0)
        return Error{ErrorKind::Permission, message + "permission denied", std::nullopt, err,
                     "attaching needs root (CAP_BPF and CAP_NET_ADMIN)", {}};
      return Error{ErrorKind::System,
                   message + "a program there is attached without BPF_F_ALLOW_MULTI (exclusive)",
                   std::nullopt, err, "detach that program first (bpftool cgroup show " + cgroup.path() + ")", {}};
    case EEXIST:
      return Error{ErrorKind::Usage, message + "this program is already attached there", std::nullopt, err,
                   "", {}};
    case E2BIG:
      return Error{ErrorKind::System, message + "too many programs attached (the kernel allows 64)",
                   std::nullopt, err, "detach some: bpffwc detach " + cgroup.path() + " -t " +
                                          to_string(direction) + " --all", {}};
    case EINVAL:
      return Error{ErrorKind::System, message + "the kernel refused the program (EINVAL): not a cgroup_skb program?",
                   std::nullopt, err, "", {}};
    default:
      return Error{ErrorKind::System, message + std::strerror(err), std::nullopt, err, "", {}};
  }
}

// A program compiled for one direction (-t: local_* and remote_* mean dst_* on ingress, src_* on
// egress) must not judge the other: the kernel does not enforce a cgroup_skb program's expected
// attach type when it returns only 0 or 1, so the metadata decides. Programs without bpffw
// metadata, or compiled for either direction, attach anywhere.
Result<void> check_direction(const Program& program, Direction direction) {
  auto metadata = read_metadata(program);
  if (!metadata || !metadata->direction || *metadata->direction == direction) return {};
  return make_error(ErrorKind::Usage,
                    std::string("the program was compiled for ") + to_string(*metadata->direction) +
                        " (-t " + to_string(*metadata->direction) + "), not " + to_string(direction) +
                        ": local_* and remote_* would mean the other ends",
                    0, std::string("compile it again with -t ") + to_string(direction));
}

}  // namespace

Result<void> attach(const Program& program, const Cgroup& cgroup, Direction direction) {
  if (auto right = check_direction(program, direction); !right) return right;
  struct bpf_prog_attach_opts opts {};
  opts.sz = sizeof(opts);
  opts.flags = BPF_F_ALLOW_MULTI;
  if (int rc = bpf_prog_attach_opts(program.fd(), cgroup.fd(), attach_type(direction), &opts); rc != 0) {
    // With BPF_F_ALLOW_MULTI the kernel answers EINVAL, not EEXIST, for a program attached there already.
    if (rc == -EINVAL && is_attached(program, cgroup, direction))
      return tl::unexpected(attach_error(EEXIST, cgroup, direction, "attach"));
    return tl::unexpected(attach_error(-rc, cgroup, direction, "attach"));
  }
  return {};
}

Result<void> replace(const Cgroup& cgroup, Direction direction, const Program& old_program,
                     const Program& new_program) {
  auto old_id = identify(old_program.fd());
  if (!old_id) return tl::unexpected(old_id.error());
  if (auto ours = require_bpffw(*old_id, "replace"); !ours) return ours;
  if (auto right = check_direction(new_program, direction); !right) return right;

  // The kernel swaps the entry in the cgroup's program array in one update: no packet in
  // between sees neither program.
  struct bpf_prog_attach_opts opts {};
  opts.sz = sizeof(opts);
  opts.flags = BPF_F_ALLOW_MULTI | BPF_F_REPLACE;
  opts.replace_prog_fd = old_program.fd();
  if (int rc = bpf_prog_attach_opts(new_program.fd(), cgroup.fd(), attach_type(direction), &opts); rc != 0) {
    const int err = -rc;
    if (err == ENOENT)
      return make_error(ErrorKind::Usage,
                        "the program to replace (id " + std::to_string(old_id->id) + ") is not attached to " +
                            where(cgroup, direction),
                        err, "show what is attached with: bpffwc show " + cgroup.path());
    if (err == EINVAL && !loader::attach_replace_supported(new_program.fd(), cgroup.fd(), attach_type(direction)))
      return tl::unexpected(loader::missing_feature_error(loader::kAttachReplace, err));
    return tl::unexpected(attach_error(err, cgroup, direction, "replace"));
  }
  return {};
}

Result<ReplaceAllOutcome> replace_all_bpffw(const Program& program, const Cgroup& cgroup, Direction direction) {
  auto listed = attached_programs(cgroup, direction);
  if (!listed) return tl::unexpected(listed.error());
  std::vector<std::uint32_t> ours;
  for (const AttachedProgram& attached : *listed)
    if (attached.is_bpffw) ours.push_back(attached.id);
  ReplaceAllOutcome outcome;
  if (ours.empty()) {
    if (auto attached = attach(program, cgroup, direction); !attached) return tl::unexpected(attached.error());
    return outcome;
  }
  auto first = Program::open_id(ours.front());
  if (!first) return tl::unexpected(first.error());
  if (auto swapped = replace(cgroup, direction, *first, program); !swapped) return tl::unexpected(swapped.error());
  outcome.replaced = ours.front();

  auto new_id = identify(program.fd());
  const std::string new_text = new_id ? "program " + std::to_string(new_id->id) : "the new program";
  for (std::size_t i = 1; i < ours.size(); ++i) {
    detail::UniqueFd fd(bpf_prog_get_fd_by_id(ours[i]));
    if (fd.get() < 0) continue;  // gone since the listing
    int rc = bpf_prog_detach2(fd.get(), cgroup.fd(), attach_type(direction));
    if (rc == -ENOENT) continue;  // someone else detached it meanwhile
    if (rc != 0) {
      std::string still;
      for (std::size_t j = i; j < ours.size(); ++j) still += (still.empty() ? "" : ", ") + std::to_string(ours[j]);
      return make_error(ErrorKind::System,
                        "cannot detach program " + std::to_string(ours[i]) + " from " + where(cgroup, direction) +
                            ": " + std::strerror(-rc) + "; " + new_text + " replaced program " +
                            std::to_string(ours.front()) + ", and still attached beside it: " + still,
                        -rc, "detach them with: bpffwc detach " + cgroup.path() + " -t " + to_string(direction) +
                                 " --all, then attach again");
    }
    outcome.detached.push_back(ours[i]);
  }
  return outcome;
}

Result<void> detach(const Cgroup& cgroup, Direction direction, const Program& program) {
  auto id = identify(program.fd());
  if (!id) return tl::unexpected(id.error());
  if (auto ours = require_bpffw(*id, "detach"); !ours) return ours;
  if (int rc = bpf_prog_detach2(program.fd(), cgroup.fd(), attach_type(direction)); rc != 0) {
    const int err = -rc;
    if (err == ENOENT)
      return make_error(ErrorKind::Usage,
                        "program " + std::to_string(id->id) + " is not attached to " + where(cgroup, direction),
                        err, "show what is attached with: bpffwc show " + cgroup.path());
    if (err == EPERM)
      return make_error(ErrorKind::Permission, "cannot detach from " + where(cgroup, direction) +
                                                   ": permission denied",
                        err, "detaching needs root (CAP_NET_ADMIN)");
    return make_error(ErrorKind::System,
                      "cannot detach from " + where(cgroup, direction) + ": " + std::strerror(err), err);
  }
  return {};
}

Result<std::vector<AttachedProgram>> cgroup::programs_at(const Cgroup& cgroup, bpf_attach_type type,
                                                         const std::string& where) {
  std::vector<__u32> ids(64);
  for (;;) {
    __u32 count = static_cast<__u32>(ids.size());
    __u32 attach_flags = 0;
    int rc = bpf_prog_query(cgroup.fd(), type, 0, &attach_flags, ids.data(), &count);
    if (rc == 0) {
      ids.resize(count);
      break;
    }
    const int err = -rc;
    if (err == ENOSPC && count > ids.size()) {  // more attached than we asked for: ask again
      ids.resize(count);
      continue;
    }
    if (err == EPERM)
      return make_error(ErrorKind::Permission, "cannot list programs on " + where + ": permission denied", err,
                        "listing needs root (CAP_NET_ADMIN)");
    return make_error(ErrorKind::System, "cannot list programs on " + where + ": " + std::strerror(err), err);
  }

  std::vector<AttachedProgram> programs;
  for (__u32 id : ids) {
    detail::UniqueFd fd(bpf_prog_get_fd_by_id(id));
    if (fd.get() < 0) {
      if (errno == ENOENT) continue;  // detached and freed since the query
      const int err = errno;
      return make_error(ErrorKind::System,
                        "cannot open program " + std::to_string(id) + ": " + std::strerror(err), err);
    }
    auto info = identify(fd.get());
    if (!info) return tl::unexpected(info.error());
    programs.push_back({id, info->name, is_bpffw_name(info->name)});
  }
  return programs;
}

Result<std::vector<AttachedProgram>> attached_programs(const Cgroup& cgroup, Direction direction) {
  return cgroup::programs_at(cgroup, attach_type(direction), where(cgroup, direction));
}

bool is_attached(const Program& program, const Cgroup& cgroup, Direction direction) {
  auto id = identify(program.fd());
  auto programs = attached_programs(cgroup, direction);
  if (!id || !programs) return false;
  for (const AttachedProgram& attached : *programs)
    if (attached.id == id->id) return true;
  return false;
}

Result<std::size_t> detach_all_bpffw(const Cgroup& cgroup, Direction direction) {
  auto programs = attached_programs(cgroup, direction);
  if (!programs) return tl::unexpected(programs.error());
  std::size_t detached = 0;
  for (const AttachedProgram& program : *programs) {
    if (!program.is_bpffw) continue;
    detail::UniqueFd fd(bpf_prog_get_fd_by_id(program.id));
    if (fd.get() < 0) continue;  // gone since the listing
    int rc = bpf_prog_detach2(fd.get(), cgroup.fd(), attach_type(direction));
    if (rc == -ENOENT) continue;  // someone else detached it meanwhile
    if (rc != 0)
      return make_error(ErrorKind::System,
                        "cannot detach program " + std::to_string(program.id) + " from " +
                            where(cgroup, direction) + ": " + std::strerror(-rc),
                        -rc);
    ++detached;
  }
  if (detached == 0)
    return make_error(ErrorKind::Usage, "no bpffw program is attached to " + where(cgroup, direction), 0,
                      "show what is attached with: bpffwc show " + cgroup.path());
  return detached;
}

}  // namespace bpffw
