// What the grammar's actions keep while they build the AST (parse.cpp), and what the error
// messages may look at (diagnostics.cpp).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "parser/ast.hpp"
#include "parser/builder.hpp"
#include "parser/names.hpp"

namespace bpffw::parser {

// A '(' or '?' still waiting for its ')' or ':'.
struct Opener {
  char symbol;
  SourceSpan span;
};

struct PendingUnary {
  ast::UnaryOp op;
  SourceSpan span;
};

struct UnknownName {
  std::string name;
  SourceSpan span;
};

struct ParseState {
  ParseState(std::string_view source_text, const NameScope& scope, unsigned depth_limit)
      : source(source_text), names(scope), max_depth(depth_limit), builder(depth_limit) {}

  std::string_view source;
  const NameScope& names;
  unsigned max_depth;
  AstBuilder builder;

  // Open '(' and '?' (innermost last), and how deep the parser recurses because of them.
  std::vector<Opener> openers;
  unsigned nesting = 0;
  std::size_t last_close_paren_end = 0;

  // Prefix operators waiting for their operand; each operand's own start index in unary_frames.
  std::vector<std::size_t> unary_frames;
  std::vector<PendingUnary> unary_ops;
  // Binary operators waiting for their right operand.
  std::vector<ast::BinaryOp> binary_ops;

  // The set being read: its items so far, each with the span it was written in, and its
  // addresses and prefixes.
  std::vector<ast::SetRange> set_items;
  std::vector<SourceSpan> set_item_spans;
  std::vector<ast::Prefix> set_prefixes;
  std::size_t last_set_close_end = 0;

  // The last operator-like token taken ("&&", "(", "?", "-", ...), for "expected an operand after".
  std::string_view last_token;

  // Names are checked after the syntax, so that `a = 1` reports the '=' and not the unknown 'a'.
  std::optional<UnknownName> first_unknown_name;
};

}  // namespace bpffw::parser
