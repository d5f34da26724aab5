// Expression lowering: AST -> LLVM IR on i64 values, docs/filter-language.md §6.1, with nothing that is undefined
// behaviour in LLVM IR. `&&`, `||`, `!` and `?:` become branches (short-circuit), so that long
// chains need no stack: an i1 `or` chain of thousands of terms overflows the BPF stack.
#pragma once

#include <llvm/IR/IRBuilder.h>

#include "codegen/packet_reads.hpp"
#include "parser/ast.hpp"

namespace bpffw::codegen {

// Emits `expr` at the builder's insertion point, continuing in `on_true` when its value is
// non-zero and in `on_false` otherwise. Variables come from `fields`.
void lower_branch(llvm::IRBuilder<>& builder, const PacketFields& fields, const ast::Expr& expr,
                  llvm::BasicBlock* on_true, llvm::BasicBlock* on_false);

// Emits, for a packet on which `expr` has the value `value` (true: non-zero), what names the
// part of `expr` that decided it, as InterpretResult::decided_by does: the span of a part (not &&,
// ||, ! or ?:), as an i64 offset | length << 32 in the filter's source. It evaluates what it must
// of `expr` again, in written order (the lowering of lower_branch may reorder a chain's operands),
// and only that: for `a && b && c` false, a and b until one is false; for `a || b` false, nothing.
// The builder ends in the block where the value is available.
llvm::Value* lower_decider(llvm::IRBuilder<>& builder, const PacketFields& fields, const ast::Expr& expr, bool value);

// Emits `expr` and returns its i64 value; the builder ends in the block where it is available.
llvm::Value* lower_value(llvm::IRBuilder<>& builder, const PacketFields& fields, const ast::Expr& expr);

}  // namespace bpffw::codegen
