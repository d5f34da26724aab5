// icmp_type and icmp_code (docs/filter-language.md §4.3, §4.4) and the ICMP header's 4 bytes
// (§5.4, §5.6), verdicts written by hand: the family's ICMP only, -1 for everything else, the
// named types, and ICMP headers of 0 to 4 bytes in every position.
#include <doctest/doctest.h>

#include "../verdict_table.hpp"

using namespace bpffw::test;

TEST_CASE("§4.3 type and code: bytes 0 and 1 of the family's ICMP header") {
  check_rows({
      {"IPv4 echo request", "icmp_type == 8 && icmp_code == 0", packet_of("ipv4 icmp"), kPass},
      {"IPv6 echo request", "icmp_type == 128 && icmp_code == 0", packet_of("ipv6 icmpv6"), kPass},
      {"IPv4 type 3 code 4", "icmp_type == 3 && icmp_code == 4", packet_of("ipv4 icmp type=3 code=4"), kPass},
      {"IPv4 type 3 code 4: not code 3", "icmp_code == 3", packet_of("ipv4 icmp type=3 code=4"), kDrop},
      {"type 0 is a real type", "icmp_type == 0", packet_of("ipv4 icmp type=0"), kPass},
      {"type and code 255", "icmp_type == 255 && icmp_code == 255", packet_of("ipv6 icmpv6 type=255 code=255"), kPass},
      {"after IPv4 options", "icmp_type == 11", packet_of("ipv4 options=20 icmp type=11"), kPass},
      {"after IPv6 extension headers", "icmp_type == 135 && icmp_code == 7",
       packet_of("ipv6 hbh dstopts=2 ah frag icmpv6 type=135 code=7"), kPass},
      {"a first fragment (MF)", "icmp_type == 5", packet_of("ipv4 mf icmp type=5"), kPass},
      {"type compares as a number", "icmp_type > 127 && icmp_type < 129", packet_of("ipv6 icmpv6"), kPass},
      {"type in a set", "icmp_type in {0, 3, 11}", packet_of("ipv4 icmp type=11"), kPass},
      {"type in a set (negative)", "icmp_type in {0, 3, 11}", packet_of("ipv4 icmp type=12"), kDrop},
  });
}

TEST_CASE("§4.3 -1 when the packet is not ICMP of its family, or a non-first fragment") {
  const std::string none = "icmp_type == -1 && icmp_code == -1";
  check_rows({
      {"UDP", none, packet_of("ipv4 udp"), kPass},
      {"TCP on IPv6", none, packet_of("ipv6 tcp"), kPass},
      {"UDP: not type 0", "icmp_type == 0 || icmp_code == 0", packet_of("ipv4 udp payload=8"), kDrop},
      {"ICMP (protocol 1) inside IPv6 is not icmp", none, packet_of("ipv6 proto=1 payload=8"), kPass},
      {"ICMPv6 (58) inside IPv4 is not icmp", none, packet_of("ipv4 icmpv6"), kPass},
      {"an IPv4 non-first fragment", none, packet_of("ipv4 frag=1 icmp type=3"), kPass},
      {"an IPv6 non-first fragment", none, packet_of("ipv6 frag=100 icmpv6 type=1"), kPass},
      {"a non-first fragment is still icmp", "icmp && icmp_type == -1", packet_of("ipv6 frag=2 icmpv6"), kPass},
      {"not IP", none, packet_of("arp payload=28"), kPass},
      {"ESP", none, packet_of("ipv6 esp payload=16"), kPass},
  });
}

TEST_CASE("§4.4 the named types: each family's own numbers") {
  check_rows({
      {"ICMP_ECHO_REQUEST on an IPv4 ping", "icmp_type == ICMP_ECHO_REQUEST", packet_of("ipv4 icmp"), kPass},
      {"ICMP_ECHO_REQUEST on an IPv6 ping", "icmp_type == ICMP_ECHO_REQUEST", packet_of("ipv6 icmpv6"), kDrop},
      {"ICMPV6_ECHO_REQUEST on an IPv6 ping", "icmp_type == ICMPV6_ECHO_REQUEST", packet_of("ipv6 icmpv6"), kPass},
      {"ICMPV6_ECHO_REQUEST on an IPv4 ping", "icmp_type == ICMPV6_ECHO_REQUEST", packet_of("ipv4 icmp"), kDrop},
      {"the spec's ping filter, IPv4", "icmp && icmp_type == ICMP_ECHO_REQUEST || icmp_type == ICMPV6_ECHO_REQUEST",
       packet_of("ipv4 icmp"), kPass},
      {"the spec's ping filter, IPv6", "icmp && icmp_type == ICMP_ECHO_REQUEST || icmp_type == ICMPV6_ECHO_REQUEST",
       packet_of("ipv6 icmpv6"), kPass},
      {"the spec's ping filter, a reply", "icmp && icmp_type == ICMP_ECHO_REQUEST || icmp_type == ICMPV6_ECHO_REQUEST",
       packet_of("ipv6 icmpv6 type=129"), kDrop},
      {"no IPv4 redirects", "!(icmp && icmp_type == ICMP_REDIRECT)", packet_of("ipv4 icmp type=5"), kDrop},
      {"ICMP_REDIRECT is the number 5: ICMPv6 type 5 is dropped too", "!(icmp && icmp_type == ICMP_REDIRECT)", packet_of("ipv6 icmpv6 type=5"), kDrop},
      {"ICMP_ECHO_REPLY 0", "icmp_type == ICMP_ECHO_REPLY", packet_of("ipv4 icmp type=0"), kPass},
      {"ICMP_DEST_UNREACH 3", "icmp_type == ICMP_DEST_UNREACH", packet_of("ipv4 icmp type=3"), kPass},
      {"ICMP_TIME_EXCEEDED 11", "icmp_type == ICMP_TIME_EXCEEDED", packet_of("ipv4 icmp type=11"), kPass},
      {"ICMPV6_DEST_UNREACH 1", "icmp_type == ICMPV6_DEST_UNREACH", packet_of("ipv6 icmpv6 type=1"), kPass},
      {"ICMPV6_PACKET_TOO_BIG 2", "icmp_type == ICMPV6_PACKET_TOO_BIG", packet_of("ipv6 icmpv6 type=2"), kPass},
      {"ICMPV6_TIME_EXCEEDED 3", "icmp_type == ICMPV6_TIME_EXCEEDED", packet_of("ipv6 icmpv6 type=3"), kPass},
      {"ICMPV6_ECHO_REPLY 129", "icmp_type == ICMPV6_ECHO_REPLY", packet_of("ipv6 icmpv6 type=129"), kPass},
      {"ICMPV6_ROUTER_SOLICIT 133", "icmp_type == ICMPV6_ROUTER_SOLICIT", packet_of("ipv6 icmpv6 type=133"), kPass},
      {"ICMPV6_ROUTER_ADVERT 134", "icmp_type == ICMPV6_ROUTER_ADVERT", packet_of("ipv6 icmpv6 type=134"), kPass},
      {"ICMPV6_NEIGHBOR_SOLICIT 135", "icmp_type == ICMPV6_NEIGHBOR_SOLICIT", packet_of("ipv6 icmpv6 type=135"), kPass},
      {"ICMPV6_NEIGHBOR_ADVERT 136", "icmp_type == ICMPV6_NEIGHBOR_ADVERT", packet_of("ipv6 icmpv6 type=136"), kPass},
      {"ICMPV6_NEIGHBOR_ADVERT is not 135", "icmp_type == ICMPV6_NEIGHBOR_ADVERT", packet_of("ipv6 icmpv6 type=135"), kDrop},
  });
}

TEST_CASE("§5.4 §5.6 an ICMP header of 0 to 3 bytes in a first fragment is malformed, 4 are enough") {
  std::vector<VerdictRow> rows;
  // The network part in words, the size where the ICMP header starts.
  const std::pair<std::string, int> positions[] = {
      {"ipv4 icmp", 20}, {"ipv4 options=8 icmp", 28}, {"ipv4 mf icmp", 20}, {"ipv6 icmpv6", 40},
      {"ipv6 hbh icmpv6", 48}, {"ipv6 frag icmpv6", 48}, {"ipv6 hbh=1 routing icmpv6", 64}, {"ipv6 icmp", 40},
  };
  for (const auto& [words, start] : positions) {
    for (int bytes = 0; bytes <= 4; ++bytes) {
      std::string what = words + ", " + std::to_string(bytes) + " bytes of ICMP";
      bpffw::packet::Packet packet = packet_of(words + " cut=" + std::to_string(start + bytes));
      bool whole = bytes == 4;
      rows.push_back({what, "!icmp || icmp", packet, whole ? kPass : kDrop});
      rows.push_back({what, "len == " + std::to_string(start + bytes), packet, whole ? kPass : kDrop});
      rows.push_back({what + " (reads nothing)", "1", packet, kPass});
    }
  }
  check_rows(rows);
}

TEST_CASE("§5.4 short headers that are not read are not malformed") {
  check_rows({
      {"IPv4 non-first fragment, 0 bytes of ICMP", "icmp && icmp_type == -1", packet_of("ipv4 frag=5 icmp cut=20"), kPass},
      {"IPv4 non-first fragment, 3 bytes", "icmp", packet_of("ipv4 frag=5 icmp cut=23"), kPass},
      {"IPv6 non-first fragment, 2 bytes", "icmp", packet_of("ipv6 frag=5 icmpv6 cut=50"), kPass},
      {"ICMP in IPv6, 0 bytes", "!icmp && ipv6", packet_of("ipv6 proto=1"), kPass},
      {"ICMPv6 in IPv4, 1 byte", "!icmp && ip", packet_of("ipv4 icmpv6 cut=21"), kPass},
      {"a cut extension header is malformed though", "ipv6", packet_of("ipv6 hbh icmpv6 cut=46"), kDrop},
  });
}
