// <bpffw/metadata.hpp>: a loaded program's self-description, from its read-only map (.rodata).
#include <bpffw/metadata.hpp>

#include "layout/map_layout.hpp"
#include "layout/metadata.hpp"
#include "loader/program_maps.hpp"

namespace bpffw {

namespace loader {

Result<ProgramMetadata> read_metadata(const std::vector<ProgramMap>& maps) {
  const ProgramMap* map = nullptr;
  for (const ProgramMap& candidate : maps)
    if (map_name(candidate.info) == layout::kMetadataMap) map = &candidate;
  if (map == nullptr)
    return make_error(ErrorKind::Usage, "the program carries no bpffw metadata; was it compiled by bpffw?");
  auto value = read_single_value(*map, map->info.value_size);
  if (!value) return tl::unexpected(value.error());
  std::size_t offset = variable_offset(map->info, layout::kMetadataGlobal);
  if (offset > value->size()) offset = 0;
  return layout::decode_metadata(
      std::string_view(reinterpret_cast<const char*>(value->data()) + offset, value->size() - offset));
}

}  // namespace loader

Result<ProgramMetadata> read_metadata(const Program& program) {
  auto maps = loader::program_maps(program.fd());
  if (!maps) return tl::unexpected(maps.error());
  return loader::read_metadata(*maps);
}

}  // namespace bpffw
