// The filter's abstract syntax tree: a closed variant of node types, a span on every node.
// It knows nothing of PEGTL or LLVM.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <variant>
#include <vector>

#include <bpffw/error.hpp>

namespace bpffw::ast {

// The packet variables of spec §4.
enum class Variable { Ip, Ipv6, Tcp, Udp, Icmp, SrcPort, DstPort, Len };

std::string_view variable_name(Variable variable);
std::optional<Variable> variable_by_name(std::string_view name);
inline constexpr Variable kAllVariables[] = {Variable::Ip,      Variable::Ipv6,    Variable::Tcp,
                                             Variable::Udp,     Variable::Icmp,    Variable::SrcPort,
                                             Variable::DstPort, Variable::Len};

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
// A runtime parameter (spec §6): the index of its declaration (Filter::parameters()), whose
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
// `value in {e1, lo..hi, ...}` (spec §7): 1 when value equals an item or lies in a range, else 0.
struct SetMember {
  ExprPtr value;
  std::vector<SetRange> ranges;  // as written: not sorted or merged; at least one
};

using Node = std::variant<Literal, VariableRef, ParameterRef, Unary, Binary, Logical, Conditional, SetMember>;

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
