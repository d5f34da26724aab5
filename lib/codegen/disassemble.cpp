#include "codegen/disassemble.hpp"

#include <linux/bpf.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>

#include <llvm/MC/MCAsmInfo.h>
#include <llvm/MC/MCContext.h>
#include <llvm/MC/MCDisassembler/MCDisassembler.h>
#include <llvm/MC/MCInst.h>
#include <llvm/MC/MCInstPrinter.h>
#include <llvm/MC/MCInstrInfo.h>
#include <llvm/MC/MCRegisterInfo.h>
#include <llvm/MC/MCSubtargetInfo.h>
#include <llvm/MC/MCTargetOptions.h>
#include <llvm/MC/TargetRegistry.h>
#include <llvm/Object/ObjectFile.h>
#include <llvm/Support/Format.h>
#include <llvm/Support/MemoryBuffer.h>
#include <llvm/Support/raw_ostream.h>
#include <llvm/TargetParser/Triple.h>

#include "codegen/emit.hpp"
#include "codegen/module.hpp"
#include "codegen/packet_parser.hpp"
#include "codegen/runtime_maps.hpp"
#include "codegen/target.hpp"
#include "parser/filter_access.hpp"

namespace bpffw::codegen {
namespace {

tl::unexpected<Error> internal(std::string message) {
  return make_error(ErrorKind::Internal, std::move(message), 0, "please report this bug with the filter text");
}

// The MC layer objects a disassembler and an instruction printer need, owned together.
struct Disassembler {
  std::unique_ptr<llvm::MCRegisterInfo> registers;
  std::unique_ptr<llvm::MCAsmInfo> asm_info;
  std::unique_ptr<llvm::MCSubtargetInfo> subtarget;
  std::unique_ptr<llvm::MCInstrInfo> instructions;
  std::unique_ptr<llvm::MCContext> context;
  std::unique_ptr<llvm::MCDisassembler> decoder;
  std::unique_ptr<llvm::MCInstPrinter> printer;
};

Result<Disassembler> make_disassembler() {
  initialize_bpf_target();
  std::string error;
  const llvm::Target* target = llvm::TargetRegistry::lookupTarget(kTargetTriple, error);
  if (target == nullptr) return internal("the BPF target of LLVM is not available: " + error);
  llvm::Triple triple(kTargetTriple);
  Disassembler d;
  d.registers.reset(target->createMCRegInfo(kTargetTriple));
  llvm::MCTargetOptions options;
  d.asm_info.reset(target->createMCAsmInfo(*d.registers, kTargetTriple, options));
  d.subtarget.reset(target->createMCSubtargetInfo(kTargetTriple, kTargetCpu, ""));
  d.instructions.reset(target->createMCInstrInfo());
  if (!d.registers || !d.asm_info || !d.subtarget || !d.instructions) {
    return internal("the BPF disassembler of LLVM is not available");
  }
  d.context = std::make_unique<llvm::MCContext>(triple, d.asm_info.get(), d.registers.get(), d.subtarget.get());
  d.decoder.reset(target->createMCDisassembler(*d.subtarget, *d.context));
  d.printer.reset(target->createMCInstPrinter(triple, d.asm_info->getAssemblerDialect(), *d.asm_info, *d.instructions,
                                              *d.registers));
  if (!d.decoder || !d.printer) return internal("the BPF disassembler of LLVM is not available");
  return d;
}

std::string hex_bytes(llvm::ArrayRef<std::uint8_t> bytes) {
  std::string text;
  char part[4];
  for (std::uint8_t byte : bytes) {
    std::snprintf(part, sizeof part, "%s%02x", text.empty() ? "" : " ", byte);
    text += part;
  }
  return text;
}

// The packet parser's labels in the program, by instruction slot: "packet_parser.ipv4_tcp". The
// parser is machine code assembled at build time (packet_reads.cpp), so its names are found again
// where a variant's bytes lie in the program (once, and again in the drop log's second parse),
// from the text they were assembled from.
std::map<std::uint64_t, std::string> packet_parser_labels_in(llvm::ArrayRef<std::uint8_t> program) {
  std::map<std::uint64_t, std::string> labels;
  const PacketParserBytes& parsers = product_packet_parsers();
  for (unsigned index = 0; index < kPacketParserVariants; ++index) {
    std::span<const unsigned char> parser = parsers[index];
    const std::string text = packet_parser_asm(PacketParserVariant::from_index(index));
    if (parser.empty() || packet_parser_slots(text) * 8 != parser.size()) continue;
    for (auto at = program.begin();
         (at = std::search(at, program.end(), parser.begin(), parser.end())) != program.end(); ++at) {
      const auto start = static_cast<std::uint64_t>(at - program.begin());
      if (start % 8 != 0 || labels.contains(start / 8)) continue;
      for (const PacketParserLabel& label : packet_parser_labels(text))
        labels.emplace(start / 8 + label.slot, "packet_parser." + label.name);
    }
  }
  return labels;
}

// The slot a jump instruction goes to, if `bytes` (8) hold one: BPF_JMP or BPF_JMP32 but a call or
// an exit; its 16-bit offset counts slots from the next one.
std::optional<std::uint64_t> jump_target(llvm::ArrayRef<std::uint8_t> bytes, std::uint64_t slot) {
  const std::uint8_t opcode = bytes[0];
  const std::uint8_t op_class = BPF_CLASS(opcode), op = BPF_OP(opcode);
  if ((op_class != BPF_JMP && op_class != BPF_JMP32) || op == BPF_CALL || op == BPF_EXIT) return std::nullopt;
  const auto offset = static_cast<std::int16_t>(bytes[2] | bytes[3] << 8);
  return slot + 1 + offset;
}

}  // namespace

Result<std::string> disassemble_program(const ObjectFile& object) {
  llvm::StringRef data(reinterpret_cast<const char*>(object.bytes.data()), object.bytes.size());
  auto parsed = llvm::object::ObjectFile::createObjectFile(llvm::MemoryBufferRef(data, "bpffw"));
  if (!parsed) return internal("cannot read the emitted object: " + llvm::toString(parsed.takeError()));

  std::optional<llvm::StringRef> code;
  for (const llvm::object::SectionRef& section : (*parsed)->sections()) {
    auto name = section.getName();
    if (!name || *name != kProgramSection) {
      if (!name) llvm::consumeError(name.takeError());
      continue;
    }
    auto contents = section.getContents();
    if (!contents) return internal("cannot read the program section: " + llvm::toString(contents.takeError()));
    code = *contents;
  }
  if (!code) return internal(std::string("the emitted object has no ") + kProgramSection + " section");

  auto disassembler = make_disassembler();
  if (!disassembler) return tl::unexpected(disassembler.error());
  llvm::ArrayRef<std::uint8_t> bytes(reinterpret_cast<const std::uint8_t*>(code->data()), code->size());

  std::string text;
  llvm::raw_string_ostream out(text);
  out << kProgramName << ":\n";
  const std::map<std::uint64_t, std::string> labels = packet_parser_labels_in(bytes);
  std::uint64_t offset = 0;
  while (offset < bytes.size()) {
    llvm::MCInst instruction;
    std::uint64_t size = 0;
    auto status = disassembler->decoder->getInstruction(instruction, size, bytes.slice(offset), offset, llvm::nulls());
    if (status != llvm::MCDisassembler::Success || size == 0) {
      size = std::min<std::uint64_t>(8, bytes.size() - offset);
      out << llvm::format_decimal(offset / 8, 6) << ":\t" << hex_bytes(bytes.slice(offset, size)) << "\t<unknown>\n";
      offset += size;
      continue;
    }
    std::string printed;
    llvm::raw_string_ostream printed_out(printed);
    disassembler->printer->printInst(&instruction, offset, "", *disassembler->subtarget, printed_out);
    printed_out.flush();
    llvm::StringRef trimmed = llvm::StringRef(printed).trim();
    const std::uint64_t slot = offset / 8;
    if (auto label = labels.find(slot); label != labels.end()) out << label->second << ":\n";
    // Offsets count 8-byte instruction slots, as BPF jump offsets and verifier logs do.
    out << llvm::format_decimal(slot, 6) << ":\t" << hex_bytes(bytes.slice(offset, size)) << "\t" << trimmed;
    if (auto target = jump_target(bytes.slice(offset, size), slot); target && labels.contains(*target))
      out << " <" << labels.at(*target) << ">";
    out << "\n";
    offset += size;
  }
  out.flush();
  return text;
}

}  // namespace bpffw::codegen

namespace bpffw {

Result<std::string> emit_assembly(const Filter& filter, const CompileOptions& options) {
  auto object = codegen::compile_expression(detail::FilterAccess::root(filter), options,
                                            codegen::runtime_spec_for(filter, options));
  if (!object) return tl::unexpected(object.error());
  return codegen::disassemble_program(*object);
}

}  // namespace bpffw
