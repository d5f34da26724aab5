#include "random/random_filter.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

#include "fields/packet_fields.hpp"
#include "random/addresses.hpp"

namespace bpffw::random {
namespace {

using fields::PacketField;

// The integer literals, which no row of the field table holds.
constexpr std::array<std::string_view, 2> kLiterals = {"true", "false"};

// Every constant is written so that it parses as one primary: negatives in parentheses, and
// INT64_MIN as an expression because 9223372036854775808 is not a valid literal.
constexpr std::array<std::string_view, 30> kEdgeConstants = {
    "0", "1", "2", "3", "7", "8", "20", "22", "53", "80", "123", "443", "1024", "0xffff", "65535",
    "65536", "63", "64", "65", "127", "0x7fffffffffffffff", "9223372036854775807",
    "(-9223372036854775807 - 1)", "(-1)", "(-2)", "(-53)", "(-64)", "(-65536)", "017", "0X35"};

constexpr std::array<std::string_view, 16> kBinaryOps = {"*", "/", "%", "+", "-", "<<", ">>", "<",
                                                         "<=", ">", ">=", "==", "!=", "&", "^", "|"};
constexpr std::array<std::string_view, 6> kComparisons = {"<", "<=", ">", ">=", "==", "!="};
constexpr std::array<std::string_view, 4> kUnaryOps = {"!", "~", "-", "+"};

// Values real rules write (well-known ports, TTLs, hop limits; random_port draws the same ports):
// a field's constants take those inside its range too, so that `==` often meets a packet's value.
constexpr std::int64_t kCommonValues[] = {1,  2,   3,   4,   7,   8,   20,  22,   53,   63,
                                          64, 80,  123, 128, 255, 443, 1023, 1024, 8080, 65534};

// The test real filters write before reading a guarded field (`tcp && dst_port == 22`): the
// variables of the packets that have it. A guard not listed (Always, and any new one) gets none,
// which only makes the filters a little less like real ones; every filter still parses.
struct GuardTest {
  fields::Guard guard;
  std::array<std::string_view, 2> tests;
};
constexpr GuardTest kGuardTests[] = {
    {fields::Guard::Ip, {"ip", "ipv6"}},
    {fields::Guard::TcpOrUdp, {"tcp", "udp"}},
    {fields::Guard::Tcp, {"tcp", "tcp"}},
    {fields::Guard::Icmp, {"icmp", "icmp"}},
};

// The one row with logic of its own, which the table has no column for: tcp_flags is a bit field
// whose bits have names (§4.4), and real filters test it under a mask as iptables writes
// `--tcp-flags` (`(tcp_flags & (SYN | ACK)) == SYN`). So the mask test picks it half the time and
// writes its masks with the flag names; it picks any other integer row the other half, with
// masks in numbers. Everything else about tcp_flags (its range, guard, constants) is its row's.
constexpr fields::Variable kFlagsVariable = fields::Variable::TcpFlags;
constexpr std::array<std::string_view, 8> kFlagNames = {"FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR"};

// Whether a filter that reads the row parses only with a direction (§4.6): local_*, remote_*.
constexpr bool needs_direction(const PacketField& row) {
  return row.source == fields::Source::Alias || row.guard == fields::Guard::Direction;
}

// The row's guard; an alias has the guard of the fields it stands for.
fields::Guard guard_of(const PacketField& row) {
  return row.source == fields::Source::Alias ? fields::field(row.on_ingress).guard : row.guard;
}

// Whether the row takes more values than two (a port, not `tcp`).
constexpr bool many_values(const PacketField& row) { return row.max > row.min && row.max - 1 > row.min; }

class Generator {
 public:
  Generator(Rng& rng, const RandomFilterOptions& options)
      : rng_(rng), options_(options), budget_(options.max_nodes) {
    // Every row of the field table (docs/filter-language.md §4) the filter may read, by kind.
    for (const PacketField& row : fields::kPacketFields) {
      if (needs_direction(row) && !options.directional) continue;
      if (row.type == fields::Type::Address) {
        address_rows_.push_back(&row);
        continue;
      }
      integer_rows_.push_back(&row);
      if (many_values(row)) numeric_rows_.push_back(&row);
      if (row.variable == kFlagsVariable) flags_row_ = &row;
    }
    if (numeric_rows_.empty()) numeric_rows_ = integer_rows_;
  }

  // A value-producing expression (any integer).
  std::string value(unsigned depth) {
    if (depth == 0 || out_of_budget() || rng_.chance(1, 4)) return leaf();
    switch (rng_.below(6)) {
      case 0: return std::string(pick(kUnaryOps)) + paren(value(depth - 1));
      case 1:
      case 2: return paren(value(depth - 1)) + " " + std::string(pick(kBinaryOps)) + " " + paren(value(depth - 1));
      case 3: return paren(truth(depth - 1)) + " ? " + paren(value(depth - 1)) + " : " + paren(value(depth - 1));
      case 4: return arithmetic_edge(depth - 1);
      default: return chain(depth - 1, options_.max_width, false);
    }
  }

  // An expression meant as a condition: mostly comparisons and logic, as real filters are.
  std::string truth(unsigned depth) {
    if (depth == 0 || out_of_budget()) return leaf_test();
    switch (rng_.below(11)) {
      case 7: return set_test(depth - 1);
      case 8: return address_test();
      case 9: return field_test();
      case 10: return mask_test();
      case 0: return integer_variable();
      case 1: return field_test();
      case 2: return std::string("!") + paren(truth(depth - 1));
      case 3: return paren(value(depth - 1)) + " " + std::string(pick(kComparisons)) + " " + paren(value(depth - 1));
      case 4: return paren(truth(depth - 1)) + " ? " + paren(truth(depth - 1)) + " : " + paren(truth(depth - 1));
      default: return chain(depth - 1, options_.max_width, true);
    }
  }

  // A long spine: each level wraps the previous expression in one more operator.
  std::string spine(unsigned levels) {
    std::string text = truth(1);
    for (unsigned i = 0; i < levels; ++i) {
      switch (rng_.below(5)) {
        case 0: text = std::string(pick(kUnaryOps)) + paren(text); break;
        case 1: text = paren(text) + " " + std::string(pick(kBinaryOps)) + " " + leaf(); break;
        case 2: text = leaf() + " " + std::string(pick(kBinaryOps)) + " " + paren(text); break;
        case 3: text = paren(truth(1)) + " ? " + paren(text) + " : " + leaf(); break;
        default: text = paren(text) + (rng_.chance(1, 2) ? " && " : " || ") + field_test(); break;
      }
    }
    return text;
  }

  // `a && b && ...` or `a || b || ...`, occasionally very wide.
  std::string chain(unsigned depth, unsigned width, bool as_truth) {
    unsigned operands = static_cast<unsigned>(rng_.between(2, width));
    std::string op = rng_.chance(1, 2) ? " && " : " || ";
    std::string text;
    for (unsigned i = 0; i < operands; ++i) {
      if (i > 0) text += op;
      text += paren(as_truth || rng_.chance(2, 3) ? truth(depth) : value(depth));
    }
    return text;
  }

 private:
  using Rows = std::vector<const PacketField*>;

  template <std::size_t N>
  std::string_view pick(const std::array<std::string_view, N>& items) {
    return items[rng_.below(N)];
  }
  const PacketField& pick_row(const Rows& rows) { return *rows[rng_.below(rows.size())]; }

  static std::string paren(const std::string& text) { return "(" + text + ")"; }

  std::string leaf() {
    if (rng_.chance(1, 2)) return integer_variable();
    if (rng_.chance(1, 10)) return std::string(rng_.pick(fields::named_constants()).name);
    if (rng_.chance(1, 3)) return constant(pick_row(integer_rows_));
    return random_edge_constant(rng_);
  }

  // Any integer row the filter may read (local_port and remote_port only in directional
  // filters), or a literal.
  std::string integer_variable() {
    if (rng_.chance(1, 8)) return std::string(pick(kLiterals));
    return std::string(pick_row(integer_rows_).name);
  }
  // A row with many values, for comparisons, sets and arithmetic.
  const PacketField& numeric_row() { return pick_row(numeric_rows_); }

  // A test that is one term of a real filter.
  std::string leaf_test() {
    switch (rng_.below(6)) {
      case 0: return address_test();
      case 1:
      case 2: return field_test();
      case 3: return mask_test();
      default: return integer_variable();
    }
  }

  // --- Constants from the row: its edges, its absent value, values inside, any int64.

  // A value of the row: min, max, absent, one beyond either end, values inside its range (near
  // an end, common ones, anywhere), now and then any int64.
  std::int64_t field_value(const PacketField& row) {
    switch (rng_.below(12)) {
      case 0: return row.min;
      case 1: return row.max;
      case 2: return row.absent;
      case 3: return row.min == INT64_MIN ? row.min : row.min - 1;
      case 4: return row.max == INT64_MAX ? row.max : row.max + 1;
      case 5: return static_cast<std::int64_t>(rng_.next());
      case 6:
      case 7: return common_value(row);
      default: return inside(row);
    }
  }

  // A value in [min, max]: anywhere, or within 64 of either end.
  std::int64_t inside(const PacketField& row) {
    if (row.max < row.min) return row.min;
    auto span = static_cast<std::uint64_t>(row.max) - static_cast<std::uint64_t>(row.min);
    std::uint64_t near = std::min<std::uint64_t>(span, 64) + 1;
    std::uint64_t offset = 0;
    switch (rng_.below(3)) {
      case 0: offset = span == UINT64_MAX ? rng_.next() : rng_.below(span + 1); break;
      case 1: offset = rng_.below(near); break;
      default: offset = span - rng_.below(near); break;
    }
    return static_cast<std::int64_t>(static_cast<std::uint64_t>(row.min) + offset);
  }

  std::int64_t common_value(const PacketField& row) {
    std::vector<std::int64_t> values;
    for (std::int64_t value : kCommonValues) {
      if (value >= row.min && value <= row.max) values.push_back(value);
    }
    return values.empty() ? inside(row) : values[rng_.below(values.size())];
  }

  // A constant for the row as one primary: a named constant (§4.4) inside its range now and
  // then, else a field_value.
  std::string constant(const PacketField& row) {
    if (rng_.chance(1, 10)) {
      std::vector<std::string_view> names;
      for (const fields::NamedConstant& named : fields::named_constants()) {
        if (named.value >= row.min && named.value <= row.max) names.push_back(named.name);
      }
      if (!names.empty()) return std::string(names[rng_.below(names.size())]);
    }
    return literal(field_value(row));
  }

  // Any int64 as one primary: negatives in parentheses, INT64_MIN as an expression, sometimes hex.
  std::string literal(std::int64_t value) {
    if (value == INT64_MIN) return "(-9223372036854775807 - 1)";
    if (value < 0) return paren(std::to_string(value));
    if (rng_.chance(1, 8)) return "0x" + hex(static_cast<std::uint64_t>(value));
    return std::to_string(value);
  }

  // A set item (§7): a literal with an optional minus, so INT64_MIN, which has no literal,
  // becomes INT64_MIN + 1.
  static std::string set_literal(std::int64_t value) { return std::to_string(std::max(value, INT64_MIN + 1)); }

  static std::string hex(std::uint64_t value) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string text;
    do {
      text.insert(text.begin(), kDigits[value & 15]);
      value >>= 4;
    } while (value != 0);
    return text;
  }

  // `tcp && test` half the time when the row's guard has a test (kGuardTests).
  std::string with_guard(const PacketField& row, const std::string& test) {
    fields::Guard guard = guard_of(row);
    for (const GuardTest& guard_test : kGuardTests) {
      if (guard_test.guard == guard && rng_.chance(1, 2)) return std::string(pick(guard_test.tests)) + " && " + test;
    }
    return test;
  }

  // --- The tests.

  // §4.2, §6.2, §7.2: an address variable against a prefix near the random packets' addresses,
  // a set of both families, or another address variable. Always parenthesized: `==` binds looser
  // than `<` and `in`, and an address test is an integer only as a whole.
  std::string address_test() {
    const PacketField& row = pick_row(address_rows_);
    std::string variable(row.name);
    switch (rng_.below(6)) {
      case 0:
      case 1: return paren(with_guard(row, variable + (rng_.chance(3, 4) ? " == " : " != ") + random_prefix()));
      case 2: return paren(random_prefix() + (rng_.chance(1, 2) ? " == " : " != ") + variable);
      case 3: return paren(variable + (rng_.chance(1, 2) ? " == " : " != ") + std::string(pick_row(address_rows_).name));
      default: {
        std::string text = variable + " in {";
        auto items = rng_.between(1, 6);
        for (std::uint64_t i = 0; i < items; ++i) text += (i > 0 ? ", " : "") + random_prefix();
        return paren(text + "}");
      }
    }
  }

  std::string random_prefix() {
    bool v6 = rng_.chance(1, 2);
    return prefix_text(random_address(rng_, v6), random_prefix_length(rng_, v6));
  }

  // `tcp && dst_port == 80`-like terms, the bread and butter of real filters: an integer row
  // against constants of its own range, sometimes after the test for the packets that have it.
  std::string field_test() {
    const PacketField& row = rng_.chance(3, 4) ? numeric_row() : pick_row(integer_rows_);
    std::string test(row.name);
    switch (rng_.below(5)) {
      case 0:
      case 1: test.append(" ").append(pick(kComparisons)).append(" ").append(constant(row)); break;
      case 2: {
        test += " in {";
        auto items = rng_.between(1, 4);
        for (std::uint64_t i = 0; i < items; ++i) {
          if (i > 0) test += ", ";
          std::int64_t lo = field_value(row);
          if (rng_.chance(1, 3)) {
            std::int64_t hi = field_value(row);
            if (hi < lo) std::swap(lo, hi);
            test += set_literal(lo) + ".." + set_literal(hi);
          } else {
            test += set_literal(lo);
          }
        }
        test += "}";
        break;
      }
      default: test += " == " + constant(row); break;
    }
    return paren(with_guard(row, test));
  }

  // A row under a mask, or whole: tcp_flags half the time (kFlagsVariable), any row with many
  // values the other half. The value is mostly some of the mask's bits, so that both verdicts
  // are common.
  std::string mask_test() {
    bool flags = flags_row_ != nullptr && rng_.chance(1, 2);
    const PacketField& row = flags ? *flags_row_ : numeric_row();
    // The bits the row's values have (a literal holds 63 at most).
    unsigned bits = row.max > 0 ? std::min(63u, static_cast<unsigned>(std::bit_width(static_cast<std::uint64_t>(row.max)))) : 8u;
    std::uint64_t all = (std::uint64_t{1} << bits) - 1;
    std::uint64_t mask = rng_.chance(1, 4) ? rng_.next() & all : random_bits(bits);
    std::uint64_t value = mask & rng_.next();
    if (rng_.chance(1, 8)) value = rng_.next() & all;  // maybe outside the mask
    std::string name(row.name);
    std::string test;
    switch (rng_.below(4)) {
      case 0: test = name + " == " + mask_text(value, flags); break;
      case 1: test = "(" + name + " & " + mask_text(mask, flags) + ") != 0"; break;
      default: test = "(" + name + " & " + mask_text(mask, flags) + ") == " + mask_text(value, flags); break;
    }
    return paren(with_guard(row, test));
  }

  // One to three of the low `bits` bits, as real masks have.
  std::uint64_t random_bits(unsigned bits) {
    std::uint64_t mask = 0;
    for (auto count = rng_.between(1, 3); count > 0; --count) mask |= std::uint64_t{1} << rng_.below(bits);
    return mask;
  }

  // `(SYN | ACK)` for tcp_flags, or the number in decimal or hex.
  std::string mask_text(std::uint64_t bits, bool flag_names) {
    if (!flag_names || bits == 0 || bits >= 256 || rng_.chance(1, 3))
      return rng_.chance(1, 2) ? std::to_string(bits) : "0x" + hex(bits);
    std::string names;
    for (unsigned bit = 0; bit < 8; ++bit) {
      if ((bits >> bit & 1) == 0) continue;
      if (!names.empty()) names += " | ";
      names += kFlagNames[bit];
    }
    return paren(names);
  }

  // `x in {...}` (docs/filter-language.md §7): mostly a row with many values against values of
  // its own and ranges, sometimes any value against negative or huge constants.
  std::string set_test(unsigned depth) {
    const PacketField* row = rng_.chance(2, 3) ? &numeric_row() : nullptr;
    std::string text = (row != nullptr ? std::string(row->name) : paren(value(depth))) + " in {";
    auto items = rng_.between(1, 6);
    for (std::uint64_t i = 0; i < items; ++i) {
      if (i > 0) text += ", ";
      std::int64_t lo = std::max(row != nullptr && rng_.chance(1, 2) ? field_value(*row) : set_item(), INT64_MIN + 1);
      text += std::to_string(lo);
      if (rng_.chance(1, 3) && lo < INT64_MAX - 1000) text += ".." + std::to_string(lo + static_cast<std::int64_t>(rng_.below(1000)));
    }
    return text + "}";
  }

  std::int64_t set_item() {
    static constexpr std::int64_t kItems[] = {0, 1, 22, 53, 80, 123, 443, 1024, 65535, 65536};
    switch (rng_.below(4)) {
      case 0: return static_cast<std::int64_t>(rng_.below(70));
      case 1: return -static_cast<std::int64_t>(rng_.below(70));
      case 2: return static_cast<std::int64_t>(rng_.below(0x7fffffffffffffffULL));
      default: return kItems[rng_.below(std::size(kItems))];
    }
  }

  // Operations whose operands are computed from the packet at run time and land on the edges of
  // §6.1: division by a value that may be 0 or -1 (a row less a value of its own), shifts by
  // 63/64/65/-1, INT64_MIN arithmetic.
  std::string arithmetic_edge(unsigned depth) {
    const PacketField& row = numeric_row();
    const PacketField& other = numeric_row();
    std::string name(row.name), other_name(other.name);
    std::string x = rng_.chance(1, 2) ? name : paren(value(depth));
    switch (rng_.below(6)) {
      case 0: return paren(x) + (rng_.chance(1, 2) ? " / " : " % ") + "(" + x + " - " + constant(row) + ")";
      case 1: return paren(x) + (rng_.chance(1, 2) ? " << " : " >> ") +
                     paren(other_name + " - " + constant(other) + " + " + random_edge_constant(rng_));
      case 2: return paren("-9223372036854775807 - " + name) + (rng_.chance(1, 2) ? " / " : " % ") +
                     paren(other_name + " - " + constant(other) + " - 1");
      case 3: return "(0x7fffffffffffffff + (" + x + ")) * " + random_edge_constant(rng_);
      case 4: return "-(" + x + ") >> " + random_edge_constant(rng_);
      default: return "~(" + x + ") ^ " + random_edge_constant(rng_);
    }
  }

  // Bounds the size of the tree (value and truth both branch), so that programs stay small enough
  // to compile and verify quickly.
  bool out_of_budget() { return budget_ == 0 || --budget_ == 0; }

  Rng& rng_;
  const RandomFilterOptions& options_;
  unsigned budget_ = 0;
  Rows integer_rows_, numeric_rows_, address_rows_;
  const PacketField* flags_row_ = nullptr;
};

}  // namespace

std::string random_edge_constant(Rng& rng) {
  switch (rng.below(8)) {
    case 0: return std::to_string(rng.below(70));
    case 1: return std::to_string(rng.below(0x7fffffffffffffffULL));
    case 2: return "(-" + std::to_string(rng.below(70)) + ")";
    default: return std::string(kEdgeConstants[rng.below(kEdgeConstants.size())]);
  }
}

std::string random_filter(Rng& rng, const RandomFilterOptions& options) {
  Generator generator(rng, options);
  switch (rng.below(12)) {
    case 0:  // deep: a long spine of nested operators
      return generator.spine(static_cast<unsigned>(rng.between(10, options.max_spine)));
    case 1:  // wide: many operands, like a port list
      return generator.chain(2, options.max_width * 6, true);
    case 2:  // a value used as the verdict (non-zero passes)
      return generator.value(options.max_depth);
    default: return generator.truth(static_cast<unsigned>(rng.between(2, options.max_depth)));
  }
}

}  // namespace bpffw::random
