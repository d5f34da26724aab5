// docs/filter-language.md §5, every rule, positive and negative side by side: each row's verdict is written by hand
// from the spec; the kernel and the reference interpreter must both give it.
//
// Headers outside the linear data: BPF_PROG_TEST_RUN builds a linear skb for cgroup_skb programs
// (the non-linear mode of newer kernels, ctx->data_end, is for tc programs only), so these rows
// cannot put a header in a fragment. The generated code reads a header in place when it lies in
// the linear data and with bpf_skb_load_bytes() otherwise, which reads linear and paged data alike
// (and is what runs for every truncated packet below); the large packets below (up to 3000 bytes)
// and the end-to-end tests with real traffic cover the rest.
#include <doctest/doctest.h>

#include "verdict_table.hpp"

namespace {

using bpffw::packet::Ipv4Fields;
using bpffw::packet::Packet;
using bpffw::packet::PacketBuilder;
using bpffw::test::check_rows;
using bpffw::test::kDrop;
using bpffw::test::kPass;

Ipv4Fields ihl(std::uint8_t value) {
  Ipv4Fields fields;
  fields.ihl = value;
  return fields;
}
Ipv4Fields version(std::uint8_t value) {
  Ipv4Fields fields;
  fields.version = value;
  return fields;
}
Ipv4Fields fragment(std::uint16_t offset, bool more_fragments = false) {
  Ipv4Fields fields;
  fields.fragment_offset = offset;
  fields.more_fragments = more_fragments;
  return fields;
}
Ipv4Fields options(std::vector<unsigned char> bytes) {
  Ipv4Fields fields;
  fields.options = std::move(bytes);
  return fields;
}

// IPv6 with `count` Destination Options headers (8 bytes each).
PacketBuilder ipv6_with_headers(int count) {
  PacketBuilder builder;
  builder.ipv6();
  for (int i = 0; i < count; ++i) builder.destination_options();
  return builder;
}

}  // namespace

TEST_CASE("§5 protocol dispatch: a non-IP packet has every variable 0 but len, and the filter runs") {
  Packet arp = PacketBuilder().ethertype(0x0806).payload(28).build();
  Packet disguised = PacketBuilder().ipv4().udp(1000, 53).payload(4).ethertype(0x88b5).build();  // IPv4 bytes
  Packet empty = PacketBuilder().ethertype(0x88cc).build();
  Packet vlan = PacketBuilder().ethertype(0x8100).payload(46).build();
  check_rows({
      {"non-IP: ip is 0", "ip", arp, kDrop},
      {"non-IP: ipv6 is 0", "ipv6", arp, kDrop},
      {"non-IP: every variable but len is 0", "!ip && !ipv6 && !tcp && !udp && !icmp && src_port == 0 && dst_port == 0", arp, kPass},
      {"non-IP: len is skb->len", "len == 28", arp, kPass},
      {"non-IP: len is skb->len (negative)", "len == 27", arp, kDrop},
      {"non-IP: the filter is evaluated normally", "!udp || dst_port == 53", arp, kPass},
      {"non-IP: the filter is evaluated normally (negative)", "udp || tcp || icmp", arp, kDrop},
      {"non-IP: IPv4 bytes behind another ethertype are not read", "dst_port == 53", disguised, kDrop},
      {"non-IP: IPv4 bytes behind another ethertype are not read", "udp", disguised, kDrop},
      {"non-IP: IPv4 bytes behind another ethertype are not read", "dst_port == 0 && len == 32", disguised, kPass},
      {"non-IP: an empty packet", "len == 0 && !ip", empty, kPass},
      {"non-IP: an empty packet (negative)", "len != 0", empty, kDrop},
      {"non-IP: VLAN-tagged frames are not IP", "!ip && !ipv6 && len == 46", vlan, kPass},
  });
}

TEST_CASE("§5 protocol dispatch: IPv4 and IPv6 by skb->protocol") {
  Packet v4 = PacketBuilder().ipv4().udp(1000, 53).payload(4).build();
  Packet v6 = PacketBuilder().ipv6().tcp(2000, 80).build();
  check_rows({
      {"IPv4: ip", "ip", v4, kPass},
      {"IPv4: not ipv6", "ipv6", v4, kDrop},
      {"IPv4: udp", "udp", v4, kPass},
      {"IPv4: not tcp", "tcp", v4, kDrop},
      {"IPv4: not icmp", "icmp", v4, kDrop},
      {"IPv4: dst_port", "dst_port == 53", v4, kPass},
      {"IPv4: dst_port (negative)", "dst_port == 54", v4, kDrop},
      {"IPv4: src_port", "src_port == 1000", v4, kPass},
      {"IPv4: src_port (negative)", "src_port == 53", v4, kDrop},
      {"IPv6: ipv6", "ipv6", v6, kPass},
      {"IPv6: not ip", "ip", v6, kDrop},
      {"IPv6: tcp and ports", "tcp && src_port == 2000 && dst_port == 80", v6, kPass},
      {"IPv6: not udp", "udp", v6, kDrop},
      {"IPv6: dst_port (negative)", "dst_port == 2000", v6, kDrop},
  });
}

TEST_CASE("§5 IPv4 well-formedness: 20 bytes, version 4, IHL >= 5, IHL * 4 bytes present") {
  std::vector<bpffw::test::VerdictRow> rows;
  for (std::uint8_t value = 0; value < 5; ++value) {
    Packet packet = PacketBuilder().ipv4(ihl(value)).udp(1, 53).payload(4).build();
    std::string name = "IHL " + std::to_string(value) + " is malformed";
    rows.push_back({name, "udp || !udp", packet, kDrop});
    rows.push_back({name + ", but a constant filter passes", "1", packet, kPass});
  }
  Packet ihl_too_long = PacketBuilder().ipv4(ihl(15)).udp(1, 53).build();  // 28 bytes, IHL says 60
  Packet ihl_one_short = PacketBuilder().ipv4(ihl(6)).transport(255).total_size(23).build();
  Packet ihl_exact = PacketBuilder().ipv4(ihl(6)).transport(255).total_size(24).build();
  Packet twenty = PacketBuilder().ipv4().transport(255).build();
  Packet nineteen = PacketBuilder().ipv4().transport(255).truncate(19).build();
  Ipv4Fields lying_length;
  lying_length.total_length = 65535;
  Packet long_total = PacketBuilder().ipv4(lying_length).udp(1, 53).payload(4).build();
  rows.insert(rows.end(), {
      {"IHL * 4 > packet length is malformed", "ip", ihl_too_long, kDrop},
      {"IHL * 4 > packet length is malformed", "!ip", ihl_too_long, kDrop},
      {"IHL 6 needs 24 bytes: 23 is malformed", "ip", ihl_one_short, kDrop},
      {"IHL 6 needs 24 bytes: 24 is fine", "ip && len == 24", ihl_exact, kPass},
      {"version 6 behind ethertype 0x0800 is malformed", "ip || !ip", PacketBuilder().ipv4(version(6)).udp(1, 53).build(), kDrop},
      {"version 5 is malformed", "!tcp", PacketBuilder().ipv4(version(5)).udp(1, 53).build(), kDrop},
      {"version 0 is malformed", "len > 0", PacketBuilder().ipv4(version(0)).udp(1, 53).build(), kDrop},
      {"version 6 behind 0x0800: constant filter", "2 > 1", PacketBuilder().ipv4(version(6)).udp(1, 53).build(), kPass},
      {"exactly 20 bytes, no transport header", "ip && !tcp && !udp && len == 20", twenty, kPass},
      {"19 bytes: refused by BPF_PROG_TEST_RUN, malformed for the interpreter", "ip", nineteen, kDrop},
      {"19 bytes: constant filter", "1", nineteen, kPass},
      {"the total-length field is not len", "ip && udp && dst_port == 53 && len == 32", long_total, kPass},
  });
  check_rows(rows);
}

TEST_CASE("§5 IPv4 options move the transport header to IHL * 4") {
  // Options bytes that would read as ports 8080 -> 8080 if the header were taken to be 20 bytes.
  Packet with_options = PacketBuilder().ipv4(options({0x1f, 0x90, 0x1f, 0x90, 1, 1, 1, 1, 1, 1, 1, 1}))
                            .udp(5000, 53).payload(4).build();
  Packet full_options = PacketBuilder().ipv4(options(std::vector<unsigned char>(40, 1))).tcp(1, 22).build();
  // IHL 6 with no options: the "transport header" starts at byte 24, inside the real UDP header
  // (length 12 = 0x000c at 24..25, checksum 0 at 26..27).
  Packet ihl_lie = PacketBuilder().ipv4(ihl(6)).udp(1, 53).payload(4).build();
  check_rows({
      {"options: ports read after them", "udp && dst_port == 53 && src_port == 5000", with_options, kPass},
      {"options: the options are not ports", "dst_port == 8080 || src_port == 8080", with_options, kDrop},
      {"40 bytes of options (IHL 15)", "tcp && dst_port == 22", full_options, kPass},
      {"40 bytes of options (IHL 15), negative", "tcp && dst_port == 1", full_options, kDrop},
      {"IHL larger than the real header: ports read at IHL * 4", "src_port == 12 && dst_port == 0", ihl_lie, kPass},
      {"IHL larger than the real header: not the real ports", "dst_port == 53", ihl_lie, kDrop},
  });
}

TEST_CASE("§5 IPv4 fragments: non-first fragments have ports 0, still udp/tcp, no L4 length check") {
  Packet first = PacketBuilder().ipv4(fragment(0, true)).udp(1, 53).payload(8).build();
  Packet later = PacketBuilder().ipv4(fragment(185)).udp(1, 53).payload(8).build();
  Packet later_more = PacketBuilder().ipv4(fragment(185, true)).udp(1, 53).payload(8).build();
  Packet offset_one = PacketBuilder().ipv4(fragment(1)).tcp(22, 22).build();
  Packet offset_max = PacketBuilder().ipv4(fragment(0x1fff)).udp(53, 53).build();
  Packet later_empty = PacketBuilder().ipv4(fragment(185)).udp(1, 53).truncate(20).build();
  Packet later_tiny_tcp = PacketBuilder().ipv4(fragment(3)).tcp(1, 80).truncate(24).build();
  Packet first_short = PacketBuilder().ipv4(fragment(0, true)).udp(1, 53).truncate(27).build();
  check_rows({
      {"first fragment: ports read", "udp && dst_port == 53", first, kPass},
      {"first fragment: ports read (negative)", "dst_port == 0", first, kDrop},
      {"non-first fragment: still udp", "udp", later, kPass},
      {"non-first fragment: ports are 0", "dst_port == 0 && src_port == 0", later, kPass},
      {"non-first fragment: payload not read as ports", "dst_port == 53", later, kDrop},
      {"non-first fragment with MF", "udp && dst_port == 0", later_more, kPass},
      {"fragment offset 1", "tcp && dst_port == 0", offset_one, kPass},
      {"fragment offset 1 (negative)", "dst_port == 22 || src_port == 22", offset_one, kDrop},
      {"fragment offset 8191", "udp && src_port == 0", offset_max, kPass},
      {"non-first fragment with no L4 bytes is not malformed", "ip && udp && dst_port == 0", later_empty, kPass},
      {"non-first TCP fragment of 4 bytes is not malformed", "tcp", later_tiny_tcp, kPass},
      {"first fragment with a 7-byte UDP header is malformed", "udp", first_short, kDrop},
      {"first fragment with a 7-byte UDP header, constant filter", "1", first_short, kPass},
  });
}

TEST_CASE("§5 IPv6 extension headers: each type and its size") {
  struct Shape {
    const char* name;
    PacketBuilder builder;
  };
  std::vector<Shape> shapes = {
      {"Hop-by-Hop, length 0 (8 bytes)", PacketBuilder().ipv6().hop_by_hop(0)},
      {"Hop-by-Hop, length 1 (16 bytes)", PacketBuilder().ipv6().hop_by_hop(1)},
      {"Hop-by-Hop, length 5 (48 bytes)", PacketBuilder().ipv6().hop_by_hop(5)},
      {"Routing, length 0 (8 bytes)", PacketBuilder().ipv6().routing(0)},
      {"Routing, length 2 (24 bytes)", PacketBuilder().ipv6().routing(2)},
      {"Destination Options, length 3 (32 bytes)", PacketBuilder().ipv6().destination_options(3)},
      {"Fragment, offset 0 (8 bytes)", PacketBuilder().ipv6().fragment(0, true)},
      {"Authentication, length 0 (8 bytes)", PacketBuilder().ipv6().authentication(0)},
      {"Authentication, length 1 (12 bytes)", PacketBuilder().ipv6().authentication(1)},
      {"Authentication, length 4 (24 bytes)", PacketBuilder().ipv6().authentication(4)},
      {"Authentication, length 7 (36 bytes)", PacketBuilder().ipv6().authentication(7)},
  };
  std::vector<bpffw::test::VerdictRow> rows;
  for (Shape& shape : shapes) {
    Packet packet = shape.builder.udp(1, 123).payload(4).build();
    rows.push_back({shape.name, "udp && dst_port == 123 && src_port == 1", packet, kPass});
    rows.push_back({std::string(shape.name) + " (negative)", "!udp || dst_port == 53", packet, kDrop});
  }
  check_rows(rows);
}

TEST_CASE("§5 IPv6 extension headers: any order, at most 8") {
  Packet mixed = PacketBuilder().ipv6().destination_options(1).routing().hop_by_hop().fragment().authentication(2)
                     .destination_options().udp(7, 123).build();
  Packet reversed = PacketBuilder().ipv6().authentication(1).fragment().hop_by_hop(2).tcp(7, 443).build();
  PacketBuilder eight_mixed;
  eight_mixed.ipv6().hop_by_hop().routing(1).fragment().authentication(1).destination_options().hop_by_hop(2)
      .routing().destination_options(1);
  Packet eight_udp = PacketBuilder(eight_mixed).udp(1, 123).build();
  Packet eight_esp = PacketBuilder(eight_mixed).transport(50, std::vector<unsigned char>(16, 0x55)).build();
  Packet nine_udp = ipv6_with_headers(9).udp(1, 53).build();
  Packet nine_fragment_last = PacketBuilder(eight_mixed).fragment().udp(1, 53).build();
  check_rows({
      {"any order: mixed", "udp && dst_port == 123 && src_port == 7", mixed, kPass},
      {"any order: mixed (negative)", "!udp || dst_port == 53", mixed, kDrop},
      {"any order: AH, Fragment, Hop-by-Hop, TCP", "tcp && dst_port == 443", reversed, kPass},
      {"exactly 8 extension headers: followed", "udp && dst_port == 123", eight_udp, kPass},
      {"exactly 8 extension headers: not a bypass", "!udp || dst_port == 53", eight_udp, kDrop},
      {"exactly 8 extension headers then ESP", "ipv6 && !tcp && !udp && !icmp", eight_esp, kPass},
      {"9 extension headers: malformed", "udp && dst_port == 53", nine_udp, kDrop},
      {"9 extension headers: malformed", "!udp || dst_port == 53", nine_udp, kDrop},
      {"9 extension headers: malformed, whatever the 9th", "!tcp", nine_fragment_last, kDrop},
      {"9 extension headers: constant filter", "1", nine_udp, kPass},
  });
}

TEST_CASE("§5 IPv6: an extension header running past the end is malformed") {
  auto hbh32 = [] { return PacketBuilder().ipv6().hop_by_hop(3).transport(59); };  // 40 + 32 bytes
  auto ah24 = [] { return PacketBuilder().ipv6().authentication(4).transport(59); };  // 40 + 24 bytes
  check_rows({
      {"Hop-by-Hop of 32 bytes cut at 31", "ipv6", hbh32().truncate(71).build(), kDrop},
      {"Hop-by-Hop of 32 bytes cut at 31, constant filter", "1", hbh32().truncate(71).build(), kPass},
      {"Hop-by-Hop of 32 bytes, all there", "ipv6 && !udp", hbh32().build(), kPass},
      {"Authentication of 24 bytes cut at 23", "ipv6", ah24().truncate(63).build(), kDrop},
      {"Authentication of 24 bytes, all there", "ipv6", ah24().build(), kPass},
      {"next header says Hop-by-Hop, packet ends", "ipv6", PacketBuilder().ipv6().hop_by_hop().truncate(40).build(), kDrop},
      {"one byte of an extension header", "ipv6", PacketBuilder().ipv6().hop_by_hop().truncate(41).build(), kDrop},
      {"Fragment header cut at 7", "ipv6", PacketBuilder().ipv6().fragment().transport(59).truncate(47).build(), kDrop},
      {"Hop-by-Hop length 255 (2048 bytes) in a 200-byte packet", "ipv6",
       PacketBuilder().ipv6().hop_by_hop(255).udp(1, 53).truncate(200).build(), kDrop},
      {"Hop-by-Hop length 255 (2048 bytes), all there", "ipv6 && udp && dst_port == 53",
       PacketBuilder().ipv6().hop_by_hop(255).udp(1, 53).build(), kPass},
      {"the second header runs past the end", "!udp",
       PacketBuilder().ipv6().routing().destination_options(2).truncate(40 + 8 + 20).build(), kDrop},
  });
}

TEST_CASE("§5 IPv6 fragments") {
  Packet later = PacketBuilder().ipv6().fragment(100).udp(1, 53).payload(8).build();
  Packet later_empty = PacketBuilder().ipv6().fragment(100).udp(1, 53).truncate(48).build();
  Packet first = PacketBuilder().ipv6().fragment(0, true).udp(1, 53).build();
  Packet first_short = PacketBuilder().ipv6().fragment(0, true).udp(1, 53).truncate(55).build();
  Packet later_after_hbh = PacketBuilder().ipv6().hop_by_hop().fragment(1).tcp(22, 22).build();
  check_rows({
      {"non-first fragment: still udp, ports 0", "udp && dst_port == 0 && src_port == 0", later, kPass},
      {"non-first fragment: payload not read as ports", "dst_port == 53", later, kDrop},
      {"non-first fragment without L4 bytes is not malformed", "udp && dst_port == 0", later_empty, kPass},
      {"first fragment: ports read", "udp && dst_port == 53", first, kPass},
      {"first fragment with a 7-byte UDP header: malformed", "udp", first_short, kDrop},
      {"non-first fragment after Hop-by-Hop", "tcp && src_port == 0", later_after_hbh, kPass},
      {"non-first fragment after Hop-by-Hop (negative)", "src_port == 22", later_after_hbh, kDrop},
  });
}

TEST_CASE("§5 transport protocols: ESP and No Next Header are neither TCP, UDP nor ICMP, ICMP per family") {
  const char* neither = "!tcp && !udp && !icmp && src_port == 0 && dst_port == 0";
  check_rows({
      {"IPv6 ESP", neither, PacketBuilder().ipv6().transport(50, std::vector<unsigned char>(16, 0x35)).build(), kPass},
      {"IPv6 ESP is IPv6", "ipv6", PacketBuilder().ipv6().transport(50).build(), kPass},
      {"IPv6 No Next Header", neither, PacketBuilder().ipv6().transport(59).build(), kPass},
      {"IPv6 ESP after Hop-by-Hop", neither, PacketBuilder().ipv6().hop_by_hop().transport(50).build(), kPass},
      {"IPv4 ESP", neither, PacketBuilder().ipv4().transport(50).build(), kPass},
      {"ICMPv6 (58) in IPv6 is icmp", "icmp", PacketBuilder().ipv6().icmpv6().build(), kPass},
      {"ICMPv6 needs 4 bytes (§5.4)", "icmp && !udp", PacketBuilder().ipv6().icmpv6().truncate(40).build(), kDrop},
      {"ICMPv6 needs 4 bytes (§5.4)", "icmp && !udp", PacketBuilder().ipv6().icmpv6().truncate(44).build(), kPass},
      {"protocol 1 in IPv6 is not icmp", "icmp", PacketBuilder().ipv6().transport(1).build(), kDrop},
      {"protocol 1 in IPv6 is not icmp", "!icmp && ipv6", PacketBuilder().ipv6().transport(1).build(), kPass},
      {"ICMP (1) in IPv4 is icmp", "icmp && ip", PacketBuilder().ipv4().icmp().build(), kPass},
      {"ICMP needs 4 bytes (§5.4)", "icmp", PacketBuilder().ipv4().icmp().truncate(20).build(), kDrop},
      {"ICMP needs 4 bytes (§5.4)", "icmp", PacketBuilder().ipv4().icmp().truncate(24).build(), kPass},
      {"protocol 58 in IPv4 is not icmp", "icmp", PacketBuilder().ipv4().transport(58).build(), kDrop},
      {"ICMP has no ports", "icmp && src_port == 0 && dst_port == 0", PacketBuilder().ipv4().icmp().build(), kPass},
      {"ICMPv6 after extension headers", "icmp", PacketBuilder().ipv6().hop_by_hop().fragment().icmpv6().build(), kPass},
  });
}

TEST_CASE("§5 minimum transport headers: UDP 8 bytes, TCP 20 bytes") {
  auto v4_udp = [] { return PacketBuilder().ipv4().udp(1, 53); };
  auto v4_tcp = [] { return PacketBuilder().ipv4().tcp(1, 80); };
  auto v6_udp = [] { return PacketBuilder().ipv6().udp(1, 53); };
  auto v6_tcp = [] { return PacketBuilder().ipv6().tcp(1, 80); };
  auto v6_hbh_udp = [] { return PacketBuilder().ipv6().hop_by_hop().udp(1, 53); };
  auto v4_options_udp = [] { return PacketBuilder().ipv4(options({1, 1, 1, 1})).udp(1, 53); };
  check_rows({
      {"IPv4 UDP of exactly 8 bytes", "udp && dst_port == 53", v4_udp().build(), kPass},
      {"IPv4 UDP of 7 bytes: malformed", "udp", v4_udp().truncate(27).build(), kDrop},
      {"IPv4 UDP of 7 bytes: malformed", "!udp", v4_udp().truncate(27).build(), kDrop},
      {"IPv4 UDP of 0 bytes: malformed", "ip", v4_udp().truncate(20).build(), kDrop},
      {"IPv4 TCP of exactly 20 bytes", "tcp && dst_port == 80", v4_tcp().build(), kPass},
      {"IPv4 TCP of 19 bytes: malformed", "tcp", v4_tcp().truncate(39).build(), kDrop},
      {"IPv4 TCP of 8 bytes (a UDP-sized header): malformed", "ip", v4_tcp().truncate(28).build(), kDrop},
      {"IPv6 UDP of exactly 8 bytes", "udp && dst_port == 53", v6_udp().build(), kPass},
      {"IPv6 UDP of 7 bytes: malformed", "ipv6", v6_udp().truncate(47).build(), kDrop},
      {"IPv6 TCP of exactly 20 bytes", "tcp && dst_port == 80", v6_tcp().build(), kPass},
      {"IPv6 TCP of 19 bytes: malformed", "ipv6", v6_tcp().truncate(59).build(), kDrop},
      {"UDP after Hop-by-Hop, 8 bytes", "udp && dst_port == 53", v6_hbh_udp().build(), kPass},
      {"UDP after Hop-by-Hop, 7 bytes: malformed", "ipv6", v6_hbh_udp().truncate(55).build(), kDrop},
      {"UDP after IPv4 options, 8 bytes", "udp && dst_port == 53", v4_options_udp().build(), kPass},
      {"UDP after IPv4 options, 7 bytes: malformed", "ip", v4_options_udp().truncate(31).build(), kDrop},
      {"a filter that does not read ports still drops short UDP", "udp", v4_udp().truncate(24).build(), kDrop},
  });
}

TEST_CASE("§5 len is skb->len, from the IP header on") {
  check_rows({
      {"IPv4 UDP without payload", "len == 28", PacketBuilder().ipv4().udp(1, 2).build(), kPass},
      {"IPv4 UDP without payload (negative)", "len == 42", PacketBuilder().ipv4().udp(1, 2).build(), kDrop},
      {"IPv6 UDP without payload", "len == 48", PacketBuilder().ipv6().udp(1, 2).build(), kPass},
      {"1400 bytes", "len > 1399 && len < 1401", PacketBuilder().ipv4().udp(1, 2).total_size(1400).build(), kPass},
      {"3000 bytes", "len == 3000 && udp && dst_port == 2", PacketBuilder().ipv4().udp(1, 2).total_size(3000).build(), kPass},
      {"3000 bytes, IPv6 with headers", "len == 3000 && tcp && dst_port == 443",
       PacketBuilder().ipv6().hop_by_hop(20).routing(30).tcp(1, 443).total_size(3000).build(), kPass},
  });
}

TEST_CASE("§5 a filter that reads no variable gives its constant verdict on every packet") {
  std::vector<Packet> malformed = {
      PacketBuilder().ipv4(ihl(3)).udp(1, 53).build(),
      ipv6_with_headers(9).udp(1, 53).build(),
      PacketBuilder().ipv4().udp(1, 53).truncate(27).build(),
      PacketBuilder().ipv4(version(6)).tcp(1, 80).build(),
      PacketBuilder().ipv6().hop_by_hop(3).truncate(50).build(),
  };
  std::vector<bpffw::test::VerdictRow> rows;
  for (const Packet& packet : malformed) {
    rows.insert(rows.end(), {
        {"constant 0", "0", packet, kDrop},
        {"constant 1", "1", packet, kPass},
        {"constant 2 > 1", "2 > 1", packet, kPass},
        {"constant 1 - 1", "1 - 1", packet, kDrop},
        {"constant true", "true", packet, kPass},
        {"constant -1", "-1", packet, kPass},
        {"reads a variable, even where it need not: malformed drops", "udp || 1", packet, kDrop},
        {"reads a variable behind a false &&: malformed drops", "0 && tcp", packet, kDrop},
    });
  }
  rows.push_back({"udp || 1 on a well-formed TCP packet", "udp || 1", PacketBuilder().ipv4().tcp(1, 2).build(), kPass});
  check_rows(rows);
}
