// What a program carries besides its filter: counters, runtime parameters, the metadata global and
// the direction (runtime_maps.hpp builds them). No LLVM here: tools and tests fill one in too.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <bpffw/compiler.hpp>
#include <bpffw/direction.hpp>
#include <bpffw/filter.hpp>
#include <bpffw/runtime.hpp>

#include "codegen/rule_lists.hpp"
#include "parser/set_maps.hpp"

namespace bpffw::codegen {

using parser::set_map_entries;
using parser::SetMapSizes;

struct RuntimeSpec {
  bool counters = false;
  bool audit = false;                 // CompileOptions::audit
  bool metadata = false;              // the self-description global
  std::vector<Parameter> parameters;  // names and initial values
  // Named sets (docs/filter-language.md §9): names and element types, and the most entries each
  // set map holds.
  std::vector<ProgramMetadata::SetName> sets;
  SetMapSizes set_capacity;
  std::string source;                  // the expression, for the metadata
  std::optional<Direction> direction;  // the filter's (local_*, remote_*), for the metadata
  std::optional<LogLimit> log;         // the drop log's maps (drop_log.hpp), and its limit
  // With the log: each record names the part of the expression that decided (lower_decider).
  // Only a benchmark of that cost (bench/counters/decider_cost.cpp) turns it off.
  bool log_decider = true;
  // The expression's rule lists (rule_lists.hpp) and their keys, planned on the filter's AST.
  RuleLists rules;
  // Socket programs: count their refusals per hook (layout::kRefusalsMap).
  bool refusal_counters = false;
};

// What compile(filter, options) puts in: counters unless options.counters is false, the
// filter's parameters, the drop log when options.log asks, and always the metadata. Each set map
// holds options.set_capacity entries if given, else its default (sets.hpp) or set_capacity_for(what
// the filter's sets put in it), whichever is more, so that any set can be replaced whole.
RuntimeSpec runtime_spec_for(const Filter& filter, const CompileOptions& options);

// The program's self-description (layout/metadata.hpp) for `spec`.
ProgramMetadata metadata_of(const RuntimeSpec& spec);

}  // namespace bpffw::codegen
