#include "hostile_shapes.hpp"

#include <doctest/doctest.h>

#include "packet/packet_spec.hpp"

namespace bpffw::test {
namespace {

using packet::ExtensionHeader;
using packet::Ipv4Fields;
using packet::Ipv6Fields;
using packet::Packet;
using packet::PacketBuilder;
namespace proto = packet::proto;

constexpr SpecView kMalformed{true, Transport::None, 0};
SpecView udp(std::uint16_t port) { return {false, Transport::Udp, port}; }
SpecView tcp(std::uint16_t port) { return {false, Transport::Tcp, port}; }
constexpr SpecView kOther{false, Transport::Other, 0};  // IP, neither TCP nor UDP
constexpr SpecView kNonIp{false, Transport::None, 0};   // not IPv4/IPv6: every variable 0 but len
constexpr SpecView kUdpNonFirstFragment{false, Transport::Udp, 0};
constexpr SpecView kTcpNonFirstFragment{false, Transport::Tcp, 0};

Packet spec(const std::string& text) {
  Result<Packet> packet = packet::parse_packet_spec(text);
  REQUIRE_MESSAGE(packet.has_value(), text << ": " << packet.error().message);
  return *packet;
}

Ipv4Fields ipv4_with(auto set) {
  Ipv4Fields fields;
  set(fields);
  return fields;
}

// IPv6, then `count` extension headers of `type` (8 bytes each), then UDP to `port`.
Packet ipv6_chain(std::uint8_t type, int count, std::uint16_t port) {
  PacketBuilder builder;
  builder.ipv6();
  for (int i = 0; i < count; ++i) builder.extension(ExtensionHeader{type});
  return builder.udp(1000, port).build();
}

std::vector<HostileShape> named_shapes() {
  return {
      // Controls: well-formed packets, so that a filter that drops everything fails too.
      {"ipv4 udp 53", spec("ipv4 udp dport=53"), udp(53)},
      {"ipv4 udp 123", spec("ipv4 udp dport=123"), udp(123)},
      {"ipv4 tcp 22", spec("ipv4 tcp dport=22"), tcp(22)},
      {"ipv4 tcp 80", spec("ipv4 tcp dport=80"), tcp(80)},
      {"ipv6 udp 53", spec("ipv6 udp dport=53"), udp(53)},
      {"ipv6 tcp 22", spec("ipv6 tcp dport=22"), tcp(22)},
      // IHL 0-4, and longer than the packet.
      {"ipv4 ihl=0", spec("ipv4 ihl=0 udp dport=123"), kMalformed},
      {"ipv4 ihl=1", spec("ipv4 ihl=1 udp dport=123"), kMalformed},
      {"ipv4 ihl=2", spec("ipv4 ihl=2 tcp dport=22"), kMalformed},
      {"ipv4 ihl=3", spec("ipv4 ihl=3 tcp dport=22"), kMalformed},
      {"ipv4 ihl=4 (reads the UDP header as the end of IP)", spec("ipv4 ihl=4 udp dport=123"), kMalformed},
      {"ipv4 ihl=15, 28-byte packet", spec("ipv4 ihl=15 udp dport=123"), kMalformed},
      {"ipv4 ihl=6, 24 bytes: no room for UDP", spec("ipv4 ihl=6 udp dport=123 cut=24"), kMalformed},
      {"ipv4 ihl=15 with 40 bytes of options, udp 123", spec("ipv4 options=40 udp dport=123"), udp(123)},
      {"ipv4 ihl=15 with 40 bytes of options, tcp 22", spec("ipv4 options=40 tcp dport=22"), tcp(22)},
      {"ipv4 version 6 under ethertype 0x0800", spec("ipv4 version=6 udp dport=123"), kMalformed},
      {"ipv4 version 0", spec("ipv4 version=0 tcp dport=22"), kMalformed},
      {"ipv4 ethertype, IPv6/UDP 123 bytes",
       PacketBuilder().ipv6().udp(1, 123).ethertype(packet::kEthertypeIpv4).build(), kMalformed},
      {"ipv4 ethertype, 40 zero bytes (version 0)", spec("ethertype=0x0800 hex:" + std::string(80, '0')), kMalformed},
      // Fragments.
      {"ipv4 first fragment (mf), udp 123", spec("ipv4 mf udp dport=123"), udp(123)},
      {"ipv4 non-first fragment, udp header with port 123", spec("ipv4 frag=185 udp dport=123"), kUdpNonFirstFragment},
      {"ipv4 non-first fragment (offset 1), tcp header with port 22", spec("ipv4 frag=1 mf tcp dport=22"),
       kTcpNonFirstFragment},
      {"ipv4 non-first fragment, no transport bytes", spec("ipv4 frag=185 udp dport=123 cut=20"), kUdpNonFirstFragment},
      {"ipv4 non-first fragment, 10 bytes of TCP", spec("ipv4 frag=7 tcp dport=80 cut=30"), kTcpNonFirstFragment},
      {"ipv4 last fragment (offset 8191)", spec("ipv4 frag=8191 udp dport=53"), kUdpNonFirstFragment},
      {"ipv6 first fragment, udp 123", spec("ipv6 frag=0 udp dport=123"), udp(123)},
      {"ipv6 first fragment (M set), udp 123",
       PacketBuilder().ipv6().fragment(0, true).udp(1, 123).build(), udp(123)},
      {"ipv6 non-first fragment, udp header with port 123", spec("ipv6 frag=185 udp dport=123"), kUdpNonFirstFragment},
      {"ipv6 non-first fragment, tcp header with port 22", spec("ipv6 frag=1 tcp dport=22"), kTcpNonFirstFragment},
      {"ipv6 non-first fragment, no transport bytes", spec("ipv6 frag=3 tcp dport=80 cut=48"), kTcpNonFirstFragment},
      // UDP and TCP at and below their minimum size.
      {"ipv4 udp exactly 8 bytes, port 123", spec("ipv4 udp dport=123 len=28"), udp(123)},
      {"ipv4 udp exactly 8 bytes, port 53", spec("ipv4 udp dport=53 len=28"), udp(53)},
      {"ipv4 udp 7 bytes", spec("ipv4 udp dport=123 cut=27"), kMalformed},
      {"ipv4 udp zero bytes", spec("ipv4 udp dport=123 cut=20"), kMalformed},
      {"ipv4 tcp exactly 20 bytes, port 22", spec("ipv4 tcp dport=22 len=40"), tcp(22)},
      {"ipv4 tcp 19 bytes, port 22", spec("ipv4 tcp dport=22 cut=39"), kMalformed},
      {"ipv4 tcp 8 bytes (udp-sized), port 22", spec("ipv4 tcp dport=22 cut=28"), kMalformed},
      {"ipv6 udp exactly 8 bytes, port 123", spec("ipv6 udp dport=123 len=48"), udp(123)},
      {"ipv6 udp 7 bytes", spec("ipv6 udp dport=123 cut=47"), kMalformed},
      {"ipv6 tcp 19 bytes, port 22", spec("ipv6 tcp dport=22 cut=59"), kMalformed},
      // Extension-header chains at and past the limit of 8.
      {"ipv6 7 dstopts, udp 123", ipv6_chain(proto::kDestinationOptions, 7, 123), udp(123)},
      {"ipv6 8 dstopts, udp 123", ipv6_chain(proto::kDestinationOptions, 8, 123), udp(123)},
      {"ipv6 8 dstopts, udp 53", ipv6_chain(proto::kDestinationOptions, 8, 53), udp(53)},
      {"ipv6 9 dstopts, udp 53", ipv6_chain(proto::kDestinationOptions, 9, 53), kMalformed},
      {"ipv6 9 hop-by-hop, udp 123", ipv6_chain(proto::kHopByHop, 9, 123), kMalformed},
      {"ipv6 8 fragment headers (first), udp 123", ipv6_chain(proto::kFragment, 8, 123), udp(123)},
      {"ipv6 20 routing headers, tcp", ipv6_chain(proto::kRouting, 20, 22), kMalformed},
      {"ipv6 hbh, routing, dstopts, ah, frag, dstopts, routing, hbh: udp 123",
       spec("ipv6 hbh routing dstopts ah frag dstopts routing hbh udp dport=123"), udp(123)},
      // Length fields that lie, and the seed's misparses.
      {"ipv6 hbh length 1 (16 bytes), udp 123", spec("ipv6 hbh=1 udp dport=123"), udp(123)},
      {"ipv6 hbh(16) + frag + udp 123 (the seed's bypass)", spec("ipv6 hbh=1 frag udp dport=123"), udp(123)},
      {"ipv6 hbh length 255, packet far shorter", spec("ipv6 hbh=255 udp dport=53 cut=100"), kMalformed},
      {"ipv6 hbh length 2 but only 8 bytes of it", spec("ipv6 hbh=2 udp dport=53 cut=56"), kMalformed},
      {"ipv6 dstopts length 0x20, udp 123", spec("ipv6 dstopts=32 udp dport=123"), udp(123)},
      {"ipv6 ah length 4 (24 bytes), udp 123", spec("ipv6 ah=4 udp dport=123"), udp(123)},
      {"ipv6 ah length 0 (8 bytes), tcp 22", spec("ipv6 ah=0 tcp dport=22"), tcp(22)},
      {"ipv6 ah length 255, packet far shorter", spec("ipv6 ah=255 udp dport=53 cut=200"), kMalformed},
      {"ipv6 ah length 2 read as 8-byte units would be 24", spec("ipv6 ah=2 tcp dport=22"), tcp(22)},
      {"ipv6 routing header cut in the middle", spec("ipv6 routing udp dport=53 cut=44"), kMalformed},
      // Transport protocols that are neither TCP nor UDP.
      {"ipv4 icmp", spec("ipv4 icmp"), kOther},
      {"ipv4 protocol 255 without a header", spec("ipv4 proto=255"), kOther},
      {"ipv6 esp", spec("ipv6 esp"), kOther},
      {"ipv6 no next header", spec("ipv6 nonext"), kOther},
      {"ipv6 icmpv6 after hbh", spec("ipv6 hbh icmpv6"), kOther},
      // Non-IP ethertypes, IP bytes inside.
      {"arp", spec("arp"), kNonIp},
      {"arp ethertype, IPv4/UDP 123 bytes",
       PacketBuilder().ipv4().udp(1, 123).ethertype(packet::kEthertypeArp).build(), kNonIp},
      {"vlan 0x8100, IPv6/TCP 22 bytes", PacketBuilder().ipv6().tcp(1, 22).ethertype(0x8100).build(), kNonIp},
      {"802.3 length 0x0040, IPv4/TCP 80 bytes", PacketBuilder().ipv4().tcp(1, 80).ethertype(0x0040).build(), kNonIp},
      // Giant lengths.
      {"ipv4 total length 65535 on a 28-byte packet, udp 123",
       PacketBuilder().ipv4(ipv4_with([](Ipv4Fields& f) { f.total_length = 65535; })).udp(1, 123).build(), udp(123)},
      {"ipv4 total length 0, tcp 22",
       PacketBuilder().ipv4(ipv4_with([](Ipv4Fields& f) { f.total_length = 0; })).tcp(1, 22).build(), tcp(22)},
      {"ipv6 payload length 65535 on a 48-byte packet, udp 123",
       PacketBuilder().ipv6(Ipv6Fields{.payload_length = 65535}).udp(1, 123).build(), udp(123)},
      {"ipv4 udp 53, 1400 bytes", spec("ipv4 udp dport=53 len=1400"), udp(53)},
      {"ipv6 tcp 80, 3000 bytes", spec("ipv6 tcp dport=80 len=3000"), tcp(80)},
      {"ipv4 tcp 80, 99 bytes", spec("ipv4 tcp dport=80 len=99"), tcp(80)},
      {"ipv4 tcp 80, 100 bytes", spec("ipv4 tcp dport=80 len=100"), tcp(80)},
  };
}

// Every cut of `full` at, and one byte before, each boundary in `boundaries` (header ends, the
// last one the end of the transport header): all malformed, since something is missing.
void add_cuts(std::vector<HostileShape>& shapes, const std::string& name, const std::string& full,
              const std::vector<std::size_t>& boundaries) {
  for (std::size_t boundary : boundaries) {
    for (std::size_t cut : {boundary - 1, boundary}) {
      if (cut == boundaries.back()) continue;  // the whole header: not cut
      shapes.push_back({name + " cut at " + std::to_string(cut), spec(full + " cut=" + std::to_string(cut)),
                        kMalformed});
    }
  }
}

}  // namespace

std::vector<HostileShape> hostile_shapes() {
  std::vector<HostileShape> shapes = named_shapes();
  add_cuts(shapes, "ipv4 udp 53", "ipv4 udp dport=53 payload=20", {1, 20, 28});
  add_cuts(shapes, "ipv4 options=8 tcp 80", "ipv4 options=8 tcp dport=80", {1, 20, 28, 48});
  add_cuts(shapes, "ipv6 udp 53", "ipv6 udp dport=53", {1, 40, 48});
  add_cuts(shapes, "ipv6 hbh frag ah udp 53", "ipv6 hbh frag ah udp dport=53", {1, 40, 48, 56, 68, 76});
  add_cuts(shapes, "ipv6 routing=1 tcp 80", "ipv6 routing=1 tcp dport=80", {1, 40, 56, 76});
  return shapes;
}

}  // namespace bpffw::test
