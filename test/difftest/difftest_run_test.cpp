// The difftest engine and the bpffw-difftest tool in the kernel: 0 mismatches on a fixed seed, the
// documented last line and exit statuses, and a planted disagreement caught and shrunk; --flows on
// real sockets.
#include <doctest/doctest.h>
#include <unistd.h>

#include <regex>
#include <string>

#include <bpffw/cgroup.hpp>

#include "cli/run_process.hpp"
#include "difftest.hpp"
#include "flows.hpp"
#include "judge.hpp"
#include "packet/packet_spec.hpp"
#include "shrink.hpp"
#include "support/kernel_env.hpp"

using bpffw::Result;
namespace difftest = bpffw::difftest;

namespace {

std::string last_line(const std::string& text) {
  std::string trimmed = text.substr(0, text.find_last_not_of('\n') + 1);
  return trimmed.substr(trimmed.rfind('\n') + 1);
}

}  // namespace

TEST_CASE("the engine: 2,000 pairs with a fixed seed, 0 mismatches, both verdicts common") {
  bpffw::test::require_root();
  difftest::DifftestOptions options;
  options.pairs = 2000;
  options.seed = 42;
  options.packets_per_filter = 50;
  std::string output;
  Result<difftest::DifftestStats> stats =
      difftest::run_difftest(options, [&](const std::string& line) { output += line + "\n"; });
  REQUIRE_MESSAGE(stats.has_value(), stats.error().message);
  CHECK_MESSAGE(stats->mismatches == 0, output);
  CHECK(stats->pairs == 2000);
  CHECK(stats->filters == 40);
  CHECK(stats->passes > stats->pairs / 10);
  CHECK(stats->passes < stats->pairs * 9 / 10);
}

TEST_CASE("the engine with --sets: random named sets changed while judging, 0 mismatches") {
  bpffw::test::require_root();
  difftest::DifftestOptions options;
  options.pairs = 5000;
  options.seed = 16;
  options.packets_per_filter = 50;
  options.sets = true;
  options.change_every = 5;
  std::string output;
  Result<difftest::DifftestStats> stats =
      difftest::run_difftest(options, [&](const std::string& line) { output += line + "\n"; });
  REQUIRE_MESSAGE(stats.has_value(), stats.error().message);
  CHECK_MESSAGE(stats->mismatches == 0, output);
  CHECK(stats->set_mismatches == 0);
  CHECK(stats->set_changes == 100 * 9);  // every 5th of 50 packets, after the first
  CHECK(stats->passes > stats->pairs / 10);
  CHECK(stats->passes < stats->pairs * 9 / 10);
}

TEST_CASE("a planted disagreement is caught and shrunk to a bpffwc test reproduction") {
  // The kernel runs `dst_port < 53` where the interpreter is asked about `dst_port <= 53`: the
  // same shape as a flipped comparison in the code generator.
  bpffw::test::require_root();
  Result<difftest::LoadedFilter> kernel_side = difftest::load_filter("tcp || dst_port < 53 && len > 20");
  REQUIRE(kernel_side.has_value());
  Result<bpffw::packet::Packet> dns = bpffw::packet::parse_packet_spec("ipv4 udp sport=7 dport=53 payload=12");
  REQUIRE(dns.has_value());
  Result<bpffw::Filter> spec_side = bpffw::Filter::parse("tcp || dst_port <= 53 && len > 20");
  REQUIRE(spec_side.has_value());
  auto disagree = [&](const bpffw::packet::Packet& candidate) -> Result<bool> {
    Result<difftest::Verdicts> kernel = difftest::judge(*kernel_side, candidate);
    if (!kernel) return tl::unexpected(kernel.error());
    return kernel->kernel != bpffw::interpret(*spec_side, candidate.skb_protocol(), candidate.bytes).pass;
  };
  REQUIRE(*disagree(*dns));
  Result<bpffw::packet::Packet> small = difftest::shrink_packet(*dns, disagree);
  REQUIRE(small.has_value());
  CHECK(small->bytes.size() == 28);  // IPv4 and UDP headers; only the protocol and the port not zero
  CHECK(*disagree(*small));
  std::string command = difftest::reproduction_command("dst_port < 53", *small);
  CHECK(command ==
        "bpffwc test 'dst_port < 53' --packet 'ethertype=0x0800 hex:"
        "45000000000000000011000000000000000000000000003500000000'");
  // ... and the printed packet parses back into the same bytes.
  std::string spec = command.substr(command.find("ethertype="));
  spec.pop_back();
  Result<bpffw::packet::Packet> again = bpffw::packet::parse_packet_spec(spec);
  REQUIRE(again.has_value());
  CHECK(again->bytes == small->bytes);
}

TEST_CASE("bpffw-difftest: last line 'N pairs, M mismatches', exit status 0") {
  bpffw::test::require_root();
  bpffw::test::ProcessResult result =
      bpffw::test::run_process(BPFFW_DIFFTEST_PATH, {"--pairs", "500", "--seed", "3", "-k", "100"});
  CHECK(result.exit_code == 0);
  CHECK(result.err.empty());
  CHECK(last_line(result.out) == "500 pairs, 0 mismatches");
  CHECK(result.out.find("seed 3") != std::string::npos);
}

TEST_CASE("--flows: 1,000 pairs with a fixed seed, 0 mismatches and violations, refusals common, no cgroup left") {
  bpffw::test::require_root();
  difftest::FlowsOptions options;
  options.pairs = 1000;
  options.seed = 42;
  std::string output;
  Result<difftest::FlowsStats> stats =
      difftest::run_flows(options, [&](const std::string& line) { output += line + "\n"; });
  REQUIRE_MESSAGE(stats.has_value(), stats.error().message);
  CHECK_MESSAGE(stats->mismatches == 0, output);
  CHECK_MESSAGE(stats->violations == 0, output);
  CHECK(stats->pairs >= 1000);
  CHECK(stats->decisive());
  CHECK(stats->refusals < stats->flows);
  CHECK(stats->bindings > 0);
  CHECK(stats->binding_refusals > 0);
  CHECK(stats->binding_refusals < stats->bindings);
  Result<std::string> mount = bpffw::find_cgroup2_mount();
  REQUIRE(mount.has_value());
  const std::string scratch = *mount + "/bpffw-difftest-flows-" + std::to_string(::getpid());
  CHECK(::access(scratch.c_str(), F_OK) != 0);
}

TEST_CASE("bpffw-difftest --flows: last line 'N pairs, F flows, R refusals, M mismatches, V violations', exit 0") {
  bpffw::test::require_root();
  bpffw::test::ProcessResult result =
      bpffw::test::run_process(BPFFW_DIFFTEST_PATH, {"--flows", "--pairs", "300", "--seed", "3"});
  CHECK(result.exit_code == 0);
  CHECK(result.err.empty());
  const std::regex last(R"([0-9]+ pairs, [0-9]+ flows, [0-9]+ refusals, 0 mismatches, 0 violations)");
  CHECK_MESSAGE(std::regex_match(last_line(result.out), last), result.out);
}

TEST_CASE("bpffw-difftest: usage errors exit 2, a missing privilege exits 3") {
  bpffw::test::ProcessResult bad = bpffw::test::run_process(BPFFW_DIFFTEST_PATH, {"--pairs", "many"});
  CHECK(bad.exit_code == 2);
  CHECK(bad.err.find("--pairs") != std::string::npos);
  bpffw::test::ProcessResult unknown = bpffw::test::run_process(BPFFW_DIFFTEST_PATH, {"--frobnicate"});
  CHECK(unknown.exit_code == 2);
  bpffw::test::ProcessResult help = bpffw::test::run_process(BPFFW_DIFFTEST_PATH, {"--help"});
  CHECK(help.exit_code == 0);
  CHECK(help.out.find("--packets-per-filter") != std::string::npos);

  bpffw::test::ProcessOptions nobody;
  nobody.as_nobody = true;
  bpffw::test::ProcessResult unprivileged = bpffw::test::run_process(BPFFW_DIFFTEST_PATH, {"--pairs", "10"}, nobody);
  CHECK(unprivileged.exit_code == 3);
  CHECK(unprivileged.err.find("bpffw-difftest: error: ") == 0);
  CHECK(bpffw::test::run_process(BPFFW_DIFFTEST_PATH, {"--flows", "--sets"}).exit_code == 2);
  bpffw::test::ProcessResult flows =
      bpffw::test::run_process(BPFFW_DIFFTEST_PATH, {"--flows", "--pairs", "10"}, nobody);
  CHECK(flows.exit_code == 3);
  CHECK(flows.err.find("bpffw-difftest: error: ") == 0);
}

TEST_CASE("a reproduction of a directional filter carries its -t, and bpffwc test takes it") {
  bpffw::test::require_root();
  Result<bpffw::packet::Packet> packet = bpffw::packet::parse_packet_spec("ipv4 tcp sport=7 dport=80");
  REQUIRE(packet.has_value());
  for (bpffw::Direction direction : {bpffw::Direction::Ingress, bpffw::Direction::Egress}) {
    std::string command = difftest::reproduction_command("local_port == 80", *packet, direction);
    CHECK(command.rfind(std::string("bpffwc test -t ") + bpffw::to_string(direction) +
                            " 'local_port == 80' --packet 'ethertype=0x0800 hex:",
                        0) == 0);
    std::string spec = command.substr(command.find("ethertype="));
    spec.pop_back();
    bpffw::test::ProcessResult run =
        bpffw::test::run_bpffwc({"test", "-t", bpffw::to_string(direction), "local_port == 80", "-p", spec});
    CHECK(run.exit_code == 0);
    CHECK(run.out.rfind(direction == bpffw::Direction::Ingress ? "pass" : "drop", 0) == 0);
  }
  CHECK(difftest::direction_word(std::nullopt) == std::string("none"));
  CHECK(difftest::reproduction_command("tcp", *packet).rfind("bpffwc test 'tcp' --packet", 0) == 0);
}
