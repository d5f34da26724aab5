#include "random/random_filter.hpp"

#include <array>
#include <cstdint>
#include <string_view>

namespace bpffw::random {
namespace {

constexpr std::array<std::string_view, 10> kVariables = {
    "ip", "ipv6", "tcp", "udp", "icmp", "src_port", "dst_port", "len", "true", "false"};

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
constexpr std::array<std::string_view, 3> kPortVariables = {"src_port", "dst_port", "len"};
constexpr std::array<std::string_view, 8> kPorts = {"0", "22", "53", "80", "123", "443", "1024", "65535"};

class Generator {
 public:
  Generator(Rng& rng, const RandomFilterOptions& options)
      : rng_(rng), options_(options), budget_(options.max_nodes) {}

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
    if (depth == 0 || out_of_budget()) return rng_.chance(1, 2) ? std::string(pick(kVariables)) : port_test();
    switch (rng_.below(8)) {
      case 7: return set_test(depth - 1);
      case 0: return std::string(pick(kVariables));
      case 1: return port_test();
      case 2: return "!" + paren(truth(depth - 1));
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
        default: text = paren(text) + (rng_.chance(1, 2) ? " && " : " || ") + paren(port_test()); break;
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
  template <std::size_t N>
  std::string_view pick(const std::array<std::string_view, N>& items) {
    return items[rng_.below(N)];
  }

  static std::string paren(const std::string& text) { return "(" + text + ")"; }

  std::string leaf() {
    if (rng_.chance(1, 2)) return std::string(pick(kVariables));
    return random_edge_constant(rng_);
  }

  // `tcp && dst_port == 80`-like terms, the bread and butter of real filters.
  std::string port_test() {
    std::string protocol = rng_.chance(1, 2) ? "tcp" : "udp";
    std::string test = std::string(pick(kPortVariables)) + " " + std::string(pick(kComparisons)) + " " +
                       std::string(pick(kPorts));
    return rng_.chance(1, 2) ? protocol + " && " + test : test;
  }

  // `x in {...}` (spec §7): mostly a port or len against ports and ranges, sometimes any value
  // against negative or huge constants.
  std::string set_test(unsigned depth) {
    std::string x = rng_.chance(2, 3) ? std::string(pick(kPortVariables)) : paren(value(depth));
    std::string text = x + " in {";
    auto items = rng_.between(1, 6);
    for (std::uint64_t i = 0; i < items; ++i) {
      if (i > 0) text += ", ";
      std::int64_t lo = set_item();
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
  // §6: division by a value that may be 0 or -1, shifts by 63/64/65/-1, INT64_MIN arithmetic.
  std::string arithmetic_edge(unsigned depth) {
    std::string x = rng_.chance(1, 2) ? std::string(pick(kPortVariables)) : paren(value(depth));
    switch (rng_.below(6)) {
      case 0: return paren(x) + (rng_.chance(1, 2) ? " / " : " % ") + "(" + x + " - " + std::string(pick(kPorts)) + ")";
      case 1: return paren(x) + (rng_.chance(1, 2) ? " << " : " >> ") + "(" + std::string(pick(kPortVariables)) + " - " +
                     std::string(pick(kPorts)) + " + " + random_edge_constant(rng_) + ")";
      case 2: return "(-9223372036854775807 - " + std::string(pick(kPortVariables)) + ")" +
                     (rng_.chance(1, 2) ? " / " : " % ") + "(" + std::string(pick(kPortVariables)) + " - " +
                     std::string(pick(kPorts)) + " - 1)";
      case 3: return "(0x7fffffffffffffff + " + paren(x) + ") * " + random_edge_constant(rng_);
      case 4: return "-" + paren(x) + " >> " + random_edge_constant(rng_);
      default: return "~" + paren(x) + " ^ " + random_edge_constant(rng_);
    }
  }

  // Bounds the size of the tree (value and truth both branch), so that programs stay small enough
  // to compile and verify quickly.
  bool out_of_budget() { return budget_ == 0 || --budget_ == 0; }

  Rng& rng_;
  const RandomFilterOptions& options_;
  unsigned budget_ = 0;
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
