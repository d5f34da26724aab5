// Audit mode (CompileOptions::audit, issue 31): the program passes every packet, counts the ones
// its filter would drop apart from real drops, records them in the drop log marked as audit, and
// says so in its metadata; a replacement keeps both tallies apart. BPF_PROG_TEST_RUN on loaded
// programs.
#include <vector>

#include <doctest/doctest.h>

#include <bpffw/drop_log.hpp>
#include <bpffw/metadata.hpp>

#include "runtime/runtime_test_support.hpp"
#include "support/kernel_env.hpp"

namespace bpffw::test {
namespace {

CompileOptions audit_options(bool log) {
  CompileOptions options;
  options.audit = true;
  if (log) options.log = LogLimit{1000, 1000};
  return options;
}

TEST_CASE("an audit program passes what its filter drops, malformed packets too, and counts them as would-drop") {
  require_root();
  Program program = load_or_fail(parse_or_fail("udp && dst_port == 53"), audit_options(false));
  Counters expected;
  const packet::Packet dns = udp_packet(53, 10);
  const packet::Packet other = udp_packet(123, 20);
  // A UDP header cut to 4 bytes: malformed (docs/filter-language.md §5.6), which enforcing drops.
  const packet::Packet short_udp = packet::PacketBuilder().ipv4().udp(1, 53).truncate(24).build();
  for (int i = 0; i < 3; ++i) {
    CHECK(passes(program, dns));
    expected.passed_packets += 1;
    expected.passed_bytes += dns.bytes.size();
  }
  for (const packet::Packet* dropped : {&other, &other, &short_udp}) {
    CHECK(passes(program, *dropped));
    expected.would_drop_packets += 1;
    expected.would_drop_bytes += dropped->bytes.size();
  }
  CHECK(counters_or_fail(program) == expected);

  auto metadata = read_metadata(program);
  REQUIRE(metadata.has_value());
  CHECK(metadata->audit);
  // The same filter enforcing says it is not in audit mode, and drops.
  Program enforcing = load_or_fail(parse_or_fail("udp && dst_port == 53"));
  CHECK_FALSE(read_metadata(enforcing)->audit);
  CHECK_FALSE(passes(enforcing, other));
}

TEST_CASE("an audit program without counters passes every packet all the same") {
  require_root();
  CompileOptions options = audit_options(false);
  options.counters = false;
  Program program = load_or_fail(parse_or_fail("0"), options);
  CHECK(passes(program, udp_packet(53, 10)));
  CHECK(passes(program, packet::PacketBuilder().ipv6().tcp(1, 2).build()));
}

TEST_CASE("an audit program's drop log records the would-drops, marked as audit, with the decider") {
  require_root();
  Program program = load_or_fail(parse_or_fail("tcp && dst_port == 22"), audit_options(true));
  REQUIRE(passes(program, packet::PacketBuilder().ipv4().udp(5000, 53).build()));
  REQUIRE(passes(program, packet::PacketBuilder().ipv4().tcp(40000, 22).build()));
  REQUIRE(passes(program, packet::PacketBuilder().ipv4().tcp(1, 22).truncate(30).build()));
  std::vector<DropRecord> records = drain(program);
  REQUIRE(records.size() == 2);
  CHECK(records[0].reason == DropReason::Filter);
  CHECK(records[0].audit);
  REQUIRE(records[0].decided_by.has_value());
  CHECK(records[0].decided_by->offset == 0);  // "tcp" decided
  CHECK(records[1].reason == DropReason::Malformed);
  CHECK(records[1].audit);

  // An enforcing program's records are not marked.
  CompileOptions enforcing_log;
  enforcing_log.log = LogLimit{1000, 1000};
  Program enforcing = load_or_fail(parse_or_fail("tcp && dst_port == 22"), enforcing_log);
  REQUIRE_FALSE(passes(enforcing, packet::PacketBuilder().ipv4().udp(5000, 53).build()));
  std::vector<DropRecord> enforced = drain(enforcing);
  REQUIRE(enforced.size() == 1);
  CHECK_FALSE(enforced[0].audit);
}

TEST_CASE("switching from audit to enforcing and back keeps the counters, would-drops apart from drops") {
  require_root();
  const Filter filter = parse_or_fail("udp && dst_port == 53");
  Program audit = load_or_fail(filter, audit_options(false));
  REQUIRE(passes(audit, udp_packet(123, 0)));
  REQUIRE(passes(audit, udp_packet(53, 0)));

  LoadOptions keep;
  keep.keep_counters_of = &audit;
  Program enforcing = load_or_fail(filter, {}, keep);
  REQUIRE_FALSE(passes(enforcing, udp_packet(123, 0)));
  Counters after = counters_or_fail(enforcing);
  CHECK(after.passed_packets == 1);
  CHECK(after.would_drop_packets == 1);
  CHECK(after.dropped_packets == 1);

  keep.keep_counters_of = &enforcing;
  Program audit_again = load_or_fail(filter, audit_options(false), keep);
  REQUIRE(passes(audit_again, udp_packet(123, 0)));
  Counters back = counters_or_fail(audit_again);
  CHECK(back.would_drop_packets == 2);
  CHECK(back.dropped_packets == 1);
  CHECK(back.passed_packets == 1);
}

}  // namespace
}  // namespace bpffw::test
