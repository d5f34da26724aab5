// The shrinker on its own, with "still fails" predicates that need no kernel: it must reach the
// smallest failing filter and packet, and never return one that does not fail.
#include <doctest/doctest.h>

#include <bpffw/bpffw.hpp>

#include "packet/packet_spec.hpp"
#include "shrink.hpp"

using bpffw::Result;
using bpffw::difftest::filter_size;
using bpffw::difftest::shrink_filter;
using bpffw::difftest::shrink_packet;
namespace packet = bpffw::packet;

namespace {

packet::Packet spec(const char* text) {
  Result<packet::Packet> parsed = packet::parse_packet_spec(text);
  REQUIRE_MESSAGE(parsed.has_value(), text);
  return *parsed;
}

bool passes(const std::string& filter, const packet::Packet& packet) {
  Result<bpffw::Filter> parsed = bpffw::Filter::parse(filter);
  REQUIRE_MESSAGE(parsed.has_value(), filter);
  return bpffw::interpret(*parsed, packet.skb_protocol(), packet.bytes).pass;
}

}  // namespace

TEST_CASE("filter_size counts AST nodes, a chain as one node") {
  CHECK(filter_size("dst_port") == 1);
  CHECK(filter_size("udp && dst_port == 53") == 5);
  CHECK(filter_size("a && b && c") == 0);  // unknown variables: does not parse
  CHECK(filter_size("tcp && udp && icmp") == 4);
  CHECK(filter_size("(-1)") == 2);
}

TEST_CASE("a filter shrinks to the one subexpression the failure needs") {
  // A stand-in bug: "fails" when the filter reads dst_port and passes a DNS packet.
  packet::Packet dns = spec("ipv4 udp dport=53 payload=30");
  int calls = 0;
  auto still_fails = [&](const std::string& filter) -> Result<bool> {
    ++calls;
    return filter.find("dst_port") != std::string::npos && passes(filter, dns);
  };
  const std::string big = "(tcp || udp && dst_port == 53) && len > 3 || ip && icmp ? (1 << 64) % 7 : -dst_port";
  REQUIRE(*still_fails(big));
  Result<std::string> small = shrink_filter(big, still_fails);
  REQUIRE(small.has_value());
  CHECK(*small == "dst_port");
  CHECK(calls < 200);
}

TEST_CASE("a chain loses the operands the failure does not need") {
  auto still_fails = [](const std::string& filter) -> Result<bool> {
    return filter.find("udp") != std::string::npos && filter.find("len") != std::string::npos;
  };
  Result<std::string> small = shrink_filter("tcp && udp && icmp && len > 3 && ip", still_fails);
  REQUIRE(small.has_value());
  CHECK(*small == "udp && len");
}

TEST_CASE("a packet shrinks to its headers, with every byte the failure does not need zeroed") {
  packet::Packet dns = spec("ipv4 udp sport=999 dport=53 payload=100");
  auto still_fails = [](const packet::Packet& candidate) -> Result<bool> {
    return passes("udp && dst_port == 53", candidate);
  };
  Result<packet::Packet> small = shrink_packet(dns, still_fails);
  REQUIRE(small.has_value());
  REQUIRE(small->bytes.size() == 28);  // 20 bytes of IPv4, 8 of UDP: nothing less is read
  for (std::size_t i = 0; i < small->bytes.size(); ++i) {
    unsigned char expected = i == 0 ? 0x45 : i == 9 ? 17 : i == 23 ? 53 : 0;
    CHECK_MESSAGE(small->bytes[i] == expected, "byte " << i);
  }
}

TEST_CASE("a packet that must keep an IPv6 extension header keeps it") {
  packet::Packet packet = spec("ipv6 hbh=1 udp dport=53 payload=40");
  auto still_fails = [](const packet::Packet& candidate) -> Result<bool> {
    return passes("udp && dst_port == 53", candidate);
  };
  Result<packet::Packet> small = shrink_packet(packet, still_fails);
  REQUIRE(small.has_value());
  // 40 fixed + 16 Hop-by-Hop + 8 UDP: a shorter Hop-by-Hop header would move the UDP header.
  CHECK(small->bytes.size() == 64);
  CHECK(passes("udp && dst_port == 53", *small));
}

TEST_CASE("a predicate error stops the shrinking and is passed on") {
  auto broken = [](const std::string&) -> Result<bool> {
    return bpffw::make_error(bpffw::ErrorKind::System, "test run failed");
  };
  Result<std::string> result = shrink_filter("udp && dst_port == 53", broken);
  REQUIRE_FALSE(result.has_value());
  CHECK(result.error().message == "test run failed");
}

TEST_CASE("filters with local_* shrink with their direction, and address sets down to one prefix") {
  const bpffw::ParseOptions ingress{.direction = bpffw::Direction::Ingress};
  CHECK(filter_size("local_port == 80") == 0);  // needs a direction
  CHECK(filter_size("local_port == 80", ingress) == 3);
  CHECK(filter_size("src_addr in {10.0.0.0/8, fd00::/8}") == 1);  // one AddressMatch

  // A stand-in bug: "fails" when the filter passes a packet from 192.0.2.1 to port 22 on ingress
  // and still reads an address.
  packet::Packet ssh = spec("ipv4 src=192.0.2.1 tcp dport=22");
  auto still_fails = [&](const std::string& filter) -> Result<bool> {
    Result<bpffw::Filter> parsed = bpffw::Filter::parse(filter, ingress);
    REQUIRE_MESSAGE(parsed.has_value(), filter);
    return filter.find("_addr") != std::string::npos && bpffw::interpret(*parsed, ssh.skb_protocol(), ssh.bytes).pass;
  };
  const std::string big = "local_port == 22 && remote_addr in {10.0.0.0/8, 192.0.2.0/24, fd00::/8} && tcp";
  REQUIRE(*still_fails(big));
  Result<std::string> small = shrink_filter(big, still_fails, ingress);
  REQUIRE(small.has_value());
  CHECK(*small == "remote_addr == 192.0.2.0/24");
}
