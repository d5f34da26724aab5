// Rule lists (docs/filter-language.md §7.4) in the kernel: random lists of 10 to 10,000 terms
// (protocols, ports, prefixes of both families and any length) load on every kernel, the verifier
// checks about as many instructions for 10,000 terms as for 100, and the verdicts are the
// interpreter's on packets aimed at the terms. The issue's own shape, 600 terms, which older
// verifiers refused as a chain, loads everywhere.
#include <doctest/doctest.h>

#include <string>

#include <bpffw/bpffw.hpp>

#include "packet/packet_builder.hpp"
#include "random/random_packet.hpp"
#include "random/random_rules.hpp"
#include "support/kernel_env.hpp"

namespace {

struct Loaded {
  bpffw::Filter filter;
  bpffw::Program program;
};

Loaded load(const std::string& text, const bpffw::CompileOptions& options = {}) {
  bpffw::test::require_root();
  auto filter = bpffw::Filter::parse(text);
  REQUIRE_MESSAGE(filter, filter.error().message);
  auto object = bpffw::compile(*filter, options);
  REQUIRE_MESSAGE(object, object.error().message);
  auto program = bpffw::Program::load(*object);
  REQUIRE_MESSAGE(program, program.error().message << "\n" << program.error().hint);
  return {std::move(*filter), std::move(*program)};
}

bool kernel_passes(const bpffw::Program& program, const bpffw::packet::Packet& packet) {
  auto run = program.test_run(packet.ethernet_frame());
  REQUIRE_MESSAGE(run, run.error().message);
  return run->verdict == 1;
}

bool interpreter_passes(const bpffw::Filter& filter, const bpffw::packet::Packet& packet) {
  return bpffw::interpret(filter, packet.skb_protocol(), packet.bytes, packet.packet_socket()).pass;
}

std::uint32_t verified(const bpffw::Program& program) {
  auto info = program.info();
  REQUIRE(info);
  return info->verified_instructions.value_or(0);  // 0: a kernel before 5.16 does not say
}

}  // namespace

TEST_CASE("random rule lists of 10 to 10,000 terms load, cost the verifier little, and judge as the interpreter") {
  std::uint32_t verified_at_100 = 0;
  for (unsigned terms : {10u, 100u, 1000u, 10000u}) {
    CAPTURE(terms);
    bpffw::random::Rng rng(20261206 + terms);
    bpffw::random::RandomRuleList list = bpffw::random::random_rule_list(rng, terms);
    Loaded loaded = load(list.text);
    const std::uint32_t checked = verified(loaded.program);
    MESSAGE(terms << " terms: the verifier checked " << checked << " instructions");
    if (terms == 100) verified_at_100 = checked;
    // Linear in the shapes, not the terms: far below the limit, and 10,000 terms about as 100.
    CHECK(checked < bpffw::kVerifierInstructionLimit / 20);
    if (terms == 10000 && verified_at_100 != 0) CHECK(checked < 6 * verified_at_100);
    unsigned passed = 0, dropped = 0;
    for (int i = 0; i < 400; ++i) {
      const bpffw::random::RuleTerm& term = list.terms[rng.below(list.terms.size())];
      bpffw::packet::Packet packet =
          i % 4 == 3 ? bpffw::random::random_packet(rng) : bpffw::random::packet_for_term(rng, term, i % 2 == 1);
      const bool kernel = kernel_passes(loaded.program, packet);
      INFO("packet " << i);
      CHECK(kernel == interpreter_passes(loaded.filter, packet));
      ++(kernel ? passed : dropped);
    }
    CHECK(passed > 0);
    CHECK(dropped > 0);
  }
}

// The rule list: each term a protocol, a port and a prefix of either family. As a chain of
// tests 5.10's and 6.1's verifiers gave up on it (1,000,001 instructions); as lookups it loads.
TEST_CASE("a 600-term rule list of protocols, ports and prefixes loads on every kernel") {
  std::string text;
  for (int i = 0; i < 600; ++i) {
    const std::string prefix = i % 2 == 0 ? std::to_string(1 + i % 223) + "." + std::to_string(i * 7 % 256) + "." +
                                                std::to_string(i * 13 % 256) + ".0/24"
                                          : "2001:db8:" + std::to_string(i) + "::/48";
    text += (i > 0 ? " || " : "") + std::string("(") + (i % 3 == 0 ? "udp" : "tcp") +
            " && dst_port == " + std::to_string(1 + i * 101 % 65535) + " && src_addr == " + prefix + ")";
  }
  Loaded loaded = load(text);
  CHECK(verified(loaded.program) < 10000);
  // Term 0 is udp to port 1 from 1.0.0.0/24; term 1 tcp to port 102 from 2001:db8:1::/48.
  bpffw::packet::Ipv4Fields v4;
  v4.src = {1, 0, 0, 9};
  bpffw::packet::Ipv6Fields v6;
  v6.src = {0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9};
  using bpffw::packet::PacketBuilder;
  CHECK(kernel_passes(loaded.program, PacketBuilder().ipv4(v4).udp(5, 1).build()));
  CHECK_FALSE(kernel_passes(loaded.program, PacketBuilder().ipv4(v4).tcp(5, 1).build()));
  CHECK(kernel_passes(loaded.program, PacketBuilder().ipv6(v6).tcp(5, 102).build()));
  CHECK_FALSE(kernel_passes(loaded.program, PacketBuilder().ipv6(v6).tcp(5, 103).build()));
  v6.src[5] = 2;  // 2001:db8:2::9, outside every /48 of the list with port 102
  CHECK_FALSE(kernel_passes(loaded.program, PacketBuilder().ipv6(v6).tcp(5, 102).build()));
}

// Several rule lists in one filter, with the drop log (whose decider looks them up again): they
// share the stack's key slots, so the program stays within BPF's 512 bytes of stack.
TEST_CASE("five rule lists in one filter, with the drop log, load and judge as the interpreter") {
  bpffw::random::Rng rng(20261208);
  std::vector<bpffw::random::RandomRuleList> lists;
  std::string text;
  for (int i = 0; i < 5; ++i) {
    lists.push_back(bpffw::random::random_rule_list(rng, 200));
    text += std::string(i == 0 ? "" : i % 2 ? " && !" : " || ") + "(" + lists.back().text + ")";
  }
  bpffw::CompileOptions options;
  options.log = bpffw::LogLimit{};
  Loaded loaded = load(text, options);
  for (int i = 0; i < 300; ++i) {
    const auto& list = lists[rng.below(lists.size())];
    bpffw::packet::Packet packet =
        bpffw::random::packet_for_term(rng, list.terms[rng.below(list.terms.size())], i % 2 == 1);
    INFO("packet " << i);
    CHECK(kernel_passes(loaded.program, packet) == interpreter_passes(loaded.filter, packet));
  }
}
