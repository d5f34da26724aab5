// Library-internal access to a Filter's AST (the public header keeps it opaque).
#pragma once

#include <bpffw/filter.hpp>

#include "parser/ast.hpp"

namespace bpffw::detail {

struct FilterAccess {
  static const ast::Expr& root(const Filter& filter);
};

}  // namespace bpffw::detail
