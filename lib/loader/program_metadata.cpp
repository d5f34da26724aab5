// <bpffw/metadata.hpp>: a loaded program's self-description, from its read-only map (.rodata).
#include <bpffw/metadata.hpp>

#include "layout/map_layout.hpp"
#include "layout/metadata.hpp"
#include "loader/program_maps.hpp"

namespace bpffw {

Result<ProgramMetadata> read_metadata(const Program& program) {
  auto map = loader::require_program_map(program, layout::kMetadataMap,
                                         "the program carries no bpffw metadata; was it compiled by bpffw?");
  if (!map) return tl::unexpected(map.error());
  auto value = loader::read_single_value(*map, map->info.value_size);
  if (!value) return tl::unexpected(value.error());
  std::size_t offset = loader::variable_offset(map->info, layout::kMetadataGlobal);
  if (offset > value->size()) offset = 0;
  return layout::decode_metadata(
      std::string_view(reinterpret_cast<const char*>(value->data()) + offset, value->size() - offset));
}

}  // namespace bpffw
