#include "codegen/variables.hpp"

#include <algorithm>

namespace bpffw::codegen {

bool VariableSet::any() const {
  return reads_parameters_ || std::any_of(used_.begin(), used_.end(), [](bool used) { return used; });
}

namespace {

// Recursion depth is bounded by the parser's nesting limit (ParseOptions::max_depth).
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
                 [&](const ast::Conditional& conditional) {
                   collect(*conditional.condition, set);
                   collect(*conditional.if_true, set);
                   collect(*conditional.if_false, set);
                 },
             },
             expr.node);
}

}  // namespace

VariableSet variables_read_by(const ast::Expr& expr) {
  VariableSet set;
  collect(expr, set);
  return set;
}

}  // namespace bpffw::codegen
