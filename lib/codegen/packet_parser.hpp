// The packet parser (docs/filter-language.md §5): BPF assembly, written with typed instructions
// (bpf_asm.hpp), that every program runs first, as one inline-asm statement (packet_reads.cpp), filling a ParsedPacket
// (fields/packet_fields.hpp) that the expression's code reads with plain loads.
//
// `--emit asm` names its labels where it lies in a program (disassemble.cpp, packet_parser_labels).
//
// Why assembly and not IR: the parser is the same in every filter, and LLVM's BPF backend costs
// time per IR block on every compile, of which the parser as IR had many (bench/RESULTS.md,
// issue 6). It is assembled once, at build time (encode_parser.cpp), and each program carries
// its machine code. Written by hand, it is shaped for every kernel verifier bpffw supports
// (test/kernels boots them): headers are read in place from the linear data, with a
// bpf_skb_load_bytes fallback out of line that leaves the same verifier state at the join; the
// IPv6 extension-header walk is unrolled (older verifiers refuse the loop) and sizes each header
// without branching on its type; constants it decides (the status) end in a register, because
// older verifiers track a constant stored through a register other than r10 imprecisely.
//
// Contract (the inline-asm constraints in packet_reads.cpp):
//   in:  r6 = the skb (struct __sk_buff *), r9 = the ParsedPacket, 8-aligned on the stack; kept.
//        The parts of it the expression reads are zeroed before (through r10: see there).
//   out: r0 = status: kPacketParserNotIp, kPacketParserMalformed, kPacketParserIpv4 or kPacketParserIpv6;
//        r7 = the transport protocol (IPv4's protocol field, IPv6's last next header; 0 when not IP);
//        r8 = which fields ParsedPacket::transport holds (kHolds* bits; 0 when none or not copied),
//        or, when malformed, the rule the packet broke (layout::kMalformed*, docs/filter-language.md §5.6);
//        the ParsedPacket's bytes (which ones, PacketParserVariant says). Clobbers r1-r5.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "fields/packet_fields.hpp"
#include "layout/map_layout.hpp"

namespace bpffw::codegen {

inline constexpr std::uint64_t kPacketParserNotIp = layout::kStatusNotIp,
                               kPacketParserMalformed = layout::kStatusMalformed;
inline constexpr std::uint64_t kPacketParserIpv4 = layout::kStatusIpv4, kPacketParserIpv6 = layout::kStatusIpv6;
inline constexpr std::uint64_t kProtoIcmp = 1, kProtoTcp = 6, kProtoUdp = 17, kProtoIcmpv6 = 58;
// The statuses are chosen so that `icmp` (ICMP on IPv4, ICMPv6 on IPv6) is one add and one
// compare: l4_protocol + status == kIcmpForFamily exactly for the family's ICMP.
inline constexpr std::uint64_t kIcmpForFamily = 64;
static_assert(kProtoIcmp + kPacketParserIpv4 == kIcmpForFamily);
static_assert(kProtoIcmpv6 + kPacketParserIpv6 == kIcmpForFamily);

// r8 at the end: which fields ParsedPacket::transport holds, as bits.
using layout::kHoldsIcmp, layout::kHoldsPorts, layout::kHoldsTcp;

// What a program's parser copies into the ParsedPacket: each is skipped when the filter reads
// nothing from it.
struct PacketParserVariant {
  bool ports = false;       // TCP's and UDP's first 4 bytes (the ports), and r8
  bool tcp_header = false;  // TCP's first 16 bytes (the flags too), and r8
  bool icmp = false;        // the ICMP header's first 4 bytes (type, code), and r8
  bool addresses = false;   // src_addr and dst_addr
  bool ip_header = false;   // the IP header's first 16 bytes (ParsedPacket::ip_header)
  // Tests only: every header read with bpf_skb_load_bytes, the way for headers outside the
  // linear data, which BPF_PROG_TEST_RUN never builds. Not an index bit: the library holds only
  // the product's variants (packet_reads.hpp), the tests their own (test/support).
  bool helper_only = false;

  unsigned index() const {
    return (ports ? 1 : 0) | (tcp_header ? 2 : 0) | (icmp ? 4 : 0) | (addresses ? 8 : 0) | (ip_header ? 16 : 0);
  }
  static PacketParserVariant from_index(unsigned index, bool helper_only = false) {
    PacketParserVariant variant;
    variant.ports = (index & 1) != 0;
    variant.tcp_header = (index & 2) != 0;
    variant.icmp = (index & 4) != 0;
    variant.addresses = (index & 8) != 0;
    variant.ip_header = (index & 16) != 0;
    variant.helper_only = helper_only;
    return variant;
  }
};
inline constexpr unsigned kPacketParserVariants = 32;

// Whether, in this variant, only packets that pass `guard` put bytes at `offset` of
// ParsedPacket::transport (every other packet leaves there the zeroes it starts with): a field
// there whose absent value is 0 then reads right without testing r8.
bool transport_bytes_only_for(const PacketParserVariant& variant, fields::Guard guard, std::size_t offset);

// The assembly text of one variant.
std::string packet_parser_asm(const PacketParserVariant& variant);

// The labels of a packet parser's text (without their ".Lbpffw_"), each with the instruction slot
// it stands before, in order: for `--emit asm`, which prints them where the parser lies.
struct PacketParserLabel {
  std::size_t slot;
  std::string name;
};
std::vector<PacketParserLabel> packet_parser_labels(const std::string& text);
// How many 8-byte instruction slots the text assembles to.
std::size_t packet_parser_slots(const std::string& text);

// The pre-assembled packet parser of each variant (PacketParserVariant::index()). The library has the
// product's (packet_reads.cpp); tests can pass others (the helper-only ones, test/support).
using PacketParserBytes = std::array<std::span<const unsigned char>, kPacketParserVariants>;
const PacketParserBytes& product_packet_parsers();

}  // namespace bpffw::codegen
