// Named sets (docs/filter-language.md §9): a lookup in the program's set maps instead of a compare
// tree, O(1) in the set's size. The program reads each set's current generation once, then looks
// up keys tagged with it (lib/layout/map_layout.hpp), so a set replaced whole is seen all old or
// all new.
#pragma once

#include <cstdint>

#include <llvm/IR/IRBuilder.h>

#include "codegen/packet_reads.hpp"
#include "parser/ast.hpp"

namespace bpffw::codegen {

// Branches to on_true when the i64 `value` is in integer set `set`. With `state_here` the set's
// state is read at the builder's position (PacketFields::set_states_here).
void emit_integer_set_lookup(llvm::IRBuilder<>& builder, llvm::Value* value, std::uint32_t set,
                             llvm::BasicBlock* on_true, llvm::BasicBlock* on_false, bool state_here = false);

// Branches to on_true when the packet has address `variable` and it lies in a prefix of `set`.
void emit_address_set_lookup(llvm::IRBuilder<>& builder, const PacketFields& fields, ast::Variable variable,
                             std::uint32_t set, llvm::BasicBlock* on_true, llvm::BasicBlock* on_false);

}  // namespace bpffw::codegen
