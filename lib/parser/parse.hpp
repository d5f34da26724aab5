// Text -> AST: the grammar's actions build our own AST directly; no PEGTL parse tree is kept.
#pragma once

#include <string_view>

#include <bpffw/error.hpp>
#include <bpffw/filter.hpp>
#include <bpffw/sets.hpp>

#include "parser/ast.hpp"
#include "parser/names.hpp"

namespace bpffw::parser {

// Parses and checks one filter expression. The error, if any, is the first problem in the text:
// syntax first, then unknown names, then types (types.hpp). ErrorKind::InvalidExpression,
// always with a span.
// `set_elements`: as check_types (types.hpp) takes it, one per set of `names`.
Result<ast::ExprPtr> parse_expression(std::string_view source, const ParseOptions& options, const NameScope& names,
                                      std::vector<std::optional<SetElement>>& set_elements);
Result<ast::ExprPtr> parse_expression(std::string_view source, const ParseOptions& options,
                                      const NameScope& names = NameScope());

// The items of a named set's declaration (grammar::set_items_only), possibly none; an empty
// list is an Integer set until its use says otherwise.
Result<SetItems> parse_set_items_text(std::string_view text);

}  // namespace bpffw::parser
