// Compiled programs in the real kernel: they load, and BPF_PROG_TEST_RUN gives the verdicts of
// docs/filter-language.md §5 for the main packet shapes (the full table is test/kernel's job).
#include <doctest/doctest.h>

#include <string>

#include <bpffw/bpffw.hpp>

#include "packet/packet_builder.hpp"
#include "support/kernel_env.hpp"

namespace {

using bpffw::packet::PacketBuilder;

constexpr const char* kF1 = "icmp || (udp && dst_port == 53) || (tcp && dst_port == 80)";

bpffw::Program load(const std::string& text, unsigned level = 2) {
  bpffw::test::require_root();
  auto filter = bpffw::Filter::parse(text);
  REQUIRE_MESSAGE(filter, text << ": " << (filter ? "" : filter.error().message));
  auto object = bpffw::compile(*filter, {.optimization_level = level});
  REQUIRE_MESSAGE(object, text << ": " << (object ? "" : object.error().message));
  auto program = bpffw::Program::load(*object);
  REQUIRE_MESSAGE(program,
                  text << ": " << (program ? "" : program.error().message + "\n" + program.error().verifier_log));
  return std::move(*program);
}

bool passes(const bpffw::Program& program, const bpffw::packet::Packet& packet) {
  auto run = program.test_run(packet.ethernet_frame());
  REQUIRE_MESSAGE(run, run.error().message);
  return run->verdict == 1;
}

PacketBuilder ipv6_with_options(int count) {
  PacketBuilder builder;
  builder.ipv6();
  for (int i = 0; i < count; ++i) builder.destination_options();
  return builder;
}

}  // namespace

TEST_CASE("F1 passes ICMP, DNS over UDP and HTTP over TCP, and drops the rest, on IPv4 and IPv6") {
  for (unsigned level : {0u, 2u}) {
    CAPTURE(level);
    bpffw::Program f1 = load(kF1, level);
    CHECK(passes(f1, PacketBuilder().ipv4().icmp().build()));
    CHECK(passes(f1, PacketBuilder().ipv6().icmp().build()));
    CHECK(passes(f1, PacketBuilder().ipv4().udp(1000, 53).build()));
    CHECK_FALSE(passes(f1, PacketBuilder().ipv4().udp(1000, 54).build()));
    CHECK(passes(f1, PacketBuilder().ipv6().udp(1000, 53).build()));
    CHECK(passes(f1, PacketBuilder().ipv4().tcp(1000, 80).build()));
    CHECK_FALSE(passes(f1, PacketBuilder().ipv4().tcp(1000, 53).build()));
    CHECK(passes(f1, PacketBuilder().ipv6().tcp(1000, 80).build()));
    CHECK_FALSE(passes(f1, PacketBuilder().ipv6().tcp(80, 81).build()));
    // An empty UDP datagram is 8 bytes of header: enough (the seed wanted 20).
    CHECK(passes(f1, PacketBuilder().ipv4().udp(1000, 53).build()));
    CHECK_FALSE(passes(f1, PacketBuilder().ipv4().udp(1000, 53).truncate(20 + 7).build()));
    CHECK_FALSE(passes(f1, PacketBuilder().ipv4().tcp(1000, 80).truncate(20 + 19).build()));
  }
}

TEST_CASE("IPv6 extension headers: real lengths, at most 8, fragments") {
  bpffw::Program dns_only = load("!udp || dst_port == 53");
  // Hop-by-Hop of 16 bytes, then a first fragment: the UDP header behind them is read.
  CHECK_FALSE(passes(dns_only, PacketBuilder().ipv6().hop_by_hop(1).fragment().udp(1, 123).build()));
  CHECK(passes(dns_only, PacketBuilder().ipv6().hop_by_hop(1).fragment().udp(1, 53).build()));
  CHECK(passes(dns_only, PacketBuilder().ipv6().authentication(4).udp(1, 53).build()));
  CHECK_FALSE(passes(dns_only, PacketBuilder().ipv6().authentication(4).udp(1, 54).build()));
  CHECK(passes(dns_only, ipv6_with_options(8).udp(1, 53).build()));
  CHECK_FALSE(passes(dns_only, ipv6_with_options(8).udp(1, 54).build()));
  CHECK_FALSE(passes(dns_only, ipv6_with_options(9).udp(1, 53).build()));  // malformed
  // A header running past the end is malformed.
  CHECK_FALSE(passes(dns_only, PacketBuilder().ipv6().hop_by_hop(3).udp(1, 53).truncate(40 + 20).build()));

  bpffw::Program port_zero = load("udp && dst_port == 0");
  CHECK(passes(port_zero, PacketBuilder().ipv6().fragment(3).udp(1, 123).build()));  // non-first
  CHECK_FALSE(passes(port_zero, PacketBuilder().ipv6().fragment(0, true).udp(1, 123).build()));
}

TEST_CASE("IPv4: IHL, fragments and options") {
  bpffw::Program port_zero = load("udp && dst_port == 0");
  CHECK(passes(port_zero, PacketBuilder().ipv4({.fragment_offset = 5}).udp(1, 123).build()));
  CHECK_FALSE(passes(port_zero, PacketBuilder().ipv4({.more_fragments = true}).udp(1, 123).build()));
  bpffw::Program dns = load("dst_port == 53");
  CHECK(passes(dns, PacketBuilder().ipv4({.options = {1, 1, 1, 1}}).udp(1, 53).build()));
  CHECK_FALSE(passes(dns, PacketBuilder().ipv4({.ihl = 4}).udp(1, 53).build()));
  CHECK_FALSE(passes(dns, PacketBuilder().ipv4({.ihl = 15}).udp(1, 53).build()));
}

TEST_CASE("malformed packets are dropped only when the filter reads a variable") {
  const auto malformed = PacketBuilder().ipv4({.ihl = 4}).udp(1, 53).build();
  CHECK(passes(load("1"), malformed));
  CHECK(passes(load("2 > 1"), malformed));
  CHECK_FALSE(passes(load("len > 0"), malformed));
  CHECK(passes(load("len > 0"), PacketBuilder().ipv4().udp(1, 53).build()));
  // Not IP: every variable but len is 0, and the filter runs normally.
  const auto arp = PacketBuilder().ipv4().udp(1, 53).ethertype(bpffw::packet::kEthertypeArp).build();
  CHECK(passes(load("!ip && !ipv6 && !udp && dst_port == 0 && len > 20"), arp));
}

TEST_CASE("division, remainder and shifts follow docs/filter-language.md §6.1 at run time") {
  // len - L is 0 for a packet of L bytes, and unknown to the compiler: no constant folding.
  const auto packet = PacketBuilder().ipv4().udp(1, 53).total_size(100).build();
  const std::string zero = "(len - 100)";
  for (const std::string& text : {
           "(" + zero + " + 7) / (" + zero + " - 2) == -3",
           "(" + zero + " - 7) % (" + zero + " + 2) == -1",
           "(" + zero + " + 5) / " + zero + " == 0",
           "(" + zero + " + 5) % " + zero + " == 5",
           "(" + zero + " - 9223372036854775807 - 1) / (" + zero + " - 1) == -9223372036854775807 - 1",
           "(" + zero + " - 9223372036854775807 - 1) % (" + zero + " - 1) == 0",
           "(" + zero + " + 1) << (" + zero + " + 64) == 1",
           "(" + zero + " - 8) >> (" + zero + " + 1) == -4",
           "(" + zero + " - 1) >> (" + zero + " + 127) == -1",
           "(" + zero + " + 9223372036854775807) + 1 == -9223372036854775807 - 1",
       }) {
    CAPTURE(text);
    CHECK(passes(load(text), packet));
  }
}
