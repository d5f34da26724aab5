// The named sets' maps of a loaded program (docs/filter-language.md §9, the layout in
// lib/layout/map_layout.hpp): writing, deleting and reading a set's entries under a tag, and its
// current generation. lib/runtime builds the changes of `bpffwc set` on these.
#pragma once

#include <cstdint>
#include <vector>

#include <bpf/libbpf.h>

#include <bpffw/error.hpp>
#include <bpffw/sets.hpp>

#include "loader/unique_fd.hpp"

namespace bpffw::loader {

// A program's set maps; an fd is -1 for a map the program does not have.
struct SetMaps {
  detail::UniqueFd generation;
  detail::UniqueFd integers;
  detail::UniqueFd ipv4;
  detail::UniqueFd ipv6;
};

// The set maps of a loaded program, found by name among its maps.
Result<SetMaps> open_set_maps(int program_fd);

// After bpf_object__load: writes each set's items under generation 0 and binds every set map to
// the program (so that a set the expression does not use is still found). Called before the
// program is returned, so on failure the maps go with it.
Result<void> fill_set_maps(bpf_object* object, int program_fd, const std::vector<NamedSet>& sets);

// Adds the items under `tag` (layout::set_tag) that are not there yet; an integer range is one
// entry per integer. `added`, if given, receives the entries this call added, so that a caller
// can undo them when a later step fails (on failure too: what was added before it).
Result<void> insert_set_items(const SetMaps& maps, std::uint32_t tag, const SetItems& items, SetItems* added = nullptr);
// Deletes the items under `tag`; an item that is not there is no error. `deleted` as `added`.
Result<void> delete_set_items(const SetMaps& maps, std::uint32_t tag, const SetItems& items,
                              SetItems* deleted = nullptr);
// Every item under `tag`: integers merged into ranges, sorted; prefixes in the map's order.
Result<SetItems> read_set_items(const SetMaps& maps, std::uint32_t tag, SetElement element);

Result<std::uint32_t> read_set_generation(const SetMaps& maps, std::uint32_t set_index);
// One map update: a packet judged after it looks up the new generation's tag.
Result<void> write_set_generation(const SetMaps& maps, std::uint32_t set_index, std::uint32_t generation);

}  // namespace bpffw::loader
