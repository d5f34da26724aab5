// The BPF target of LLVM: registered once per process, one TargetMachine per thread and
// optimization level (a TargetMachine is not safe to share between threads that emit code).
#pragma once

namespace llvm {
class TargetMachine;
}

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

}  // namespace bpffw::codegen
