// The socket programs of a filter (docs/filter-language.md §10): one module with a
// cgroup/sock_addr program per hook of its direction (egress connect4, connect6, sendmsg4,
// sendmsg6; ingress bind4, bind6), each evaluating flow::may_pass's condition on what its hook
// knows and returning 0 (the caller gets EPERM) when it is 0. They share the packet program's named sets and parameters
// (the loader reuses its maps).
#pragma once

#include <memory>

#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>

#include <bpffw/direction.hpp>

#include "codegen/runtime_spec.hpp"
#include "parser/ast.hpp"

namespace llvm {
class TargetMachine;
}

namespace bpffw::codegen {

// The conditions a filter's socket programs evaluate (flow::may_pass), under one root so that one
// plan of rule lists (rule_lists.hpp) serves them all. Egress: the root is the condition on the
// flow's first packets. Ingress: an || of two, on the packets to the address bound and on those to
// a socket bound to 0.0.0.0 or :: (flow::Judged::ToBoundAddress, ToBoundWildcard).
struct SocketConditions {
  Direction direction;
  const ast::Expr& root;
  const ast::Expr& first_packets() const { return root; }
  const ast::Expr& to_address() const { return *std::get<ast::Logical>(root.node).operands.at(0); }
  const ast::Expr& to_wildcard() const { return *std::get<ast::Logical>(root.node).operands.at(1); }
};

// `runtime`: the packet program's sets and parameters, the conditions' rule lists, no counters or
// metadata; the log, shared with the packet program, where it has one.
std::unique_ptr<llvm::Module> build_socket_module(llvm::LLVMContext& context, const llvm::TargetMachine& target,
                                                  const SocketConditions& conditions, const RuntimeSpec& runtime);

}  // namespace bpffw::codegen
