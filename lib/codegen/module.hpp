// The LLVM module of one filter: a cgroup_skb program `bpffw_filter` in section "cgroup/skb",
// the packet parser followed by the lowered expression, and a license.
#pragma once

#include <memory>

#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>

#include "codegen/packet_reads.hpp"
#include "codegen/runtime_maps.hpp"
#include "parser/ast.hpp"

namespace llvm {
class TargetMachine;
}

namespace bpffw::codegen {

// libbpf 1.1.2 maps "cgroup/skb" to BPF_PROG_TYPE_CGROUP_SKB with expected_attach_type 0
// (ingress); the kernel lets such a program (returning only 0 or 1) attach to egress as well.
inline constexpr const char* kProgramSection = "cgroup/skb";

// The unoptimized module; the caller verifies and optimizes it. `runtime` adds counters,
// parameters and metadata (runtime_maps.hpp) and gives the direction; the default adds none.
// `parsers`: the packet parser's machine code, the product's unless a test passes others.
std::unique_ptr<llvm::Module> build_module(llvm::LLVMContext& context, const llvm::TargetMachine& target,
                                           const ast::Expr& filter, const RuntimeSpec& runtime = {},
                                           const PacketParserBytes& parsers = product_packet_parsers());

// The license section loaders expect.
void add_license(llvm::Module& module);

}  // namespace bpffw::codegen
