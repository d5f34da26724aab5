// dscp and ecn (docs/filter-language.md §4.7), verdicts written by hand: the two parts of IPv4's TOS
// byte and of IPv6's traffic class, which straddles bytes 0 and 1 between the version and the flow
// label; each value of each, with every value of the other and of the neighbouring bits around it.
#include <doctest/doctest.h>

#include "../verdict_table.hpp"

using namespace bpffw::test;

namespace {

const std::string families[] = {"ipv4", "ipv6"};

}  // namespace

TEST_CASE("§4.7 dscp: every value 0 to 63 in both families, whatever the ECN bits beside it") {
  std::vector<VerdictRow> rows;
  for (int dscp = 0; dscp < 64; ++dscp) {
    for (const std::string& family : families) {
      std::string packet = family + " dscp=" + std::to_string(dscp) + " ecn=" + std::to_string(dscp % 4) + " udp";
      rows.push_back({packet, "dscp == " + std::to_string(dscp), packet_of(packet), kPass});
      rows.push_back(
          {packet + ", not the next one", "dscp == " + std::to_string((dscp + 1) % 64), packet_of(packet), kDrop});
    }
  }
  check_rows(rows);
}

TEST_CASE("§4.7 ecn: every value 0 to 3 in both families, whatever the DSCP bits beside it") {
  std::vector<VerdictRow> rows;
  for (int ecn = 0; ecn < 4; ++ecn) {
    for (int dscp : {0, 1, 46, 63}) {
      for (const std::string& family : families) {
        std::string packet = family + " dscp=" + std::to_string(dscp) + " ecn=" + std::to_string(ecn) + " tcp";
        rows.push_back({packet, "ecn == " + std::to_string(ecn), packet_of(packet), kPass});
        rows.push_back({packet + ", not another", "ecn == " + std::to_string((ecn + 1) % 4), packet_of(packet), kDrop});
      }
    }
  }
  check_rows(rows);
}

TEST_CASE("§4.7 IPv6: the version and the flow label around the traffic class do not leak in") {
  check_rows({
      {"flow label all ones, traffic class 0", "dscp == 0 && ecn == 0", packet_of("ipv6 flow=0xfffff udp"), kPass},
      {"flow label all ones, traffic class all ones", "dscp == 63 && ecn == 3",
       packet_of("ipv6 dscp=63 ecn=3 flow=0xfffff udp"), kPass},
      {"the high bit of the DSCP is byte 0's low nibble", "dscp == 32", packet_of("ipv6 dscp=32 udp"), kPass},
      {"the low bit of the DSCP is byte 1's high nibble", "dscp == 1", packet_of("ipv6 dscp=1 udp"), kPass},
      {"IPv4: the version and IHL before the TOS do not leak in", "dscp == 0 && ecn == 0",
       packet_of("ipv4 options=40 udp"), kPass},
      {"IPv4: the total length after the TOS does not leak in", "dscp == 10 && ecn == 2",
       packet_of("ipv4 dscp=10 ecn=2 udp payload=1000"), kPass},
  });
}

TEST_CASE("§4.7 dscp and ecn in rules, on fragments, and −1 when not IP") {
  check_rows({
      {"bulk (CS1) off the database port", "!(tcp && dst_port == 5432 && dscp == 8)",
       packet_of("ipv4 dscp=8 tcp dport=5432"), kDrop},
      {"bulk (CS1) elsewhere", "!(tcp && dst_port == 5432 && dscp == 8)", packet_of("ipv4 dscp=8 tcp dport=80"), kPass},
      {"EF or AF41", "dscp in {46, 34}", packet_of("ipv6 dscp=34 udp"), kPass},
      {"EF or AF41 (negative)", "dscp in {46, 34}", packet_of("ipv6 dscp=36 udp"), kDrop},
      {"congestion experienced", "ecn != 3", packet_of("ipv4 ecn=3 tcp"), kDrop},
      {"the whole TOS byte from both", "dscp * 4 + ecn == 0xb9", packet_of("ipv4 dscp=46 ecn=1 udp"), kPass},
      {"an IPv4 non-first fragment has its DSCP", "dscp == 5", packet_of("ipv4 dscp=5 frag=2 udp"), kPass},
      {"after IPv6 extension headers", "ecn == 2", packet_of("ipv6 ecn=2 hbh frag=3 dstopts udp"), kPass},
      {"not IP: −1", "dscp == -1 && ecn == -1", packet_of("arp payload=40"), kPass},
      {"IP is never −1", "dscp < 0 || ecn < 0", packet_of("ipv6 udp"), kDrop},
      {"§5.6 malformed is dropped whatever its DSCP", "dscp >= 0 || dscp < 0", packet_of("ipv6 version=4 udp"), kDrop},
  });
}
