// The middle-end passes a filter module goes through, chosen for what pays off on these modules
// rather than LLVM's general -O2 pipeline (whose compare folding, jump threading and dominator
// updates grow super-linearly on long chains of terms). The lowering already emits short-circuit
// branches, set trees and the block order the backend keeps, and the packet parser is assembly
// (packet_reads.cpp), so what is left to do is local redundancy:
//   -O0:     mem2reg;
//   -O1..3:  SROA, then EarlyCSE, which shares the loads and compares the lowering repeats.
// No stack slot the lowering emits today can be promoted (the ParsedPacket goes to the inline
// asm, the counter key to a helper, the search value is volatile), so mem2reg and SROA change
// nothing now; they keep a slot a later change adds out of the 512 bytes of BPF stack.
// InstCombine is left out: it changes the programs' size little, either way, and multiplies the
// compile work on long chains (bench/RESULTS.md, "Issue 13: middle-end passes re-measured").
// Also: the verifier's limit on conditional branches in a row, checked on the optimized IR.
#pragma once

#include <cstddef>

namespace llvm {
class Function;
class Module;
class TargetMachine;
}  // namespace llvm

namespace bpffw::codegen {

void optimize_module(llvm::Module& module, llvm::TargetMachine& target, unsigned optimization_level);

// The most conditional branches on one path from the entry (a loop body, should one appear,
// counted as often as the bound in the definition). The kernel verifier keeps one pending state
// per undecided branch on the path it explores and refuses a program beyond 8,192 ("the sequence
// of 8193 jumps is too complex").
std::size_t longest_branch_path(const llvm::Function& function);

// Leaves room for what the count does not see (instructions the backend expands into branches,
// the packet parser's own inside its inline asm).
inline constexpr std::size_t kMaxBranchPath = 7000;

}  // namespace bpffw::codegen
