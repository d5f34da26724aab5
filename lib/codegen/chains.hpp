// How a long `&&`/`||` chain is lowered, decided on the AST before any IR is built. Every
// operand is free of side effects (docs/filter-language.md §6.1), so operands may be regrouped and reordered:
// - tests of one packet variable against constants (`dst_port == 53 || dst_port == 80 ||
//   dst_port in {8000..8100}`) become one set search, O(log n) compares (codegen/membership.hpp);
// - in an `||` chain of `&&` terms that share a `v == c` conjunct (`(src_port == 1 && dst_port
//   == 7) || (src_port == 2 && ...)`) the terms are indexed by c: one search finds the terms
//   whose key matches and only their other conjuncts are evaluated.
// Short chains keep their written order and shape.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "codegen/membership.hpp"
#include "parser/ast.hpp"

namespace bpffw::codegen {

// The values of a packet variable for which an operand is true.
struct VariableTest {
  ast::Variable variable;
  std::vector<ValueRange> ranges;  // merged
};

// `v OP c`, `c OP v` (OP a comparison) or `v in {...}`; nothing else.
std::optional<VariableTest> as_variable_test(const ast::Expr& expr);

// The values a variable can take at all (fields/packet_fields.hpp): ports 0..65535, flags 0..1,
// len 0..2^32-1, icmp_type -1..255.
KnownBounds variable_bounds(ast::Variable variable);

// The sorted ranges not covered by `ranges` (which must be merged).
std::vector<ValueRange> complement(const std::vector<ValueRange>& ranges);

struct ChainStep {
  enum class Kind { Operand, SetTest, Index };
  Kind kind = Kind::Operand;
  const ast::Expr* operand = nullptr;  // Kind::Operand
  // Kind::SetTest: in an || chain, true when the variable lies in `ranges`; in an && chain,
  // false when it does (the ranges are the union of the operands' complements).
  ast::Variable variable{};
  std::vector<ValueRange> ranges;
  // Kind::Index (|| chains only): `variable` is compared with keys[i], then the terms of
  // residuals[i] are tried in order, each true when all of its conjuncts are (an empty term is
  // true).
  std::vector<std::int64_t> keys;
  std::vector<std::vector<std::vector<const ast::Expr*>>> residuals;
};

// The steps of a chain, in evaluation order. `is_or` tells which chain it is.
std::vector<ChainStep> plan_chain(bool is_or, const std::vector<const ast::Expr*>& operands);

}  // namespace bpffw::codegen
