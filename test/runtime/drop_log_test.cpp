// The drop log in the kernel (issue 12): programs compiled with CompileOptions::log record each
// dropped packet in their ring buffer, read back with DropLog, within the token bucket's limit;
// passed packets leave nothing. BPF_PROG_TEST_RUN on loaded programs.
#include <unistd.h>

#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <optional>
#include <vector>

#include <doctest/doctest.h>

#include <bpffw/drop_log.hpp>

#include "packet/packet_spec.hpp"
#include "runtime/runtime_test_support.hpp"
#include "support/kernel_env.hpp"

namespace bpffw::test {
namespace {

CompileOptions logging(std::uint32_t rate, std::uint32_t burst) {
  CompileOptions options;
  options.log = LogLimit{rate, burst};
  return options;
}

LogCounters log_counters_or_fail(const Program& program) {
  auto counters = read_log_counters(program);
  REQUIRE_MESSAGE(counters.has_value(), (counters ? "" : counters.error().message));
  return *counters;
}

TEST_CASE("a logging program records each dropped packet with its addresses, ports and reason, no passed one") {
  require_root();
  Program program = load_or_fail(parse_or_fail("tcp && dst_port == 22"), logging(1000, 1000));
  for (std::uint16_t port = 1; port <= 3; ++port)
    REQUIRE_FALSE(passes(program, packet::PacketBuilder().ipv4().udp(5000 + port, 53).payload(port).build()));
  REQUIRE(passes(program, packet::PacketBuilder().ipv4().tcp(40000, 22).build()));
  // Malformed: a TCP header cut to 10 bytes (docs/filter-language.md §5.6).
  REQUIRE_FALSE(passes(program, packet::PacketBuilder().ipv4().tcp(1, 22).truncate(30).build()));
  REQUIRE_FALSE(passes(program, packet::PacketBuilder().ipv6().icmp(packet::IcmpFields{{}, 1, 4}).build()));

  std::vector<DropRecord> records = drain(program);
  REQUIRE(records.size() == 5);
  for (std::uint16_t port = 1; port <= 3; ++port) {
    const DropRecord& udp = records[port - 1];
    CHECK(udp.reason == DropReason::Filter);
    CHECK(udp.family == 4);
    CHECK(protocol_name(udp.protocol) == "udp");
    CHECK(udp.source == "10.0.0.1");
    CHECK(udp.destination == "10.0.0.2");
    CHECK(udp.source_port == 5000 + port);
    CHECK(udp.destination_port == 53);
    CHECK(udp.length == 28 + port);
    CHECK_FALSE(udp.icmp_type.has_value());
  }
  CHECK(records[0].time_ns <= records[1].time_ns);
  const DropRecord& cut = records[3];
  CHECK(cut.reason == DropReason::Malformed);
  CHECK(cut.family == 4);
  CHECK(cut.length == 30);
  CHECK_FALSE(cut.source_port.has_value());
  const DropRecord& icmp = records[4];
  CHECK(icmp.reason == DropReason::Filter);
  CHECK(icmp.family == 6);
  CHECK(protocol_name(icmp.protocol) == "icmpv6");
  CHECK(icmp.source == "fd00::1");
  CHECK(icmp.destination == "fd00::2");
  CHECK(icmp.icmp_type == 1);
  CHECK(icmp.icmp_code == 4);
  CHECK_FALSE(icmp.destination_port.has_value());
  CHECK(log_counters_or_fail(program) == LogCounters{5, 0, 0});
}

TEST_CASE("a malformed packet's record names the rule of §5.6 it broke") {
  require_root();
  struct Case {
    const char* packet;
    MalformedRule rule;
  };
  const Case cases[] = {
      {"ipv4 version=6 udp dport=123", MalformedRule::Ipv4Version},
      {"ipv4 ihl=3 tcp dport=22", MalformedRule::Ipv4Ihl},
      // IHL says more bytes than the packet has (BPF_PROG_TEST_RUN refuses IPv4 shorter than 20 bytes).
      {"ipv4 ihl=15 udp dport=123", MalformedRule::Ipv4Length},
      {"ipv4 ihl=8 dport=22 tcp len=30", MalformedRule::Ipv4Length},
      {"ipv6 version=4 udp dport=123", MalformedRule::Ipv6Version},
      // ipv6-length: BPF_PROG_TEST_RUN refuses IPv6 shorter than 40 bytes too.
      {"ipv6 hbh udp dport=53 cut=44", MalformedRule::ExtensionLength},
      {"ipv6 hbh hbh hbh hbh hbh hbh hbh hbh hbh udp dport=53", MalformedRule::ExtensionCount},
      {"ipv4 tcp dport=22 cut=30", MalformedRule::TransportLength},
      {"ipv6 udp dport=123 cut=47", MalformedRule::TransportLength},
      {"ipv4 icmp type=8 cut=22", MalformedRule::TransportLength},
  };
  // The filter's own parse reads no ICMP field; the log's second parse reads them all.
  Program program = load_or_fail(parse_or_fail("tcp && dst_port == 22"), logging(1000, 1000));
  for (const Case& c : cases) {
    INFO(std::string(c.packet));
    auto packet = packet::parse_packet_spec(c.packet);
    REQUIRE_MESSAGE(packet.has_value(), c.packet);
    REQUIRE_FALSE(passes(program, *packet));
  }
  std::vector<DropRecord> records = drain(program);
  REQUIRE(records.size() == std::size(cases));
  for (std::size_t i = 0; i < records.size(); ++i) {
    INFO(std::string(cases[i].packet));
    CHECK(records[i].reason == DropReason::Malformed);
    REQUIRE(records[i].rule.has_value());
    CHECK(to_string(*records[i].rule) == std::string(to_string(cases[i].rule)));
    CHECK_FALSE(records[i].source_port.has_value());
  }
  // A filter drop names no rule.
  REQUIRE_FALSE(passes(program, udp_packet(53, 0)));
  records = drain(program);
  REQUIRE(records.size() == 1);
  CHECK_FALSE(records[0].rule.has_value());
}

TEST_CASE("a filter that reads no variable logs its drops too, as the filter's") {
  require_root();
  Program program = load_or_fail(parse_or_fail("0"), logging(100, 100));
  REQUIRE_FALSE(passes(program, packet::PacketBuilder().ipv4().tcp(1234, 80).build()));
  std::vector<DropRecord> records = drain(program);
  REQUIRE(records.size() == 1);
  CHECK(records[0].reason == DropReason::Filter);
  CHECK(records[0].source_port == 1234);
  CHECK(records[0].destination_port == 80);
}

TEST_CASE("over the rate limit drops are suppressed and counted: every drop is logged or suppressed") {
  require_root();
  // 1 a second, 5 at once: a burst of 200 drops within a second logs 5 (6 if a second passes).
  Program program = load_or_fail(parse_or_fail("udp && dst_port == 53"), logging(1, 5));
  packet::Packet ntp = udp_packet(123, 0);
  auto run = program.test_run(ntp.ethernet_frame(), 200);
  REQUIRE(run.has_value());
  LogCounters counters = log_counters_or_fail(program);
  CHECK(counters.logged >= 5);
  CHECK(counters.logged <= 6);
  CHECK(counters.logged + counters.suppressed == 200);
  CHECK(counters.lost == 0);
  CHECK(drain(program).size() == counters.logged);
}

TEST_CASE("records that find the ring full are counted as lost") {
  require_root();
  // More drops than the ring (layout::kLogRingBytes, some 5,000 records) holds.
  Program program = load_or_fail(parse_or_fail("0"), logging(1'000'000'000, 10'000));
  auto run = program.test_run(udp_packet(123, 0).ethernet_frame(), 10'000);
  REQUIRE(run.has_value());
  LogCounters counters = log_counters_or_fail(program);
  CHECK(counters.lost > 0);
  CHECK(counters.logged + counters.lost + counters.suppressed == 10'000);
  CHECK(drain(program).size() == counters.logged);
}

TEST_CASE("the log's limit is in the metadata, a program without the log has none and says so") {
  require_root();
  Program logs = load_or_fail(parse_or_fail("tcp"), logging(7, 9));
  auto metadata = read_metadata(logs);
  REQUIRE(metadata.has_value());
  REQUIRE(metadata->log.has_value());
  CHECK(*metadata->log == LogLimit{7, 9});
  CHECK(metadata->expression == "tcp");

  Program quiet = load_or_fail(parse_or_fail("tcp"));
  auto quiet_metadata = read_metadata(quiet);
  REQUIRE(quiet_metadata.has_value());
  CHECK_FALSE(quiet_metadata->log.has_value());
  auto counters = read_log_counters(quiet);
  REQUIRE_FALSE(counters.has_value());
  CHECK(counters.error().kind == ErrorKind::Usage);
  auto log = DropLog::open(quiet, [](const DropRecord&) {});
  REQUIRE_FALSE(log.has_value());
  CHECK(log.error().message.find("--log") != std::string::npos);
}

TEST_CASE("a program loaded with keep_counters_of continues the old one's log counters and ring") {
  require_root();
  Program old_program = load_or_fail(parse_or_fail("0"), logging(1, 2));
  REQUIRE(old_program.test_run(udp_packet(1, 0).ethernet_frame(), 10).has_value());
  LoadOptions keep;
  keep.keep_counters_of = &old_program;
  Program new_program = load_or_fail(parse_or_fail("tcp"), logging(1000, 1000), keep);
  CHECK(log_counters_or_fail(new_program) == log_counters_or_fail(old_program));
  REQUIRE_FALSE(passes(new_program, udp_packet(2, 0)));
  LogCounters counters = log_counters_or_fail(new_program);
  CHECK(counters.logged + counters.suppressed == 11);
  // One ring: the old program's two records and the new one's.
  CHECK(drain(old_program).size() == counters.logged);
}

// A scratch directory for SharedDropLog's lock and sockets, removed at the end.
struct ScratchRunDirectory {
  std::string path = "/tmp/bpffw-test-shared-log-" + std::to_string(::getpid());
  ~ScratchRunDirectory() { std::filesystem::remove_all(path); }
};

TEST_CASE("a shared drop log: two readers each see every record and the follower leads when the leader goes") {
  require_root();
  ScratchRunDirectory run;
  SharedLogOptions options;
  options.directory = run.path;
  Program program = load_or_fail(parse_or_fail("0"), logging(1'000'000, 1'000'000));
  std::vector<DropRecord> first_seen, second_seen;
  auto opened = SharedDropLog::open(program, [&](const DropRecord& r) { first_seen.push_back(r); }, options);
  REQUIRE_MESSAGE(opened.has_value(), (opened ? "" : opened.error().message));
  std::optional<SharedDropLog> first(std::move(*opened));
  auto second = SharedDropLog::open(program, [&](const DropRecord& r) { second_seen.push_back(r); }, options);
  REQUIRE_MESSAGE(second.has_value(), (second ? "" : second.error().message));
  CHECK(first->leading());
  CHECK_FALSE(second->leading());
  CHECK(first->ring_id() == second->ring_id());
  const std::string directory = run.path + "/ring-" + std::to_string(first->ring_id());
  CHECK(std::filesystem::exists(directory + "/lock"));

  // One thread reads for both: a few drops at a time, fewer than a socket queues (net.unix.max_dgram_qlen,
  // 10 by default), else the leader would wait for a follower that cannot read meanwhile.
  for (int round = 0; round < 100; ++round) {
    REQUIRE(program.test_run(udp_packet(53, 0).ethernet_frame(), 5).has_value());
    REQUIRE(first->poll(0).has_value());
    REQUIRE(second->poll(0).has_value());
  }
  CHECK(first_seen.size() == 500);
  CHECK(second_seen.size() == 500);
  CHECK(first_seen.front().time_ns == second_seen.front().time_ns);
  CHECK(first_seen.back().time_ns == second_seen.back().time_ns);
  // The wall clock of a record just made is now, give or take a second.
  CHECK(std::abs(second_seen.back().realtime_ns - static_cast<std::int64_t>(std::time(nullptr)) * 1'000'000'000) <
        2'000'000'000);

  // The leader leaves; the follower's next poll takes the ring over where it was left.
  first.reset();
  REQUIRE(program.test_run(udp_packet(54, 0).ethernet_frame(), 300).has_value());  // in the ring meanwhile
  REQUIRE(second->poll(0).has_value());
  CHECK(second->leading());
  REQUIRE(second->poll(0).has_value());
  CHECK(second_seen.size() == 800);
  CHECK(log_counters_or_fail(program).logged == 800);
  CHECK(second->undelivered() == 0);
}

}  // namespace
}  // namespace bpffw::test
