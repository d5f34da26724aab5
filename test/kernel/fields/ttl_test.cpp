// ttl (docs/filter-language.md §4.7), verdicts written by hand: IPv4's TTL and IPv6's hop limit,
// every value from 0 to 255, wherever the transport header lies, and −1 for a packet that is not IP.
#include <doctest/doctest.h>

#include "../verdict_table.hpp"

using namespace bpffw::test;

TEST_CASE("§4.7 ttl is IPv4's TTL and IPv6's hop limit, each value read as it is") {
  std::vector<VerdictRow> rows;
  for (int ttl : {0, 1, 2, 63, 64, 127, 128, 254, 255}) {
    for (std::string family : {"ipv4", "ipv6"}) {
      std::string packet = family + " ttl=" + std::to_string(ttl) + " udp";
      rows.push_back(
          {family + " ttl " + std::to_string(ttl), "ttl == " + std::to_string(ttl), packet_of(packet), kPass});
      rows.push_back({family + " ttl " + std::to_string(ttl) + ", one more", "ttl == " + std::to_string(ttl + 1),
                      packet_of(packet), kDrop});
    }
  }
  check_rows(rows);
}

TEST_CASE("§4.7 ttl: the default 64, comparisons and sets, the other header fields around it") {
  check_rows({
      {"a packet's default TTL is 64", "ttl == 64", packet_of("ipv4 tcp"), kPass},
      {"GTSM: only from this link", "ttl == 255", packet_of("ipv6 ttl=255 tcp dport=179"), kPass},
      {"GTSM: one router away", "ttl == 255", packet_of("ipv6 ttl=254 tcp dport=179"), kDrop},
      {"about to expire", "!(ttl < 2)", packet_of("ipv4 ttl=1 icmp"), kDrop},
      {"not about to expire", "!(ttl < 2)", packet_of("ipv4 ttl=2 icmp"), kPass},
      {"in a set", "ttl in {1, 64..128}", packet_of("ipv4 ttl=100 udp"), kPass},
      {"in a set (negative)", "ttl in {1, 64..128}", packet_of("ipv6 ttl=129 udp"), kDrop},
      {"the TOS byte beside it does not leak in (IPv4)", "ttl == 64", packet_of("ipv4 dscp=63 ecn=3 tcp"), kPass},
      {"the flow label and payload length do not leak in (IPv6)", "ttl == 7",
       packet_of("ipv6 ttl=7 flow=0xfffff udp payload=300"), kPass},
      {"the protocol byte after it does not leak in (IPv4)", "ttl == 200", packet_of("ipv4 ttl=200 proto=255"), kPass},
      {"arithmetic on it", "ttl * 2 == 128 && ttl - 64 == 0", packet_of("ipv6 tcp"), kPass},
  });
}

TEST_CASE("§4.7 ttl wherever the transport header lies, on fragments, and −1 when not IP") {
  check_rows({
      {"after 40 bytes of IPv4 options", "ttl == 9", packet_of("ipv4 ttl=9 options=40 tcp"), kPass},
      {"after 8 extension headers", "ttl == 9",
       packet_of("ipv6 ttl=9 hbh routing dstopts ah frag dstopts routing hbh udp"), kPass},
      {"an IPv4 non-first fragment has its TTL", "ttl == 3", packet_of("ipv4 ttl=3 frag=5 udp"), kPass},
      {"an IPv6 non-first fragment has its hop limit", "ttl == 3", packet_of("ipv6 ttl=3 frag=5 udp"), kPass},
      {"another transport protocol", "ttl == 30", packet_of("ipv4 ttl=30 esp"), kPass},
      {"not IP: −1", "ttl == -1", packet_of("arp payload=40"), kPass},
      {"not IP is below every TTL", "ttl < 0", packet_of("ethertype=0x88cc payload=60"), kPass},
      {"IP is never −1", "ttl == -1", packet_of("ipv4 ttl=0 udp"), kDrop},
  });
}

TEST_CASE("§4.7 §5.6 a malformed packet is dropped whatever its TTL") {
  check_rows({
      {"an IPv4 header with IHL 4", "ttl == 64 || ttl != 64", packet_of("ipv4 ihl=4 udp"), kDrop},
      {"a UDP header cut short", "ttl >= 0", packet_of("ipv6 udp cut=44"), kDrop},
  });
}
