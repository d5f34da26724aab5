#include "codegen/variables.hpp"

#include <algorithm>

namespace bpffw::codegen {

ast::Variable resolve_direction(ast::Variable variable, std::optional<Direction> direction) {
  const fields::PacketField& row = fields::field(variable);
  if (row.source != fields::Source::Alias || !direction) return variable;
  return *direction == Direction::Ingress ? row.on_ingress : row.on_egress;
}

void VariableSet::add(ast::Variable variable) { used_[index(resolve_direction(variable, direction))] = true; }

bool VariableSet::any() const {
  return reads_parameters_ || std::any_of(used_.begin(), used_.end(), [](bool used) { return used; });
}

PacketParserVariant VariableSet::packet_parser_variant() const {
  PacketParserVariant variant;
  for (ast::Variable variable : ast::kAllVariables) {
    if (!contains(variable)) continue;
    const fields::PacketField& row = fields::field(variable);
    switch (row.source) {
      case fields::Source::Transport:
        if (row.guard == fields::Guard::TcpOrUdp) variant.ports = true;
        if (row.guard == fields::Guard::Tcp) variant.tcp_header = true;
        if (row.guard == fields::Guard::Icmp) variant.icmp = true;
        break;
      case fields::Source::Address: variant.addresses = true; break;
      case fields::Source::IpHeader: variant.ip_header = true; break;
      default: break;
    }
  }
  return variant;
}

namespace {

// Recursion depth is bounded by the expression parser's nesting limit (ParseOptions::max_depth).
void collect(const ast::Expr& expr, VariableSet& set) {
  std::visit(ast::overloaded{
                 [](const ast::Literal&) {},
                 [&](const ast::VariableRef& ref) { set.add(ref.variable); },
                 [&](const ast::ParameterRef&) { set.add_parameter(); },
                 [&](const ast::Unary& unary) { collect(*unary.operand, set); },
                 [&](const ast::Binary& binary) {
                   collect(*binary.lhs, set);
                   collect(*binary.rhs, set);
                 },
                 [&](const ast::Logical& logical) {
                   for (const auto& operand : logical.operands) collect(*operand, set);
                 },
                 [&](const ast::SetMember& member) { collect(*member.value, set); },
                 [&](const ast::NamedSetMember& member) {
                   collect(*member.value, set);
                   set.add_parameter();  // a map lookup, like a parameter's read
                 },
                 [&](const ast::AddressSetMatch& match) {
                   set.add(match.variable);
                   set.add_parameter();
                 },
                 [&](const ast::Conditional& conditional) {
                   collect(*conditional.condition, set);
                   collect(*conditional.if_true, set);
                   collect(*conditional.if_false, set);
                 },
                 [](const ast::AddressLiteral&) {},
                 [&](const ast::AddressMatch& match) { set.add(match.variable); },
                 [&](const ast::AddressEqual& equal) {
                   set.add(equal.lhs);
                   set.add(equal.rhs);
                 },
             },
             expr.node);
}

}  // namespace

VariableSet variables_read_by(const ast::Expr& expr, std::optional<Direction> direction) {
  VariableSet set;
  set.direction = direction;
  collect(expr, set);
  return set;
}

}  // namespace bpffw::codegen
