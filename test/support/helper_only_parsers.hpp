// The packet parser's helper-only variants (codegen/packet_parser.hpp: PacketParserVariant::helper_only),
// which read every header with bpf_skb_load_bytes: the way real traffic whose headers lie outside
// the linear data takes, and which BPF_PROG_TEST_RUN never builds. Only the tests have them.
#pragma once

#include "codegen/packet_parser.hpp"

namespace bpffw::test {

const codegen::PacketParserBytes& helper_only_packet_parsers();

}  // namespace bpffw::test
