// The cover maps of a program's prefixes (layout::PrefixCover), kept in step with the tries: built in memory when a set
// is written whole, changed entry by entry when a prefix is added to the trie or deleted from it. The counting is
// written once, for both.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <unordered_map>
#include <vector>

#include <bpffw/error.hpp>
#include <bpffw/sets.hpp>

#include "layout/map_layout.hpp"

namespace bpffw::loader {

// Whether a cover map counts `prefix`: an IPv4 prefix shorter than /32, an IPv6 one shorter than
// /128 and not shorter than layout::kCoverShortestIpv6.
bool in_cover(const SetPrefix& prefix);

// An entry's key: the address's first 8 bytes (big-endian) cut to the entry's length, and the tag
// with the entry's level. Written out as the family's Ipv4ExactKey or Ipv6ExactKey.
struct CoverKey {
  std::uint64_t high;
  std::uint32_t tag;
  bool operator==(const CoverKey&) const = default;
};
struct CoverKeyHash {
  std::size_t operator()(const CoverKey& key) const {
    return std::hash<std::uint64_t>()(key.high ^ key.tag * 0x9e3779b97f4a7c15u);
  }
};

// The family's cover map's entries for the distinct prefixes of `items` that it counts, under
// `tag`, counted in memory (each entry in place: a 10^6-prefix set makes some 10^5 of them).
class CoverEntries {
 public:
  CoverEntries() = default;
  CoverEntries(bool ipv6, std::uint32_t tag, const SetItems& items);
  std::size_t size() const { return entries_.size(); }
  // Calls `write` with up to `batch` entries at a time, their keys (layout::Ipv4ExactKey or
  // Ipv6ExactKey) and values (layout::PrefixCover) back to back, in the same order: never all at
  // once, which would be as many fresh pages again.
  using BatchWriter =
      std::function<Result<void>(const std::vector<std::uint8_t>& keys, const std::vector<std::uint8_t>& values)>;
  Result<void> write(std::size_t batch, const BatchWriter& write) const;

 private:
  bool ipv6_ = false;
  std::unordered_map<CoverKey, layout::PrefixCover, CoverKeyHash> entries_;
};

// Counts `prefix` (in_cover) in its family's cover map `fd` under `tag`: `delta` 1 after it was
// added to the trie, -1 after it was deleted. All or nothing: on failure every entry it changed is
// put back.
Result<void> change_cover(int fd, std::uint32_t tag, const SetPrefix& prefix, int delta);

// Holds the host's lock on changes of cover maps (flock on a map's fd) while it lives: two
// processes that change one set at once must not both read an entry and then each write its own
// count. Every BPF map's fd shares one inode, so this one lock serialises all cover changes on
// the host; they are short.
class CoverLock {
 public:
  explicit CoverLock(int fd);
  ~CoverLock();
  CoverLock(const CoverLock&) = delete;
  CoverLock& operator=(const CoverLock&) = delete;

 private:
  int fd_;
};

}  // namespace bpffw::loader
