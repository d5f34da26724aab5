// The packet-parsing prologue of a cgroup_skb program (spec §5): finds the IP version, the
// transport protocol, fragments and ports, and sends malformed packets to a drop block.
// Expression lowering only asks it for variables; it knows nothing of parsing.
#pragma once

#include <array>

#include <llvm/IR/IRBuilder.h>

#include "codegen/variables.hpp"

namespace bpffw::codegen {

// The packet variables as i64 values, valid in the block where emit_prologue left the builder
// and in every block it dominates.
class PacketFields {
 public:
  // nullptr for a variable that was not asked for.
  llvm::Value* get(ast::Variable variable) const { return values_[static_cast<std::size_t>(variable)]; }
  void set(ast::Variable variable, llvm::Value* value) { values_[static_cast<std::size_t>(variable)] = value; }

 private:
  std::array<llvm::Value*, std::size(ast::kAllVariables)> values_{};
};

// Emits the prologue at the builder's insertion point, which must be the function's entry block
// (the prologue puts its stack buffer there). `skb` is the program's context (struct __sk_buff *).
// Malformed packets branch to `malformed`. Loads only what the variables in `wanted` need, but
// checks for malformed packets whenever `wanted` is not empty.
PacketFields emit_prologue(llvm::IRBuilder<>& builder, llvm::Value* skb, const VariableSet& wanted,
                           llvm::BasicBlock* malformed);

}  // namespace bpffw::codegen
