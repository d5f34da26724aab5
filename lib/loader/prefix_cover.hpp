// The cover maps of a program's prefixes (layout::PrefixCover), kept in step with the tries: built in memory when a set
// is written whole, changed entry by entry when a prefix is added to the trie or deleted from it. The counting is
// written once, for both.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include <bpffw/error.hpp>
#include <bpffw/sets.hpp>

namespace bpffw::loader {

// Whether a cover map counts `prefix`: an IPv4 prefix shorter than /32, an IPv6 one shorter than
// /128 and not shorter than layout::kCoverShortestIpv6.
bool in_cover(const SetPrefix& prefix);

// The family's cover map's entries for the distinct prefixes of `items` that it counts, under
// `tag`: keys (layout::Ipv4ExactKey or Ipv6ExactKey) and values (layout::PrefixCover) back to
// back, in the same order.
struct CoverEntries {
  std::vector<std::uint8_t> keys;
  std::vector<std::uint8_t> values;
  std::size_t size() const;
};
CoverEntries cover_entries(bool ipv6, std::uint32_t tag, const SetItems& items);

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
