#include "codegen/named_sets.hpp"

#include <string>

#include <llvm/IR/Intrinsics.h>
#include <llvm/IR/Module.h>
#include <llvm/IR/ValueSymbolTable.h>

#include "codegen/packet_parser.hpp"
#include "layout/map_layout.hpp"

namespace bpffw::codegen {
namespace {

constexpr std::uint64_t kBpfFuncMapLookupElem = 1;

class SetLookup {
 public:
  explicit SetLookup(llvm::IRBuilder<>& builder) : b_(builder) {}

  llvm::BasicBlock* block(const char* name) {
    return llvm::BasicBlock::Create(b_.getContext(), name, b_.GetInsertBlock()->getParent());
  }
  // A stack slot of `bytes` bytes, in the entry block like every stack slot.
  llvm::Value* slot(unsigned bytes, const char* name) {
    llvm::Function* function = b_.GetInsertBlock()->getParent();
    llvm::IRBuilder<> entry(&function->getEntryBlock(), function->getEntryBlock().getFirstInsertionPt());
    llvm::AllocaInst* slot = entry.CreateAlloca(llvm::ArrayType::get(b_.getInt8Ty(), bytes), nullptr, name);
    slot->setAlignment(llvm::Align(8));
    return slot;
  }
  llvm::Value* lookup(const char* map_name, llvm::Value* key) { return lookup_with(b_, map_name, key); }
  static llvm::Value* lookup_with(llvm::IRBuilder<>& b, const char* map_name, llvm::Value* key) {
    llvm::GlobalVariable* map = b.GetInsertBlock()->getModule()->getNamedGlobal(map_name);
    auto* type = llvm::FunctionType::get(b.getPtrTy(), {b.getPtrTy(), b.getPtrTy()}, false);
    llvm::Value* helper = b.CreateIntToPtr(b.getInt64(kBpfFuncMapLookupElem), b.getPtrTy());
    return b.CreateCall(type, helper, {map, key});
  }
  // The i32 tag of the set's current generation, read once per packet in the entry block, so
  // that every test of the set in one expression sees the same generation (a packet is judged by
  // the old contents or the new, never by both). The array has an entry for every set, but the
  // verifier wants the NULL check: a missing one reads as generation 0.
  llvm::Value* current_tag(std::uint32_t set) {
    llvm::Function* function = b_.GetInsertBlock()->getParent();
    std::string name = "set_tag_" + std::to_string(set);
    if (llvm::Value* known = function->getValueSymbolTable()->lookup(name)) return known;
    llvm::Value* key = slot(4, "set_index");
    llvm::Value* zero = slot(4, "set_generation_default");
    // After the entry block's allocas: the optimizer may turn the NULL check into a branch that
    // splits the block, and an alloca after the split would no longer be a static one.
    llvm::BasicBlock& first = function->getEntryBlock();
    auto after_allocas = first.begin();
    while (after_allocas != first.end() && llvm::isa<llvm::AllocaInst>(*after_allocas)) ++after_allocas;
    llvm::IRBuilder<> entry(&first, after_allocas);
    entry.CreateStore(b_.getInt32(set), key);
    entry.CreateStore(b_.getInt32(0), zero);
    llvm::Value* found = lookup_with(entry, layout::kSetGenerationMap, key);
    llvm::Value* slot = entry.CreateSelect(entry.CreateIsNull(found), zero, found);
    llvm::Value* generation = entry.CreateAnd(entry.CreateLoad(b_.getInt32Ty(), slot), b_.getInt32(1));
    return entry.CreateAdd(b_.getInt32(layout::set_tag(set, 0)), generation, name);
  }
  void store(llvm::Value* key, unsigned offset, llvm::Value* value) {
    b_.CreateStore(value, b_.CreateConstInBoundsGEP1_64(b_.getInt8Ty(), key, offset));
  }
  void branch_on_found(const char* map_name, llvm::Value* key, llvm::BasicBlock* on_true, llvm::BasicBlock* on_false) {
    b_.CreateCondBr(b_.CreateIsNull(lookup(map_name, key)), on_false, on_true);
  }

  llvm::IRBuilder<>& b_;
};

}  // namespace

void emit_integer_set_lookup(llvm::IRBuilder<>& b, llvm::Value* value, std::uint32_t set, llvm::BasicBlock* on_true,
                             llvm::BasicBlock* on_false) {
  SetLookup lookup(b);
  llvm::Value* key = lookup.slot(sizeof(layout::IntegerSetKey), "integer_set_key");
  llvm::Value* tag = lookup.current_tag(set);
  lookup.store(key, offsetof(layout::IntegerSetKey, value), value);
  lookup.store(key, offsetof(layout::IntegerSetKey, tag), tag);
  lookup.store(key, offsetof(layout::IntegerSetKey, zero), b.getInt32(0));
  lookup.branch_on_found(layout::kIntegerSetMap, key, on_true, on_false);
}

void emit_address_set_lookup(llvm::IRBuilder<>& b, const PacketFields& fields, ast::Variable variable,
                             std::uint32_t set, llvm::BasicBlock* on_true, llvm::BasicBlock* on_false) {
  SetLookup lookup(b);
  const std::size_t offset = fields::field(resolve_direction(variable, fields.direction)).offset;
  llvm::Value* tag = lookup.current_tag(set);
  llvm::Value* tag_be = b.CreateUnaryIntrinsic(llvm::Intrinsic::bswap, tag);
  auto packet_bytes = [&](std::size_t at, llvm::Type* type) {
    return b.CreateLoad(type, b.CreateConstInBoundsGEP1_64(b.getInt8Ty(), fields.parsed, at));
  };

  llvm::BasicBlock* ipv4 = lookup.block("address_set_ipv4");
  llvm::BasicBlock* not_ipv4 = lookup.block("address_set_not_ipv4");
  llvm::BasicBlock* ipv6 = lookup.block("address_set_ipv6");
  b.CreateCondBr(b.CreateICmpEQ(fields.status, b.getInt64(kPacketParserIpv4)), ipv4, not_ipv4);
  b.SetInsertPoint(not_ipv4);
  b.CreateCondBr(b.CreateICmpEQ(fields.status, b.getInt64(kPacketParserIpv6)), ipv6, on_false);

  b.SetInsertPoint(ipv4);
  llvm::Value* key4 = lookup.slot(sizeof(layout::Ipv4SetKey), "ipv4_set_key");
  lookup.store(key4, 0, b.getInt32(layout::kSetTagBits + 32));
  lookup.store(key4, layout::kSetKeyTagOffset, tag_be);
  lookup.store(key4, layout::kSetKeyAddressOffset, packet_bytes(offset, b.getInt32Ty()));
  lookup.branch_on_found(layout::kIpv4SetMap, key4, on_true, on_false);

  b.SetInsertPoint(ipv6);
  llvm::Value* key6 = lookup.slot(sizeof(layout::Ipv6SetKey), "ipv6_set_key");
  lookup.store(key6, 0, b.getInt32(layout::kSetTagBits + 128));
  lookup.store(key6, layout::kSetKeyTagOffset, tag_be);
  lookup.store(key6, layout::kSetKeyAddressOffset, packet_bytes(offset, b.getInt64Ty()));
  lookup.store(key6, layout::kSetKeyAddressOffset + 8, packet_bytes(offset + 8, b.getInt64Ty()));
  lookup.branch_on_found(layout::kIpv6SetMap, key6, on_true, on_false);
}

}  // namespace bpffw::codegen
