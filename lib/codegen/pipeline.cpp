#include "codegen/pipeline.hpp"

#include <algorithm>
#include <unordered_map>

#include <llvm/ADT/PostOrderIterator.h>
#include <llvm/Analysis/AssumptionCache.h>
#include <llvm/Analysis/TargetLibraryInfo.h>
#include <llvm/Analysis/TargetTransformInfo.h>
#include <llvm/IR/CFG.h>
#include <llvm/IR/Dominators.h>
#include <llvm/IR/Function.h>
#include <llvm/IR/Instructions.h>
#include <llvm/IR/Module.h>
#include <llvm/IR/PassInstrumentation.h>
#include <llvm/IR/PassManager.h>
#include <llvm/Target/TargetMachine.h>
#include <llvm/Transforms/Scalar/EarlyCSE.h>
#include <llvm/Transforms/Scalar/SROA.h>
#include <llvm/Transforms/Utils/Mem2Reg.h>

namespace bpffw::codegen {
namespace {

// The lowering emits no loop (the IPv6 extension-header walk, once IR, is unrolled assembly now);
// should a cycle appear, its blocks count this many times, the bound that walk had (8 headers and
// the check that ends it).
constexpr std::size_t kMaxLoopTrips = 9;

}  // namespace

void optimize_module(llvm::Module& module, llvm::TargetMachine& target, unsigned optimization_level) {
  // The analyses these three passes ask for, registered by hand: PassBuilder would register every
  // analysis and pass LLVM has, and linking it pulls all of LLVM's optimizer into bpffwc, whose
  // start-up then registers thousands more command-line options (see bench/RESULTS.md).
  llvm::FunctionAnalysisManager functions;
  llvm::ModuleAnalysisManager modules;
  functions.registerPass([] { return llvm::PassInstrumentationAnalysis(); });
  functions.registerPass([] { return llvm::DominatorTreeAnalysis(); });
  functions.registerPass([] { return llvm::AssumptionAnalysis(); });
  functions.registerPass([] { return llvm::TargetLibraryAnalysis(); });
  functions.registerPass([&] { return target.getTargetIRAnalysis(); });
  functions.registerPass([&] { return llvm::ModuleAnalysisManagerFunctionProxy(modules); });
  modules.registerPass([] { return llvm::PassInstrumentationAnalysis(); });
  modules.registerPass([&] { return llvm::FunctionAnalysisManagerModuleProxy(functions); });

  llvm::FunctionPassManager passes;
  if (optimization_level == 0) {
    passes.addPass(llvm::PromotePass());
  } else {
    passes.addPass(llvm::SROAPass(llvm::SROAOptions::ModifyCFG));
    passes.addPass(llvm::EarlyCSEPass());
  }
  llvm::ModulePassManager module_passes;
  module_passes.addPass(llvm::createModuleToFunctionPassAdaptor(std::move(passes)));
  module_passes.run(module, modules);
}

std::size_t longest_branch_path(const llvm::Function& function) {
  if (function.empty()) return 0;
  // Longest path over the acyclic part of the CFG (back edges dropped), in reverse post-order.
  // A block on a cycle counts its branches kMaxLoopTrips times. No IR bpffw emits has a cycle; the
  // packet parser's branches are inside the inline asm, which this count does not see.
  llvm::ReversePostOrderTraversal<const llvm::Function*> order(&function);
  std::unordered_map<const llvm::BasicBlock*, std::size_t> position;
  for (const llvm::BasicBlock* block : order) position.emplace(block, position.size());
  std::unordered_map<const llvm::BasicBlock*, bool> in_loop;
  for (const llvm::BasicBlock* block : order) {
    for (const llvm::BasicBlock* successor : llvm::successors(block)) {
      if (position.at(successor) <= position.at(block)) {
        // A back edge: every block between the header and this one in RPO is (conservatively)
        // in the loop.
        for (const llvm::BasicBlock* other : order) {
          std::size_t at = position.at(other);
          if (at >= position.at(successor) && at <= position.at(block)) in_loop[other] = true;
        }
      }
    }
  }
  std::unordered_map<const llvm::BasicBlock*, std::size_t> longest;  // branches before the block
  std::size_t result = 0;
  for (const llvm::BasicBlock* block : order) {
    std::size_t here = longest[block];
    const llvm::Instruction* terminator = block->getTerminator();
    std::size_t branches = 0;
    if (const auto* branch = llvm::dyn_cast<llvm::BranchInst>(terminator)) {
      branches = branch->isConditional() ? 1 : 0;
    } else if (const auto* choice = llvm::dyn_cast<llvm::SwitchInst>(terminator)) {
      branches = choice->getNumCases();
    }
    if (in_loop.count(block) != 0) branches *= kMaxLoopTrips;
    std::size_t after = here + branches;
    result = std::max(result, after);
    for (const llvm::BasicBlock* successor : llvm::successors(block)) {
      if (position.at(successor) > position.at(block)) longest[successor] = std::max(longest[successor], after);
    }
  }
  return result;
}

}  // namespace bpffw::codegen
