// The packet parser of spec §5, as BPF assembly that goes into every program as one inline-asm
// statement at its entry.
//
// Why assembly and not IR: the parser is the same in every filter, and LLVM's BPF backend costs
// ~70 µs per IR block on every compile; the parser alone was ~50 blocks (4 of F1's 4.6 ms).
// As inline asm it is one instruction to the backend and only assembled at emission. Written by
// hand, it is also shaped for the kernel verifier: one way to read every header
// (bpf_skb_load_bytes, which reads linear data and fragments alike), and an extension-header walk
// without branches on the header type, so the verifier walks each iteration on ~2 paths, not ~6.
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

// The assembly text; without ports when the filter reads neither port (one helper call less).
std::string packet_parser_asm(bool read_ports);

}  // namespace bpffw::codegen
