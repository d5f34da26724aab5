#include "codegen/prologue.hpp"

#include <cstdint>
#include <string>

#include <llvm/IR/InlineAsm.h>

#include "codegen/prologue_asm.hpp"

namespace bpffw::codegen {
namespace {

using ast::Variable;

constexpr std::uint64_t kSkbLenOffset = 0;  // struct __sk_buff.len
constexpr std::uint64_t kProtoIcmp = 1, kProtoTcp = 6, kProtoUdp = 17, kProtoIcmpv6 = 58;

// The parser's results (prologue_asm.hpp): status, transport protocol, ports.
struct ParserResults {
  llvm::Value* status;
  llvm::Value* protocol;
  llvm::Value* ports;
};

ParserResults call_parser(llvm::IRBuilder<>& b, llvm::Value* skb, bool read_ports) {
  llvm::Type* i64 = b.getInt64Ty();
  llvm::Type* ptr = b.getPtrTy();
  llvm::AllocaInst* scratch =
      b.CreateAlloca(llvm::ArrayType::get(b.getInt8Ty(), kParserScratchBytes), nullptr, "parser_scratch");
  scratch->setAlignment(llvm::Align(8));
  // Outputs: status, protocol, ports, and the registers the parser uses as scratch (r9, r2).
  // Inputs: the scratch area in r2 (tied to output 4), the skb in r6, which the parser keeps.
  auto* results = llvm::StructType::get(b.getContext(), {i64, i64, i64, i64, ptr});
  auto* type = llvm::FunctionType::get(results, {ptr, ptr}, false);
  llvm::InlineAsm* parser = llvm::InlineAsm::get(
      type, packet_parser_asm(read_ports),
      "={r0},={r7},={r8},={r9},={r2},4,{r6},~{r1},~{r3},~{r4},~{r5},~{memory}", /*hasSideEffects=*/true);
  llvm::Value* call = b.CreateCall(type, parser, {scratch, skb});
  return {b.CreateExtractValue(call, 0, "status"), b.CreateExtractValue(call, 1, "protocol"),
          b.CreateExtractValue(call, 2, "ports")};
}

}  // namespace

PacketFields emit_prologue(llvm::IRBuilder<>& b, llvm::Value* skb, const VariableSet& wanted,
                           llvm::BasicBlock* malformed) {
  ParserResults parsed = call_parser(b, skb, wanted.reads_ports());
  llvm::Function* function = b.GetInsertBlock()->getParent();
  llvm::BasicBlock* well_formed = llvm::BasicBlock::Create(b.getContext(), "well_formed", function);
  b.CreateCondBr(b.CreateICmpEQ(parsed.status, b.getInt64(kParserMalformed)), malformed, well_formed);
  b.SetInsertPoint(well_formed);

  auto equals = [&](llvm::Value* value, std::uint64_t constant) {
    return b.CreateZExt(b.CreateICmpEQ(value, b.getInt64(constant)), b.getInt64Ty());
  };
  llvm::Value* is_ipv4 = equals(parsed.status, kParserIpv4);
  llvm::Value* is_ipv6 = equals(parsed.status, kParserIpv6);
  PacketFields fields;
  for (Variable variable : ast::kAllVariables) {
    if (!wanted.contains(variable)) continue;
    llvm::Value* value = nullptr;
    switch (variable) {
      case Variable::Ip: value = is_ipv4; break;
      case Variable::Ipv6: value = is_ipv6; break;
      case Variable::Tcp: value = equals(parsed.protocol, kProtoTcp); break;
      case Variable::Udp: value = equals(parsed.protocol, kProtoUdp); break;
      case Variable::Icmp: {
        // ICMP for IPv4, ICMPv6 for IPv6; not IP has protocol 0, which is neither.
        llvm::Value* icmp_for_family =
            b.CreateSelect(b.CreateICmpEQ(parsed.status, b.getInt64(kParserIpv6)), b.getInt64(kProtoIcmpv6),
                           b.getInt64(kProtoIcmp));
        value = b.CreateZExt(b.CreateICmpEQ(parsed.protocol, icmp_for_family), b.getInt64Ty());
        break;
      }
      case Variable::SrcPort: value = b.CreateLShr(parsed.ports, 16); break;
      case Variable::DstPort: value = b.CreateAnd(parsed.ports, b.getInt64(0xffff)); break;
      case Variable::Len: {
        llvm::Value* address = b.CreateConstInBoundsGEP1_64(b.getInt8Ty(), skb, kSkbLenOffset);
        value = b.CreateZExt(b.CreateAlignedLoad(b.getInt32Ty(), address, llvm::Align(4)), b.getInt64Ty());
        break;
      }
    }
    fields.set(variable, value);
  }
  return fields;
}

}  // namespace bpffw::codegen
