#include "codegen/prologue.hpp"

#include <cstdint>
#include <initializer_list>

namespace bpffw::codegen {
namespace {

using ast::Variable;

constexpr std::uint64_t kSkbLenOffset = 0;        // struct __sk_buff.len
constexpr std::uint64_t kSkbProtocolOffset = 16;  // struct __sk_buff.protocol, network byte order
// skb->protocol holds the ethertype in network byte order; read as a little-endian u32:
constexpr std::uint64_t kEthertypeIpv4 = 0x0008;  // 0x0800
constexpr std::uint64_t kEthertypeIpv6 = 0xDD86;  // 0x86DD
// bpf_skb_load_bytes reads wherever the bytes lie (linear data or fragments) and fails exactly
// when offset + size > skb->len, which is our "runs past the end of the packet".
constexpr std::uint64_t kHelperSkbLoadBytes = 26;
constexpr unsigned kBufferSize = 16;

constexpr std::uint64_t kProtoIcmp = 1, kProtoTcp = 6, kProtoUdp = 17, kProtoIcmpv6 = 58;
constexpr std::uint64_t kExtHopByHop = 0, kExtRouting = 43, kExtFragment = 44, kExtAuth = 51,
                        kExtDestOptions = 60;
constexpr int kMaxExtensionHeaders = 8;
constexpr std::uint64_t kIpv6HeaderSize = 40;
constexpr std::uint64_t kUdpHeaderSize = 8, kTcpHeaderSize = 20;

class PrologueEmitter {
 public:
  PrologueEmitter(llvm::IRBuilder<>& builder, llvm::Value* skb, llvm::BasicBlock* malformed)
      : b_(builder), skb_(skb), malformed_(malformed), function_(builder.GetInsertBlock()->getParent()) {}

  PacketFields emit(const VariableSet& wanted);

 private:
  llvm::Type* i64_type() { return b_.getInt64Ty(); }
  llvm::Value* constant(std::uint64_t value) { return b_.getInt64(value); }
  llvm::BasicBlock* block(const char* name) { return llvm::BasicBlock::Create(b_.getContext(), name, function_); }
  llvm::AllocaInst* slot(const char* name, std::uint64_t initial);
  llvm::Value* get(llvm::AllocaInst* slot) { return b_.CreateLoad(i64_type(), slot); }
  void put(llvm::AllocaInst* slot, llvm::Value* value) { b_.CreateStore(value, slot); }
  llvm::Value* as_i64(llvm::Value* flag) { return b_.CreateZExt(flag, i64_type()); }

  llvm::Value* skb_u32(std::uint64_t offset);
  // Continues in a fresh block when `ok` holds; the packet is malformed otherwise.
  void require(llvm::Value* ok, const char* name);
  // Copies `size` packet bytes at `offset` into the buffer; malformed if they are not all there.
  void load_bytes(llvm::Value* offset, unsigned size, const char* name);
  llvm::Value* byte(unsigned index);                 // buffer[index], zero-extended
  llvm::Value* be16(unsigned index);                 // big-endian u16 at buffer[index]
  llvm::Value* is_one_of(llvm::Value* value, std::initializer_list<std::uint64_t> constants);

  void emit_ipv4(llvm::BasicBlock* transport);
  void emit_ipv6(llvm::BasicBlock* transport);
  void emit_extension_header();
  void emit_transport(llvm::BasicBlock* done, bool read_ports);

  llvm::IRBuilder<>& b_;
  llvm::Value* skb_;
  llvm::BasicBlock* malformed_;
  llvm::Function* function_;
  llvm::AllocaInst* buffer_ = nullptr;
  llvm::Value* len_ = nullptr;
  // Parse state, kept in stack slots that mem2reg turns into SSA values.
  llvm::AllocaInst* is_ipv4_ = nullptr;
  llvm::AllocaInst* is_ipv6_ = nullptr;
  llvm::AllocaInst* protocol_ = nullptr;         // transport protocol; 0 when not IP
  llvm::AllocaInst* transport_offset_ = nullptr;
  llvm::AllocaInst* non_first_fragment_ = nullptr;
  llvm::AllocaInst* next_header_ = nullptr;      // IPv6 chain walk
  llvm::AllocaInst* header_offset_ = nullptr;    // IPv6 chain walk
  llvm::AllocaInst* headers_followed_ = nullptr;  // IPv6 chain walk
  llvm::AllocaInst* src_port_ = nullptr;
  llvm::AllocaInst* dst_port_ = nullptr;
};

llvm::AllocaInst* PrologueEmitter::slot(const char* name, std::uint64_t initial) {
  llvm::AllocaInst* alloca = b_.CreateAlloca(i64_type(), nullptr, name);
  put(alloca, constant(initial));
  return alloca;
}

llvm::Value* PrologueEmitter::skb_u32(std::uint64_t offset) {
  llvm::Value* address = b_.CreateConstInBoundsGEP1_64(b_.getInt8Ty(), skb_, offset);
  return b_.CreateZExt(b_.CreateAlignedLoad(b_.getInt32Ty(), address, llvm::Align(4)), i64_type());
}

void PrologueEmitter::require(llvm::Value* ok, const char* name) {
  llvm::BasicBlock* next = block(name);
  b_.CreateCondBr(ok, next, malformed_);
  b_.SetInsertPoint(next);
}

void PrologueEmitter::load_bytes(llvm::Value* offset, unsigned size, const char* name) {
  llvm::Type* i32 = b_.getInt32Ty();
  llvm::Type* ptr = b_.getPtrTy();
  auto* helper_type = llvm::FunctionType::get(i64_type(), {ptr, i32, ptr, i32}, false);
  llvm::Value* helper = b_.CreateIntToPtr(constant(kHelperSkbLoadBytes), ptr);
  llvm::Value* status = b_.CreateCall(helper_type, helper,
                                      {skb_, b_.CreateTrunc(offset, i32), buffer_, b_.getInt32(size)});
  require(b_.CreateICmpEQ(status, constant(0)), name);
}

llvm::Value* PrologueEmitter::byte(unsigned index) {
  llvm::Value* address = b_.CreateConstInBoundsGEP1_64(b_.getInt8Ty(), buffer_, index);
  return b_.CreateZExt(b_.CreateLoad(b_.getInt8Ty(), address), i64_type());
}

llvm::Value* PrologueEmitter::be16(unsigned index) {
  return b_.CreateOr(b_.CreateShl(byte(index), 8), byte(index + 1));
}

llvm::Value* PrologueEmitter::is_one_of(llvm::Value* value, std::initializer_list<std::uint64_t> constants) {
  llvm::Value* result = b_.getFalse();
  for (std::uint64_t c : constants) result = b_.CreateOr(result, b_.CreateICmpEQ(value, constant(c)));
  return result;
}

PacketFields PrologueEmitter::emit(const VariableSet& wanted) {
  buffer_ = b_.CreateAlloca(llvm::ArrayType::get(b_.getInt8Ty(), kBufferSize), nullptr, "packet_bytes");
  buffer_->setAlignment(llvm::Align(8));
  is_ipv4_ = slot("is_ipv4", 0);
  is_ipv6_ = slot("is_ipv6", 0);
  protocol_ = slot("protocol", 0);
  transport_offset_ = slot("transport_offset", 0);
  non_first_fragment_ = slot("non_first_fragment", 0);
  next_header_ = slot("next_header", 0);
  header_offset_ = slot("header_offset", 0);
  headers_followed_ = slot("headers_followed", 0);
  src_port_ = slot("src_port", 0);
  dst_port_ = slot("dst_port", 0);
  len_ = skb_u32(kSkbLenOffset);
  llvm::Value* ethertype = skb_u32(kSkbProtocolOffset);

  llvm::BasicBlock* ipv4 = block("ipv4");
  llvm::BasicBlock* ipv6 = block("ipv6");
  llvm::BasicBlock* transport = block("transport");
  llvm::BasicBlock* done = block("fields");
  llvm::SwitchInst* by_ethertype = b_.CreateSwitch(ethertype, done, 2);  // not IP: all variables 0
  by_ethertype->addCase(b_.getInt64(kEthertypeIpv4), ipv4);
  by_ethertype->addCase(b_.getInt64(kEthertypeIpv6), ipv6);

  b_.SetInsertPoint(ipv4);
  emit_ipv4(transport);
  b_.SetInsertPoint(ipv6);
  emit_ipv6(transport);
  b_.SetInsertPoint(transport);
  emit_transport(done, wanted.reads_ports());

  b_.SetInsertPoint(done);
  PacketFields fields;
  llvm::Value* protocol = get(protocol_);
  llvm::Value* is_ipv4 = get(is_ipv4_);
  llvm::Value* is_ipv6 = get(is_ipv6_);
  for (Variable variable : ast::kAllVariables) {
    if (!wanted.contains(variable)) continue;
    llvm::Value* value = nullptr;
    switch (variable) {
      case Variable::Ip: value = is_ipv4; break;
      case Variable::Ipv6: value = is_ipv6; break;
      case Variable::Tcp: value = as_i64(b_.CreateICmpEQ(protocol, constant(kProtoTcp))); break;
      case Variable::Udp: value = as_i64(b_.CreateICmpEQ(protocol, constant(kProtoUdp))); break;
      case Variable::Icmp:
        value = b_.CreateOr(b_.CreateAnd(is_ipv4, as_i64(b_.CreateICmpEQ(protocol, constant(kProtoIcmp)))),
                            b_.CreateAnd(is_ipv6, as_i64(b_.CreateICmpEQ(protocol, constant(kProtoIcmpv6)))));
        break;
      case Variable::SrcPort: value = get(src_port_); break;
      case Variable::DstPort: value = get(dst_port_); break;
      case Variable::Len: value = len_; break;
    }
    fields.set(variable, value);
  }
  return fields;
}

void PrologueEmitter::emit_ipv4(llvm::BasicBlock* transport) {
  // version/IHL at 0, flags/fragment offset at 6..7, protocol at 9.
  load_bytes(constant(0), 10, "ipv4_loaded");
  llvm::Value* version_ihl = byte(0);
  require(b_.CreateICmpEQ(b_.CreateLShr(version_ihl, 4), constant(4)), "ipv4_version_ok");
  llvm::Value* ihl = b_.CreateAnd(version_ihl, constant(0xf));
  require(b_.CreateICmpUGE(ihl, constant(5)), "ipv4_ihl_ok");
  llvm::Value* header_size = b_.CreateShl(ihl, 2);
  require(b_.CreateICmpULE(header_size, len_), "ipv4_header_ok");
  llvm::Value* fragment_offset = b_.CreateAnd(be16(6), constant(0x1fff));
  put(non_first_fragment_, as_i64(b_.CreateICmpNE(fragment_offset, constant(0))));
  put(protocol_, byte(9));
  put(transport_offset_, header_size);
  put(is_ipv4_, constant(1));
  b_.CreateBr(transport);
}

void PrologueEmitter::emit_ipv6(llvm::BasicBlock* transport) {
  // version at 0 (high nibble), next header at 6; the fixed header is 40 bytes.
  load_bytes(constant(0), 8, "ipv6_loaded");
  require(b_.CreateICmpUGE(len_, constant(kIpv6HeaderSize)), "ipv6_length_ok");
  require(b_.CreateICmpEQ(b_.CreateLShr(byte(0), 4), constant(6)), "ipv6_version_ok");
  put(next_header_, byte(6));
  put(header_offset_, constant(kIpv6HeaderSize));
  put(is_ipv6_, constant(1));

  // The chain walk: a loop the verifier can bound (kernel >= 5.3), kept rolled so the program
  // stays small; at most 8 extension headers, a 9th one makes the packet malformed.
  put(headers_followed_, constant(0));
  llvm::BasicBlock* head = block("ipv6_chain");
  llvm::BasicBlock* extension = block("ipv6_extension");
  llvm::BasicBlock* chain_end = block("ipv6_chain_end");
  b_.CreateBr(head);
  b_.SetInsertPoint(head);
  llvm::Value* is_extension =
      is_one_of(get(next_header_), {kExtHopByHop, kExtRouting, kExtFragment, kExtAuth, kExtDestOptions});
  b_.CreateCondBr(is_extension, extension, chain_end);
  b_.SetInsertPoint(extension);
  llvm::Value* count = get(headers_followed_);
  require(b_.CreateICmpULT(count, constant(kMaxExtensionHeaders)), "ipv6_chain_short_enough");
  emit_extension_header();
  put(headers_followed_, b_.CreateAdd(count, constant(1)));
  llvm::BranchInst* back_edge = b_.CreateBr(head);
  llvm::LLVMContext& context = b_.getContext();
  llvm::MDNode* no_unroll = llvm::MDNode::get(context, llvm::MDString::get(context, "llvm.loop.unroll.disable"));
  llvm::MDNode* loop_id = llvm::MDNode::getDistinct(context, {nullptr, no_unroll});
  loop_id->replaceOperandWith(0, loop_id);
  back_edge->setMetadata(llvm::LLVMContext::MD_loop, loop_id);
  b_.SetInsertPoint(chain_end);
  put(protocol_, get(next_header_));
  put(transport_offset_, get(header_offset_));
  b_.CreateBr(transport);
}

void PrologueEmitter::emit_extension_header() {
  llvm::Value* type = get(next_header_);
  llvm::Value* offset = get(header_offset_);
  // Every extension header is at least 8 bytes, so reading its first 4 never reads too far.
  load_bytes(offset, 4, "ipv6_extension_loaded");
  llvm::Value* length_field = byte(1);
  llvm::Value* is_fragment = b_.CreateICmpEQ(type, constant(kExtFragment));
  llvm::Value* is_auth = b_.CreateICmpEQ(type, constant(kExtAuth));
  llvm::Value* size = b_.CreateSelect(
      is_fragment, constant(8),
      b_.CreateSelect(is_auth, b_.CreateShl(b_.CreateAdd(length_field, constant(2)), 2),
                      b_.CreateShl(b_.CreateAdd(length_field, constant(1)), 3)));
  // The fragment offset is the high 13 bits of bytes 2..3 of a Fragment header.
  llvm::Value* offset_bits = b_.CreateAnd(be16(2), constant(0xfff8));
  llvm::Value* non_first = b_.CreateAnd(is_fragment, b_.CreateICmpNE(offset_bits, constant(0)));
  put(non_first_fragment_, b_.CreateOr(get(non_first_fragment_), as_i64(non_first)));
  llvm::Value* end = b_.CreateAdd(offset, size);
  llvm::Value* next_type = byte(0);
  require(b_.CreateICmpULE(end, len_), "ipv6_extension_complete");
  put(next_header_, next_type);
  put(header_offset_, end);
}

void PrologueEmitter::emit_transport(llvm::BasicBlock* done, bool read_ports) {
  llvm::Value* protocol = get(protocol_);
  llvm::Value* offset = get(transport_offset_);
  llvm::BasicBlock* first_fragment = block("transport_first_fragment");
  // A non-first fragment carries no transport header: no length check, ports stay 0.
  b_.CreateCondBr(b_.CreateICmpNE(get(non_first_fragment_), constant(0)), done, first_fragment);
  b_.SetInsertPoint(first_fragment);
  llvm::Value* is_tcp = b_.CreateICmpEQ(protocol, constant(kProtoTcp));
  llvm::Value* is_udp = b_.CreateICmpEQ(protocol, constant(kProtoUdp));
  llvm::Value* minimum = b_.CreateSelect(is_tcp, constant(kTcpHeaderSize),
                                         b_.CreateSelect(is_udp, constant(kUdpHeaderSize), constant(0)));
  // For other protocols minimum is 0 and offset <= len already holds.
  require(b_.CreateICmpULE(b_.CreateAdd(offset, minimum), len_), "transport_complete");
  if (!read_ports) {
    b_.CreateBr(done);
    return;
  }
  llvm::BasicBlock* ports = block("transport_ports");
  b_.CreateCondBr(b_.CreateOr(is_tcp, is_udp), ports, done);
  b_.SetInsertPoint(ports);
  load_bytes(offset, 4, "transport_ports_loaded");
  put(src_port_, be16(0));
  put(dst_port_, be16(2));
  b_.CreateBr(done);
}

}  // namespace

PacketFields emit_prologue(llvm::IRBuilder<>& builder, llvm::Value* skb, const VariableSet& wanted,
                           llvm::BasicBlock* malformed) {
  return PrologueEmitter(builder, skb, malformed).emit(wanted);
}

}  // namespace bpffw::codegen
