// What the filter language can see of a packet (spec §4), read straight from spec §5.
// This is the reference reading: it shares no code with the code generator's prologue.
#pragma once

#include <cstdint>
#include <span>

namespace bpffw::interpreter {

inline constexpr std::uint16_t kEthertypeIpv4 = 0x0800;
inline constexpr std::uint16_t kEthertypeIpv6 = 0x86DD;
inline constexpr int kMaxIpv6ExtensionHeaders = 8;

struct PacketFacts {
  bool malformed = false;  // spec §5: dropped whenever the filter reads a variable
  std::uint64_t ip = 0;
  std::uint64_t ipv6 = 0;
  std::uint64_t tcp = 0;
  std::uint64_t udp = 0;
  std::uint64_t icmp = 0;
  std::uint64_t src_port = 0;
  std::uint64_t dst_port = 0;
  std::uint64_t len = 0;
  // Not variables, but useful to describe a packet (bpffwc test, test failure messages).
  std::uint8_t transport_protocol = 0;  // meaningful for well-formed IPv4/IPv6 only
  bool non_first_fragment = false;
  int extension_headers = 0;  // IPv6 extension headers followed
};

// skb_protocol: the ethertype in host byte order; packet: the bytes from the IP header on.
PacketFacts read_packet(std::uint16_t skb_protocol, std::span<const unsigned char> packet);

}  // namespace bpffw::interpreter
