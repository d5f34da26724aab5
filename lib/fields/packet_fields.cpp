#include "fields/packet_fields.hpp"

#include <iterator>

namespace bpffw::fields {
namespace {

// Every Variable has exactly one row, in the enum's order (the names below rely on it).
constexpr bool rows_in_order() {
  for (std::size_t i = 0; i < std::size(kPacketFields); ++i) {
    if (static_cast<std::size_t>(kPacketFields[i].variable) != i) return false;
  }
  return true;
}
static_assert(rows_in_order(), "kPacketFields needs one row per Variable, in the enum's order");

// TCP flags (RFC 9293 and RFC 3168), and the ICMP (RFC 792) and ICMPv6 (RFC 4443, 4861) types a
// firewall rule names most. The two families number echo request differently (8 and 128), so a
// name carries its family: one name, one number.
constexpr NamedConstant kConstants[] = {
    {"FIN", 0x01, "TCP flag: no more data from the sender"},
    {"SYN", 0x02, "TCP flag: synchronize sequence numbers (opens a connection)"},
    {"RST", 0x04, "TCP flag: reset the connection"},
    {"PSH", 0x08, "TCP flag: push"},
    {"ACK", 0x10, "TCP flag: the acknowledgment field is significant"},
    {"URG", 0x20, "TCP flag: the urgent pointer is significant"},
    {"ECE", 0x40, "TCP flag: ECN echo"},
    {"CWR", 0x80, "TCP flag: congestion window reduced"},
    {"ICMP_ECHO_REPLY", 0, "ICMP (IPv4) type: echo reply"},
    {"ICMP_DEST_UNREACH", 3, "ICMP (IPv4) type: destination unreachable"},
    {"ICMP_REDIRECT", 5, "ICMP (IPv4) type: redirect"},
    {"ICMP_ECHO_REQUEST", 8, "ICMP (IPv4) type: echo request"},
    {"ICMP_TIME_EXCEEDED", 11, "ICMP (IPv4) type: time exceeded"},
    {"ICMPV6_DEST_UNREACH", 1, "ICMPv6 type: destination unreachable"},
    {"ICMPV6_PACKET_TOO_BIG", 2, "ICMPv6 type: packet too big"},
    {"ICMPV6_TIME_EXCEEDED", 3, "ICMPv6 type: time exceeded"},
    {"ICMPV6_ECHO_REQUEST", 128, "ICMPv6 type: echo request"},
    {"ICMPV6_ECHO_REPLY", 129, "ICMPv6 type: echo reply"},
    {"ICMPV6_ROUTER_SOLICIT", 133, "ICMPv6 type: router solicitation"},
    {"ICMPV6_ROUTER_ADVERT", 134, "ICMPv6 type: router advertisement"},
    {"ICMPV6_NEIGHBOR_SOLICIT", 135, "ICMPv6 type: neighbor solicitation"},
    {"ICMPV6_NEIGHBOR_ADVERT", 136, "ICMPv6 type: neighbor advertisement"},
};

}  // namespace

const PacketField& field(Variable variable) { return kPacketFields[static_cast<std::size_t>(variable)]; }

const PacketField* field_named(std::string_view name) {
  for (const PacketField& row : kPacketFields) {
    if (row.name == name) return &row;
  }
  return nullptr;
}

std::span<const NamedConstant> named_constants() { return kConstants; }

}  // namespace bpffw::fields
