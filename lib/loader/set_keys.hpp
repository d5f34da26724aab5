// The keys of the set maps (lib/layout/map_layout.hpp), built and read in one place: writing,
// deleting and listing entries (set_maps.cpp) and looking a value up (set_match.cpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include <bpffw/sets.hpp>

#include "layout/map_layout.hpp"
#include "loader/set_maps.hpp"

namespace bpffw::loader::keys {

inline constexpr std::size_t kKeySizes[] = {sizeof(layout::IntegerSetKey), sizeof(layout::Ipv4ExactKey),
                                            sizeof(layout::Ipv6ExactKey),  sizeof(layout::Ipv4SetKey),
                                            sizeof(layout::Ipv6SetKey),    sizeof(layout::Ipv4ExactKey),
                                            sizeof(layout::Ipv6ExactKey)};
inline constexpr std::size_t kValueSizes[] = {1, 1, 1, 1, 1, sizeof(layout::PrefixCover), sizeof(layout::PrefixCover)};
inline constexpr std::size_t kMaxKeySize = sizeof(layout::Ipv6SetKey);

inline void put_tag(std::uint8_t* tag_be, std::uint32_t tag) {
  for (int i = 0; i < 4; ++i) tag_be[i] = static_cast<std::uint8_t>(tag >> (24 - 8 * i));
}
inline std::uint32_t get_tag(const std::uint8_t* tag_be) {
  return static_cast<std::uint32_t>(tag_be[0]) << 24 | tag_be[1] << 16 | tag_be[2] << 8 | tag_be[3];
}

inline unsigned address_bytes(SetMapKind kind) {
  return kind == kIpv4Exact || kind == kIpv4Trie || kind == kIpv4Cover ? 4 : 16;
}

// A whole address goes to the hash map of its family, a shorter prefix to the trie.
inline SetMapKind kind_of(const SetPrefix& prefix) {
  bool whole = prefix.length == (prefix.ipv6 ? 128u : 32u);
  return prefix.ipv6 ? (whole ? kIpv6Exact : kIpv6Trie) : (whole ? kIpv4Exact : kIpv4Trie);
}

inline void integer_key(std::uint32_t tag, std::int64_t value, std::uint8_t* out) {
  layout::IntegerSetKey key{value, tag, 0};
  std::memcpy(out, &key, sizeof key);
}

// The LPM trie's key of any prefix of the family, a whole address too (as the program looks up
// a packet's address).
inline void trie_key(std::uint32_t tag, const SetPrefix& prefix, std::uint8_t* out) {
  unsigned bytes = prefix.ipv6 ? 16 : 4;
  std::memset(out, 0, layout::kSetKeyAddressOffset + bytes);
  std::uint32_t prefix_length = layout::kSetTagBits + prefix.length;
  std::memcpy(out, &prefix_length, 4);
  put_tag(out + layout::kSetKeyTagOffset, tag);
  std::memcpy(out + layout::kSetKeyAddressOffset, prefix.bytes.data(), bytes);
}

// The key of the prefix's entry: in the hash map of whole addresses, or in the trie.
inline void prefix_key(std::uint32_t tag, const SetPrefix& prefix, std::uint8_t* out) {
  SetMapKind kind = kind_of(prefix);
  if (kind == kIpv4Trie || kind == kIpv6Trie) return trie_key(tag, prefix, out);
  unsigned bytes = address_bytes(kind);
  std::memcpy(out, prefix.bytes.data(), bytes);
  std::memcpy(out + bytes, &tag, 4);
}

inline std::uint32_t tag_of(SetMapKind kind, const std::uint8_t* key) {
  std::uint32_t tag = 0;
  if (kind == kIntegers) std::memcpy(&tag, key + offsetof(layout::IntegerSetKey, tag), 4);
  else if (kind == kIpv4Exact || kind == kIpv6Exact) std::memcpy(&tag, key + address_bytes(kind), 4);
  else if (kind == kIpv4Cover || kind == kIpv6Cover) {
    std::memcpy(&tag, key + address_bytes(kind), 4);
    tag &= ~(layout::kCoverOf24 | layout::kCoverOf8);
  } else tag = get_tag(key + layout::kSetKeyTagOffset);
  return tag;
}

inline std::int64_t integer_of(const std::uint8_t* key) {
  std::int64_t value;
  std::memcpy(&value, key + offsetof(layout::IntegerSetKey, value), sizeof value);
  return value;
}

inline SetPrefix prefix_of(SetMapKind kind, const std::uint8_t* key) {
  SetPrefix prefix;
  unsigned bytes = address_bytes(kind);
  prefix.ipv6 = bytes == 16;
  if (kind == kIpv4Exact || kind == kIpv6Exact) {
    prefix.length = 8 * bytes;
    std::memcpy(prefix.bytes.data(), key, bytes);
    return prefix;
  }
  std::uint32_t prefix_length;
  std::memcpy(&prefix_length, key, 4);
  prefix.length = prefix_length - layout::kSetTagBits;
  std::memcpy(prefix.bytes.data(), key + layout::kSetKeyAddressOffset, bytes);
  return prefix;
}

}  // namespace bpffw::loader::keys
