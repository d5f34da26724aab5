#include "loader/set_maps.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>

#include <bpf/bpf.h>
#include <fcntl.h>

#include "layout/map_layout.hpp"
#include "loader/bpf_fd.hpp"
#include "loader/prefix_cover.hpp"
#include "loader/program_maps.hpp"
#include "loader/set_keys.hpp"

namespace bpffw::loader {
namespace {

constexpr std::uint8_t kPresent = 1;
// Entries per batch syscall: large enough that the syscalls cost little next to the entries.
constexpr std::uint32_t kBatchEntries = 8192;
// The kernel's ENOTSUPP (not in user space's errno.h): a map type without batch operations, as
// LPM tries before 6.x.
constexpr int kEnotsupp = 524;

constexpr const char* kMapNames[] = {layout::kIntegerSetMap, layout::kIpv4ExactSetMap, layout::kIpv6ExactSetMap,
                                     layout::kIpv4SetMap,    layout::kIpv6SetMap,      layout::kIpv4CoverMap,
                                     layout::kIpv6CoverMap};
// The maps that hold an address set's items, and every map that holds entries of one.
constexpr SetMapKind kAddressKinds[] = {kIpv4Exact, kIpv6Exact, kIpv4Trie, kIpv6Trie};
constexpr SetMapKind kAddressMaps[] = {kIpv4Exact, kIpv6Exact, kIpv4Trie, kIpv6Trie, kIpv4Cover, kIpv6Cover};

SetMapKind cover_of(bool ipv6) { return ipv6 ? kIpv6Cover : kIpv4Cover; }

using keys::kind_of;
using keys::kKeySizes;
using keys::kMaxKeySize;

tl::unexpected<Error> missing_map(const char* what) {
  return make_error(ErrorKind::Usage, std::string("the program has no map for ") + what + " sets", 0,
                    "was it compiled by an older bpffw, or without that kind of set?");
}

Result<void> check_maps(const SetMaps& maps, const SetItems& items) {
  if (!items.ranges.empty() && maps.entries[kIntegers].fd.get() < 0) return missing_map("integer");
  for (const SetPrefix& prefix : items.prefixes)
    if (maps.entries[kind_of(prefix)].fd.get() < 0) return missing_map("address");
  return {};
}

tl::unexpected<Error> write_failed(int err) {
  if (err == E2BIG || err == ENOSPC || err == ENOMEM)
    return make_error(ErrorKind::Usage, "the set map is full", err,
                      "compile with a larger --set-capacity N (CompileOptions::set_capacity)");
  return tl::unexpected(system_error("cannot add an entry to a set map", err));
}

bool batch_unsupported(int err) { return err == kEnotsupp || err == EOPNOTSUPP || err == EINVAL; }

// Writes `count` keys of `key_size` bytes (BPF_ANY), each with its value of `value_size` bytes
// from `values`, or, without values, the value 1 of one byte.
Result<void> update_keys(int fd, const std::vector<std::uint8_t>& keys, std::size_t key_size,
                         const std::vector<std::uint8_t>* values = nullptr, std::size_t value_size = 1) {
  static const std::vector<std::uint8_t> ones(kBatchEntries, kPresent);
  const std::size_t count = keys.size() / key_size;
  bool batches = true;
  for (std::size_t done = 0; done < count;) {
    const std::uint8_t* at = keys.data() + done * key_size;
    const std::uint8_t* value = values != nullptr ? values->data() + done * value_size : ones.data();
    if (batches) {
      LIBBPF_OPTS(bpf_map_batch_opts, options, .elem_flags = BPF_ANY);
      __u32 chunk = static_cast<__u32>(std::min<std::size_t>(count - done, kBatchEntries));
      __u32 processed = chunk;
      if (bpf_map_update_batch(fd, at, value, &processed, &options) == 0) {
        done += chunk;
        continue;
      }
      if (batch_unsupported(errno)) {  // one by one, from this chunk's first (the count may be stale)
        batches = false;
        continue;
      }
      return write_failed(errno);
    }
    if (bpf_map_update_elem(fd, at, value, BPF_ANY) != 0) return write_failed(errno);
    ++done;
  }
  return {};
}

// Deletes `count` keys; a key that is not there is skipped.
Result<void> delete_keys(int fd, const std::vector<std::uint8_t>& keys, std::size_t key_size) {
  const std::size_t count = keys.size() / key_size;
  bool batches = true;
  for (std::size_t done = 0; done < count;) {
    const std::uint8_t* at = keys.data() + done * key_size;
    if (batches) {
      LIBBPF_OPTS(bpf_map_batch_opts, options);
      __u32 chunk = static_cast<__u32>(std::min<std::size_t>(count - done, kBatchEntries));
      __u32 processed = chunk;
      if (bpf_map_delete_batch(fd, at, &processed, &options) == 0) {
        done += chunk;
        continue;
      }
      if (errno == ENOENT && processed < chunk) {  // the batch stopped at a missing key: skip it
        done += processed + 1;
        continue;
      }
      if (batch_unsupported(errno)) {
        batches = false;
        continue;
      }
      return tl::unexpected(system_error("cannot delete entries of a set map", errno));
    }
    if (bpf_map_delete_elem(fd, at) != 0 && errno != ENOENT)
      return tl::unexpected(system_error("cannot delete an entry of a set map", errno));
    ++done;
  }
  return {};
}

// Every key of the map whose tag is `tag`, collected (to delete them after the listing).
Result<std::vector<std::uint8_t>> keys_under(const SetMap& map, SetMapKind kind, std::uint32_t tag) {
  std::vector<std::uint8_t> found;
  auto listed = for_each_key_batch(map, kind, tag, [&](const std::uint8_t* keys, std::size_t count) {
    found.insert(found.end(), keys, keys + count * kKeySizes[kind]);
    return true;
  });
  if (!listed) return tl::unexpected(listed.error());
  return found;
}

// Calls write(fd, key, prefix) for each entry of the items (prefix: nullptr for an integer), until
// it fails. `write` returns whether it changed the map; the entries it changed are recorded in
// `changed`, if given.
template <class Write>
Result<void> for_each_entry(const SetMaps& maps, std::uint32_t tag, const SetItems& items, SetItems* changed,
                            Write&& write) {
  if (auto present = check_maps(maps, items); !present) return present;
  if (changed != nullptr) changed->element = items.element;
  std::uint8_t key[kMaxKeySize];
  for (const SetIntegerRange& range : items.ranges) {
    for (std::int64_t value = range.lo;; ++value) {
      keys::integer_key(tag, value, key);
      auto done = write(maps.entries[kIntegers].fd.get(), key, nullptr);
      if (!done) return tl::unexpected(done.error());
      if (*done && changed != nullptr) changed->ranges.push_back({value, value});
      if (value == range.hi) break;
    }
  }
  for (const SetPrefix& prefix : items.prefixes) {
    keys::prefix_key(tag, prefix, key);
    auto done = write(maps.entries[kind_of(prefix)].fd.get(), key, &prefix);
    if (!done) return tl::unexpected(done.error());
    if (*done && changed != nullptr) changed->prefixes.push_back(prefix);
  }
  return {};
}

// BPF_NOEXIST, so that an entry already there is told apart from one added (LPM tries support
// it for exact prefixes too).
Result<bool> insert_one(int fd, const void* key) {
  if (bpf_map_update_elem(fd, key, &kPresent, BPF_NOEXIST) == 0) return true;
  if (errno == EEXIST) return false;
  return write_failed(errno);
}

Result<bool> delete_one(int fd, const void* key) {
  if (bpf_map_delete_elem(fd, key) == 0) return true;
  if (errno == ENOENT) return false;
  return tl::unexpected(system_error("cannot delete an entry of a set map", errno));
}

}  // namespace

Result<SetMaps> open_set_maps(int program_fd) {
  auto found = program_maps(program_fd);
  if (!found) return tl::unexpected(found.error());
  return take_set_maps(*found);
}

SetMaps take_set_maps(std::vector<ProgramMap>& found) {
  SetMaps maps;
  for (ProgramMap& map : found) {
    std::string_view name = map_name(map.info);
    if (name == layout::kSetGenerationMap) maps.state = std::move(map.fd);
    for (unsigned kind = 0; kind < std::size(kMapNames); ++kind) {
      if (name != kMapNames[kind]) continue;
      maps.entries[kind].capacity = map.info.max_entries;
      maps.entries[kind].fd = std::move(map.fd);
    }
  }
  return maps;
}

std::uint32_t trie_flags(const SetItems& items) {
  std::uint32_t flags = 0;
  for (const SetPrefix& prefix : items.prefixes) {
    SetMapKind kind = kind_of(prefix);
    if (kind == kIpv4Trie) flags |= layout::kSetStateIpv4Trie;
    if (kind == kIpv4Trie && prefix.length < 8) flags |= layout::kSetStateIpv4Wide;
    if (kind == kIpv6Trie) flags |= layout::kSetStateIpv6Trie;
    if (kind == kIpv6Trie && prefix.length < 24) flags |= layout::kSetStateIpv6Wide;
    if (kind == kIpv6Trie && prefix.length < layout::kCoverShortestIpv6) flags |= layout::kSetStateIpv6Short;
  }
  return flags;
}

Result<void> fill_set_maps(bpf_object* object, int program_fd, const std::vector<NamedSet>& sets) {
  if (sets.empty()) return {};
  SetMaps maps;
  auto bind = [&](const char* name, detail::UniqueFd& fd, std::uint32_t* capacity) -> Result<void> {
    bpf_map* map = bpf_object__find_map_by_name(object, name);
    if (map == nullptr) return {};
    if (bpf_prog_bind_map(program_fd, bpf_map__fd(map), nullptr) != 0)
      return tl::unexpected(system_error("cannot bind a set map to the program", errno));
    fd = detail::UniqueFd(::fcntl(bpf_map__fd(map), F_DUPFD_CLOEXEC, 3));
    if (capacity != nullptr) *capacity = bpf_map__max_entries(map);
    return {};
  };
  if (auto bound = bind(layout::kSetGenerationMap, maps.state, nullptr); !bound) return bound;
  for (unsigned kind = 0; kind < std::size(kMapNames); ++kind)
    if (auto bound = bind(kMapNames[kind], maps.entries[kind].fd, &maps.entries[kind].capacity); !bound) return bound;
  for (std::uint32_t i = 0; i < sets.size(); ++i) {
    if (auto written = write_set_items(maps, layout::set_tag(i, 0), sets[i].items); !written) return written;
    if (std::uint32_t flags = trie_flags(sets[i].items); flags != 0)
      if (auto stated = write_set_state(maps, i, flags); !stated) return stated;
  }
  return {};
}

Result<void> fill_rule_map(bpf_object* object, const char* map_name, const std::vector<unsigned char>& keys,
                           std::size_t key_size, const std::vector<unsigned char>& values) {
  if (keys.empty()) return {};
  bpf_map* map = bpf_object__find_map_by_name(object, map_name);
  const std::size_t value_size = sizeof(layout::RuleValue);
  if (map == nullptr || bpf_map__key_size(map) != key_size || bpf_map__value_size(map) != value_size ||
      values.size() / value_size != keys.size() / key_size)
    return make_error(ErrorKind::Internal, "the object's rule map is missing or does not fit its entries", 0,
                      "please report this bug with the filter text");
  return update_keys(bpf_map__fd(map), keys, key_size, &values, value_size);
}

Result<void> write_set_items(const SetMaps& maps, std::uint32_t tag, const SetItems& items) {
  if (auto present = check_maps(maps, items); !present) return present;
  // Each map's share, checked against its size before anything is built or written.
  std::uint64_t entries[std::size(kMapNames)] = {};
  entries[kIntegers] = items.entry_count() - items.prefixes.size();
  for (const SetPrefix& prefix : items.prefixes) ++entries[kind_of(prefix)];
  CoverEntries cover[2];
  for (bool ipv6 : {false, true}) {
    if (maps.entries[cover_of(ipv6)].fd.get() >= 0) cover[ipv6] = CoverEntries(ipv6, tag, items);
    entries[cover_of(ipv6)] = cover[ipv6].size();
  }
  for (unsigned kind = 0; kind < std::size(kMapNames); ++kind)
    if (entries[kind] > maps.entries[kind].capacity) return write_failed(E2BIG);

  // Keys built a batch at a time per map and written when the batch is full: never all at once (a
  // 10^6-address set's keys would be 14 MB of fresh pages).
  std::vector<std::uint8_t> keys[std::size(kMapNames)];
  for (unsigned kind = 0; kind < std::size(kMapNames); ++kind)
    keys[kind].reserve(std::min<std::uint64_t>(entries[kind], kBatchEntries) * kKeySizes[kind]);
  auto flush = [&](unsigned kind) -> Result<void> {
    if (keys[kind].empty()) return {};
    auto written = update_keys(maps.entries[kind].fd.get(), keys[kind], kKeySizes[kind]);
    keys[kind].clear();
    return written;
  };
  auto add = [&](unsigned kind, const std::uint8_t* key) -> Result<void> {
    keys[kind].insert(keys[kind].end(), key, key + kKeySizes[kind]);
    return keys[kind].size() == kBatchEntries * kKeySizes[kind] ? flush(kind) : Result<void>{};
  };
  std::uint8_t key[kMaxKeySize];
  for (const SetIntegerRange& range : items.ranges) {
    for (std::int64_t value = range.lo;; ++value) {
      keys::integer_key(tag, value, key);
      if (auto added = add(kIntegers, key); !added) return added;
      if (value == range.hi) break;
    }
  }
  for (const SetPrefix& prefix : items.prefixes) {
    keys::prefix_key(tag, prefix, key);
    if (auto added = add(kind_of(prefix), key); !added) return added;
  }
  for (unsigned kind = 0; kind < std::size(kMapNames); ++kind)
    if (auto written = flush(kind); !written) return written;
  for (bool ipv6 : {false, true}) {
    const SetMapKind kind = cover_of(ipv6);
    auto written = cover[ipv6].write(kBatchEntries, [&](const auto& keys, const auto& values) {
      return update_keys(maps.entries[kind].fd.get(), keys, kKeySizes[kind], &values, sizeof(layout::PrefixCover));
    });
    if (!written) return written;
  }
  return {};
}

Result<void> clear_set_items(const SetMaps& maps, std::uint32_t tag, SetElement element) {
  auto clear = [&](SetMapKind kind) -> Result<void> {
    auto keys = keys_under(maps.entries[kind], kind, tag);
    if (!keys) return tl::unexpected(keys.error());
    return delete_keys(maps.entries[kind].fd.get(), *keys, kKeySizes[kind]);
  };
  if (element == SetElement::Integer) return clear(kIntegers);
  for (SetMapKind kind : kAddressMaps)
    if (auto cleared = clear(kind); !cleared) return cleared;
  return {};
}

namespace {

// insert_one or delete_one, then a prefix that went into a trie (or left it) is counted in its
// family's cover map (or no longer): both or, on failure, neither.
Result<void> change_set_items(const SetMaps& maps, std::uint32_t tag, const SetItems& items, SetItems* changed,
                              bool add) {
  std::optional<CoverLock> lock;
  if (std::any_of(items.prefixes.begin(), items.prefixes.end(), in_cover)) lock.emplace(maps.state.get());
  return for_each_entry(maps, tag, items, changed,
                        [&](int fd, const std::uint8_t* key, const SetPrefix* prefix) -> Result<bool> {
                          auto done = add ? insert_one(fd, key) : delete_one(fd, key);
                          if (!done || !*done || prefix == nullptr || !in_cover(*prefix)) return done;
                          const int cover = maps.entries[cover_of(prefix->ipv6)].fd.get();
                          if (cover < 0) return done;
                          if (auto counted = change_cover(cover, tag, *prefix, add ? 1 : -1); !counted) {
                            (void)(add ? delete_one(fd, key) : insert_one(fd, key));
                            return tl::unexpected(counted.error());
                          }
                          return true;
                        });
}

}  // namespace

Result<void> insert_set_items(const SetMaps& maps, std::uint32_t tag, const SetItems& items, SetItems* added) {
  return change_set_items(maps, tag, items, added, true);
}

Result<void> delete_set_items(const SetMaps& maps, std::uint32_t tag, const SetItems& items, SetItems* deleted) {
  return change_set_items(maps, tag, items, deleted, false);
}

Result<void> for_each_key_batch(const SetMap& map, SetMapKind kind, std::uint32_t tag, const KeyBatchVisitor& visit) {
  if (map.fd.get() < 0) return {};
  const std::size_t key_size = kKeySizes[kind];
  // The keys under `tag`, gathered from the map's batches and handed on batch by batch.
  std::vector<std::uint8_t> kept;
  kept.reserve(kBatchEntries * key_size);
  bool stopped = false;
  auto keep = [&](const std::uint8_t* key) {
    if (keys::tag_of(kind, key) == tag) kept.insert(kept.end(), key, key + key_size);
  };
  auto flush = [&](bool all) {
    if (kept.empty() || (!all && kept.size() < kBatchEntries * key_size) || stopped) return;
    stopped = !visit(kept.data(), kept.size() / key_size);
    kept.clear();
  };
  // In batches where the map type has them (hash maps), else key by key.
  std::vector<std::uint8_t> keys(kBatchEntries * key_size);
  std::vector<std::uint8_t> values(kBatchEntries * keys::kValueSizes[kind]);
  alignas(8) std::uint8_t batch_in[kMaxKeySize];
  alignas(8) std::uint8_t batch_out[kMaxKeySize];
  for (bool first = true; !stopped; first = false) {
    LIBBPF_OPTS(bpf_map_batch_opts, options);
    __u32 count = kBatchEntries;
    int rc = bpf_map_lookup_batch(map.fd.get(), first ? nullptr : batch_in, batch_out, keys.data(), values.data(),
                                  &count, &options);
    int err = rc == 0 ? 0 : errno;
    if (err != 0 && err != ENOENT) {
      if (first && batch_unsupported(err)) break;
      return tl::unexpected(system_error("cannot list a set map's entries", err));
    }
    for (__u32 i = 0; i < count; ++i) keep(keys.data() + i * key_size);
    flush(true);
    if (err == ENOENT) return {};
    std::memcpy(batch_in, batch_out, sizeof batch_in);
  }
  std::vector<std::uint8_t> key(key_size);
  std::vector<std::uint8_t> next(key_size);
  for (bool first = true; !stopped; first = false) {
    if (bpf_map_get_next_key(map.fd.get(), first ? nullptr : key.data(), next.data()) != 0) {
      if (errno != ENOENT) return tl::unexpected(system_error("cannot list a set map's entries", errno));
      flush(true);
      return {};
    }
    keep(next.data());
    flush(false);
    key.swap(next);
  }
  return {};
}

Result<void> visit_set_items(const SetMaps& maps, std::uint32_t tag, SetElement element, const SetItemsVisitor& visit) {
  SetItems batch;
  batch.element = element;
  if (element == SetElement::Address) {
    bool stopped = false;
    for (SetMapKind kind : kAddressKinds) {
      auto listed = for_each_key_batch(maps.entries[kind], kind, tag, [&](const std::uint8_t* keys, std::size_t count) {
        batch.prefixes.clear();
        for (std::size_t i = 0; i < count; ++i)
          batch.prefixes.push_back(keys::prefix_of(kind, keys + i * kKeySizes[kind]));
        stopped = !visit(batch);
        return !stopped;
      });
      if (!listed || stopped) return listed;
    }
    return {};
  }
  // The map holds one entry per integer, in hash order: merging them into ranges needs them all,
  // sorted. Gathered as bare values (8 bytes each), then handed on as ranges, in batches.
  std::vector<std::int64_t> values;
  auto listed =
      for_each_key_batch(maps.entries[kIntegers], kIntegers, tag, [&](const std::uint8_t* keys, std::size_t count) {
        for (std::size_t i = 0; i < count; ++i) values.push_back(keys::integer_of(keys + i * kKeySizes[kIntegers]));
        return true;
      });
  if (!listed) return listed;
  std::sort(values.begin(), values.end());
  for (std::int64_t value : values) {
    if (!batch.ranges.empty() && batch.ranges.back().hi != INT64_MAX && batch.ranges.back().hi + 1 == value) {
      batch.ranges.back().hi = value;
      continue;
    }
    if (batch.ranges.size() == kBatchEntries) {
      if (!visit(batch)) return {};
      batch.ranges.clear();
    }
    batch.ranges.push_back({value, value});
  }
  if (!batch.ranges.empty()) visit(batch);
  return {};
}

Result<std::uint32_t> read_set_state(const SetMaps& maps, std::uint32_t set_index) {
  std::uint32_t state = 0;
  if (maps.state.get() < 0 || bpf_map_lookup_elem(maps.state.get(), &set_index, &state) != 0)
    return tl::unexpected(system_error("cannot read a set's state", errno));
  return state;
}

Result<void> write_set_state(const SetMaps& maps, std::uint32_t set_index, std::uint32_t state) {
  if (bpf_map_update_elem(maps.state.get(), &set_index, &state, BPF_ANY) != 0)
    return tl::unexpected(system_error("cannot write a set's state", errno));
  return {};
}

}  // namespace bpffw::loader
