// docs/filter-language.md §6.1 edge values in the kernel, computed at run time from packet values (ports, len) so that
// LLVM cannot fold them away: the generated code itself must get them right.
// The packet: IPv4 UDP, src_port 1, dst_port 0, 28 bytes (len 28).
#include <doctest/doctest.h>

#include "verdict_table.hpp"

namespace {

using bpffw::packet::Packet;
using bpffw::packet::PacketBuilder;
using bpffw::test::kDrop;
using bpffw::test::kPass;
using bpffw::test::VerdictRow;

// Run-time forms: one = src_port, zero = dst_port, minus_one = dst_port - src_port, len = 28.
constexpr const char* kMin = "(-9223372036854775807 - src_port)";  // INT64_MIN
constexpr const char* kMax = "(0x7fffffffffffffff + dst_port)";     // INT64_MAX
constexpr const char* kMinConst = "(-9223372036854775807 - 1)";
constexpr const char* kMaxConst = "9223372036854775807";

struct Expect {
  std::string expr;
  std::string value;  // a constant expression
};

// Each expectation becomes two rows: (expr) == (value) passes, (expr) != (value) drops.
void check_values(const std::vector<Expect>& expectations, const Packet& packet) {
  std::vector<VerdictRow> rows;
  for (const Expect& e : expectations) {
    rows.push_back({e.expr + " is " + e.value, "(" + e.expr + ") == (" + e.value + ")", packet, kPass});
    rows.push_back({e.expr + " is " + e.value, "(" + e.expr + ") != (" + e.value + ")", packet, kDrop});
  }
  bpffw::test::check_rows(rows);
}

Packet small() { return PacketBuilder().ipv4().udp(1, 0).build(); }

std::string s(const char* text) { return text; }

}  // namespace

TEST_CASE("§6 + - * and unary - wrap around") {
  check_values({
      {s(kMax) + " + src_port", kMinConst},
      {"0x7fffffffffffffff + src_port", kMinConst},
      {s(kMin) + " - src_port", kMaxConst},
      {s(kMax) + " * (src_port + 1)", "-2"},
      {s(kMin) + " * (dst_port - src_port)", kMinConst},
      {"-" + s(kMin), kMinConst},
      {"-(dst_port - src_port)", "1"},
      {"-len", "-28"},
      {"+(dst_port - len)", "-28"},
      {"(len - 29) * (len - 29)", "1"},
  }, small());
  // 65535^4 = 2^64 - 4 * 2^48 + 6 * 2^32 - 4 * 2^16 + 1, which wraps to the value below.
  Packet big_ports = PacketBuilder().ipv4().udp(65535, 65535).build();
  check_values({
      {"dst_port * dst_port * dst_port * dst_port", "-1125874137300991"},
      {"src_port << 48", "-281474976710656"},
      {"(src_port << 47) + (src_port << 47)", "-281474976710656"},
      {"(src_port << 48) * 65536", "0"},
  }, big_ports);
}

TEST_CASE("§6 / truncates toward zero, x / 0 is 0, INT64_MIN / -1 is INT64_MIN") {
  check_values({
      {"len / dst_port", "0"},
      {"-len / dst_port", "0"},
      {s(kMin) + " / dst_port", "0"},
      {s(kMin) + " / (dst_port - src_port)", kMinConst},
      {s(kMax) + " / (dst_port - src_port)", "-9223372036854775807"},
      {"len / 5", "5"},
      {"-len / 5", "-5"},
      {"len / -5", "-5"},
      {"-len / -5", "5"},
      {"len / (dst_port - 5)", "-5"},
      {s(kMin) + " / 2", "-4611686018427387904"},
      {s(kMin) + " / " + kMin, "1"},
      {"len / " + s(kMin), "0"},
      {s(kMax) + " / len", "329406144173384850"},
      {"(len << 60) / 7", "-658812288346769700"},
  }, small());
}

TEST_CASE("§6 % takes the dividend's sign, x % 0 is x, INT64_MIN % -1 is 0") {
  check_values({
      {"len % dst_port", "28"},
      {"-len % dst_port", "-28"},
      {s(kMin) + " % dst_port", kMinConst},
      {s(kMin) + " % (dst_port - src_port)", "0"},
      {"len % 5", "3"},
      {"-len % 5", "-3"},
      {"len % -5", "3"},
      {"-len % -5", "-3"},
      {s(kMin) + " % 3", "-2"},
      {s(kMax) + " % len", "7"},
      {"len % " + s(kMin), "28"},
      {s(kMin) + " % " + kMax, "-1"},
  }, small());
}

TEST_CASE("§6 shifts: the low 6 bits of the count, >> arithmetic, << wraps") {
  check_values({
      {"src_port << 63", kMinConst},
      {"src_port << (len + 35)", kMinConst},  // 63
      {"src_port << (len + 36)", "1"},        // 64
      {"src_port << (len + 37)", "2"},        // 65
      {"src_port << (dst_port - src_port)", kMinConst},  // -1 -> 63
      {"len << 62", "0"},
      {"(len + 1) << 63", kMinConst},
      {"len >> (len + 36)", "28"},      // >> 64
      {"len >> (len + 38)", "7"},       // >> 66
      {"len >> (dst_port - 62)", "7"},  // -62 -> 2
      {"-len >> 2", "-7"},
      {"-len >> 63", "-1"},
      {"-src_port >> 63", "-1"},
      {s(kMin) + " >> 63", "-1"},
      {s(kMin) + " >> 1", "-4611686018427387904"},
      {s(kMax) + " >> 62", "1"},
      {"-len >> (len + 36)", "-28"},
      {"len << 128 + src_port", "56"},  // << 129 -> << 1
  }, small());
}

TEST_CASE("§6 comparisons are signed") {
  check_values({
      {"(dst_port - src_port) < dst_port", "1"},
      {"(dst_port - src_port) > dst_port", "0"},
      {"(dst_port - src_port) >= 0", "0"},
      {"(dst_port - src_port) <= -1", "1"},
      {"-len < len", "1"},
      {"-len > len", "0"},
      {s(kMin) + " < " + kMax, "1"},
      {s(kMin) + " > " + kMax, "0"},
      {s(kMin) + " <= " + kMin, "1"},
      {s(kMin) + " == -" + kMin, "1"},
      {"(dst_port - src_port) == -1", "1"},
      {"(dst_port - src_port) != 0xffffffff", "1"},
      {"(len < 29) + (len <= 28) + (len > 27) + (len >= 28) + (len == 28) + (len != 28)", "5"},
  }, small());
}

TEST_CASE("§6 ! ~ & | ^") {
  check_values({
      {"!dst_port", "1"},
      {"!len", "0"},
      {"!(dst_port - src_port)", "0"},
      {"!" + s(kMin), "0"},
      {"!!len", "1"},
      {"~dst_port", "-1"},
      {"~len", "-29"},
      {"~" + s(kMax), kMinConst},
      {"(dst_port - src_port) & len", "28"},
      {"len | 3", "31"},
      {"len ^ (dst_port - src_port)", "-29"},
      {s(kMin) + " | src_port", "-9223372036854775807"},
      {s(kMin) + " & (len << 59)", kMinConst},
  }, small());
}

TEST_CASE("§6 && || give 0 or 1, ?: gives its branch, all lazy") {
  check_values({
      {"dst_port && len", "0"},
      {"len && len", "1"},
      {"len && (dst_port - src_port)", "1"},
      {"dst_port || len", "1"},
      {"dst_port || dst_port", "0"},
      {"(len || dst_port) + len", "29"},
      {"len ? src_port : 99", "1"},
      {"dst_port ? 99 : -len", "-28"},
      {"(dst_port - src_port) ? " + s(kMin) + " : 0", kMinConst},
      {"dst_port ? 1 : src_port ? len : 2", "28"},
      // Laziness: the skipped operands would be defined anyway (no traps), so only the values show.
      {"dst_port && len / dst_port", "0"},
      {"len || len % dst_port", "1"},
      {"dst_port && src_port && len", "0"},
      {"dst_port || dst_port || src_port", "1"},
  }, small());
}

TEST_CASE("§6 the verdict is the whole 64-bit value: any non-zero value passes") {
  Packet packet = small();
  bpffw::test::check_rows({
      {"-1 passes", "dst_port - src_port", packet, kPass},
      {"INT64_MIN passes (its low 32 bits are 0)", kMin, packet, kPass},
      {"len << 32 passes (its low 32 bits are 0)", "len << 32", packet, kPass},
      {"1 << 63 passes", "src_port << 63", packet, kPass},
      {"0 drops", "len - 28", packet, kDrop},
      {"len << 62 is 0 and drops", "len << 62", packet, kDrop},
  });
}
