// The interpreter on the variables of docs/filter-language.md §4.2-§4.6: what it reads of each
// packet (addresses, ICMP type and code, TCP flags) and how the address tests, local/remote and
// `established` evaluate. test/kernel/fields/ runs the same rules in the kernel.
#include <doctest/doctest.h>

#include <optional>

#include <bpffw/bpffw.hpp>

#include "interpreter/packet_facts.hpp"
#include "packet/packet_builder.hpp"

namespace {

using bpffw::Direction;
using bpffw::SocketState;
using bpffw::interpreter::PacketFacts;
using bpffw::packet::Ipv4Fields;
using bpffw::packet::Ipv6Fields;
using bpffw::packet::Packet;
using bpffw::packet::PacketBuilder;

PacketFacts read(const Packet& packet) { return bpffw::interpreter::read_packet(packet.skb_protocol(), packet.bytes); }

bool passes(const std::string& text, const Packet& packet, std::optional<Direction> direction = std::nullopt,
            SocketState socket = SocketState::None) {
  bpffw::Result<bpffw::Filter> filter = bpffw::Filter::parse(text, {.direction = direction});
  REQUIRE_MESSAGE(filter.has_value(), text << ": " << filter.error().message);
  return bpffw::interpret(*filter, packet.skb_protocol(), packet.bytes, socket).pass;
}

Ipv4Fields v4(std::array<std::uint8_t, 4> src, std::array<std::uint8_t, 4> dst) {
  Ipv4Fields fields;
  fields.src = src;
  fields.dst = dst;
  return fields;
}

// 2001:db8::<last>
std::array<std::uint8_t, 16> doc6(std::uint8_t last) {
  return {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, last};
}

}  // namespace

TEST_CASE("§4.2 addresses: IPv4 bytes 12 and 16, IPv6 bytes 8 and 24, none for other packets") {
  PacketFacts facts = read(PacketBuilder().ipv4(v4({192, 0, 2, 1}, {198, 51, 100, 7})).udp(1, 2).build());
  CHECK(facts.src_addr.family == 4);
  CHECK(facts.src_addr.bytes[0] == 192);
  CHECK(facts.src_addr.bytes[3] == 1);
  CHECK(facts.dst_addr.bytes[2] == 100);
  CHECK(facts.dst_addr.bytes[4] == 0);  // only 4 bytes of IPv4

  Ipv6Fields six;
  six.src = doc6(1);
  six.dst = doc6(0xfe);
  facts = read(PacketBuilder().ipv6(six).hop_by_hop().tcp(1, 2).build());
  CHECK(facts.src_addr.family == 6);
  CHECK(facts.src_addr.bytes == doc6(1));
  CHECK(facts.dst_addr.bytes == doc6(0xfe));

  CHECK(read(PacketBuilder().ethertype(0x0806).payload(40).build()).src_addr.family == 0);
}

TEST_CASE("§4.3 icmp_type and icmp_code: bytes 0 and 1, -1 when not ICMP of the family") {
  PacketFacts facts = read(PacketBuilder().ipv4().icmp({.v6 = {}, .type = 3, .code = 13}).build());
  CHECK(facts.icmp_type == 3);
  CHECK(facts.icmp_code == 13);
  facts = read(PacketBuilder().ipv6().routing().icmp({.v6 = {}, .type = 0, .code = 255}).build());
  CHECK(facts.icmp_type == 0);  // 0 is a real type
  CHECK(facts.icmp_code == 255);
  CHECK(read(PacketBuilder().ipv4().icmp().build()).icmp_type == 8);    // echo request
  CHECK(read(PacketBuilder().ipv6().icmp().build()).icmp_type == 128);  // ICMPv6 echo request

  auto absent = [](const Packet& packet) {
    PacketFacts f = read(packet);
    CHECK_FALSE(f.malformed);
    CHECK(f.icmp_type == -1);
    CHECK(f.icmp_code == -1);
  };
  absent(PacketBuilder().ipv4().udp(1, 2).build());
  absent(PacketBuilder().ipv6().transport(1, {8, 0, 0, 0}).build());     // ICMP inside IPv6
  absent(PacketBuilder().ipv4().transport(58, {128, 0, 0, 0}).build());  // ICMPv6 inside IPv4
  absent(PacketBuilder().ipv6().fragment(5).icmp().build());             // non-first fragment
  Ipv4Fields later;
  later.fragment_offset = 5;
  absent(PacketBuilder().ipv4(later).icmp().build());
  absent(PacketBuilder().ethertype(0x0806).payload(8).build());
}

TEST_CASE("§4.3 tcp_flags: byte 13, 0 when not TCP or a non-first fragment") {
  CHECK(read(PacketBuilder().ipv4().tcp(1, 2, 0x12).build()).tcp_flags == 0x12);
  CHECK(read(PacketBuilder().ipv6().tcp(1, 2, 0xff).build()).tcp_flags == 0xff);
  CHECK(read(PacketBuilder().ipv4().tcp(1, 2).build()).tcp_flags == 0x02);  // the builder's SYN
  CHECK(read(PacketBuilder().ipv4().udp(1, 2).build()).tcp_flags == 0);
  CHECK(read(PacketBuilder().ipv6().fragment(1).tcp(1, 2, 0x12).build()).tcp_flags == 0);
  // Byte 13 is inside the 20 bytes TCP needs: cut before it, the packet is malformed.
  CHECK(read(PacketBuilder().ipv4().tcp(1, 2, 0x12).truncate(20 + 13).build()).malformed);
}

TEST_CASE("§4.2 address tests: families apart, prefix boundaries, no address on non-IP packets") {
  Packet a = PacketBuilder().ipv4(v4({10, 1, 2, 3}, {192, 168, 0, 255})).udp(1, 2).build();
  CHECK(passes("src_addr == 10.1.2.3", a));
  CHECK_FALSE(passes("src_addr == 10.1.2.2", a));
  CHECK(passes("src_addr == 10.0.0.0/8", a));
  CHECK(passes("src_addr == 10.1.2.2/31", a));  // 10.1.2.2-3
  CHECK_FALSE(passes("src_addr == 10.1.2.0/31", a));
  CHECK(passes("src_addr == 0.0.0.0/0", a));
  CHECK_FALSE(passes("src_addr != 0.0.0.0/0", a));
  CHECK_FALSE(passes("src_addr == ::/0", a));             // an IPv6 prefix never matches IPv4
  CHECK_FALSE(passes("src_addr == ::ffff:10.1.2.3", a));  // mapped IPv6 is IPv6 (§2.4)
  CHECK_FALSE(passes("src_addr == a01:203::/32", a));     // the same first 32 bits, IPv6
  CHECK(passes("dst_addr in {fd00::/8, 192.168.0.128/25}", a));
  CHECK_FALSE(passes("dst_addr in {fd00::/8, 192.168.1.0/24, 192.168.0.0/25}", a));

  Ipv6Fields fields;
  fields.src = doc6(0x80);
  Packet b = PacketBuilder().ipv6(fields).tcp(1, 2).build();
  CHECK(passes("src_addr == 2001:db8::80/121", b));
  CHECK_FALSE(passes("src_addr == 2001:db8::/121", b));
  CHECK(passes("src_addr == 2001:db8::/120", b));
  CHECK(passes("src_addr in {10.0.0.0/8, 2001:db8::/32}", b));
  CHECK_FALSE(passes("src_addr == 0.0.0.0/0", b));
  CHECK(passes("src_addr == ::/0", b));

  Packet arp = PacketBuilder().ethertype(0x0806).payload(40).build();
  CHECK_FALSE(passes("src_addr == 0.0.0.0/0 || src_addr == ::/0", arp));
  CHECK(passes("src_addr != 192.0.2.1", arp));
  CHECK_FALSE(passes("src_addr == dst_addr", arp));  // neither is present
}

TEST_CASE("§6.2 src_addr == dst_addr: both present and the same") {
  CHECK(passes("src_addr == dst_addr", PacketBuilder().ipv4(v4({127, 0, 0, 1}, {127, 0, 0, 1})).udp(1, 2).build()));
  CHECK_FALSE(passes("src_addr == dst_addr", PacketBuilder().ipv4().udp(1, 2).build()));
  CHECK(passes("src_addr != dst_addr", PacketBuilder().ipv4().udp(1, 2).build()));
  Ipv6Fields same;
  same.src = same.dst = doc6(9);
  CHECK(passes("dst_addr == src_addr", PacketBuilder().ipv6(same).build()));
  CHECK(passes("src_addr == src_addr", PacketBuilder().ipv6().build()));
}

TEST_CASE("§4.6 local and remote follow the direction") {
  Packet packet = PacketBuilder().ipv4(v4({192, 0, 2, 1}, {10, 0, 0, 9})).tcp(40000, 443).build();
  CHECK(passes("local_addr == 10.0.0.9 && remote_addr == 192.0.2.1", packet, Direction::Ingress));
  CHECK(passes("local_addr == 192.0.2.1 && remote_addr == 10.0.0.9", packet, Direction::Egress));
  CHECK(passes("local_port == 443 && remote_port == 40000", packet, Direction::Ingress));
  CHECK(passes("local_port == 40000 && remote_port == 443", packet, Direction::Egress));
  CHECK_FALSE(passes("local_port == 443", packet, Direction::Egress));
  CHECK(passes("local_addr == dst_addr && remote_addr == src_addr", packet, Direction::Ingress));
  CHECK_FALSE(passes("local_addr == dst_addr", packet, Direction::Egress));
  CHECK(passes("remote_port == 0", PacketBuilder().ipv6().icmp().build(), Direction::Egress));
}

TEST_CASE("§4.5 established: 1 for a connecting, connected or accepted TCP socket and a connected UDP one") {
  Packet packet = PacketBuilder().ipv4().tcp(1, 2).build();
  const std::pair<SocketState, bool> states[] = {
      {SocketState::None, false},          {SocketState::TcpListen, false}, {SocketState::TcpSynSent, true},
      {SocketState::TcpEstablished, true}, {SocketState::TcpClosed, false}, {SocketState::UdpUnconnected, false},
      {SocketState::UdpConnected, true},   {SocketState::Other, false},
  };
  for (const auto& [state, established] : states) {
    CAPTURE(static_cast<int>(state));
    CHECK(passes("established", packet, std::nullopt, state) == established);
    CHECK(passes("!established", packet, std::nullopt, state) != established);
  }
  // The default overload has no socket.
  bpffw::Result<bpffw::Filter> filter = bpffw::Filter::parse("established");
  REQUIRE(filter.has_value());
  CHECK_FALSE(bpffw::interpret(*filter, packet.skb_protocol(), packet.bytes).pass);
  // A malformed packet is dropped whatever the socket: `established` is a variable (§5.6).
  Packet cut = PacketBuilder().ipv4().tcp(1, 2).truncate(30).build();
  CHECK_FALSE(passes("established", cut, std::nullopt, SocketState::TcpEstablished));
}

TEST_CASE("§5.6 a cut ICMP header drops the packet, whatever the filter reads") {
  Packet cut = PacketBuilder().ipv4().icmp().truncate(23).build();
  CHECK_FALSE(passes("!icmp", cut));
  CHECK_FALSE(passes("len == 23", cut));
  CHECK(passes("1", cut));  // reads nothing: no drop
  CHECK(passes("len == 24 && icmp_type == 8 && icmp_code == 0", PacketBuilder().ipv4().icmp().truncate(24).build()));
}
