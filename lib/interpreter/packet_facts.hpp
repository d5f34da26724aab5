// What the filter language can see of a packet (docs/filter-language.md §4), read straight from §5.
// This is the reference reading: it shares no code with the code generator's packet parser and
// does not use lib/fields' table.
#pragma once

#include <array>
#include <cstdint>
#include <span>

namespace bpffw::interpreter {

inline constexpr std::uint16_t kEthertypeIpv4 = 0x0800;
inline constexpr std::uint16_t kEthertypeIpv6 = 0x86DD;
inline constexpr int kMaxIpv6ExtensionHeaders = 8;

// An IP header's address (§4.2). family 0: the packet has none (not IPv4/IPv6, or its header is
// cut short).
struct IpAddress {
  int family = 0;                        // 0, 4 or 6
  std::array<std::uint8_t, 16> bytes{};  // network byte order; IPv4 in the first 4
  bool operator==(const IpAddress&) const = default;
};

struct PacketFacts {
  bool malformed = false;  // §5.6: dropped whenever the filter reads a variable
  std::uint64_t ip = 0;
  std::uint64_t ipv6 = 0;
  std::uint64_t tcp = 0;
  std::uint64_t udp = 0;
  std::uint64_t icmp = 0;
  std::uint64_t src_port = 0;
  std::uint64_t dst_port = 0;
  std::uint64_t len = 0;
  IpAddress src_addr, dst_addr;
  std::int64_t icmp_type = -1;  // §4.3: -1 unless ICMP of the packet's family, first fragment
  std::int64_t icmp_code = -1;
  std::uint64_t tcp_flags = 0;   // §4.3: 0 unless TCP, first fragment
  std::int64_t ttl = -1;         // §4.7: IPv4's TTL, IPv6's hop limit; -1 unless IP
  std::int64_t dscp = -1;        // §4.7: the TOS's or traffic class's high 6 bits; -1 unless IP
  std::int64_t ecn = -1;         // §4.7: their low 2 bits; -1 unless IP
  std::int64_t flow_label = -1;  // §4.7: IPv6's 20 bits; -1 unless IPv6
  // Not variables, but useful to describe a packet (bpffwc test, test failure messages).
  std::uint8_t transport_protocol = 0;  // meaningful for well-formed IPv4/IPv6 only
  bool non_first_fragment = false;
  int extension_headers = 0;  // IPv6 extension headers followed
};

// skb_protocol: the ethertype in host byte order; packet: the bytes from the IP header on.
PacketFacts read_packet(std::uint16_t skb_protocol, std::span<const unsigned char> packet);

}  // namespace bpffw::interpreter
