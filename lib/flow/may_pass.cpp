// may_pass (may_pass.hpp): each subexpression of the filter becomes what it may be for a first
// packet of the flow, as expressions of what the socket knows. An integer is one of a list of
// expressions, or any integer where a condition holds; a truth (&&, ||, !, comparisons, set
// tests) is two conditions: that it may be 0, that it may be 1. Kleene's logic on those: `a && b`
// may be 1 when both may, may be 0 when either may. Sound by construction: every list holds every
// value a packet of the flow could give.
#include "flow/may_pass.hpp"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

namespace bpffw::flow {
namespace {

using ast::Expr;
using ast::ExprPtr;
using ast::Variable;

// Past this many, a value is any integer: precision only costs code.
constexpr std::size_t kMostValues = 64;

// Building the condition may make this many times the filter's size (nodes), plus this many,
// before it is given up for the constant 1: copies of a subexpression multiply with nested
// arithmetic. The condition itself may be at most kLargerBy nodes larger than the filter: its
// program must compile wherever the filter's does (the code generator's limits, such as the
// conditions in a row on one path, grow with the size), and a larger one is given up too.
constexpr std::size_t kGrowth = 8, kSlack = 100000, kLargerBy = 256;

struct Exhausted {};

// What an integer subexpression may be: one of `values`, or any integer when `any` is non-zero.
struct Integer {
  ExprPtr any;
  std::vector<ExprPtr> values;
};

// What a truth may be: 0 when `may_be_0` is non-zero, 1 when `may_be_1` is.
struct Truth {
  ExprPtr may_be_0, may_be_1;
};

struct Possible {
  std::optional<Integer> integer;
  std::optional<Truth> truth;
};

std::optional<std::int64_t> constant(const Expr& expr) {
  if (const auto* literal = std::get_if<ast::Literal>(&expr.node)) return literal->value;
  return std::nullopt;
}

unsigned depth_below(const ast::Node& node) {
  unsigned deepest = 0;
  auto see = [&](const ExprPtr& child) { deepest = std::max(deepest, child->depth); };
  std::visit(ast::overloaded{
                 [&](const ast::Unary& n) { see(n.operand); },
                 [&](const ast::Binary& n) { see(n.lhs), see(n.rhs); },
                 [&](const ast::Logical& n) { std::for_each(n.operands.begin(), n.operands.end(), see); },
                 [&](const ast::Conditional& n) { see(n.condition), see(n.if_true), see(n.if_false); },
                 [&](const ast::SetMember& n) { see(n.value); },
                 [&](const ast::NamedSetMember& n) { see(n.value); },
                 [](const auto&) {},
             },
             node);
  return deepest;
}

class Rewrite {
 public:
  Rewrite(std::size_t budget, Judged judged) : budget_(budget), judged_(judged) {}

  Possible of(const Expr& expr);
  Truth truth(Possible possible, const SourceSpan& span);
  ExprPtr make(ast::Node node, const SourceSpan& span) {
    if (++made_ > budget_) throw Exhausted{};
    unsigned depth = 1 + depth_below(node);
    return std::make_unique<Expr>(Expr{std::move(node), span, depth});
  }

 private:
  ExprPtr literal(std::int64_t value, const SourceSpan& span) { return make(ast::Literal{value}, span); }
  ExprPtr variable(Variable variable, const SourceSpan& span) { return make(ast::VariableRef{variable}, span); }
  ExprPtr copy(const Expr& expr);
  ExprPtr negation(ExprPtr operand);
  // An && (is_and) or || of operands read as truths, constants folded: && of none is 1.
  ExprPtr logical(bool is_and, std::vector<ExprPtr> operands, const SourceSpan& span);
  ExprPtr either(ExprPtr a, ExprPtr b, const SourceSpan& span) { return logical(false, pair(a, b), span); }
  ExprPtr both(ExprPtr a, ExprPtr b, const SourceSpan& span) { return logical(true, pair(a, b), span); }
  ExprPtr choose(ExprPtr condition, ExprPtr if_true, ExprPtr if_false, const SourceSpan& span);
  static std::vector<ExprPtr> pair(ExprPtr& a, ExprPtr& b) {
    std::vector<ExprPtr> operands;
    operands.push_back(std::move(a));
    operands.push_back(std::move(b));
    return operands;
  }

  Possible known(ExprPtr value) {
    Integer integer{literal(0, value->span), {}};
    integer.values.push_back(std::move(value));
    return {std::move(integer), std::nullopt};
  }
  Possible anything(const SourceSpan& span) { return {Integer{literal(1, span), {}}, std::nullopt}; }
  Possible truth_of(Truth truth) { return {std::nullopt, std::move(truth)}; }
  Possible unknown_truth(const SourceSpan& span) { return truth_of({literal(1, span), literal(1, span)}); }
  // A test that the socket can make itself: its value is the test's.
  Possible decided(ExprPtr test) {
    ExprPtr again = copy(*test);
    return truth_of({negation(std::move(test)), std::move(again)});
  }
  Integer integer(Possible possible, const SourceSpan& span);
  Possible variable_value(Variable variable, const SourceSpan& span);
  Possible comparison(const ast::Binary& node, const SourceSpan& span);
  Possible arithmetic(const ast::Binary& node, const SourceSpan& span);
  Possible conditional(const ast::Conditional& node, const SourceSpan& span);
  // A test of each value (`test` makes one from a copy), as a truth.
  template <class Test>
  Possible each_value(const Expr& value, const SourceSpan& span, Test test);
  Possible unknown_address_match(const std::vector<ast::Prefix>& prefixes, const SourceSpan& span);

  // The variable a written one is in the judged direction (local_port: dst_port on ingress).
  Variable resolved(Variable written) const {
    const fields::PacketField& row = fields::field(written);
    if (row.source != fields::Source::Alias) return written;
    return judged_ == Judged::FirstPacketsOut ? row.on_egress : row.on_ingress;
  }

  std::size_t budget_, made_ = 0;
  Judged judged_;
};

ExprPtr Rewrite::copy(const Expr& expr) {
  auto children = [&](const auto& node) -> ast::Node {
    using Node = std::decay_t<decltype(node)>;
    if constexpr (std::is_same_v<Node, ast::Unary>) {
      return ast::Unary{node.op, copy(*node.operand)};
    } else if constexpr (std::is_same_v<Node, ast::Binary>) {
      return ast::Binary{node.op, copy(*node.lhs), copy(*node.rhs)};
    } else if constexpr (std::is_same_v<Node, ast::Logical>) {
      ast::Logical out{node.op, {}};
      for (const ExprPtr& operand : node.operands) out.operands.push_back(copy(*operand));
      return out;
    } else if constexpr (std::is_same_v<Node, ast::Conditional>) {
      return ast::Conditional{copy(*node.condition), copy(*node.if_true), copy(*node.if_false)};
    } else if constexpr (std::is_same_v<Node, ast::SetMember>) {
      return ast::SetMember{copy(*node.value), node.ranges, node.prefixes};
    } else if constexpr (std::is_same_v<Node, ast::NamedSetMember>) {
      return ast::NamedSetMember{copy(*node.value), node.set};
    } else {
      return node;
    }
  };
  return make(std::visit(children, expr.node), expr.span);
}

ExprPtr Rewrite::negation(ExprPtr operand) {
  if (auto value = constant(*operand)) return literal(*value == 0, operand->span);
  SourceSpan span = operand->span;
  return make(ast::Unary{ast::UnaryOp::LogicalNot, std::move(operand)}, span);
}

ExprPtr Rewrite::logical(bool is_and, std::vector<ExprPtr> operands, const SourceSpan& span) {
  const ast::LogicalOp op = is_and ? ast::LogicalOp::And : ast::LogicalOp::Or;
  std::vector<ExprPtr> kept;
  for (ExprPtr& operand : operands) {
    if (auto value = constant(*operand)) {
      if ((*value != 0) != is_and) return literal(is_and ? 0 : 1, span);  // decides the chain
      continue;                                                           // changes nothing
    }
    // One flat chain, as the parser makes them: the rule lists (§7.4) look for that form.
    if (auto* inner = std::get_if<ast::Logical>(&operand->node); inner != nullptr && inner->op == op) {
      for (ExprPtr& nested : inner->operands) kept.push_back(std::move(nested));
      continue;
    }
    kept.push_back(std::move(operand));
  }
  if (kept.empty()) return literal(is_and ? 1 : 0, span);
  // Read as a truth only, so one operand stands for itself.
  if (kept.size() == 1) return std::move(kept.front());
  return make(ast::Logical{op, std::move(kept)}, span);
}

ExprPtr Rewrite::choose(ExprPtr condition, ExprPtr if_true, ExprPtr if_false, const SourceSpan& span) {
  if (auto value = constant(*condition)) return *value != 0 ? std::move(if_true) : std::move(if_false);
  return make(ast::Conditional{std::move(condition), std::move(if_true), std::move(if_false)}, span);
}

// A truth as an integer: 0 where it may be 0, 1 where it may be 1.
Integer Rewrite::integer(Possible possible, const SourceSpan& span) {
  if (possible.integer) return std::move(*possible.integer);
  Truth& truth = *possible.truth;
  Integer integer{literal(0, span), {}};
  const auto may_be_0 = constant(*truth.may_be_0), may_be_1 = constant(*truth.may_be_1);
  if (may_be_0 != 0)
    integer.values.push_back(choose(std::move(truth.may_be_0), literal(0, span), literal(1, span), span));
  if (may_be_1 != 0)
    integer.values.push_back(choose(std::move(truth.may_be_1), literal(1, span), literal(0, span), span));
  return integer;
}

Truth Rewrite::truth(Possible possible, const SourceSpan& span) {
  if (possible.truth) return std::move(*possible.truth);
  Integer& integer = *possible.integer;
  std::vector<ExprPtr> zero, non_zero;
  zero.push_back(copy(*integer.any));
  non_zero.push_back(std::move(integer.any));
  for (ExprPtr& value : integer.values) {
    zero.push_back(negation(copy(*value)));
    non_zero.push_back(std::move(value));
  }
  return {logical(false, std::move(zero), span), logical(false, std::move(non_zero), span)};
}

// docs/filter-language.md §10: what a packet judged reads: a first packet of the flow, egress; or
// any packet to the bound address and port, ingress.
Possible Rewrite::variable_value(Variable written, const SourceSpan& span) {
  const Variable variable = resolved(written);
  auto values = [&](std::int64_t lo, std::int64_t hi) {
    Integer integer{literal(0, span), {}};
    for (std::int64_t v = lo; v <= hi; ++v) integer.values.push_back(literal(v, span));
    return Possible{std::move(integer), std::nullopt};
  };
  if (known_at_socket(variable, judged_)) return known(this->variable(variable, span));
  const bool to_bound = judged_ != Judged::FirstPacketsOut;
  switch (variable) {
    case Variable::Icmp: return known(literal(0, span));
    case Variable::IcmpType:
    case Variable::IcmpCode: return known(literal(-1, span));
    // Every packet to a bound port: a reply to the socket's own connection as well as a new one.
    case Variable::Established:
      if (to_bound) return values(0, 1);
      break;
    // A SYN, with ECE and CWR when it asks for ECN; a UDP datagram has no flags. To a bound port:
    // any.
    case Variable::TcpFlags: {
      if (to_bound) return anything(span);
      Integer integer{literal(0, span), {}};
      for (std::int64_t flags : {0x02, 0xc2})
        integer.values.push_back(
            choose(this->variable(Variable::Tcp, span), literal(flags, span), literal(0, span), span));
      return {std::move(integer), std::nullopt};
    }
    case Variable::Dscp: return values(0, 63);  // IP_TOS, IPV6_TCLASS
    case Variable::Ecn: return values(0, 3);
    case Variable::FlowLabel: {  // IPv4 has none
      Possible none = known(literal(-1, span));
      none.integer->any = this->variable(Variable::Ipv6, span);
      return none;
    }
    // The local end (bound or not: the hooks do not read it), the length, the TTL, and the uid:
    // the hook sees the calling process's, which is not the socket's owner's for a socket
    // passed from another process (systemd's socket activation).
    case Variable::SrcPort:
    case Variable::Len:
    case Variable::Ttl:
    case Variable::Uid: return anything(span);
    // Addresses are not integers (§6.2); the others are known.
    case Variable::SrcAddr:
    case Variable::DstAddr:
    case Variable::LocalAddr:
    case Variable::RemoteAddr: return known(literal(0, span));
    case Variable::Ip:
    case Variable::Ipv6:
    case Variable::Tcp:
    case Variable::Udp:
    case Variable::DstPort:
    case Variable::LocalPort:
    case Variable::RemotePort: break;
  }
  return anything(span);
}

Possible Rewrite::comparison(const ast::Binary& node, const SourceSpan& span) {
  Integer lhs = integer(of(*node.lhs), node.lhs->span), rhs = integer(of(*node.rhs), node.rhs->span);
  if (lhs.values.empty() || rhs.values.empty() || lhs.values.size() * rhs.values.size() > kMostValues)
    return unknown_truth(span);
  std::vector<ExprPtr> zero, one;
  zero.push_back(either(copy(*lhs.any), copy(*rhs.any), span));
  one.push_back(either(std::move(lhs.any), std::move(rhs.any), span));
  for (const ExprPtr& a : lhs.values)
    for (const ExprPtr& b : rhs.values) {
      ExprPtr test = make(ast::Binary{node.op, copy(*a), copy(*b)}, span);
      zero.push_back(negation(copy(*test)));
      one.push_back(std::move(test));
    }
  return truth_of({logical(false, std::move(zero), span), logical(false, std::move(one), span)});
}

Possible Rewrite::arithmetic(const ast::Binary& node, const SourceSpan& span) {
  Integer lhs = integer(of(*node.lhs), node.lhs->span), rhs = integer(of(*node.rhs), node.rhs->span);
  if (lhs.values.empty() || rhs.values.empty() || lhs.values.size() * rhs.values.size() > kMostValues)
    return anything(span);
  Integer out{either(std::move(lhs.any), std::move(rhs.any), span), {}};
  for (const ExprPtr& a : lhs.values)
    for (const ExprPtr& b : rhs.values) out.values.push_back(make(ast::Binary{node.op, copy(*a), copy(*b)}, span));
  return {std::move(out), std::nullopt};
}

Possible Rewrite::conditional(const ast::Conditional& node, const SourceSpan& span) {
  Truth condition = truth(of(*node.condition), node.condition->span);
  Possible if_true = of(*node.if_true), if_false = of(*node.if_false);
  if (if_true.truth && if_false.truth) {
    // May be 0: a branch that may be taken may be 0.
    auto may = [&](ExprPtr& in_true, ExprPtr& in_false) {
      return either(both(copy(*condition.may_be_1), std::move(in_true), span),
                    both(copy(*condition.may_be_0), std::move(in_false), span), span);
    };
    ExprPtr may_be_0 = may(if_true.truth->may_be_0, if_false.truth->may_be_0);
    ExprPtr may_be_1 = may(if_true.truth->may_be_1, if_false.truth->may_be_1);
    return truth_of({std::move(may_be_0), std::move(may_be_1)});
  }
  Integer t = integer(std::move(if_true), span), f = integer(std::move(if_false), span);
  Integer out{either(both(copy(*condition.may_be_1), std::move(t.any), span),
                     both(copy(*condition.may_be_0), std::move(f.any), span), span),
              {}};
  if (t.values.size() + f.values.size() > kMostValues) return anything(span);
  if (t.values.empty() || f.values.empty()) {
    // That branch is any integer wherever it may be taken: the other's values need no guard.
    for (Integer* branch : {&t, &f})
      for (ExprPtr& value : branch->values) out.values.push_back(std::move(value));
    if (out.values.empty()) return anything(span);
    return {std::move(out), std::nullopt};
  }
  // Where the condition is surely 0, the true branch's values stand for the false one's first;
  // where surely non-zero, the other way round: the list is then one branch's values.
  ExprPtr first_true = copy(*t.values.front()), first_false = copy(*f.values.front());
  for (ExprPtr& value : t.values)
    out.values.push_back(choose(negation(copy(*condition.may_be_1)), copy(*first_false), std::move(value), span));
  for (ExprPtr& value : f.values)
    out.values.push_back(choose(negation(copy(*condition.may_be_0)), copy(*first_true), std::move(value), span));
  return {std::move(out), std::nullopt};
}

template <class Test>
Possible Rewrite::each_value(const Expr& value, const SourceSpan& span, Test test) {
  Integer integer = this->integer(of(value), value.span);
  if (integer.values.empty()) return unknown_truth(span);
  std::vector<ExprPtr> zero, one;
  zero.push_back(copy(*integer.any));
  one.push_back(std::move(integer.any));
  for (ExprPtr& v : integer.values) {
    ExprPtr tested = make(test(std::move(v)), span);
    zero.push_back(negation(copy(*tested)));
    one.push_back(std::move(tested));
  }
  return truth_of({logical(false, std::move(zero), span), logical(false, std::move(one), span)});
}

// An address not known, only its family (egress: the local one; to a bound port: the peer's, or the
// local one of a socket bound to 0.0.0.0 or ::): a prefix of it may hold it, /0 surely does.
Possible Rewrite::unknown_address_match(const std::vector<ast::Prefix>& prefixes, const SourceSpan& span) {
  std::vector<ExprPtr> may_be_1, surely_1;
  for (auto [family, variable] :
       {std::pair{ast::Family::Ipv4, Variable::Ip}, std::pair{ast::Family::Ipv6, Variable::Ipv6}}) {
    auto of_family = [&](const ast::Prefix& prefix) { return prefix.family == family; };
    auto whole = [&](const ast::Prefix& prefix) { return prefix.family == family && prefix.length == 0; };
    if (std::any_of(prefixes.begin(), prefixes.end(), of_family)) may_be_1.push_back(this->variable(variable, span));
    if (std::any_of(prefixes.begin(), prefixes.end(), whole)) surely_1.push_back(this->variable(variable, span));
  }
  return truth_of({negation(logical(false, std::move(surely_1), span)), logical(false, std::move(may_be_1), span)});
}

Possible Rewrite::of(const Expr& expr) {
  const SourceSpan& span = expr.span;
  const bool destination_known = known_at_socket(Variable::DstAddr, judged_);
  auto resolved = [&](Variable written) { return this->resolved(written); };
  return std::visit(ast::overloaded{
                        [&](const ast::Literal&) { return known(copy(expr)); },
                        [&](const ast::ParameterRef&) { return known(copy(expr)); },
                        [&](const ast::VariableRef& node) { return variable_value(node.variable, span); },
                        [&](const ast::Unary& node) -> Possible {
                          if (node.op == ast::UnaryOp::LogicalNot) {
                            Truth operand = truth(of(*node.operand), span);
                            return truth_of({std::move(operand.may_be_1), std::move(operand.may_be_0)});
                          }
                          Integer operand = integer(of(*node.operand), span);
                          for (ExprPtr& value : operand.values)
                            value = make(ast::Unary{node.op, std::move(value)}, span);
                          return {std::move(operand), std::nullopt};
                        },
                        [&](const ast::Binary& node) {
                          switch (node.op) {
                            case ast::BinaryOp::Lt:
                            case ast::BinaryOp::Le:
                            case ast::BinaryOp::Gt:
                            case ast::BinaryOp::Ge:
                            case ast::BinaryOp::Eq:
                            case ast::BinaryOp::Ne: return comparison(node, span);
                            default: return arithmetic(node, span);
                          }
                        },
                        [&](const ast::Logical& node) {
                          const bool is_and = node.op == ast::LogicalOp::And;
                          std::vector<ExprPtr> zero, one;
                          for (const ExprPtr& operand : node.operands) {
                            Truth t = truth(of(*operand), operand->span);
                            zero.push_back(std::move(t.may_be_0));
                            one.push_back(std::move(t.may_be_1));
                          }
                          // &&: may be 0 when any operand may, may be 1 when all may; || the other way round.
                          ExprPtr may_be_0 = logical(!is_and, std::move(zero), span);
                          ExprPtr may_be_1 = logical(is_and, std::move(one), span);
                          return truth_of({std::move(may_be_0), std::move(may_be_1)});
                        },
                        [&](const ast::Conditional& node) { return conditional(node, span); },
                        [&](const ast::SetMember& node) {
                          return each_value(*node.value, span, [&](ExprPtr v) {
                            return ast::SetMember{std::move(v), node.ranges, node.prefixes};
                          });
                        },
                        [&](const ast::NamedSetMember& node) {
                          return each_value(*node.value, span,
                                            [&](ExprPtr v) { return ast::NamedSetMember{std::move(v), node.set}; });
                        },
                        [&](const ast::AddressLiteral&) { return known(literal(0, span)); },
                        [&](const ast::AddressMatch& node) {
                          if (resolved(node.variable) == Variable::DstAddr && destination_known)
                            return decided(make(ast::AddressMatch{Variable::DstAddr, node.prefixes}, span));
                          return unknown_address_match(node.prefixes, span);
                        },
                        // The set's contents change while the program runs: only the peer's address is tested.
                        [&](const ast::AddressSetMatch& node) {
                          if (resolved(node.variable) == Variable::DstAddr && destination_known)
                            return decided(make(ast::AddressSetMatch{Variable::DstAddr, node.set}, span));
                          return unknown_truth(span);
                        },
                        [&](const ast::AddressEqual& node) {
                          if (resolved(node.lhs) == resolved(node.rhs))  // one address, compared with itself
                            return truth_of({literal(0, span), literal(1, span)});
                          return unknown_truth(span);
                        },
                    },
                    expr.node);
}

std::size_t size_of(const Expr& expr) {
  std::size_t size = 1;
  std::visit(ast::overloaded{
                 [&](const ast::Unary& n) { size += size_of(*n.operand); },
                 [&](const ast::Binary& n) { size += size_of(*n.lhs) + size_of(*n.rhs); },
                 [&](const ast::Logical& n) {
                   for (const ExprPtr& operand : n.operands) size += size_of(*operand);
                 },
                 [&](const ast::Conditional& n) {
                   size += size_of(*n.condition) + size_of(*n.if_true) + size_of(*n.if_false);
                 },
                 [&](const ast::SetMember& n) { size += size_of(*n.value); },
                 [&](const ast::NamedSetMember& n) { size += size_of(*n.value); },
                 [](const auto&) {},
             },
             expr.node);
  return size;
}

}  // namespace

bool known_at_socket(ast::Variable variable, Judged judged) {
  switch (variable) {
    case Variable::Ip:
    case Variable::Ipv6:
    case Variable::Tcp:
    case Variable::Udp:
    case Variable::DstPort: return true;
    case Variable::DstAddr: return judged != Judged::ToBoundWildcard;
    case Variable::Established: return judged == Judged::FirstPacketsOut;
    default: return false;
  }
}

ast::ExprPtr may_pass(const ast::Expr& filter, Judged judged) {
  const std::size_t size = size_of(filter);
  Rewrite rewrite(kGrowth * size + kSlack, judged);
  try {
    ast::ExprPtr condition = std::move(rewrite.truth(rewrite.of(filter), filter.span).may_be_1);
    if (size_of(*condition) <= size + kLargerBy) return condition;
  } catch (const Exhausted&) {
    // given up below
  }
  return Rewrite(1, judged).make(ast::Literal{1}, filter.span);
}

}  // namespace bpffw::flow
