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

// What a socket program reads of its hook's struct bpf_sock_addr, as the fields the condition
// reads (flow::known_at_socket): the packet-to-be's family, protocol, destination and socket.
class HookReads {
 public:
  HookReads(llvm::IRBuilder<>& builder, llvm::Value* context) : b_(builder), context_(context) {}

  llvm::Value* word(std::size_t offset) {
    llvm::Value* at = b_.CreateConstInBoundsGEP1_64(b_.getInt8Ty(), context_, offset);
    return b_.CreateAlignedLoad(b_.getInt32Ty(), at, llvm::Align(4));
  }
  llvm::Value* wide(llvm::Value* word) { return b_.CreateZExt(word, b_.getInt64Ty()); }
  // The destination port as the packet carries it: network byte order, i16.
  llvm::Value* port_as_sent() { return b_.CreateTrunc(word(offsetof(bpf_sock_addr, user_port)), b_.getInt16Ty()); }
  llvm::Value* port() { return wide(b_.CreateUnaryIntrinsic(llvm::Intrinsic::bswap, port_as_sent())); }
  // A field of the hook's socket (struct bpf_sock).
  llvm::Value* socket_word(std::size_t offset) {
    llvm::Value* at = b_.CreateConstInBoundsGEP1_64(b_.getInt8Ty(), context_, offsetof(bpf_sock_addr, sk));
    llvm::Value* socket = b_.CreateAlignedLoad(b_.getPtrTy(), at, llvm::Align(8));
    llvm::Value* field_at = b_.CreateConstInBoundsGEP1_64(b_.getInt8Ty(), socket, offset);
    return b_.CreateAlignedLoad(b_.getInt32Ty(), field_at, llvm::Align(4));
  }
  // A connected socket's peer port (§4.5: a connected UDP socket's packets are established).
  llvm::Value* connected() { return wide(b_.CreateICmpNE(socket_word(offsetof(bpf_sock, dst_port)), b_.getInt32(0))); }
  void store(llvm::Value* parsed, std::size_t offset, llvm::Value* word) {
    b_.CreateAlignedStore(word, b_.CreateConstInBoundsGEP1_64(b_.getInt8Ty(), parsed, offset), llvm::Align(4));
  }

 private:
  llvm::IRBuilder<>& b_;
  llvm::Value* context_;
};

void build_hook(llvm::Module& module, SocketHook hook, const ast::Expr& condition, const RuntimeSpec& runtime) {
  llvm::LLVMContext& context = module.getContext();
  llvm::IRBuilder<> b(context);
  auto* type = llvm::FunctionType::get(b.getInt32Ty(), {b.getPtrTy()}, false);
  const std::string name(to_string(hook));
  auto* function = llvm::Function::Create(type, llvm::GlobalValue::ExternalLinkage, "bpffw_" + name, module);
  function->setSection("cgroup/" + name);
  function->addFnAttr(llvm::Attribute::NoUnwind);
  llvm::Value* ctx = function->getArg(0);
  ctx->setName("ctx");

  auto block = [&](const char* label) { return llvm::BasicBlock::Create(context, label, function); };
  llvm::BasicBlock* entry = block("entry");
  llvm::BasicBlock* judge = block("judge");
  llvm::BasicBlock* allow = block("allow");
  llvm::BasicBlock* refuse = block("refuse");
  b.SetInsertPoint(allow);
  b.CreateRet(b.getInt32(1));

  b.SetInsertPoint(entry);
  HookReads read(b, ctx);
  llvm::AllocaInst* parsed =
      b.CreateAlloca(llvm::ArrayType::get(b.getInt8Ty(), fields::kParsedPacketWithoutWindow), nullptr, "parsed");
  parsed->setAlignment(llvm::Align(alignof(ParsedPacket)));
  for (std::size_t at = offsetof(ParsedPacket, dst_addr); at < offsetof(ParsedPacket, dst_addr) + 16; at += 8)
    b.CreateAlignedStore(b.getInt64(0), b.CreateConstInBoundsGEP1_64(b.getInt8Ty(), parsed, at), llvm::Align(8));
  // Judged: a TCP connect() (its SYN) and a UDP send. UDP's connect() sends nothing, and programs
  // use it to learn their source address (ping does): allowed, its sends are judged (at once:
  // a connected socket's dropped datagram fails its send with EPERM). Another protocol's socket
  // (ping, raw) sends no SYN or datagram of the kind judged: allowed.
  const bool connects = hook == SocketHook::Connect4 || hook == SocketHook::Connect6;
  llvm::Value* protocol = read.wide(read.word(offsetof(bpf_sock_addr, protocol)));
  llvm::Value* tcp = b.CreateICmpEQ(protocol, b.getInt64(kProtoTcp));
  llvm::Value* udp = b.CreateICmpEQ(protocol, b.getInt64(kProtoUdp));
  b.CreateCondBr(connects ? tcp : udp, judge, allow);

  b.SetInsertPoint(judge);
  if (!connects) {
    // A connected socket's sends are judged by their packets, whose drop fails them at once: the
    // hook runs for some of them only (a v4-mapped peer's, one that names an address).
    llvm::BasicBlock* unconnected = llvm::BasicBlock::Create(context, "unconnected", function);
    b.CreateCondBr(b.CreateICmpNE(read.connected(), b.getInt64(0)), allow, unconnected);
    b.SetInsertPoint(unconnected);
  }
  const bool six = hook == SocketHook::Connect6 || hook == SocketHook::Sendmsg6;
  const std::size_t dst = offsetof(ParsedPacket, dst_addr);
  llvm::Value* ipv4 = b.getTrue();
  llvm::Value* unspecified = nullptr;
  if (!six) {
    llvm::Value* address = read.word(offsetof(bpf_sock_addr, user_ip4));
    unspecified = b.CreateICmpEQ(address, b.getInt32(0));
    read.store(parsed, dst, address);
  } else {
    // An IPv4-mapped destination (::ffff:a.b.c.d) leaves as the IPv4 packet it becomes.
    llvm::Value* words[4];
    for (int i = 0; i < 4; ++i) words[i] = read.word(offsetof(bpf_sock_addr, user_ip6) + 4 * i);
    ipv4 = b.CreateAnd(b.CreateICmpEQ(b.CreateOr(words[0], words[1]), b.getInt32(0)),
                       b.CreateICmpEQ(words[2], b.getInt32(kIpv4MappedWord)));
    for (int i = 0; i < 4; ++i) {
      llvm::Value* mapped = i == 0 ? words[3] : b.getInt32(0);
      read.store(parsed, dst + 4 * i, b.CreateSelect(ipv4, mapped, words[i]));
    }
    // ::, and ::ffff:0.0.0.0 (the mapped words are zero then too).
    unspecified = b.CreateICmpEQ(
        b.CreateOr(b.CreateOr(words[0], words[1]), b.CreateOr(b.CreateSelect(ipv4, b.getInt32(0), words[2]), words[3])),
        b.getInt32(0));
  }
  // An unspecified destination (0.0.0.0, ::) is not where the packets go: the kernel sends them to
  // loopback or to the socket's own address, after the hook. Never refused (§10).
  llvm::BasicBlock* specified = llvm::BasicBlock::Create(context, "specified", function);
  b.CreateCondBr(unspecified, allow, specified);
  b.SetInsertPoint(specified);
  PacketFields fields;
  fields.parsed = parsed;
  fields.direction = Direction::Egress;
  fields.rule_lists = &runtime.rules;
  fields.status = b.CreateSelect(ipv4, b.getInt64(kPacketParserIpv4), b.getInt64(kPacketParserIpv6));
  fields.set(ast::Variable::Ip, b.CreateZExt(ipv4, b.getInt64Ty()));
  fields.set(ast::Variable::Ipv6, b.CreateZExt(b.CreateNot(ipv4), b.getInt64Ty()));
  fields.set(ast::Variable::Tcp, b.CreateZExt(tcp, b.getInt64Ty()));
  fields.set(ast::Variable::Udp, b.CreateZExt(udp, b.getInt64Ty()));
  fields.set(ast::Variable::DstPort, read.port());
  // A connect() makes the socket connected before its first packet; a send judged here is on an
  // unconnected socket.
  fields.set(ast::Variable::Established, b.getInt64(connects ? 1 : 0));
  lower_branch(b, fields, condition, allow, refuse);

  b.SetInsertPoint(refuse);
  if (runtime.log) {
    // The socket's own address and port where it is bound (else zeros), as the packet would carry them.
    llvm::IRBuilder<> at_entry(entry, entry->getFirstInsertionPt());
    llvm::AllocaInst* source =
        at_entry.CreateAlloca(llvm::ArrayType::get(b.getInt8Ty(), 16), nullptr, "refused_source");
    source->setAlignment(llvm::Align(8));
    llvm::Value* source_ipv4 = read.socket_word(offsetof(bpf_sock, src_ip4));
    for (int i = 0; i < 4; ++i) {
      llvm::Value* word = i == 0 ? source_ipv4 : b.getInt32(0);
      if (six) word = b.CreateSelect(ipv4, word, read.socket_word(offsetof(bpf_sock, src_ip6) + 4 * i));
      read.store(source, 4 * i, word);
    }
    llvm::Value* source_port = b.CreateTrunc(read.socket_word(offsetof(bpf_sock, src_port)), b.getInt16Ty());
    RefusalFacts facts{static_cast<unsigned>(hook),
                       ipv4,
                       protocol,
                       b.CreateUnaryIntrinsic(llvm::Intrinsic::bswap, source_port),
                       read.port_as_sent(),
                       source,
                       b.CreateConstInBoundsGEP1_64(b.getInt8Ty(), parsed, dst)};
    PacketFields again = fields;
    again.set_states_here = true;
    auto decider = [&](llvm::IRBuilder<>& builder) {
      return runtime.log_decider ? lower_decider(builder, again, condition, false) : builder.getInt64(0);
    };
    emit_refusal_log(b, *runtime.log, facts, layout::expression_hash(runtime.source), decider);
  }
  emit_count_refusal(b, static_cast<unsigned>(hook));
  b.CreateRet(b.getInt32(0));  // the caller's connect() or sendmsg() fails with EPERM
}

}  // namespace

std::unique_ptr<llvm::Module> build_socket_module(llvm::LLVMContext& context, const llvm::TargetMachine& target,
                                                  const ast::Expr& condition, const RuntimeSpec& runtime) {
  auto module = std::make_unique<llvm::Module>("bpffw_socket", context);
  module->setTargetTriple(target.getTargetTriple().str());
  module->setDataLayout(target.createDataLayout());
  add_runtime_globals(*module, runtime);
  for (SocketHook hook : kSocketHooks) build_hook(*module, hook, condition, runtime);
  add_license(*module);
  return module;
}

}  // namespace bpffw::codegen
