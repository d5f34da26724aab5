// Text -> AST: the grammar's actions build our own AST directly; no PEGTL parse tree is kept.
#pragma once

#include <string_view>

#include <bpffw/error.hpp>
#include <bpffw/filter.hpp>

#include "parser/ast.hpp"
#include "parser/names.hpp"

namespace bpffw::parser {

// Parses and checks one filter expression. The error, if any, is the first problem in the text:
// syntax first, then unknown names, then types (types.hpp). ErrorKind::InvalidExpression,
// always with a span.
Result<ast::ExprPtr> parse_expression(std::string_view source, const ParseOptions& options,
                                      const NameScope& names = NameScope());

}  // namespace bpffw::parser
