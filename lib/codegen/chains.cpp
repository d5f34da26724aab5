#include "codegen/chains.hpp"

#include <algorithm>
#include <array>
#include <map>

namespace bpffw::codegen {
namespace {

using ast::BinaryOp;

// Below this many operands a chain is lowered as written: grouping would not pay.
constexpr std::size_t kMinGroupedTests = 2;
// An index needs this many terms sharing a key variable.
constexpr std::size_t kMinIndexedTerms = 8;

std::optional<ast::Variable> variable_of(const ast::Expr& expr) {
  if (const auto* ref = std::get_if<ast::VariableRef>(&expr.node)) return ref->variable;
  return std::nullopt;
}

std::optional<std::int64_t> literal_of(const ast::Expr& expr) {
  if (const auto* literal = std::get_if<ast::Literal>(&expr.node)) return literal->value;
  return std::nullopt;
}

// `c OP v` is `v OP' c`.
BinaryOp mirrored(BinaryOp op) {
  switch (op) {
    case BinaryOp::Lt: return BinaryOp::Gt;
    case BinaryOp::Le: return BinaryOp::Ge;
    case BinaryOp::Gt: return BinaryOp::Lt;
    case BinaryOp::Ge: return BinaryOp::Le;
    default: return op;
  }
}

// The values v with `v OP c`, as ranges; nullopt when OP is not a comparison.
std::optional<std::vector<ValueRange>> ranges_of_comparison(BinaryOp op, std::int64_t c) {
  switch (op) {
    case BinaryOp::Eq: return std::vector<ValueRange>{{c, c}};
    case BinaryOp::Ne: return complement({{c, c}});
    case BinaryOp::Lt:
      if (c == INT64_MIN) return std::vector<ValueRange>{};
      return std::vector<ValueRange>{{INT64_MIN, c - 1}};
    case BinaryOp::Le: return std::vector<ValueRange>{{INT64_MIN, c}};
    case BinaryOp::Gt:
      if (c == INT64_MAX) return std::vector<ValueRange>{};
      return std::vector<ValueRange>{{c + 1, INT64_MAX}};
    case BinaryOp::Ge: return std::vector<ValueRange>{{c, INT64_MAX}};
    default: return std::nullopt;
  }
}

// `v == c` as a conjunct of an && term: the key an || chain can be indexed by.
std::optional<std::pair<ast::Variable, std::int64_t>> equality_key(const ast::Expr& expr) {
  const auto* binary = std::get_if<ast::Binary>(&expr.node);
  if (binary == nullptr || binary->op != BinaryOp::Eq) return std::nullopt;
  auto variable = variable_of(*binary->lhs);
  auto value = literal_of(*binary->rhs);
  if (!variable || !value) {
    variable = variable_of(*binary->rhs);
    value = literal_of(*binary->lhs);
  }
  if (!variable || !value) return std::nullopt;
  return std::pair{*variable, *value};
}

const ast::Logical* and_chain(const ast::Expr& expr) {
  const auto* logical = std::get_if<ast::Logical>(&expr.node);
  return logical != nullptr && logical->op == ast::LogicalOp::And ? logical : nullptr;
}

// The variable that the most && terms of an || chain compare for equality, if enough do.
std::optional<ast::Variable> index_variable(const std::vector<const ast::Expr*>& operands) {
  std::array<std::size_t, std::size(ast::kAllVariables)> counts{};
  for (const ast::Expr* operand : operands) {
    const ast::Logical* chain = and_chain(*operand);
    if (chain == nullptr) continue;
    std::array<bool, std::size(ast::kAllVariables)> seen{};
    for (const ast::ExprPtr& conjunct : chain->operands) {
      if (auto key = equality_key(*conjunct)) seen[static_cast<std::size_t>(key->first)] = true;
    }
    for (std::size_t v = 0; v < seen.size(); ++v) counts[v] += seen[v];
  }
  auto best = std::max_element(counts.begin(), counts.end());
  if (*best < kMinIndexedTerms) return std::nullopt;
  return ast::kAllVariables[best - counts.begin()];
}

// Splits the || chain's && terms that compare `key` with a constant into an index step.
std::optional<ChainStep> build_index(ast::Variable key, const std::vector<const ast::Expr*>& operands,
                                     std::vector<bool>& indexed) {
  std::map<std::int64_t, std::vector<std::vector<const ast::Expr*>>> by_key;
  for (std::size_t i = 0; i < operands.size(); ++i) {
    const ast::Logical* chain = and_chain(*operands[i]);
    if (chain == nullptr) continue;
    std::optional<std::int64_t> value;
    std::vector<const ast::Expr*> rest;
    for (const ast::ExprPtr& conjunct : chain->operands) {
      auto equality = equality_key(*conjunct);
      if (!value && equality && equality->first == key) {
        value = equality->second;
      } else {
        rest.push_back(conjunct.get());
      }
    }
    if (!value) continue;
    by_key[*value].push_back(std::move(rest));
    indexed[i] = true;
  }
  ChainStep step;
  step.kind = ChainStep::Kind::Index;
  step.variable = key;
  for (auto& [value, terms] : by_key) {
    step.keys.push_back(value);
    step.residuals.push_back(std::move(terms));
  }
  return step;
}

}  // namespace

std::vector<ValueRange> complement(const std::vector<ValueRange>& ranges) {
  std::vector<ValueRange> result;
  std::int64_t next = INT64_MIN;  // the smallest value not yet accounted for
  bool done = false;
  for (const ValueRange& range : ranges) {
    if (range.lo > next) result.push_back({next, range.lo - 1});
    if (range.hi == INT64_MAX) {
      done = true;
      break;
    }
    next = range.hi + 1;
  }
  if (!done) result.push_back({next, INT64_MAX});
  return result;
}

KnownBounds variable_bounds(ast::Variable variable) {
  const fields::PacketField& row = fields::field(variable);
  return {std::min(row.min, row.absent), std::max(row.max, row.absent)};
}

std::optional<VariableTest> as_variable_test(const ast::Expr& expr) {
  if (const auto* set = std::get_if<ast::SetMember>(&expr.node)) {
    auto variable = variable_of(*set->value);
    if (!variable) return std::nullopt;
    std::vector<ValueRange> ranges;
    ranges.reserve(set->ranges.size());
    for (const ast::SetRange& range : set->ranges) ranges.push_back({range.lo, range.hi});
    return VariableTest{*variable, merge_ranges(std::move(ranges))};
  }
  const auto* binary = std::get_if<ast::Binary>(&expr.node);
  if (binary == nullptr) return std::nullopt;
  BinaryOp op = binary->op;
  auto variable = variable_of(*binary->lhs);
  auto value = literal_of(*binary->rhs);
  if (!variable || !value) {
    variable = variable_of(*binary->rhs);
    value = literal_of(*binary->lhs);
    op = mirrored(op);
  }
  if (!variable || !value) return std::nullopt;
  auto ranges = ranges_of_comparison(op, *value);
  if (!ranges) return std::nullopt;
  return VariableTest{*variable, merge_ranges(std::move(*ranges))};
}

std::vector<ChainStep> plan_chain(bool is_or, const std::vector<const ast::Expr*>& operands) {
  // Tests per variable, and where each variable's first test stands.
  std::array<std::vector<ValueRange>, std::size(ast::kAllVariables)> unions;
  std::array<std::size_t, std::size(ast::kAllVariables)> counts{};
  std::vector<std::optional<VariableTest>> tests;
  tests.reserve(operands.size());
  for (const ast::Expr* operand : operands) {
    tests.push_back(as_variable_test(*operand));
    if (tests.back()) ++counts[static_cast<std::size_t>(tests.back()->variable)];
  }

  std::vector<bool> indexed(operands.size(), false);
  std::optional<ChainStep> index;
  if (is_or) {
    if (auto key = index_variable(operands)) index = build_index(*key, operands, indexed);
  }

  std::vector<ChainStep> steps;
  std::array<std::optional<std::size_t>, std::size(ast::kAllVariables)> group_step;
  bool index_placed = false;
  for (std::size_t i = 0; i < operands.size(); ++i) {
    if (indexed[i]) {
      if (!index_placed) steps.push_back(std::move(*index));
      index_placed = true;
      continue;
    }
    if (tests[i]) {
      auto v = static_cast<std::size_t>(tests[i]->variable);
      if (counts[v] >= kMinGroupedTests) {
        // In an && chain the group holds the values that make some operand false.
        std::vector<ValueRange> values = is_or ? tests[i]->ranges : complement(tests[i]->ranges);
        if (!group_step[v]) {
          group_step[v] = steps.size();
          ChainStep step;
          step.kind = ChainStep::Kind::SetTest;
          step.variable = tests[i]->variable;
          steps.push_back(std::move(step));
        }
        auto& ranges = steps[*group_step[v]].ranges;
        ranges.insert(ranges.end(), values.begin(), values.end());
        continue;
      }
    }
    ChainStep step;
    step.operand = operands[i];
    steps.push_back(std::move(step));
  }
  for (ChainStep& step : steps) {
    if (step.kind == ChainStep::Kind::SetTest) step.ranges = merge_ranges(std::move(step.ranges));
  }
  return steps;
}

}  // namespace bpffw::codegen
