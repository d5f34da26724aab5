// Large inline sets go into maps (docs/filter-language.md §7.3). A set written in the expression
// with kInlineSetInMap or more items, or a chain of that many equality tests of one variable
// (`dst_port == 1 || dst_port == 2 || ...`, `src_addr != a && src_addr != b && ...`), is rewritten
// into a test of a named set appended to the filter's sets, so that it is compiled like one: a map
// lookup, whatever its size, instead of a search tree whose code grows with it.
#pragma once

#include <vector>

#include <bpffw/sets.hpp>

#include "parser/ast.hpp"

namespace bpffw::parser {

// Rewrites the type-checked `root`, appending a set to `sets` for each large inline set.
void move_large_sets_to_maps(ast::ExprPtr& root, std::vector<NamedSet>& sets);

}  // namespace bpffw::parser
