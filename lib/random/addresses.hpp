// The addresses random packets carry and random filters test (docs/filter-language.md §4.2):
// one small pool per family, shared by both generators, and prefix lengths at the usual
// boundaries, so that a random prefix often contains a random packet's address and often just
// misses it by the one bit after (or before) its boundary.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "random/rng.hpp"

namespace bpffw::random {

struct RandomAddress {
  bool v6 = false;
  std::array<std::uint8_t, 16> bytes{};  // network byte order; IPv4 in the first 4
};

// A pool address of the family, or one with a single bit flipped next to a prefix boundary.
RandomAddress random_address(Rng& rng, bool v6);

// A prefix length at a boundary (0, 8, 24, 64, 128, ...), one bit around one, or any.
unsigned random_prefix_length(Rng& rng, bool v6);

// `address/length` as text the filter language takes (§2.4), with the host bits cleared;
// a full-length prefix is written as a single address.
std::string prefix_text(const RandomAddress& address, unsigned length);

}  // namespace bpffw::random
