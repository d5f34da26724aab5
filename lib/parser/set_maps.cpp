#include "parser/set_maps.hpp"

#include <algorithm>

#include "layout/map_layout.hpp"

namespace bpffw::parser {
namespace {

// The cover map's entries a shorter prefix takes at most (layout::PrefixCover), in IPv4's terms:
// its /8s, or its /16s, or its /16, or its /24 and that /24's /16. IPv6's cuts are 16 bits
// further, and it has none shorter than layout::kCoverShortestIpv6.
std::uint64_t cover_entries(const SetPrefix& prefix) {
  const unsigned main = layout::cover_main_bits(prefix.ipv6);
  if (prefix.ipv6 && prefix.length < layout::kCoverShortestIpv6) return 0;
  if (prefix.length < main - 8) return std::uint64_t{1} << (main - 8 - prefix.length);
  if (prefix.length <= main) return std::uint64_t{1} << (main - prefix.length);
  return prefix.length <= main + 8 ? 1 : 2;
}

// Without --set-capacity: room for 16 /8s, or some thousands of prefixes in distinct /16s, added
// live. Not more: the kernel sets up a bucket per entry when it creates the map, and every program
// with an address set creates two (2^17 cost 8 ms).
constexpr std::uint32_t kDefaultCoverCapacity = 1u << 12;

}  // namespace

SetMapSizes& SetMapSizes::operator+=(const SetMapSizes& other) {
  integers += other.integers;
  ipv4_exact += other.ipv4_exact;
  ipv6_exact += other.ipv6_exact;
  ipv4_prefixes += other.ipv4_prefixes;
  ipv6_prefixes += other.ipv6_prefixes;
  ipv4_cover += other.ipv4_cover;
  ipv6_cover += other.ipv6_cover;
  return *this;
}

SetMapSizes set_map_entries(const SetItems& items) {
  SetMapSizes entries;
  entries.integers = items.entry_count() - items.prefixes.size();
  for (const SetPrefix& prefix : items.prefixes) {
    bool whole = prefix.length == (prefix.ipv6 ? 128 : 32);
    ++(prefix.ipv6 ? (whole ? entries.ipv6_exact : entries.ipv6_prefixes)
                   : (whole ? entries.ipv4_exact : entries.ipv4_prefixes));
    if (!whole) (prefix.ipv6 ? entries.ipv6_cover : entries.ipv4_cover) += cover_entries(prefix);
  }
  return entries;
}

SetMapSizes set_map_capacities(const std::vector<NamedSet>& sets, std::uint32_t set_capacity) {
  SetMapSizes needed;
  for (const NamedSet& set : sets) needed += set_map_entries(set.items);
  auto cover_capacity = [&](std::uint64_t entries) -> std::uint64_t {
    return std::max<std::uint64_t>(set_capacity != 0 ? set_capacity : kDefaultCoverCapacity, set_capacity_for(entries));
  };
  auto capacity = [&](std::uint64_t entries, std::uint32_t default_capacity) -> std::uint64_t {
    if (set_capacity != 0) return set_capacity;
    return std::max<std::uint64_t>(default_capacity, set_capacity_for(entries));
  };
  return {capacity(needed.integers, kDefaultIntegerSetCapacity),
          capacity(needed.ipv4_exact, kDefaultExactAddressSetCapacity),
          capacity(needed.ipv6_exact, kDefaultExactAddressSetCapacity),
          capacity(needed.ipv4_prefixes, kDefaultAddressSetCapacity),
          capacity(needed.ipv6_prefixes, kDefaultAddressSetCapacity),
          cover_capacity(needed.ipv4_cover),
          cover_capacity(needed.ipv6_cover)};
}

}  // namespace bpffw::parser
