// How many entries a filter's named sets take in each of its set maps, and the capacity each map
// gets (docs/filter-language.md §9, <bpffw/sets.hpp>): what the code generator sizes the maps by
// and what the compile cache's key holds of the sets. No LLVM here.
#pragma once

#include <cstdint>
#include <vector>

#include <bpffw/sets.hpp>

namespace bpffw::parser {

// How many entries each of a program's set maps (layout/map_layout.hpp) holds, or may hold.
struct SetMapSizes {
  std::uint64_t integers = 0;
  std::uint64_t ipv4_exact = 0;  // whole addresses, in the hash maps
  std::uint64_t ipv6_exact = 0;
  std::uint64_t ipv4_prefixes = 0;  // shorter prefixes, in the LPM tries
  std::uint64_t ipv6_prefixes = 0;
  std::uint64_t ipv4_cover = 0;  // the prefixes' entries in the cover maps (layout::PrefixCover)
  std::uint64_t ipv6_cover = 0;
  SetMapSizes& operator+=(const SetMapSizes& other);
};

// The entries one set's items take in the set maps.
SetMapSizes set_map_entries(const SetItems& items);

// Each map's capacity: `set_capacity` (CompileOptions::set_capacity) if given, else its default or
// set_capacity_for(what the sets put in it), whichever is more. The cover maps, whose entries the
// user does not count, get at least set_capacity_for(what the sets put in them) either way.
SetMapSizes set_map_capacities(const std::vector<NamedSet>& sets, std::uint32_t set_capacity);

}  // namespace bpffw::parser
