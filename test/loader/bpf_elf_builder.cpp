#include "loader/bpf_elf_builder.hpp"

#include <cstring>

#include <elf.h>

namespace bpffw::test {

namespace {

template <class T>
void append(std::vector<unsigned char>& out, const T& value) {
  const auto* bytes = reinterpret_cast<const unsigned char*>(&value);
  out.insert(out.end(), bytes, bytes + sizeof value);
}

void align(std::vector<unsigned char>& out, std::size_t to) {
  while (out.size() % to) out.push_back(0);
}

}  // namespace

ObjectFile build_bpf_object(const std::vector<BpfInsn>& insns, const std::string& name) {
  // One string table serves as both section-name and symbol-name table.
  std::string strings(1, '\0');
  auto add_string = [&](const std::string& s) {
    auto offset = static_cast<Elf64_Word>(strings.size());
    strings += s;
    strings += '\0';
    return offset;
  };
  Elf64_Word program_name = add_string("cgroup_skb/ingress");
  Elf64_Word license_name = add_string("license");
  Elf64_Word symtab_name = add_string(".symtab");
  Elf64_Word strtab_name = add_string(".strtab");
  Elf64_Word symbol_name = add_string(name);

  std::vector<unsigned char> out(sizeof(Elf64_Ehdr), 0);
  std::size_t text_offset = out.size();
  for (const BpfInsn& insn : insns) append(out, insn);
  std::size_t text_size = out.size() - text_offset;

  std::size_t license_offset = out.size();
  const char license[] = "GPL";
  out.insert(out.end(), license, license + sizeof license);

  align(out, 8);
  std::size_t symtab_offset = out.size();
  append(out, Elf64_Sym{});
  Elf64_Sym function{};
  function.st_name = symbol_name;
  function.st_info = ELF64_ST_INFO(STB_GLOBAL, STT_FUNC);
  function.st_shndx = 1;
  function.st_size = text_size;
  append(out, function);
  std::size_t symtab_size = out.size() - symtab_offset;

  std::size_t strtab_offset = out.size();
  out.insert(out.end(), strings.begin(), strings.end());

  align(out, 8);
  std::size_t section_headers = out.size();
  auto section = [&](Elf64_Word name_offset, Elf64_Word type, Elf64_Xword flags, std::size_t offset, std::size_t size,
                     Elf64_Word link, Elf64_Word info, Elf64_Xword alignment, Elf64_Xword entsize) {
    Elf64_Shdr header{};
    header.sh_name = name_offset;
    header.sh_type = type;
    header.sh_flags = flags;
    header.sh_offset = offset;
    header.sh_size = size;
    header.sh_link = link;
    header.sh_info = info;
    header.sh_addralign = alignment;
    header.sh_entsize = entsize;
    append(out, header);
  };
  append(out, Elf64_Shdr{});                                                                               // 0
  section(program_name, SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR, text_offset, text_size, 0, 0, 8, 0);      // 1
  section(license_name, SHT_PROGBITS, SHF_ALLOC | SHF_WRITE, license_offset, sizeof license, 0, 0, 1, 0);  // 2
  section(symtab_name, SHT_SYMTAB, 0, symtab_offset, symtab_size, 4, 1, 8, sizeof(Elf64_Sym));             // 3
  section(strtab_name, SHT_STRTAB, 0, strtab_offset, strings.size(), 0, 0, 1, 0);                          // 4

  Elf64_Ehdr header{};
  std::memcpy(header.e_ident, ELFMAG, SELFMAG);
  header.e_ident[EI_CLASS] = ELFCLASS64;
  header.e_ident[EI_DATA] = ELFDATA2LSB;
  header.e_ident[EI_VERSION] = EV_CURRENT;
  header.e_type = ET_REL;
  header.e_machine = EM_BPF;
  header.e_version = EV_CURRENT;
  header.e_shoff = section_headers;
  header.e_ehsize = sizeof(Elf64_Ehdr);
  header.e_shentsize = sizeof(Elf64_Shdr);
  header.e_shnum = 5;
  header.e_shstrndx = 4;
  std::memcpy(out.data(), &header, sizeof header);
  return ObjectFile{std::move(out)};
}

}  // namespace bpffw::test
