#include "codegen/prologue.hpp"

#include <cstdint>
#include <initializer_list>

namespace bpffw::codegen {
namespace {

using ast::Variable;

constexpr std::uint64_t kSkbLenOffset = 0;        // struct __sk_buff.len
constexpr std::uint64_t kSkbProtocolOffset = 16;  // struct __sk_buff.protocol, network byte order
constexpr std::uint64_t kSkbDataOffset = 76;      // struct __sk_buff.data: the IP header, linear part
constexpr std::uint64_t kSkbDataEndOffset = 80;   // struct __sk_buff.data_end: end of the linear part
// skb->protocol holds the ethertype in network byte order; read as a little-endian u32:
constexpr std::uint64_t kEthertypeIpv4 = 0x0008;  // 0x0800
constexpr std::uint64_t kEthertypeIpv6 = 0xDD86;  // 0x86DD
// Headers are read in place when they lie in the linear data (skb->data .. data_end, direct packet
// access: a few loads) and otherwise with bpf_skb_load_bytes, which reads wherever the bytes lie
// (linear data or fragments) and fails exactly when offset + size > skb->len, which is our "runs
// past the end of the packet".
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
  // skb->data or skb->data_end as a packet pointer.
  llvm::Value* skb_pointer(std::uint64_t offset);
  // Continues in a fresh block when `ok` holds; the packet is malformed otherwise.
  void require(llvm::Value* ok, const char* name);
  // Reads the packet bytes [offset, offset + size) (malformed if they are not all there) and makes
  // bytes[i] for each i in `indices` available, zero-extended, in the block it leaves the builder in.
  void load_bytes(llvm::Value* offset, unsigned size, std::initializer_list<unsigned> indices, const char* name,
                  bool in_place = true);
  llvm::Value* byte(unsigned index) { return bytes_[index]; }  // one of the last load_bytes() indices
  llvm::Value* be16(unsigned index);                            // big-endian u16 at bytes[index]

  // Each ends in `done`, in `in_place` with transport_offset_ set (a transport header at IHL * 4
  // or 40, which the verifier tracks cheaply), or in the malformed block, with the slots below set.
  void emit_ipv4(llvm::BasicBlock* in_place, llvm::BasicBlock* done);
  void emit_ipv6(llvm::BasicBlock* in_place, llvm::BasicBlock* done);
  void emit_extension_walk(llvm::BasicBlock* done);
  // The transport header of a first fragment (or unfragmented packet) at `offset`: its minimum
  // length, and the ports when the filter reads them. Emitted twice: read in place after IPv4 and
  // after IPv6 without extension headers, with the helper after an extension-header walk.
  void emit_transport(llvm::Value* protocol, llvm::Value* offset, bool in_place, llvm::BasicBlock* done);

  llvm::IRBuilder<>& b_;
  llvm::Value* skb_;
  llvm::BasicBlock* malformed_;
  llvm::Function* function_;
  llvm::AllocaInst* buffer_ = nullptr;
  std::array<llvm::Value*, kBufferSize> bytes_{};
  llvm::Value* len_ = nullptr;
  // Parse state, kept in stack slots that mem2reg turns into SSA values.
  llvm::AllocaInst* is_ipv4_ = nullptr;
  llvm::AllocaInst* is_ipv6_ = nullptr;
  llvm::AllocaInst* protocol_ = nullptr;         // transport protocol; 0 when not IP
  llvm::AllocaInst* transport_offset_ = nullptr;
  llvm::AllocaInst* fragment_bits_ = nullptr;    // IPv6 walk: non-zero once a non-first Fragment header
  llvm::AllocaInst* next_header_ = nullptr;      // IPv6 chain walk
  llvm::AllocaInst* header_offset_ = nullptr;    // IPv6 chain walk
  llvm::AllocaInst* headers_followed_ = nullptr;  // IPv6 chain walk
  llvm::AllocaInst* header_size_ = nullptr;      // IPv6 chain walk: size of the current header
  llvm::AllocaInst* following_header_ = nullptr;  // IPv6 chain walk: its next-header field
  bool read_ports_ = false;
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

llvm::Value* PrologueEmitter::skb_pointer(std::uint64_t offset) {
  // Volatile, so that every read loads the pair afresh: a pointer kept in a register across reads
  // would carry a checked packet range on the in-place path and none on the helper path, and the
  // verifier could not merge the two at the join (each read would double the paths it walks).
  llvm::Value* address = b_.CreateConstInBoundsGEP1_64(b_.getInt8Ty(), skb_, offset);
  llvm::LoadInst* value = b_.CreateAlignedLoad(b_.getInt32Ty(), address, llvm::Align(4), /*isVolatile=*/true);
  return b_.CreateIntToPtr(b_.CreateZExt(value, i64_type()), b_.getPtrTy());
}

void PrologueEmitter::load_bytes(llvm::Value* offset, unsigned size, std::initializer_list<unsigned> indices,
                                 const char* name, bool in_place_allowed) {
  llvm::LLVMContext& context = b_.getContext();
  llvm::BasicBlock* in_place = nullptr;
  llvm::BasicBlock* helper_path = llvm::BasicBlock::Create(context, llvm::Twine(name) + "_helper", function_);
  llvm::BasicBlock* copied = llvm::BasicBlock::Create(context, llvm::Twine(name) + "_copied", function_);
  llvm::BasicBlock* join = llvm::BasicBlock::Create(context, name, function_);

  std::array<llvm::Value*, kBufferSize> direct{}, helper{};
  if (in_place_allowed) {
    in_place = llvm::BasicBlock::Create(context, llvm::Twine(name) + "_in_place", function_, helper_path);
    llvm::Value* start = b_.CreateGEP(b_.getInt8Ty(), skb_pointer(kSkbDataOffset), offset);
    llvm::Value* end = b_.CreateConstGEP1_64(b_.getInt8Ty(), start, size);
    b_.CreateCondBr(b_.CreateICmpULE(end, skb_pointer(kSkbDataEndOffset)), in_place, helper_path);
    b_.SetInsertPoint(in_place);
    for (unsigned index : indices) {
      llvm::Value* address = b_.CreateConstGEP1_64(b_.getInt8Ty(), start, index);
      direct[index] = b_.CreateZExt(b_.CreateLoad(b_.getInt8Ty(), address), i64_type());
    }
    b_.CreateBr(join);
  } else {
    b_.CreateBr(helper_path);
  }

  b_.SetInsertPoint(helper_path);
  llvm::Type* i32 = b_.getInt32Ty();
  llvm::Type* ptr = b_.getPtrTy();
  auto* helper_type = llvm::FunctionType::get(i64_type(), {ptr, i32, ptr, i32}, false);
  llvm::Value* function = b_.CreateIntToPtr(constant(kHelperSkbLoadBytes), ptr);
  llvm::Value* status = b_.CreateCall(helper_type, function,
                                      {skb_, b_.CreateTrunc(offset, i32), buffer_, b_.getInt32(size)});
  b_.CreateCondBr(b_.CreateICmpEQ(status, constant(0)), copied, malformed_);
  b_.SetInsertPoint(copied);
  for (unsigned index : indices) {
    llvm::Value* address = b_.CreateConstInBoundsGEP1_64(b_.getInt8Ty(), buffer_, index);
    helper[index] = b_.CreateZExt(b_.CreateLoad(b_.getInt8Ty(), address), i64_type());
  }
  b_.CreateBr(join);

  b_.SetInsertPoint(join);
  bytes_ = {};
  for (unsigned index : indices) {
    if (!in_place_allowed) {
      bytes_[index] = helper[index];
      continue;
    }
    llvm::PHINode* phi = b_.CreatePHI(i64_type(), 2);
    phi->addIncoming(direct[index], in_place);
    phi->addIncoming(helper[index], copied);
    bytes_[index] = phi;
  }
}

llvm::Value* PrologueEmitter::be16(unsigned index) {
  return b_.CreateOr(b_.CreateShl(byte(index), 8), byte(index + 1));
}

PacketFields PrologueEmitter::emit(const VariableSet& wanted) {
  buffer_ = b_.CreateAlloca(llvm::ArrayType::get(b_.getInt8Ty(), kBufferSize), nullptr, "packet_bytes");
  buffer_->setAlignment(llvm::Align(8));
  is_ipv4_ = slot("is_ipv4", 0);
  is_ipv6_ = slot("is_ipv6", 0);
  protocol_ = slot("protocol", 0);
  transport_offset_ = slot("transport_offset", 0);
  fragment_bits_ = slot("fragment_bits", 0);
  next_header_ = slot("next_header", 0);
  header_offset_ = slot("header_offset", 0);
  headers_followed_ = slot("headers_followed", 0);
  header_size_ = slot("header_size", 0);
  following_header_ = slot("following_header", 0);
  src_port_ = slot("src_port", 0);
  dst_port_ = slot("dst_port", 0);
  read_ports_ = wanted.reads_ports();
  len_ = skb_u32(kSkbLenOffset);
  llvm::Value* ethertype = skb_u32(kSkbProtocolOffset);

  llvm::BasicBlock* ipv4 = block("ipv4");
  llvm::BasicBlock* ipv6 = block("ipv6");
  llvm::BasicBlock* in_place = block("transport");
  llvm::BasicBlock* done = block("fields");
  llvm::SwitchInst* by_ethertype = b_.CreateSwitch(ethertype, done, 2);  // not IP: all variables 0
  by_ethertype->addCase(b_.getInt64(kEthertypeIpv4), ipv4);
  by_ethertype->addCase(b_.getInt64(kEthertypeIpv6), ipv6);

  b_.SetInsertPoint(ipv4);
  emit_ipv4(in_place, done);
  b_.SetInsertPoint(ipv6);
  emit_ipv6(in_place, done);
  b_.SetInsertPoint(in_place);
  emit_transport(get(protocol_), get(transport_offset_), true, done);

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

void PrologueEmitter::emit_ipv4(llvm::BasicBlock* in_place, llvm::BasicBlock* done) {
  // version/IHL at 0, flags/fragment offset at 6..7, protocol at 9.
  load_bytes(constant(0), 10, {0, 6, 7, 9}, "ipv4_loaded");
  llvm::Value* version_ihl = byte(0);
  llvm::Value* fragment_offset = b_.CreateAnd(be16(6), constant(0x1fff));
  llvm::Value* protocol = byte(9);
  llvm::Value* ihl = b_.CreateAnd(version_ihl, constant(0xf));
  llvm::Value* header_size = b_.CreateShl(ihl, 2);
  // One IR block for the three checks (the backend's cost grows with blocks, not compares).
  require(b_.CreateAnd(b_.CreateAnd(b_.CreateICmpEQ(b_.CreateLShr(version_ihl, 4), constant(4)),
                                    b_.CreateICmpUGE(ihl, constant(5))),
                       b_.CreateICmpULE(header_size, len_)),
          "ipv4_well_formed");
  put(is_ipv4_, constant(1));
  put(protocol_, protocol);
  // A non-first fragment carries no transport header: no length check, ports stay 0.
  put(transport_offset_, header_size);
  b_.CreateCondBr(b_.CreateICmpNE(fragment_offset, constant(0)), done, in_place);
}

void PrologueEmitter::emit_ipv6(llvm::BasicBlock* in_place, llvm::BasicBlock* done) {
  // version at 0 (high nibble), next header at 6; the fixed header is 40 bytes.
  load_bytes(constant(0), 8, {0, 6}, "ipv6_loaded");
  llvm::Value* next = byte(6);
  require(b_.CreateAnd(b_.CreateICmpUGE(len_, constant(kIpv6HeaderSize)),
                       b_.CreateICmpEQ(b_.CreateLShr(byte(0), 4), constant(6))),
          "ipv6_well_formed");
  put(is_ipv6_, constant(1));
  put(protocol_, next);
  // Most packets have no extension header: their transport header is at 40, read in place.
  put(transport_offset_, constant(kIpv6HeaderSize));
  llvm::BasicBlock* walk = block("ipv6_extensions");
  llvm::SwitchInst* by_next = b_.CreateSwitch(next, in_place, 5);
  for (std::uint64_t type : {kExtHopByHop, kExtRouting, kExtFragment, kExtAuth, kExtDestOptions}) {
    by_next->addCase(b_.getInt64(type), walk);
  }
  b_.SetInsertPoint(walk);
  put(next_header_, next);
  put(header_offset_, constant(kIpv6HeaderSize));
  emit_extension_walk(done);
}

void PrologueEmitter::emit_extension_walk(llvm::BasicBlock* done) {
  // A loop the verifier can bound (kernel >= 5.3), kept rolled so the program stays small; at most
  // 8 extension headers, a 9th one makes the packet malformed. Headers are read with the helper
  // only: an offset added to a packet pointer must be tracked exactly by the verifier, which then
  // cannot merge the states of different header chains (F1 with in-place reads here: 14,223
  // processed instructions). Extension headers are rare; this costs them a call each.
  llvm::BasicBlock* head = block("ipv6_chain");
  llvm::BasicBlock* extension = block("ipv6_extension");
  llvm::BasicBlock* generic = block("ipv6_extension_generic");  // Hop-by-Hop, Routing, Destination
  llvm::BasicBlock* fragment = block("ipv6_extension_fragment");
  llvm::BasicBlock* auth = block("ipv6_extension_auth");
  llvm::BasicBlock* next = block("ipv6_extension_next");
  llvm::BasicBlock* chain_end = block("ipv6_chain_end");
  b_.CreateBr(head);

  b_.SetInsertPoint(head);
  llvm::SwitchInst* is_extension = b_.CreateSwitch(get(next_header_), chain_end, 5);
  for (std::uint64_t type : {kExtHopByHop, kExtRouting, kExtFragment, kExtAuth, kExtDestOptions}) {
    is_extension->addCase(b_.getInt64(type), extension);
  }

  b_.SetInsertPoint(extension);
  llvm::Value* count = get(headers_followed_);
  require(b_.CreateICmpULT(count, constant(kMaxExtensionHeaders)), "ipv6_chain_short_enough");
  put(headers_followed_, b_.CreateAdd(count, constant(1)));
  llvm::Value* offset = get(header_offset_);
  llvm::Value* type = get(next_header_);
  // Every extension header is at least 8 bytes, so reading its first 4 never reads too far.
  load_bytes(offset, 4, {0, 1, 2, 3}, "ipv6_extension_loaded", false);
  llvm::Value* length_field = byte(1);
  put(following_header_, byte(0));
  // The fragment offset is the high 13 bits of bytes 2..3 of a Fragment header; kept as bits
  // (non-zero: a non-first fragment) rather than as a 0/1 flag, which would cost a branch.
  llvm::Value* offset_bits = b_.CreateAnd(be16(2), constant(0xfff8));
  llvm::SwitchInst* by_type = b_.CreateSwitch(type, generic, 2);
  by_type->addCase(b_.getInt64(kExtFragment), fragment);
  by_type->addCase(b_.getInt64(kExtAuth), auth);
  b_.SetInsertPoint(generic);
  put(header_size_, b_.CreateShl(b_.CreateAdd(length_field, constant(1)), 3));
  b_.CreateBr(next);
  b_.SetInsertPoint(fragment);
  put(header_size_, constant(8));
  put(fragment_bits_, b_.CreateOr(get(fragment_bits_), offset_bits));
  b_.CreateBr(next);
  b_.SetInsertPoint(auth);
  put(header_size_, b_.CreateShl(b_.CreateAdd(length_field, constant(2)), 2));
  b_.CreateBr(next);

  b_.SetInsertPoint(next);
  llvm::Value* end = b_.CreateAdd(offset, get(header_size_));
  require(b_.CreateICmpULE(end, len_), "ipv6_extension_complete");
  put(next_header_, get(following_header_));
  put(header_offset_, end);
  llvm::BranchInst* back_edge = b_.CreateBr(head);
  llvm::LLVMContext& context = b_.getContext();
  llvm::MDNode* no_unroll = llvm::MDNode::get(context, llvm::MDString::get(context, "llvm.loop.unroll.disable"));
  llvm::MDNode* loop_id = llvm::MDNode::getDistinct(context, {nullptr, no_unroll});
  loop_id->replaceOperandWith(0, loop_id);
  back_edge->setMetadata(llvm::LLVMContext::MD_loop, loop_id);

  b_.SetInsertPoint(chain_end);
  llvm::Value* protocol = get(next_header_);
  put(protocol_, protocol);
  llvm::BasicBlock* first = block("ipv6_first_fragment");
  b_.CreateCondBr(b_.CreateICmpNE(get(fragment_bits_), constant(0)), done, first);
  b_.SetInsertPoint(first);
  emit_transport(protocol, get(header_offset_), false, done);
}

void PrologueEmitter::emit_transport(llvm::Value* protocol, llvm::Value* offset, bool in_place,
                                     llvm::BasicBlock* done) {
  llvm::BasicBlock* tcp = block("transport_tcp");
  llvm::BasicBlock* udp = block("transport_udp");
  llvm::BasicBlock* ports = block("transport_ports");
  // Other protocols: no minimum length (offset <= len already holds), no ports.
  llvm::SwitchInst* by_protocol = b_.CreateSwitch(protocol, done, 2);
  by_protocol->addCase(b_.getInt64(kProtoTcp), tcp);
  by_protocol->addCase(b_.getInt64(kProtoUdp), udp);
  b_.SetInsertPoint(tcp);
  require(b_.CreateICmpULE(b_.CreateAdd(offset, constant(kTcpHeaderSize)), len_), "tcp_complete");
  b_.CreateBr(ports);
  b_.SetInsertPoint(udp);
  require(b_.CreateICmpULE(b_.CreateAdd(offset, constant(kUdpHeaderSize)), len_), "udp_complete");
  b_.CreateBr(ports);
  b_.SetInsertPoint(ports);
  if (read_ports_) {
    load_bytes(offset, 4, {0, 1, 2, 3}, "transport_ports_loaded", in_place);
    put(src_port_, be16(0));
    put(dst_port_, be16(2));
  }
  b_.CreateBr(done);
}

}  // namespace

PacketFields emit_prologue(llvm::IRBuilder<>& builder, llvm::Value* skb, const VariableSet& wanted,
                           llvm::BasicBlock* malformed) {
  return PrologueEmitter(builder, skb, malformed).emit(wanted);
}

}  // namespace bpffw::codegen
