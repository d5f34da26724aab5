// flow_label (docs/filter-language.md §4.7), verdicts written by hand: IPv6's 20 bits after the
// version and traffic class, each bit alone, the edges, and −1 on IPv4 and when not IP.
#include <doctest/doctest.h>

#include "../verdict_table.hpp"

using namespace bpffw::test;

TEST_CASE("§4.7 flow_label: each of its 20 bits alone, with the traffic class all ones beside it") {
  std::vector<VerdictRow> rows;
  for (int bit = 0; bit < 20; ++bit) {
    const std::string label = std::to_string(1 << bit);
    const std::string packet = "ipv6 dscp=63 ecn=3 flow=" + label + " udp";
    rows.push_back({"bit " + std::to_string(bit), "flow_label == " + label, packet_of(packet), kPass});
    rows.push_back({"bit " + std::to_string(bit) + " under its mask", "(flow_label & " + label + ") != 0",
                    packet_of("ipv6 flow=" + std::to_string(0xfffff)), kPass});
    rows.push_back({"every bit but " + std::to_string(bit), "(flow_label & " + label + ") != 0",
                    packet_of("ipv6 flow=" + std::to_string(0xfffff & ~(1 << bit)) + " tcp"), kDrop});
  }
  check_rows(rows);
}

TEST_CASE("§4.7 flow_label: the edges, sets, and what lies around it") {
  check_rows({
      {"no label", "flow_label == 0", packet_of("ipv6 udp"), kPass},
      {"the largest label", "flow_label == 0xfffff", packet_of("ipv6 flow=0xfffff udp"), kPass},
      {"never above 20 bits", "flow_label > 0xfffff", packet_of("ipv6 dscp=63 ecn=3 flow=0xfffff udp"), kDrop},
      {"in a set", "flow_label in {1..0xff, 0x12345}", packet_of("ipv6 flow=0x12345 tcp"), kPass},
      {"in a set (negative)", "flow_label in {1..0xff, 0x12345}", packet_of("ipv6 flow=0x12346 tcp"), kDrop},
      {"the payload length after it does not leak in", "flow_label == 7", packet_of("ipv6 flow=7 udp payload=999"),
       kPass},
      {"after extension headers", "flow_label == 0xabcde", packet_of("ipv6 flow=0xabcde hbh routing frag=9 udp"),
       kPass},
      {"IPv6 only from senders that label their flows", "!ipv6 || flow_label != 0", packet_of("ipv6 tcp"), kDrop},
      {"... and IPv4 passes", "!ipv6 || flow_label != 0", packet_of("ipv4 tcp"), kPass},
  });
}

TEST_CASE("§4.7 flow_label is −1 on IPv4 and when not IP") {
  check_rows({
      {"IPv4 has none: −1", "flow_label == -1", packet_of("ipv4 dscp=63 ecn=3 udp"), kPass},
      {"IPv4 is not 0", "flow_label == 0", packet_of("ipv4 udp"), kDrop},
      {"IPv4 with options", "flow_label < 0", packet_of("ipv4 options=40 tcp"), kPass},
      {"not IP: −1", "flow_label == -1", packet_of("arp payload=40"), kPass},
      {"IPv6 is never −1", "flow_label == -1", packet_of("ipv6 icmpv6"), kDrop},
      {"§5.6 malformed is dropped whatever its label", "flow_label >= 0 || flow_label < 0",
       packet_of("ipv6 flow=5 tcp cut=50"), kDrop},
  });
}
