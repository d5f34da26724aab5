#include "random/random_filter.hpp"

#include <array>
#include <cstdint>
#include <string_view>

#include "random/addresses.hpp"

namespace bpffw::random {
namespace {

constexpr std::array<std::string_view, 14> kVariables = {
    "ip",   "ipv6",  "tcp",       "udp",       "icmp",      "src_port",  "dst_port",
    "len",  "true",  "false",     "icmp_type", "icmp_code", "tcp_flags", "established"};
constexpr std::array<std::string_view, 2> kDirectionalPorts = {"local_port", "remote_port"};
constexpr std::array<std::string_view, 2> kAddressVariables = {"src_addr", "dst_addr"};
constexpr std::array<std::string_view, 2> kDirectionalAddresses = {"local_addr", "remote_addr"};

// §4.4, every one.
constexpr std::array<std::string_view, 8> kFlagNames = {"FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR"};
constexpr std::array<std::string_view, 14> kIcmpTypeNames = {
    "ICMP_ECHO_REPLY",         "ICMP_DEST_UNREACH",      "ICMP_REDIRECT",         "ICMP_ECHO_REQUEST",
    "ICMP_TIME_EXCEEDED",      "ICMPV6_DEST_UNREACH",    "ICMPV6_PACKET_TOO_BIG", "ICMPV6_TIME_EXCEEDED",
    "ICMPV6_ECHO_REQUEST",     "ICMPV6_ECHO_REPLY",      "ICMPV6_ROUTER_SOLICIT", "ICMPV6_ROUTER_ADVERT",
    "ICMPV6_NEIGHBOR_SOLICIT", "ICMPV6_NEIGHBOR_ADVERT"};

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
constexpr std::array<std::string_view, 6> kPortVariables = {"src_port",  "dst_port",  "len",
                                                            "icmp_type", "icmp_code", "tcp_flags"};
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
    if (depth == 0 || out_of_budget()) return leaf_test();
    switch (rng_.below(11)) {
      case 7: return set_test(depth - 1);
      case 8: return address_test();
      case 9: return icmp_test();
      case 10: return flags_test();
      case 0: return integer_variable();
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
    if (rng_.chance(1, 2)) return integer_variable();
    if (rng_.chance(1, 10)) return std::string(rng_.chance(1, 2) ? pick(kFlagNames) : pick(kIcmpTypeNames));
    return random_edge_constant(rng_);
  }

  // Any integer variable; local_port and remote_port only in directional filters.
  std::string integer_variable() {
    if (options_.directional && rng_.chance(1, 8)) return std::string(pick(kDirectionalPorts));
    return std::string(pick(kVariables));
  }
  // A variable with many values, for comparisons, sets and arithmetic.
  std::string numeric_variable() {
    if (options_.directional && rng_.chance(1, 5)) return std::string(pick(kDirectionalPorts));
    return std::string(pick(kPortVariables));
  }
  std::string address_variable() {
    if (options_.directional && rng_.chance(1, 3)) return std::string(pick(kDirectionalAddresses));
    return std::string(pick(kAddressVariables));
  }

  // A test that is one term of a real filter.
  std::string leaf_test() {
    switch (rng_.below(6)) {
      case 0: return address_test();
      case 1: return icmp_test();
      case 2: return flags_test();
      case 3: return port_test();
      default: return integer_variable();
    }
  }

  // §4.2, §6.2, §7.2: an address variable against a prefix near the random packets' addresses,
  // a set of both families, or another address variable. Always parenthesized: `==` binds looser
  // than `<` and `in`, and an address test is an integer only as a whole.
  std::string address_test() {
    std::string variable = address_variable();
    switch (rng_.below(6)) {
      case 0:
      case 1: return paren(variable + (rng_.chance(3, 4) ? " == " : " != ") + random_prefix());
      case 2: return paren(random_prefix() + (rng_.chance(1, 2) ? " == " : " != ") + variable);
      case 3: return paren(variable + (rng_.chance(1, 2) ? " == " : " != ") + address_variable());
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

  // §4.3: icmp_type and icmp_code against every type, the named types and -1 (none).
  std::string icmp_test() {
    std::string variable = rng_.chance(2, 3) ? "icmp_type" : "icmp_code";
    std::string value;
    switch (rng_.below(4)) {
      case 0: value = std::string(pick(kIcmpTypeNames)); break;
      case 1: value = "(-1)"; break;
      default: value = std::to_string(rng_.below(256)); break;
    }
    std::string test;
    switch (rng_.below(5)) {
      case 0: test = variable + " " + std::string(pick(kComparisons)) + " " + value; break;
      case 1: test = variable + " in {" + std::to_string(rng_.below(256)) + ", " + std::to_string(rng_.below(256)) + ".." +
                     std::to_string(255) + "}"; break;
      default: test = variable + " == " + value; break;
    }
    if (rng_.chance(1, 2)) test = "icmp && " + test;
    return paren(test);
  }

  // §4.3: tcp_flags under a mask, as iptables writes `--tcp-flags`, or whole. The value is
  // mostly some of the mask's bits, so that both verdicts are common.
  std::string flags_test() {
    unsigned mask = rng_.chance(1, 4) ? static_cast<unsigned>(rng_.below(256)) : random_flag_bits();
    unsigned value = mask & static_cast<unsigned>(rng_.below(256));
    if (rng_.chance(1, 8)) value = static_cast<unsigned>(rng_.below(256));  // maybe outside the mask
    std::string test;
    switch (rng_.below(4)) {
      case 0: test = "tcp_flags == " + flags_text(value); break;
      case 1: test = "(tcp_flags & " + flags_text(mask) + ") != 0"; break;
      default: test = "(tcp_flags & " + flags_text(mask) + ") == " + flags_text(value); break;
    }
    if (rng_.chance(1, 2)) test = "tcp && " + test;
    return paren(test);
  }

  // One to three flags, as real masks have.
  unsigned random_flag_bits() {
    unsigned bits = 0;
    for (auto count = rng_.between(1, 3); count > 0; --count) bits |= 1u << rng_.below(8);
    return bits;
  }

  // `(SYN | ACK)`, or the number in decimal or hex.
  std::string flags_text(unsigned bits) {
    if (bits == 0 || rng_.chance(1, 3)) return rng_.chance(1, 2) ? std::to_string(bits) : "0x" + hex(bits);
    std::string names;
    for (unsigned bit = 0; bit < 8; ++bit) {
      if ((bits >> bit & 1) == 0) continue;
      if (!names.empty()) names += " | ";
      names += kFlagNames[bit];
    }
    return paren(names);
  }

  static std::string hex(unsigned value) {
    static constexpr char kDigits[] = "0123456789abcdef";
    return std::string{kDigits[value >> 4 & 15], kDigits[value & 15]};
  }

  std::string port_variable() {
    static constexpr std::array<std::string_view, 3> kPortsAndLen = {"src_port", "dst_port", "len"};
    if (options_.directional && rng_.chance(1, 3)) return std::string(pick(kDirectionalPorts));
    return std::string(pick(kPortsAndLen));
  }

  // `tcp && dst_port == 80`-like terms, the bread and butter of real filters.
  std::string port_test() {
    std::string protocol = rng_.chance(1, 2) ? "tcp" : "udp";
    std::string test = port_variable() + " " + std::string(pick(kComparisons)) + " " +
                       std::string(pick(kPorts));
    return rng_.chance(1, 2) ? protocol + " && " + test : test;
  }

  // `x in {...}` (docs/filter-language.md §7): mostly a port or len against ports and ranges, sometimes any value
  // against negative or huge constants.
  std::string set_test(unsigned depth) {
    std::string x = rng_.chance(2, 3) ? numeric_variable() : paren(value(depth));
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
  // §6.1: division by a value that may be 0 or -1, shifts by 63/64/65/-1, INT64_MIN arithmetic.
  std::string arithmetic_edge(unsigned depth) {
    std::string x = rng_.chance(1, 2) ? numeric_variable() : paren(value(depth));
    switch (rng_.below(6)) {
      case 0: return paren(x) + (rng_.chance(1, 2) ? " / " : " % ") + "(" + x + " - " + std::string(pick(kPorts)) + ")";
      case 1: return paren(x) + (rng_.chance(1, 2) ? " << " : " >> ") + "(" + numeric_variable() + " - " +
                     std::string(pick(kPorts)) + " + " + random_edge_constant(rng_) + ")";
      case 2: return "(-9223372036854775807 - " + numeric_variable() + ")" +
                     (rng_.chance(1, 2) ? " / " : " % ") + "(" + numeric_variable() + " - " +
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
