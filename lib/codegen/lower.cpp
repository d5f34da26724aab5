#include "codegen/lower.hpp"

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "codegen/address_lowering.hpp"
#include "codegen/chains.hpp"
#include "codegen/membership.hpp"
#include "codegen/named_sets.hpp"
#include "codegen/rule_lookup.hpp"
#include "layout/map_layout.hpp"

#include "codegen/runtime_maps.hpp"

namespace bpffw::codegen {
namespace {

using ast::BinaryOp;

class Lowering {
 public:
  Lowering(llvm::IRBuilder<>& builder, const PacketFields& fields) : b_(builder), fields_(fields) {}

  llvm::Value* value(const ast::Expr& expr);
  void branch(const ast::Expr& expr, llvm::BasicBlock* on_true, llvm::BasicBlock* on_false);

  // Where an evaluation that names its decider goes on: a block, and there the phi that collects
  // the deciding part's span (nullptr where a later part decides anyway).
  struct Exit {
    llvm::BasicBlock* block;
    llvm::PHINode* decider;
  };
  // Evaluates `expr` in written order, as the interpreter does, continuing in on_true or
  // on_false with the span of the part that decided its value (InterpretResult::decided_by);
  // `known` is its value when the caller knows it already.
  void decide(const ast::Expr& expr, Exit on_true, Exit on_false, std::optional<bool> known);
  // decide() for operands[first, last) of an && (is_and) or || chain, tests of one variable
  // (as_variable_test): one search finds the operand that stops the chain; when none does, the
  // chain goes on to `next`, or, when the run ends the chain (next is nullptr), its last operand
  // decides.
  void decide_run(bool is_and, const std::vector<const ast::Expr*>& operands, std::size_t first, std::size_t last,
                  Exit on_true, Exit on_false, llvm::BasicBlock* next);
  // decide() for a rule list (rule_lists.hpp): its first term, in written order, that is true.
  void decide_rule_list(const RuleListPlan& plan, const std::vector<const ast::Expr*>& operands, Exit on_true,
                        Exit on_false);
  void go_to(const ast::Expr& decider, const Exit& exit) { go_to(decider.span, exit); }
  void go_to(const SourceSpan& decider, const Exit& exit);
  void go_to(llvm::Value* decider, const Exit& exit);

 private:
  llvm::Value* constant(std::int64_t v) { return b_.getInt64(static_cast<std::uint64_t>(v)); }
  llvm::Value* as_i64(llvm::Value* flag) { return b_.CreateZExt(flag, b_.getInt64Ty()); }
  // Blocks are created detached and put at the end of the function when code goes into them,
  // so the function's block order is the order of emission: the backend keeps that order
  // (block placement is off, see target.cpp), and the BPF backend cannot invert a branch once
  // placed, so this order decides which successor falls through.
  llvm::BasicBlock* block(const char* name) { return llvm::BasicBlock::Create(b_.getContext(), name); }
  void enter(llvm::BasicBlock* block) {
    if (block->getParent() == nullptr) block->insertInto(b_.GetInsertBlock()->getParent());
    b_.SetInsertPoint(block);
  }
  // An i1 for the comparison operators, nullptr for the others.
  llvm::Value* comparison(BinaryOp op, llvm::Value* lhs, llvm::Value* rhs);
  llvm::Value* binary(BinaryOp op, llvm::Value* lhs, llvm::Value* rhs);
  llvm::Value* divide(llvm::Value* lhs, llvm::Value* rhs, bool remainder);
  // Materializes a branching expression as 0/1 with a phi.
  llvm::Value* boolean_of_branch(const ast::Expr& expr);
  // An && (is_or false) or || chain, regrouped by plan_chain().
  void chain(bool is_or, const std::vector<const ast::Expr*>& operands, llvm::BasicBlock* on_true,
             llvm::BasicBlock* on_false);
  // A rule list (rule_lists.hpp): its lookups, then the terms left out of them.
  void rule_list(const RuleListPlan& plan, llvm::BasicBlock* on_true, llvm::BasicBlock* on_false);
  // True when any term is, a term being true when all its conjuncts are (an empty one is).
  void any_of_terms(const std::vector<std::vector<const ast::Expr*>>& terms, llvm::BasicBlock* on_true,
                    llvm::BasicBlock* on_false);

  llvm::IRBuilder<>& b_;
  const PacketFields& fields_;
};

llvm::Value* Lowering::comparison(BinaryOp op, llvm::Value* lhs, llvm::Value* rhs) {
  switch (op) {
    case BinaryOp::Lt: return b_.CreateICmpSLT(lhs, rhs);
    case BinaryOp::Le: return b_.CreateICmpSLE(lhs, rhs);
    case BinaryOp::Gt: return b_.CreateICmpSGT(lhs, rhs);
    case BinaryOp::Ge: return b_.CreateICmpSGE(lhs, rhs);
    case BinaryOp::Eq: return b_.CreateICmpEQ(lhs, rhs);
    case BinaryOp::Ne: return b_.CreateICmpNE(lhs, rhs);
    default: return nullptr;
  }
}

// Signed division and remainder from unsigned ones on magnitudes (BPF cpu v3 has no sdiv/smod).
// The divisor is never 0 (x / 0 = 0, x % 0 = x) and INT64_MIN / -1 = INT64_MIN falls out of the
// magnitude arithmetic (|INT64_MIN| = 2^63 as unsigned): no undefined behaviour in LLVM IR.
llvm::Value* Lowering::divide(llvm::Value* lhs, llvm::Value* rhs, bool remainder) {
  llvm::Value* zero = constant(0);
  llvm::Value* divisor_is_zero = b_.CreateICmpEQ(rhs, zero);
  llvm::Value* lhs_negative = b_.CreateICmpSLT(lhs, zero);
  llvm::Value* rhs_negative = b_.CreateICmpSLT(rhs, zero);
  llvm::Value* lhs_magnitude = b_.CreateSelect(lhs_negative, b_.CreateSub(zero, lhs), lhs);
  llvm::Value* rhs_magnitude = b_.CreateSelect(rhs_negative, b_.CreateSub(zero, rhs), rhs);
  llvm::Value* safe_divisor = b_.CreateSelect(divisor_is_zero, constant(1), rhs_magnitude);
  if (remainder) {
    llvm::Value* magnitude = b_.CreateURem(lhs_magnitude, safe_divisor);
    llvm::Value* signed_result = b_.CreateSelect(lhs_negative, b_.CreateSub(zero, magnitude), magnitude);
    return b_.CreateSelect(divisor_is_zero, lhs, signed_result);
  }
  llvm::Value* magnitude = b_.CreateUDiv(lhs_magnitude, safe_divisor);
  llvm::Value* negative = b_.CreateXor(lhs_negative, rhs_negative);
  llvm::Value* signed_result = b_.CreateSelect(negative, b_.CreateSub(zero, magnitude), magnitude);
  return b_.CreateSelect(divisor_is_zero, zero, signed_result);
}

llvm::Value* Lowering::binary(BinaryOp op, llvm::Value* lhs, llvm::Value* rhs) {
  if (llvm::Value* compared = comparison(op, lhs, rhs)) return as_i64(compared);
  switch (op) {
    // No nsw/nuw flags: these wrap.
    case BinaryOp::Add: return b_.CreateAdd(lhs, rhs);
    case BinaryOp::Sub: return b_.CreateSub(lhs, rhs);
    case BinaryOp::Mul: return b_.CreateMul(lhs, rhs);
    case BinaryOp::Div: return divide(lhs, rhs, false);
    case BinaryOp::Mod: return divide(lhs, rhs, true);
    // Only the low 6 bits of the shift count: never a shift >= 64 (poison in LLVM IR).
    case BinaryOp::Shl: return b_.CreateShl(lhs, b_.CreateAnd(rhs, constant(63)));
    case BinaryOp::Shr: return b_.CreateAShr(lhs, b_.CreateAnd(rhs, constant(63)));
    case BinaryOp::BitAnd: return b_.CreateAnd(lhs, rhs);
    case BinaryOp::BitXor: return b_.CreateXor(lhs, rhs);
    case BinaryOp::BitOr: return b_.CreateOr(lhs, rhs);
    default: return nullptr;  // comparisons handled above
  }
}

llvm::Value* Lowering::boolean_of_branch(const ast::Expr& expr) {
  llvm::BasicBlock* is_true = block("bool_true");
  llvm::BasicBlock* is_false = block("bool_false");
  llvm::BasicBlock* merge = block("bool_merge");
  branch(expr, is_true, is_false);
  enter(is_true);
  b_.CreateBr(merge);
  enter(is_false);
  b_.CreateBr(merge);
  enter(merge);
  llvm::PHINode* phi = b_.CreatePHI(b_.getInt64Ty(), 2);
  phi->addIncoming(constant(1), is_true);
  phi->addIncoming(constant(0), is_false);
  return phi;
}

llvm::Value* Lowering::value(const ast::Expr& expr) {
  return std::visit(ast::overloaded{
                        [&](const ast::Literal& literal) -> llvm::Value* { return constant(literal.value); },
                        [&](const ast::VariableRef& ref) -> llvm::Value* { return fields_.get(ref.variable); },
                        [&](const ast::ParameterRef& ref) -> llvm::Value* { return load_parameter(b_, ref.index); },
                        [&](const ast::Unary& unary) -> llvm::Value* {
                          switch (unary.op) {
                            case ast::UnaryOp::LogicalNot: return boolean_of_branch(expr);
                            case ast::UnaryOp::BitNot: return b_.CreateNot(value(*unary.operand));
                            case ast::UnaryOp::Negate: return b_.CreateSub(constant(0), value(*unary.operand));
                            case ast::UnaryOp::Plus: return value(*unary.operand);
                          }
                          return nullptr;
                        },
                        [&](const ast::Binary& binary_node) -> llvm::Value* {
                          llvm::Value* lhs = value(*binary_node.lhs);
                          llvm::Value* rhs = value(*binary_node.rhs);
                          return binary(binary_node.op, lhs, rhs);
                        },
                        [&](const ast::Logical&) -> llvm::Value* { return boolean_of_branch(expr); },
                        [&](const ast::SetMember&) -> llvm::Value* { return boolean_of_branch(expr); },
                        [&](const ast::AddressMatch&) -> llvm::Value* { return boolean_of_branch(expr); },
                        [&](const ast::AddressEqual&) -> llvm::Value* { return boolean_of_branch(expr); },
                        [&](const ast::NamedSetMember&) -> llvm::Value* { return boolean_of_branch(expr); },
                        [&](const ast::AddressSetMatch&) -> llvm::Value* { return boolean_of_branch(expr); },
                        // The type check folds every address literal into a match (parser/types.hpp).
                        [&](const ast::AddressLiteral&) -> llvm::Value* { return constant(0); },
                        [&](const ast::Conditional& conditional) -> llvm::Value* {
                          llvm::BasicBlock* if_true = block("cond_true");
                          llvm::BasicBlock* if_false = block("cond_false");
                          llvm::BasicBlock* merge = block("cond_merge");
                          branch(*conditional.condition, if_true, if_false);
                          enter(if_true);
                          llvm::Value* true_value = value(*conditional.if_true);
                          llvm::BasicBlock* true_end = b_.GetInsertBlock();
                          b_.CreateBr(merge);
                          enter(if_false);
                          llvm::Value* false_value = value(*conditional.if_false);
                          llvm::BasicBlock* false_end = b_.GetInsertBlock();
                          b_.CreateBr(merge);
                          enter(merge);
                          llvm::PHINode* phi = b_.CreatePHI(b_.getInt64Ty(), 2);
                          phi->addIncoming(true_value, true_end);
                          phi->addIncoming(false_value, false_end);
                          return phi;
                        },
                    },
                    expr.node);
}

void Lowering::branch(const ast::Expr& expr, llvm::BasicBlock* on_true, llvm::BasicBlock* on_false) {
  std::visit(ast::overloaded{
                 [&](const ast::Literal& literal) { b_.CreateBr(literal.value != 0 ? on_true : on_false); },
                 [&](const ast::Unary& unary) {
                   if (unary.op == ast::UnaryOp::LogicalNot) {
                     branch(*unary.operand, on_false, on_true);
                     return;
                   }
                   b_.CreateCondBr(b_.CreateICmpNE(value(expr), constant(0)), on_true, on_false);
                 },
                 [&](const ast::Binary& binary_node) {
                   llvm::Value* lhs = value(*binary_node.lhs);
                   llvm::Value* rhs = value(*binary_node.rhs);
                   llvm::Value* condition = comparison(binary_node.op, lhs, rhs);
                   if (condition == nullptr) condition = b_.CreateICmpNE(binary(binary_node.op, lhs, rhs), constant(0));
                   b_.CreateCondBr(condition, on_true, on_false);
                 },
                 [&](const ast::Logical& logical) {
                   if (const RuleListPlan* plan = fields_.rule_lists ? fields_.rule_lists->find(logical) : nullptr) {
                     rule_list(*plan, on_true, on_false);
                     return;
                   }
                   std::vector<const ast::Expr*> operands;
                   operands.reserve(logical.operands.size());
                   for (const ast::ExprPtr& operand : logical.operands) operands.push_back(operand.get());
                   chain(logical.op == ast::LogicalOp::Or, operands, on_true, on_false);
                 },
                 [&](const ast::Conditional& conditional) {
                   llvm::BasicBlock* if_true = block("cond_true");
                   llvm::BasicBlock* if_false = block("cond_false");
                   branch(*conditional.condition, if_true, if_false);
                   enter(if_true);
                   branch(*conditional.if_true, on_true, on_false);
                   enter(if_false);
                   branch(*conditional.if_false, on_true, on_false);
                 },
                 [&](const ast::VariableRef&) {
                   b_.CreateCondBr(b_.CreateICmpNE(value(expr), constant(0)), on_true, on_false);
                 },
                 [&](const ast::SetMember& set) {
                   // docs/filter-language.md §7.1 as a compare tree over the sorted, merged ranges: O(log n) compares.
                   std::vector<ValueRange> ranges;
                   ranges.reserve(set.ranges.size());
                   for (const ast::SetRange& range : set.ranges) ranges.push_back({range.lo, range.hi});
                   KnownBounds bounds;
                   if (const auto* ref = std::get_if<ast::VariableRef>(&set.value->node))
                     bounds = variable_bounds(ref->variable);
                   emit_membership(b_, value(*set.value), std::move(ranges), bounds, on_true, on_false);
                 },
                 [&](const ast::ParameterRef&) {
                   b_.CreateCondBr(b_.CreateICmpNE(value(expr), constant(0)), on_true, on_false);
                 },
                 [&](const ast::AddressMatch& match) {
                   emit_address_match(b_, fields_, match.variable, match.prefixes, on_true, on_false);
                 },
                 [&](const ast::AddressEqual& equal) {
                   emit_address_equal(b_, fields_, equal.lhs, equal.rhs, on_true, on_false);
                 },
                 [&](const ast::AddressLiteral&) { b_.CreateBr(on_false); },
                 [&](const ast::NamedSetMember& set) {
                   emit_integer_set_lookup(b_, value(*set.value), set.set, on_true, on_false, fields_.set_states_here);
                 },
                 [&](const ast::AddressSetMatch& match) {
                   emit_address_set_lookup(b_, fields_, match.variable, match.set, on_true, on_false);
                 },
             },
             expr.node);
}

void Lowering::chain(bool is_or, const std::vector<const ast::Expr*>& operands, llvm::BasicBlock* on_true,
                     llvm::BasicBlock* on_false) {
  std::vector<ChainStep> steps = plan_chain(is_or, operands);
  for (std::size_t i = 0; i < steps.size(); ++i) {
    const ChainStep& step = steps[i];
    bool last = i + 1 == steps.size();
    // a || b: each step but the last goes on to the next one when false; a && b: when true.
    llvm::BasicBlock* next = last ? (is_or ? on_false : on_true) : block(is_or ? "or_next" : "and_next");
    llvm::BasicBlock* if_true = is_or ? on_true : next;
    llvm::BasicBlock* if_false = is_or ? next : on_false;
    switch (step.kind) {
      case ChainStep::Kind::Operand: branch(*step.operand, if_true, if_false); break;
      case ChainStep::Kind::SetTest: {
        // In an && chain the ranges are the values that make the chain false.
        llvm::Value* value = fields_.get(step.variable);
        KnownBounds bounds = variable_bounds(step.variable);
        if (is_or) {
          emit_membership(b_, value, step.ranges, bounds, on_true, next);
        } else {
          emit_membership(b_, value, step.ranges, bounds, on_false, next);
        }
        break;
      }
      case ChainStep::Kind::Index: {
        std::vector<ValueRange> keys;
        keys.reserve(step.keys.size());
        for (std::int64_t key : step.keys) keys.push_back({key, key});
        // Buckets of 8 keys tried in turn: per indexed term, one key compare and its own test.
        emit_range_search(
            b_, fields_.get(step.variable), keys, variable_bounds(step.variable),
            [&](std::size_t k, llvm::BasicBlock* otherwise, llvm::Value*) {
              any_of_terms(step.residuals[k], on_true, otherwise);
            },
            next, 8);
        break;
      }
    }
    if (!last) enter(next);
  }
}

void Lowering::rule_list(const RuleListPlan& plan, llvm::BasicBlock* on_true, llvm::BasicBlock* on_false) {
  if (plan.residual.empty()) {
    emit_rule_lookups(b_, fields_, *fields_.rule_lists, plan, on_true, on_false);
    return;
  }
  llvm::BasicBlock* missed = block("rule_list_missed");
  emit_rule_lookups(b_, fields_, *fields_.rule_lists, plan, on_true, missed);
  enter(missed);
  chain(true, plan.residual, on_true, on_false);
}

// The interpreter's rule (lib/interpreter/interpreter.cpp, hands_decision_on): &&, ||, ! and ?:
// hand the decision on to the operand they evaluated last; every other node is a part that decides.
void Lowering::decide(const ast::Expr& expr, Exit on_true, Exit on_false, std::optional<bool> known) {
  if (on_true.decider == nullptr && on_false.decider == nullptr) {
    branch(expr, on_true.block, on_false.block);  // decided again later: any order, the planner's
    return;
  }
  if (const auto* unary = std::get_if<ast::Unary>(&expr.node); unary && unary->op == ast::UnaryOp::LogicalNot) {
    decide(*unary->operand, on_false, on_true, known ? std::optional(!*known) : std::nullopt);
    return;
  }
  if (const auto* logical = std::get_if<ast::Logical>(&expr.node)) {
    // && stops at the first false operand, || at the first true one; when it does not stop
    // (known: && true, || false), every operand ran and the last one decided.
    const bool is_and = logical->op == ast::LogicalOp::And;
    std::vector<const ast::Expr*> operands;
    for (const ast::ExprPtr& operand : logical->operands) operands.push_back(operand.get());
    if (known && *known == is_and) return decide(*operands.back(), on_true, on_false, known);
    if (const RuleListPlan* plan = fields_.rule_lists ? fields_.rule_lists->find(*logical) : nullptr)
      return decide_rule_list(*plan, operands, on_true, on_false);
    for (std::size_t i = 0; i < operands.size();) {
      // Consecutive tests of one variable, searched at once (a chain of thousands of `dst_port !=
      // N` is one path of thousands of compares otherwise, more than a verifier takes).
      std::size_t end = i + 1;
      if (auto test = as_variable_test(*operands[i])) {
        while (end < operands.size()) {
          auto other = as_variable_test(*operands[end]);
          if (!other || other->variable != test->variable) break;
          ++end;
        }
      }
      const bool ends_chain = end == operands.size();
      if (end - i >= 2) {
        llvm::BasicBlock* next = ends_chain ? nullptr : block(is_and ? "decide_and_next" : "decide_or_next");
        decide_run(is_and, operands, i, end, on_true, on_false, next);
        if (next != nullptr) enter(next);
      } else if (ends_chain) {
        decide(*operands[i], on_true, on_false, known);
      } else {
        Exit next{block(is_and ? "decide_and_next" : "decide_or_next"), nullptr};
        decide(*operands[i], is_and ? next : on_true, is_and ? on_false : next, std::nullopt);
        enter(next.block);
      }
      i = end;
    }
    return;
  }
  if (const auto* conditional = std::get_if<ast::Conditional>(&expr.node)) {
    llvm::BasicBlock* if_true = block("decide_cond_true");
    llvm::BasicBlock* if_false = block("decide_cond_false");
    branch(*conditional->condition, if_true, if_false);
    enter(if_true);
    decide(*conditional->if_true, on_true, on_false, known);
    enter(if_false);
    decide(*conditional->if_false, on_true, on_false, known);
    return;
  }
  // Its value known, or both ways alike: no need to evaluate it.
  if (known) return go_to(expr, *known ? on_true : on_false);
  if (on_true.block == on_false.block && on_true.decider == on_false.decider) return go_to(expr, on_true);
  llvm::BasicBlock* if_true = on_true.decider != nullptr ? block("decided_true") : on_true.block;
  llvm::BasicBlock* if_false = on_false.decider != nullptr ? block("decided_false") : on_false.block;
  branch(expr, if_true, if_false);
  if (on_true.decider != nullptr) {
    enter(if_true);
    go_to(expr, on_true);
  }
  if (on_false.decider != nullptr) {
    enter(if_false);
    go_to(expr, on_false);
  }
}

// The lookups name the first term they meet and what decides it (layout::RuleValue); the terms
// left out of them are tried, in written order, only where they come before that one.
void Lowering::decide_rule_list(const RuleListPlan& plan, const std::vector<const ast::Expr*>& operands, Exit on_true,
                                Exit on_false) {
  RuleMatch first = emit_first_rule_match(b_, fields_, *fields_.rule_lists, plan);
  for (std::size_t r = 0; r < plan.residual.size(); ++r) {
    llvm::BasicBlock* before = block("rule_term_before");
    llvm::BasicBlock* next = block("rule_term_next");
    b_.CreateCondBr(b_.CreateICmpULT(b_.getInt64(plan.residual_terms[r]), first.term), before, next);
    enter(before);
    decide(*plan.residual[r], on_true, Exit{next, nullptr}, std::nullopt);
    enter(next);
  }
  llvm::BasicBlock* met = block("rule_term_met");
  llvm::BasicBlock* none = block("rule_term_none");
  b_.CreateCondBr(b_.CreateICmpNE(first.term, b_.getInt64(kNoRuleTerm)), met, none);
  enter(met);
  go_to(first.decider, on_true);
  enter(none);  // every term false: the last one decided
  decide(*operands.back(), on_true, on_false, false);
}

void Lowering::go_to(llvm::Value* decider, const Exit& exit) {
  if (exit.decider != nullptr) exit.decider->addIncoming(decider, b_.GetInsertBlock());
  b_.CreateBr(exit.block);
}

void Lowering::go_to(const SourceSpan& span, const Exit& exit) {
  if (exit.decider != nullptr)
    exit.decider->addIncoming(b_.getInt64(layout::decider_word(span.offset, span.length)), b_.GetInsertBlock());
  b_.CreateBr(exit.block);
}

namespace {

// A run of tests of one variable whose values fall into more pieces (stopped by different tests)
// than this is named as a whole: a compare tree over each piece would be too large a program.
constexpr std::size_t kMaxNamedPieces = 256;

// For a run of tests of one variable in an && (is_and) or || chain: the values for which each
// test is the first to stop the chain (&&: the first false, ||: the first true), as sorted
// disjoint ranges, each with the index of that test. O(n log n) in the ranges.
void first_stopping(bool is_and, const std::vector<VariableTest>& tests, std::vector<ValueRange>& ranges,
                    std::vector<std::size_t>& stopped_by) {
  std::map<std::int64_t, std::int64_t> open{{INT64_MIN, INT64_MAX}};  // no test has stopped these yet
  std::vector<std::pair<ValueRange, std::size_t>> pieces;
  for (std::size_t j = 0; j < tests.size(); ++j) {
    for (const ValueRange& stops : is_and ? complement(tests[j].ranges) : tests[j].ranges) {
      auto it = open.upper_bound(stops.lo);
      if (it != open.begin()) --it;
      while (it != open.end() && it->first <= stops.hi) {
        const std::int64_t lo = it->first, hi = it->second;
        if (hi < stops.lo) {
          ++it;
          continue;
        }
        const std::int64_t cut_lo = std::max(lo, stops.lo), cut_hi = std::min(hi, stops.hi);
        pieces.push_back({{cut_lo, cut_hi}, j});
        it = open.erase(it);
        if (lo < cut_lo) open.emplace(lo, cut_lo - 1);
        if (hi > cut_hi) it = open.emplace(cut_hi + 1, hi).first;
      }
    }
  }
  std::sort(pieces.begin(), pieces.end(), [](const auto& a, const auto& b) { return a.first.lo < b.first.lo; });
  for (const auto& [range, test] : pieces) {
    if (!ranges.empty() && stopped_by.back() == test && ranges.back().hi + 1 == range.lo) {
      ranges.back().hi = range.hi;
      continue;
    }
    ranges.push_back(range);
    stopped_by.push_back(test);
  }
}

}  // namespace

void Lowering::decide_run(bool is_and, const std::vector<const ast::Expr*>& operands, std::size_t first,
                          std::size_t last, Exit on_true, Exit on_false, llvm::BasicBlock* next) {
  std::vector<VariableTest> tests;
  for (std::size_t i = first; i < last; ++i) tests.push_back(*as_variable_test(*operands[i]));
  std::vector<ValueRange> ranges;
  std::vector<std::size_t> stopped_by;
  first_stopping(is_and, tests, ranges, stopped_by);
  const Exit& stop = is_and ? on_false : on_true;
  llvm::BasicBlock* none_stops = next;
  if (none_stops == nullptr) none_stops = block(is_and ? "decided_all_true" : "decided_all_false");
  llvm::Value* value = fields_.get(tests.front().variable);
  const KnownBounds bounds = variable_bounds(tests.front().variable);
  if (ranges.size() <= kMaxNamedPieces) {
    emit_range_search(
        b_, value, ranges, bounds,
        [&](std::size_t k, llvm::BasicBlock*, llvm::Value*) { go_to(*operands[first + stopped_by[k]], stop); },
        none_stops);
  } else {
    // The whole run names itself: one search whether any test stops the chain.
    const SourceSpan& from = operands[first]->span;
    const SourceSpan& to = operands[last - 1]->span;
    const SourceSpan whole{from.offset, to.offset + to.length - from.offset, from.line, from.column};
    llvm::BasicBlock* stopped = block(is_and ? "decided_run_false" : "decided_run_true");
    emit_membership(b_, value, std::move(ranges), bounds, stopped, none_stops);
    enter(stopped);
    go_to(whole, stop);
  }
  if (next == nullptr) {
    enter(none_stops);
    go_to(*operands[last - 1], is_and ? on_true : on_false);
  }
}

void Lowering::any_of_terms(const std::vector<std::vector<const ast::Expr*>>& terms, llvm::BasicBlock* on_true,
                            llvm::BasicBlock* on_false) {
  for (std::size_t i = 0; i < terms.size(); ++i) {
    bool last = i + 1 == terms.size();
    llvm::BasicBlock* next = last ? on_false : block("term_next");
    if (terms[i].empty()) {
      b_.CreateBr(on_true);
    } else {
      chain(false, terms[i], on_true, next);
    }
    if (!last) enter(next);
  }
}

}  // namespace

void lower_branch(llvm::IRBuilder<>& builder, const PacketFields& fields, const ast::Expr& expr,
                  llvm::BasicBlock* on_true, llvm::BasicBlock* on_false) {
  Lowering(builder, fields).branch(expr, on_true, on_false);
}

llvm::Value* lower_decider(llvm::IRBuilder<>& builder, const PacketFields& fields, const ast::Expr& expr, bool value) {
  Lowering lowering(builder, fields);
  llvm::BasicBlock* decided = llvm::BasicBlock::Create(builder.getContext(), "decided");
  auto* span = llvm::PHINode::Create(builder.getInt64Ty(), 2, "decider", decided);
  lowering.decide(expr, {decided, span}, {decided, span}, value);
  decided->insertInto(builder.GetInsertBlock()->getParent());
  builder.SetInsertPoint(decided);
  return span;
}

llvm::Value* lower_value(llvm::IRBuilder<>& builder, const PacketFields& fields, const ast::Expr& expr) {
  return Lowering(builder, fields).value(expr);
}

}  // namespace bpffw::codegen
