#include "parser/ast.hpp"

namespace bpffw::ast {

std::string_view variable_name(Variable variable) {
  switch (variable) {
    case Variable::Ip: return "ip";
    case Variable::Ipv6: return "ipv6";
    case Variable::Tcp: return "tcp";
    case Variable::Udp: return "udp";
    case Variable::Icmp: return "icmp";
    case Variable::SrcPort: return "src_port";
    case Variable::DstPort: return "dst_port";
    case Variable::Len: return "len";
  }
  return "?";
}

std::optional<Variable> variable_by_name(std::string_view name) {
  for (Variable variable : kAllVariables) {
    if (variable_name(variable) == name) return variable;
  }
  return std::nullopt;
}

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
