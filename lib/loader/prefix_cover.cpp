#include "loader/prefix_cover.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include <bpf/bpf.h>
#include <sys/file.h>

#include "layout/map_layout.hpp"
#include "loader/bpf_fd.hpp"

namespace bpffw::loader {
namespace {

using layout::PrefixCover;

// An entry's key as one number: the Ipv4ExactKey's 8 bytes.
using CoverKey = std::uint64_t;

CoverKey key_of(std::uint32_t tag, std::uint32_t address) {
  layout::Ipv4ExactKey key{};
  for (int i = 0; i < 4; ++i) key.address[i] = static_cast<std::uint8_t>(address >> (24 - 8 * i));
  key.tag = tag;
  CoverKey packed;
  std::memcpy(&packed, &key, sizeof packed);
  return packed;
}
CoverKey key_of_8(std::uint32_t tag, std::uint32_t slash8) { return key_of(tag | layout::kCoverOf8, slash8 << 24); }
CoverKey key_of_16(std::uint32_t tag, std::uint32_t slash16) { return key_of(tag, slash16 << 16); }
CoverKey key_of_24(std::uint32_t tag, std::uint32_t slash24) { return key_of(tag | layout::kCoverOf24, slash24 << 8); }

bool empty(const PrefixCover& entry) {
  return entry.within == 0 && entry.longer == 0 &&
         (entry.below[0] | entry.below[1] | entry.below[2] | entry.below[3]) == 0 &&
         std::all_of(std::begin(entry.within24), std::end(entry.within24), [](std::uint8_t n) { return n == 0; });
}

// The prefix's address, host order, its bits past the length cleared (the trie ignores them too).
std::uint32_t masked_address(const SetPrefix& prefix) {
  std::uint32_t address = static_cast<std::uint32_t>(prefix.bytes[0]) << 24 | prefix.bytes[1] << 16 |
                          prefix.bytes[2] << 8 | prefix.bytes[3];
  if (prefix.length == 0) return 0;
  return address & ~((std::uint32_t{1} << (32 - prefix.length)) - 1);
}

// The counting, on a store of entries: get (an absent entry reads as zeros) and put (an empty
// entry is removed). A /24's entry that comes or goes sets or clears its bit in its /16's.
template <class Store>
Result<void> count_longer(Store& store, std::uint32_t tag, std::uint32_t slash24, int delta) {
  auto entry = store.get(key_of_24(tag, slash24));
  if (!entry) return tl::unexpected(entry.error());
  entry->longer += delta;
  if (auto put = store.put(key_of_24(tag, slash24), *entry); !put) return put;
  const bool exists = !empty(*entry);
  auto parent = store.get(key_of_16(tag, slash24 >> 8));
  if (!parent) return tl::unexpected(parent.error());
  std::uint64_t& word = parent->below[(slash24 & 0xff) >> 6];
  const std::uint64_t bit = std::uint64_t{1} << (slash24 & 63);
  if (((word & bit) != 0) == exists) return {};
  word ^= bit;
  return store.put(key_of_16(tag, slash24 >> 8), *parent);
}

template <class Store>
Result<void> count_prefix(Store& store, std::uint32_t tag, const SetPrefix& prefix, int delta) {
  const std::uint32_t address = masked_address(prefix);
  const unsigned length = prefix.length;
  auto count_within = [&](CoverKey key) -> Result<void> {
    auto entry = store.get(key);
    if (!entry) return tl::unexpected(entry.error());
    entry->within += delta;
    return store.put(key, *entry);
  };
  if (length < 8) {
    for (std::uint32_t i = 0; i < std::uint32_t{1} << (8 - length); ++i)
      if (auto counted = count_within(key_of_8(tag, (address >> 24) + i)); !counted) return counted;
    return {};
  }
  if (length <= 16) {
    for (std::uint32_t i = 0; i < std::uint32_t{1} << (16 - length); ++i)
      if (auto counted = count_within(key_of_16(tag, (address >> 16) + i)); !counted) return counted;
    return {};
  }
  if (length <= 24) {
    const CoverKey key = key_of_16(tag, address >> 16);
    auto entry = store.get(key);
    if (!entry) return tl::unexpected(entry.error());
    const std::uint32_t first = (address >> 8) & 0xff;
    for (std::uint32_t i = 0; i < std::uint32_t{1} << (24 - length); ++i)
      entry->within24[first + i] = static_cast<std::uint8_t>(entry->within24[first + i] + delta);
    return store.put(key, *entry);
  }
  return count_longer(store, tag, address >> 8, delta);
}

// Entries in memory, for a set written whole.
class MemoryStore {
 public:
  Result<PrefixCover> get(CoverKey key) {
    auto found = entries_.find(key);
    return found == entries_.end() ? PrefixCover{} : found->second;
  }
  Result<void> put(CoverKey key, const PrefixCover& entry) {
    if (empty(entry)) entries_.erase(key);
    else entries_[key] = entry;
    return {};
  }
  const std::unordered_map<CoverKey, PrefixCover>& entries() const { return entries_; }

 private:
  std::unordered_map<CoverKey, PrefixCover> entries_;
};

// Entries in the kernel's map, each one's value when first read kept to put it back (the
// counting reads every entry before it writes it).
class MapStore {
 public:
  explicit MapStore(int fd) : fd_(fd) {}
  Result<PrefixCover> get(CoverKey key) {
    PrefixCover entry{};
    if (bpf_map_lookup_elem(fd_, &key, &entry) != 0 && errno != ENOENT)
      return tl::unexpected(system_error("cannot read a set's prefix lookup entry", errno));
    if (touched_.insert(key).second) before_.emplace_back(key, entry);
    return entry;
  }
  Result<void> put(CoverKey key, const PrefixCover& entry) { return write(key, entry); }
  // Puts back what put changed, the last change first.
  void undo() {
    for (auto kept = before_.rbegin(); kept != before_.rend(); ++kept) (void)write(kept->first, kept->second);
  }

 private:
  Result<void> write(CoverKey key, const PrefixCover& entry) {
    if (empty(entry)) {
      if (bpf_map_delete_elem(fd_, &key) != 0 && errno != ENOENT)
        return tl::unexpected(system_error("cannot delete a set's prefix lookup entry", errno));
      return {};
    }
    if (bpf_map_update_elem(fd_, &key, &entry, BPF_ANY) == 0) return {};
    if (errno == E2BIG || errno == ENOSPC || errno == ENOMEM)
      return make_error(ErrorKind::Usage, "the set map of prefix lookups is full", errno,
                        "compile with a larger --set-capacity N (CompileOptions::set_capacity)");
    return tl::unexpected(system_error("cannot write a set's prefix lookup entry", errno));
  }

  int fd_;
  std::vector<std::pair<CoverKey, PrefixCover>> before_;
  std::unordered_set<CoverKey> touched_;
};

}  // namespace

bool in_cover(const SetPrefix& prefix) { return !prefix.ipv6 && prefix.length < 32; }

std::size_t CoverEntries::size() const { return keys.size() / sizeof(CoverKey); }

CoverEntries cover_entries(std::uint32_t tag, const SetItems& items) {
  // Each distinct prefix once, as the trie holds it once.
  std::vector<std::pair<std::uint32_t, unsigned>> distinct;
  for (const SetPrefix& prefix : items.prefixes)
    if (in_cover(prefix)) distinct.emplace_back(masked_address(prefix), prefix.length);
  std::sort(distinct.begin(), distinct.end());
  distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
  MemoryStore store;
  for (const auto& [address, length] : distinct) {
    SetPrefix prefix;
    for (int i = 0; i < 4; ++i) prefix.bytes[i] = static_cast<std::uint8_t>(address >> (24 - 8 * i));
    prefix.length = length;
    (void)count_prefix(store, tag, prefix, 1);  // in memory: cannot fail
  }
  CoverEntries entries;
  entries.keys.resize(store.entries().size() * sizeof(CoverKey));
  entries.values.resize(store.entries().size() * sizeof(PrefixCover));
  std::size_t i = 0;
  for (const auto& [key, entry] : store.entries()) {
    std::memcpy(entries.keys.data() + i * sizeof key, &key, sizeof key);
    std::memcpy(entries.values.data() + i * sizeof entry, &entry, sizeof entry);
    ++i;
  }
  return entries;
}

Result<void> change_cover(int fd, std::uint32_t tag, const SetPrefix& prefix, int delta) {
  MapStore store(fd);
  auto counted = count_prefix(store, tag, prefix, delta);
  if (!counted) store.undo();
  return counted;
}

CoverLock::CoverLock(int fd) : fd_(fd) {
  // Should a kernel refuse, changes go on unlocked, as every change did before this map.
  if (fd_ >= 0 && ::flock(fd_, LOCK_EX) != 0) fd_ = -1;
}

CoverLock::~CoverLock() {
  if (fd_ >= 0) (void)::flock(fd_, LOCK_UN);
}

}  // namespace bpffw::loader
