// The drop log (CompileOptions::log) in the program: on the drop path only, a token bucket decides
// whether the drop is recorded; a recorded drop is parsed again with the packet parser variant that
// copies all a record names, and written to the ring buffer. Layouts and the bucket's rule:
// lib/layout/map_layout.hpp; the maps' definitions: runtime_maps.cpp.
#pragma once

#include <llvm/IR/IRBuilder.h>

#include <bpffw/compiler.hpp>

#include "codegen/packet_parser.hpp"

namespace bpffw::codegen {

// At the builder's position: records the packet `skb` as dropped for `reason` (an i8,
// layout::kReason*), within `limit`. The builder ends in a block that continues the drop path.
void emit_drop_log(llvm::IRBuilder<>& builder, llvm::Value* skb, llvm::Value* reason, const LogLimit& limit,
                   const PacketParserBytes& parsers);

}  // namespace bpffw::codegen
