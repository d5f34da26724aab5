// A rule list's lookups (rule_lists.hpp plans them): per shape, its flags and its address family
// tested, the key built from the packet on the stack, one lookup in the rule map.
#pragma once

#include <cstdint>

#include <llvm/IR/IRBuilder.h>

#include "codegen/packet_reads.hpp"
#include "codegen/rule_lists.hpp"

namespace bpffw::codegen {

// Branches to on_true when a shape of `plan` finds the packet's key in its rule map (whose key
// sizes `lists` gives), to on_false when none does.
void emit_rule_lookups(llvm::IRBuilder<>& builder, const PacketFields& fields, const RuleLists& lists,
                       const RuleListPlan& plan, llvm::BasicBlock* on_true, llvm::BasicBlock* on_false);

}  // namespace bpffw::codegen
