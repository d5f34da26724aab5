#include "parser/builder.hpp"

#include <algorithm>
#include <utility>

namespace bpffw::parser {

SourceSpan span_between(const SourceSpan& first, const SourceSpan& last) {
  SourceSpan span = first;
  span.length = last.offset + last.length - first.offset;
  return span;
}

std::string too_deep_message(unsigned max_depth) {
  return "expression nested too deeply (the limit is " + std::to_string(max_depth) + " levels)";
}

AstBuilder::Operand AstBuilder::pop() {
  Operand operand = std::move(stack_.back());
  stack_.pop_back();
  return operand;
}

void AstBuilder::push(ast::Node node, SourceSpan span, unsigned depth) {
  if (depth > max_depth_) throw SyntaxError{too_deep_message(max_depth_), span};
  auto expr = std::make_unique<ast::Expr>(ast::Expr{std::move(node), span, depth});
  stack_.push_back(Operand{std::move(expr), span, false});
}

void AstBuilder::push_leaf(ast::Node node, SourceSpan span) { push(std::move(node), span, 1); }

bool AstBuilder::top_is(ast::Variable variable) const {
  if (stack_.empty()) return false;
  const auto* ref = std::get_if<ast::VariableRef>(&stack_.back().expr->node);
  return ref != nullptr && ref->variable == variable;
}

void AstBuilder::mark_parenthesized(SourceSpan outer) {
  stack_.back().outer = outer;
  stack_.back().parenthesized = true;
}

void AstBuilder::apply_unary(ast::UnaryOp op, SourceSpan op_span) {
  Operand operand = pop();
  SourceSpan span = span_between(op_span, operand.outer);
  unsigned depth = operand.expr->depth + 1;
  push(ast::Unary{op, std::move(operand.expr)}, span, depth);
}

void AstBuilder::reduce_binary(ast::BinaryOp op) {
  Operand rhs = pop();
  Operand lhs = pop();
  SourceSpan span = span_between(lhs.outer, rhs.outer);
  unsigned depth = std::max(lhs.expr->depth, rhs.expr->depth) + 1;
  push(ast::Binary{op, std::move(lhs.expr), std::move(rhs.expr)}, span, depth);
}

void AstBuilder::reduce_logical(ast::LogicalOp op) {
  Operand rhs = pop();
  Operand& lhs = stack_.back();
  auto* chain = std::get_if<ast::Logical>(&lhs.expr->node);
  if (chain != nullptr && chain->op == op && !lhs.parenthesized) {
    SourceSpan span = span_between(lhs.outer, rhs.outer);
    unsigned depth = std::max(lhs.expr->depth, rhs.expr->depth + 1);
    if (depth > max_depth_) throw SyntaxError{too_deep_message(max_depth_), span};
    chain->operands.push_back(std::move(rhs.expr));
    lhs.expr->span = lhs.outer = span;
    lhs.expr->depth = depth;
    return;
  }
  Operand first = pop();
  SourceSpan span = span_between(first.outer, rhs.outer);
  unsigned depth = std::max(first.expr->depth, rhs.expr->depth) + 1;
  std::vector<ast::ExprPtr> operands;
  operands.push_back(std::move(first.expr));
  operands.push_back(std::move(rhs.expr));
  push(ast::Logical{op, std::move(operands)}, span, depth);
}

void AstBuilder::reduce_conditional() {
  Operand if_false = pop();
  Operand if_true = pop();
  Operand condition = pop();
  SourceSpan span = span_between(condition.outer, if_false.outer);
  unsigned depth = std::max({condition.expr->depth, if_true.expr->depth, if_false.expr->depth}) + 1;
  push(ast::Conditional{std::move(condition.expr), std::move(if_true.expr), std::move(if_false.expr)}, span, depth);
}

void AstBuilder::apply_set(std::vector<ast::SetRange> ranges, std::vector<ast::Prefix> prefixes, std::size_t end) {
  Operand value = pop();
  SourceSpan span = value.outer;
  span.length = end - span.offset;
  unsigned depth = value.expr->depth + 1;
  push(ast::SetMember{std::move(value.expr), std::move(ranges), std::move(prefixes)}, span, depth);
}

void AstBuilder::apply_named_set(std::uint32_t set, std::size_t end) {
  Operand value = pop();
  SourceSpan span = value.outer;
  span.length = end - span.offset;
  unsigned depth = value.expr->depth + 1;
  push(ast::NamedSetMember{std::move(value.expr), set}, span, depth);
}

ast::ExprPtr AstBuilder::finish() {
  ast::ExprPtr root = std::move(stack_.back().expr);
  stack_.clear();
  return root;
}

}  // namespace bpffw::parser
