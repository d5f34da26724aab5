// Random packets of every shape of docs/filter-language.md §5: IPv4 with options, IHL lies and fragments; IPv6 with
// random extension-header chains up to and past the limit of 8; truncations at header boundaries;
// tiny UDP/TCP/ICMP; every ICMP type, random TCP flags, addresses near prefix boundaries
// (random/addresses.hpp); non-IP ethertypes; random bytes after a valid Ethernet header.
#pragma once

#include "packet/packet_builder.hpp"
#include "random/rng.hpp"

namespace bpffw::random {

struct RandomPacketOptions {
  // Only packets BPF_PROG_TEST_RUN accepts (IPv4/IPv6 fixed header not cut short).
  bool kernel_only = true;
  std::size_t max_size = 1500;  // BPF_PROG_TEST_RUN takes at most about a page
};

packet::Packet random_packet(Rng& rng, const RandomPacketOptions& options = {});

// A port the way random packets pick them: often a well-known one or an edge, else any.
std::uint16_t random_port(Rng& rng);

}  // namespace bpffw::random
