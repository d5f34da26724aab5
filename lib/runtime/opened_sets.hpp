// A loaded program's metadata and set maps, each map opened once: for a command that reads the
// metadata and then changes its sets (bpffwc set), so that it makes the fewest bpf() calls. The
// functions of <bpffw/runtime.hpp> of the same names open the program's maps for each call.
#pragma once

#include <string_view>

#include <bpffw/metadata.hpp>
#include <bpffw/program.hpp>
#include <bpffw/sets.hpp>

#include "loader/set_maps.hpp"

namespace bpffw::runtime {

struct OpenedSets {
  ProgramMetadata metadata;
  loader::SetMaps maps;
};

Result<OpenedSets> open_sets(const Program& program);

Result<void> add_to_set(const OpenedSets& program, std::string_view name, const SetItems& items);
Result<void> remove_from_set(const OpenedSets& program, std::string_view name, const SetItems& items,
                             SetItems* removed = nullptr);
Result<void> replace_set(const OpenedSets& program, std::string_view name, const SetItems& items);
Result<std::optional<SetItems>> match_in_set(const OpenedSets& program, std::string_view name, const SetItems& value);

}  // namespace bpffw::runtime
