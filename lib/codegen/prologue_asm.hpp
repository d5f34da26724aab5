// The packet parser of spec §5, as BPF assembly that goes into every program as one inline-asm
// statement at its entry.
//
// Why assembly and not IR: the parser is the same in every filter, and LLVM's BPF backend costs
// ~70 µs per IR block on every compile; the parser alone was ~50 blocks (4 of F1's 4.6 ms).
// It is assembled once, at build time (encode_parser.cpp), and each program carries its machine
// code in one inline-asm statement (prologue.cpp). Written by hand, it is also shaped for the
// kernel verifier: one read serves IPv4 and IPv6, a header is copied from the linear data when it
// is there and read with bpf_skb_load_bytes otherwise (both ways leave equal verifier states),
// and the extension-header walk has no branch on the header type.
//
// Contract (the inline-asm constraints in prologue.cpp):
//   in:  r6 = the skb (struct __sk_buff *), kept;  r2 = kParserScratchBytes of 8-aligned stack.
//   out: r0 = status: kParserNotIp, kParserMalformed, kParserIpv4 or kParserIpv6;
//        r7 = the transport protocol (0 when not IP);
//        r8 = src_port << 16 | dst_port (0 when not read, not TCP/UDP or a non-first fragment).
//   clobbers r1-r5, r9 and the scratch area.
#pragma once

#include <cstdint>
#include <string>

namespace bpffw::codegen {

inline constexpr unsigned kParserScratchBytes = 40;
inline constexpr std::uint64_t kParserNotIp = 0, kParserMalformed = 1, kParserIpv4 = 4, kParserIpv6 = 6;

// The assembly text; without ports when the filter reads neither port (one read less).
// `in_place` false reads every header with bpf_skb_load_bytes: the way taken for headers outside
// the linear data, which BPF_PROG_TEST_RUN never builds, so tests run that variant on its own
// (parser_variant.hpp).
std::string packet_parser_asm(bool read_ports, bool in_place = true);

}  // namespace bpffw::codegen
