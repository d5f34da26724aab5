#include "loader/program_maps.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

#include <bpf/btf.h>

#include "layout/map_layout.hpp"
#include "loader/bpf_fd.hpp"

namespace bpffw::loader {
namespace {

// Room for the ids of a bpffw program's maps in the first call (it has fewer than a dozen), so that
// one call usually does.
constexpr __u32 kMapIdsAtFirst = 32;

Result<std::vector<__u32>> program_map_ids(int program_fd) {
  bpf_prog_info info{};
  info.nr_map_ids = kMapIdsAtFirst;
  // The count may grow between two calls (BPF_PROG_BIND_MAP); ask again until it fits.
  for (int attempt = 0; attempt < 4; ++attempt) {
    std::vector<__u32> ids(info.nr_map_ids);
    __u32 capacity = info.nr_map_ids;
    if (capacity == 0) return ids;
    info = bpf_prog_info{};
    info.nr_map_ids = capacity;
    info.map_ids = reinterpret_cast<__u64>(ids.data());
    __u32 length = sizeof info;
    if (bpf_obj_get_info_by_fd(program_fd, &info, &length) != 0)
      return tl::unexpected(loader::system_error("cannot read the program's map ids", errno));
    if (info.nr_map_ids <= capacity) {
      ids.resize(info.nr_map_ids);
      return ids;
    }
  }
  return make_error(ErrorKind::System, "the program's map list keeps changing");
}

}  // namespace

Result<std::vector<ProgramMap>> program_maps(int program_fd) {
  auto ids = program_map_ids(program_fd);
  if (!ids) return tl::unexpected(ids.error());
  std::vector<ProgramMap> maps;
  for (__u32 id : *ids) {
    ProgramMap map;
    map.fd = detail::UniqueFd(bpf_map_get_fd_by_id(id));
    if (map.fd.get() < 0) {
      if (errno == ENOENT) continue;  // freed meanwhile
      return tl::unexpected(loader::system_error("cannot open map " + std::to_string(id) + " of the program", errno));
    }
    __u32 length = sizeof map.info;
    if (bpf_obj_get_info_by_fd(map.fd.get(), &map.info, &length) != 0)
      return tl::unexpected(loader::system_error("cannot read the info of map " + std::to_string(id), errno));
    maps.push_back(std::move(map));
  }
  return maps;
}

std::string_view map_name(const bpf_map_info& info) { return {info.name, strnlen(info.name, sizeof info.name)}; }

Result<std::optional<ProgramMap>> find_program_map(int program_fd, std::string_view name) {
  auto maps = program_maps(program_fd);
  if (!maps) return tl::unexpected(maps.error());
  for (ProgramMap& map : *maps)
    if (map_name(map.info) == name) return std::optional<ProgramMap>(std::move(map));
  return std::optional<ProgramMap>();
}

namespace {

// Makes the object's map `name` the old program's map of that name when its layout is the same.
Result<void> reuse_map(bpf_object* object, int old_program_fd, const char* name, bpf_map_type type,
                       std::uint32_t value_size, std::uint32_t max_entries) {
  bpf_map* map = bpf_object__find_map_by_name(object, name);
  if (map == nullptr) return {};  // compiled without it
  auto old = find_program_map(old_program_fd, name);
  if (!old) return tl::unexpected(old.error());
  if (!*old) return {};  // the old program had none: start from zero
  const bpf_map_info& info = (*old)->info;
  if (info.type != type || info.value_size != value_size || info.max_entries != max_entries)
    return {};  // another layout (another bpffw version): start from zero rather than misread
  // libbpf dups the fd: ours may close when `old` goes out of scope.
  if (int rc = bpf_map__reuse_fd(map, (*old)->fd.get()); rc != 0)
    return tl::unexpected(
        loader::system_error(std::string("cannot reuse the old program's map ") + name, rc < 0 ? -rc : errno));
  return {};
}

}  // namespace

Result<void> reuse_kept_maps(bpf_object* object, int old_program_fd) {
  if (auto kept = reuse_map(object, old_program_fd, layout::kCountersMap, BPF_MAP_TYPE_PERCPU_ARRAY,
                            sizeof(layout::CounterSlot), 1);
      !kept)
    return kept;
  if (auto kept =
          reuse_map(object, old_program_fd, layout::kLogStateMap, BPF_MAP_TYPE_ARRAY, sizeof(layout::LogState), 1);
      !kept)
    return kept;
  // The ring too: a `bpffwc log` following the old program goes on reading the new one's drops.
  return reuse_map(object, old_program_fd, layout::kLogRingMap, BPF_MAP_TYPE_RINGBUF, 0, layout::kLogRingBytes);
}

Result<void> reuse_shared_maps(bpf_object* object, int packet_program_fd) {
  auto packet_maps = program_maps(packet_program_fd);
  if (!packet_maps) return tl::unexpected(packet_maps.error());
  bpf_map* map = nullptr;
  bpf_object__for_each_map(map, object) {
    const std::string_view name = bpf_map__name(map);
    // The condition's own rule lists, and the socket programs' own counters.
    if (name == layout::kRuleMap || name == layout::kRulePrefixMap || name == layout::kRefusalsMap) continue;
    auto same = std::find_if(packet_maps->begin(), packet_maps->end(), [&](const ProgramMap& packet_map) {
      const bpf_map_info& info = packet_map.info;
      return map_name(info) == name && info.type == bpf_map__type(map) && info.key_size == bpf_map__key_size(map) &&
             info.value_size == bpf_map__value_size(map) && info.max_entries == bpf_map__max_entries(map);
    });
    if (same == packet_maps->end())
      return make_error(ErrorKind::Internal, "the packet program has no map " + std::string(name) +
                                                 " like the socket programs': they were not compiled from one filter");
    if (int rc = bpf_map__reuse_fd(map, same->fd.get()); rc != 0)
      return tl::unexpected(
          loader::system_error("cannot share the packet program's map " + std::string(name), rc < 0 ? -rc : errno));
  }
  return {};
}

Result<void> bind_parameter_map(bpf_object* object, int program_fd) {
  bpf_map* parameters = nullptr;
  bpf_map* map = nullptr;
  bpf_object__for_each_map(map, object) {
    if (std::string_view(bpf_map__name(map)).ends_with(".data")) parameters = map;
  }
  if (parameters == nullptr) return {};
  // Binding a map the program already uses is harmless (the kernel keeps one reference).
  if (bpf_prog_bind_map(program_fd, bpf_map__fd(parameters), nullptr) != 0)
    return tl::unexpected(loader::system_error("cannot bind the parameter map to the program", errno));
  return {};
}

namespace {
struct BtfFree {
  void operator()(btf* handle) const { btf__free(handle); }
};
}  // namespace

std::size_t variable_offset(const bpf_map_info& info, std::string_view variable) {
  if (info.btf_id == 0 || info.btf_value_type_id == 0) return 0;
  std::unique_ptr<btf, BtfFree> types(btf__load_from_kernel_by_id(info.btf_id));
  if (!types) return 0;
  const btf_type* section = btf__type_by_id(types.get(), info.btf_value_type_id);
  if (section == nullptr || !btf_is_datasec(section)) return 0;
  const btf_var_secinfo* vars = btf_var_secinfos(section);
  for (unsigned i = 0; i < btf_vlen(section); ++i) {
    const btf_type* var = btf__type_by_id(types.get(), vars[i].type);
    if (var != nullptr && btf__name_by_offset(types.get(), var->name_off) == variable) return vars[i].offset;
  }
  return 0;
}

Result<std::vector<unsigned char>> read_single_value(const ProgramMap& map, std::size_t size) {
  std::vector<unsigned char> value(size);
  __u32 key = 0;
  if (bpf_map_lookup_elem(map.fd.get(), &key, value.data()) != 0)
    return tl::unexpected(system_error(std::string("cannot read map ") + map.info.name, errno));
  return value;
}

Result<ProgramMap> require_program_map(const Program& program, const char* name, const std::string& missing) {
  auto found = find_program_map(program.fd(), name);
  if (!found) return tl::unexpected(found.error());
  if (!*found) return make_error(ErrorKind::Usage, missing);
  return std::move(**found);
}

}  // namespace bpffw::loader
