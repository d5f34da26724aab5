#include "codegen/drop_log.hpp"

#include <linux/bpf.h>

#include <algorithm>
#include <cstddef>
#include <vector>

#include <llvm/IR/Module.h>

#include "codegen/helper_call.hpp"
#include "codegen/packet_reads.hpp"
#include "fields/packet_fields.hpp"
#include "layout/map_layout.hpp"

namespace bpffw::codegen {
namespace {

using layout::DropRecordLayout;

constexpr std::uint64_t kNanosecondsPerSecond = 1'000'000'000;
// The record's stack slot: its header, then a ParsedPacket for the parse, with the IP header's
// window only when the expression reads it.
constexpr std::size_t record_alloca_bytes(bool window) {
  return layout::kDropRecordHeaderBytes + (window ? sizeof(fields::ParsedPacket) : fields::kParsedPacketWithoutWindow);
}
static_assert(record_alloca_bytes(false) >= sizeof(DropRecordLayout));

llvm::Value* skb_u32(llvm::IRBuilder<>& b, llvm::Value* skb, std::size_t offset) {
  llvm::Value* address = b.CreateConstInBoundsGEP1_64(b.getInt8Ty(), skb, offset);
  return b.CreateAlignedLoad(b.getInt32Ty(), address, llvm::Align(4));
}

void store_at(llvm::IRBuilder<>& b, llvm::Value* record, std::size_t offset, llvm::Value* value) {
  b.CreateStore(value, b.CreateConstInBoundsGEP1_64(b.getInt8Ty(), record, offset));
}

// Adds 1 to a LogState counter of `state` with an atomic add whose result is unused: BPF_XADD,
// which every kernel of the matrix has (fetching adds need 5.12).
void count(llvm::IRBuilder<>& b, llvm::Value* state, llvm::Value* field) {
  llvm::Value* address = b.CreateInBoundsGEP(b.getInt64Ty(), state, field);
  b.CreateAtomicRMW(llvm::AtomicRMWInst::Add, address, b.getInt64(1), llvm::Align(8), llvm::AtomicOrdering::Monotonic);
}

// The record's header (DropRecordLayout) from the skb, the helpers and the second parse.
void fill_header(llvm::IRBuilder<>& b, llvm::Value* skb, llvm::Value* record, llvm::Value* now, llvm::Value* reason,
                 const PacketParserResults& parse) {
  store_at(b, record, offsetof(DropRecordLayout, time_ns), now);
  store_at(b, record, offsetof(DropRecordLayout, cgroup_id), call_helper(b, BPF_FUNC_skb_cgroup_id, {skb}));
  store_at(b, record, offsetof(DropRecordLayout, uid),
           b.CreateTrunc(call_helper(b, BPF_FUNC_get_socket_uid, {skb}), b.getInt32Ty()));
  store_at(b, record, offsetof(DropRecordLayout, length), skb_u32(b, skb, offsetof(__sk_buff, len)));
  store_at(b, record, offsetof(DropRecordLayout, version), b.getInt8(layout::kDropRecordVersion));
  llvm::Value* ingress = b.CreateICmpNE(skb_u32(b, skb, offsetof(__sk_buff, ingress_ifindex)), b.getInt32(0));
  store_at(b, record, offsetof(DropRecordLayout, ingress), b.CreateZExt(ingress, b.getInt8Ty()));
  store_at(b, record, offsetof(DropRecordLayout, reason), reason);
  store_at(b, record, offsetof(DropRecordLayout, status), b.CreateTrunc(parse.status, b.getInt8Ty()));
  store_at(b, record, offsetof(DropRecordLayout, ethertype),
           b.CreateTrunc(skb_u32(b, skb, offsetof(__sk_buff, protocol)), b.getInt16Ty()));
  store_at(b, record, offsetof(DropRecordLayout, protocol), b.CreateTrunc(parse.protocol, b.getInt8Ty()));
  store_at(b, record, offsetof(DropRecordLayout, holds), b.CreateTrunc(parse.holds, b.getInt8Ty()));
}

void zero_bytes(llvm::IRBuilder<>& b, llvm::Value* record, std::size_t from, std::size_t to) {
  for (std::size_t at = from; at < to; at += 8)
    b.CreateAlignedStore(b.getInt64(0), b.CreateConstInBoundsGEP1_64(b.getInt8Ty(), record, at), llvm::Align(8));
}

void store_decided(llvm::IRBuilder<>& b, llvm::Value* record, llvm::Value* span) {
  store_at(b, record, offsetof(DropRecordLayout, decided_offset), b.CreateTrunc(span, b.getInt32Ty()));
  store_at(b, record, offsetof(DropRecordLayout, decided_length),
           b.CreateTrunc(b.CreateLShr(span, b.getInt64(32)), b.getInt32Ty()));
}

llvm::AllocaInst* record_slot(llvm::IRBuilder<>& b, std::size_t bytes, const char* name) {
  llvm::Function* function = b.GetInsertBlock()->getParent();
  llvm::IRBuilder<> entry(&function->getEntryBlock(), function->getEntryBlock().getFirstInsertionPt());
  llvm::AllocaInst* record = entry.CreateAlloca(llvm::ArrayType::get(b.getInt8Ty(), bytes), nullptr, name);
  record->setAlignment(llvm::Align(8));
  return record;
}

void store_identity(llvm::IRBuilder<>& b, llvm::Value* record, RecordIdentity identity) {
  store_at(b, record, offsetof(DropRecordLayout, expression_hash), b.getInt32(identity.expression_hash));
  store_at(b, record, offsetof(DropRecordLayout, flags), b.getInt32(identity.flags));
}

}  // namespace

RecordIdentity record_identity(const RuntimeSpec& runtime) {
  return {layout::expression_hash(runtime.source), runtime.audit ? layout::kRecordFlagAudit : 0};
}

void emit_log_record(llvm::IRBuilder<>& b, const LogLimit& limit, llvm::Value* record, std::size_t size,
                     const RecordWriter& write) {
  llvm::Module* module = b.GetInsertBlock()->getModule();
  llvm::Function* function = b.GetInsertBlock()->getParent();
  llvm::LLVMContext& context = b.getContext();
  llvm::GlobalVariable* state_map = module->getNamedGlobal(layout::kLogStateMap);
  llvm::GlobalVariable* ring = module->getNamedGlobal(layout::kLogRingMap);
  auto block = [&](const char* name) { return llvm::BasicBlock::Create(context, name, function); };

  llvm::IRBuilder<> entry(&function->getEntryBlock(), function->getEntryBlock().getFirstInsertionPt());
  llvm::AllocaInst* key = entry.CreateAlloca(b.getInt32Ty(), nullptr, "log_state_key");
  b.CreateStore(b.getInt32(0), key);
  llvm::Value* state = map_lookup(b, state_map, key, "log_state");
  llvm::BasicBlock* bucket = block("log_bucket");
  llvm::BasicBlock* write_block = block("log_write");
  llvm::BasicBlock* tally = block("log_count");
  llvm::BasicBlock* done = block("logged");
  // Entry 0 of an array always exists, but the verifier wants the NULL check.
  b.CreateCondBr(b.CreateIsNull(state), done, bucket);

  // GCRA (map_layout.hpp): recorded when the bucket's time is at most burst - 1 intervals ahead.
  b.SetInsertPoint(bucket);
  std::uint64_t interval = std::max<std::uint64_t>(1, kNanosecondsPerSecond / std::max(1u, limit.rate_per_second));
  llvm::Value* now = call_helper(b, BPF_FUNC_ktime_get_ns, {});
  llvm::Value* next = b.CreateLoad(b.getInt64Ty(), state, "bucket_next");
  llvm::Value* from = b.CreateSelect(b.CreateICmpUGT(next, now), next, now);
  llvm::Value* over = b.CreateICmpUGT(b.CreateSub(from, now), b.getInt64((std::max(1u, limit.burst) - 1) * interval));
  b.CreateCondBr(over, tally, write_block);

  b.SetInsertPoint(write_block);
  b.CreateStore(b.CreateAdd(from, b.getInt64(interval)), state);
  write(now);
  llvm::Value* written = call_helper(b, BPF_FUNC_ringbuf_output, {ring, record, b.getInt64(size), b.getInt64(0)});
  llvm::Value* outcome = b.CreateSelect(b.CreateICmpEQ(written, b.getInt64(0)), b.getInt64(layout::kLogLoggedField),
                                        b.getInt64(layout::kLogLostField));
  llvm::BasicBlock* written_block = b.GetInsertBlock();
  b.CreateBr(tally);

  b.SetInsertPoint(tally);
  llvm::PHINode* field = b.CreatePHI(b.getInt64Ty(), 2, "log_counter");
  field->addIncoming(b.getInt64(layout::kLogSuppressedField), bucket);
  field->addIncoming(outcome, written_block);
  count(b, state, field);
  b.CreateBr(done);
  b.SetInsertPoint(done);
}

void emit_drop_log(llvm::IRBuilder<>& b, llvm::Value* skb, llvm::Value* reason, const LogLimit& limit,
                   const PacketParserBytes& parsers, const PacketParserVariant& expression_reads,
                   RecordIdentity identity, const DeciderEmitter& decider) {
  static_assert(offsetof(DropRecordLayout, transport) == layout::kDropRecordHeaderBytes &&
                offsetof(DropRecordLayout, src_addr) ==
                    layout::kDropRecordHeaderBytes + offsetof(fields::ParsedPacket, src_addr) &&
                offsetof(DropRecordLayout, dst_addr) ==
                    layout::kDropRecordHeaderBytes + offsetof(fields::ParsedPacket, dst_addr));
  llvm::Function* function = b.GetInsertBlock()->getParent();
  llvm::LLVMContext& context = b.getContext();
  // The record: its header, then a whole ParsedPacket for the parse (its scratch bytes at the end
  // are not sent).
  llvm::AllocaInst* record = record_slot(b, record_alloca_bytes(expression_reads.ip_header), "drop_record");
  auto write = [&](llvm::Value* now) {
    // Zeroed through the frame: the helper reads only initialized stack, and the parse copies only
    // what the packet has. The decider reads the IP header's window too, where the parse has it.
    zero_bytes(b, record, 0, sizeof(DropRecordLayout));
    if (expression_reads.ip_header) zero_bytes(b, record, record_alloca_bytes(false), record_alloca_bytes(true));
    llvm::Value* parsed = b.CreateConstInBoundsGEP1_64(b.getInt8Ty(), record, layout::kDropRecordHeaderBytes);
    PacketParserResults parse = emit_complete_parse(b, skb, parsed, parsers, expression_reads);
    fill_header(b, skb, record, now, reason, parse);
    store_identity(b, record, identity);
    // The decider, for the filter's drops only: a malformed packet's fields cannot be read.
    llvm::BasicBlock* parsed_block = b.GetInsertBlock();
    llvm::BasicBlock* explain = llvm::BasicBlock::Create(context, "log_decider", function);
    llvm::BasicBlock* explained = llvm::BasicBlock::Create(context, "log_decided", function);
    b.CreateCondBr(b.CreateICmpEQ(reason, b.getInt8(layout::kReasonFilter)), explain, explained);
    b.SetInsertPoint(explain);
    llvm::Value* span = decider(b, parse, parsed);
    llvm::BasicBlock* explain_end = b.GetInsertBlock();
    b.CreateBr(explained);
    b.SetInsertPoint(explained);
    llvm::PHINode* decided = b.CreatePHI(b.getInt64Ty(), 2, "decided");
    decided->addIncoming(span, explain_end);
    decided->addIncoming(b.getInt64(0), parsed_block);
    store_decided(b, record, decided);
  };
  emit_log_record(b, limit, record, sizeof(DropRecordLayout), write);
}

void emit_refusal_log(llvm::IRBuilder<>& b, const LogLimit& limit, const RefusalFacts& facts, RecordIdentity identity,
                      const std::function<llvm::Value*(llvm::IRBuilder<>&)>& decider) {
  using layout::RefusalRecordLayout;
  llvm::AllocaInst* record = record_slot(b, sizeof(RefusalRecordLayout), "refusal_record");
  auto write = [&](llvm::Value* now) {
    zero_bytes(b, record, 0, sizeof(RefusalRecordLayout));
    auto at = [&](std::size_t offset) { return b.CreateConstInBoundsGEP1_64(b.getInt8Ty(), record, offset); };
    store_at(b, record, offsetof(DropRecordLayout, time_ns), now);
    store_at(b, record, offsetof(DropRecordLayout, cgroup_id), call_helper(b, BPF_FUNC_get_current_cgroup_id, {}));
    store_at(b, record, offsetof(DropRecordLayout, uid),
             b.CreateTrunc(call_helper(b, BPF_FUNC_get_current_uid_gid, {}), b.getInt32Ty()));
    store_at(b, record, offsetof(DropRecordLayout, version), b.getInt8(layout::kDropRecordVersion));
    store_at(b, record, offsetof(DropRecordLayout, reason), b.getInt8(layout::kReasonRefused));
    store_at(b, record, offsetof(DropRecordLayout, ingress), b.getInt8(facts.ingress ? 1 : 0));
    store_at(b, record, offsetof(DropRecordLayout, status),
             b.CreateSelect(facts.ipv4, b.getInt8(layout::kStatusIpv4), b.getInt8(layout::kStatusIpv6)));
    store_at(b, record, offsetof(DropRecordLayout, protocol), b.CreateTrunc(facts.protocol, b.getInt8Ty()));
    store_at(b, record, offsetof(DropRecordLayout, holds), b.getInt8(layout::kHoldsPorts));
    store_identity(b, record, identity);
    // Ports in network byte order, as a packet's transport header holds them.
    store_at(b, record, offsetof(DropRecordLayout, transport), facts.source_port);
    store_at(b, record, offsetof(DropRecordLayout, transport) + 2, facts.destination_port);
    b.CreateMemCpy(at(offsetof(DropRecordLayout, src_addr)), llvm::Align(8), facts.source, llvm::Align(4), 16);
    b.CreateMemCpy(at(offsetof(DropRecordLayout, dst_addr)), llvm::Align(8), facts.destination, llvm::Align(4), 16);
    store_decided(b, record, decider(b));
    llvm::Value* pid =
        b.CreateTrunc(b.CreateLShr(call_helper(b, BPF_FUNC_get_current_pid_tgid, {}), b.getInt64(32)), b.getInt32Ty());
    store_at(b, record, offsetof(RefusalRecordLayout, pid), pid);
    store_at(b, record, offsetof(RefusalRecordLayout, hook), b.getInt8(facts.hook));
    call_helper(b, BPF_FUNC_get_current_comm,
                {at(offsetof(RefusalRecordLayout, command)), b.getInt64(sizeof RefusalRecordLayout::command)});
  };
  emit_log_record(b, limit, record, sizeof(RefusalRecordLayout), write);
}

}  // namespace bpffw::codegen
