#include "parser/ast.hpp"

namespace bpffw::ast {

std::string_view variable_name(Variable variable) { return fields::field(variable).name; }

std::optional<Variable> variable_by_name(std::string_view name) {
  if (const fields::PacketField* row = fields::field_named(name)) return row->variable;
  return std::nullopt;
}

unsigned address_bits(Family family) { return family == Family::Ipv4 ? 32 : 128; }

std::string_view op_symbol(UnaryOp op) {
  switch (op) {
    case UnaryOp::LogicalNot: return "!";
    case UnaryOp::BitNot: return "~";
    case UnaryOp::Negate: return "-";
    case UnaryOp::Plus: return "+";
  }
  return "?";
}

std::string_view op_symbol(BinaryOp op) {
  switch (op) {
    case BinaryOp::Mul: return "*";
    case BinaryOp::Div: return "/";
    case BinaryOp::Mod: return "%";
    case BinaryOp::Add: return "+";
    case BinaryOp::Sub: return "-";
    case BinaryOp::Shl: return "<<";
    case BinaryOp::Shr: return ">>";
    case BinaryOp::Lt: return "<";
    case BinaryOp::Le: return "<=";
    case BinaryOp::Gt: return ">";
    case BinaryOp::Ge: return ">=";
    case BinaryOp::Eq: return "==";
    case BinaryOp::Ne: return "!=";
    case BinaryOp::BitAnd: return "&";
    case BinaryOp::BitXor: return "^";
    case BinaryOp::BitOr: return "|";
  }
  return "?";
}

std::string_view op_symbol(LogicalOp op) { return op == LogicalOp::And ? "&&" : "||"; }

}  // namespace bpffw::ast
