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

namespace bpffw::codegen {

struct RuntimeSpec {
  bool counters = false;
  bool metadata = false;              // the self-description global
  std::vector<Parameter> parameters;  // names and initial values
  // Named sets (docs/filter-language.md §9): names and element types, and the most entries the
  // integer map and each address map hold (map_layout.hpp).
  std::vector<ProgramMetadata::SetName> sets;
  std::uint32_t integer_set_capacity = kDefaultIntegerSetCapacity;
  std::uint32_t address_set_capacity = kDefaultAddressSetCapacity;
  std::string source;                  // the expression, for the metadata
  std::optional<Direction> direction;  // the filter's (local_*, remote_*), for the metadata
  std::optional<LogLimit> log;         // the drop log's maps (drop_log.hpp), and its limit
};

// What compile(filter, options) puts in: counters unless options.counters is false, the
// filter's parameters, the drop log when options.log asks, and always the metadata.
RuntimeSpec runtime_spec_for(const Filter& filter, const CompileOptions& options);

}  // namespace bpffw::codegen
