// Declaring parameters (names, clashes, duplicates), did-you-mean over variables and parameters,
// the value syntax of --param/set, the AST and the interpreter's view. No kernel needed.
#include <limits>

#include <doctest/doctest.h>

#include <bpffw/bpffw.hpp>
#include <bpffw/runtime.hpp>

#include "packet/packet_builder.hpp"

namespace bpffw {
namespace {

Result<Filter> parse_with(const std::string& text, std::vector<Parameter> parameters) {
  ParseOptions options;
  options.parameters = std::move(parameters);
  return Filter::parse(text, options);
}

TEST_CASE("declared parameters are usable names, undeclared ones stay errors") {
  auto ok = parse_with("len <= mtu", {{"mtu", 1500}});
  REQUIRE(ok.has_value());
  CHECK(ok->dump_ast() == "binary <= 1:1\n  variable len 1:1\n  parameter mtu 1:8\n");
  CHECK(ok->parameters() == std::vector<Parameter>{{"mtu", 1500}});

  auto undeclared = Filter::parse("len <= mtu");
  REQUIRE_FALSE(undeclared.has_value());
  CHECK(undeclared.error().kind == ErrorKind::InvalidExpression);
  CHECK(undeclared.error().message == "unknown variable 'mtu'");
}

TEST_CASE("did-you-mean covers variables and declared parameters") {
  auto near_parameter = parse_with("len <= mtv", {{"mtu", 1}});
  REQUIRE_FALSE(near_parameter.has_value());
  CHECK(near_parameter.error().message == "unknown variable 'mtv' (did you mean 'mtu'?)");
  auto near_variable = parse_with("dst_prot == mtu", {{"mtu", 1}});
  REQUIRE_FALSE(near_variable.has_value());
  CHECK(near_variable.error().message == "unknown variable 'dst_prot' (did you mean 'dst_port'?)");
  REQUIRE(near_variable.error().span.has_value());
  CHECK(near_variable.error().span->column == 1);
}

TEST_CASE("bad declarations are usage errors") {
  auto builtin = parse_with("len", {{"len", 1}});
  REQUIRE_FALSE(builtin.has_value());
  CHECK(builtin.error().kind == ErrorKind::Usage);
  CHECK(builtin.error().message == "parameter name 'len' is a built-in name of the language");
  CHECK_FALSE(parse_with("1", {{"true", 1}}).has_value());
  auto twice = parse_with("a", {{"a", 1}, {"a", 2}});
  REQUIRE_FALSE(twice.has_value());
  CHECK(twice.error().message == "parameter 'a' is declared twice");
  for (const char* name : {"", "1x", "a-b", "a b", "é"}) {
    auto bad = parse_with("1", {{name, 1}});
    REQUIRE_FALSE(bad.has_value());
    CHECK(bad.error().kind == ErrorKind::Usage);
  }
  CHECK(parse_with("_x9 + Y", {{"_x9", 1}, {"Y", 2}}).has_value());
}

TEST_CASE("parameter values: literals of the language, a sign, the 64-bit range") {
  CHECK(parse_parameter_value("1500").value() == 1500);
  CHECK(parse_parameter_value("-1").value() == -1);
  CHECK(parse_parameter_value("0x10").value() == 16);
  CHECK(parse_parameter_value("017").value() == 15);
  CHECK(parse_parameter_value("0").value() == 0);
  CHECK(parse_parameter_value("9223372036854775807").value() == std::numeric_limits<std::int64_t>::max());
  CHECK(parse_parameter_value("-9223372036854775808").value() == std::numeric_limits<std::int64_t>::min());
  for (const char* bad : {"", "-", "9223372036854775808", "-9223372036854775809", "99999999999999999999", "12a", "0x",
                          "08", "1.5", " 1", "+1", "--1"}) {
    auto value = parse_parameter_value(bad);
    CHECK_MESSAGE(!value.has_value(), bad);
    if (!value) CHECK(value.error().kind == ErrorKind::Usage);
  }
  auto assignment = parse_parameter_assignment("mtu=-0x20");
  REQUIRE(assignment.has_value());
  CHECK(*assignment == Parameter{"mtu", -32});
  CHECK_FALSE(parse_parameter_assignment("mtu").has_value());
  CHECK_FALSE(parse_parameter_assignment("=5").has_value());
  auto bad_value = parse_parameter_assignment("mtu=big");
  REQUIRE_FALSE(bad_value.has_value());
  CHECK(bad_value.error().message == "bad value for parameter 'mtu': 'big' is not an integer");
}

TEST_CASE("the interpreter evaluates parameters with declared or given values") {
  auto filter = parse_with("len <= mtu", {{"mtu", 100}});
  REQUIRE(filter.has_value());
  packet::Packet packet = packet::PacketBuilder().ipv4().udp(1, 53).payload(200).build();
  CHECK_FALSE(interpret(*filter, packet.skb_protocol(), packet.bytes).pass);
  std::vector<std::int64_t> big = {1500};
  CHECK(interpret(*filter, packet.skb_protocol(), packet.bytes, big).pass);
}

}  // namespace
}  // namespace bpffw
