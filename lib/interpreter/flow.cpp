// judge_flow (bpffw/interpreter.hpp): the expression evaluated over every first packet a flow can
// send, with what a socket hook does not know left open. A value is a short list of the integers
// it may be, or any integer; && and || are Kleene's; an operator on lists is applied to every
// pair. Sound by construction: a list holds every value a packet of the flow could give.
#include <algorithm>
#include <vector>

#include <bpffw/interpreter.hpp>

#include "interpreter/operations.hpp"
#include "parser/filter_access.hpp"

namespace bpffw {
namespace {

using std::int64_t;

// Past this many, a value is any integer: precision only costs time.
constexpr std::size_t kMostValues = 64;

struct Values {
  bool any = false;
  std::vector<int64_t> list;  // sorted, distinct; meaningful when !any

  static Values of(std::initializer_list<int64_t> values) { return normalized(std::vector<int64_t>(values)); }
  static Values anything() { return {true, {}}; }
  static Values normalized(std::vector<int64_t> values) {
    std::sort(values.begin(), values.end());
    values.erase(std::unique(values.begin(), values.end()), values.end());
    if (values.size() > kMostValues) return anything();
    return {false, std::move(values)};
  }
  static Values truth(bool can_be_false, bool can_be_true) {
    std::vector<int64_t> values;
    if (can_be_false) values.push_back(0);
    if (can_be_true) values.push_back(1);
    return {false, values};
  }
  bool only_zero() const { return !any && list == std::vector<int64_t>{0}; }
  bool never_zero() const { return !any && !std::binary_search(list.begin(), list.end(), 0); }
};

Values join(const Values& a, const Values& b) {
  if (a.any || b.any) return Values::anything();
  std::vector<int64_t> both = a.list;
  both.insert(both.end(), b.list.begin(), b.list.end());
  return Values::normalized(std::move(both));
}

// An address of the flow's packets: known, or only its family.
struct Address {
  bool known = false;
  interpreter::IpAddress address;
};

// What the first packets of the flow carry (§4), egress: the source is the local end.
class FlowFacts {
 public:
  explicit FlowFacts(const Flow& flow) : flow_(flow) {
    const int family = flow.ipv6 ? 6 : 4;
    remote_.known = true;
    remote_.address = {family, flow.remote_addr};
    local_.known = flow.local_addr.has_value();
    local_.address = {family, flow.local_addr.value_or(std::array<std::uint8_t, 16>{})};
  }

  Values integer(ast::Variable variable) const {
    const bool tcp = flow_.protocol == 6, udp = flow_.protocol == 17;
    switch (variable) {
      case ast::Variable::Ip: return Values::of({flow_.ipv6 ? 0 : 1});
      case ast::Variable::Ipv6: return Values::of({flow_.ipv6 ? 1 : 0});
      case ast::Variable::Tcp: return Values::of({tcp});
      case ast::Variable::Udp: return Values::of({udp});
      case ast::Variable::Icmp: return Values::of({0});
      case ast::Variable::SrcPort: return flow_.local_port ? Values::of({*flow_.local_port}) : Values::anything();
      case ast::Variable::DstPort: return Values::of({flow_.remote_port});
      case ast::Variable::Len: return Values::anything();
      case ast::Variable::IcmpType:
      case ast::Variable::IcmpCode: return Values::of({-1});
      // A SYN, with ECE and CWR when it asks for ECN; a UDP datagram has no flags.
      case ast::Variable::TcpFlags: return tcp ? Values::of({0x02, 0xc2}) : Values::of({0});
      // §4.5: a SYN of this socket's connect(), a connected UDP socket: 1; an unconnected one: 0.
      case ast::Variable::Established: return Values::of({flow_.connected ? 1 : 0});
      case ast::Variable::Ttl: return Values::anything();  // IP_TTL, IPV6_UNICAST_HOPS
      case ast::Variable::Dscp: return range(0, 63);       // IP_TOS, IPV6_TCLASS
      case ast::Variable::Ecn: return range(0, 3);
      case ast::Variable::FlowLabel: return flow_.ipv6 ? Values::anything() : Values::of({-1});
      case ast::Variable::Uid: return Values::of({flow_.uid});
      // Addresses are not integers (§6.2); local_* and remote_* are resolved before.
      case ast::Variable::SrcAddr:
      case ast::Variable::DstAddr:
      case ast::Variable::LocalAddr:
      case ast::Variable::RemoteAddr:
      case ast::Variable::LocalPort:
      case ast::Variable::RemotePort: return Values::of({0});
    }
    return Values::anything();
  }

  const Address& address(ast::Variable variable) const { return variable == ast::Variable::SrcAddr ? local_ : remote_; }

 private:
  static Values range(int64_t lo, int64_t hi) {
    std::vector<int64_t> values;
    for (int64_t v = lo; v <= hi; ++v) values.push_back(v);
    return Values::normalized(std::move(values));
  }

  const Flow& flow_;
  Address remote_, local_;
};

class FlowEvaluation {
 public:
  FlowEvaluation(const Filter& filter, const FlowFacts& facts) : filter_(filter), facts_(facts) {}

  Values evaluate(const ast::Expr& expr) const {
    return std::visit(
        ast::overloaded{
            [](const ast::Literal& literal) { return Values::of({literal.value}); },
            [&](const ast::VariableRef& ref) { return facts_.integer(variable(ref.variable)); },
            [&](const ast::ParameterRef& ref) {
              const auto& parameters = filter_.parameters();
              return Values::of({ref.index < parameters.size() ? parameters[ref.index].value : 0});
            },
            [&](const ast::Unary& node) {
              Values operand = evaluate(*node.operand);
              if (operand.any)
                return node.op == ast::UnaryOp::LogicalNot ? Values::truth(true, true) : Values::anything();
              std::vector<int64_t> out;
              for (int64_t a : operand.list) out.push_back(interpreter::unary(node.op, a));
              return Values::normalized(std::move(out));
            },
            [&](const ast::Binary& node) { return binary(node); },
            [&](const ast::Logical& node) { return logical(node); },
            [&](const ast::Conditional& node) {
              Values condition = evaluate(*node.condition);
              if (condition.never_zero()) return evaluate(*node.if_true);
              if (condition.only_zero()) return evaluate(*node.if_false);
              return join(evaluate(*node.if_true), evaluate(*node.if_false));
            },
            [&](const ast::SetMember& node) {
              std::vector<SetIntegerRange> ranges;
              for (const ast::SetRange& range : node.ranges) ranges.push_back({range.lo, range.hi});
              return member(evaluate(*node.value), ranges);
            },
            [&](const ast::NamedSetMember& node) {
              return member(evaluate(*node.value), filter_.sets().at(node.set).items.ranges);
            },
            [](const ast::AddressLiteral&) { return Values::of({0}); },
            [&](const ast::AddressMatch& node) { return in_prefixes(node.variable, node.prefixes); },
            [&](const ast::AddressSetMatch& node) {
              std::vector<ast::Prefix> prefixes;
              for (const SetPrefix& prefix : filter_.sets().at(node.set).items.prefixes)
                prefixes.push_back({prefix.ipv6 ? ast::Family::Ipv6 : ast::Family::Ipv4, prefix.bytes, prefix.length});
              return in_prefixes(node.variable, prefixes);
            },
            [&](const ast::AddressEqual& node) {
              const Address& a = facts_.address(variable(node.lhs));
              const Address& b = facts_.address(variable(node.rhs));
              if (a.known && b.known) return Values::of({a.address == b.address});
              return Values::truth(true, true);
            },
        },
        expr.node);
  }

 private:
  static ast::Variable variable(ast::Variable written) { return interpreter::resolve(written, Direction::Egress); }

  Values binary(const ast::Binary& node) const {
    Values lhs = evaluate(*node.lhs), rhs = evaluate(*node.rhs);
    const bool comparison = node.op == ast::BinaryOp::Lt || node.op == ast::BinaryOp::Le ||
                            node.op == ast::BinaryOp::Gt || node.op == ast::BinaryOp::Ge ||
                            node.op == ast::BinaryOp::Eq || node.op == ast::BinaryOp::Ne;
    if (lhs.any || rhs.any) return comparison ? Values::truth(true, true) : Values::anything();
    std::vector<int64_t> out;
    for (int64_t a : lhs.list)
      for (int64_t b : rhs.list) out.push_back(interpreter::binary(node.op, a, b));
    return Values::normalized(std::move(out));
  }

  // Kleene: && is 0 when an operand is surely 0, 1 when every operand is surely not; || the dual.
  Values logical(const ast::Logical& node) const {
    const bool is_and = node.op == ast::LogicalOp::And;
    bool all_decided = true;
    for (const ast::ExprPtr& operand : node.operands) {
      Values value = evaluate(*operand);
      if (is_and ? value.only_zero() : value.never_zero()) return Values::of({is_and ? 0 : 1});
      if (!(is_and ? value.never_zero() : value.only_zero())) all_decided = false;
    }
    if (all_decided) return Values::of({is_and ? 1 : 0});
    return Values::truth(true, true);
  }

  static Values member(const Values& value, const std::vector<SetIntegerRange>& ranges) {
    if (value.any) return Values::truth(true, true);
    std::vector<int64_t> out;
    for (int64_t v : value.list)
      out.push_back(std::any_of(ranges.begin(), ranges.end(),
                                [&](const SetIntegerRange& range) { return range.lo <= v && v <= range.hi; }));
    return Values::normalized(std::move(out));
  }

  Values in_prefixes(ast::Variable written, const std::vector<ast::Prefix>& prefixes) const {
    const Address& address = facts_.address(variable(written));
    if (address.known)
      return Values::of({std::any_of(prefixes.begin(), prefixes.end(), [&](const ast::Prefix& prefix) {
        return interpreter::in_prefix(address.address, prefix);
      })});
    // Only the family is known: a prefix of it may hold the address, /0 surely does.
    const ast::Family family = address.address.family == 6 ? ast::Family::Ipv6 : ast::Family::Ipv4;
    bool may = false, surely = false;
    for (const ast::Prefix& prefix : prefixes) {
      if (prefix.family != family) continue;
      may = true;
      surely = surely || prefix.length == 0;
    }
    return Values::truth(!surely, may);
  }

  const Filter& filter_;
  const FlowFacts& facts_;
};

}  // namespace

FlowVerdict judge_flow(const Filter& filter, const Flow& flow) {
  FlowFacts facts(flow);
  Values value = FlowEvaluation(filter, facts).evaluate(detail::FilterAccess::root(filter));
  return FlowVerdict{value.only_zero()};
}

}  // namespace bpffw
