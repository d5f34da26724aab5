#include "codegen/socket_module.hpp"

#include <linux/bpf.h>

#include <cstddef>
#include <string>

#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/Intrinsics.h>
#include <llvm/Target/TargetMachine.h>

#include <bpffw/compiler.hpp>

#include "codegen/drop_log.hpp"
#include "codegen/lower.hpp"
#include "codegen/module.hpp"
#include "codegen/packet_parser.hpp"
#include "codegen/runtime_maps.hpp"
#include "layout/map_layout.hpp"

namespace bpffw::codegen {
namespace {

using fields::ParsedPacket;

static_assert(std::size(kSocketHooks) == kSocketHookCount);

constexpr std::uint64_t kIpv4MappedWord = 0xffff0000;  // ::ffff:0:0/96's third word, read little-endian
constexpr std::size_t kDestination = offsetof(ParsedPacket, dst_addr);

// What a socket program reads of its hook's struct bpf_sock_addr, as the fields the condition
// reads (flow::known_at_socket): the family, protocol, address and port, and the socket.
class HookReads {
 public:
  HookReads(llvm::IRBuilder<>& builder, llvm::Value* context) : b_(builder), context_(context) {}

  llvm::Value* word(std::size_t offset) {
    llvm::Value* at = b_.CreateConstInBoundsGEP1_64(b_.getInt8Ty(), context_, offset);
    return b_.CreateAlignedLoad(b_.getInt32Ty(), at, llvm::Align(4));
  }
  llvm::Value* wide(llvm::Value* word) { return b_.CreateZExt(word, b_.getInt64Ty()); }
  // The port as packets carry it: network byte order, i16.
  llvm::Value* port_as_sent() { return b_.CreateTrunc(word(offsetof(bpf_sock_addr, user_port)), b_.getInt16Ty()); }
  llvm::Value* port() { return wide(b_.CreateUnaryIntrinsic(llvm::Intrinsic::bswap, port_as_sent())); }
  llvm::Value* protocol() { return wide(word(offsetof(bpf_sock_addr, protocol))); }
  // user_ip6 as four words, and whether it is IPv4-mapped (::ffff:a.b.c.d, the IPv4 in words[3]).
  llvm::Value* ipv6_words(llvm::Value* (&words)[4]) {
    for (int i = 0; i < 4; ++i) words[i] = word(offsetof(bpf_sock_addr, user_ip6) + 4 * i);
    return b_.CreateAnd(b_.CreateICmpEQ(b_.CreateOr(words[0], words[1]), b_.getInt32(0)),
                        b_.CreateICmpEQ(words[2], b_.getInt32(kIpv4MappedWord)));
  }
  // A field of the hook's socket (struct bpf_sock).
  llvm::Value* socket_word(std::size_t offset) {
    llvm::Value* at = b_.CreateConstInBoundsGEP1_64(b_.getInt8Ty(), context_, offsetof(bpf_sock_addr, sk));
    llvm::Value* socket = b_.CreateAlignedLoad(b_.getPtrTy(), at, llvm::Align(8));
    llvm::Value* field_at = b_.CreateConstInBoundsGEP1_64(b_.getInt8Ty(), socket, offset);
    return b_.CreateAlignedLoad(b_.getInt32Ty(), field_at, llvm::Align(4));
  }
  // A connected socket's peer port (§4.5: a connected UDP socket's packets are established).
  llvm::Value* connected() { return wide(b_.CreateICmpNE(socket_word(offsetof(bpf_sock, dst_port)), b_.getInt32(0))); }
  void store(llvm::Value* bytes, std::size_t offset, llvm::Value* word) {
    b_.CreateAlignedStore(word, b_.CreateConstInBoundsGEP1_64(b_.getInt8Ty(), bytes, offset), llvm::Align(4));
  }

 private:
  llvm::IRBuilder<>& b_;
  llvm::Value* context_;
};

// One hook's program: its function, with the blocks and stack slots every hook has.
class HookProgram {
 public:
  HookProgram(llvm::Module& module, SocketHook hook, const RuntimeSpec& runtime)
      : hook_(hook), runtime_(runtime), b(module.getContext()) {
    auto* type = llvm::FunctionType::get(b.getInt32Ty(), {b.getPtrTy()}, false);
    const std::string name(to_string(hook));
    function_ = llvm::Function::Create(type, llvm::GlobalValue::ExternalLinkage, "bpffw_" + name, module);
    function_->setSection("cgroup/" + name);
    function_->addFnAttr(llvm::Attribute::NoUnwind);
    ctx_ = function_->getArg(0);
    ctx_->setName("ctx");
    entry_ = block("entry");
    allow = block("allow");
    b.SetInsertPoint(allow);
    b.CreateRet(b.getInt32(1));
    b.SetInsertPoint(entry_);
    // The packet-to-be's destination, as the packet parser would leave it.
    parsed = stack_bytes(fields::kParsedPacketWithoutWindow, "parsed");
    for (std::size_t at = kDestination; at < kDestination + 16; at += 8)
      b.CreateAlignedStore(b.getInt64(0), b.CreateConstInBoundsGEP1_64(b.getInt8Ty(), parsed, at), llvm::Align(8));
  }

  llvm::BasicBlock* block(const char* label) { return llvm::BasicBlock::Create(b.getContext(), label, function_); }
  HookReads reads() { return HookReads(b, ctx_); }

  // The fields of the packet-to-be (or the packets to a bound port), on `direction`.
  PacketFields packet_fields(llvm::Value* ipv4, llvm::Value* protocol, Direction direction) {
    PacketFields fields;
    fields.parsed = parsed;
    fields.direction = direction;
    fields.rule_lists = &runtime_.rules;
    fields.status = b.CreateSelect(ipv4, b.getInt64(kPacketParserIpv4), b.getInt64(kPacketParserIpv6));
    fields.set(ast::Variable::Ip, b.CreateZExt(ipv4, b.getInt64Ty()));
    fields.set(ast::Variable::Ipv6, b.CreateZExt(b.CreateNot(ipv4), b.getInt64Ty()));
    fields.set(ast::Variable::Tcp, b.CreateZExt(b.CreateICmpEQ(protocol, b.getInt64(kProtoTcp)), b.getInt64Ty()));
    fields.set(ast::Variable::Udp, b.CreateZExt(b.CreateICmpEQ(protocol, b.getInt64(kProtoUdp)), b.getInt64Ty()));
    fields.set(ast::Variable::DstPort, reads().port());
    return fields;
  }

  // A block that refuses: records the refusal (with the log; `source`: the socket's bound end, or
  // none), counts it and returns 0, which fails the caller's call with EPERM. `fields` and
  // `condition` name the decider.
  llvm::BasicBlock* refusal(const PacketFields& fields, const ast::Expr& condition, llvm::Value* ipv4,
                            llvm::Value* protocol, bool ingress, bool source) {
    llvm::BasicBlock* refuse = block("refuse");
    llvm::IRBuilderBase::InsertPointGuard keep(b);
    b.SetInsertPoint(refuse);
    if (runtime_.log) {
      HookReads read = reads();
      llvm::Value* from = stack_bytes(16, "refused_source");
      llvm::Value* from_port = b.getInt16(0);
      for (int i = 0; i < 4; ++i) read.store(from, 4 * i, b.getInt32(0));
      if (source) {
        // The socket's own address and port where it is bound (else zeros), as the packet would carry them.
        const bool six = hook_ == SocketHook::Connect6 || hook_ == SocketHook::Sendmsg6;
        llvm::Value* source_ipv4 = read.socket_word(offsetof(bpf_sock, src_ip4));
        for (int i = 0; i < 4; ++i) {
          llvm::Value* word = i == 0 ? source_ipv4 : b.getInt32(0);
          if (six) word = b.CreateSelect(ipv4, word, read.socket_word(offsetof(bpf_sock, src_ip6) + 4 * i));
          read.store(from, 4 * i, word);
        }
        from_port = b.CreateUnaryIntrinsic(
            llvm::Intrinsic::bswap, b.CreateTrunc(read.socket_word(offsetof(bpf_sock, src_port)), b.getInt16Ty()));
      }
      RefusalFacts facts{static_cast<unsigned>(hook_),
                         ingress,
                         ipv4,
                         protocol,
                         from_port,
                         read.port_as_sent(),
                         from,
                         b.CreateConstInBoundsGEP1_64(b.getInt8Ty(), parsed, kDestination)};
      PacketFields again = fields;
      again.set_states_here = true;
      auto decider = [&](llvm::IRBuilder<>& builder) {
        return runtime_.log_decider ? lower_decider(builder, again, condition, false) : builder.getInt64(0);
      };
      emit_refusal_log(b, *runtime_.log, facts, record_identity(runtime_), decider);
    }
    emit_count_refusal(b, static_cast<unsigned>(hook_), runtime_.audit);
    // Audit mode lets the call go ahead: what it would have refused is counted and recorded only.
    b.CreateRet(b.getInt32(runtime_.audit ? 1 : 0));
    return refuse;
  }

 private:
  llvm::Value* stack_bytes(std::size_t size, const char* name) {
    llvm::IRBuilder<> at_entry(entry_, entry_->getFirstInsertionPt());
    llvm::AllocaInst* bytes = at_entry.CreateAlloca(llvm::ArrayType::get(b.getInt8Ty(), size), nullptr, name);
    bytes->setAlignment(llvm::Align(8));
    return bytes;
  }

  SocketHook hook_;
  const RuntimeSpec& runtime_;
  llvm::Function* function_;
  llvm::Value* ctx_;
  llvm::BasicBlock* entry_;

 public:
  llvm::IRBuilder<> b;
  llvm::BasicBlock* allow;
  llvm::Value* parsed;
};

// connect4/6, sendmsg4/6: the egress condition on the flow's first packets.
void build_flow_hook(llvm::Module& module, SocketHook hook, const ast::Expr& condition, const RuntimeSpec& runtime) {
  HookProgram program(module, hook, runtime);
  llvm::IRBuilder<>& b = program.b;
  HookReads read = program.reads();
  llvm::BasicBlock* judge = program.block("judge");
  // Judged: a TCP connect() (its SYN) and a UDP send. UDP's connect() sends nothing, and programs
  // use it to learn their source address (ping does): allowed, its sends are judged (at once:
  // a connected socket's dropped datagram fails its send with EPERM). Another protocol's socket
  // (ping, raw) sends no SYN or datagram of the kind judged: allowed.
  const bool connects = hook == SocketHook::Connect4 || hook == SocketHook::Connect6;
  llvm::Value* protocol = read.protocol();
  llvm::Value* judged = b.CreateICmpEQ(protocol, b.getInt64(connects ? kProtoTcp : kProtoUdp));
  b.CreateCondBr(judged, judge, program.allow);

  b.SetInsertPoint(judge);
  if (!connects) {
    // A connected socket's sends are judged by their packets, whose drop fails them at once: the
    // hook runs for some of them only (a v4-mapped peer's, one that names an address).
    llvm::BasicBlock* unconnected = program.block("unconnected");
    b.CreateCondBr(b.CreateICmpNE(read.connected(), b.getInt64(0)), program.allow, unconnected);
    b.SetInsertPoint(unconnected);
  }
  const bool six = hook == SocketHook::Connect6 || hook == SocketHook::Sendmsg6;
  llvm::Value* ipv4 = b.getTrue();
  llvm::Value* unspecified = nullptr;
  if (!six) {
    llvm::Value* address = read.word(offsetof(bpf_sock_addr, user_ip4));
    unspecified = b.CreateICmpEQ(address, b.getInt32(0));
    read.store(program.parsed, kDestination, address);
  } else {
    // An IPv4-mapped destination (::ffff:a.b.c.d) leaves as the IPv4 packet it becomes.
    llvm::Value* words[4];
    ipv4 = read.ipv6_words(words);
    for (int i = 0; i < 4; ++i) {
      llvm::Value* mapped = i == 0 ? words[3] : b.getInt32(0);
      read.store(program.parsed, kDestination + 4 * i, b.CreateSelect(ipv4, mapped, words[i]));
    }
    // ::, and ::ffff:0.0.0.0 (the mapped words are zero then too).
    unspecified = b.CreateICmpEQ(
        b.CreateOr(b.CreateOr(words[0], words[1]), b.CreateOr(b.CreateSelect(ipv4, b.getInt32(0), words[2]), words[3])),
        b.getInt32(0));
  }
  // An unspecified destination (0.0.0.0, ::) is not where the packets go: the kernel sends them to
  // loopback or to the socket's own address, after the hook. Never refused (§10).
  llvm::BasicBlock* specified = program.block("specified");
  b.CreateCondBr(unspecified, program.allow, specified);
  b.SetInsertPoint(specified);
  PacketFields fields = program.packet_fields(ipv4, protocol, Direction::Egress);
  // A connect() makes the socket connected before its first packet; a send judged here is on an
  // unconnected socket.
  fields.set(ast::Variable::Established, b.getInt64(connects ? 1 : 0));
  llvm::BasicBlock* refuse = program.refusal(fields, condition, ipv4, protocol, false, true);
  lower_branch(b, fields, condition, program.allow, refuse);
}

// bind4/6: the ingress conditions on every packet to the address and port bound (SocketConditions).
void build_bind_hook(llvm::Module& module, SocketHook hook, const SocketConditions& conditions,
                     const RuntimeSpec& runtime) {
  HookProgram program(module, hook, runtime);
  llvm::IRBuilder<>& b = program.b;
  HookReads read = program.reads();
  // TCP and UDP sockets bound to a port of their own choosing; port 0 lets the kernel pick one.
  llvm::BasicBlock* judge = program.block("judge");
  llvm::Value* protocol = read.protocol();
  llvm::Value* judged = b.CreateAnd(
      b.CreateOr(b.CreateICmpEQ(protocol, b.getInt64(kProtoTcp)), b.CreateICmpEQ(protocol, b.getInt64(kProtoUdp))),
      b.CreateICmpNE(read.port(), b.getInt64(0)));
  b.CreateCondBr(judged, judge, program.allow);
  b.SetInsertPoint(judge);

  // Judges `condition` for one family in the current block: allowed where it may pass, else on
  // to `otherwise` (nullptr: refused).
  auto judge_family = [&](bool ipv4, const ast::Expr& condition, llvm::BasicBlock* otherwise) {
    PacketFields fields = program.packet_fields(b.getInt1(ipv4), protocol, Direction::Ingress);
    if (otherwise == nullptr) otherwise = program.refusal(fields, condition, b.getInt1(ipv4), protocol, true, false);
    lower_branch(b, fields, condition, program.allow, otherwise);
  };
  // Branches on `wildcard`: to the wildcard condition of the families in `wild_families` (IPv4,
  // then IPv6), else to the bound address's of `ipv4`.
  auto by_address = [&](llvm::Value* wildcard, bool ipv4, bool both_when_wild) {
    llvm::BasicBlock* wild = program.block("wildcard");
    llvm::BasicBlock* bound = program.block("bound_address");
    b.CreateCondBr(wildcard, wild, bound);
    b.SetInsertPoint(bound);
    judge_family(ipv4, conditions.to_address(), nullptr);
    b.SetInsertPoint(wild);
    if (!both_when_wild) return judge_family(ipv4, conditions.to_wildcard(), nullptr);
    llvm::BasicBlock* as_ipv6 = program.block("wildcard_ipv6");
    judge_family(true, conditions.to_wildcard(), as_ipv6);
    b.SetInsertPoint(as_ipv6);
    judge_family(false, conditions.to_wildcard(), nullptr);
  };
  if (hook == SocketHook::Bind4) {
    llvm::Value* address = read.word(offsetof(bpf_sock_addr, user_ip4));
    read.store(program.parsed, kDestination, address);
    return by_address(b.CreateICmpEQ(address, b.getInt32(0)), true, false);
  }
  // An IPv6 socket: bound to ::ffff:a.b.c.d it receives IPv4 only; to :: both families (unless
  // IPV6_V6ONLY, which the hook cannot see); else IPv6.
  llvm::Value* words[4];
  llvm::Value* mapped = read.ipv6_words(words);
  llvm::BasicBlock* as_ipv4 = program.block("mapped");
  llvm::BasicBlock* as_ipv6 = program.block("ipv6");
  b.CreateCondBr(mapped, as_ipv4, as_ipv6);
  b.SetInsertPoint(as_ipv4);
  read.store(program.parsed, kDestination, words[3]);
  by_address(b.CreateICmpEQ(words[3], b.getInt32(0)), true, false);
  b.SetInsertPoint(as_ipv6);
  for (int i = 0; i < 4; ++i) read.store(program.parsed, kDestination + 4 * i, words[i]);
  llvm::Value* any = b.CreateOr(b.CreateOr(words[0], words[1]), b.CreateOr(words[2], words[3]));
  by_address(b.CreateICmpEQ(any, b.getInt32(0)), false, true);
}

}  // namespace

std::unique_ptr<llvm::Module> build_socket_module(llvm::LLVMContext& context, const llvm::TargetMachine& target,
                                                  const SocketConditions& conditions, const RuntimeSpec& runtime) {
  auto module = std::make_unique<llvm::Module>("bpffw_socket", context);
  module->setTargetTriple(target.getTargetTriple().str());
  module->setDataLayout(target.createDataLayout());
  add_runtime_globals(*module, runtime);
  for (SocketHook hook : socket_hooks(conditions.direction)) {
    if (conditions.direction == Direction::Egress) build_flow_hook(*module, hook, conditions.first_packets(), runtime);
    else build_bind_hook(*module, hook, conditions, runtime);
  }
  add_license(*module);
  return module;
}

}  // namespace bpffw::codegen
