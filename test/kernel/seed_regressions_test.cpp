// The seed's known bypasses and false drops (the examples bpffw grew out of), each seen in the kernel
// with the seed's port-firewall, as named regression tests.
#include <doctest/doctest.h>

#include "verdict_table.hpp"

namespace {

using bpffw::packet::Ipv4Fields;
using bpffw::packet::Packet;
using bpffw::packet::PacketBuilder;
using bpffw::test::kDrop;
using bpffw::test::kPass;
using bpffw::test::VerdictRow;

}  // namespace

TEST_CASE("seed bug: small UDP datagrams (DNS with few payload bytes) were dropped") {
  // The seed wanted 20 bytes of L4 header for UDP too: DNS queries with <= 11 payload bytes died.
  std::vector<VerdictRow> rows;
  for (std::size_t payload = 0; payload <= 12; ++payload) {
    std::string what = "UDP/53 with " + std::to_string(payload) + " payload bytes";
    rows.push_back({what + " (IPv4)", "udp && dst_port == 53",
                    PacketBuilder().ipv4().udp(40000, 53).payload(payload).build(), kPass});
    rows.push_back({what + " (IPv6)", "udp && dst_port == 53",
                    PacketBuilder().ipv6().udp(40000, 53).payload(payload).build(), kPass});
  }
  bpffw::test::check_rows(rows);
}

TEST_CASE("seed bug: Hop-by-Hop(16 bytes) + Fragment + UDP/123 got through !udp || dst_port == 53") {
  // The seed sized extension headers as len + 8 instead of (len + 1) * 8.
  Packet packet = PacketBuilder().ipv6().hop_by_hop(1).fragment(0, true).udp(40000, 123).payload(48).build();
  bpffw::test::check_rows({
      {"HBH(16) + Fragment + UDP/123 is UDP to 123", "udp && dst_port == 123", packet, kPass},
      {"HBH(16) + Fragment + UDP/123 is dropped", "!udp || dst_port == 53", packet, kDrop},
  });
}

TEST_CASE("seed bug: AH length ignored: AH(24 bytes) + UDP/123 misparsed") {
  Packet packet = PacketBuilder().ipv6().authentication(4).udp(40000, 123).payload(16).build();
  bpffw::test::check_rows({
      {"AH(24) + UDP/123 is UDP to 123", "udp && dst_port == 123", packet, kPass},
      {"AH(24) + UDP/123 is dropped", "!udp || dst_port == 53", packet, kDrop},
  });
}

TEST_CASE("seed bug: after 7 extension headers the packet was 'not udp': 8 headers slipped through") {
  PacketBuilder builder;
  builder.ipv6();
  for (int i = 0; i < 8; ++i) builder.destination_options();
  Packet eight = builder.udp(40000, 123).payload(8).build();
  Packet nine = PacketBuilder(builder).destination_options().udp(40000, 123).build();
  bpffw::test::check_rows({
      {"8 extension headers then UDP/123 is UDP", "udp && dst_port == 123", eight, kPass},
      {"8 extension headers then UDP/123 is dropped", "!udp || dst_port == 53", eight, kDrop},
      {"9 extension headers then UDP/123 is dropped", "!udp || dst_port == 53", nine, kDrop},
  });
}

TEST_CASE("seed bug: an IPv4 non-first fragment's payload was read as ports") {
  Ipv4Fields later;
  later.fragment_offset = 185;
  // The payload of this fragment starts with bytes that look like ports 53 -> 53.
  Packet packet = PacketBuilder().ipv4(later).transport(17, {0, 53, 0, 53, 0, 8, 0, 0}).payload(32).build();
  bpffw::test::check_rows({
      {"non-first fragment: ports are 0", "udp && dst_port == 0", packet, kPass},
      {"non-first fragment: payload is not port 53", "udp && dst_port == 53", packet, kDrop},
      {"non-first fragment: payload is not port 53", "src_port == 53", packet, kDrop},
  });
}

TEST_CASE("seed bug: IHL < 5 was not rejected") {
  std::vector<VerdictRow> rows;
  for (std::uint8_t ihl = 0; ihl < 5; ++ihl) {
    Ipv4Fields fields;
    fields.ihl = ihl;
    Packet packet = PacketBuilder().ipv4(fields).udp(40000, 123).payload(16).build();
    std::string what = "IHL " + std::to_string(ihl);
    rows.push_back({what + " is dropped", "!udp || dst_port == 53", packet, kDrop});
    rows.push_back({what + " is dropped", "!(tcp && dst_port == 22)", packet, kDrop});
  }
  bpffw::test::check_rows(rows);
}
