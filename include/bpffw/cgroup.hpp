// Attaching programs to cgroup v2 directories: resolving a cgroup argument, telling how far a filter
// there reaches, attach with BPF_F_ALLOW_MULTI, in-place replace with BPF_F_REPLACE, detach, and
// listing what is attached.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <bpffw/direction.hpp>
#include <bpffw/error.hpp>
#include <bpffw/program.hpp>

namespace bpffw {

struct CgroupResolveOptions {
  // Where to read self/mountinfo and self/cgroup. Only tests point it elsewhere.
  std::string proc_root = "/proc";
};

// The mount point of the cgroup v2 hierarchy, from <proc_root>/self/mountinfo.
Result<std::string> find_cgroup2_mount(const CgroupResolveOptions& options = {});

// The cgroup v2 directory of the calling process: the "0::" line of <proc_root>/self/cgroup
// under the cgroup2 mount.
Result<std::string> self_cgroup_path(const CgroupResolveOptions& options = {});

// A cgroup v2 directory, held open (the fd programs attach to). Owns its file descriptor.
class Cgroup {
 public:
  // argument is "self", an absolute path, or a path relative to the cgroup2 mount
  // ("system.slice/foo.service"). The directory must exist on cgroup2: a missing path, a regular
  // file or a cgroup v1 directory is ErrorKind::Usage with a hint.
  static Result<Cgroup> open(std::string_view argument, const CgroupResolveOptions& options = {});

  Cgroup(Cgroup&& other) noexcept;
  Cgroup& operator=(Cgroup&& other) noexcept;
  Cgroup(const Cgroup&) = delete;
  Cgroup& operator=(const Cgroup&) = delete;
  ~Cgroup();

  const std::string& path() const noexcept { return path_; }
  int fd() const noexcept { return fd_; }

 private:
  Cgroup(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  std::string path_;
  int fd_ = -1;
};

// How far a filter attached to a cgroup reaches beyond the one service it is meant for. The library
// only tells; bpffwc refuses the wide ones unless confirmed (--allow-host-wide).
enum class CgroupReach {
  Contained,     // any other cgroup: a service, a scope, a directory made for the filter
  Root,          // the root of the cgroup2 hierarchy: every process of the host (of the container)
  LoginSession,  // in a login session (session-N.scope) or a user's service manager (user@UID.service)
};

struct CgroupClass {
  CgroupReach reach = CgroupReach::Contained;
  std::string component;  // LoginSession: the path component that says so, e.g. "session-3.scope"
};

// Classifies a cgroup by its path relative to the cgroup2 mount ("" or "/" is the root,
// "user.slice/user-0.slice/session-3.scope" a login session), by the words alone: "." and empty
// components are skipped and ".." goes up. A component "session-*.scope" or "user@*.service"
// anywhere in the path makes it LoginSession (a process below one is still in that session).
CgroupClass classify_cgroup_path(std::string_view relative);

// Classifies an open cgroup: Root when it is the root of the hierarchy (the one cgroup without
// cgroup.type) or the root a cgroup namespace mounts (a container's whole /sys/fs/cgroup, compared by
// device and inode), whatever the spelling of its path; otherwise by its path under the cgroup2 mount
// (classify_cgroup_path), or by the path alone when <proc_root>/self/mountinfo cannot be read.
Result<CgroupClass> classify(const Cgroup& cgroup, const CgroupResolveOptions& options = {});

// One program attached to a cgroup in one direction.
struct AttachedProgram {
  std::uint32_t id = 0;
  std::string name;
  bool is_bpffw = false;  // named kProgramName (or a socket program's bpffw_connect4, ...): ours to detach
};

// Attaches with BPF_F_ALLOW_MULTI: programs of systemd and other tools keep running beside it.
Result<void> attach(const Program& program, const Cgroup& cgroup, Direction direction);

// Swaps old_program, attached to cgroup in direction, for new_program in one step
// (BPF_F_REPLACE): every packet meets one of the two, never neither.
Result<void> replace(const Cgroup& cgroup, Direction direction, const Program& old_program, const Program& new_program);

// What replace_all_bpffw did.
struct ReplaceAllOutcome {
  std::uint32_t replaced = 0;           // the bpffw program swapped out in place; 0: none was there (attached)
  std::vector<std::uint32_t> detached;  // the other bpffw programs, detached after the swap
};

// Makes `program` the only bpffw program in that direction, leaving other tools' programs alone:
// with none of ours attached it attaches (as attach()); otherwise it swaps the first bpffw
// program for it in one step (BPF_F_REPLACE) and then detaches the other bpffw programs. Packets
// meet the new program or all the old ones, never none. If the swap fails nothing has changed;
// if a later detach fails the error says which programs are attached now.
Result<ReplaceAllOutcome> replace_all_bpffw(const Program& program, const Cgroup& cgroup, Direction direction);

// Detaches one program. Refuses a program not named kProgramName (another tool's), and says so
// when the program is not attached there.
Result<void> detach(const Cgroup& cgroup, Direction direction, const Program& program);

// Detaches every bpffw program in that direction and returns how many; never another tool's.
// Having none attached is ErrorKind::Usage.
Result<std::size_t> detach_all_bpffw(const Cgroup& cgroup, Direction direction);

// True when `program` is attached to cgroup in direction (false also when that cannot be read).
bool is_attached(const Program& program, const Cgroup& cgroup, Direction direction);

// Every program attached to cgroup in direction (bpffw's and others'), in attach order.
Result<std::vector<AttachedProgram>> attached_programs(const Cgroup& cgroup, Direction direction);

// Attaches a filter's socket programs (Program::load_socket_programs), each at its hook,
// with BPF_F_ALLOW_MULTI: all of them, or, when one fails, none.
Result<void> attach(const std::vector<SocketProgram>& programs, const Cgroup& cgroup);

// Detaches these socket programs, those of them attached.
Result<void> detach(const Cgroup& cgroup, const std::vector<SocketProgram>& programs);

// Every program attached to cgroup at a socket hook (bpffw's and others'), in attach order.
Result<std::vector<AttachedProgram>> attached_programs(const Cgroup& cgroup, SocketHook hook);

// Detaches every bpffw socket program of the cgroup at the hooks of a filter of `direction`
// (socket_hooks) and returns how many (none is no error); never another tool's.
Result<std::size_t> detach_bpffw_socket_programs(const Cgroup& cgroup, Direction direction = Direction::Egress);

// Takes the cgroup's bpffw socket programs off the hooks of a filter of `direction` and returns
// them, held open, to put back with attach() if need be. Before the packet program is swapped:
// while the group is not whole a call is judged by the packets alone, slower but never refused by
// the other filter.
Result<std::vector<SocketProgram>> take_off_bpffw_socket_programs(const Cgroup& cgroup,
                                                                  Direction direction = Direction::Egress);

// One place a program is attached.
struct Attachment {
  std::string cgroup;  // its directory, under the cgroup2 mount
  Direction direction;
};

// One bpffw program attached somewhere.
struct BpffwAttachment {
  Attachment where;
  std::uint32_t program_id = 0;
};

// Every bpffw program attached anywhere under the cgroup2 mount, by cgroup and direction (ingress
// first). Cgroups removed meanwhile are passed over. Needs root.
Result<std::vector<BpffwAttachment>> find_bpffw_attachments(const CgroupResolveOptions& options = {});

// Every cgroup and direction where `program` is attached: the kernel does not keep that list, so
// each directory under the cgroup2 mount is asked (BPF_PROG_QUERY). Cgroups removed meanwhile are
// passed over. Needs root.
Result<std::vector<Attachment>> find_attachments(const Program& program, const CgroupResolveOptions& options = {});

// Swaps new_program in for old_program wherever old_program is attached (find_attachments), each
// in one step (BPF_F_REPLACE: every packet meets one of the two), and returns where. A cgroup
// removed or detached meanwhile is passed over. If a swap fails, the ones done are swapped back
// before the error returns: then every cgroup still has the old program.
Result<std::vector<Attachment>> replace_everywhere(const Program& old_program, const Program& new_program,
                                                   const CgroupResolveOptions& options = {});

}  // namespace bpffw
