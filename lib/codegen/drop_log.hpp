// The drop log (CompileOptions::log) in the program: on the drop path only, a token bucket decides
// whether the drop is recorded; a recorded drop is parsed again with the packet parser variant that
// copies all a record names, and written to the ring buffer. Layouts and the bucket's rule:
// lib/layout/map_layout.hpp; the maps' definitions: runtime_maps.cpp.
#pragma once

#include <cstdint>
#include <functional>

#include <llvm/IR/IRBuilder.h>

#include <bpffw/compiler.hpp>

#include "codegen/packet_parser.hpp"
#include "codegen/packet_reads.hpp"

namespace bpffw::codegen {

// What names the part of the expression that decided a drop: emitted at the builder's position
// (in a recorded drop by the filter only) with the record's own parse of the packet, its
// results and the ParsedPacket at `parsed`; returns the part's span as an i64, offset | length << 32.
using DeciderEmitter =
    std::function<llvm::Value*(llvm::IRBuilder<>&, const PacketParserResults& parse, llvm::Value* parsed)>;

// At the builder's position: records the packet `skb` as dropped for `reason` (an i8,
// layout::kReason*), within `limit`. The builder ends in a block that continues the drop path.
// The complete parse copies also the TCP header and the IP header's window when the expression
// reads them (`expression_reads`: for the decider); `expression_hash` goes into every record.
void emit_drop_log(llvm::IRBuilder<>& builder, llvm::Value* skb, llvm::Value* reason, const LogLimit& limit,
                   const PacketParserBytes& parsers, const PacketParserVariant& expression_reads,
                   std::uint32_t expression_hash, const DeciderEmitter& decider);

}  // namespace bpffw::codegen
