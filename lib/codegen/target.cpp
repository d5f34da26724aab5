#include "codegen/target.hpp"

#include <array>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include <llvm/MC/TargetRegistry.h>
#include <llvm/Support/CommandLine.h>
#include <llvm/Target/TargetMachine.h>
#include <llvm/Target/TargetOptions.h>
#include <llvm/TargetParser/Triple.h>

// Only the BPF target is linked, so its initializers are declared here instead of through
// llvm/Support/TargetSelect.h (which references every target LLVM was built with).
extern "C" {
void LLVMInitializeBPFTargetInfo();
void LLVMInitializeBPFTarget();
void LLVMInitializeBPFTargetMC();
void LLVMInitializeBPFAsmPrinter();
void LLVMInitializeBPFDisassembler();
void LLVMInitializeBPFAsmParser();
}

namespace bpffw::codegen {

void initialize_bpf_target() {
  static std::once_flag once;
  std::call_once(once, [] {
    LLVMInitializeBPFTargetInfo();
    LLVMInitializeBPFTarget();
    LLVMInitializeBPFTargetMC();
    LLVMInitializeBPFAsmPrinter();
    LLVMInitializeBPFDisassembler();
    LLVMInitializeBPFAsmParser();  // the packet parser is inline asm (prologue_asm.hpp)
    // The lowering lays blocks out in the order that makes the common path fall through (the
    // BPF backend cannot invert a branch after placement, so moved blocks cost an extra `goto`
    // per branch). These options are process-wide; this LLVM is linked into bpffw alone.
    const char* argv[] = {"bpffw", "--disable-block-placement"};
    llvm::cl::ParseCommandLineOptions(static_cast<int>(std::size(argv)), argv, "", nullptr, nullptr, true);
  });
}

namespace {

llvm::CodeGenOptLevel codegen_level(unsigned optimization_level) {
  switch (optimization_level) {
    // BPF needs a real register allocator even at -O0: the fast one gives every value its own
    // stack slot and overflows the 512-byte BPF stack on the prologue alone.
    case 0:
    case 1: return llvm::CodeGenOptLevel::Less;
    case 2: return llvm::CodeGenOptLevel::Default;
    default: return llvm::CodeGenOptLevel::Aggressive;
  }
}

std::unique_ptr<llvm::TargetMachine> create_target_machine(unsigned optimization_level) {
  initialize_bpf_target();
  std::string error;
  const llvm::Target* target = llvm::TargetRegistry::lookupTarget(kTargetTriple, error);
  if (target == nullptr) return nullptr;
  llvm::TargetOptions options;
  return std::unique_ptr<llvm::TargetMachine>(target->createTargetMachine(
      kTargetTriple, kTargetCpu, "", options, std::nullopt, std::nullopt,
      codegen_level(optimization_level)));
}

}  // namespace

llvm::TargetMachine* thread_target_machine(unsigned optimization_level) {
  if (optimization_level > 3) optimization_level = 3;
  thread_local std::array<std::unique_ptr<llvm::TargetMachine>, 4> machines;
  auto& machine = machines[optimization_level];
  if (!machine) machine = create_target_machine(optimization_level);
  return machine.get();
}

}  // namespace bpffw::codegen
