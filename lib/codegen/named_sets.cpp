#include "codegen/named_sets.hpp"

#include <cstddef>
#include <functional>
#include <string>

#include <llvm/IR/Intrinsics.h>
#include <llvm/IR/Module.h>
#include <llvm/IR/ValueSymbolTable.h>

#include "codegen/helper_call.hpp"
#include "codegen/packet_parser.hpp"
#include "layout/map_layout.hpp"

namespace bpffw::codegen {
namespace {

class SetLookup {
 public:
  SetLookup(llvm::IRBuilder<>& builder, bool state_here) : b_(builder), state_here_(state_here) {}

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
    return map_lookup(b, map, key);
  }
  // The i32 state word of the set (map_layout.hpp), read once per packet in the entry block, so
  // that every test of the set in one expression sees the same generation (a packet is judged by
  // the old contents or the new, never by both). The array has an entry for every set, but the
  // verifier wants the NULL check: a missing one reads as state 0.
  llvm::Value* state(std::uint32_t set) {
    if (state_here_) {
      // Read where first asked for (a lookup's first instruction, so it dominates the others).
      if (state_ == nullptr) {
        llvm::Value* key = slot(4, "set_index");
        b_.CreateStore(b_.getInt32(set), key);
        llvm::Value* found = lookup_with(b_, layout::kSetGenerationMap, key);
        llvm::BasicBlock* read = block("set_state_read");
        llvm::BasicBlock* done = block("set_state_done");
        llvm::BasicBlock* from = b_.GetInsertBlock();
        b_.CreateCondBr(b_.CreateIsNull(found), done, read);
        b_.SetInsertPoint(read);
        llvm::Value* value = b_.CreateLoad(b_.getInt32Ty(), found);
        b_.CreateBr(done);
        b_.SetInsertPoint(done);
        llvm::PHINode* phi = b_.CreatePHI(b_.getInt32Ty(), 2, "set_state_here");
        phi->addIncoming(b_.getInt32(0), from);
        phi->addIncoming(value, read);
        state_ = phi;
      }
      return state_;
    }
    llvm::Function* function = b_.GetInsertBlock()->getParent();
    std::string name = "set_state_" + std::to_string(set);
    if (llvm::Value* known = function->getValueSymbolTable()->lookup(name)) return known;
    llvm::Value* key = slot(4, "set_index");
    llvm::Value* zero = slot(4, "set_state_default");
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
    return entry.CreateLoad(b_.getInt32Ty(), slot, name);
  }
  // The tag of the set's current generation.
  llvm::Value* current_tag(std::uint32_t set) {
    llvm::Value* generation = b_.CreateAnd(state(set), b_.getInt32(layout::kSetStateGeneration));
    return b_.CreateAdd(b_.getInt32(layout::set_tag(set, 0)), generation);
  }
  void store(llvm::Value* key, unsigned offset, llvm::Value* value) {
    b_.CreateStore(value, b_.CreateConstInBoundsGEP1_64(b_.getInt8Ty(), key, offset));
  }
  void branch_on_found(const char* map_name, llvm::Value* key, llvm::BasicBlock* on_true, llvm::BasicBlock* on_false) {
    b_.CreateCondBr(b_.CreateIsNull(lookup(map_name, key)), on_false, on_true);
  }

  llvm::IRBuilder<>& b_;
  bool state_here_;
  llvm::Value* state_ = nullptr;
};

}  // namespace

void emit_integer_set_lookup(llvm::IRBuilder<>& b, llvm::Value* value, std::uint32_t set, llvm::BasicBlock* on_true,
                             llvm::BasicBlock* on_false, bool state_here) {
  SetLookup lookup(b, state_here);
  llvm::Value* key = lookup.slot(sizeof(layout::IntegerSetKey), "integer_set_key");
  llvm::Value* tag = lookup.current_tag(set);
  lookup.store(key, offsetof(layout::IntegerSetKey, value), value);
  lookup.store(key, offsetof(layout::IntegerSetKey, tag), tag);
  lookup.store(key, offsetof(layout::IntegerSetKey, zero), b.getInt32(0));
  lookup.branch_on_found(layout::kIntegerSetMap, key, on_true, on_false);
}

void emit_address_set_lookup(llvm::IRBuilder<>& b, const PacketFields& fields, ast::Variable variable,
                             std::uint32_t set, llvm::BasicBlock* on_true, llvm::BasicBlock* on_false) {
  SetLookup lookup(b, fields.set_states_here);
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

  // The whole address in the hash map first: when it misses, the shorter prefixes, if the set's
  // state says it has any: in the family's cover map (layout::PrefixCover), and in the trie only
  // where the cover says the address's /24 (IPv6: /40) holds longer prefixes, or where an IPv6
  // set has prefixes too short for its cover.
  // One key slot for every lookup of this test, each key written just before its lookup (the
  // helper reads it during the call only): one slot per lookup would soon fill the 512-byte stack.
  llvm::Value* key = lookup.slot(layout::kSetKeyAddressOffset + 16, "address_set_key");
  auto trie_lookup = [&](bool ipv6) {
    const unsigned bytes = ipv6 ? 16 : 4;
    llvm::Type* chunk = ipv6 ? b.getInt64Ty() : b.getInt32Ty();
    lookup.store(key, 0, b.getInt32(layout::kSetTagBits + 8 * bytes));
    lookup.store(key, layout::kSetKeyTagOffset, tag_be);
    for (unsigned at = 0; at < bytes; at += chunk->getIntegerBitWidth() / 8)
      lookup.store(key, layout::kSetKeyAddressOffset + at, packet_bytes(offset + at, chunk));
    lookup.branch_on_found(ipv6 ? layout::kIpv6SetMap : layout::kIpv4SetMap, key, on_true, on_false);
  };
  auto cover_lookup = [&](bool ipv6) {
    using layout::PrefixCover;
    const unsigned main = layout::cover_main_bits(ipv6);
    const std::uint32_t wide_flag = ipv6 ? layout::kSetStateIpv6Wide : layout::kSetStateIpv4Wide;
    // The address's first 4 (IPv6: 8) bytes as loaded, little-endian: its first byte is the low byte.
    llvm::IntegerType* word_type = ipv6 ? b.getInt64Ty() : b.getInt32Ty();
    llvm::Value* address = packet_bytes(offset, word_type);
    auto branch_if_flag = [&](std::uint32_t flag, llvm::BasicBlock* yes, llvm::BasicBlock* no) {
      b.CreateCondBr(b.CreateIsNotNull(b.CreateAnd(lookup.state(set), b.getInt32(flag))), yes, no);
    };
    if (ipv6) {
      llvm::BasicBlock* trie = lookup.block("address_set_short6");
      llvm::BasicBlock* cover = lookup.block("address_set_cover6");
      branch_if_flag(layout::kSetStateIpv6Short, trie, cover);
      b.SetInsertPoint(trie);
      trie_lookup(true);
      b.SetInsertPoint(cover);
    }
    // The entry of the address cut to `bits`.
    auto cover_entry = [&](unsigned bits, llvm::Value* key_tag) {
      const unsigned address_bytes = ipv6 ? 16 : 4;
      lookup.store(key, 0, b.CreateAnd(address, llvm::ConstantInt::get(word_type, (std::uint64_t{1} << bits) - 1)));
      if (ipv6) lookup.store(key, 8, b.getInt64(0));
      lookup.store(key, address_bytes, key_tag);
      return lookup.lookup(ipv6 ? layout::kIpv6CoverMap : layout::kIpv4CoverMap, key);
    };
    auto field = [&](llvm::Value* entry, std::size_t at, llvm::Type* type, llvm::Value* index = nullptr) {
      llvm::Value* pointer = b.CreateConstInBoundsGEP1_64(b.getInt8Ty(), entry, at);
      if (index != nullptr) pointer = b.CreateInBoundsGEP(type, pointer, index);
      return b.CreateLoad(type, pointer);
    };
    auto branch_unless_null = [&](llvm::Value* entry, const char* name) {
      llvm::BasicBlock* found = lookup.block(name);
      b.CreateCondBr(b.CreateIsNull(entry), on_false, found);
      b.SetInsertPoint(found);
    };
    auto branch_if_nonzero = [&](llvm::Value* value, llvm::BasicBlock* yes, const char* name) {
      llvm::BasicBlock* no = lookup.block(name);
      b.CreateCondBr(b.CreateIsNotNull(value), yes, no);
      b.SetInsertPoint(no);
    };
    // The widest prefixes (IPv4: shorter than /8), by /8, only where the set has any.
    llvm::BasicBlock* wide = lookup.block("address_set_cover8");
    llvm::BasicBlock* not_wide = lookup.block("address_set_not8");
    branch_if_flag(wide_flag, wide, not_wide);
    b.SetInsertPoint(wide);
    llvm::Value* of8 = cover_entry(main - 8, b.CreateOr(tag, b.getInt32(layout::kCoverOf8)));
    llvm::BasicBlock* found8 = lookup.block("address_set_found8");
    b.CreateCondBr(b.CreateIsNull(of8), not_wide, found8);
    b.SetInsertPoint(found8);
    b.CreateCondBr(b.CreateIsNotNull(field(of8, offsetof(PrefixCover, within), b.getInt32Ty())), on_true, not_wide);
    b.SetInsertPoint(not_wide);
    llvm::Value* of16 = cover_entry(main, tag);
    branch_unless_null(of16, "address_set_cover16");
    branch_if_nonzero(field(of16, offsetof(PrefixCover, within), b.getInt32Ty()), on_true, "address_set_not16");
    // The byte after the cut, as an index.
    llvm::Value* third =
        b.CreateAnd(b.CreateZExtOrTrunc(b.CreateLShr(address, llvm::ConstantInt::get(word_type, main)), b.getInt64Ty()),
                    b.getInt64(0xff));
    branch_if_nonzero(field(of16, offsetof(PrefixCover, within24), b.getInt8Ty(), third), on_true,
                      "address_set_not_within24");
    llvm::Value* word = field(of16, offsetof(PrefixCover, below), b.getInt64Ty(), b.CreateLShr(third, b.getInt64(6)));
    llvm::Value* bit = b.CreateAnd(b.CreateLShr(word, b.CreateAnd(third, b.getInt64(63))), b.getInt64(1));
    llvm::BasicBlock* has24 = lookup.block("address_set_has24");
    b.CreateCondBr(b.CreateIsNull(bit), on_false, has24);
    b.SetInsertPoint(has24);
    llvm::Value* of24 = cover_entry(main + 8, b.CreateOr(tag, b.getInt32(layout::kCoverOf24)));
    branch_unless_null(of24, "address_set_cover24");
    llvm::BasicBlock* trie = lookup.block("address_set_trie");
    b.CreateCondBr(b.CreateIsNull(field(of24, offsetof(PrefixCover, longer), b.getInt32Ty())), on_false, trie);
    b.SetInsertPoint(trie);
    trie_lookup(ipv6);
  };
  auto look_up = [&](unsigned bytes, const char* exact_map, std::uint32_t shorter_flag, llvm::Type* chunk,
                     const std::function<void()>& shorter) {
    const unsigned chunk_bytes = chunk->getIntegerBitWidth() / 8;
    for (unsigned at = 0; at < bytes; at += chunk_bytes) lookup.store(key, at, packet_bytes(offset + at, chunk));
    lookup.store(key, bytes, tag);
    llvm::BasicBlock* missed = lookup.block("address_set_not_exact");
    llvm::BasicBlock* shorter_block = lookup.block("address_set_shorter");
    lookup.branch_on_found(exact_map, key, on_true, missed);
    b.SetInsertPoint(missed);
    llvm::Value* has_shorter = b.CreateAnd(lookup.state(set), b.getInt32(shorter_flag));
    b.CreateCondBr(b.CreateIsNotNull(has_shorter), shorter_block, on_false);
    b.SetInsertPoint(shorter_block);
    shorter();
  };
  b.SetInsertPoint(ipv4);
  look_up(4, layout::kIpv4ExactSetMap, layout::kSetStateIpv4Trie, b.getInt32Ty(), [&] { cover_lookup(false); });
  b.SetInsertPoint(ipv6);
  look_up(16, layout::kIpv6ExactSetMap, layout::kSetStateIpv6Trie, b.getInt64Ty(), [&] { cover_lookup(true); });
}

}  // namespace bpffw::codegen
