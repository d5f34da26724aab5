// Compile once, load anywhere (docs/bpffwc.md): everything Program::load needs of a compiled
// filter, as one file that a host without a compiler loads. A plain ELF object cannot carry it all:
// the named sets' initial items and the rule lists' entries are written into the program's maps
// when it is loaded, and an egress filter (or an ingress one with --refuse-bind) has a second
// object, its socket programs. Reading a bundle needs neither LLVM nor a kernel.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include <bpffw/compiler.hpp>
#include <bpffw/error.hpp>
#include <bpffw/metadata.hpp>

namespace bpffw {

// The bundle's format version: a reader refuses any other.
inline constexpr std::uint32_t kObjectBundleFormat = 1;

struct ObjectBundle {
  ObjectFile packet;                  // for Program::load
  std::optional<ObjectFile> sockets;  // for Program::load_socket_programs, when it has them
  std::string bpffw_version;          // of the bpffw that wrote it
  ProgramMetadata metadata;           // what the packet program says about itself (its .rodata)
};

// The bundle of a packet program and its socket programs (nullptr: none), written by this bpffw:
//   "BPFFWOBJ", format (u32), bpffw version (u32 length, text), records (u32 tag, u64 length,
//   bytes), and an FNV-1a 64 checksum of everything before it; integers little-endian.
std::vector<unsigned char> save_object_bundle(const ObjectFile& packet, const ObjectFile* sockets);

// Reads a bundle. ErrorKind::Usage, with a hint, for anything that is not a whole, undamaged bundle
// of this format written by this very bpffw version (an object's maps and keys are laid out by the
// bpffw that compiled it, and nothing else promises a layout across versions), or whose packet
// program carries no bpffw metadata. A plain ELF object (--emit obj) is refused with a hint.
Result<ObjectBundle> read_object_bundle(std::span<const unsigned char> bytes);

// The metadata of a compiled object, from its ELF (.rodata) without loading it. ErrorKind::Usage
// for an object bpffw did not compile.
Result<ProgramMetadata> read_object_metadata(const ObjectFile& object);

}  // namespace bpffw
