#include "parser/large_sets.hpp"

#include <algorithm>
#include <optional>
#include <string>
#include <utility>

namespace bpffw::parser {
namespace {

// An integer set in a map holds each integer of its ranges; one whose ranges span more integers
// stays a search tree (whose size grows with the ranges, not with the integers).
constexpr std::uint64_t kMostIntegersInMap = std::uint64_t{1} << 20;

// A test that is true exactly when a packet variable is one of `items` (in an `||` chain), or
// false exactly then (in an `&&` chain).
struct ChainTest {
  ast::Variable variable;
  std::vector<ast::SetRange> ranges;
  std::vector<ast::Prefix> prefixes;
};

std::optional<ast::Variable> packet_variable(const ast::Expr& expr) {
  if (const auto* ref = std::get_if<ast::VariableRef>(&expr.node)) return ref->variable;
  return std::nullopt;
}

// `v == c`, `c == v` (or `!=` for `&&` chains), `v in {...}`, an address test.
std::optional<ChainTest> member_test(const ast::Expr& expr, ast::BinaryOp equality) {
  if (const auto* binary = std::get_if<ast::Binary>(&expr.node)) {
    if (binary->op != equality) return std::nullopt;
    const ast::Expr* variable = binary->lhs.get();
    const ast::Expr* constant = binary->rhs.get();
    if (!packet_variable(*variable)) std::swap(variable, constant);
    auto v = packet_variable(*variable);
    const auto* literal = std::get_if<ast::Literal>(&constant->node);
    if (!v || literal == nullptr) return std::nullopt;
    return ChainTest{*v, {{literal->value, literal->value}}, {}};
  }
  if (equality != ast::BinaryOp::Eq) return std::nullopt;
  if (const auto* set = std::get_if<ast::SetMember>(&expr.node)) {
    if (auto v = packet_variable(*set->value)) return ChainTest{*v, set->ranges, {}};
  }
  if (const auto* match = std::get_if<ast::AddressMatch>(&expr.node))
    return ChainTest{match->variable, {}, match->prefixes};
  return std::nullopt;
}

std::optional<ChainTest> chain_test(const ast::Expr& expr, ast::LogicalOp op) {
  if (op == ast::LogicalOp::Or) return member_test(expr, ast::BinaryOp::Eq);
  if (auto test = member_test(expr, ast::BinaryOp::Ne)) return test;
  const auto* unary = std::get_if<ast::Unary>(&expr.node);
  if (unary == nullptr || unary->op != ast::UnaryOp::LogicalNot) return std::nullopt;
  return member_test(*unary->operand, ast::BinaryOp::Eq);
}

std::size_t item_count(const ChainTest& test) { return test.ranges.size() + test.prefixes.size(); }

ast::ExprPtr make_expr(ast::Node node, SourceSpan span, unsigned depth) {
  return std::make_unique<ast::Expr>(ast::Expr{std::move(node), span, depth});
}

// From the start of `first` to the end of `last`.
SourceSpan covering(const SourceSpan& first, const SourceSpan& last) {
  SourceSpan span = first;
  span.length = std::max(first.offset + first.length, last.offset + last.length) - first.offset;
  return span;
}

// In an `||` (`&&`) chain, the tests of one variable that are many enough become one `v in {...}`
// (`!(v in {...})`) where the first of them stood.
void merge_chain(ast::Logical& logical) {
  std::vector<std::optional<ChainTest>> tests;
  for (const ast::ExprPtr& operand : logical.operands) tests.push_back(chain_test(*operand, logical.op));
  for (std::size_t first = 0; first < tests.size(); ++first) {
    if (!tests[first]) continue;
    const ast::Variable variable = tests[first]->variable;
    const bool addresses = fields::field(variable).type == fields::Type::Address;
    std::vector<std::size_t> members;
    ChainTest merged{variable, {}, {}};
    for (std::size_t i = first; i < tests.size(); ++i) {
      if (!tests[i] || tests[i]->variable != variable) continue;
      members.push_back(i);
      merged.ranges.insert(merged.ranges.end(), tests[i]->ranges.begin(), tests[i]->ranges.end());
      merged.prefixes.insert(merged.prefixes.end(), tests[i]->prefixes.begin(), tests[i]->prefixes.end());
    }
    if (members.size() < 2 || item_count(merged) < kInlineSetInMap) continue;
    SourceSpan span = covering(logical.operands[members.front()]->span, logical.operands[members.back()]->span);
    ast::ExprPtr test;
    if (addresses) {
      test = make_expr(ast::AddressMatch{variable, std::move(merged.prefixes)}, span, 1);
    } else {
      test = make_expr(ast::SetMember{make_expr(ast::VariableRef{variable}, span, 1), std::move(merged.ranges), {}},
                       span, 2);
    }
    if (logical.op == ast::LogicalOp::And)
      test = make_expr(ast::Unary{ast::UnaryOp::LogicalNot, std::move(test)}, span, test->depth + 1);
    logical.operands[members.front()] = std::move(test);
    for (std::size_t i = members.size() - 1; i > 0; --i) {
      logical.operands[members[i]].reset();
      tests[members[i]].reset();
    }
    tests[first].reset();
  }
  std::erase(logical.operands, nullptr);
}

std::vector<SetIntegerRange> merged_ranges(const std::vector<ast::SetRange>& written) {
  std::vector<SetIntegerRange> ranges;
  for (const ast::SetRange& range : written) ranges.push_back({range.lo, range.hi});
  return merge_set_ranges(std::move(ranges));
}

class SetMover {
 public:
  explicit SetMover(std::vector<NamedSet>& sets) : sets_(sets) {}

  void visit(ast::ExprPtr& expr) {
    std::visit(ast::overloaded{
                   [&](ast::Unary& node) { visit(node.operand); },
                   [&](ast::Binary& node) {
                     visit(node.lhs);
                     visit(node.rhs);
                   },
                   [&](ast::Logical& node) {
                     merge_chain(node);
                     for (ast::ExprPtr& operand : node.operands) visit(operand);
                   },
                   [&](ast::Conditional& node) {
                     visit(node.condition);
                     visit(node.if_true);
                     visit(node.if_false);
                   },
                   [&](ast::SetMember& node) { visit(node.value); },
                   [&](ast::NamedSetMember& node) { visit(node.value); },
                   [](auto&) {},
               },
               expr->node);
    // After the children: a chain merged into one test is that test.
    if (auto* logical = std::get_if<ast::Logical>(&expr->node); logical && logical->operands.size() == 1) {
      ast::ExprPtr only = std::move(logical->operands.front());
      expr = std::move(only);
    }
    to_map(expr);
  }

 private:
  void to_map(ast::ExprPtr& expr) {
    if (auto* set = std::get_if<ast::SetMember>(&expr->node)) {
      SetItems items{SetElement::Integer, merged_ranges(set->ranges), {}};
      if (items.ranges.size() < kInlineSetInMap || items.entry_count() > kMostIntegersInMap) return;
      ast::ExprPtr value = std::move(set->value);
      expr->node = ast::NamedSetMember{std::move(value), add(expr->span, std::move(items))};
    } else if (auto* match = std::get_if<ast::AddressMatch>(&expr->node)) {
      if (match->prefixes.size() < kInlineSetInMap) return;
      SetItems items{SetElement::Address, {}, {}};
      for (const ast::Prefix& prefix : match->prefixes)
        items.prefixes.push_back({prefix.family == ast::Family::Ipv6, prefix.bytes, prefix.length});
      expr->node = ast::AddressSetMatch{match->variable, add(expr->span, std::move(items))};
    }
  }

  std::uint32_t add(const SourceSpan& span, SetItems items) {
    std::string name = "{set@" + std::to_string(span.line) + "." + std::to_string(span.column);
    auto taken = [&](const std::string& candidate) {
      return std::any_of(sets_.begin(), sets_.end(), [&](const NamedSet& set) { return set.name == candidate; });
    };
    std::string unique = name + "}";
    for (int n = 2; taken(unique); ++n) unique = name + "#" + std::to_string(n) + "}";
    sets_.push_back({std::move(unique), std::move(items)});
    return static_cast<std::uint32_t>(sets_.size() - 1);
  }

  std::vector<NamedSet>& sets_;
};

}  // namespace

void move_large_sets_to_maps(ast::ExprPtr& root, std::vector<NamedSet>& sets) { SetMover(sets).visit(root); }

}  // namespace bpffw::parser
