#include "cache/build_id.hpp"

#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

namespace bpffw::cache {
namespace {

std::string hex(std::span<const unsigned char> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string text;
  for (unsigned char byte : bytes) {
    text += kDigits[byte >> 4];
    text += kDigits[byte & 15];
  }
  return text;
}

std::size_t aligned4(std::size_t size) { return (size + 3) & ~std::size_t{3}; }

// The build id among the notes of one PT_NOTE segment.
std::string build_id_in_notes(std::span<const unsigned char> notes) {
  std::size_t at = 0;
  while (notes.size() - at >= sizeof(ElfW(Nhdr))) {
    ElfW(Nhdr) header;
    std::memcpy(&header, notes.data() + at, sizeof header);
    at += sizeof header;
    std::size_t name_size = aligned4(header.n_namesz), desc_size = aligned4(header.n_descsz);
    if (name_size > notes.size() - at || desc_size > notes.size() - at - name_size) break;
    const unsigned char* name = notes.data() + at;
    const unsigned char* desc = name + name_size;
    if (header.n_type == NT_GNU_BUILD_ID && header.n_namesz == 4 && std::memcmp(name, "GNU", 4) == 0)
      return hex({desc, header.n_descsz});
    at += name_size + desc_size;
  }
  return {};
}

bool read_at(int fd, void* into, std::size_t size, off_t offset) {
  return ::pread(fd, into, size, offset) == static_cast<ssize_t>(size);
}

struct Search {
  const void* address;
  std::string id;
};

}  // namespace

std::string build_id_of_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return {};
  std::string id;
  ElfW(Ehdr) elf;
  if (read_at(fd, &elf, sizeof elf, 0) && std::memcmp(elf.e_ident, ELFMAG, SELFMAG) == 0 &&
      elf.e_ident[EI_CLASS] == (sizeof(void*) == 8 ? ELFCLASS64 : ELFCLASS32) &&
      elf.e_phentsize == sizeof(ElfW(Phdr))) {
    for (unsigned i = 0; i < elf.e_phnum && id.empty(); ++i) {
      ElfW(Phdr) segment;
      if (!read_at(fd, &segment, sizeof segment, static_cast<off_t>(elf.e_phoff + i * sizeof segment))) break;
      if (segment.p_type != PT_NOTE || segment.p_filesz > (1u << 16)) continue;
      std::vector<unsigned char> notes(segment.p_filesz);
      if (read_at(fd, notes.data(), notes.size(), static_cast<off_t>(segment.p_offset))) id = build_id_in_notes(notes);
    }
  }
  ::close(fd);
  return id;
}

std::string build_id_of_binary_holding(const void* address) {
  Search search{address, {}};
  ::dl_iterate_phdr(
      [](dl_phdr_info* info, std::size_t, void* data) {
        auto* search = static_cast<Search*>(data);
        auto wanted = reinterpret_cast<ElfW(Addr)>(search->address);
        bool holds = false;
        for (ElfW(Half) i = 0; i < info->dlpi_phnum; ++i) {
          const ElfW(Phdr)& segment = info->dlpi_phdr[i];
          ElfW(Addr) start = info->dlpi_addr + segment.p_vaddr;
          if (segment.p_type == PT_LOAD && wanted >= start && wanted < start + segment.p_memsz) holds = true;
        }
        if (!holds) return 0;
        for (ElfW(Half) i = 0; i < info->dlpi_phnum && search->id.empty(); ++i) {
          const ElfW(Phdr)& segment = info->dlpi_phdr[i];
          if (segment.p_type == PT_NOTE)
            search->id = build_id_in_notes(
                {reinterpret_cast<const unsigned char*>(info->dlpi_addr + segment.p_vaddr), segment.p_memsz});
        }
        return 1;
      },
      &search);
  return search.id;
}

}  // namespace bpffw::cache
