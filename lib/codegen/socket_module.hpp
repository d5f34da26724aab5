// The socket programs of an egress filter (docs/filter-language.md §10): one module with a
// cgroup/sock_addr program per hook (connect4, connect6, sendmsg4, sendmsg6), each evaluating
// flow::may_pass's condition on what its hook knows and returning 0 (the caller gets EPERM) when
// it is 0. They share the packet program's named sets and parameters (the loader reuses its maps).
#pragma once

#include <memory>

#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>

#include "codegen/runtime_spec.hpp"
#include "parser/ast.hpp"

namespace llvm {
class TargetMachine;
}

namespace bpffw::codegen {

// `condition`: flow::may_pass of the filter; `runtime`: the packet program's sets and parameters,
// the condition's rule lists, no counters, log or metadata.
std::unique_ptr<llvm::Module> build_socket_module(llvm::LLVMContext& context, const llvm::TargetMachine& target,
                                                  const ast::Expr& condition, const RuntimeSpec& runtime);

}  // namespace bpffw::codegen
