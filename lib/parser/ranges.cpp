#include "parser/ranges.hpp"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>

namespace bpffw::parser {
namespace {

// A constant operand: a literal, possibly under unary minus or plus (`-1`).
std::optional<std::int64_t> constant_of(const ast::Expr& expr) {
  if (const auto* literal = std::get_if<ast::Literal>(&expr.node)) return literal->value;
  if (const auto* unary = std::get_if<ast::Unary>(&expr.node)) {
    auto inner = constant_of(*unary->operand);
    if (!inner) return std::nullopt;
    if (unary->op == ast::UnaryOp::Plus) return inner;
    if (unary->op == ast::UnaryOp::Negate && *inner != INT64_MIN) return -*inner;
  }
  return std::nullopt;
}

const fields::PacketField* integer_variable(const ast::Expr& expr) {
  const auto* ref = std::get_if<ast::VariableRef>(&expr.node);
  if (ref == nullptr) return nullptr;
  const fields::PacketField& field = fields::field(ref->variable);
  return field.type == fields::Type::Integer ? &field : nullptr;
}

// `c < v` is `v > c`.
ast::BinaryOp mirrored(ast::BinaryOp op) {
  switch (op) {
    case ast::BinaryOp::Lt: return ast::BinaryOp::Gt;
    case ast::BinaryOp::Le: return ast::BinaryOp::Ge;
    case ast::BinaryOp::Gt: return ast::BinaryOp::Lt;
    case ast::BinaryOp::Ge: return ast::BinaryOp::Le;
    default: return op;
  }
}

std::string values_of(const fields::PacketField& field) {
  std::string text = std::string(field.name) + " is " + std::to_string(field.min) + ".." + std::to_string(field.max);
  if (field.absent < field.min || field.absent > field.max) text += ", or " + std::to_string(field.absent) + " when absent";
  return text;
}

// "always false"/"always true" for `variable op constant`, or nothing when it can go either way.
std::optional<bool> known_answer(const fields::PacketField& field, ast::BinaryOp op, std::int64_t c) {
  std::int64_t lo = std::min(field.min, field.absent), hi = std::max(field.max, field.absent);
  bool taken = (c >= field.min && c <= field.max) || c == field.absent;
  switch (op) {
    case ast::BinaryOp::Eq: if (!taken) return false; break;
    case ast::BinaryOp::Ne: if (!taken) return true; break;
    // Only the always-false side of an order comparison: `-1 < len` (always true) is the
    // documented way to accept every packet.
    case ast::BinaryOp::Lt: if (c <= lo) return false; break;
    case ast::BinaryOp::Le: if (c < lo) return false; break;
    case ast::BinaryOp::Gt: if (c >= hi) return false; break;
    case ast::BinaryOp::Ge: if (c > hi) return false; break;
    default: break;
  }
  return std::nullopt;
}

void walk(const ast::Expr& expr, std::vector<Warning>& out) {
  std::visit(ast::overloaded{
                 [&](const ast::Binary& binary) {
                   walk(*binary.lhs, out);
                   walk(*binary.rhs, out);
                   const fields::PacketField* field = integer_variable(*binary.lhs);
                   std::optional<std::int64_t> constant = constant_of(*binary.rhs);
                   ast::BinaryOp op = binary.op;
                   if (field == nullptr || !constant) {
                     field = integer_variable(*binary.rhs);
                     constant = constant_of(*binary.lhs);
                     op = mirrored(op);
                   }
                   if (field == nullptr || !constant) return;
                   std::optional<bool> answer = known_answer(*field, op, *constant);
                   if (!answer) return;
                   out.push_back({"this comparison is always " + std::string(*answer ? "true" : "false") + ": " +
                                      values_of(*field),
                                  expr.span, {}});
                 },
                 [&](const ast::Unary& unary) { walk(*unary.operand, out); },
                 [&](const ast::Logical& logical) {
                   for (const ast::ExprPtr& operand : logical.operands) walk(*operand, out);
                 },
                 [&](const ast::Conditional& conditional) {
                   walk(*conditional.condition, out);
                   walk(*conditional.if_true, out);
                   walk(*conditional.if_false, out);
                 },
                 [&](const ast::SetMember& set) { walk(*set.value, out); },
                 [&](const ast::NamedSetMember& set) { walk(*set.value, out); },
                 [](const auto&) {},
             },
             expr.node);
}

}  // namespace

std::vector<Warning> range_warnings(const ast::Expr& root) {
  std::vector<Warning> warnings;
  walk(root, warnings);
  return warnings;
}

}  // namespace bpffw::parser
