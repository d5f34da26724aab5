// Address tests (docs/filter-language.md §6.2): `src_addr in {10.0.0.0/8, fd00::/8, ::1}` and
// `src_addr == dst_addr`, on the addresses the packet parser copied into the ParsedPacket. An
// IPv4 prefix matches only IPv4 packets, an IPv6 prefix only IPv6 ones; a packet that is not IP
// has no address. IPv4 addresses become 32-bit values and IPv6 ones two 64-bit halves, searched
// with the compare trees of set membership (membership.hpp): O(log n) compares for n prefixes.
#pragma once

#include <vector>

#include <llvm/IR/IRBuilder.h>

#include "codegen/packet_reads.hpp"
#include "parser/ast.hpp"

namespace bpffw::codegen {

// Branches to on_true when the packet's `variable` (src_addr or dst_addr) lies in a prefix.
void emit_address_match(llvm::IRBuilder<>& builder, const PacketFields& fields, ast::Variable variable,
                        const std::vector<ast::Prefix>& prefixes, llvm::BasicBlock* on_true,
                        llvm::BasicBlock* on_false);

// Branches to on_true when the packet has both addresses and they are the same.
void emit_address_equal(llvm::IRBuilder<>& builder, const PacketFields& fields, ast::Variable lhs, ast::Variable rhs,
                        llvm::BasicBlock* on_true, llvm::BasicBlock* on_false);

}  // namespace bpffw::codegen
