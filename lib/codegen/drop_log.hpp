// The drop log (CompileOptions::log) in the program: on the drop path only, a token bucket decides
// whether the drop is recorded; a recorded drop is parsed again with the packet parser variant that
// copies all a record names, and written to the ring buffer. The socket programs record their
// refusals in the same ring, through the same bucket. Layouts and the bucket's rule:
// lib/layout/map_layout.hpp; the maps' definitions: runtime_maps.cpp.
#pragma once

#include <cstdint>
#include <functional>

#include <llvm/IR/IRBuilder.h>

#include <bpffw/compiler.hpp>

#include "codegen/runtime_spec.hpp"

#include "codegen/packet_parser.hpp"
#include "codegen/packet_reads.hpp"

namespace bpffw::codegen {

// What names the part of the expression that decided a drop: emitted at the builder's position
// (in a recorded drop by the filter only) with the record's own parse of the packet, its
// results and the ParsedPacket at `parsed`; returns the part's span as an i64, offset | length << 32.
using DeciderEmitter =
    std::function<llvm::Value*(llvm::IRBuilder<>&, const PacketParserResults& parse, llvm::Value* parsed)>;

// What every record of a program carries of the program itself: the hash of its expression (which
// program's expression the decider's span is in) and its flags (layout::kRecordFlag*).
struct RecordIdentity {
  std::uint32_t expression_hash;
  std::uint32_t flags;
};
RecordIdentity record_identity(const RuntimeSpec& runtime);

// At the builder's position: records the packet `skb` as dropped for `reason` (an i8,
// layout::kReason*), within `limit`. The builder ends in a block that continues the drop path.
// The complete parse copies also the TCP header and the IP header's window when the expression
// reads them (`expression_reads`: for the decider); `identity` goes into every record.
void emit_drop_log(llvm::IRBuilder<>& builder, llvm::Value* skb, llvm::Value* reason, const LogLimit& limit,
                   const PacketParserBytes& parsers, const PacketParserVariant& expression_reads,
                   RecordIdentity identity, const DeciderEmitter& decider);

// What a socket program knows of the flow it refuses (RefusalRecordLayout), as values at the
// builder's position: i1 `ipv4` (else IPv6), the i64 protocol, the ports as i16 in network byte
// order, and pointers to 16 bytes of source (zero when unbound) and destination address (a
// bind()'s: the address and port bound, all zero for 0.0.0.0 or ::).
struct RefusalFacts {
  unsigned hook;  // kSocketHooks' order
  bool ingress;   // a bind()'s: the packets it would receive
  llvm::Value* ipv4;
  llvm::Value* protocol;
  llvm::Value* source_port;
  llvm::Value* destination_port;
  llvm::Value* source;
  llvm::Value* destination;
};

// At the builder's position, on a socket program's refusal: records it, with the caller's pid,
// command name and uid and the span `decider` emits (offset | length << 32), within `limit`.
void emit_refusal_log(llvm::IRBuilder<>& builder, const LogLimit& limit, const RefusalFacts& facts,
                      RecordIdentity identity, const std::function<llvm::Value*(llvm::IRBuilder<>&)>& decider);

// The bucket around one record, for both: at the builder's position, within `limit`, `write`
// fills the `size` bytes at `record` (given the time), which go to the ring; the log's counters
// count it as logged, suppressed or lost. The builder ends in the block after.
using RecordWriter = std::function<void(llvm::Value* now)>;
void emit_log_record(llvm::IRBuilder<>& builder, const LogLimit& limit, llvm::Value* record, std::size_t size,
                     const RecordWriter& write);

}  // namespace bpffw::codegen
