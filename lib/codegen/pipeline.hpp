// The middle-end passes a filter module goes through, chosen for what pays off on these modules
// rather than LLVM's general -O2 pipeline (whose compare folding, jump threading and dominator
// updates grow super-linearly on 10,000-term filters: 38 s for 6,000 terms, measured). The
// lowering already emits short-circuit branches, set trees and the block order the backend keeps,
// so what is left to do is register promotion and local redundancy:
//   -O0:     mem2reg (the prologue's stack slots; BPF has 512 bytes of stack);
//   -O1..3:  SROA and EarlyCSE. InstCombine no longer pays: with the prologue's explicit control
//            flow it made F1 larger (1,712 against 1,672 B xlated; 1,825 against 1,743 verified)
//            and cost 0.5 ms of a 4.9 ms compile; on 2,000-term chains it took 0.7 s.
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

// The most conditional branches on one path from the entry (a loop body counted as often as it can
// run, see the definition). The kernel verifier keeps one pending state per undecided branch on the
// path it explores and refuses a program beyond 8,192 ("the sequence of 8193 jumps is too complex").
std::size_t longest_branch_path(const llvm::Function& function);

// Leaves room for what the count does not see (instructions the backend expands into branches).
inline constexpr std::size_t kMaxBranchPath = 7000;

}  // namespace bpffw::codegen
