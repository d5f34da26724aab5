// The named sets' maps of a loaded program (docs/filter-language.md §9, the layout in
// lib/layout/map_layout.hpp): writing, deleting and reading a set's entries under a tag, and its
// state word. lib/runtime builds the changes of `bpffwc set` on these.
#pragma once

#include <cstdint>
#include <vector>

#include <bpf/libbpf.h>

#include <bpffw/error.hpp>
#include <bpffw/sets.hpp>

#include "loader/unique_fd.hpp"

namespace bpffw::loader {

// One set map; fd -1 for a map the program does not have.
struct SetMap {
  detail::UniqueFd fd;
  std::uint32_t capacity = 0;  // its max_entries
};

// A program's set maps: the state words, then the maps of entries, in SetMapKind order.
struct SetMaps {
  detail::UniqueFd state;
  SetMap entries[5];
};

// The maps of entries: integers, whole IPv4 and IPv6 addresses (hash maps), shorter IPv4 and IPv6
// prefixes (LPM tries).
enum SetMapKind : unsigned { kIntegers, kIpv4Exact, kIpv6Exact, kIpv4Trie, kIpv6Trie };

// The set maps of a loaded program, found by name among its maps.
Result<SetMaps> open_set_maps(int program_fd);

// After bpf_object__load: writes each set's items under generation 0, with its state word, and
// binds every set map to the program (so that a set the expression does not use is still found).
// Called before the program is returned, so on failure the maps go with it.
Result<void> fill_set_maps(bpf_object* object, int program_fd, const std::vector<NamedSet>& sets);

// The state-word flags (layout::kSetState*) that items with shorter prefixes need.
std::uint32_t trie_flags(const SetItems& items);

// Writes the items under `tag` (layout::set_tag), which holds nothing yet, in batches where the
// kernel offers them. Refuses, before writing anything, items that do not fit the maps. On
// failure some may have been written: clear_set_items(tag) removes them.
Result<void> write_set_items(const SetMaps& maps, std::uint32_t tag, const SetItems& items);
// Deletes every entry under `tag`.
Result<void> clear_set_items(const SetMaps& maps, std::uint32_t tag, SetElement element);

// Adds the items under `tag` that are not there yet; an integer range is one entry per integer.
// `added`, if given, receives the entries this call added, so that a caller can undo them when a
// later step fails (on failure too: what was added before it).
Result<void> insert_set_items(const SetMaps& maps, std::uint32_t tag, const SetItems& items, SetItems* added = nullptr);
// Deletes the items under `tag`; an item that is not there is no error. `deleted` as `added`.
Result<void> delete_set_items(const SetMaps& maps, std::uint32_t tag, const SetItems& items,
                              SetItems* deleted = nullptr);
// Every item under `tag`: integers merged into ranges, sorted; prefixes in the maps' order.
Result<SetItems> read_set_items(const SetMaps& maps, std::uint32_t tag, SetElement element);

Result<std::uint32_t> read_set_state(const SetMaps& maps, std::uint32_t set_index);
// One map update: a packet judged after it looks up the generation and tries the state names.
Result<void> write_set_state(const SetMaps& maps, std::uint32_t set_index, std::uint32_t state);

}  // namespace bpffw::loader
