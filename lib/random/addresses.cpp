#include "random/addresses.hpp"

#include <arpa/inet.h>

#include <span>

namespace bpffw::random {
namespace {

using Bytes = std::array<std::uint8_t, 16>;

// The packet builder's defaults, documentation and private ranges, the extremes, and IPv6
// addresses whose first 32 bits are IPv4 pool addresses (a00:1:: is 10.0.0.1 followed by
// zeros, ::ffff:10.0.0.1 is IPv4-mapped): an engine that mixes up the families matches those.
constexpr Bytes kIpv4Pool[] = {
    {10, 0, 0, 1},  {10, 0, 0, 2}, {192, 0, 2, 1},       {192, 168, 1, 255}, {172, 16, 0, 0},
    {127, 0, 0, 1}, {0, 0, 0, 0},  {255, 255, 255, 255}, {128, 0, 0, 0},
};
constexpr Bytes kIpv6Pool[] = {
    {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1},
    {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2},
    {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1},
    {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
    {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1},
    {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 1},
    {10, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
    {10, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
    {0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1},
    {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
    {0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
};
constexpr unsigned kIpv4Boundaries[] = {0, 1, 8, 12, 16, 24, 31, 32};
constexpr unsigned kIpv6Boundaries[] = {0, 1, 8, 16, 32, 48, 64, 96, 120, 127, 128};

unsigned bits(bool v6) { return v6 ? 128 : 32; }

unsigned random_boundary(Rng& rng, bool v6) {
  return v6 ? kIpv6Boundaries[rng.below(std::size(kIpv6Boundaries))]
            : kIpv4Boundaries[rng.below(std::size(kIpv4Boundaries))];
}

void flip_bit(Bytes& bytes, unsigned bit) { bytes[bit / 8] ^= static_cast<std::uint8_t>(0x80u >> (bit % 8)); }

}  // namespace

RandomAddress random_address(Rng& rng, bool v6) {
  RandomAddress address;
  address.v6 = v6;
  std::span<const Bytes> pool = v6 ? std::span<const Bytes>(kIpv6Pool) : std::span<const Bytes>(kIpv4Pool);
  address.bytes = pool[rng.below(pool.size())];
  if (rng.chance(1, 2)) return address;
  // The last bit inside a prefix of a boundary length, or the first one after it.
  unsigned boundary = random_boundary(rng, v6);
  unsigned bit = rng.chance(1, 2) ? boundary - 1 : boundary;
  if (rng.chance(1, 5) || bit >= bits(v6)) bit = static_cast<unsigned>(rng.below(bits(v6)));
  flip_bit(address.bytes, bit);
  return address;
}

unsigned random_prefix_length(Rng& rng, bool v6) {
  unsigned length = random_boundary(rng, v6);
  if (rng.chance(1, 4)) length = static_cast<unsigned>(rng.below(bits(v6) + 1));
  return length;
}

std::string prefix_text(const RandomAddress& address, unsigned length) {
  Bytes bytes = address.bytes;
  for (unsigned bit = length; bit < bits(address.v6); ++bit)
    bytes[bit / 8] &= static_cast<std::uint8_t>(~(0x80u >> (bit % 8)));
  char text[INET6_ADDRSTRLEN];
  ::inet_ntop(address.v6 ? AF_INET6 : AF_INET, bytes.data(), text, sizeof text);
  std::string result = text;
  if (length != bits(address.v6)) {
    result += '/';  // two appends: GCC 12 warns (-Wrestrict) about "/" + std::string
    result += std::to_string(length);
  }
  return result;
}

}  // namespace bpffw::random
