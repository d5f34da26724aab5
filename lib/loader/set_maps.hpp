// The named sets' maps of a loaded program (docs/filter-language.md §9, the layout in
// lib/layout/map_layout.hpp): writing, deleting and reading a set's entries under a tag, and its
// state word. lib/runtime builds the changes of `bpffwc set` on these.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include <bpf/libbpf.h>

#include <bpffw/error.hpp>
#include <bpffw/sets.hpp>

#include "loader/program_maps.hpp"
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
  SetMap entries[7];
};

// The maps of entries: integers, whole IPv4 and IPv6 addresses (hash maps), shorter IPv4 and IPv6
// prefixes (LPM tries), and the tries' covers (layout::PrefixCover, loader/prefix_cover.hpp),
// which hold no items of their own.
enum SetMapKind : unsigned { kIntegers, kIpv4Exact, kIpv6Exact, kIpv4Trie, kIpv6Trie, kIpv4Cover, kIpv6Cover };

// The set maps of a loaded program, found by name among its maps.
Result<SetMaps> open_set_maps(int program_fd);
// The same among maps already listed (program_maps): their fds move into the result.
SetMaps take_set_maps(std::vector<ProgramMap>& maps);

// After bpf_object__load: writes each set's items under generation 0, with its state word, and
// binds every set map to the program (so that a set the expression does not use is still found).
// Called before the program is returned, so on failure the maps go with it.
Result<void> fill_set_maps(bpf_object* object, int program_fd, const std::vector<NamedSet>& sets);

// After bpf_object__load: writes a rule list's keys and values (ObjectFile::rule_keys,
// rule_values) into the program's rule map `map_name` (layout::kRuleMap, kRulePrefixMap).
// Nothing to do without keys.
Result<void> fill_rule_map(bpf_object* object, const char* map_name, const std::vector<unsigned char>& keys,
                           std::size_t key_size, const std::vector<unsigned char>& values);

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
// Receives `count` keys of one map kind, back to back; returns false to stop.
using KeyBatchVisitor = std::function<bool(const std::uint8_t* keys, std::size_t count)>;
// The map's keys under `tag`, a batch at a time (bpf_map_lookup_batch, 8192 entries per call;
// key by key where the map type has no batches, handed on 8192 at a time), in the map's order.
Result<void> for_each_key_batch(const SetMap& map, SetMapKind kind, std::uint32_t tag, const KeyBatchVisitor& visit);

// Receives a batch of a set's items; returns false to stop.
using SetItemsVisitor = std::function<bool(const SetItems& batch)>;
// Every item under `tag`, a batch at a time, without holding them all: addresses as the maps hand
// them out, whole IPv4, whole IPv6, then shorter IPv4 and IPv6 prefixes, each map in its own
// order. Integers are stored one entry per integer in hash order, so they are gathered as bare
// values (8 bytes each), sorted, and handed on merged into ascending ranges.
Result<void> visit_set_items(const SetMaps& maps, std::uint32_t tag, SetElement element, const SetItemsVisitor& visit);

// The entry under `tag` that `value` (one integer, or one whole address) meets, looked up in the
// maps as the program looks up a packet's value, with the set's `state` word: an integer's entry
// (widened to the run of consecutive integers around it, as visit_set_items merges them), or the
// whole address (hash map), or else, when the state says the set has shorter prefixes of that
// family, the longest prefix containing it (LPM trie; the program finds IPv4's through the cover
// map, which counts the same prefixes). Empty when the packet's value would miss.
Result<std::optional<SetItems>> match_set_value(const SetMaps& maps, std::uint32_t tag, std::uint32_t state,
                                                const SetItems& value);

Result<std::uint32_t> read_set_state(const SetMaps& maps, std::uint32_t set_index);
// One map update: a packet judged after it looks up the generation and tries the state names.
Result<void> write_set_state(const SetMaps& maps, std::uint32_t set_index, std::uint32_t state);

}  // namespace bpffw::loader
