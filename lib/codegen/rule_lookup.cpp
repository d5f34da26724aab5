#include "codegen/rule_lookup.hpp"

#include <cstddef>

#include <llvm/IR/Module.h>
#include <llvm/IR/ValueSymbolTable.h>

#include "codegen/helper_call.hpp"
#include "codegen/packet_parser.hpp"
#include "layout/map_layout.hpp"

namespace bpffw::codegen {
namespace {

// The mask of an address's leading `prefix_length` bits, for its bytes [at, at + width) loaded
// as one integer the way the program loads it (little-endian, bpfel): byte i is bits 8i..8i+7.
std::uint64_t prefix_mask(unsigned prefix_length, unsigned at, unsigned width) {
  std::uint64_t mask = 0;
  for (unsigned i = 0; i < width; ++i) {
    const unsigned first_bit = 8 * (at + i);
    std::uint64_t byte = 0;
    if (prefix_length >= first_bit + 8) byte = 0xff;
    else if (prefix_length > first_bit) byte = (0xff00u >> (prefix_length - first_bit)) & 0xff;
    mask |= byte << (8 * i);
  }
  return mask;
}

class KeyBuilder {
 public:
  KeyBuilder(llvm::IRBuilder<>& builder, const PacketFields& fields, const RuleLists& lists)
      : b_(builder), fields_(fields), lists_(lists) {}

  llvm::BasicBlock* block(const char* name) {
    return llvm::BasicBlock::Create(b_.getContext(), name, b_.GetInsertBlock()->getParent());
  }
  // Goes on in a fresh block when `condition` holds, else to `otherwise`.
  void require(llvm::Value* condition, llvm::BasicBlock* otherwise) {
    llvm::BasicBlock* next = block("rule_shape_holds");
    b_.CreateCondBr(condition, next, otherwise);
    b_.SetInsertPoint(next);
  }

  // The shape's key for this packet, then its lookup: the value's address, or null. A packet
  // without the shape's flags or family goes to `skip` instead.
  llvm::Value* look_up(const RuleShape& shape, llvm::BasicBlock* skip) {
    for (const KeySlot& slot : shape.slots) {
      if (slot.kind == KeySlot::Kind::Flag) require(b_.CreateICmpEQ(fields_.get(slot.variable), b_.getInt64(1)), skip);
      if (slot.kind == KeySlot::Kind::Address) {
        const std::uint64_t status = slot.family == ast::Family::Ipv4 ? kPacketParserIpv4 : kPacketParserIpv6;
        require(b_.CreateICmpEQ(fields_.status, b_.getInt64(status)), skip);
      }
    }
    const std::uint32_t key_size = shape.trie ? lists_.trie.key_size : lists_.exact.key_size;
    llvm::Value* key = stack_slot(shape.trie ? "rule_key_trie" : "rule_key", key_size);
    if (shape.trie) {  // the whole key after the length word: the longest prefix that matches
      store(key, 0, b_.getInt32(8 * (key_size - 4)));
      store(key, 4, b_.getInt32(shape.id));
    } else {
      store(key, 0, b_.getInt32(shape.id));
      store(key, 4, b_.getInt32(0));
    }
    unsigned at = sizeof(layout::RuleKeyHead);
    for (const KeySlot& slot : shape.slots) {
      if (slot.kind == KeySlot::Kind::Integer) store(key, at, fields_.get(slot.variable));
      if (slot.kind == KeySlot::Kind::Address) store_address(key, at, slot);
      at += slot.bytes();
    }
    for (; at + 4 <= key_size; at += 4) store(key, at, b_.getInt32(0));
    const char* map_name = shape.trie ? layout::kRulePrefixMap : layout::kRuleMap;
    llvm::GlobalVariable* map = b_.GetInsertBlock()->getModule()->getNamedGlobal(map_name);
    return map_lookup(b_, map, key);
  }

  // The function's stack slot `name` of `bytes` bytes, made in the entry block when first asked
  // for. Every lookup writes its whole key (and the decider its two words) before it reads them,
  // so all rule lists of a program share one slot of each kind: BPF's stack is 512 bytes.
  llvm::Value* stack_slot(const char* name, std::uint32_t bytes) {
    llvm::Function* function = b_.GetInsertBlock()->getParent();
    if (llvm::Value* known = function->getValueSymbolTable()->lookup(name)) return known;
    llvm::IRBuilder<> entry(&function->getEntryBlock(), function->getEntryBlock().getFirstInsertionPt());
    llvm::AllocaInst* slot = entry.CreateAlloca(llvm::ArrayType::get(b_.getInt8Ty(), bytes), nullptr, name);
    slot->setAlignment(llvm::Align(8));
    return slot;
  }

 private:
  void store(llvm::Value* key, unsigned at, llvm::Value* value) {
    b_.CreateStore(value, b_.CreateConstInBoundsGEP1_64(b_.getInt8Ty(), key, at));
  }
  // The packet's address cut to the slot's prefix (a trie's: whole), in the slot's bytes (IPv4:
  // 4, then 4 zeros).
  void store_address(llvm::Value* key, unsigned at, const KeySlot& slot) {
    const std::size_t offset = fields::field(resolve_direction(slot.variable, fields_.direction)).offset;
    auto masked = [&](unsigned from, llvm::IntegerType* type) -> llvm::Value* {
      const unsigned width = type->getBitWidth() / 8;
      llvm::Value* bytes =
          b_.CreateLoad(type, b_.CreateConstInBoundsGEP1_64(b_.getInt8Ty(), fields_.parsed, offset + from));
      if (slot.prefix_length == kAnyPrefixLength) return bytes;
      return b_.CreateAnd(bytes, llvm::ConstantInt::get(type, prefix_mask(slot.prefix_length, from, width)));
    };
    if (slot.family == ast::Family::Ipv4) {
      store(key, at, masked(0, b_.getInt32Ty()));
      store(key, at + 4, b_.getInt32(0));
      return;
    }
    store(key, at, masked(0, b_.getInt64Ty()));
    store(key, at + 8, masked(8, b_.getInt64Ty()));
  }

  llvm::IRBuilder<>& b_;
  const PacketFields& fields_;
  const RuleLists& lists_;
};

}  // namespace

void emit_rule_lookups(llvm::IRBuilder<>& b, const PacketFields& fields, const RuleLists& lists,
                       const RuleListPlan& plan, llvm::BasicBlock* on_true, llvm::BasicBlock* on_false) {
  KeyBuilder key(b, fields, lists);
  for (std::size_t i = 0; i < plan.shapes.size(); ++i) {
    const bool last = i + 1 == plan.shapes.size();
    llvm::BasicBlock* next = last ? on_false : key.block("rule_next_shape");
    b.CreateCondBr(b.CreateIsNull(key.look_up(plan.shapes[i], next)), next, on_true);
    if (!last) b.SetInsertPoint(next);
  }
}

RuleMatch emit_first_rule_match(llvm::IRBuilder<>& b, const PacketFields& fields, const RuleLists& lists,
                                const RuleListPlan& plan) {
  KeyBuilder key(b, fields, lists);
  llvm::Value* best_term = key.stack_slot("rule_first_term", 8);
  llvm::Value* best_decider = key.stack_slot("rule_first_decider", 8);
  b.CreateStore(b.getInt64(kNoRuleTerm), best_term);
  b.CreateStore(b.getInt64(0), best_decider);
  for (const RuleShape& shape : plan.shapes) {
    llvm::BasicBlock* next = key.block("rule_next_shape");
    llvm::BasicBlock* found = key.block("rule_found");
    llvm::Value* pointer = key.look_up(shape, next);
    b.CreateCondBr(b.CreateIsNull(pointer), next, found);
    b.SetInsertPoint(found);
    llvm::Value* term = b.CreateZExt(
        b.CreateLoad(b.getInt32Ty(),
                     b.CreateConstInBoundsGEP1_64(b.getInt8Ty(), pointer, offsetof(layout::RuleValue, term))),
        b.getInt64Ty());
    llvm::Value* decider = b.CreateLoad(
        b.getInt64Ty(), b.CreateConstInBoundsGEP1_64(b.getInt8Ty(), pointer, offsetof(layout::RuleValue, decider)));
    llvm::Value* earlier = b.CreateICmpULT(term, b.CreateLoad(b.getInt64Ty(), best_term));
    b.CreateStore(b.CreateSelect(earlier, term, b.CreateLoad(b.getInt64Ty(), best_term)), best_term);
    b.CreateStore(b.CreateSelect(earlier, decider, b.CreateLoad(b.getInt64Ty(), best_decider)), best_decider);
    b.CreateBr(next);
    b.SetInsertPoint(next);
  }
  return {b.CreateLoad(b.getInt64Ty(), best_term), b.CreateLoad(b.getInt64Ty(), best_decider)};
}

}  // namespace bpffw::codegen
