// Which entry of a named set a value meets (set_maps.hpp, match_set_value): the lookups the
// program makes for a packet's value, in the same maps, under the same tag and state word.
#include <cerrno>
#include <climits>
#include <cstring>

#include <bpf/bpf.h>

#include "loader/bpf_fd.hpp"
#include "loader/set_keys.hpp"
#include "loader/set_maps.hpp"

namespace bpffw::loader {
namespace {

using keys::kKeySizes;
using keys::kMaxKeySize;

// Whether the map holds the key (a hash map: that key; an LPM trie: its longest match).
Result<bool> lookup(int fd, const std::uint8_t* key) {
  alignas(8) std::uint8_t value[8];
  if (bpf_map_lookup_elem(fd, key, value) == 0) return true;
  if (errno == ENOENT) return false;
  return tl::unexpected(system_error("cannot look up a set map", errno));
}

// Whether the trie holds exactly this prefix: its get_next_key returns the entry after the key
// when it holds it, the first entry of the trie when it does not (the last entry has none).
Result<bool> trie_holds(int fd, const std::uint8_t* key, std::size_t key_size) {
  alignas(8) std::uint8_t first[kMaxKeySize] = {};
  alignas(8) std::uint8_t next[kMaxKeySize] = {};
  if (bpf_map_get_next_key(fd, nullptr, first) != 0)
    return errno == ENOENT ? Result<bool>(false) : tl::unexpected(system_error("cannot list a set map", errno));
  if (bpf_map_get_next_key(fd, key, next) != 0)
    return errno == ENOENT ? Result<bool>(true) : tl::unexpected(system_error("cannot list a set map", errno));
  return std::memcmp(first, next, key_size) != 0;
}

// Kernels without "bpf: Fix exact match conditions in trie_get_next_key()" (Linux 6.13, and
// the stable kernels it went to) take another prefix of the same length for an absent key, so
// trie_holds may say yes wrongly there. Asked once, of a trie of our own holding 10.0.0.0/8:
// does it hold 11.0.0.0/8?
bool trie_holds_is_exact() {
  static const bool exact = [] {
    LIBBPF_OPTS(bpf_map_create_opts, options, .map_flags = BPF_F_NO_PREALLOC);
    detail::UniqueFd trie(bpf_map_create(BPF_MAP_TYPE_LPM_TRIE, nullptr, 8, 1, 1, &options));
    if (trie.get() < 0) return false;
    std::uint32_t length = 8;
    std::uint8_t held[8] = {0, 0, 0, 0, 10, 0, 0, 0};
    std::uint8_t absent[8] = {0, 0, 0, 0, 11, 0, 0, 0};
    std::memcpy(held, &length, 4);
    std::memcpy(absent, &length, 4);
    std::uint8_t one = 1;
    if (bpf_map_update_elem(trie.get(), held, &one, BPF_ANY) != 0) return false;
    auto holds = trie_holds(trie.get(), absent, sizeof absent);
    return holds && !*holds;
  }();
  return exact;
}

bool contains(const SetPrefix& prefix, const SetPrefix& address) {
  if (prefix.ipv6 != address.ipv6) return false;
  unsigned whole = prefix.length / 8, rest = prefix.length % 8;
  if (std::memcmp(prefix.bytes.data(), address.bytes.data(), whole) != 0) return false;
  std::uint8_t mask = static_cast<std::uint8_t>(0xff00 >> rest);
  return rest == 0 || (prefix.bytes[whole] & mask) == (address.bytes[whole] & mask);
}

SetPrefix masked(const SetPrefix& address, unsigned length) {
  SetPrefix prefix = address;
  prefix.length = length;
  for (unsigned bit = length; bit < 128; ++bit) prefix.bytes[bit / 8] &= static_cast<std::uint8_t>(~(0x80 >> bit % 8));
  return prefix;
}

SetItems one_prefix(const SetPrefix& prefix) { return SetItems{SetElement::Address, {}, {prefix}}; }

// The longest prefix in the trie under `tag` that contains the address, which the trie's lookup
// found: by asking for each shorter length whether the trie holds that prefix, or, where the
// kernel cannot say exactly, by listing the trie's entries under the tag.
Result<std::optional<SetItems>> longest_in_trie(const SetMap& trie, SetMapKind kind, std::uint32_t tag,
                                                const SetPrefix& address) {
  if (trie_holds_is_exact()) {
    std::uint8_t key[kMaxKeySize];
    for (unsigned length = address.length; length-- > 0;) {
      SetPrefix candidate = masked(address, length);
      keys::trie_key(tag, candidate, key);
      auto held = trie_holds(trie.fd.get(), key, kKeySizes[kind]);
      if (!held) return tl::unexpected(held.error());
      if (*held) return one_prefix(candidate);
    }
  }
  std::optional<SetPrefix> best;
  auto listed = for_each_key_batch(trie, kind, tag, [&](const std::uint8_t* keys, std::size_t count) {
    for (std::size_t i = 0; i < count; ++i) {
      SetPrefix prefix = keys::prefix_of(kind, keys + i * kKeySizes[kind]);
      if (contains(prefix, address) && (!best || prefix.length > best->length)) best = prefix;
    }
    return true;
  });
  if (!listed) return tl::unexpected(listed.error());
  if (!best) return std::nullopt;  // removed since the lookup
  return one_prefix(*best);
}

Result<std::optional<SetItems>> match_address(const SetMaps& maps, std::uint32_t tag, std::uint32_t state,
                                              const SetPrefix& address) {
  std::uint8_t key[kMaxKeySize];
  const SetMap& exact = maps.entries[address.ipv6 ? kIpv6Exact : kIpv4Exact];
  if (exact.fd.get() >= 0) {
    keys::prefix_key(tag, address, key);
    auto hit = lookup(exact.fd.get(), key);
    if (!hit) return tl::unexpected(hit.error());
    if (*hit) return one_prefix(address);
  }
  // The program looks in the trie only when the state says the set has shorter prefixes there.
  SetMapKind kind = address.ipv6 ? kIpv6Trie : kIpv4Trie;
  std::uint32_t flag = address.ipv6 ? layout::kSetStateIpv6Trie : layout::kSetStateIpv4Trie;
  const SetMap& trie = maps.entries[kind];
  if ((state & flag) == 0 || trie.fd.get() < 0) return std::nullopt;
  keys::trie_key(tag, address, key);
  auto hit = lookup(trie.fd.get(), key);
  if (!hit) return tl::unexpected(hit.error());
  if (!*hit) return std::nullopt;
  return longest_in_trie(trie, kind, tag, address);
}

Result<std::optional<SetItems>> match_integer(const SetMaps& maps, std::uint32_t tag, std::int64_t value) {
  int fd = maps.entries[kIntegers].fd.get();
  if (fd < 0) return std::nullopt;
  std::uint8_t key[kMaxKeySize];
  auto held = [&](std::int64_t integer) {
    keys::integer_key(tag, integer, key);
    return lookup(fd, key);
  };
  auto hit = held(value);
  if (!hit) return tl::unexpected(hit.error());
  if (!*hit) return std::nullopt;
  // Each integer is its own entry: the run of them around the value is the range it came from.
  SetIntegerRange range{value, value};
  for (; range.lo != INT64_MIN; --range.lo) {
    auto below = held(range.lo - 1);
    if (!below) return tl::unexpected(below.error());
    if (!*below) break;
  }
  for (; range.hi != INT64_MAX; ++range.hi) {
    auto above = held(range.hi + 1);
    if (!above) return tl::unexpected(above.error());
    if (!*above) break;
  }
  return SetItems{SetElement::Integer, {range}, {}};
}

}  // namespace

Result<std::optional<SetItems>> match_set_value(const SetMaps& maps, std::uint32_t tag, std::uint32_t state,
                                                const SetItems& value) {
  if (value.element == SetElement::Integer) return match_integer(maps, tag, value.ranges.at(0).lo);
  return match_address(maps, tag, state, value.prefixes.at(0));
}

}  // namespace bpffw::loader
