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

// For the drop log's decider: the first term, in written order, of the rule list's terms in its
// lookups that the packet meets, and what decides that term (layout::RuleValue), as i64 values
// valid where the builder ends. `term` is kNoRuleTerm when none is met.
inline constexpr std::uint64_t kNoRuleTerm = UINT32_MAX;
struct RuleMatch {
  llvm::Value* term;
  llvm::Value* decider;
};
RuleMatch emit_first_rule_match(llvm::IRBuilder<>& builder, const PacketFields& fields, const RuleLists& lists,
                                const RuleListPlan& plan);

}  // namespace bpffw::codegen
