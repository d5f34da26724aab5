// Build-time tool: assembles the packet parser (packet_parser.cpp) with LLVM's BPF assembler and
// writes each variant's machine code as a C++ array, which packet_reads.cpp puts into every
// program, so that no compile pays for assembling the same text again.
//   bpffw-encode-parser OUTPUT.inc               the product's variants (kPacketParsers)
//   bpffw-encode-parser --helper-only OUTPUT.inc  the tests' (kHelperOnlyPacketParsers)
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <llvm/MC/MCAsmBackend.h>
#include <llvm/MC/MCAsmInfo.h>
#include <llvm/MC/MCCodeEmitter.h>
#include <llvm/MC/MCContext.h>
#include <llvm/MC/MCInstrInfo.h>
#include <llvm/MC/MCObjectFileInfo.h>
#include <llvm/MC/MCObjectWriter.h>
#include <llvm/MC/MCParser/MCAsmParser.h>
#include <llvm/MC/MCParser/MCTargetAsmParser.h>
#include <llvm/MC/MCRegisterInfo.h>
#include <llvm/MC/MCStreamer.h>
#include <llvm/MC/MCSubtargetInfo.h>
#include <llvm/MC/MCTargetOptions.h>
#include <llvm/MC/TargetRegistry.h>
#include <llvm/Object/ObjectFile.h>
#include <llvm/Support/MemoryBuffer.h>
#include <llvm/Support/SourceMgr.h>
#include <llvm/Support/raw_ostream.h>
#include <llvm/TargetParser/Triple.h>

#include "codegen/packet_parser.hpp"
#include "codegen/target.hpp"

namespace {

[[noreturn]] void fail(const std::string& message) {
  std::fprintf(stderr, "bpffw-encode-parser: %s\n", message.c_str());
  std::exit(1);
}

// The .text bytes of `text` assembled for BPF (the CPU version the compiler targets). The packet
// parser must be self-contained: any relocation (a symbol, a map) would be lost, so one is an error.
std::vector<unsigned char> assemble(const std::string& text) {
  std::string error;
  const llvm::Target* target = llvm::TargetRegistry::lookupTarget(bpffw::codegen::kTargetTriple, error);
  if (target == nullptr) fail(error);
  llvm::Triple triple(bpffw::codegen::kTargetTriple);
  llvm::MCTargetOptions options;
  std::unique_ptr<llvm::MCRegisterInfo> registers(target->createMCRegInfo(triple.str()));
  std::unique_ptr<llvm::MCAsmInfo> asm_info(target->createMCAsmInfo(*registers, triple.str(), options));
  std::unique_ptr<llvm::MCSubtargetInfo> subtarget(
      target->createMCSubtargetInfo(triple.str(), bpffw::codegen::kTargetCpu, ""));
  std::unique_ptr<llvm::MCInstrInfo> instructions(target->createMCInstrInfo());

  llvm::SourceMgr sources;
  sources.AddNewSourceBuffer(llvm::MemoryBuffer::getMemBuffer(text, "packet parser"), llvm::SMLoc());
  llvm::MCContext context(triple, asm_info.get(), registers.get(), subtarget.get(), &sources);
  std::unique_ptr<llvm::MCObjectFileInfo> files(target->createMCObjectFileInfo(context, false));
  context.setObjectFileInfo(files.get());

  llvm::SmallVector<char, 0> object;
  llvm::raw_svector_ostream out(object);
  std::unique_ptr<llvm::MCAsmBackend> backend(target->createMCAsmBackend(*subtarget, *registers, options));
  std::unique_ptr<llvm::MCObjectWriter> writer = backend->createObjectWriter(out);
  std::unique_ptr<llvm::MCCodeEmitter> emitter(target->createMCCodeEmitter(*instructions, context));
  std::unique_ptr<llvm::MCStreamer> streamer(target->createMCObjectStreamer(
      triple, context, std::move(backend), std::move(writer), std::move(emitter), *subtarget));
  streamer->initSections(false, *subtarget);
  std::unique_ptr<llvm::MCAsmParser> parser(llvm::createMCAsmParser(sources, context, *streamer, *asm_info));
  std::unique_ptr<llvm::MCTargetAsmParser> target_parser(
      target->createMCAsmParser(*subtarget, *parser, *instructions, options));
  if (!target_parser) fail("LLVM has no BPF assembler");
  parser->setTargetParser(*target_parser);
  if (parser->Run(false)) fail("the packet parser does not assemble (messages above)");

  auto file = llvm::object::ObjectFile::createObjectFile(
      llvm::MemoryBufferRef(llvm::StringRef(object.data(), object.size()), "packet parser"));
  if (!file) fail(llvm::toString(file.takeError()));
  std::vector<unsigned char> bytes;
  for (const llvm::object::SectionRef& section : (*file)->sections()) {
    auto name = section.getName();
    if (!name) fail(llvm::toString(name.takeError()));
    if (section.relocations().begin() != section.relocations().end()) {
      fail("the packet parser has a relocation in " + name->str() + "; it must be self-contained");
    }
    if (*name != ".text") continue;
    auto contents = section.getContents();
    if (!contents) fail(llvm::toString(contents.takeError()));
    bytes.assign(contents->begin(), contents->end());
  }
  if (bytes.empty() || bytes.size() % 8 != 0) fail("the packet parser assembled to no whole instructions");
  return bytes;
}

void write_array(std::ofstream& out, const char* name, const std::vector<unsigned char>& bytes) {
  out << "inline constexpr unsigned char " << name << "[] = {";
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    out << (i % 8 == 0 ? "\n    " : " ") << static_cast<unsigned>(bytes[i]) << ",";
  }
  out << "\n};\n";
}

}  // namespace

int main(int argc, char** argv) {
  bool helper_only = argc == 3 && std::string(argv[1]) == "--helper-only";
  if (argc != 2 && !helper_only) fail("usage: bpffw-encode-parser [--helper-only] OUTPUT.inc");
  const char* path = argv[argc - 1];
  const std::string table = helper_only ? "kHelperOnlyPacketParsers" : "kPacketParsers";
  bpffw::codegen::initialize_bpf_target();

  std::ofstream out(path);
  out << "// Generated at build time by bpffw-encode-parser from lib/codegen/packet_parser.cpp: do not edit.\n"
         "// BPF machine code, 8 bytes per instruction slot, one array per PacketParserVariant::index().\n"
         "#include <span>\n";
  using bpffw::codegen::PacketParserVariant;
  for (unsigned i = 0; i < bpffw::codegen::kPacketParserVariants; ++i)
    write_array(out, (table + "_" + std::to_string(i)).c_str(),
                assemble(bpffw::codegen::packet_parser_asm(PacketParserVariant::from_index(i, helper_only))));
  out << "inline const std::span<const unsigned char> " << table << "[] = {";
  for (unsigned i = 0; i < bpffw::codegen::kPacketParserVariants; ++i) out << table << "_" << i << ", ";
  out << "};\n";
  out.close();
  if (!out) fail(std::string("cannot write ") + path);
  return 0;
}
