#include "random/random_rules.hpp"

#include <algorithm>

#include "random/random_filter.hpp"
#include "random/random_packet.hpp"

namespace bpffw::random {
namespace {

using Protocol = RuleTerm::Protocol;

std::uint16_t any_port(Rng& rng) { return static_cast<std::uint16_t>(rng.below(65536)); }

// Mostly /24 and /48, as rulesets have them; else whole addresses, or any length.
unsigned rule_prefix_length(Rng& rng, bool v6) {
  const std::uint64_t roll = rng.below(10);
  if (roll < 6) return v6 ? 48 : 24;
  if (roll < 8) return v6 ? 128 : 32;
  return static_cast<unsigned>(rng.below(v6 ? 129 : 33));
}

void clear_host_bits(RandomAddress& address, unsigned length) {
  for (unsigned bit = length; bit < 128; ++bit)
    address.bytes[bit / 8] &= static_cast<std::uint8_t>(~(0x80u >> (bit % 8)));
}

RandomAddress any_address(Rng& rng, bool v6) {
  RandomAddress address{v6, {}};
  for (unsigned i = 0; i < (v6 ? 16u : 4u); ++i) address.bytes[i] = static_cast<std::uint8_t>(rng.below(256));
  return address;
}

RuleTerm random_term(Rng& rng) {
  RuleTerm term;
  const std::uint64_t protocol = rng.below(20);
  term.protocol = protocol < 9    ? Protocol::Tcp
                  : protocol < 17 ? Protocol::Udp
                  : protocol < 19 ? Protocol::Icmp
                                  : Protocol::Any;
  if ((term.protocol == Protocol::Tcp || term.protocol == Protocol::Udp) && rng.chance(17, 20)) {
    term.dst_port = rng.chance(4, 5);
    const std::uint16_t port = rng.chance(1, 2) ? random_port(rng) : any_port(rng);
    term.ports = {port};
    if (rng.chance(1, 10)) {  // a few ports, or a short range
      const unsigned more = static_cast<unsigned>(rng.between(1, 6));
      for (unsigned i = 1; i <= more; ++i)
        term.ports.push_back(rng.chance(1, 2) ? static_cast<std::uint16_t>(port + i) : any_port(rng));
    }
  }
  if (term.protocol == Protocol::Icmp && rng.chance(1, 2)) term.icmp_type = static_cast<std::uint8_t>(rng.below(256));
  if (rng.chance(17, 20)) {
    term.src_addr = rng.chance(7, 10);
    const bool v6 = rng.chance(1, 2);
    term.prefix_length = rule_prefix_length(rng, v6);
    term.prefix = rng.chance(1, 4) ? random_address(rng, v6) : any_address(rng, v6);
    clear_host_bits(*term.prefix, term.prefix_length);
  }
  if (rng.chance(1, 20)) term.ttl = static_cast<std::uint8_t>(rng.chance(1, 2) ? 64 : rng.below(256));
  return term;
}

// The most terms of a list not of §7.4's form: they are tested one by one, and thousands of them
// are more paths than a verifier walks (§8).
constexpr unsigned kMostOtherTerms = 16;

std::string term_text(Rng& rng, RuleTerm& term, bool may_be_other) {
  // A term §7.4 leaves to the chain: `!=`, or a small random filter.
  if (may_be_other && rng.chance(1, 30)) {
    term.other = true;
    if (rng.chance(1, 2)) return "(tcp && dst_port != " + std::to_string(random_port(rng)) + ")";
    RandomFilterOptions small;
    small.max_nodes = 8;
    small.max_depth = 3;
    return "(" + random_filter(rng, small) + ")";
  }
  std::vector<std::string> tests;
  switch (term.protocol) {
    case Protocol::Tcp: tests.push_back("tcp"); break;
    case Protocol::Udp: tests.push_back("udp"); break;
    case Protocol::Icmp: tests.push_back("icmp"); break;
    case Protocol::Any: break;
  }
  if (!term.ports.empty()) {
    const std::string variable = term.dst_port ? "dst_port" : "src_port";
    if (term.ports.size() == 1) {
      tests.push_back(variable + " == " + std::to_string(term.ports[0]));
    } else {
      std::string items;
      for (std::uint16_t port : term.ports) items += (items.empty() ? "" : ", ") + std::to_string(port);
      tests.push_back(variable + " in {" + items + "}");
    }
  }
  if (term.icmp_type) tests.push_back("icmp_type == " + std::to_string(*term.icmp_type));
  if (term.prefix)
    tests.push_back(std::string(term.src_addr ? "src_addr" : "dst_addr") +
                    " == " + prefix_text(*term.prefix, term.prefix_length));
  if (term.ttl) tests.push_back("ttl == " + std::to_string(*term.ttl));
  if (tests.empty()) tests.push_back("ip");
  for (std::size_t i = tests.size(); i > 1; --i) std::swap(tests[i - 1], tests[rng.below(i)]);  // any order
  std::string text;
  for (const std::string& test : tests) text += (text.empty() ? "" : " && ") + test;
  return "(" + text + ")";
}

// An address in the prefix: its bits, then random host bits.
std::array<std::uint8_t, 16> address_in(Rng& rng, const RandomAddress& prefix, unsigned length) {
  RandomAddress address = any_address(rng, prefix.v6);
  for (unsigned bit = 0; bit < length; ++bit) {
    const std::uint8_t mask = static_cast<std::uint8_t>(0x80u >> (bit % 8));
    address.bytes[bit / 8] =
        static_cast<std::uint8_t>((address.bytes[bit / 8] & ~mask) | (prefix.bytes[bit / 8] & mask));
  }
  return address.bytes;
}

}  // namespace

RandomRuleList random_rule_list(Rng& rng, unsigned terms) {
  RandomRuleList list;
  unsigned others = 0;
  for (unsigned i = 0; i < terms; ++i) {
    RuleTerm term = random_term(rng);
    list.text += (i == 0 ? "" : " || ") + term_text(rng, term, others < kMostOtherTerms);
    others += term.other;
    list.terms.push_back(std::move(term));
  }
  return list;
}

packet::Packet packet_for_term(Rng& rng, const RuleTerm& term, bool miss) {
  if (term.other) return random_packet(rng);
  RuleTerm aimed = term;
  bool v6 = term.prefix ? term.prefix->v6 : rng.chance(1, 2);
  std::uint16_t port = term.ports.empty() ? random_port(rng) : term.ports[rng.below(term.ports.size())];
  std::uint8_t icmp_type = term.icmp_type.value_or(static_cast<std::uint8_t>(rng.below(256)));
  std::uint8_t ttl = term.ttl.value_or(static_cast<std::uint8_t>(rng.between(1, 255)));
  std::array<std::uint8_t, 16> address{};
  if (term.prefix) address = address_in(rng, *term.prefix, term.prefix_length);
  if (miss) {
    switch (rng.below(5)) {
      case 0: ++port; break;
      case 1:
        if (term.prefix && term.prefix_length > 0) {
          const unsigned bit = static_cast<unsigned>(rng.below(term.prefix_length));
          address[bit / 8] ^= static_cast<std::uint8_t>(0x80u >> (bit % 8));
        }
        break;
      case 2: aimed.protocol = term.protocol == Protocol::Tcp ? Protocol::Udp : Protocol::Tcp; break;
      case 3: v6 = !v6; break;
      default:
        ++ttl;
        ++icmp_type;
        break;
    }
  }
  if (aimed.protocol == Protocol::Any) aimed.protocol = rng.chance(1, 2) ? Protocol::Tcp : Protocol::Udp;

  packet::PacketBuilder builder;
  const std::uint16_t other_port = random_port(rng);
  if (v6) {
    packet::Ipv6Fields ip;
    ip.hop_limit = ttl;
    if (term.prefix && term.prefix->v6) (term.src_addr ? ip.src : ip.dst) = address;
    builder.ipv6(ip);
  } else {
    packet::Ipv4Fields ip;
    ip.ttl = ttl;
    if (term.prefix && !term.prefix->v6) std::copy_n(address.begin(), 4, (term.src_addr ? ip.src : ip.dst).begin());
    builder.ipv4(ip);
  }
  const std::uint16_t src_port = term.dst_port ? other_port : port;
  const std::uint16_t dst_port = term.dst_port ? port : other_port;
  switch (aimed.protocol) {
    case Protocol::Tcp: builder.tcp(src_port, dst_port); break;
    case Protocol::Udp: builder.udp(src_port, dst_port); break;
    default: builder.icmp(packet::IcmpFields{.v6 = std::nullopt, .type = icmp_type}); break;
  }
  return builder.build();
}

}  // namespace bpffw::random
