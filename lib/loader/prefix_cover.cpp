#include "loader/prefix_cover.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <optional>
#include <unordered_map>
#include <utility>

#include <bpf/bpf.h>
#include <sys/file.h>

#include "layout/map_layout.hpp"
#include "loader/bpf_fd.hpp"

namespace bpffw::loader {
namespace {

using layout::PrefixCover;

std::size_t key_size(bool ipv6) { return ipv6 ? sizeof(layout::Ipv6ExactKey) : sizeof(layout::Ipv4ExactKey); }

// The key's bytes, `out` holding key_size(ipv6).
void write_key(bool ipv6, const CoverKey& key, std::uint8_t* out) {
  std::memset(out, 0, key_size(ipv6));
  const unsigned address_bytes = ipv6 ? 16 : 4;
  for (unsigned i = 0; i < std::min(address_bytes, 8u); ++i)
    out[i] = static_cast<std::uint8_t>(key.high >> (56 - 8 * i));
  std::memcpy(out + address_bytes, &key.tag, 4);
}

// The first `bits` bits of `high`, the rest cleared.
std::uint64_t cut(std::uint64_t high, unsigned bits) {
  if (bits == 0) return 0;
  return bits >= 64 ? high : high & ~((~std::uint64_t{0}) >> bits);
}
std::uint64_t step(unsigned bits) { return std::uint64_t{1} << (64 - bits); }  // one /bits further

bool empty(const PrefixCover& entry) {
  return entry.within == 0 && entry.longer == 0 &&
         (entry.below[0] | entry.below[1] | entry.below[2] | entry.below[3]) == 0 &&
         std::all_of(std::begin(entry.within24), std::end(entry.within24), [](std::uint8_t n) { return n == 0; });
}

// The prefix's first 8 bytes, big-endian, its bits past the length cleared (the trie ignores them too).
std::uint64_t masked_high(const SetPrefix& prefix) {
  std::uint64_t high = 0;
  for (unsigned i = 0; i < 8; ++i) high = high << 8 | (i < (prefix.ipv6 ? 16u : 4u) ? prefix.bytes[i] : 0);
  return cut(high, std::min(prefix.length, 64u));
}

// The counting, on a store of entries: entry (an absent one reads as zeros; the store keeps it,
// and a pointer to it stays valid) and changed (written through; an empty entry is removed). In
// IPv4's terms (layout::PrefixCover; IPv6's cuts are 16 bits further): shorter than /8 by /8, up to
// /16 by /16, up to /24 in the /16's within24, longer in the /24's entry, whose coming or going
// sets or clears its bit in the /16's.
template <class Store>
Result<void> count_prefix(Store& store, std::uint32_t tag, const SetPrefix& prefix, int delta) {
  const unsigned main = layout::cover_main_bits(prefix.ipv6);
  const std::uint64_t high = masked_high(prefix);
  const unsigned length = prefix.length;
  auto count_within = [&](const CoverKey& key) -> Result<void> {
    auto entry = store.entry(key);
    if (!entry) return tl::unexpected(entry.error());
    (*entry)->within += delta;
    return store.changed(key);
  };
  auto count_each = [&](unsigned bits, std::uint32_t level) -> Result<void> {
    for (std::uint64_t i = 0; i < std::uint64_t{1} << (bits - length); ++i)
      if (auto counted = count_within({high + i * step(bits), tag | level}); !counted) return counted;
    return {};
  };
  if (length < main - 8) return count_each(main - 8, layout::kCoverOf8);
  if (length <= main) return count_each(main, 0);
  const CoverKey parent{cut(high, main), tag};
  const unsigned group = static_cast<unsigned>(high >> (56 - main)) & 0xff;  // the byte after the cut
  auto entry = store.entry(parent);
  if (!entry) return tl::unexpected(entry.error());
  if (length <= main + 8) {
    for (unsigned i = 0; i < 1u << (main + 8 - length); ++i)
      (*entry)->within24[group + i] = static_cast<std::uint8_t>((*entry)->within24[group + i] + delta);
    return store.changed(parent);
  }
  const CoverKey longer_key{cut(high, main + 8), tag | layout::kCoverOf24};
  auto longer = store.entry(longer_key);
  if (!longer) return tl::unexpected(longer.error());
  (*longer)->longer += delta;
  if (auto put = store.changed(longer_key); !put) return put;
  std::uint64_t& word = (*entry)->below[group >> 6];
  const std::uint64_t bit = std::uint64_t{1} << (group & 63);
  if (((word & bit) != 0) == !empty(**longer)) return {};
  word ^= bit;
  return store.changed(parent);
}

// Entries in memory, for a set written whole: counted in place. Only ever counted up, so none is
// left empty.
class MemoryStore {
 public:
  explicit MemoryStore(std::unordered_map<CoverKey, PrefixCover, CoverKeyHash>& entries) : entries_(entries) {}
  Result<PrefixCover*> entry(const CoverKey& key) { return &entries_[key]; }
  Result<void> changed(const CoverKey&) { return {}; }

 private:
  std::unordered_map<CoverKey, PrefixCover, CoverKeyHash>& entries_;
};

// Entries in the kernel's map: each one read once, changed in a copy here and written back, and
// its value as first read kept to put it back.
class MapStore {
 public:
  MapStore(int fd, bool ipv6) : fd_(fd), ipv6_(ipv6) {}
  Result<PrefixCover*> entry(const CoverKey& key) {
    auto [at, fresh] = working_.try_emplace(key);
    if (!fresh) return &at->second;
    std::uint8_t bytes[sizeof(layout::Ipv6ExactKey)];
    write_key(ipv6_, key, bytes);
    if (bpf_map_lookup_elem(fd_, bytes, &at->second) != 0) {
      if (errno != ENOENT) {
        working_.erase(at);
        return tl::unexpected(system_error("cannot read a set's prefix lookup entry", errno));
      }
      at->second = PrefixCover{};
    }
    before_.emplace_back(key, at->second);
    return &at->second;
  }
  Result<void> changed(const CoverKey& key) { return write(key, working_.at(key)); }
  // Puts back what changed wrote, the last entry first.
  void undo() {
    for (auto kept = before_.rbegin(); kept != before_.rend(); ++kept) (void)write(kept->first, kept->second);
  }

 private:
  Result<void> write(const CoverKey& key, const PrefixCover& entry) {
    std::uint8_t bytes[sizeof(layout::Ipv6ExactKey)];
    write_key(ipv6_, key, bytes);
    if (empty(entry)) {
      if (bpf_map_delete_elem(fd_, bytes) != 0 && errno != ENOENT)
        return tl::unexpected(system_error("cannot delete a set's prefix lookup entry", errno));
      return {};
    }
    if (bpf_map_update_elem(fd_, bytes, &entry, BPF_ANY) == 0) return {};
    if (errno == E2BIG || errno == ENOSPC || errno == ENOMEM)
      return make_error(ErrorKind::Usage, "the set map of prefix lookups is full", errno,
                        "compile with a larger --set-capacity N (CompileOptions::set_capacity)");
    return tl::unexpected(system_error("cannot write a set's prefix lookup entry", errno));
  }

  int fd_;
  bool ipv6_;
  std::unordered_map<CoverKey, PrefixCover, CoverKeyHash> working_;
  std::vector<std::pair<CoverKey, PrefixCover>> before_;
};

}  // namespace

bool in_cover(const SetPrefix& prefix) {
  return prefix.ipv6 ? prefix.length >= layout::kCoverShortestIpv6 && prefix.length < 128 : prefix.length < 32;
}

CoverEntries::CoverEntries(bool ipv6, std::uint32_t tag, const SetItems& items) : ipv6_(ipv6) {
  // Each distinct prefix once, as the trie holds it once: its bytes past the length cleared.
  std::vector<std::pair<std::array<std::uint8_t, 16>, unsigned>> distinct;
  for (const SetPrefix& prefix : items.prefixes) {
    if (prefix.ipv6 != ipv6 || !in_cover(prefix)) continue;
    std::array<std::uint8_t, 16> bytes{};
    for (unsigned bit = 0; bit < prefix.length; ++bit)
      bytes[bit / 8] |= prefix.bytes[bit / 8] & static_cast<std::uint8_t>(0x80u >> (bit % 8));
    distinct.emplace_back(bytes, prefix.length);
  }
  std::sort(distinct.begin(), distinct.end());
  distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
  entries_.reserve(distinct.size());
  MemoryStore store(entries_);
  for (const auto& [bytes, length] : distinct)
    (void)count_prefix(store, tag, SetPrefix{ipv6, bytes, length}, 1);  // in memory: cannot fail
}

Result<void> CoverEntries::write(std::size_t batch, const BatchWriter& writer) const {
  const std::size_t key_bytes = key_size(ipv6_);
  std::vector<std::uint8_t> keys, values;
  keys.reserve(std::min(batch, size()) * key_bytes);
  values.reserve(std::min(batch, size()) * sizeof(PrefixCover));
  for (const auto& [key, entry] : entries_) {
    keys.resize(keys.size() + key_bytes);
    write_key(ipv6_, key, keys.data() + keys.size() - key_bytes);
    const auto* bytes = reinterpret_cast<const std::uint8_t*>(&entry);
    values.insert(values.end(), bytes, bytes + sizeof entry);
    if (values.size() < batch * sizeof entry) continue;
    if (auto written = writer(keys, values); !written) return written;
    keys.clear();
    values.clear();
  }
  return keys.empty() ? Result<void>{} : writer(keys, values);
}

Result<void> change_cover(int fd, std::uint32_t tag, const SetPrefix& prefix, int delta) {
  MapStore store(fd, prefix.ipv6);
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
