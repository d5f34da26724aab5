// Build-time tool: assembles the packet parser (prologue_asm.cpp) with LLVM's BPF assembler and
// writes its machine code as C++ arrays, which prologue.cpp puts into every program. Assembling
// the text on every compile cost ~0.4 ms of a ~1.3 ms warm compile; the bytes cost nothing.
//   bpffw-encode-parser OUTPUT.inc
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

#include "codegen/prologue_asm.hpp"
#include "codegen/target.hpp"

namespace {

[[noreturn]] void fail(const std::string& message) {
  std::fprintf(stderr, "bpffw-encode-parser: %s\n", message.c_str());
  std::exit(1);
}

// The .text bytes of `text` assembled for BPF (the CPU version the compiler targets). The parser
// must be self-contained: any relocation (a symbol, a map) would be lost, so one is an error.
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
  if (argc != 2) fail("usage: bpffw-encode-parser OUTPUT.inc");
  bpffw::codegen::initialize_bpf_target();
  using bpffw::codegen::packet_parser_asm;

  std::ofstream out(argv[1]);
  out << "// Generated at build time by bpffw-encode-parser from lib/codegen/prologue_asm.cpp: do not edit.\n"
         "// BPF machine code, 8 bytes per instruction slot.\n";
  write_array(out, "kPacketParserWithPorts", assemble(packet_parser_asm(true)));
  write_array(out, "kPacketParserWithoutPorts", assemble(packet_parser_asm(false)));
  // For tests only (parser_variant.hpp): every header read with the helper.
  write_array(out, "kPacketParserWithPortsHelperOnly", assemble(packet_parser_asm(true, false)));
  write_array(out, "kPacketParserWithoutPortsHelperOnly", assemble(packet_parser_asm(false, false)));
  out.close();
  if (!out) fail(std::string("cannot write ") + argv[1]);
  return 0;
}
