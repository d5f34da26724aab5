// Random rule lists (docs/filter-language.md §7.4), as hosts bring them from iptables: an `||` of
// terms, each a protocol, a port test and an address prefix of either family (mostly /24 and /48,
// also whole addresses and any length), now and then an ICMP type, a TTL, a set of ports, or a
// term not of §7.4's form (`!=`, a small random filter) that stays a test. And packets aimed at
// one term: one that meets it, or one that misses it by one thing (a port, a bit of the prefix,
// the protocol, the family). Used by bpffw-difftest --rules and the kernel tests.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "packet/packet_builder.hpp"
#include "random/addresses.hpp"
#include "random/rng.hpp"

namespace bpffw::random {

struct RuleTerm {
  enum class Protocol { Any, Tcp, Udp, Icmp };
  Protocol protocol = Protocol::Any;
  bool dst_port = true;                 // which port the ports test
  std::vector<std::uint16_t> ports;     // the values the term accepts; empty: no port test
  bool src_addr = true;                 // which address the prefix tests
  std::optional<RandomAddress> prefix;  // with host bits cleared; nullopt: no address test
  unsigned prefix_length = 0;
  std::optional<std::uint8_t> icmp_type;
  std::optional<std::uint8_t> ttl;
  bool other = false;  // a term not of §7.4's form: packets aimed at it are random
};

struct RandomRuleList {
  std::string text;
  std::vector<RuleTerm> terms;
};

RandomRuleList random_rule_list(Rng& rng, unsigned terms);

// A packet that meets `term` (miss false), or misses it by one thing (miss true).
packet::Packet packet_for_term(Rng& rng, const RuleTerm& term, bool miss);

}  // namespace bpffw::random
