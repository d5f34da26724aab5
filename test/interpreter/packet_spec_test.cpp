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

TEST_CASE("bad descriptions get a clear error") {
  CHECK(error_of("ipv4 udpp") == "packet 'ipv4 udpp': unknown word 'udpp'");
  CHECK(error_of("") == "packet '': empty packet description");
  CHECK(error_of("ipv4 tcp dport=65536") == "packet 'ipv4 tcp dport=65536': 'dport=65536' needs a number from 0 to 65535");
  CHECK(error_of("ipv4 dport=53") == "packet 'ipv4 dport=53': sport= and dport= need tcp or udp");
  CHECK(error_of("ipv4 hbh udp") == "packet 'ipv4 hbh udp': 'hbh' is an IPv6 extension header: start with ipv6");
  CHECK(error_of("udp ipv4") == "packet 'udp ipv4': 'ipv4' must be the first word");
  CHECK(error_of("ipv4 udp tcp") == "packet 'ipv4 udp tcp': only one transport protocol, 'tcp' is a second one");
  CHECK(error_of("hex:123") == "packet 'hex:123': hex: needs an even number of hexadecimal digits");
  CHECK(error_of("hex:zz") == "packet 'hex:zz': hex: needs an even number of hexadecimal digits");
  CHECK(error_of("ipv6 udp hbh") == "packet 'ipv6 udp hbh': 'hbh' must come before the transport protocol");
  CHECK(error_of("hex:4500 udp") == "packet 'hex:4500 udp': hex: must be the last word");
  CHECK(error_of("ipv4 ihl") == "packet 'ipv4 ihl': 'ihl' needs a value: ihl=N");
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
}
