#include "codegen/address_lowering.hpp"

#include <cstdint>
#include <map>

#include <llvm/IR/Intrinsics.h>

#include "codegen/membership.hpp"

namespace bpffw::codegen {
namespace {

using fields::ParsedPacket;

// Unsigned 64-bit values searched as signed ones: flipping the top bit keeps the order.
constexpr std::uint64_t kSignBit = 1ull << 63;
std::int64_t as_signed_order(std::uint64_t value) { return static_cast<std::int64_t>(value ^ kSignBit); }

// The big-endian u64 (bytes[at .. at + 8)) of a prefix, and the bits below `length` set.
std::uint64_t half(const ast::Prefix& prefix, std::size_t at) {
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < 8; ++i) value = value << 8 | prefix.bytes[at + i];
  return value;
}
std::uint64_t low_bits(unsigned host_bits) { return host_bits >= 64 ? ~0ull : (1ull << host_bits) - 1; }

class AddressTest {
 public:
  AddressTest(llvm::IRBuilder<>& builder, const PacketFields& fields) : b_(builder), fields_(fields) {}

  llvm::BasicBlock* block(const char* name) {
    return llvm::BasicBlock::Create(b_.getContext(), name, b_.GetInsertBlock()->getParent());
  }
  // Continues in a fresh block when the packet's family is `status`, else goes to `otherwise`.
  void require_family(std::uint64_t status, llvm::BasicBlock* otherwise) {
    llvm::BasicBlock* next = block("address_family");
    b_.CreateCondBr(b_.CreateICmpEQ(fields_.status, b_.getInt64(status)), next, otherwise);
    b_.SetInsertPoint(next);
  }
  // The big-endian unsigned integer of `width` bytes at `offset` of the ParsedPacket, as i64.
  llvm::Value* load(std::size_t offset, unsigned width) {
    llvm::Value* address = b_.CreateConstInBoundsGEP1_64(b_.getInt8Ty(), fields_.parsed, offset);
    llvm::Value* value =
        b_.CreateUnaryIntrinsic(llvm::Intrinsic::bswap, b_.CreateLoad(b_.getIntNTy(width * 8), address));
    return b_.CreateZExt(value, b_.getInt64Ty());
  }
  llvm::Value* signed_order(llvm::Value* value) { return b_.CreateXor(value, b_.getInt64(kSignBit)); }

  llvm::IRBuilder<>& b_;
  const PacketFields& fields_;
};

std::size_t offset_of(ast::Variable variable) { return fields::field(variable).offset; }

}  // namespace

void emit_address_match(llvm::IRBuilder<>& b, const PacketFields& fields, ast::Variable variable,
                        const std::vector<ast::Prefix>& prefixes, llvm::BasicBlock* on_true,
                        llvm::BasicBlock* on_false) {
  AddressTest test(b, fields);
  const std::size_t offset = offset_of(resolve_direction(variable, fields.direction));
  std::vector<ValueRange> v4;
  std::vector<ValueRange> v6_high;                          // prefixes of /64 or shorter
  std::map<std::uint64_t, std::vector<ValueRange>> v6_low;  // longer ones, by their upper half
  for (const ast::Prefix& prefix : prefixes) {
    if (prefix.family == ast::Family::Ipv4) {
      std::uint64_t network = static_cast<std::uint64_t>(prefix.bytes[0]) << 24 | prefix.bytes[1] << 16 |
                              prefix.bytes[2] << 8 | prefix.bytes[3];
      v4.push_back(
          {static_cast<std::int64_t>(network), static_cast<std::int64_t>(network | low_bits(32 - prefix.length))});
    } else if (prefix.length <= 64) {
      std::uint64_t high = half(prefix, 0);
      v6_high.push_back({as_signed_order(high), as_signed_order(high | low_bits(64 - prefix.length))});
    } else {
      std::uint64_t low = half(prefix, 8);
      v6_low[half(prefix, 0)].push_back({as_signed_order(low), as_signed_order(low | low_bits(128 - prefix.length))});
    }
  }

  llvm::BasicBlock* not_ipv4 = v6_high.empty() && v6_low.empty() ? on_false : test.block("address_not_ipv4");
  if (!v4.empty()) {
    test.require_family(kPacketParserIpv4, not_ipv4);
    emit_membership(b, test.load(offset, 4), std::move(v4), {0, 0xffffffffLL}, on_true, on_false);
  } else {
    b.CreateBr(not_ipv4);
  }
  if (not_ipv4 == on_false) return;
  b.SetInsertPoint(not_ipv4);
  test.require_family(kPacketParserIpv6, on_false);
  llvm::Value* high = test.signed_order(test.load(offset, 8));
  llvm::BasicBlock* long_prefixes = v6_low.empty() ? on_false : test.block("address_long_prefixes");
  if (!v6_high.empty()) {
    emit_membership(b, high, std::move(v6_high), {}, on_true, long_prefixes);
  } else {
    b.CreateBr(long_prefixes);
  }
  if (long_prefixes == on_false) return;
  // Longer prefixes: find the upper half among theirs, then the lower half in that one's ranges.
  b.SetInsertPoint(long_prefixes);
  std::vector<ValueRange> keys;
  std::vector<const std::vector<ValueRange>*> groups;
  for (const auto& [upper, ranges] : v6_low) {
    keys.push_back({as_signed_order(upper), as_signed_order(upper)});
    groups.push_back(&ranges);
  }
  emit_range_search(
      b, high, keys, {},
      [&](std::size_t index, llvm::BasicBlock* otherwise, llvm::Value*) {
        llvm::Value* low = test.signed_order(test.load(offset + 8, 8));
        emit_membership(b, low, *groups[index], {}, on_true, otherwise);
      },
      on_false);
}

void emit_address_equal(llvm::IRBuilder<>& b, const PacketFields& fields, ast::Variable lhs, ast::Variable rhs,
                        llvm::BasicBlock* on_true, llvm::BasicBlock* on_false) {
  AddressTest test(b, fields);
  const std::size_t a = offset_of(resolve_direction(lhs, fields.direction));
  const std::size_t c = offset_of(resolve_direction(rhs, fields.direction));
  llvm::BasicBlock* not_ipv4 = test.block("address_not_ipv4");
  test.require_family(kPacketParserIpv4, not_ipv4);
  b.CreateCondBr(b.CreateICmpEQ(test.load(a, 4), test.load(c, 4)), on_true, on_false);
  b.SetInsertPoint(not_ipv4);
  test.require_family(kPacketParserIpv6, on_false);
  llvm::BasicBlock* low_half = test.block("address_low_half");
  b.CreateCondBr(b.CreateICmpEQ(test.load(a, 8), test.load(c, 8)), low_half, on_false);
  b.SetInsertPoint(low_half);
  b.CreateCondBr(b.CreateICmpEQ(test.load(a + 8, 8), test.load(c + 8, 8)), on_true, on_false);
}

}  // namespace bpffw::codegen
