// docs/filter-language.md §7, set membership: `x in {e1, lo..hi, ...}`, in the kernel and the reference interpreter,
// positive and negative rows side by side. The compiled form is a compare tree over the sorted,
// merged ranges (with 64-wide bit masks), so rows sit on the edges of ranges, masks and tree levels.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "verdict_table.hpp"

namespace {

using bpffw::packet::Packet;
using bpffw::packet::PacketBuilder;
using bpffw::test::check_rows;
using bpffw::test::kDrop;
using bpffw::test::kPass;

Packet udp_to(std::uint16_t port) { return PacketBuilder().ipv4().udp(1000, port).build(); }
Packet tcp6_to(std::uint16_t port) { return PacketBuilder().ipv6().tcp(2000, port).build(); }

}  // namespace

TEST_CASE("§7 a port list with a range: members pass, the values around them drop") {
  const std::string filter = "dst_port in {22, 80, 443, 8000..8100}";
  check_rows({
      {"first item", filter, udp_to(22), kPass},
      {"just below the first item", filter, udp_to(21), kDrop},
      {"just above the first item", filter, udp_to(23), kDrop},
      {"a middle item", filter, udp_to(80), kPass},
      {"the last single item", filter, udp_to(443), kPass},
      {"the range's lower end", filter, udp_to(8000), kPass},
      {"below the range", filter, udp_to(7999), kDrop},
      {"inside the range", filter, udp_to(8050), kPass},
      {"the range's upper end", filter, udp_to(8100), kPass},
      {"above the range", filter, udp_to(8101), kDrop},
      {"port 0", filter, udp_to(0), kDrop},
      {"port 65535", filter, udp_to(65535), kDrop},
      {"IPv6 and TCP too", filter, tcp6_to(443), kPass},
      {"IPv6 and TCP too (negative)", filter, tcp6_to(444), kDrop},
      {"no ports (ICMP): dst_port is 0", filter, PacketBuilder().ipv4().icmp().build(), kDrop},
      {"no ports (ICMP): 0 may be listed", "dst_port in {0, 53}", PacketBuilder().ipv4().icmp().build(), kPass},
  });
}

TEST_CASE("§7 binds like a relational operator") {
  check_rows({
      {"tcp && dst_port in {...} is tcp && (dst_port in {...})", "tcp && dst_port in {22, 443}", tcp6_to(22), kPass},
      {"tcp && dst_port in {...}: not tcp", "tcp && dst_port in {22, 443}", udp_to(22), kDrop},
      {"the test yields 0 or 1", "(dst_port in {53}) + (dst_port in {53, 54}) == 2", udp_to(53), kPass},
      {"the test yields 0 or 1 (negative)", "(dst_port in {53}) + (dst_port in {54}) == 1", udp_to(55), kDrop},
      {"x in {...} == 1 compares the result", "dst_port in {53} == 1", udp_to(53), kPass},
      {"a < b in {...} tests the comparison", "src_port < dst_port in {1}", udp_to(2000), kPass},
      {"a < b in {...} tests the comparison (negative)", "src_port < dst_port in {0}", udp_to(2000), kDrop},
      {"sets chain left to right", "dst_port in {53} in {1}", udp_to(53), kPass},
  });
}

TEST_CASE("§7 items may be negative, unsorted, overlapping and adjacent") {
  check_rows({
      {"a computed value in a negative range", "dst_port - 100 in {-50..-1}", udp_to(60), kPass},
      {"a computed value in a negative range (lower end)", "dst_port - 100 in {-50..-1}", udp_to(50), kPass},
      {"a computed value below a negative range", "dst_port - 100 in {-50..-1}", udp_to(49), kDrop},
      {"a computed value above a negative range", "dst_port - 100 in {-50..-1}", udp_to(100), kDrop},
      {"a negative single item", "(0 - dst_port) in {-53}", udp_to(53), kPass},
      {"a minus sign with a space", "(0 - dst_port) in {- 53}", udp_to(53), kPass},
      {"overlaps merge", "dst_port in {100..200, 150, 50..120, 201}", udp_to(50), kPass},
      {"overlaps merge (below)", "dst_port in {100..200, 150, 50..120, 201}", udp_to(49), kDrop},
      {"adjacent ranges", "dst_port in {100..200, 150, 50..120, 201}", udp_to(201), kPass},
      {"adjacent ranges (above)", "dst_port in {100..200, 150, 50..120, 201}", udp_to(202), kDrop},
      {"a range of one value", "dst_port in {53..53}", udp_to(53), kPass},
      {"hexadecimal and octal items", "dst_port in {0x35, 0120}", udp_to(80), kPass},
      {"the whole port range", "src_port in {0..65535}", udp_to(1), kPass},
      {"values beyond the port range never match a port", "dst_port in {65536..100000, -5..-1}", udp_to(65535), kDrop},
      {"the full 64-bit range", "len * 1000000000000 in {-9223372036854775807..9223372036854775807}", udp_to(1), kPass},
      {"INT64_MIN is below -9223372036854775807", "(-9223372036854775807 - 1) + len - len in {-9223372036854775807..0}",
       udp_to(1), kDrop},
      {"INT64_MAX", "9223372036854775807 + len - len in {9223372036854775807}", udp_to(1), kPass},
  });
}

TEST_CASE("§7 sets of any variable and any expression") {
  Packet small = PacketBuilder().ipv4().udp(1, 2).payload(10).build();  // len 38
  check_rows({
      {"len in a set", "len in {38, 1500}", small, kPass},
      {"len in a set (negative)", "len in {37, 39..1500}", small, kDrop},
      {"a flag in a set", "udp in {1}", small, kPass},
      {"a flag in a set (negative)", "tcp in {1}", small, kDrop},
      {"a computed value", "len % 7 in {3, 5}", small, kPass},
      {"a computed value (negative)", "len % 7 in {0, 1, 2, 4, 6}", small, kDrop},
      {"negated", "!(dst_port in {2})", small, kDrop},
      {"in a conditional", "udp ? dst_port in {1, 2} : 0", small, kPass},
      {"malformed packets drop", "dst_port in {0..65535}", PacketBuilder().ipv4().udp(1, 2).truncate(25).build(),
       kDrop},
      {"a constant set test passes every packet", "5 in {1..10}", PacketBuilder().ipv4().udp(1, 2).truncate(25).build(),
       kPass},
  });
}

TEST_CASE("§7 sets and port tests in one chain are regrouped without changing the verdict") {
  const std::string filter = "dst_port == 22 || dst_port in {80, 443} || udp && dst_port == 53 || dst_port >= 60000";
  const std::string negated = "dst_port != 22 && !(dst_port in {80, 443}) && dst_port < 60000";
  check_rows({
      {"first test", filter, tcp6_to(22), kPass},
      {"set", filter, tcp6_to(443), kPass},
      {"udp && ...", filter, udp_to(53), kPass},
      {"udp && ... (tcp)", filter, tcp6_to(53), kDrop},
      {"a range test", filter, tcp6_to(60000), kPass},
      {"none", filter, tcp6_to(59999), kDrop},
      {"&& chain: excluded", negated, tcp6_to(80), kDrop},
      {"&& chain: excluded by range", negated, tcp6_to(65535), kDrop},
      {"&& chain: allowed", negated, tcp6_to(81), kPass},
  });
}

TEST_CASE("§7 a 10,000-port set: every member passes, its neighbours drop") {
  std::string filter = "dst_port in {";
  for (int i = 1; i <= 10000; ++i) filter += (i > 1 ? ", " : "") + std::to_string(i * 3 + (i % 5 == 0 ? 1 : 0));
  filter += "}";
  std::vector<bpffw::test::VerdictRow> rows;
  for (int i : {1, 2, 5, 63, 64, 65, 1000, 5000, 9999, 10000}) {
    int member = i * 3 + (i % 5 == 0 ? 1 : 0);
    rows.push_back({"member " + std::to_string(member), filter, udp_to(static_cast<std::uint16_t>(member)), kPass});
    rows.push_back(
        {"not a member " + std::to_string(member + 1), filter, udp_to(static_cast<std::uint16_t>(member + 1)), kDrop});
  }
  rows.push_back({"below all members", filter, udp_to(0), kDrop});
  rows.push_back({"above all members", filter, udp_to(30002), kDrop});
  check_rows(rows);
}
