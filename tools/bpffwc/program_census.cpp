// How every bpffw program is found. The kernel lists loaded programs (BPF_PROG_GET_NEXT_ID) but
// not where they are pinned, attached, or which socket programs belong to which packet program:
//   - programs: every loaded program named kProgramName whose metadata reads; this finds those
//     attached without a pin (--attach), those systemd attached from a pin since replaced, and
//     those only pinned;
//   - pins: every file on every bpffs that opens as one of those programs;
//   - attachments: every cgroup asked (find_bpffw_attachments);
//   - socket programs: loaded programs named bpffw_<hook>, given to their packet program by the
//     first of these that tells: pinned beside its pin (PIN-connect4, ...); sharing maps with it
//     (Program::load_socket_programs makes them use the packet program's sets and parameters, so
//     a filter with either shares maps with its own packet program and no other); attached at
//     the hooks of a cgroup where it is the one bpffw packet program of that direction (--attach
//     attaches the group with its packet program). One left unclaimed is not counted.
#include "program_census.hpp"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <system_error>

namespace bpffwc {
namespace {

namespace fs = std::filesystem;

// A bpffs holds maps and links too: only a program's fd reads as one.
bool is_program_fd(int fd) {
  char target[64] = "";
  const std::string link = "/proc/self/fd/" + std::to_string(fd);
  const ssize_t length = ::readlink(link.c_str(), target, sizeof target - 1);
  return length > 0 && std::string_view(target, static_cast<std::size_t>(length)) == "anon_inode:bpf-prog";
}

std::optional<bpffw::SocketHook> socket_hook_named(const std::string& name) {
  for (bpffw::SocketHook hook : bpffw::kSocketHooks)
    if (name == std::string("bpffw_") + bpffw::to_string(hook)) return hook;
  return std::nullopt;
}

struct LoadedSocketProgram {
  std::uint32_t id = 0;
  bpffw::SocketProgram socket;
  std::vector<std::uint32_t> map_ids;
  bool claimed = false;
};

std::size_t shared_maps(const std::vector<std::uint32_t>& a, const std::vector<std::uint32_t>& b) {
  return static_cast<std::size_t>(std::count_if(
      a.begin(), a.end(), [&](std::uint32_t id) { return std::find(b.begin(), b.end(), id) != b.end(); }));
}

// Pins every file on every bpffs that is one of the census's programs to it.
void find_pins(std::vector<CensusProgram>& programs) {
  std::map<std::uint32_t, CensusProgram*> by_id;
  for (CensusProgram& program : programs) by_id[program.id] = &program;
  for (const std::string& mount : bpffs_mounts()) {
    std::error_code error;
    for (auto it = fs::recursive_directory_iterator(mount, fs::directory_options::skip_permission_denied, error);
         !error && it != fs::recursive_directory_iterator(); it.increment(error)) {
      if (!it->is_regular_file(error)) continue;
      auto pinned = bpffw::Program::open_pinned(it->path().string());
      if (!pinned || !is_program_fd(pinned->fd())) continue;
      auto info = pinned->info();
      if (!info) continue;
      if (auto found = by_id.find(info->id); found != by_id.end()) found->second->pins.push_back(it->path().string());
    }
  }
  for (CensusProgram& program : programs) std::sort(program.pins.begin(), program.pins.end());
}

void claim(LoadedSocketProgram& socket, CensusProgram& program) {
  socket.claimed = true;
  program.sockets.push_back(std::move(socket.socket));
}

LoadedSocketProgram* unclaimed(std::vector<LoadedSocketProgram>& sockets, std::uint32_t id) {
  for (LoadedSocketProgram& socket : sockets)
    if (socket.id == id && !socket.claimed) return &socket;
  return nullptr;
}

void claim_by_pins(std::vector<LoadedSocketProgram>& sockets, std::vector<CensusProgram>& programs) {
  for (CensusProgram& program : programs)
    for (const std::string& pin : program.pins) {
      auto pinned = bpffw::open_pinned_socket_programs(pin);
      if (!pinned) continue;
      for (const bpffw::SocketProgram& socket : *pinned)
        if (auto info = socket.program.info())
          if (LoadedSocketProgram* loaded = unclaimed(sockets, info->id)) claim(*loaded, program);
    }
}

void claim_by_maps(std::vector<LoadedSocketProgram>& sockets, std::vector<CensusProgram>& programs,
                   const std::vector<std::vector<std::uint32_t>>& program_maps) {
  for (LoadedSocketProgram& socket : sockets) {
    if (socket.claimed) continue;
    for (std::size_t i = 0; i < programs.size(); ++i)
      if (shared_maps(socket.map_ids, program_maps[i]) > 0) {
        claim(socket, programs[i]);
        break;
      }
  }
}

void claim_by_cgroups(std::vector<LoadedSocketProgram>& sockets, std::vector<CensusProgram>& programs) {
  for (CensusProgram& program : programs)
    for (const bpffw::Attachment& where : program.attached) {
      // Only where it is the one bpffw packet program of its direction: otherwise the group there
      // may be another's.
      const auto same_place = [&](const CensusProgram& other) {
        return std::any_of(other.attached.begin(), other.attached.end(), [&](const bpffw::Attachment& a) {
          return a.cgroup == where.cgroup && a.direction == where.direction;
        });
      };
      if (std::count_if(programs.begin(), programs.end(), same_place) != 1) continue;
      auto cgroup = bpffw::Cgroup::open(where.cgroup);
      if (!cgroup) continue;
      for (bpffw::SocketHook hook : bpffw::socket_hooks(where.direction)) {
        auto attached = bpffw::attached_programs(*cgroup, hook);
        if (!attached) continue;
        for (const bpffw::AttachedProgram& socket : *attached)
          if (LoadedSocketProgram* loaded = unclaimed(sockets, socket.id)) claim(*loaded, program);
      }
    }
}

}  // namespace

std::vector<std::string> bpffs_mounts() {
  std::vector<std::string> mounts;
  std::ifstream mountinfo("/proc/self/mountinfo");
  for (std::string line; std::getline(mountinfo, line);) {
    // "36 25 0:31 / /sys/fs/bpf rw,... shared:15 - bpf bpf rw,mode=700": the mount point is the
    // fifth field, the type the first after " - ".
    const std::size_t dash = line.find(" - ");
    if (dash == std::string::npos) continue;
    std::istringstream head(line.substr(0, dash)), tail(line.substr(dash + 3));
    std::string field, point, type;
    for (int i = 0; i < 4 && head >> field; ++i) {}
    head >> point;
    tail >> type;
    if (type == "bpf" && std::find(mounts.begin(), mounts.end(), point) == mounts.end()) mounts.push_back(point);
  }
  return mounts;
}

bpffw::Result<std::vector<CensusProgram>> take_census() {
  auto ids = bpffw::Program::loaded_ids();
  if (!ids) return tl::unexpected(ids.error());
  std::vector<CensusProgram> programs;
  std::vector<LoadedSocketProgram> sockets;
  std::vector<std::vector<std::uint32_t>> program_maps;
  for (std::uint32_t id : *ids) {
    auto program = bpffw::Program::open_id(id);
    if (!program) continue;  // unloaded since the listing
    auto info = program->info();
    if (!info) continue;
    if (auto hook = socket_hook_named(info->name)) {
      sockets.push_back({id, bpffw::SocketProgram{*hook, std::move(*program)}, info->map_ids});
      continue;
    }
    if (info->name != bpffw::kProgramName) continue;
    auto metadata = bpffw::read_metadata(*program);
    if (!metadata) continue;  // another tool's program of the same name
    programs.push_back({id, std::move(*program), std::move(*metadata), {}, {}, {}});
    program_maps.push_back(info->map_ids);
  }
  find_pins(programs);
  auto attachments = bpffw::find_bpffw_attachments();
  if (!attachments) return tl::unexpected(attachments.error());
  for (const bpffw::BpffwAttachment& attachment : *attachments)
    for (CensusProgram& program : programs)
      if (program.id == attachment.program_id) program.attached.push_back(attachment.where);
  claim_by_pins(sockets, programs);
  claim_by_maps(sockets, programs, program_maps);
  claim_by_cgroups(sockets, programs);
  for (CensusProgram& program : programs)
    std::stable_sort(program.sockets.begin(), program.sockets.end(),
                     [](const bpffw::SocketProgram& a, const bpffw::SocketProgram& b) { return a.hook < b.hook; });
  return programs;
}

}  // namespace bpffwc
