// docs/filter-language.md §6.1 on constant expressions: every edge value, written out by hand from the spec.
// (test/kernel/arithmetic_test.cpp computes the same edges from packet values in the kernel.)
#include <doctest/doctest.h>

#include <bpffw/bpffw.hpp>

#include "packet/packet_builder.hpp"

namespace {

using bpffw::Filter;

constexpr const char* kInt64Min = "(-9223372036854775807 - 1)";
constexpr const char* kInt64Max = "9223372036854775807";

bool verdict(const std::string& text) {
  bpffw::Result<Filter> filter = Filter::parse(text);
  REQUIRE_MESSAGE(filter.has_value(), text << ": " << filter.error().message);
  bpffw::packet::Packet packet = bpffw::packet::PacketBuilder().ipv4().udp(1, 2).build();
  return bpffw::interpret(*filter, packet.skb_protocol(), packet.bytes).pass;
}

// `(expr) == (expected)` passes and `(expr) != (expected)` drops.
void check_value(const std::string& expr, const std::string& expected) {
  INFO(expr << " should be " << expected);
  CHECK(verdict("(" + expr + ") == (" + expected + ")"));
  CHECK_FALSE(verdict("(" + expr + ") != (" + expected + ")"));
}

}  // namespace

TEST_CASE("+ - * and unary - wrap around") {
  check_value(std::string(kInt64Max) + " + 1", kInt64Min);
  check_value(std::string(kInt64Min) + " - 1", kInt64Max);
  check_value(std::string(kInt64Max) + " * 2", "-2");
  check_value(std::string(kInt64Min) + " * -1", kInt64Min);
  check_value(std::string("-") + kInt64Min, kInt64Min);
  check_value("0x7fffffffffffffff * 0x7fffffffffffffff", "1");
  check_value("-0", "0");
  check_value("+-5", "-5");
}

TEST_CASE("/ truncates toward zero, x / 0 is 0, INT64_MIN / -1 is INT64_MIN") {
  check_value("7 / 2", "3");
  check_value("-7 / 2", "-3");
  check_value("7 / -2", "-3");
  check_value("-7 / -2", "3");
  check_value("7 / 0", "0");
  check_value("-7 / 0", "0");
  check_value("0 / 0", "0");
  check_value(std::string(kInt64Min) + " / -1", kInt64Min);
  check_value(std::string(kInt64Min) + " / 1", kInt64Min);
  check_value(std::string(kInt64Min) + " / 2", "-4611686018427387904");
  check_value(std::string(kInt64Max) + " / -1", "-9223372036854775807");
}

TEST_CASE("% takes the sign of the dividend, x % 0 is x, INT64_MIN % -1 is 0") {
  check_value("7 % 3", "1");
  check_value("-7 % 3", "-1");
  check_value("7 % -3", "1");
  check_value("-7 % -3", "-1");
  check_value("7 % 0", "7");
  check_value("-7 % 0", "-7");
  check_value(std::string(kInt64Min) + " % 0", kInt64Min);
  check_value(std::string(kInt64Min) + " % -1", "0");
  check_value(std::string(kInt64Min) + " % 3", "-2");
}

TEST_CASE("shifts use the low 6 bits of the count, >> is arithmetic, << wraps") {
  check_value("1 << 63", kInt64Min);
  check_value("1 << 64", "1");
  check_value("1 << 65", "2");
  check_value("1 << -1", kInt64Min);  // -1 & 63 == 63
  check_value("3 << 63", kInt64Min);
  check_value("-8 >> 1", "-4");
  check_value("-1 >> 63", "-1");
  check_value(std::string(kInt64Min) + " >> 63", "-1");
  check_value(std::string(kInt64Max) + " >> 62", "1");
  check_value("8 >> 64", "8");
  check_value("8 >> 67", "1");
  check_value("8 >> -61", "1");  // -61 & 63 == 3
}

TEST_CASE("comparisons are signed and give 0 or 1") {
  check_value("-1 < 0", "1");
  check_value("-1 > 0", "0");
  check_value(std::string(kInt64Min) + " < " + kInt64Max, "1");
  check_value(std::string(kInt64Min) + " <= " + kInt64Min, "1");
  check_value("5 >= 6", "0");
  check_value("5 == 5", "1");
  check_value("5 != 5", "0");
  check_value("(2 < 3) + (3 < 2) + (1 == 1)", "2");
}

TEST_CASE("! ~ & | ^ on 64-bit values") {
  check_value("!0", "1");
  check_value("!5", "0");
  check_value("!-1", "0");
  check_value(std::string("!") + kInt64Min, "0");
  check_value("~0", "-1");
  check_value("~-1", "0");
  check_value(std::string("~") + kInt64Max, kInt64Min);
  check_value("6 & 3", "2");
  check_value("6 | 3", "7");
  check_value("6 ^ 3", "5");
  check_value("-1 & 0xffff", "65535");
  check_value("-1 ^ 1", "-2");
}

TEST_CASE("&& || ?: give 0 or 1 (?: gives its branch) and are lazy") {
  check_value("5 && 7", "1");
  check_value("5 && 0", "0");
  check_value("0 || -3", "1");
  check_value("0 || 0", "0");
  check_value("-1 ? 5 : 6", "5");
  check_value("0 ? 5 : 6", "6");
  check_value("1 ? 2 : 0 ? 4 : 5", "2");  // right associative
  check_value("0 ? 2 : 0 ? 4 : 5", "5");
  // Laziness cannot be observed (no side effects) except that nothing traps: x / 0 is defined anyway.
  check_value("0 && 1 / 0", "0");
  check_value("1 || 1 % 0", "1");
}

TEST_CASE("the verdict is the value: non-zero passes") {
  CHECK(verdict("-1"));
  CHECK(verdict(kInt64Min));
  CHECK(verdict("2"));
  CHECK_FALSE(verdict("0"));
  CHECK_FALSE(verdict("1 - 1"));
  CHECK(verdict("true"));
  CHECK_FALSE(verdict("false"));
}
