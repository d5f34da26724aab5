// The packet parser of spec §5, as BPF assembly that goes into every program as one inline-asm
// statement at its entry.
//
// Why assembly and not IR: the parser is the same in every filter, and LLVM's BPF backend costs
// ~70 µs per IR block on every compile; the parser alone was ~50 blocks. It is assembled once, at
// build time (encode_parser.cpp), and each program carries its machine code in one inline-asm
// statement (prologue.cpp). Written by hand, it is shaped for every kernel verifier bpffw supports
// (test/kernels boots them): headers are read in place from the linear data, with a
// bpf_skb_load_bytes fallback out of line that leaves the same verifier state at the join; the
// IPv6 extension-header walk is unrolled (older verifiers refuse the loop) and sizes each header
// without branching on its type.
//
// Contract (the inline-asm constraints in prologue.cpp):
//   in:  r6 = the skb (struct __sk_buff *), r9 = kParserScratchBytes of 8-aligned stack; both kept.
//   out: r0 = status: kParserNotIp, kParserMalformed, kParserIpv4 or kParserIpv6;
//        r7 = the transport protocol (0 when not IP);
//        r8 = src_port << 16 | dst_port (0 when not read, not TCP/UDP or a non-first fragment).
//   clobbers r1-r5 and the scratch area.
#pragma once

#include <cstdint>
#include <string>

namespace bpffw::codegen {

inline constexpr unsigned kParserScratchBytes = 32;
inline constexpr std::uint64_t kParserNotIp = 0, kParserMalformed = 1, kParserIpv4 = 63, kParserIpv6 = 6;
inline constexpr std::uint64_t kProtoIcmp = 1, kProtoTcp = 6, kProtoUdp = 17, kProtoIcmpv6 = 58;
// The statuses are chosen so that `icmp` (ICMP on IPv4, ICMPv6 on IPv6) is one add and one
// compare: protocol + status == kIcmpForFamily exactly for the family's ICMP (protocol < 256).
inline constexpr std::uint64_t kIcmpForFamily = 64;
static_assert(kProtoIcmp + kParserIpv4 == kIcmpForFamily && kProtoIcmpv6 + kParserIpv6 == kIcmpForFamily);

// The assembly text; without ports when the filter reads neither port (one read less).
// `in_place` false reads every header with bpf_skb_load_bytes: the way taken for headers outside
// the linear data, which BPF_PROG_TEST_RUN never builds, so tests run that variant on its own
// (parser_variant.hpp).
std::string packet_parser_asm(bool read_ports, bool in_place = true);

}  // namespace bpffw::codegen
