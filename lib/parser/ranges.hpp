// Warnings for comparisons whose answer the field table already knows (docs/filter-language.md §8):
// a variable compared with a constant outside the values it takes, `dst_port == 70000`.
#pragma once

#include <vector>

#include <bpffw/filter.hpp>

#include "parser/ast.hpp"

namespace bpffw::parser {

// One warning per comparison of a packet variable with a constant that is always false (==, <,
// <=, >, >= against a constant beyond every value the variable takes, including its value when
// absent) or always true by being out of range (!=). In the order of the source.
std::vector<Warning> range_warnings(const ast::Expr& root);

}  // namespace bpffw::parser
