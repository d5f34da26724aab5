// Builds the AST bottom-up on an explicit operand stack while the grammar's actions run.
// Every node gets a span covering its whole subexpression and its depth; a node deeper than
// max_depth is refused right where it is built.
#pragma once

#include <string>
#include <vector>

#include "parser/ast.hpp"

namespace bpffw::parser {

// A refused expression, thrown inside the parser and turned into an Error by parse_expression.
struct SyntaxError {
  std::string message;
  SourceSpan span;
  std::string hint = {};
};

// The span from the start of `first` to the end of `last`.
SourceSpan span_between(const SourceSpan& first, const SourceSpan& last);

class AstBuilder {
 public:
  explicit AstBuilder(unsigned max_depth) : max_depth_(max_depth) {}

  void push_leaf(ast::Node node, SourceSpan span);
  // The operand on top was in parentheses: `outer` includes them. Its node keeps the inner span,
  // a parent's span includes the parentheses, and a logical chain does not absorb it.
  void mark_parenthesized(SourceSpan outer);
  void apply_unary(ast::UnaryOp op, SourceSpan op_span);
  void reduce_binary(ast::BinaryOp op);
  // Appends to the left operand when it is already an unparenthesized chain of the same operator.
  void reduce_logical(ast::LogicalOp op);
  void reduce_conditional();
  // The operand on top is tested against a set whose `}` ends at byte `end`.
  // `value in NAME`: the operand on top becomes the value tested against named set `set`.
  void apply_named_set(std::uint32_t set, std::size_t end);
  void apply_set(std::vector<ast::SetRange> ranges, std::vector<ast::Prefix> prefixes, std::size_t end);

  std::size_t size() const { return stack_.size(); }
  // Whether the operand on top is the variable `variable`, read alone (`uid`, `(uid)`).
  bool top_is(ast::Variable variable) const;
  ast::ExprPtr finish();

 private:
  struct Operand {
    ast::ExprPtr expr;
    SourceSpan outer;
    bool parenthesized = false;
  };
  Operand pop();
  void push(ast::Node node, SourceSpan span, unsigned depth);

  unsigned max_depth_;
  std::vector<Operand> stack_;
};

std::string too_deep_message(unsigned max_depth);

}  // namespace bpffw::parser
