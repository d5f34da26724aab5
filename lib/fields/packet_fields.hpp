// What a filter can read of a packet: one row per variable (docs/filter-language.md §4). The
// expression parser takes the names, types and did-you-mean from this table, the code generator
// where each value lies and how to load it, the range facts the value ranges, and the docs list
// the same rows (test/parser/fields_test.cpp checks both ways). The reference interpreter keeps
// its own, independent reading of packets (lib/interpreter/packet_facts.cpp).
//
// Adding a field: the steps, and what follows from the row by itself, are in docs/ARCHITECTURE.md
// ("A new packet variable"). In short, for a field in the IP header's first 16 bytes or the
// TCP header's: a Variable and a row here, the interpreter's reading
// (lib/interpreter/packet_facts.cpp and interpreter.cpp's switch), a test file in
// test/kernel/fields/, and its row in docs/filter-language.md §4.
// The exceptions, with logic of their own that the table cannot carry: `established`
// (Source::Socket) and `uid` (Source::SocketOwner, whose user names the expression parser resolves).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace bpffw::fields {

// The packet variables (docs/filter-language.md §4), in the order of kPacketFields.
enum class Variable {
  Ip, Ipv6, Tcp, Udp, Icmp, SrcPort, DstPort, Len,
  SrcAddr, DstAddr, LocalAddr, RemoteAddr, LocalPort, RemotePort, IcmpType, IcmpCode, TcpFlags, Established,
  Ttl, Dscp, Ecn, FlowLabel, Uid,
};

// The stack area the packet parser fills (lib/codegen/packet_parser.cpp) with bytes copied from
// the packet, which the expression's code reads with plain loads. What the packet parser decides itself
// — the status, the transport protocol, which fields `transport` holds — it returns in registers
// instead (codegen/packet_parser.hpp): kernel verifiers track a register's value precisely, but
// not always a constant the packet parser stores through a pointer other than r10, and a verifier that
// loses track of a constant may merge two paths and remove one as dead code.
struct ParsedPacket {
  // The transport header's first bytes, as many as a filter can read of the protocol (TCP 16, UDP
  // its 4 port bytes, ICMP/ICMPv6 4; the rest is 0): ports, TCP flags, ICMP type and code.
  std::uint8_t transport[16];
  std::uint8_t src_addr[16];  // the IP source address; IPv4 in the first 4 bytes
  std::uint8_t dst_addr[16];  // the IP destination address; IPv4 in the first 4 bytes
  std::uint64_t fragment_bits;  // the extension-header walk's own: Fragment offsets, OR-ed
  std::uint8_t buffer[16];      // the packet parser's own: bytes bpf_skb_load_bytes copies out
  // The IP header's first 16 bytes, IPv4's or IPv6's as they are: a window the IpHeader rows read
  // where their HeaderBits say, so that a new field there is a row, not a packet parser change.
  // Last, so that a program that reads none of it has no room for it (kParsedPacketWithoutWindow):
  // its stack, and so its object, are what they were before the window.
  std::uint8_t ip_header[16];
};
inline constexpr std::size_t kParsedPacketWithoutWindow = offsetof(ParsedPacket, ip_header);
static_assert(sizeof(ParsedPacket) == 88 && alignof(ParsedPacket) == 8);
static_assert(offsetof(ParsedPacket, src_addr) % 8 == 0 && offsetof(ParsedPacket, ip_header) % 8 == 0 &&
              offsetof(ParsedPacket, fragment_bits) % 8 == 0);

enum class Type {
  Integer,  // a 64-bit signed integer (every variable of the seed's language)
  Address,  // an IPv4 or IPv6 address: compared with ==, != and in {...} only (§6.2)
};

// Which packets have the field; the others read `absent`.
enum class Guard {
  Always,        // every packet (len)
  Ip,            // well-formed IPv4 and IPv6 packets (addresses; IpHeader rows of a family that
                 // has them); none on other packets
  TcpOrUdp,      // TCP and UDP, but not non-first fragments (ports)
  Tcp,           // TCP, but not non-first fragments (flags)
  Icmp,          // ICMP on IPv4, ICMPv6 on IPv6, but not non-first fragments (type, code)
  Direction,     // one of two others, chosen by the program's direction (local_*, remote_*)
};

// Where the value comes from.
enum class Source {
  Status,        // the packet parser's status (ip, ipv6)
  Protocol,      // the packet parser's transport protocol compared with a constant (tcp, udp, icmp)
  Transport,     // `width` bytes at `offset` of ParsedPacket::transport, big-endian, when the
                 // packet parser says `transport` holds the guard's header
  Address,       // ParsedPacket::src_addr or dst_addr (`offset`), with the family
  IpHeader,      // bits of ParsedPacket::ip_header, where the row's `ipv4` or `ipv6` says
  SkbLen,        // struct __sk_buff's len
  Socket,        // the socket the packet belongs to (§4.5)
  SocketOwner,   // the uid that owns that socket (bpf_get_socket_uid, §4.8)
  Alias,         // another field: ingress_alias on ingress, egress_alias on egress
};

// Where a field lies in a family's IP header (ParsedPacket::ip_header): the big-endian unsigned
// integer of `width` bytes at `offset`, shifted right by `shift`, AND `mask`. Width 0: the family
// has no such field (the packet reads `absent`).
struct HeaderBits {
  unsigned offset = 0, width = 0, shift = 0;
  std::uint64_t mask = 0;
  bool present() const { return width != 0; }
};

struct PacketField {
  Variable variable;
  std::string_view name;
  Type type = Type::Integer;
  Guard guard = Guard::Always;
  Source source = Source::Status;
  std::size_t offset = 0;     // Transport: in ParsedPacket::transport; Address: of the field
  unsigned width = 1;         // bytes
  std::int64_t min = 0, max = 1;  // the values it takes when present
  std::int64_t absent = 0;    // its value when the guard fails
  // Source::Alias: the field it is on ingress and on egress.
  Variable on_ingress = Variable::Len, on_egress = Variable::Len;
  HeaderBits ipv4{}, ipv6{};  // Source::IpHeader: where each family has it
  std::string_view meaning;   // §4's table's text, word for word (test/parser/fields_test.cpp)
};
static_assert(sizeof(ParsedPacket::ip_header) >= 8, "the IpHeader rows read at most 8 bytes at once");

inline constexpr PacketField kPacketFields[] = {
    {.variable = Variable::Ip, .name = "ip", .source = Source::Status, .meaning = "1 for an IPv4 packet, else 0"},
    {.variable = Variable::Ipv6, .name = "ipv6", .source = Source::Status, .meaning = "1 for an IPv6 packet, else 0"},
    {.variable = Variable::Tcp, .name = "tcp", .source = Source::Protocol,
     .meaning = "1 when the transport protocol is TCP, else 0"},
    {.variable = Variable::Udp, .name = "udp", .source = Source::Protocol,
     .meaning = "1 when the transport protocol is UDP, else 0"},
    {.variable = Variable::Icmp, .name = "icmp", .source = Source::Protocol,
     .meaning = "1 for ICMP on IPv4 or ICMPv6 on IPv6, else 0"},
    {.variable = Variable::SrcPort, .name = "src_port", .guard = Guard::TcpOrUdp, .source = Source::Transport,
     .offset = 0, .width = 2, .max = 65535, .meaning = "the TCP or UDP source port, 0 to 65535 (0 for anything else)"},
    {.variable = Variable::DstPort, .name = "dst_port", .guard = Guard::TcpOrUdp, .source = Source::Transport,
     .offset = 2, .width = 2, .max = 65535, .meaning = "the TCP or UDP destination port, 0 to 65535 (0 for anything else)"},
    {.variable = Variable::Len, .name = "len", .source = Source::SkbLen, .width = 4, .max = 0xffffffff,
     .meaning = "the packet's length in bytes, counted from the IP header"},
    {.variable = Variable::SrcAddr, .name = "src_addr", .type = Type::Address, .guard = Guard::Ip,
     .source = Source::Address, .offset = offsetof(ParsedPacket, src_addr), .width = 16, .max = 0,
     .meaning = "the IPv4 or IPv6 source address (§4.2)"},
    {.variable = Variable::DstAddr, .name = "dst_addr", .type = Type::Address, .guard = Guard::Ip,
     .source = Source::Address, .offset = offsetof(ParsedPacket, dst_addr), .width = 16, .max = 0,
     .meaning = "the IPv4 or IPv6 destination address"},
    {.variable = Variable::LocalAddr, .name = "local_addr", .type = Type::Address, .guard = Guard::Direction,
     .source = Source::Alias, .width = 16, .max = 0, .on_ingress = Variable::DstAddr, .on_egress = Variable::SrcAddr,
     .meaning = "this host's address: `dst_addr` on ingress, `src_addr` on egress (§4.6)"},
    {.variable = Variable::RemoteAddr, .name = "remote_addr", .type = Type::Address, .guard = Guard::Direction,
     .source = Source::Alias, .width = 16, .max = 0, .on_ingress = Variable::SrcAddr, .on_egress = Variable::DstAddr,
     .meaning = "the peer's address: `src_addr` on ingress, `dst_addr` on egress"},
    {.variable = Variable::LocalPort, .name = "local_port", .guard = Guard::Direction, .source = Source::Alias,
     .width = 2, .max = 65535, .on_ingress = Variable::DstPort, .on_egress = Variable::SrcPort,
     .meaning = "this host's port: `dst_port` on ingress, `src_port` on egress"},
    {.variable = Variable::RemotePort, .name = "remote_port", .guard = Guard::Direction, .source = Source::Alias,
     .width = 2, .max = 65535, .on_ingress = Variable::SrcPort, .on_egress = Variable::DstPort,
     .meaning = "the peer's port: `src_port` on ingress, `dst_port` on egress"},
    {.variable = Variable::IcmpType, .name = "icmp_type", .guard = Guard::Icmp, .source = Source::Transport,
     .offset = 0, .max = 255, .absent = -1, .meaning = "the ICMP or ICMPv6 type, 0 to 255 (−1 when not ICMP, §4.3)"},
    {.variable = Variable::IcmpCode, .name = "icmp_code", .guard = Guard::Icmp, .source = Source::Transport,
     .offset = 1, .max = 255, .absent = -1, .meaning = "the ICMP or ICMPv6 code, 0 to 255 (−1 when not ICMP)"},
    {.variable = Variable::TcpFlags, .name = "tcp_flags", .guard = Guard::Tcp, .source = Source::Transport,
     .offset = 13, .max = 255, .meaning = "the TCP flags byte, FIN 0x01 to CWR 0x80 (0 when not TCP)"},
    {.variable = Variable::Established, .name = "established", .source = Source::Socket,
     .meaning = "1 for a packet of a connection this cgroup's own socket made or accepted, else 0 (§4.5)"},
    {.variable = Variable::Ttl, .name = "ttl", .guard = Guard::Ip, .source = Source::IpHeader, .max = 255, .absent = -1,
     .ipv4 = {.offset = 8, .width = 1, .mask = 0xff}, .ipv6 = {.offset = 7, .width = 1, .mask = 0xff},
     .meaning = "IPv4's TTL or IPv6's hop limit, 0 to 255 (−1 when not IP, §4.7)"},
    {.variable = Variable::Dscp, .name = "dscp", .guard = Guard::Ip, .source = Source::IpHeader, .max = 63, .absent = -1,
     .ipv4 = {.offset = 1, .width = 1, .shift = 2, .mask = 0x3f}, .ipv6 = {.offset = 0, .width = 2, .shift = 6, .mask = 0x3f},
     .meaning = "the DSCP, the high 6 bits of IPv4's TOS or IPv6's traffic class, 0 to 63 (−1 when not IP)"},
    {.variable = Variable::Ecn, .name = "ecn", .guard = Guard::Ip, .source = Source::IpHeader, .max = 3, .absent = -1,
     .ipv4 = {.offset = 1, .width = 1, .shift = 0, .mask = 0x3}, .ipv6 = {.offset = 1, .width = 1, .shift = 4, .mask = 0x3},
     .meaning = "the ECN, the low 2 bits of IPv4's TOS or IPv6's traffic class, 0 to 3 (−1 when not IP)"},
    {.variable = Variable::FlowLabel, .name = "flow_label", .guard = Guard::Ip, .source = Source::IpHeader,
     .max = 0xfffff, .absent = -1, .ipv6 = {.offset = 0, .width = 4, .shift = 0, .mask = 0xfffff},
     .meaning = "IPv6's flow label, 0 to 0xfffff (−1 on IPv4, which has none, and when not IP)"},
    {.variable = Variable::Uid, .name = "uid", .source = Source::SocketOwner, .width = 4, .max = 0xffffffff,
     .meaning = "the uid that owns the packet's socket; a user name stands for its uid (§4.8)"},
};

// Every variable, in the table's order.
inline constexpr auto kAllVariables = [] {
  std::array<Variable, std::size(kPacketFields)> all{};
  for (std::size_t i = 0; i < all.size(); ++i) all[i] = kPacketFields[i].variable;
  return all;
}();

// The row of a variable; every Variable has one.
const PacketField& field(Variable variable);
// The row named `name`, if any.
const PacketField* field_named(std::string_view name);

// Named constants (§4.4): TCP flags, ICMP and ICMPv6 types, usable wherever a number is.
struct NamedConstant {
  std::string_view name;
  std::int64_t value;
  std::string_view meaning;
};
std::span<const NamedConstant> named_constants();

}  // namespace bpffw::fields
