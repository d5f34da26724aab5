#include "loader/set_maps.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <bpf/bpf.h>
#include <fcntl.h>

#include "layout/map_layout.hpp"
#include "loader/bpf_fd.hpp"
#include "loader/program_maps.hpp"

namespace bpffw::loader {
namespace {

constexpr std::uint8_t kPresent = 1;

void put_tag(std::uint8_t* tag_be, std::uint32_t tag) {
  for (int i = 0; i < 4; ++i) tag_be[i] = static_cast<std::uint8_t>(tag >> (24 - 8 * i));
}
std::uint32_t get_tag(const std::uint8_t* tag_be) {
  return static_cast<std::uint32_t>(tag_be[0]) << 24 | tag_be[1] << 16 | tag_be[2] << 8 | tag_be[3];
}

template <unsigned Bytes>
layout::AddressSetKey<Bytes> address_key(std::uint32_t tag, const SetPrefix& prefix) {
  layout::AddressSetKey<Bytes> key{};
  key.prefix_length = layout::kSetTagBits + prefix.length;
  put_tag(key.tag_be, tag);
  std::memcpy(key.address, prefix.bytes.data(), Bytes);
  return key;
}

tl::unexpected<Error> missing_map(const char* what) {
  return make_error(ErrorKind::Usage, std::string("the program has no map for ") + what + " sets", 0,
                    "was it compiled by an older bpffw, or without that kind of set?");
}

// Visits every key of the map at `fd` (key_size bytes each).
template <class Visit>
Result<void> for_each_key(int fd, std::size_t key_size, Visit&& visit) {
  std::vector<std::uint8_t> key(key_size);
  std::vector<std::uint8_t> next(key_size);
  bool first = true;
  while (true) {
    int rc = bpf_map_get_next_key(fd, first ? nullptr : key.data(), next.data());
    if (rc != 0) {
      if (errno == ENOENT) return {};
      return tl::unexpected(system_error("cannot list a set map's entries", errno));
    }
    visit(next.data());
    key.swap(next);
    first = false;
  }
}

// Each entry of the items, with its map and key, until `write` fails. `write` returns whether it
// changed the map; the entries it changed are recorded in `changed`, if given.
template <class Write>
Result<void> for_each_entry(const SetMaps& maps, std::uint32_t tag, const SetItems& items, SetItems* changed,
                            Write&& write) {
  if (!items.ranges.empty() && maps.integers.get() < 0) return missing_map("integer");
  if (!items.prefixes.empty() && (maps.ipv4.get() < 0 || maps.ipv6.get() < 0)) return missing_map("address");
  if (changed != nullptr) changed->element = items.element;
  for (const SetIntegerRange& range : items.ranges) {
    for (std::int64_t value = range.lo;; ++value) {
      layout::IntegerSetKey key{value, tag, 0};
      auto done = write(maps.integers.get(), &key);
      if (!done) return tl::unexpected(done.error());
      if (*done && changed != nullptr) changed->ranges.push_back({value, value});
      if (value == range.hi) break;
    }
  }
  for (const SetPrefix& prefix : items.prefixes) {
    auto key4 = address_key<4>(tag, prefix);
    auto key6 = address_key<16>(tag, prefix);
    auto done = prefix.ipv6 ? write(maps.ipv6.get(), &key6) : write(maps.ipv4.get(), &key4);
    if (!done) return tl::unexpected(done.error());
    if (*done && changed != nullptr) changed->prefixes.push_back(prefix);
  }
  return {};
}

// BPF_NOEXIST, so that an entry already there is told apart from one added (LPM tries support
// it for exact prefixes too).
Result<bool> update(int fd, const void* key) {
  if (bpf_map_update_elem(fd, key, &kPresent, BPF_NOEXIST) == 0) return true;
  int err = errno;
  if (err == EEXIST) return false;
  if (err == E2BIG || err == ENOSPC || err == ENOMEM)
    return make_error(ErrorKind::Usage, "the set map is full", err,
                      "compile with a larger --set-capacity N (CompileOptions::set_capacity)");
  return tl::unexpected(system_error("cannot add an entry to a set map", err));
}

Result<bool> remove(int fd, const void* key) {
  if (bpf_map_delete_elem(fd, key) == 0) return true;
  if (errno == ENOENT) return false;
  return tl::unexpected(system_error("cannot delete an entry of a set map", errno));
}

}  // namespace

Result<SetMaps> open_set_maps(int program_fd) {
  SetMaps maps;
  for (auto [name, fd] :
       {std::pair{layout::kSetGenerationMap, &maps.generation}, std::pair{layout::kIntegerSetMap, &maps.integers},
        std::pair{layout::kIpv4SetMap, &maps.ipv4}, std::pair{layout::kIpv6SetMap, &maps.ipv6}}) {
    auto found = find_program_map(program_fd, name);
    if (!found) return tl::unexpected(found.error());
    if (*found) *fd = std::move((*found)->fd);
  }
  return maps;
}

Result<void> fill_set_maps(bpf_object* object, int program_fd, const std::vector<NamedSet>& sets) {
  if (sets.empty()) return {};
  SetMaps maps;
  for (auto [name, fd] :
       {std::pair{layout::kSetGenerationMap, &maps.generation}, std::pair{layout::kIntegerSetMap, &maps.integers},
        std::pair{layout::kIpv4SetMap, &maps.ipv4}, std::pair{layout::kIpv6SetMap, &maps.ipv6}}) {
    bpf_map* map = bpf_object__find_map_by_name(object, name);
    if (map == nullptr) continue;
    if (bpf_prog_bind_map(program_fd, bpf_map__fd(map), nullptr) != 0)
      return tl::unexpected(system_error("cannot bind a set map to the program", errno));
    *fd = detail::UniqueFd(::fcntl(bpf_map__fd(map), F_DUPFD_CLOEXEC, 3));
  }
  for (std::uint32_t i = 0; i < sets.size(); ++i) {
    if (auto written = insert_set_items(maps, layout::set_tag(i, 0), sets[i].items); !written) return written;
  }
  return {};
}

Result<void> insert_set_items(const SetMaps& maps, std::uint32_t tag, const SetItems& items, SetItems* added) {
  return for_each_entry(maps, tag, items, added, update);
}

Result<void> delete_set_items(const SetMaps& maps, std::uint32_t tag, const SetItems& items, SetItems* deleted) {
  return for_each_entry(maps, tag, items, deleted, remove);
}

Result<SetItems> read_set_items(const SetMaps& maps, std::uint32_t tag, SetElement element) {
  SetItems items;
  items.element = element;
  if (element == SetElement::Integer) {
    if (maps.integers.get() < 0) return items;
    std::vector<std::int64_t> values;
    auto listed = for_each_key(maps.integers.get(), sizeof(layout::IntegerSetKey), [&](const std::uint8_t* bytes) {
      layout::IntegerSetKey key;
      std::memcpy(&key, bytes, sizeof key);
      if (key.tag == tag) values.push_back(key.value);
    });
    if (!listed) return tl::unexpected(listed.error());
    std::sort(values.begin(), values.end());
    for (std::int64_t value : values) {
      if (!items.ranges.empty() && items.ranges.back().hi != INT64_MAX && items.ranges.back().hi + 1 == value)
        items.ranges.back().hi = value;
      else items.ranges.push_back({value, value});
    }
    return items;
  }
  for (auto [fd, bytes] : {std::pair{maps.ipv4.get(), 4u}, std::pair{maps.ipv6.get(), 16u}}) {
    if (fd < 0) continue;
    std::size_t key_size = layout::kSetKeyAddressOffset + bytes;
    auto listed = for_each_key(fd, key_size, [&](const std::uint8_t* key) {
      if (get_tag(key + layout::kSetKeyTagOffset) != tag) return;
      std::uint32_t prefix_length;
      std::memcpy(&prefix_length, key, 4);
      SetPrefix prefix;
      prefix.ipv6 = bytes == 16;
      prefix.length = prefix_length - layout::kSetTagBits;
      std::memcpy(prefix.bytes.data(), key + layout::kSetKeyAddressOffset, bytes);
      items.prefixes.push_back(prefix);
    });
    if (!listed) return tl::unexpected(listed.error());
  }
  return items;
}

Result<std::uint32_t> read_set_generation(const SetMaps& maps, std::uint32_t set_index) {
  std::uint32_t generation = 0;
  if (maps.generation.get() < 0 || bpf_map_lookup_elem(maps.generation.get(), &set_index, &generation) != 0)
    return tl::unexpected(system_error("cannot read a set's generation", errno));
  return generation & 1;
}

Result<void> write_set_generation(const SetMaps& maps, std::uint32_t set_index, std::uint32_t generation) {
  if (bpf_map_update_elem(maps.generation.get(), &set_index, &generation, BPF_ANY) != 0)
    return tl::unexpected(system_error("cannot switch a set's generation", errno));
  return {};
}

}  // namespace bpffw::loader
