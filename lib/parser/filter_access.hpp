// Library-internal access to a Filter's AST (the public header keeps it opaque).
#pragma once

#include <bpffw/filter.hpp>

#include "parser/ast.hpp"

namespace bpffw::detail {

struct FilterAccess {
  static const ast::Expr& root(const Filter& filter);
  // The filter's sets, taken out of it when it is the only holder of its state (then `filter` is
  // used up), else copied.
  static std::vector<NamedSet> take_sets(Filter&& filter);
};

}  // namespace bpffw::detail
