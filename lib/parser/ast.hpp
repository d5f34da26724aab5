// The filter's abstract syntax tree: a closed variant of node types, a span on every node.
// It knows nothing of PEGTL or LLVM.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <variant>
#include <vector>

#include <bpffw/error.hpp>

#include "fields/packet_fields.hpp"

namespace bpffw::ast {

// The packet variables (docs/filter-language.md §4): one row each in fields/packet_fields.hpp.
using fields::kAllVariables;
using fields::Variable;

std::string_view variable_name(Variable variable);
std::optional<Variable> variable_by_name(std::string_view name);

// An IPv4 or IPv6 address, or a prefix of one (§2.4): 192.0.2.1, 10.0.0.0/8, fd00::/8.
enum class Family : std::uint8_t { Ipv4 = 4, Ipv6 = 6 };
struct Prefix {
  Family family = Family::Ipv4;
  std::array<std::uint8_t, 16> bytes{};  // network byte order; IPv4 in the first 4; host bits 0
  unsigned length = 32;                  // in bits: 32 or 128 for one address
  bool operator==(const Prefix&) const = default;
};
unsigned address_bits(Family family);  // 32 or 128

enum class UnaryOp { LogicalNot, BitNot, Negate, Plus };
enum class BinaryOp { Mul, Div, Mod, Add, Sub, Shl, Shr, Lt, Le, Gt, Ge, Eq, Ne, BitAnd, BitXor, BitOr };
enum class LogicalOp { And, Or };

std::string_view op_symbol(UnaryOp op);
std::string_view op_symbol(BinaryOp op);
std::string_view op_symbol(LogicalOp op);

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

struct Literal {
  std::int64_t value;  // `true` and `false` are literals 1 and 0
};
struct VariableRef {
  Variable variable;
};
// A runtime parameter (docs/filter-language.md §6.3): the index of its declaration (Filter::parameters()), whose
// value the program reads from a map at run time.
struct ParameterRef {
  std::uint32_t index;
};
struct Unary {
  UnaryOp op;
  ExprPtr operand;
};
struct Binary {
  BinaryOp op;
  ExprPtr lhs;
  ExprPtr rhs;
};
// `a && b && c` is one node with three operands, so that long chains make a flat tree.
struct Logical {
  LogicalOp op;
  std::vector<ExprPtr> operands;  // at least two
};
struct Conditional {
  ExprPtr condition;
  ExprPtr if_true;
  ExprPtr if_false;
};
// One item of a set: a constant (lo == hi) or an inclusive range lo..hi, lo <= hi.
struct SetRange {
  std::int64_t lo;
  std::int64_t hi;
};
// `value in {e1, lo..hi, ...}` (docs/filter-language.md §7): 1 when value equals an item or lies in a range, else 0.
// The parser also reads sets of addresses and prefixes into `prefixes`; the type check turns
// those into AddressMatch, so after it a SetMember has integer ranges only.
struct SetMember {
  ExprPtr value;
  std::vector<SetRange> ranges;  // as written: not sorted or merged
  std::vector<Prefix> prefixes;  // addresses and prefixes, as written
};
// An address or prefix written in the expression. Only between parsing and the type check, which
// folds each into the AddressMatch it is compared with.
struct AddressLiteral {
  Prefix prefix;
};
// After the type check, every use of an address variable is one of these two (§6.2):
// 1 when the packet has the address and it lies in one of the prefixes (a mix of families).
struct AddressMatch {
  Variable variable;             // src_addr, dst_addr, local_addr or remote_addr
  std::vector<Prefix> prefixes;  // at least one
};
// 1 when the packet has both addresses and they are the same (`src_addr == dst_addr`).
struct AddressEqual {
  Variable lhs;
  Variable rhs;
};

// `value in NAME` (docs/filter-language.md §9): a named set, the index of its declaration
// (Filter::sets()), whose contents the program looks up in a map. After the type check the value
// is an integer; an address variable tested against an address set is an AddressSetMatch instead.
struct NamedSetMember {
  ExprPtr value;
  std::uint32_t set;
};
// 1 when the packet has the address and it lies in a prefix of named set `set`.
struct AddressSetMatch {
  Variable variable;
  std::uint32_t set;
};

using Node = std::variant<Literal, VariableRef, ParameterRef, Unary, Binary, Logical, Conditional, SetMember,
                          AddressLiteral, AddressMatch, AddressEqual, NamedSetMember, AddressSetMatch>;

struct Expr {
  Node node;
  SourceSpan span;
  unsigned depth = 1;  // 1 for a leaf; 1 + the deepest operand otherwise
};

// std::visit helper: overloaded{[](const Literal&) {...}, ...}
template <class... Fs>
struct overloaded : Fs... {
  using Fs::operator()...;
};
template <class... Fs>
overloaded(Fs...) -> overloaded<Fs...>;

}  // namespace bpffw::ast
