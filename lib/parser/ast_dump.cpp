#include "parser/ast_dump.hpp"

#include "parser/addresses.hpp"

namespace bpffw::parser {
namespace {

// Recursion is bounded by ParseOptions::max_depth: a deeper tree is never built.
void dump_node(const ast::Expr& expr, unsigned indent, const std::vector<std::string>& names, std::string& out) {
  out.append(2 * indent, ' ');
  std::visit(ast::overloaded{
                 [&](const ast::Literal& node) { out += "literal " + std::to_string(node.value); },
                 [&](const ast::VariableRef& node) {
                   out += "variable ";
                   out += ast::variable_name(node.variable);
                 },
                 [&](const ast::ParameterRef& node) {
                   out += "parameter ";
                   out += node.index < names.size() ? names[node.index] : "#" + std::to_string(node.index);
                 },
                 [&](const ast::Unary& node) {
                   out += "unary ";
                   out += ast::op_symbol(node.op);
                 },
                 [&](const ast::Binary& node) {
                   out += "binary ";
                   out += ast::op_symbol(node.op);
                 },
                 [&](const ast::Logical& node) { out += node.op == ast::LogicalOp::And ? "and" : "or"; },
                 [&](const ast::Conditional&) { out += "conditional"; },
                 [&](const ast::SetMember& node) {
                   out += "in {";
                   for (std::size_t i = 0; i < node.ranges.size(); ++i) {
                     if (i > 0) out += ", ";
                     out += std::to_string(node.ranges[i].lo);
                     if (node.ranges[i].hi != node.ranges[i].lo) out += ".." + std::to_string(node.ranges[i].hi);
                   }
                   out += "}";
                 },
                 [&](const ast::AddressLiteral& node) { out += "address " + format_prefix(node.prefix); },
                 [&](const ast::AddressMatch& node) {
                   out += "address ";
                   out += ast::variable_name(node.variable);
                   out += " in {";
                   for (std::size_t i = 0; i < node.prefixes.size(); ++i)
                     out += (i > 0 ? ", " : "") + format_prefix(node.prefixes[i]);
                   out += "}";
                 },
                 [&](const ast::AddressEqual& node) {
                   out += "address ";
                   out += ast::variable_name(node.lhs);
                   out += " == ";
                   out += ast::variable_name(node.rhs);
                 },
                 [&](const ast::NamedSetMember& node) { out += "in set #" + std::to_string(node.set); },
                 [&](const ast::AddressSetMatch& node) {
                   out += "address ";
                   out += ast::variable_name(node.variable);
                   out += " in set #" + std::to_string(node.set);
                 },
             },
             expr.node);
  out += " " + std::to_string(expr.span.line) + ":" + std::to_string(expr.span.column) + "\n";
  std::visit(ast::overloaded{
                 [](const ast::Literal&) {},
                 [](const ast::VariableRef&) {},
                 [](const ast::ParameterRef&) {},
                 [&](const ast::Unary& node) { dump_node(*node.operand, indent + 1, names, out); },
                 [&](const ast::Binary& node) {
                   dump_node(*node.lhs, indent + 1, names, out);
                   dump_node(*node.rhs, indent + 1, names, out);
                 },
                 [&](const ast::Logical& node) {
                   for (const ast::ExprPtr& operand : node.operands) dump_node(*operand, indent + 1, names, out);
                 },
                 [&](const ast::Conditional& node) {
                   dump_node(*node.condition, indent + 1, names, out);
                   dump_node(*node.if_true, indent + 1, names, out);
                   dump_node(*node.if_false, indent + 1, names, out);
                 },
                 [&](const ast::SetMember& node) { dump_node(*node.value, indent + 1, names, out); },
                 [](const ast::AddressLiteral&) {},
                 [](const ast::AddressMatch&) {},
                 [](const ast::AddressEqual&) {},
                 [&](const ast::NamedSetMember& node) { dump_node(*node.value, indent + 1, names, out); },
                 [](const ast::AddressSetMatch&) {},
             },
             expr.node);
}

}  // namespace

std::string dump_ast(const ast::Expr& root, const std::vector<std::string>& parameter_names) {
  std::string out;
  dump_node(root, 0, parameter_names, out);
  return out;
}

bool reads_packet(const ast::Expr& root) {
  return std::visit(ast::overloaded{
                        [](const ast::Literal&) { return false; },
                        [](const ast::VariableRef&) { return true; },
                        // docs/filter-language.md §5.6: reading a runtime parameter counts as reading the packet.
                        [](const ast::ParameterRef&) { return true; },
                        [](const ast::Unary& node) { return reads_packet(*node.operand); },
                        [](const ast::Binary& node) { return reads_packet(*node.lhs) || reads_packet(*node.rhs); },
                        [](const ast::Logical& node) {
                          for (const ast::ExprPtr& operand : node.operands) {
                            if (reads_packet(*operand)) return true;
                          }
                          return false;
                        },
                        [](const ast::Conditional& node) {
                          return reads_packet(*node.condition) || reads_packet(*node.if_true) ||
                                 reads_packet(*node.if_false);
                        },
                        [](const ast::SetMember& node) { return reads_packet(*node.value); },
                        [](const ast::AddressLiteral&) { return false; },
                        [](const ast::AddressMatch&) { return true; },
                        [](const ast::AddressEqual&) { return true; },
                        // Like a parameter, a named set is state read at run time (§9).
                        [](const ast::NamedSetMember&) { return true; },
                        [](const ast::AddressSetMatch&) { return true; },
                    },
                    root.node);
}

}  // namespace bpffw::parser
