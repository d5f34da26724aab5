// docs/filter-language.md §5, rule by rule. Every read is bounds-checked against the packet's
// size: a rule that needs bytes which are not there makes the packet malformed, never reads past
// the end.
#include "interpreter/packet_facts.hpp"

#include <cstddef>

namespace bpffw::interpreter {
namespace {

constexpr std::uint8_t kProtoIcmp = 1;
constexpr std::uint8_t kProtoTcp = 6;
constexpr std::uint8_t kProtoUdp = 17;
constexpr std::uint8_t kProtoIcmpv6 = 58;

constexpr std::uint8_t kExtHopByHop = 0;
constexpr std::uint8_t kExtRouting = 43;
constexpr std::uint8_t kExtFragment = 44;
constexpr std::uint8_t kExtAuthentication = 51;
constexpr std::uint8_t kExtDestinationOptions = 60;

std::uint16_t read_be16(std::span<const unsigned char> p, std::size_t at) {
  return static_cast<std::uint16_t>((p[at] << 8) | p[at + 1]);
}

PacketFacts malformed(PacketFacts facts) {
  facts.malformed = true;
  return facts;
}

IpAddress address_at(std::span<const unsigned char> p, std::size_t at, int family) {
  IpAddress address;
  address.family = family;
  std::size_t size = family == 4 ? 4 : 16;
  for (std::size_t i = 0; i < size; ++i) address.bytes[i] = p[at + i];
  return address;
}

// §5.4: a first fragment (or an unfragmented packet) of TCP, UDP or the family's ICMP has its
// transport header read; it must be complete: 20 bytes for TCP, 8 for UDP, 4 for ICMP/ICMPv6.
PacketFacts read_transport(PacketFacts facts, std::span<const unsigned char> packet, std::size_t offset) {
  std::uint8_t proto = facts.transport_protocol;
  facts.tcp = proto == kProtoTcp;
  facts.udp = proto == kProtoUdp;
  // §4.3: ICMP on IPv6 (protocol 1) and ICMPv6 on IPv4 (58) are not `icmp`.
  facts.icmp = facts.ip ? proto == kProtoIcmp : proto == kProtoIcmpv6;
  if ((!facts.tcp && !facts.udp && !facts.icmp) || facts.non_first_fragment) return facts;
  std::size_t header_size = facts.tcp ? 20 : facts.udp ? 8 : 4;
  if (offset > packet.size() || packet.size() - offset < header_size) return malformed(facts);
  if (facts.icmp) {
    facts.icmp_type = packet[offset];
    facts.icmp_code = packet[offset + 1];
    return facts;
  }
  facts.src_port = read_be16(packet, offset);
  facts.dst_port = read_be16(packet, offset + 2);
  if (facts.tcp) facts.tcp_flags = packet[offset + 13];
  return facts;
}

PacketFacts read_ipv4(PacketFacts facts, std::span<const unsigned char> packet) {
  facts.ip = 1;
  // Well-formed: at least 20 bytes, version 4, IHL >= 5 and IHL * 4 bytes present.
  if (packet.size() < 20) return malformed(facts);
  unsigned version = packet[0] >> 4;
  std::size_t header_size = (packet[0] & 0x0fu) * 4u;
  if (version != 4 || header_size < 20 || header_size > packet.size()) return malformed(facts);
  facts.src_addr = address_at(packet, 12, 4);  // §5.2: the addresses at bytes 12 and 16
  facts.dst_addr = address_at(packet, 16, 4);
  facts.transport_protocol = packet[9];
  facts.ttl = packet[8];
  facts.dscp = packet[1] >> 2;  // the TOS byte
  facts.ecn = packet[1] & 0x3;
  facts.non_first_fragment = (read_be16(packet, 6) & 0x1fffu) != 0;  // the 13-bit fragment offset
  return read_transport(facts, packet, header_size);
}

PacketFacts read_ipv6(PacketFacts facts, std::span<const unsigned char> packet) {
  facts.ipv6 = 1;
  if (packet.size() < 40 || (packet[0] >> 4) != 6) return malformed(facts);
  facts.src_addr = address_at(packet, 8, 6);  // §5.3: the addresses at bytes 8 and 24
  facts.dst_addr = address_at(packet, 24, 6);
  facts.ttl = packet[7];                                                     // the hop limit
  const unsigned traffic_class = (packet[0] & 0x0fu) << 4 | packet[1] >> 4;  // after the version
  facts.dscp = traffic_class >> 2;
  facts.ecn = traffic_class & 0x3;
  facts.flow_label = (packet[1] & 0x0f) << 16 | packet[2] << 8 | packet[3];
  std::uint8_t next = packet[6];
  std::size_t offset = 40;
  for (;;) {
    bool is_extension = next == kExtHopByHop || next == kExtRouting || next == kExtDestinationOptions ||
                        next == kExtFragment || next == kExtAuthentication;
    if (!is_extension) break;  // any other value is the transport protocol
    if (facts.extension_headers == kMaxIpv6ExtensionHeaders) return malformed(facts);
    // The two bytes every extension header starts with: next header and (except Fragment) length.
    if (packet.size() - offset < 2) return malformed(facts);
    std::size_t size = 0;
    if (next == kExtFragment) {
      size = 8;
    } else if (next == kExtAuthentication) {
      size = (packet[offset + 1] + std::size_t{2}) * 4;
    } else {
      size = (packet[offset + 1] + std::size_t{1}) * 8;
    }
    if (packet.size() - offset < size) return malformed(facts);  // runs past the end
    if (next == kExtFragment && (read_be16(packet, offset + 2) >> 3) != 0) facts.non_first_fragment = true;
    next = packet[offset];
    offset += size;
    ++facts.extension_headers;
  }
  facts.transport_protocol = next;
  return read_transport(facts, packet, offset);
}

}  // namespace

PacketFacts read_packet(std::uint16_t skb_protocol, std::span<const unsigned char> packet) {
  PacketFacts facts;
  facts.len = packet.size();
  if (skb_protocol == kEthertypeIpv4) return read_ipv4(facts, packet);
  if (skb_protocol == kEthertypeIpv6) return read_ipv6(facts, packet);
  return facts;  // §5.1: any other protocol: every integer variable 0 but len (and ICMP's -1), no address
}

}  // namespace bpffw::interpreter
