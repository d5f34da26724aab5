// Runtime parameters in the kernel: read from the map at run time, changed in place with
// set_parameters (same program, new verdicts), judged against the interpreter given the values.
#include <doctest/doctest.h>

#include "runtime/runtime_test_support.hpp"
#include "support/kernel_env.hpp"

namespace bpffw::test {
namespace {

ParseOptions with_parameters(std::vector<Parameter> parameters) {
  ParseOptions options;
  options.parameters = std::move(parameters);
  return options;
}

std::int64_t value_of(const Program& program, const std::string& name) {
  auto parameters = read_parameters(program);
  REQUIRE(parameters.has_value());
  for (const Parameter& parameter : *parameters)
    if (parameter.name == name) return parameter.value;
  FAIL("no parameter " << name);
  return 0;
}

TEST_CASE("set_parameters flips verdicts of the same loaded program") {
  require_root();
  Filter filter = parse_or_fail("len <= mtu", with_parameters({{"mtu", 1500}}));
  Program program = load_or_fail(filter);
  auto id_before = program.info();
  REQUIRE(id_before.has_value());

  packet::Packet big = udp_packet(53, 1000);  // 1028 bytes from the IP header on
  packet::Packet small = udp_packet(53, 10);
  CHECK(passes(program, big));
  CHECK(passes(program, small));
  CHECK(value_of(program, "mtu") == 1500);

  REQUIRE(set_parameters(program, {{"mtu", 500}}).has_value());
  CHECK(value_of(program, "mtu") == 500);
  CHECK_FALSE(passes(program, big));
  CHECK(passes(program, small));

  REQUIRE(set_parameters(program, {{"mtu", 20}}).has_value());
  CHECK_FALSE(passes(program, small));

  auto id_after = program.info();
  REQUIRE(id_after.has_value());
  CHECK(id_after->id == id_before->id);
}

TEST_CASE("kernel and interpreter agree on parameters at edge values") {
  require_root();
  Filter filter = parse_or_fail("a / b + (c << a) - (a % b) == d ? 1 : a < c",
                                with_parameters({{"a", 7}, {"b", 2}, {"c", 0}, {"d", 0}}));
  Program program = load_or_fail(filter);
  packet::Packet packet = udp_packet(53, 4);
  const std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
  const std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
  std::vector<std::int64_t> interesting = {0, 1, -1, 2, 63, 64, kMin, kMax, -7};
  int compared = 0;
  for (std::int64_t a : interesting) {
    for (std::int64_t b : {std::int64_t{0}, std::int64_t{-1}, std::int64_t{3}, kMin}) {
      for (std::int64_t c : {std::int64_t{0}, std::int64_t{65}, kMax}) {
        std::vector<std::int64_t> values = {a, b, c, a};
        REQUIRE(set_parameters(program, {{"a", a}, {"b", b}, {"c", c}, {"d", a}}).has_value());
        bool expected = interpret(filter, packet.skb_protocol(), packet.bytes, values).pass;
        CHECK_MESSAGE(passes(program, packet) == expected, "a=" << a << " b=" << b << " c=" << c);
        ++compared;
      }
    }
  }
  CHECK(compared == 108);
}

TEST_CASE("reading only a parameter still drops malformed packets, as spec section 5 says") {
  require_root();
  Filter filter = parse_or_fail("limit > 0", with_parameters({{"limit", 1}}));
  Program program = load_or_fail(filter);
  packet::Packet good = udp_packet(53, 4);
  packet::Packet malformed = packet::PacketBuilder().ipv4().udp(1, 53).truncate(24).build();
  CHECK(passes(program, good));
  CHECK_FALSE(passes(program, malformed));
  CHECK(interpret(filter, malformed.skb_protocol(), malformed.bytes).malformed);
  CHECK(filter.reads_packet());
  // A constant filter with no parameter keeps its constant verdict.
  Program constant = load_or_fail(parse_or_fail("1 > 0"));
  CHECK(passes(constant, malformed));
}

TEST_CASE("set_parameters with an unknown name changes nothing and suggests the nearest") {
  require_root();
  Program program = load_or_fail(parse_or_fail("len <= mtu", with_parameters({{"mtu", 1500}, {"floor", 1}})));
  auto refused = set_parameters(program, {{"mtu", 9}, {"mut", 50}});
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().kind == ErrorKind::Usage);
  CHECK(refused.error().message == "the program has no parameter 'mut' (did you mean 'mtu'?)");
  CHECK(refused.error().hint == "its parameters: mtu, floor");
  CHECK(value_of(program, "mtu") == 1500);

  Program without = load_or_fail(parse_or_fail("len > 0"));
  auto none = set_parameters(without, {{"mtu", 1}});
  REQUIRE_FALSE(none.has_value());
  CHECK(none.error().hint == "it was compiled without --param");
  auto listed = read_parameters(without);
  REQUIRE(listed.has_value());
  CHECK(listed->empty());
}

TEST_CASE("parameters: several at once, negative and extreme values, in one update") {
  require_root();
  Filter filter = parse_or_fail("len >= low && len <= high", with_parameters({{"low", 0}, {"high", 100}}));
  Program program = load_or_fail(filter);
  REQUIRE(set_parameters(program, {{"low", std::numeric_limits<std::int64_t>::min()},
                                   {"high", std::numeric_limits<std::int64_t>::max()}})
              .has_value());
  CHECK(value_of(program, "low") == std::numeric_limits<std::int64_t>::min());
  CHECK(value_of(program, "high") == std::numeric_limits<std::int64_t>::max());
  CHECK(passes(program, udp_packet(53, 1400)));
  REQUIRE(set_parameters(program, {{"low", 100}, {"high", -1}}).has_value());
  CHECK_FALSE(passes(program, udp_packet(53, 80)));
}

TEST_CASE("declared parameters the expression does not use can still be read and set") {
  require_root();
  Program program = load_or_fail(parse_or_fail("tcp", with_parameters({{"unused", 5}})));
  CHECK(value_of(program, "unused") == 5);
  REQUIRE(set_parameters(program, {{"unused", 6}}).has_value());
  CHECK(value_of(program, "unused") == 6);
  Program constant = load_or_fail(parse_or_fail("1", with_parameters({{"unused", 7}})));
  CHECK(value_of(constant, "unused") == 7);
}

}  // namespace
}  // namespace bpffw::test
