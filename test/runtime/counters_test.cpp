// Counters: every program counts passed and dropped packets and bytes per CPU; read_counters sums
// them; a program loaded with keep_counters_of continues the old totals; --no-counters has none.
#include <doctest/doctest.h>

#include "runtime/runtime_test_support.hpp"
#include "support/kernel_env.hpp"

namespace bpffw::test {
namespace {

TEST_CASE("counters count exactly the packets and bytes of BPF_PROG_TEST_RUN, passed and dropped apart") {
  require_root();
  Program program = load_or_fail(parse_or_fail("udp && dst_port == 53"));
  CHECK(counters_or_fail(program) == Counters{});

  Counters expected;
  for (std::size_t i = 0; i < 7; ++i) {
    packet::Packet dns = udp_packet(53, 10 + i);
    REQUIRE(passes(program, dns));
    expected.passed_packets += 1;
    expected.passed_bytes += dns.bytes.size();
  }
  for (std::size_t i = 0; i < 5; ++i) {
    packet::Packet other = udp_packet(123, 100 + i);
    REQUIRE_FALSE(passes(program, other));
    expected.dropped_packets += 1;
    expected.dropped_bytes += other.bytes.size();
  }
  CHECK(counters_or_fail(program) == expected);
}

TEST_CASE("a repeated test run counts every repetition") {
  require_root();
  Program program = load_or_fail(parse_or_fail("tcp"));
  packet::Packet syn = packet::PacketBuilder().ipv4().tcp(1000, 80).build();
  auto run = program.test_run(syn.ethernet_frame(), 1000);
  REQUIRE(run.has_value());
  Counters counters = counters_or_fail(program);
  CHECK(counters.passed_packets == 1000);
  CHECK(counters.passed_bytes == 1000 * syn.bytes.size());
  CHECK(counters.dropped_packets == 0);
}

TEST_CASE("malformed and constant-verdict packets are counted too") {
  require_root();
  Program constant = load_or_fail(parse_or_fail("0"));
  REQUIRE_FALSE(passes(constant, udp_packet(53, 0)));
  CHECK(counters_or_fail(constant).dropped_packets == 1);

  // A UDP header cut to 4 bytes: malformed, dropped before the expression (docs/filter-language.md §5.6).
  Program reads = load_or_fail(parse_or_fail("1 || udp"));
  packet::Packet short_udp = packet::PacketBuilder().ipv4().udp(1, 53).truncate(24).build();
  REQUIRE_FALSE(passes(reads, short_udp));
  CHECK(counters_or_fail(reads).dropped_packets == 1);
  CHECK(counters_or_fail(reads).dropped_bytes == 24);
}

TEST_CASE("a program loaded with keep_counters_of continues the old program's counters") {
  require_root();
  Program old_program = load_or_fail(parse_or_fail("udp"));
  for (int i = 0; i < 3; ++i) REQUIRE(passes(old_program, udp_packet(53, 20)));
  REQUIRE_FALSE(passes(old_program, packet::PacketBuilder().ipv4().tcp(1, 2).build()));
  Counters before = counters_or_fail(old_program);
  REQUIRE(before.passed_packets == 3);

  LoadOptions keep;
  keep.keep_counters_of = &old_program;
  Program new_program = load_or_fail(parse_or_fail("tcp"), {}, keep);
  CHECK(counters_or_fail(new_program) == before);
  REQUIRE(passes(new_program, packet::PacketBuilder().ipv4().tcp(1, 2).build()));
  Counters after = counters_or_fail(new_program);
  CHECK(after.passed_packets == 4);
  CHECK(after.dropped_packets == 1);
  // One map, shared: the old program sees the same totals.
  CHECK(counters_or_fail(old_program) == after);

  // Without keep_counters_of a new program starts from zero.
  Program fresh = load_or_fail(parse_or_fail("tcp"));
  CHECK(counters_or_fail(fresh) == Counters{});
}

TEST_CASE("a program compiled without counters has none, says so, and still filters") {
  require_root();
  CompileOptions options;
  options.counters = false;
  Program program = load_or_fail(parse_or_fail("udp"), options);
  CHECK(passes(program, udp_packet(53, 1)));
  auto counters = read_counters(program);
  REQUIRE_FALSE(counters.has_value());
  CHECK(counters.error().kind == ErrorKind::Usage);
  CHECK(counters.error().message.find("--no-counters") != std::string::npos);
  auto metadata = read_metadata(program);
  REQUIRE(metadata.has_value());
  CHECK_FALSE(metadata->counters);

  // keep_counters_of between a counting and a non-counting program is a no-op, not an error.
  Program counting = load_or_fail(parse_or_fail("udp"));
  LoadOptions keep;
  keep.keep_counters_of = &program;
  Program next = load_or_fail(parse_or_fail("udp"), {}, keep);
  CHECK(counters_or_fail(next) == Counters{});
  keep.keep_counters_of = &counting;
  load_or_fail(parse_or_fail("udp"), options, keep);
}

TEST_CASE("metadata: version, counters, parameters and the expression, recovered from the program alone") {
  require_root();
  ParseOptions options;
  options.parameters = {{"mtu", 1500}, {"limit", -7}};
  std::string text = "len <= mtu &&\n  len > limit";
  Program program = load_or_fail(parse_or_fail(text, options));
  auto metadata = read_metadata(program);
  REQUIRE(metadata.has_value());
  CHECK(metadata->bpffw_version == kVersion);
  CHECK(metadata->counters);
  CHECK(metadata->parameter_names == std::vector<std::string>{"mtu", "limit"});
  CHECK(metadata->expression == text);

  auto recovered = recover_filter(program);
  REQUIRE(recovered.has_value());
  CHECK(recovered->source() == text);
  CHECK(recovered->parameters() == options.parameters);
}

}  // namespace
}  // namespace bpffw::test
