// Random filters over every operator and variable, on random packets of every shape of §5: the
// kernel's verdict must equal the reference interpreter's. Fixed seeds, so a failure reproduces.
#include <doctest/doctest.h>

#include <bpffw/bpffw.hpp>

#include "difftest.hpp"
#include "judge.hpp"
#include "packet/packet_spec.hpp"
#include "random/random_filter.hpp"
#include "support/helper_only_parsers.hpp"
#include "support/kernel_env.hpp"

namespace {

// Runs `filters` random filters, each on `packets_per_filter` random packets, with bpffw-difftest's
// engine (one compiled program serves many packets: compiling and verifying costs far more than a
// test run). Its report lines (mismatches, shrunk) become test failures.
bpffw::difftest::DifftestStats run_differential(std::uint64_t seed, unsigned filters, unsigned packets_per_filter,
                                                const bpffw::random::RandomFilterOptions& options = {},
                                                const bpffw::codegen::PacketParserBytes* parsers = nullptr) {
  bpffw::difftest::DifftestOptions run;
  run.seed = seed;
  run.pairs = std::uint64_t{filters} * packets_per_filter;
  run.packets_per_filter = packets_per_filter;
  run.max_reports = 10;
  run.filter_options = options;
  run.packet_parsers = parsers;
  auto stats = bpffw::difftest::run_difftest(run, [](const std::string& line) { FAIL_CHECK(line); });
  REQUIRE_MESSAGE(stats.has_value(), (stats ? "" : stats.error().message));
  return *stats;
}

}  // namespace

TEST_CASE("differential: random filters x random packets, the kernel agrees with the interpreter") {
  auto stats = run_differential(20261128, 300, 30);
  MESSAGE(stats.pairs << " pairs, " << stats.mismatches << " mismatches, " << stats.passes << " passed, in "
                      << stats.seconds << " s");
  CHECK(stats.pairs >= 9000);
  CHECK(stats.mismatches == 0);
  // Both verdicts must be common, or the comparison says little.
  CHECK(stats.passes > stats.pairs / 10);
  CHECK(stats.passes < stats.pairs * 9 / 10);
}

TEST_CASE("differential: large and deep random filters") {
  bpffw::random::RandomFilterOptions big;
  big.max_depth = 10;
  big.max_width = 8;
  big.max_nodes = 300;
  big.max_spine = 150;
  auto stats = run_differential(7, 20, 30, big);
  CHECK(stats.pairs == 600);
  CHECK(stats.mismatches == 0);
}

TEST_CASE("differential: the packet parser's bpf_skb_load_bytes way, for headers outside the linear data") {
  // BPF_PROG_TEST_RUN gives every program a linear packet, so the packet parser always copies headers
  // in place there. This runs its other way, taken by real traffic whose headers lie in
  // fragments, on its own.
  auto f1 = bpffw::Filter::parse("icmp || (udp && dst_port == 53) || (tcp && dst_port == 80)");
  REQUIRE(f1.has_value());
  auto in_place = bpffw::difftest::load_filter(f1->source());
  auto with_helper = bpffw::difftest::load_filter(f1->source(), {{}, &bpffw::test::helper_only_packet_parsers()});
  REQUIRE(in_place.has_value());
  REQUIRE(with_helper.has_value());
  auto in_place_info = in_place->program.info();
  auto with_helper_info = with_helper->program.info();
  REQUIRE(in_place_info.has_value());
  REQUIRE(with_helper_info.has_value());
  CHECK(with_helper_info->xlated_bytes < in_place_info->xlated_bytes);  // the helper-only packet parser took effect

  auto stats = run_differential(20261201, 150, 30, {}, &bpffw::test::helper_only_packet_parsers());
  MESSAGE(stats.pairs << " pairs, " << stats.mismatches << " mismatches");
  CHECK(stats.pairs >= 4500);
  CHECK(stats.mismatches == 0);
  CHECK(stats.passes > stats.pairs / 10);
  CHECK(stats.passes < stats.pairs * 9 / 10);
}

TEST_CASE("a pinned program, opened again, judges like the loaded one") {
  bpffw::test::ScopedPinDir pins;
  const std::string text = "icmp || (udp && dst_port == 53) || (tcp && dst_port == 80)";
  bpffw::Result<bpffw::Filter> filter = bpffw::Filter::parse(text);
  REQUIRE(filter.has_value());
  bpffw::Result<bpffw::ObjectFile> object = bpffw::compile(*filter);
  REQUIRE(object.has_value());
  bpffw::Result<bpffw::Program> program = bpffw::Program::load(*object);
  REQUIRE(program.has_value());
  REQUIRE(program->pin(pins.file("f1")).has_value());
  bpffw::Result<bpffw::Program> reopened = bpffw::Program::open_pinned(pins.file("f1"));
  REQUIRE(reopened.has_value());
  for (const char* spec :
       {"ipv4 udp dport=53", "ipv4 udp dport=54", "ipv6 tcp dport=80", "ipv6 icmp", "ipv4 tcp dport=22"}) {
    bpffw::Result<bpffw::packet::Packet> packet = bpffw::packet::parse_packet_spec(spec);
    REQUIRE(packet.has_value());
    std::vector<unsigned char> frame = packet->ethernet_frame();
    bpffw::Result<bpffw::TestRunResult> run = reopened->test_run(frame);
    REQUIRE(run.has_value());
    bool expected = bpffw::interpret(*filter, packet->skb_protocol(), packet->bytes).pass;
    CHECK_MESSAGE((run->verdict == 1) == expected, spec);
  }
}
