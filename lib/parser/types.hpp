// The type check (docs/filter-language.md §6.2), after the syntax and the names: addresses are a
// type of their own. An address variable or literal may only be compared with `==` or `!=`
// against another address (a variable on at least one side), or tested with `in {...}` against
// addresses and prefixes; each such use becomes an AddressMatch or AddressEqual node (`!=` a `!`
// around it), so that the stages after this one see integers only. Any other use is an error
// that says what an address allows. Also: local_* and remote_* need the program's direction.
#pragma once

#include <optional>
#include <vector>

#include <bpffw/direction.hpp>
#include <bpffw/error.hpp>
#include <bpffw/sets.hpp>

#include "parser/ast.hpp"

namespace bpffw::parser {

// `set_elements` holds each named set's element type, std::nullopt for a set declared without
// items: its first use decides it (and the check writes it there).
Result<ast::ExprPtr> check_types(ast::ExprPtr root, std::optional<Direction> direction,
                                 std::vector<std::optional<SetElement>>& set_elements);

}  // namespace bpffw::parser
