// The BPF target of LLVM: registered once per process, one TargetMachine per thread and
// optimization level (a TargetMachine is not safe to share between threads that emit code), and
// next to it the object-emission pipeline built once and run on module after module.
#pragma once

#include <vector>

namespace llvm {
class Module;
class TargetMachine;
}  // namespace llvm

namespace bpffw::codegen {

// Little-endian BPF, instruction set v3: jmp32 and alu32, no signed div/mod (that is v4,
// kernel >= 6.6). Programs therefore load on kernels >= 5.10.
inline constexpr const char* kTargetTriple = "bpfel";
inline constexpr const char* kTargetCpu = "v3";

// Registers the BPF target, its MC layer, asm printer and disassembler. Thread-safe, idempotent.
void initialize_bpf_target();

// This thread's TargetMachine for the given optimization level (0..3), created on first use.
// Never null: creation only fails if the BPF target is missing from the link, which is a build bug
// reported by returning nullptr.
llvm::TargetMachine* thread_target_machine(unsigned optimization_level);

// Code generation of `module` (instruction selection to ELF object) with this thread's
// TargetMachine for the level, into `bytes`. Backend errors go to the module's LLVMContext
// diagnostic handler, as with a pass manager of one's own. False if the target cannot emit objects.
//
// Building LLVM's legacy codegen pass manager (addPassesToEmitFile: scheduling ~100 passes and
// their analysis dependencies) was half of a trivial filter's compile (bench/RESULTS.md,
// issue 6), so each thread builds it once per level and reuses it. That
// is the run-twice setup of `llc -compile-twice`: each run's doInitialization/doFinalization reset
// the MachineModuleInfo, its MCContext, the AsmPrinter's handlers and the object streamer.
bool emit_object_file(unsigned optimization_level, llvm::Module& module, std::vector<unsigned char>& bytes);

}  // namespace bpffw::codegen
