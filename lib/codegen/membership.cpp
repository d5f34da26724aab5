#include "codegen/membership.hpp"

#include <algorithm>

namespace bpffw::codegen {

std::vector<ValueRange> merge_ranges(std::vector<ValueRange> ranges) {
  std::sort(ranges.begin(), ranges.end(), [](const ValueRange& a, const ValueRange& b) { return a.lo < b.lo; });
  std::vector<ValueRange> merged;
  for (const ValueRange& range : ranges) {
    // Adjacent (hi + 1 == lo) merges too; hi == INT64_MAX swallows everything after it.
    if (!merged.empty() && (merged.back().hi == INT64_MAX || range.lo <= merged.back().hi + 1)) {
      merged.back().hi = std::max(merged.back().hi, range.hi);
    } else {
      merged.push_back(range);
    }
  }
  return merged;
}

namespace {

// Ranges above which the searched value lives in a stack slot (see keep_in_stack_slot).
constexpr std::size_t kLargeSearch = 256;

class RangeSearch {
 public:
  RangeSearch(llvm::IRBuilder<>& builder, llvm::Value* value, const std::vector<ValueRange>& ranges,
              const FoundRange& found, llvm::BasicBlock* not_found, std::size_t bucket)
      : b_(builder),
        value_(value),
        current_(value),
        ranges_(ranges),
        found_(found),
        not_found_(not_found),
        bucket_(bucket) {}

  // Ranges [first, last) with the value known to lie in [bounds.min, bounds.max]. The recursion
  // depth is log2 of the number of ranges.
  // A search over thousands of ranges reads the value from a stack slot at every level: held in
  // a register across the whole tree, LLVM's register allocator gives up on the huge live range
  // and reloads it before every compare instead.
  void keep_in_stack_slot() {
    llvm::Function* function = b_.GetInsertBlock()->getParent();
    llvm::IRBuilder<> entry(&function->getEntryBlock(), function->getEntryBlock().begin());
    slot_ = entry.CreateAlloca(b_.getInt64Ty(), nullptr, "search_value");
    b_.CreateStore(value_, slot_, /*isVolatile=*/true);
  }

  void emit(std::size_t first, std::size_t last, KnownBounds bounds) {
    if (slot_ != nullptr) current_ = b_.CreateLoad(b_.getInt64Ty(), slot_, /*isVolatile=*/true);
    if (last - first <= bucket_) {
      linear(first, last, bounds);
      return;
    }
    std::size_t middle = first + (last - first) / 2;
    std::int64_t pivot = ranges_[middle].lo;  // > ranges_[middle - 1].hi, so pivot - 1 cannot overflow
    llvm::BasicBlock* below = block("set_below");
    llvm::BasicBlock* above = block("set_above");
    b_.CreateCondBr(b_.CreateICmpSLT(current_, constant(pivot)), below, above);
    enter(below);
    emit(first, middle, KnownBounds{bounds.min, std::min(bounds.max, pivot - 1)});
    enter(above);
    emit(middle, last, KnownBounds{std::max(bounds.min, pivot), bounds.max});
  }

 private:
  llvm::Value* constant(std::int64_t v) { return b_.getInt64(static_cast<std::uint64_t>(v)); }
  // Detached until code goes into it, as in lower.cpp: block order is emission order.
  llvm::BasicBlock* block(const char* name) { return llvm::BasicBlock::Create(b_.getContext(), name); }
  void enter(llvm::BasicBlock* block) {
    if (block->getParent() == nullptr) block->insertInto(b_.GetInsertBlock()->getParent());
    b_.SetInsertPoint(block);
  }

  // A few ranges tried one after the other: cheaper in instructions than more tree levels. A
  // found range whose caller's test fails goes on to the next one, which then fails its own
  // range check (ranges are disjoint): no extra jump back to the tree.
  void linear(std::size_t first, std::size_t last, KnownBounds bounds) {
    for (std::size_t i = first; i < last; ++i) {
      llvm::BasicBlock* next = i + 1 == last ? not_found_ : block("set_next");
      KnownBounds entry{i == first ? bounds.min : INT64_MIN, i + 1 == last ? bounds.max : INT64_MAX};
      entry_test(i, entry, next);
      if (next != not_found_) enter(next);
    }
  }

  // Checks only the bounds that are not already known.
  void entry_test(std::size_t index, KnownBounds bounds, llvm::BasicBlock* otherwise) {
    const ValueRange& range = ranges_[index];
    bool lo_known = bounds.min >= range.lo;
    bool hi_known = bounds.max <= range.hi;
    llvm::Value* inside = nullptr;
    if (lo_known && hi_known) {
      // The path proves membership (or the value cannot be anything else).
    } else if (range.lo == range.hi) {
      inside = b_.CreateICmpEQ(current_, constant(range.lo));
    } else if (lo_known) {
      inside = b_.CreateICmpSLE(current_, constant(range.hi));
    } else if (hi_known) {
      inside = b_.CreateICmpSGE(current_, constant(range.lo));
    } else {
      // lo <= v <= hi as one unsigned compare: v - lo <= hi - lo (mod 2^64).
      std::uint64_t width = static_cast<std::uint64_t>(range.hi) - static_cast<std::uint64_t>(range.lo);
      inside = b_.CreateICmpULE(b_.CreateSub(current_, constant(range.lo)), b_.getInt64(width));
    }
    if (inside == nullptr) {
      found_(index, otherwise, current_);
      return;
    }
    llvm::BasicBlock* hit = block("set_hit");
    b_.CreateCondBr(inside, hit, otherwise);
    enter(hit);
    found_(index, otherwise, current_);
  }

  llvm::IRBuilder<>& b_;
  llvm::Value* value_;
  llvm::Value* current_;  // value_, or its copy loaded from slot_ for this part of the tree
  llvm::AllocaInst* slot_ = nullptr;
  const std::vector<ValueRange>& ranges_;
  const FoundRange& found_;
  llvm::BasicBlock* not_found_;
  std::size_t bucket_;
};

}  // namespace

void emit_range_search(llvm::IRBuilder<>& builder, llvm::Value* value, const std::vector<ValueRange>& ranges,
                       KnownBounds bounds, const FoundRange& found, llvm::BasicBlock* not_found, std::size_t bucket) {
  // Ranges entirely outside the known bounds can never match.
  std::size_t first = 0, last = ranges.size();
  while (first < last && ranges[first].hi < bounds.min) ++first;
  while (last > first && ranges[last - 1].lo > bounds.max) --last;
  if (first == last) {
    builder.CreateBr(not_found);
    return;
  }
  RangeSearch search(builder, value, ranges, found, not_found, std::max<std::size_t>(bucket, 1));
  if (last - first > kLargeSearch) search.keep_in_stack_slot();
  search.emit(first, last, bounds);
}

namespace {

// Leaves of a membership search: a single range, or up to 64 values within a 64-wide window,
// tested with one mask (LLVM's "bit test" switch lowering): for sparse port lists this cuts the
// program several-fold, and the tree has fewer levels.
struct Leaf {
  ValueRange span;         // the values the leaf may contain
  std::uint64_t mask = 0;  // bit i: span.lo + i is a member; 0 for a plain range
};

constexpr std::uint64_t kWindow = 64;
// Plain ranges per leaf of the tree, tried in turn.
constexpr std::size_t kMembershipBucket = 4;

std::vector<Leaf> cluster(const std::vector<ValueRange>& ranges) {
  std::vector<Leaf> leaves;
  for (std::size_t i = 0; i < ranges.size();) {
    std::uint64_t width = static_cast<std::uint64_t>(ranges[i].hi) - static_cast<std::uint64_t>(ranges[i].lo);
    std::size_t end = i + 1;
    if (width < kWindow) {
      while (end < ranges.size() &&
             static_cast<std::uint64_t>(ranges[end].hi) - static_cast<std::uint64_t>(ranges[i].lo) < kWindow) {
        ++end;
      }
    }
    Leaf leaf{{ranges[i].lo, ranges[end - 1].hi}, 0};
    if (end - i > 1) {
      for (std::size_t r = i; r < end; ++r) {
        for (std::int64_t v = ranges[r].lo;; ++v) {
          leaf.mask |= std::uint64_t{1} << (static_cast<std::uint64_t>(v) - static_cast<std::uint64_t>(leaf.span.lo));
          if (v == ranges[r].hi) break;
        }
      }
    }
    leaves.push_back(leaf);
    i = end;
  }
  return leaves;
}

}  // namespace

void emit_membership(llvm::IRBuilder<>& builder, llvm::Value* value, std::vector<ValueRange> ranges, KnownBounds bounds,
                     llvm::BasicBlock* on_true, llvm::BasicBlock* on_false) {
  std::vector<ValueRange> merged = merge_ranges(std::move(ranges));
  std::vector<Leaf> leaves = cluster(merged);
  std::vector<ValueRange> spans;
  spans.reserve(leaves.size());
  bool any_mask = false;
  for (const Leaf& leaf : leaves) {
    spans.push_back(leaf.span);
    any_mask = any_mask || leaf.mask != 0;
  }
  // A mask test costs several instructions: a tree level is cheaper than trying masks in turn.
  std::size_t bucket = any_mask ? 1 : kMembershipBucket;
  emit_range_search(
      builder, value, spans, bounds,
      [&](std::size_t index, llvm::BasicBlock* otherwise, llvm::Value* value) {
        const Leaf& leaf = leaves[index];
        if (leaf.mask == 0) {
          builder.CreateBr(on_true);
          return;
        }
        // The value is within the leaf's span, so 0 <= value - lo < 64: the shift is defined.
        llvm::Value* bit = builder.CreateSub(value, builder.getInt64(static_cast<std::uint64_t>(leaf.span.lo)));
        llvm::Value* shifted = builder.CreateLShr(builder.getInt64(leaf.mask), bit);
        llvm::Value* member = builder.CreateTrunc(shifted, builder.getInt1Ty());
        builder.CreateCondBr(member, on_true, otherwise);
      },
      on_false, bucket);
}

}  // namespace bpffw::codegen
