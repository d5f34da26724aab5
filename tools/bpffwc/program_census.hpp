// Every bpffw program on the host, for `bpffwc stats --all`: what the kernel has loaded (pinned
// or not, attached or not), with where each is pinned, where it is attached, and the socket
// programs loaded beside it. The kernel keeps none of these links, so each is found its own way
// (program_census.cpp says how).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <bpffw/cgroup.hpp>
#include <bpffw/metadata.hpp>
#include <bpffw/program.hpp>

namespace bpffwc {

// One bpffw packet program (named kProgramName, with metadata bpffw can read).
struct CensusProgram {
  std::uint32_t id = 0;
  bpffw::Program program;
  bpffw::ProgramMetadata metadata;
  std::vector<std::string> pins;              // every path on a bpffs it is pinned at, sorted
  std::vector<bpffw::Attachment> attached;    // cgroup (full path) and direction, as find_bpffw_attachments sorts
  std::vector<bpffw::SocketProgram> sockets;  // its socket programs loaded now (§10), in hook order
};

// Every bpffw packet program loaded now, by ascending id. Programs that go away while they are
// looked at are passed over: the census is a snapshot. Needs root (CAP_SYS_ADMIN).
bpffw::Result<std::vector<CensusProgram>> take_census();

// The mount points of every bpffs, from /proc/self/mountinfo (where pins can be).
std::vector<std::string> bpffs_mounts();

}  // namespace bpffwc
