// src_addr and dst_addr (docs/filter-language.md §4.2, §6.2, §7.2), verdicts written by hand:
// prefixes on both sides of their boundaries in both families, the families kept apart, sets of
// mixed families, two address variables compared, and packets that have no address.
#include <doctest/doctest.h>

#include "../verdict_table.hpp"

using namespace bpffw::test;

TEST_CASE("§4.2 IPv4 prefixes: the last address inside and the first outside each boundary") {
  auto from = [](const char* address) { return packet_of(std::string("ipv4 src=") + address + " udp dport=53"); };
  check_rows({
      {"/32: the address itself", "src_addr == 192.0.2.1", from("192.0.2.1"), kPass},
      {"/32: one more", "src_addr == 192.0.2.1", from("192.0.2.2"), kDrop},
      {"/32: one less", "src_addr == 192.0.2.1", from("192.0.2.0"), kDrop},
      {"/24: first", "src_addr == 192.0.2.0/24", from("192.0.2.0"), kPass},
      {"/24: last", "src_addr == 192.0.2.0/24", from("192.0.2.255"), kPass},
      {"/24: one past the end", "src_addr == 192.0.2.0/24", from("192.0.3.0"), kDrop},
      {"/24: one before the start", "src_addr == 192.0.2.0/24", from("192.0.1.255"), kDrop},
      {"/8: the last bit of the prefix differs", "src_addr == 10.0.0.0/8", from("11.0.0.0"), kDrop},
      {"/8: the first host bit set", "src_addr == 10.0.0.0/8", from("10.128.0.0"), kPass},
      {"/31: both halves", "src_addr == 10.0.0.2/31", from("10.0.0.3"), kPass},
      {"/31: the neighbour", "src_addr == 10.0.0.2/31", from("10.0.0.1"), kDrop},
      {"/1: the top half", "src_addr == 128.0.0.0/1", from("255.255.255.255"), kPass},
      {"/1: just below it", "src_addr == 128.0.0.0/1", from("127.255.255.255"), kDrop},
      {"/0: every IPv4 address", "src_addr == 0.0.0.0/0", from("0.0.0.0"), kPass},
      {"/0 with !=", "src_addr != 0.0.0.0/0", from("203.0.113.9"), kDrop},
      {"!= a prefix it lies outside", "src_addr != 10.0.0.0/8", from("192.0.2.1"), kPass},
      {"the literal on the left", "10.0.0.0/8 == src_addr", from("10.255.255.255"), kPass},
      {"dst_addr is the destination", "dst_addr == 10.0.0.2", from("192.0.2.1"), kPass},
      {"src_addr is not the destination", "src_addr == 10.0.0.2", from("192.0.2.1"), kDrop},
      {"addresses at 12 and 16 with options", "src_addr == 192.0.2.7 && dst_addr == 10.0.0.2",
       packet_of("ipv4 options=12 src=192.0.2.7 tcp dport=22"), kPass},
      {"a non-first fragment has its addresses", "src_addr == 192.0.2.0/24", packet_of("ipv4 frag=9 src=192.0.2.5 udp"),
       kPass},
  });
}

TEST_CASE("§4.2 IPv6 prefixes: the boundaries at 32, 64, 127 and 128 bits") {
  auto from = [](const char* address) { return packet_of(std::string("ipv6 src=") + address + " tcp dport=22"); };
  check_rows({
      {"/128", "src_addr == 2001:db8::1", from("2001:db8::1"), kPass},
      {"/128: the last bit differs", "src_addr == 2001:db8::1", from("2001:db8::"), kDrop},
      {"/127: both", "src_addr == 2001:db8::/127", from("2001:db8::1"), kPass},
      {"/127: the next pair", "src_addr == 2001:db8::/127", from("2001:db8::2"), kDrop},
      {"/64: the last address", "src_addr == 2001:db8::/64", from("2001:db8::ffff:ffff:ffff:ffff"), kPass},
      {"/64: one past it", "src_addr == 2001:db8::/64", from("2001:db8:0:1::"), kDrop},
      {"/32: a bit in the second group", "src_addr == 2001:db8::/32", from("2001:db9::1"), kDrop},
      {"/32: the first host bit", "src_addr == 2001:db8::/32", from("2001:db8:8000::"), kPass},
      {"/8: fd00::/8", "src_addr == fd00::/8", from("fdff:ffff::1"), kPass},
      {"/8: fc00:: is outside", "src_addr == fd00::/8", from("fc00::1"), kDrop},
      {"/0: every IPv6 address", "src_addr == ::/0", from("::"), kPass},
      {"upper case and the long form", "src_addr == 2001:DB8:0:0:0:0:0:1", from("2001:db8::1"), kPass},
      {"dst_addr after extension headers", "dst_addr == fd00::2 && src_addr == fe80::/10",
       packet_of("ipv6 src=fe80::1 hbh routing=1 frag udp"), kPass},
  });
}

TEST_CASE("§2.4 §4.2 an IPv4 prefix matches IPv4 packets only, an IPv6 one IPv6 only") {
  check_rows({
      {"0.0.0.0/0 on IPv6", "src_addr == 0.0.0.0/0", packet_of("ipv6 udp"), kDrop},
      {"::/0 on IPv4", "src_addr == ::/0", packet_of("ipv4 udp"), kDrop},
      {"10.0.0.0/8 on an IPv6 address starting with 0a00", "src_addr == 10.0.0.0/8", packet_of("ipv6 src=a00:1:: udp"),
       kDrop},
      {"a00:1::/32 on IPv4 10.0.0.1", "src_addr == a00:1::/32", packet_of("ipv4 src=10.0.0.1 udp"), kDrop},
      {"a00:1:: on IPv4 10.0.0.1 (zeros after it)", "src_addr == a00:1::", packet_of("ipv4 src=10.0.0.1 udp"), kDrop},
      {"mapped IPv6 on IPv4", "src_addr == ::ffff:10.0.0.1", packet_of("ipv4 src=10.0.0.1 udp"), kDrop},
      {"mapped IPv6 on IPv6", "src_addr == ::ffff:10.0.0.1", packet_of("ipv6 src=::ffff:10.0.0.1 udp"), kPass},
      {"IPv4 10.0.0.1 on mapped IPv6", "src_addr == 10.0.0.1", packet_of("ipv6 src=::ffff:10.0.0.1 udp"), kDrop},
      {"!= of the other family", "dst_addr != 10.0.0.2", packet_of("ipv6 dst=a00:2:: udp"), kPass},
  });
}

TEST_CASE("§7.2 address sets: mixed families, any order, the balanced tree's edges") {
  const std::string both = "src_addr in {10.0.0.0/8, fd00::/8, 192.0.2.1, ::1}";
  std::string many = "dst_addr in {";
  for (int i = 0; i < 100; i += 2) many += (i ? ", 198.51." : "198.51.") + std::to_string(i) + ".0/24";
  many += ", 2001:db8::/48}";
  check_rows({
      {"IPv4 in the /8", both, packet_of("ipv4 src=10.9.8.7 udp"), kPass},
      {"IPv4 the single address", both, packet_of("ipv4 src=192.0.2.1 udp"), kPass},
      {"IPv4 next to the single address", both, packet_of("ipv4 src=192.0.2.2 udp"), kDrop},
      {"IPv4 in none", both, packet_of("ipv4 src=11.0.0.1 udp"), kDrop},
      {"IPv6 in the /8", both, packet_of("ipv6 src=fd12::1 udp"), kPass},
      {"IPv6 ::1", both, packet_of("ipv6 src=::1 udp"), kPass},
      {"IPv6 ::2", both, packet_of("ipv6 src=::2 udp"), kDrop},
      {"IPv6 starting with 0a: not the IPv4 /8", both, packet_of("ipv6 src=a00:1:: udp"), kDrop},
      {"not IP: in no set", both, packet_of("arp payload=40"), kDrop},
      {"not IP: the negation holds", "!(" + both + ")", packet_of("arp payload=40"), kPass},
      {"overlapping and repeated items", "src_addr in {10.0.0.0/8, 10.1.0.0/16, 10.0.0.0/8}",
       packet_of("ipv4 src=10.1.2.3 udp"), kPass},
      {"50 /24s: the first", many, packet_of("ipv4 dst=198.51.0.1 udp"), kPass},
      {"50 /24s: the last", many, packet_of("ipv4 dst=198.51.98.255 udp"), kPass},
      {"50 /24s: one between", many, packet_of("ipv4 dst=198.51.41.0 udp"), kDrop},
      {"50 /24s: just past the last", many, packet_of("ipv4 dst=198.51.99.0 udp"), kDrop},
      {"50 /24s: the IPv6 one", many, packet_of("ipv6 dst=2001:db8:0:ffff::1 udp"), kPass},
      {"50 /24s: IPv6 next to it", many, packet_of("ipv6 dst=2001:db8:1::1 udp"), kDrop},
  });
}

TEST_CASE("§6.2 src_addr == dst_addr: both present and the same") {
  check_rows({
      {"IPv4 to itself", "src_addr == dst_addr", packet_of("ipv4 src=127.0.0.1 dst=127.0.0.1 tcp"), kPass},
      {"IPv4 to another", "src_addr == dst_addr", packet_of("ipv4 src=127.0.0.1 dst=127.0.0.2 tcp"), kDrop},
      {"IPv6 to itself", "dst_addr == src_addr", packet_of("ipv6 src=::1 dst=::1 tcp"), kPass},
      {"IPv6 differing in the last bit", "src_addr == dst_addr", packet_of("ipv6 src=fd00::1 dst=fd00:: tcp"), kDrop},
      {"IPv6 differing in the first bit", "src_addr == dst_addr", packet_of("ipv6 src=::1 dst=8000::1 tcp"), kDrop},
      {"!=", "src_addr != dst_addr", packet_of("ipv4 udp"), kPass},
      {"a variable with itself", "src_addr == src_addr", packet_of("ipv6 udp"), kPass},
      {"not IP: no addresses to be equal", "src_addr == dst_addr", packet_of("arp payload=40"), kDrop},
      {"not IP: !=", "src_addr != dst_addr", packet_of("arp payload=40"), kPass},
      {"not IP: != a literal", "src_addr != 192.0.2.1", packet_of("arp payload=40"), kPass},
  });
}

TEST_CASE("§5.6 address filters drop malformed packets") {
  check_rows({
      {"IHL 4", "src_addr != 192.0.2.1", packet_of("ipv4 ihl=4 udp"), kDrop},
      {"cut UDP", "src_addr == 10.0.0.1", packet_of("ipv4 udp cut=27"), kDrop},
      {"IPv6 version 4", "src_addr != ::1", packet_of("ipv6 version=4 udp"), kDrop},
      {"cut ICMPv6", "src_addr == fd00::/8", packet_of("ipv6 icmpv6 cut=42"), kDrop},
  });
}
