// An egress filter's socket programs on a cgroup (docs/filter-language.md §10): attached together,
// each at its hook with BPF_F_ALLOW_MULTI, all or none; listed and detached by hook.
#include <bpf/bpf.h>
#include <linux/bpf.h>

#include <cerrno>
#include <cstring>

#include <bpffw/cgroup.hpp>
#include <bpffw/compiler.hpp>

#include "cgroup/attach_points.hpp"
#include "loader/unique_fd.hpp"

namespace bpffw {
namespace {

bpf_attach_type attach_type(SocketHook hook) {
  switch (hook) {
    case SocketHook::Connect4: return BPF_CGROUP_INET4_CONNECT;
    case SocketHook::Connect6: return BPF_CGROUP_INET6_CONNECT;
    case SocketHook::Sendmsg4: return BPF_CGROUP_UDP4_SENDMSG;
    case SocketHook::Sendmsg6: return BPF_CGROUP_UDP6_SENDMSG;
    case SocketHook::Bind4: return BPF_CGROUP_INET4_BIND;
    case SocketHook::Bind6: return BPF_CGROUP_INET6_BIND;
  }
  return BPF_CGROUP_INET4_CONNECT;
}

std::string where(const Cgroup& cgroup, SocketHook hook) { return cgroup.path() + " " + to_string(hook); }

}  // namespace

namespace cgroup {

Result<IdAndName> identify(int prog_fd) {
  bpf_prog_info info{};
  __u32 length = sizeof(info);
  if (int rc = bpf_obj_get_info_by_fd(prog_fd, &info, &length); rc != 0) {
    const int err = -rc;
    return make_error(ErrorKind::System, std::string("cannot read program info: ") + std::strerror(err), err);
  }
  return IdAndName{info.id, std::string(info.name, strnlen(info.name, sizeof(info.name)))};
}

bool is_bpffw_name(const std::string& name) {
  if (name == kProgramName) return true;
  for (SocketHook hook : kSocketHooks)
    if (name == std::string("bpffw_") + to_string(hook)) return true;
  return false;
}

}  // namespace cgroup

Result<void> attach(const std::vector<SocketProgram>& programs, const Cgroup& cgroup) {
  std::vector<const SocketProgram*> attached;
  for (const SocketProgram& program : programs) {
    struct bpf_prog_attach_opts opts{};
    opts.sz = sizeof(opts);
    opts.flags = BPF_F_ALLOW_MULTI;
    if (int rc = bpf_prog_attach_opts(program.program.fd(), cgroup.fd(), attach_type(program.hook), &opts); rc != 0) {
      // All or none: a cgroup with some of the hooks would refuse IPv4 and not IPv6.
      for (const SocketProgram* done : attached)
        bpf_prog_detach2(done->program.fd(), cgroup.fd(), attach_type(done->hook));
      const int err = -rc;
      return make_error(err == EPERM ? ErrorKind::Permission : ErrorKind::System,
                        "cannot attach the socket program on " + where(cgroup, program.hook) + ": " +
                            std::strerror(err) + "; none of the socket programs is attached",
                        err, err == EPERM ? "attaching needs root (CAP_BPF and CAP_NET_ADMIN)" : "");
    }
    attached.push_back(&program);
  }
  return {};
}

Result<void> detach(const Cgroup& cgroup, const std::vector<SocketProgram>& programs) {
  for (const SocketProgram& program : programs) {
    int rc = bpf_prog_detach2(program.program.fd(), cgroup.fd(), attach_type(program.hook));
    if (rc != 0 && rc != -ENOENT)
      return make_error(
          ErrorKind::System,
          "cannot detach the socket program from " + where(cgroup, program.hook) + ": " + std::strerror(-rc), -rc);
  }
  return {};
}

Result<std::vector<AttachedProgram>> attached_programs(const Cgroup& cgroup, SocketHook hook) {
  return cgroup::programs_at(cgroup, attach_type(hook), where(cgroup, hook));
}

Result<std::size_t> detach_bpffw_socket_programs(const Cgroup& cgroup, Direction direction) {
  std::size_t detached = 0;
  for (SocketHook hook : socket_hooks(direction)) {
    auto programs = attached_programs(cgroup, hook);
    if (!programs) return tl::unexpected(programs.error());
    for (const AttachedProgram& program : *programs) {
      if (!program.is_bpffw) continue;
      detail::UniqueFd fd(bpf_prog_get_fd_by_id(program.id));
      if (fd.get() < 0) continue;  // gone since the listing
      int rc = bpf_prog_detach2(fd.get(), cgroup.fd(), attach_type(hook));
      if (rc == -ENOENT) continue;  // someone else detached it meanwhile
      if (rc != 0)
        return make_error(ErrorKind::System,
                          "cannot detach program " + std::to_string(program.id) + " from " + where(cgroup, hook) +
                              ": " + std::strerror(-rc),
                          -rc);
      ++detached;
    }
  }
  return detached;
}

Result<std::vector<SocketProgram>> take_off_bpffw_socket_programs(const Cgroup& cgroup, Direction direction) {
  std::vector<SocketProgram> taken;
  for (SocketHook hook : socket_hooks(direction)) {
    auto programs = attached_programs(cgroup, hook);
    if (!programs) {
      (void)attach(taken, cgroup);
      return tl::unexpected(programs.error());
    }
    for (const AttachedProgram& there : *programs) {
      if (!there.is_bpffw) continue;
      auto program = Program::open_id(there.id);
      if (!program) continue;  // gone since the listing
      int rc = bpf_prog_detach2(program->fd(), cgroup.fd(), attach_type(hook));
      if (rc == -ENOENT) continue;
      if (rc != 0) {
        (void)attach(taken, cgroup);
        return make_error(ErrorKind::System,
                          "cannot take the socket program " + std::to_string(there.id) + " off " + where(cgroup, hook) +
                              ": " + std::strerror(-rc),
                          -rc);
      }
      taken.push_back(SocketProgram{hook, std::move(*program)});
    }
  }
  return taken;
}

}  // namespace bpffw
