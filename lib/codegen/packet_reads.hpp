// A program's entry: the packet parser's call (packet_parser.hpp), malformed packets to the drop
// block, and the packet variables read from what the packet parser leaves — the ParsedPacket, its
// status, skb->len — each as the field table says (fields/packet_fields.hpp). Expression lowering
// only asks for variables; it knows nothing of parsing.
#pragma once

#include <array>
#include <span>

#include <llvm/IR/IRBuilder.h>

#include "codegen/rule_lists.hpp"
#include "codegen/variables.hpp"

namespace bpffw::codegen {

// The packet variables as i64 values, valid in the block where emit_packet_reads left the builder
// and in every block it dominates; and what address tests read (address_lowering.hpp).
class PacketFields {
 public:
  // nullptr for an integer variable that was not asked for; local_* and remote_* as resolved.
  llvm::Value* get(ast::Variable variable) const;
  void set(ast::Variable variable, llvm::Value* value) { values_[static_cast<std::size_t>(variable)] = value; }

  llvm::Value* status = nullptr;  // the packet parser's status, i64
  llvm::Value* parsed = nullptr;  // the ParsedPacket (a pointer to the stack)
  std::optional<Direction> direction;
  // Named sets' states (named_sets.hpp) read where a set is tested, not once in the entry block
  // for the whole program: the drop log's decider, so that no value of the entry block is kept
  // live through the pass path for it.
  bool set_states_here = false;
  // The expression's rule lists (rule_lists.hpp): the `||` chains lowered as lookups.
  const RuleLists* rule_lists = nullptr;

 private:
  std::array<llvm::Value*, std::size(ast::kAllVariables)> values_{};
};

// Emits the packet parser's call and the variables `wanted` reads at the builder's insertion point,
// which must be the function's entry block (the ParsedPacket is an alloca there). `skb` is the
// program's context (struct __sk_buff *). Malformed packets branch to `malformed`.
PacketFields emit_packet_reads(llvm::IRBuilder<>& builder, llvm::Value* skb, const VariableSet& wanted,
                               llvm::BasicBlock* malformed, const PacketParserBytes& parsers);

// What the packet parser leaves in registers (packet_parser.hpp), each an i64.
struct PacketParserResults {
  llvm::Value* status;
  llvm::Value* protocol;
  llvm::Value* holds;
};

// The drop log's parse (drop_log.hpp): the variant that copies ports, ICMP type and code and the
// addresses (and the TCP header's first 16 bytes and the IP header's window when the expression
// reads them: `expression_reads`) into the ParsedPacket at `parsed` (8-aligned, on the stack,
// zeroed by the caller).
PacketParserVariant complete_parse_variant(const PacketParserVariant& expression_reads);
PacketParserResults emit_complete_parse(llvm::IRBuilder<>& builder, llvm::Value* skb, llvm::Value* parsed,
                                        const PacketParserBytes& parsers, const PacketParserVariant& expression_reads);

// The variables `wanted` reads, from what a packet parser of `variant` (one that copies at least
// what `wanted` needs) left in `results` and the ParsedPacket at `parsed`, for a packet that is not
// malformed. emit_packet_reads reads them so; the drop log again, from its own parse.
PacketFields read_packet_fields(llvm::IRBuilder<>& builder, llvm::Value* skb, const VariableSet& wanted,
                                const PacketParserVariant& variant, const PacketParserResults& results,
                                llvm::Value* parsed);

}  // namespace bpffw::codegen
