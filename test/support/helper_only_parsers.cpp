#include "support/helper_only_parsers.hpp"

#include "codegen/packet_parsers_helper_only.inc"  // generated: kHelperOnlyPacketParsers

namespace bpffw::test {

const codegen::PacketParserBytes& helper_only_packet_parsers() {
  static const codegen::PacketParserBytes parsers = [] {
    codegen::PacketParserBytes table{};
    for (unsigned i = 0; i < codegen::kPacketParserVariants; ++i) table[i] = kHelperOnlyPacketParsers[i];
    return table;
  }();
  return parsers;
}

}  // namespace bpffw::test
