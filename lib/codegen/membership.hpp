// Set membership as a balanced compare tree (docs/filter-language.md §7, and long `x == c || ...` chains): the
// ranges are sorted and merged, and a value is located in O(log n) compares. Each leaf checks
// only the bounds its path has not already established.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include <llvm/IR/IRBuilder.h>

namespace bpffw::codegen {

struct ValueRange {
  std::int64_t lo;  // inclusive
  std::int64_t hi;  // inclusive, lo <= hi
};

// Sorted by lo, overlapping and adjacent ranges merged: the canonical form the tree needs.
std::vector<ValueRange> merge_ranges(std::vector<ValueRange> ranges);

// What is known about the value before any compare (e.g. ports are 0..65535).
struct KnownBounds {
  std::int64_t min = INT64_MIN;
  std::int64_t max = INT64_MAX;
};

// Called when the value lies in ranges[index], with the builder in a block where that holds and
// `value` the searched value there (use it, not the original, see membership.cpp); it must end
// the block, branching to `otherwise` when its own test fails (never back to the tree).
using FoundRange = std::function<void(std::size_t index, llvm::BasicBlock* otherwise, llvm::Value* value)>;

// Emits a search for `value` (i64) among `ranges` (sorted, disjoint): a balanced tree of `<`
// compares down to groups of at most `bucket` ranges, which are tried in turn. A value in no
// range goes to `not_found`.
void emit_range_search(llvm::IRBuilder<>& builder, llvm::Value* value, const std::vector<ValueRange>& ranges,
                       KnownBounds bounds, const FoundRange& found, llvm::BasicBlock* not_found,
                       std::size_t bucket = 1);

// `value in ranges`: branches to on_true or on_false. `ranges` need not be merged.
void emit_membership(llvm::IRBuilder<>& builder, llvm::Value* value, std::vector<ValueRange> ranges, KnownBounds bounds,
                     llvm::BasicBlock* on_true, llvm::BasicBlock* on_false);

}  // namespace bpffw::codegen
