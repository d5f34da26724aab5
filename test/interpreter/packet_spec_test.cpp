// Packet descriptions in words, as `bpffwc test --packet SPEC` takes them.
#include <doctest/doctest.h>

#include "interpreter/packet_facts.hpp"
#include "packet/packet_spec.hpp"

namespace {

using bpffw::interpreter::PacketFacts;

PacketFacts facts_of(const std::string& spec) {
  bpffw::Result<bpffw::packet::Packet> packet = bpffw::packet::parse_packet_spec(spec);
  REQUIRE_MESSAGE(packet.has_value(), spec << ": " << packet.error().message);
  return bpffw::interpreter::read_packet(packet->skb_protocol(), packet->bytes);
}

std::string error_of(const std::string& spec) {
  bpffw::Result<bpffw::packet::Packet> packet = bpffw::packet::parse_packet_spec(spec);
  REQUIRE_FALSE(packet.has_value());
  CHECK(packet.error().kind == bpffw::ErrorKind::Usage);
  CHECK_FALSE(packet.error().hint.empty());
  return packet.error().message;
}

}  // namespace

TEST_CASE("the examples of the issue") {
  PacketFacts facts = facts_of("ipv4 udp dport=53");
  CHECK(facts.ip == 1);
  CHECK(facts.udp == 1);
  CHECK(facts.dst_port == 53);

  facts = facts_of("ipv6 hbh tcp sport=1 dport=80");
  CHECK(facts.ipv6 == 1);
  CHECK(facts.extension_headers == 1);
  CHECK(facts.tcp == 1);
  CHECK(facts.src_port == 1);
  CHECK(facts.dst_port == 80);

  facts = facts_of("ipv4 frag=185 udp");
  CHECK(facts.udp == 1);
  CHECK(facts.non_first_fragment);
  CHECK(facts.dst_port == 0);

  facts = facts_of("len=1400");
  CHECK(facts.ip == 1);
  CHECK(facts.len == 1400);

  facts = facts_of("hex:450000140000000040ff00000a0000010a000002");
  CHECK(facts.ip == 1);
  CHECK(facts.len == 20);
  CHECK(facts.transport_protocol == 255);
}

TEST_CASE("more words") {
  CHECK(facts_of("ipv6 frag=3 ah=4 dstopts=1 udp dport=7").non_first_fragment);
  CHECK(facts_of("ipv4 ihl=3 udp").malformed);
  CHECK(facts_of("ipv4 udp cut=27").malformed);
  CHECK(facts_of("ipv6 icmp").icmp == 1);
  CHECK(facts_of("ipv4 esp").transport_protocol == 50);
  CHECK(facts_of("ipv6 proto=132").transport_protocol == 132);
  CHECK(facts_of("arp").len == 0);
  CHECK(facts_of("ethertype=0x88cc payload=20").len == 20);
  CHECK(facts_of("hex:6000000000003b400000000000000000000000000000000000000000000000000000000000000000").ipv6 == 1);
  CHECK(facts_of("ipv4 options=8 tcp dport=443").dst_port == 443);
  CHECK(facts_of("udp dport=53 payload=3").len == 31);
}

TEST_CASE("addresses, TCP flags, ICMP type and code, the socket") {
  PacketFacts facts = facts_of("ipv4 src=192.0.2.1 tcp dport=22 flags=syn");
  CHECK(facts.src_addr.family == 4);
  CHECK(facts.src_addr.bytes[0] == 192);
  CHECK(facts.src_addr.bytes[3] == 1);
  CHECK(facts.dst_addr.bytes[0] == 10);  // the default destination, 10.0.0.2
  CHECK(facts.dst_addr.bytes[3] == 2);
  CHECK(facts.tcp_flags == 0x02);
  CHECK(facts.dst_port == 22);

  facts = facts_of("ipv6 dst=fd00::1 icmpv6 type=128");
  CHECK(facts.dst_addr.family == 6);
  CHECK(facts.dst_addr.bytes[0] == 0xfd);
  CHECK(facts.dst_addr.bytes[15] == 1);
  CHECK(facts.src_addr.bytes[15] == 1);  // the default source, fd00::1
  CHECK(facts.icmp_type == 128);
  CHECK(facts.icmp_code == 0);

  CHECK(facts_of("ipv6 src=::ffff:192.0.2.1 udp").src_addr.bytes[10] == 0xff);
  CHECK(facts_of("ipv4 tcp flags=syn,ack").tcp_flags == 0x12);
  CHECK(facts_of("ipv4 tcp flags=0x12").tcp_flags == 0x12);
  CHECK(facts_of("ipv4 tcp flags=fin,syn,rst,psh,ack,urg,ece,cwr").tcp_flags == 0xff);
  CHECK(facts_of("ipv4 tcp flags=0").tcp_flags == 0);
  CHECK(facts_of("ipv4 tcp flags=rst,0x10").tcp_flags == 0x14);
  CHECK(facts_of("tcp").tcp_flags == 0x02);  // SYN unless told otherwise
  facts = facts_of("ipv4 icmp type=3 code=4");
  CHECK(facts.icmp_type == 3);
  CHECK(facts.icmp_code == 4);
  CHECK(facts_of("ipv4 icmp code=1").icmp_type == 8);  // an echo request unless told otherwise
  CHECK(facts_of("ipv6 icmp type=1").icmp_type == 1);  // `icmp` in IPv6 is ICMPv6
  CHECK(facts_of("ipv4 icmp type=3 cut=23").malformed);
  CHECK(facts_of("ipv4 icmpv6 type=128").icmp_type == -1);  // ICMPv6 in IPv4 is not ICMP

  auto socket_of = [](const std::string& spec) { return bpffw::packet::parse_packet_spec(spec)->socket; };
  CHECK(socket_of("ipv4 tcp") == bpffw::SocketState::None);
  CHECK(socket_of("ipv4 tcp sock=none") == bpffw::SocketState::None);
  CHECK(socket_of("sock=tcp-listen tcp") == bpffw::SocketState::TcpListen);
  CHECK(socket_of("tcp sock=tcp-syn-sent") == bpffw::SocketState::TcpSynSent);
  CHECK(socket_of("tcp sock=tcp-established") == bpffw::SocketState::TcpEstablished);
  CHECK(socket_of("tcp sock=tcp-closed") == bpffw::SocketState::TcpClosed);
  CHECK(socket_of("udp sock=udp") == bpffw::SocketState::UdpUnconnected);
  CHECK(socket_of("udp sock=udp-connected") == bpffw::SocketState::UdpConnected);
  CHECK(socket_of("ipv6 esp sock=other") == bpffw::SocketState::Other);
  CHECK(socket_of("sock=udp-connected hex:450000140000000040ff00000a0000010a000002") ==
        bpffw::SocketState::UdpConnected);
}

TEST_CASE("bad descriptions get a clear error") {
  CHECK(error_of("ipv4 udpp") == "packet 'ipv4 udpp': unknown word 'udpp'");
  CHECK(error_of("") == "packet '': empty packet description");
  CHECK(error_of("ipv4 tcp dport=65536") ==
        "packet 'ipv4 tcp dport=65536': 'dport=65536' needs a number from 0 to 65535");
  CHECK(error_of("ipv4 dport=53") == "packet 'ipv4 dport=53': sport= and dport= need tcp or udp");
  CHECK(error_of("ipv4 hbh udp") == "packet 'ipv4 hbh udp': 'hbh' is an IPv6 extension header: start with ipv6");
  CHECK(error_of("udp ipv4") == "packet 'udp ipv4': 'ipv4' must be the first word");
  CHECK(error_of("ipv4 udp tcp") == "packet 'ipv4 udp tcp': only one transport protocol, 'tcp' is a second one");
  CHECK(error_of("hex:123") == "packet 'hex:123': hex: needs an even number of hexadecimal digits");
  CHECK(error_of("hex:zz") == "packet 'hex:zz': hex: needs an even number of hexadecimal digits");
  CHECK(error_of("ipv6 udp hbh") == "packet 'ipv6 udp hbh': 'hbh' must come before the transport protocol");
  CHECK(error_of("hex:4500 udp") == "packet 'hex:4500 udp': hex: must be the last word");
  CHECK(error_of("ipv4 ihl") == "packet 'ipv4 ihl': 'ihl' needs a value: ihl=N");
  CHECK(error_of("ipv4 src=fd00::1 udp") ==
        "packet 'ipv4 src=fd00::1 udp': 'src=fd00::1' needs an IPv4 address, as the packet is ipv4");
  CHECK(error_of("ipv6 dst=10.0.0.1") ==
        "packet 'ipv6 dst=10.0.0.1': 'dst=10.0.0.1' needs an IPv6 address, as the packet is ipv6");
  CHECK(error_of("src=10.0.0.256") ==
        "packet 'src=10.0.0.256': 'src=10.0.0.256' needs an IPv4 address, as the packet is ipv4");
  CHECK(error_of("arp src=10.0.0.1") == "packet 'arp src=10.0.0.1': 'src=10.0.0.1' needs ipv4 or ipv6");
  CHECK(error_of("ipv4 udp flags=syn") == "packet 'ipv4 udp flags=syn': flags= needs tcp");
  CHECK(error_of("ipv4 tcp flags=sin") ==
        "packet 'ipv4 tcp flags=sin': 'flags=sin' needs TCP flags: names fin,syn,rst,psh,ack,urg,ece,cwr or a number 0 "
        "to 255");
  CHECK(error_of("ipv4 tcp flags=0x100").find("needs TCP flags") != std::string::npos);
  CHECK(error_of("ipv4 tcp type=3") == "packet 'ipv4 tcp type=3': type= and code= need icmp or icmpv6");
  CHECK(error_of("ipv4 icmp code=256") == "packet 'ipv4 icmp code=256': 'code=256' needs a number from 0 to 255");
  CHECK(error_of("tcp sock=open") ==
        "packet 'tcp sock=open': 'sock=open' needs one of none, tcp-listen, tcp-syn-sent, tcp-established, "
        "tcp-closed, udp, udp-connected, other");
  CHECK(error_of("tcp sock=udp sock=other") == "packet 'tcp sock=udp sock=other': only one sock= word");
  CHECK(error_of("sock=udp") == "packet 'sock=udp': sock= needs a packet to go with it");
}

TEST_CASE("describe_packet says what the filter sees") {
  auto describe = [](const std::string& spec) {
    return bpffw::packet::describe_packet(*bpffw::packet::parse_packet_spec(spec));
  };
  CHECK(describe("ipv4 udp sport=1 dport=53") == "ipv4 udp 1 -> 53, 28 bytes");
  CHECK(describe("ipv6 hbh frag=2 udp") == "ipv6 +2 ext udp non-first fragment, 64 bytes");
  CHECK(describe("ipv4 ihl=2 tcp") == "ipv4 malformed, 40 bytes");
  CHECK(describe("arp payload=28") == "ethertype 0x0806, 28 bytes");
  CHECK(describe("ipv6 esp") == "ipv6 proto 50, 40 bytes");
  // The IP header's fields (§4.7) where they differ from the defaults, and the socket's owner.
  CHECK(describe("ipv4 ttl=9 dscp=46 ecn=1 udp") == "ipv4 ttl 9 dscp 46 ecn 1 udp 12345 -> 80, 28 bytes");
  CHECK(describe("ipv6 flow=0x12345 ttl=64 dscp=0 tcp") == "ipv6 flow 74565 tcp 12345 -> 80, 60 bytes");
  CHECK(describe("ipv4 udp uid=33") == "ipv4 udp 12345 -> 80, 28 bytes, socket uid 33");
  // Addresses, TCP flags and ICMP type and code when they are not the words' defaults.
  CHECK(describe("ipv4 src=192.0.2.1 tcp dport=22") == "ipv4 192.0.2.1 -> 10.0.0.2 tcp 12345 -> 22, 40 bytes");
  CHECK(describe("ipv6 dst=2001:DB8::1 udp") == "ipv6 fd00::1 -> 2001:db8::1 udp 12345 -> 80, 48 bytes");
  CHECK(describe("ipv4 tcp flags=syn,ack") == "ipv4 tcp 12345 -> 80 flags syn,ack, 40 bytes");
  CHECK(describe("ipv4 tcp flags=0") == "ipv4 tcp 12345 -> 80 flags none, 40 bytes");
  CHECK(describe("ipv4 tcp flags=syn") == "ipv4 tcp 12345 -> 80, 40 bytes");
  CHECK(describe("ipv4 icmp") == "ipv4 icmp, 28 bytes");
  CHECK(describe("ipv6 icmpv6 type=1 code=4") == "ipv6 icmpv6 type 1 code 4, 48 bytes");
  CHECK(describe("ipv4 icmp type=0") == "ipv4 icmp type 0 code 0, 28 bytes");
  CHECK(describe("ipv4 icmp cut=23") == "ipv4 malformed, 23 bytes");
  CHECK(describe("ipv4 frag=3 icmp type=3") == "ipv4 icmp non-first fragment, 28 bytes");
  CHECK(describe("ipv4 udp sock=udp-connected") == "ipv4 udp 12345 -> 80, 28 bytes, socket udp-connected");
}
