// docs/filter-language.md §6: evaluation of the AST on the facts read from one packet. All
// arithmetic is done on uint64_t, where C++ defines wrap-around, and converted back to the signed
// value the spec talks about.
#include <bpffw/interpreter.hpp>

#include <cstdint>
#include <limits>
#include <optional>
#include <vector>

#include "interpreter/evaluate.hpp"
#include "interpreter/operations.hpp"
#include "interpreter/packet_facts.hpp"
#include "parser/ast.hpp"
#include "parser/filter_access.hpp"

namespace bpffw {
namespace {

using interpreter::binary;
using interpreter::established;
using interpreter::in_prefix;
using interpreter::resolve;
using interpreter::unary;
using std::int64_t;
using std::uint64_t;

int64_t from_bits(uint64_t bits) { return static_cast<int64_t>(bits); }  // two's complement (C++20)

// Everything one evaluation reads: the packet's facts, its socket, the filter's direction and
// the runtime parameters' values.
struct Context {
  const interpreter::PacketFacts& facts;
  std::span<const std::int64_t> parameters;
  std::optional<Direction> direction;
  PacketSocket socket;
  const std::vector<NamedSet>& sets;  // the named sets' contents (§9)
  // The part of the expression that decided the value last computed (InterpretResult::decided_by).
  const ast::Expr** decider;
};

// Whether `expr` passes the decision on to the operand it evaluated last: &&, || and ! decide
// nothing themselves, nor does ?: (its branch does).
bool hands_decision_on(const ast::Expr& expr) {
  if (std::holds_alternative<ast::Logical>(expr.node) || std::holds_alternative<ast::Conditional>(expr.node))
    return true;
  const auto* unary = std::get_if<ast::Unary>(&expr.node);
  return unary != nullptr && unary->op == ast::UnaryOp::LogicalNot;
}

int64_t variable_value(ast::Variable variable, const Context& context) {
  const interpreter::PacketFacts& facts = context.facts;
  switch (resolve(variable, context.direction)) {
    case ast::Variable::Ip: return from_bits(facts.ip);
    case ast::Variable::Ipv6: return from_bits(facts.ipv6);
    case ast::Variable::Tcp: return from_bits(facts.tcp);
    case ast::Variable::Udp: return from_bits(facts.udp);
    case ast::Variable::Icmp: return from_bits(facts.icmp);
    case ast::Variable::SrcPort: return from_bits(facts.src_port);
    case ast::Variable::DstPort: return from_bits(facts.dst_port);
    case ast::Variable::Len: return from_bits(facts.len);
    case ast::Variable::IcmpType: return facts.icmp_type;
    case ast::Variable::IcmpCode: return facts.icmp_code;
    case ast::Variable::TcpFlags: return from_bits(facts.tcp_flags);
    case ast::Variable::Established: return established(context.socket.state);
    case ast::Variable::Ttl: return facts.ttl;
    case ast::Variable::Dscp: return facts.dscp;
    case ast::Variable::Ecn: return facts.ecn;
    case ast::Variable::FlowLabel: return facts.flow_label;
    case ast::Variable::Uid: return context.socket.uid;
    // Addresses are not integers: after the type check (§6.2) they appear only in AddressMatch
    // and AddressEqual (address_of). local_* and remote_* were resolved above.
    case ast::Variable::SrcAddr:
    case ast::Variable::DstAddr:
    case ast::Variable::LocalAddr:
    case ast::Variable::RemoteAddr:
    case ast::Variable::LocalPort:
    case ast::Variable::RemotePort: return 0;
  }
  // No default above: a variable added to the field table without a reading here does not compile
  // (-Werror=switch, lib/CMakeLists.txt).
  return 0;
}

const interpreter::IpAddress& address_of(ast::Variable variable, const Context& context) {
  return resolve(variable, context.direction) == ast::Variable::SrcAddr ? context.facts.src_addr
                                                                        : context.facts.dst_addr;
}

int64_t evaluate_node(const ast::Expr& expr, const Context& context);

// Recursion depth is bounded by the expression parser's nesting limit (ParseOptions::max_depth).
int64_t evaluate(const ast::Expr& expr, const Context& context) {
  int64_t value = evaluate_node(expr, context);
  if (!hands_decision_on(expr)) *context.decider = &expr;
  return value;
}

int64_t evaluate_node(const ast::Expr& expr, const Context& context) {
  return std::visit(
      ast::overloaded{
          [](const ast::Literal& literal) -> int64_t { return literal.value; },
          [&](const ast::VariableRef& ref) -> int64_t { return variable_value(ref.variable, context); },
          [&](const ast::ParameterRef& ref) -> int64_t {
            return ref.index < context.parameters.size() ? context.parameters[ref.index] : 0;
          },
          [&](const ast::Unary& node) -> int64_t { return unary(node.op, evaluate(*node.operand, context)); },
          [&](const ast::Binary& node) -> int64_t {
            int64_t lhs = evaluate(*node.lhs, context);
            return binary(node.op, lhs, evaluate(*node.rhs, context));
          },
          [&](const ast::Logical& node) -> int64_t {
            // Lazy: && stops at the first 0, || at the first non-zero; the result is 0 or 1.
            bool is_and = node.op == ast::LogicalOp::And;
            for (const ast::ExprPtr& operand : node.operands) {
              bool truth = evaluate(*operand, context) != 0;
              if (is_and && !truth) return 0;
              if (!is_and && truth) return 1;
            }
            return is_and ? 1 : 0;
          },
          [&](const ast::SetMember& node) -> int64_t {
            // docs/filter-language.md §7.1, as plainly as possible: a linear scan of the items as written.
            int64_t value = evaluate(*node.value, context);
            for (const ast::SetRange& range : node.ranges) {
              if (range.lo <= value && value <= range.hi) return 1;
            }
            return 0;
          },
          [&](const ast::Conditional& node) -> int64_t {
            return evaluate(*node.condition, context) != 0 ? evaluate(*node.if_true, context)
                                                           : evaluate(*node.if_false, context);
          },
          // The type check folds every address literal into an AddressMatch (§6.2).
          [](const ast::AddressLiteral&) -> int64_t { return 0; },
          [&](const ast::AddressMatch& node) -> int64_t {
            const interpreter::IpAddress& address = address_of(node.variable, context);
            for (const ast::Prefix& prefix : node.prefixes) {
              if (in_prefix(address, prefix)) return 1;
            }
            return 0;
          },
          // §9: a linear scan here too; the kernel's maps are what is under test.
          [&](const ast::NamedSetMember& node) -> int64_t {
            int64_t value = evaluate(*node.value, context);
            for (const SetIntegerRange& range : context.sets.at(node.set).items.ranges) {
              if (range.lo <= value && value <= range.hi) return 1;
            }
            return 0;
          },
          [&](const ast::AddressSetMatch& node) -> int64_t {
            const interpreter::IpAddress& address = address_of(node.variable, context);
            for (const SetPrefix& prefix : context.sets.at(node.set).items.prefixes) {
              ast::Prefix as_written{prefix.ipv6 ? ast::Family::Ipv6 : ast::Family::Ipv4, prefix.bytes, prefix.length};
              if (in_prefix(address, as_written)) return 1;
            }
            return 0;
          },
          [&](const ast::AddressEqual& node) -> int64_t {
            // §6.2: both present and the same.
            const interpreter::IpAddress& a = address_of(node.lhs, context);
            const interpreter::IpAddress& b = address_of(node.rhs, context);
            return a.family != 0 && a == b;
          },
      },
      expr.node);
}

}  // namespace

std::int64_t interpreter::evaluate_expression(const ast::Expr& expr, const PacketFacts& facts,
                                              std::span<const std::int64_t> parameters,
                                              std::optional<Direction> direction, PacketSocket socket,
                                              const std::vector<NamedSet>& sets) {
  const ast::Expr* decider = nullptr;
  return evaluate(expr, Context{facts, parameters, direction, socket, sets, &decider});
}

InterpretResult interpret(const Filter& filter, std::uint16_t skb_protocol, std::span<const unsigned char> packet,
                          PacketSocket socket) {
  std::vector<std::int64_t> initial;
  for (const Parameter& parameter : filter.parameters()) initial.push_back(parameter.value);
  return interpret(filter, skb_protocol, packet, initial, socket);
}

InterpretResult interpret(const Filter& filter, std::uint16_t skb_protocol, std::span<const unsigned char> packet,
                          std::span<const std::int64_t> parameter_values, PacketSocket socket) {
  interpreter::PacketFacts facts = interpreter::read_packet(skb_protocol, packet);
  // Malformed packets are dropped only by filters that read the packet or a parameter (§5.6).
  if (facts.malformed && filter.reads_packet()) return InterpretResult{false, true, std::nullopt};
  const ast::Expr* decider = nullptr;
  const Context context{facts, parameter_values, filter.direction(), socket, filter.sets(), &decider};
  int64_t value = evaluate(detail::FilterAccess::root(filter), context);
  return InterpretResult{value != 0, false, decider ? std::optional(decider->span) : std::nullopt};
}

}  // namespace bpffw
