// docs/filter-language.md §5 as the interpreter reads it, checked on the facts (variables) it extracts.
// test/kernel/packet_rules_test.cpp checks the same rules end to end against the kernel.
#include <doctest/doctest.h>

#include "interpreter/packet_facts.hpp"
#include "packet/packet_builder.hpp"

namespace {

using bpffw::interpreter::PacketFacts;
using bpffw::packet::Packet;
using bpffw::packet::PacketBuilder;

PacketFacts read(const Packet& packet) { return bpffw::interpreter::read_packet(packet.skb_protocol(), packet.bytes); }

}  // namespace

TEST_CASE("non-IP packets: every variable 0 but len") {
  PacketFacts facts = read(PacketBuilder().ethertype(0x0806).payload(28).build());
  CHECK_FALSE(facts.malformed);
  CHECK(facts.len == 28);
  CHECK(facts.ip + facts.ipv6 + facts.tcp + facts.udp + facts.icmp + facts.src_port + facts.dst_port == 0);
  // IPv4 bytes behind another ethertype are not looked at.
  Packet disguised = PacketBuilder().ipv4().udp(1, 53).build();
  disguised.ethertype = 0x88b5;
  CHECK(read(disguised).dst_port == 0);
}

TEST_CASE("IPv4: protocol, ports, IHL, options") {
  PacketFacts facts = read(PacketBuilder().ipv4().udp(1234, 53).payload(3).build());
  CHECK_FALSE(facts.malformed);
  CHECK(facts.ip == 1);
  CHECK(facts.udp == 1);
  CHECK(facts.src_port == 1234);
  CHECK(facts.dst_port == 53);
  CHECK(facts.len == 31);

  bpffw::packet::Ipv4Fields with_options;
  with_options.options = {0x94, 0x04, 0x00, 0x35, 0x00, 0x35};  // router alert + bytes that look like ports
  facts = read(PacketBuilder().ipv4(with_options).tcp(22, 80).build());
  CHECK(facts.tcp == 1);
  CHECK(facts.dst_port == 80);

  for (std::uint8_t ihl = 0; ihl < 5; ++ihl) {
    bpffw::packet::Ipv4Fields lie;
    lie.ihl = ihl;
    CHECK(read(PacketBuilder().ipv4(lie).udp(1, 53).build()).malformed);
  }
  bpffw::packet::Ipv4Fields long_ihl;
  long_ihl.ihl = 15;
  CHECK(read(PacketBuilder().ipv4(long_ihl).udp(1, 53).build()).malformed);                    // 28 < 60 bytes
  CHECK_FALSE(read(PacketBuilder().ipv4(long_ihl).payload(40).udp(1, 53).build()).malformed);  // 68 bytes
  bpffw::packet::Ipv4Fields version;
  version.version = 6;
  CHECK(read(PacketBuilder().ipv4(version).udp(1, 53).build()).malformed);
  CHECK(read(PacketBuilder().ipv4().udp(1, 53).truncate(19).build()).malformed);
}

TEST_CASE("IPv4 fragments: a non-first fragment has ports 0 and no L4 length check") {
  bpffw::packet::Ipv4Fields first;
  first.more_fragments = true;
  CHECK(read(PacketBuilder().ipv4(first).udp(1, 53).build()).dst_port == 53);
  bpffw::packet::Ipv4Fields later;
  later.fragment_offset = 185;
  PacketFacts facts = read(PacketBuilder().ipv4(later).udp(1, 53).truncate(22).build());
  CHECK_FALSE(facts.malformed);
  CHECK(facts.udp == 1);
  CHECK(facts.dst_port == 0);
  CHECK(facts.non_first_fragment);
  // A first fragment must still hold the whole UDP header.
  CHECK(read(PacketBuilder().ipv4(first).udp(1, 53).truncate(27).build()).malformed);
}

TEST_CASE("IPv6 extension headers: sizes, order, the limit of 8") {
  PacketFacts facts = read(PacketBuilder()
                               .ipv6()
                               .hop_by_hop(1)
                               .routing(2)
                               .fragment()
                               .authentication(4)
                               .destination_options(0)
                               .udp(7, 123)
                               .build());
  CHECK_FALSE(facts.malformed);
  CHECK(facts.extension_headers == 5);
  CHECK(facts.dst_port == 123);
  CHECK(facts.len == 40 + 16 + 24 + 8 + 24 + 8 + 8);

  PacketBuilder eight;
  eight.ipv6();
  for (int i = 0; i < 8; ++i) eight.destination_options();
  CHECK(read(PacketBuilder(eight).udp(1, 123).build()).dst_port == 123);
  CHECK(read(PacketBuilder(eight).destination_options().udp(1, 123).build()).malformed);

  CHECK(read(PacketBuilder().ipv6().hop_by_hop(3).udp(1, 2).truncate(40 + 31).build()).malformed);
  CHECK(read(PacketBuilder().ipv6().hop_by_hop().truncate(41).build()).malformed);
  CHECK_FALSE(read(PacketBuilder().ipv6().hop_by_hop().transport(59).build()).malformed);

  facts = read(PacketBuilder().ipv6().fragment(100).udp(1, 53).truncate(48).build());
  CHECK_FALSE(facts.malformed);
  CHECK(facts.udp == 1);
  CHECK(facts.dst_port == 0);
}

TEST_CASE("ICMP: 1 in IPv4, 58 in IPv6, a 4-byte header (§5.4, §5.6)") {
  CHECK(read(PacketBuilder().ipv4().icmp().build()).icmp == 1);
  CHECK(read(PacketBuilder().ipv6().icmp().build()).icmp == 1);
  CHECK(read(PacketBuilder().ipv6().transport(1).build()).icmp == 0);
  CHECK(read(PacketBuilder().ipv4().transport(58).build()).icmp == 0);
  // 0 to 3 bytes of ICMP in a first fragment: malformed; 4 are enough.
  for (std::size_t bytes = 0; bytes < 4; ++bytes) {
    CAPTURE(bytes);
    CHECK(read(PacketBuilder().ipv4().icmp().truncate(20 + bytes).build()).malformed);
    CHECK(read(PacketBuilder().ipv6().icmp().truncate(40 + bytes).build()).malformed);
    CHECK(read(PacketBuilder().ipv6().hop_by_hop().icmp().truncate(48 + bytes).build()).malformed);
  }
  CHECK_FALSE(read(PacketBuilder().ipv4().icmp().truncate(24).build()).malformed);
  CHECK_FALSE(read(PacketBuilder().ipv6().icmp().truncate(44).build()).malformed);
  // The other family's ICMP is not read, so it may be any size.
  CHECK_FALSE(read(PacketBuilder().ipv6().transport(1).build()).malformed);
  CHECK_FALSE(read(PacketBuilder().ipv4().transport(58, {128}).build()).malformed);
  // A non-first fragment has no ICMP header to be short.
  bpffw::packet::Ipv4Fields later;
  later.fragment_offset = 1;
  CHECK_FALSE(read(PacketBuilder().ipv4(later).icmp().truncate(20).build()).malformed);
  CHECK_FALSE(read(PacketBuilder().ipv6().fragment(1).icmp().truncate(48).build()).malformed);
}

TEST_CASE("UDP needs 8 bytes, TCP 20") {
  CHECK_FALSE(read(PacketBuilder().ipv4().udp(1, 53).build()).malformed);
  CHECK(read(PacketBuilder().ipv4().udp(1, 53).truncate(27).build()).malformed);
  CHECK_FALSE(read(PacketBuilder().ipv6().tcp(1, 80).build()).malformed);
  CHECK(read(PacketBuilder().ipv6().tcp(1, 80).truncate(59).build()).malformed);
}

TEST_CASE("the builder writes lengths and next headers") {
  Packet packet = PacketBuilder().ipv6().hop_by_hop().udp(1, 2).payload(4).build();
  REQUIRE(packet.bytes.size() == 60);
  CHECK(packet.bytes[6] == 0);                              // next header: hop-by-hop
  CHECK(packet.bytes[40] == 17);                            // hop-by-hop's next header: UDP
  CHECK((packet.bytes[4] << 8 | packet.bytes[5]) == 20);    // payload length
  CHECK((packet.bytes[52] << 8 | packet.bytes[53]) == 12);  // UDP length
  CHECK(packet.ethernet_frame().size() == 74);
  CHECK(packet.ethernet_frame()[12] == 0x86);
  CHECK(PacketBuilder().ipv4().udp(1, 2).truncate(19).build().fits_test_run() == false);
  Packet dot3 = PacketBuilder().ethertype(0x0050).payload(30).build();
  CHECK(dot3.skb_protocol() == 0x0004);  // an 802.3 length, not an ethertype
}
