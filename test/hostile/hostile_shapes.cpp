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

constexpr SpecView kMalformed{.malformed = true};
SpecView udp(std::uint16_t port) { return {.transport = Transport::Udp, .dst_port = port}; }
// The builder's TCP headers carry SYN unless told otherwise.
SpecView tcp(std::uint16_t port, std::uint8_t flags = 0x02) {
  return {.transport = Transport::Tcp, .dst_port = port, .tcp_flags = flags};
}
SpecView icmp(int type) { return {.transport = Transport::Icmp, .icmp_type = type}; }
SpecView from_elsewhere(SpecView view) {
  view.default_source = false;
  return view;
}
constexpr SpecView kOther{.transport = Transport::Other};  // IP, neither TCP, UDP nor the family's ICMP
constexpr SpecView kNonIp{};  // not IPv4/IPv6: every integer variable 0 but len (ICMP's -1), no address
constexpr SpecView kUdpNonFirstFragment{.transport = Transport::Udp};
constexpr SpecView kTcpNonFirstFragment{.transport = Transport::Tcp};
constexpr SpecView kIcmpNonFirstFragment{.transport = Transport::Icmp};

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
  ExtensionHeader header;
  header.type = type;
  for (int i = 0; i < count; ++i) builder.extension(header);
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
      {"ipv6 first fragment (M set), udp 123", PacketBuilder().ipv6().fragment(0, true).udp(1, 123).build(), udp(123)},
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
      {"ipv4 icmp", spec("ipv4 icmp"), icmp(8)},
      {"ipv4 protocol 255 without a header", spec("ipv4 proto=255"), kOther},
      {"ipv6 esp", spec("ipv6 esp"), kOther},
      {"ipv6 no next header", spec("ipv6 nonext"), kOther},
      {"ipv6 icmpv6 after hbh", spec("ipv6 hbh icmpv6"), icmp(128)},
      // Non-IP ethertypes, IP bytes inside.
      {"arp", spec("arp"), kNonIp},
      {"arp ethertype, IPv4/UDP 123 bytes", PacketBuilder().ipv4().udp(1, 123).ethertype(packet::kEthertypeArp).build(),
       kNonIp},
      {"vlan 0x8100, IPv6/TCP 22 bytes", PacketBuilder().ipv6().tcp(1, 22).ethertype(0x8100).build(), kNonIp},
      {"802.3 length 0x0040, IPv4/TCP 80 bytes", PacketBuilder().ipv4().tcp(1, 80).ethertype(0x0040).build(), kNonIp},
      // Giant lengths.
      {"ipv4 total length 65535 on a 28-byte packet, udp 123",
       PacketBuilder().ipv4(ipv4_with([](Ipv4Fields& f) { f.total_length = 65535; })).udp(1, 123).build(), udp(123)},
      {"ipv4 total length 0, tcp 22",
       PacketBuilder().ipv4(ipv4_with([](Ipv4Fields& f) { f.total_length = 0; })).tcp(1, 22).build(), tcp(22)},
      {"ipv6 payload length 65535 on a 48-byte packet, udp 123",
       PacketBuilder()
           .ipv6([] {
             Ipv6Fields f;
             f.payload_length = 65535;
             return f;
           }())
           .udp(1, 123)
           .build(),
       udp(123)},
      {"ipv4 udp 53, 1400 bytes", spec("ipv4 udp dport=53 len=1400"), udp(53)},
      {"ipv6 tcp 80, 3000 bytes", spec("ipv6 tcp dport=80 len=3000"), tcp(80)},
      {"ipv4 tcp 80, 99 bytes", spec("ipv4 tcp dport=80 len=99"), tcp(80)},
      {"ipv4 tcp 80, 100 bytes", spec("ipv4 tcp dport=80 len=100"), tcp(80)},
      // ICMP headers at and below their 4 bytes (§5.4), and ICMP that is not read.
      {"ipv4 icmp 0 bytes", spec("ipv4 icmp cut=20"), kMalformed},
      {"ipv4 icmp 1 byte", spec("ipv4 icmp type=5 cut=21"), kMalformed},
      {"ipv4 icmp 3 bytes", spec("ipv4 icmp type=5 cut=23"), kMalformed},
      {"ipv4 icmp exactly 4 bytes, redirect", spec("ipv4 icmp type=5 cut=24"), icmp(5)},
      {"ipv4 options=4, icmp 2 bytes", spec("ipv4 options=4 icmp type=5 cut=26"), kMalformed},
      {"ipv6 icmpv6 0 bytes", spec("ipv6 icmpv6 cut=40"), kMalformed},
      {"ipv6 icmpv6 3 bytes", spec("ipv6 icmpv6 type=5 cut=43"), kMalformed},
      {"ipv6 icmpv6 exactly 4 bytes, type 5", spec("ipv6 icmpv6 type=5 cut=44"), icmp(5)},
      {"ipv6 hbh icmpv6 2 bytes", spec("ipv6 hbh icmpv6 cut=50"), kMalformed},
      {"ipv6 frag(first) dstopts icmpv6 3 bytes", spec("ipv6 frag dstopts icmpv6 cut=59"), kMalformed},
      {"ipv6 routing=1 cut inside, icmpv6 after it", spec("ipv6 routing=1 icmpv6 cut=50"), kMalformed},
      {"ipv4 non-first fragment icmp, 0 bytes", spec("ipv4 frag=3 icmp cut=20"), kIcmpNonFirstFragment},
      {"ipv6 non-first fragment icmpv6, 1 byte", spec("ipv6 frag=3 icmpv6 type=5 cut=49"), kIcmpNonFirstFragment},
      {"ipv6 with protocol 1 (not icmp), 0 bytes", spec("ipv6 proto=1"), kOther},
      {"ipv4 with protocol 58 (not icmp), 1 byte", spec("ipv4 icmpv6 type=5 cut=21"), kOther},
      {"ipv4 icmp echo reply", spec("ipv4 icmp type=0"), icmp(0)},
      {"ipv6 icmpv6 type 8 (not a ping there)", spec("ipv6 icmpv6 type=8"), icmp(8)},
      {"ipv4 icmp type 128 (not a ping there)", spec("ipv4 icmp type=128"), icmp(128)},
      // TCP flags, and TCP cut before and after its flags byte (13).
      {"ipv4 tcp 22 syn-ack", spec("ipv4 tcp dport=22 flags=syn,ack"), tcp(22, 0x12)},
      {"ipv6 tcp 80 syn,ece,cwr", spec("ipv6 tcp dport=80 flags=syn,ece,cwr"), tcp(80, 0xc2)},
      {"ipv4 tcp 22 all flags", spec("ipv4 tcp dport=22 flags=0xff"), tcp(22, 0xff)},
      {"ipv4 tcp 22 no flags", spec("ipv4 tcp dport=22 flags=0"), tcp(22, 0)},
      {"ipv4 tcp 13 bytes (cut before the flags)", spec("ipv4 tcp dport=80 cut=33"), kMalformed},
      {"ipv4 tcp 14 bytes (the flags, not the rest)", spec("ipv4 tcp dport=80 cut=34"), kMalformed},
      {"ipv6 hbh tcp 13 bytes", spec("ipv6 hbh tcp dport=80 cut=61"), kMalformed},
      {"ipv6 non-first fragment tcp syn, 13 bytes", spec("ipv6 frag=2 tcp dport=80 cut=61"), kTcpNonFirstFragment},
      // Addresses other than the builder's own.
      {"ipv4 udp 53 from 192.0.2.1", spec("ipv4 src=192.0.2.1 udp dport=53"), from_elsewhere(udp(53))},
      {"ipv4 udp 53 from 10.0.0.0 (one bit off)", spec("ipv4 src=10.0.0.0 udp dport=53"), from_elsewhere(udp(53))},
      {"ipv6 udp 53 from ::ffff:10.0.0.1", spec("ipv6 src=::ffff:10.0.0.1 udp dport=53"), from_elsewhere(udp(53))},
      {"ipv6 udp 53 from a00:1:: (10.0.0.1's bits)", spec("ipv6 src=a00:1:: udp dport=53"), from_elsewhere(udp(53))},
      {"ipv6 tcp 22 from fd00::1 to 10.0.0.1's bits", spec("ipv6 dst=a00:1:: tcp dport=22"), tcp(22)},
  };
}

// Every cut of `full` at, and one byte before, each boundary in `boundaries` (header ends, the
// last one the end of the transport header): all malformed, since something is missing.
void add_cuts(std::vector<HostileShape>& shapes, const std::string& name, const std::string& full,
              const std::vector<std::size_t>& boundaries) {
  for (std::size_t boundary : boundaries) {
    for (std::size_t cut : {boundary - 1, boundary}) {
      if (cut == boundaries.back()) continue;  // the whole header: not cut
      shapes.push_back(
          {name + " cut at " + std::to_string(cut), spec(full + " cut=" + std::to_string(cut)), kMalformed});
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
  add_cuts(shapes, "ipv4 icmp", "ipv4 icmp", {1, 20, 24});  // the ICMP header needs 4 of its 8 bytes
  add_cuts(shapes, "ipv6 hbh icmpv6", "ipv6 hbh icmpv6", {1, 40, 48, 52});
  add_cuts(shapes, "ipv4 options=8 tcp syn-ack", "ipv4 options=8 tcp flags=syn,ack", {28, 42, 48});
  return shapes;
}

}  // namespace bpffw::test
