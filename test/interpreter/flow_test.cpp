// judge_flow (issue 29, docs/filter-language.md §10): a flow is refused only when the filter drops
// every first packet it can send. Verdicts written by hand, then soundness on random filters and
// flows: every refusal is checked against the interpreter's verdicts on random packets of the flow.
#include <doctest/doctest.h>

#include <string>

#include <bpffw/filter.hpp>
#include <bpffw/interpreter.hpp>

#include "packet/packet_builder.hpp"
#include "packet/packet_spec.hpp"
#include "random/random_filter.hpp"
#include "random/random_flow.hpp"

namespace {

using bpffw::Flow;

bpffw::Filter parse(const std::string& text) {
  auto filter = bpffw::Filter::parse(text, {.direction = bpffw::Direction::Egress});
  REQUIRE_MESSAGE(filter, filter.error().message);
  return std::move(*filter);
}

Flow tcp_to(std::array<std::uint8_t, 4> address, std::uint16_t port) {
  Flow flow;
  std::copy(address.begin(), address.end(), flow.remote_addr.begin());
  flow.remote_port = port;
  return flow;
}

bool refused(const std::string& text, const Flow& flow) { return bpffw::judge_flow(parse(text), flow).refuse; }

}  // namespace

TEST_CASE("flows: what the socket knows decides, what it does not know never refuses") {
  const Flow ssh = tcp_to({192, 0, 2, 7}, 22);
  const Flow web = tcp_to({192, 0, 2, 7}, 443);
  Flow dns = tcp_to({192, 0, 2, 7}, 53);
  dns.protocol = 17;
  dns.connected = false;  // a sendto()
  // A UDP connect() sends nothing: never refused (its sends are).
  Flow udp_connect = dns;
  udp_connect.connected = true;
  CHECK_FALSE(refused("tcp", udp_connect));

  CHECK(refused("tcp && dst_port == 443", ssh));
  CHECK_FALSE(refused("tcp && dst_port == 443", web));
  CHECK(refused("tcp && dst_port == 443", dns));
  CHECK(refused("!(tcp && dst_port == 22)", ssh));
  CHECK_FALSE(refused("!(tcp && dst_port == 22)", web));
  CHECK(refused("remote_port in {80, 443}", ssh));
  CHECK(refused("icmp", web));
  // Addresses: the remote one is known; of the local one (bound or not), only the family.
  CHECK_FALSE(refused("dst_addr == 192.0.2.0/24", web));
  CHECK(refused("dst_addr == 198.51.100.0/24", web));
  CHECK(refused("dst_addr == 2001:db8::/32", web));
  CHECK_FALSE(refused("src_addr == 10.0.0.0/8", web));
  CHECK(refused("src_addr == 2001:db8::/32", web));
  CHECK(refused("!(src_addr == 0.0.0.0/0)", web));
  CHECK_FALSE(refused("local_port == 5000", web));
  // IPv4-mapped destinations are judged as IPv4 (the flow's family), so `ipv6` refuses them.
  CHECK(refused("ipv6", web));
  // What no socket hook knows: the length, TTL, DSCP, ECN of the packets to come.
  CHECK_FALSE(refused("len < 100", web));
  CHECK_FALSE(refused("ttl > 64", web));
  CHECK_FALSE(refused("dscp == 46", web));
  CHECK(refused("dscp == 64", web));  // out of range: no packet has it
  // A SYN's flags; a connect()'s SYN is established (§4.5), an unconnected send is not.
  CHECK_FALSE(refused("(tcp_flags & SYN) != 0", web));
  CHECK(refused("(tcp_flags & ACK) != 0", web));
  CHECK(refused("!established", web));
  CHECK_FALSE(refused("!established", dns));
  CHECK(refused("established", dns));
  // The owner: the hook sees the caller's uid, not the socket's (§10), so uid decides nothing.
  CHECK_FALSE(refused("uid == 33", web));
  // Another protocol's socket (ping, raw) is never refused.
  Flow ping = web;
  ping.protocol = 1;
  CHECK_FALSE(refused("tcp", ping));
  // Kleene: an unknown operand decides nothing unless another one does.
  CHECK(refused("len > 0 && dst_port == 1", web));
  CHECK_FALSE(refused("len > 0 || dst_port == 1", web));
  CHECK(refused("(len > 0 ? dst_port : 0) == 1", web));
}

TEST_CASE("flows: on random filters and flows, every refused flow's packets are all dropped") {
  bpffw::random::Rng rng(20261206);
  bpffw::random::RandomFilterOptions options;
  options.directional = true;
  std::size_t flows = 0, refusals = 0, packets = 0;
  for (int f = 0; f < 3000; ++f) {
    auto filter =
        bpffw::Filter::parse(bpffw::random::random_filter(rng, options), {.direction = bpffw::Direction::Egress});
    REQUIRE(filter);
    for (int k = 0; k < 10; ++k) {
      const Flow flow = bpffw::random::random_flow(rng);
      ++flows;
      if (!bpffw::judge_flow(*filter, flow).refuse) continue;
      ++refusals;
      for (int p = 0; p < 20; ++p) {
        const bpffw::packet::Packet packet = bpffw::random::random_packet_of(rng, flow);
        ++packets;
        auto verdict = bpffw::interpret(*filter, packet.skb_protocol(), packet.bytes, packet.packet_socket());
        INFO(filter->source() << "\n  packet: " << bpffw::packet::describe_packet(packet));
        REQUIRE_FALSE(verdict.pass);
      }
    }
  }
  MESSAGE(flows << " flows, " << refusals << " refused, " << packets << " of their packets all dropped");
  CHECK(refusals > flows / 10);  // decisive as well as sound
}

namespace {

bool bind_refused(const std::string& text, bool ipv6, std::uint8_t protocol, std::array<std::uint8_t, 16> address,
                  std::uint16_t port) {
  auto filter = bpffw::Filter::parse(text, {.direction = bpffw::Direction::Ingress});
  REQUIRE_MESSAGE(filter, filter.error().message);
  return bpffw::judge_binding(*filter, bpffw::Binding{ipv6, protocol, address, port}).refuse;
}

constexpr std::array<std::uint8_t, 16> kAny{};
constexpr std::array<std::uint8_t, 16> kLoopback4{127, 0, 0, 1};
constexpr std::array<std::uint8_t, 16> kLoopback6{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
constexpr std::array<std::uint8_t, 16> kMapped{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127, 0, 0, 1};

}  // namespace

TEST_CASE("bindings: a bind() is refused only when no packet to its address and port can pass the ingress filter") {
  const std::string web = "tcp && local_port == 8080 || udp && src_addr == 10.0.0.1";
  CHECK_FALSE(bind_refused(web, false, 6, kLoopback4, 8080));
  CHECK(bind_refused(web, false, 6, kLoopback4, 8081));
  CHECK_FALSE(bind_refused(web, false, 6, kAny, 0));  // the kernel picks the port
  // Any peer may send to a UDP port: 10.0.0.1's datagrams pass, on IPv4.
  CHECK_FALSE(bind_refused(web, false, 17, kAny, 5353));
  CHECK_FALSE(bind_refused(web, true, 17, kAny, 5353));     // :: receives IPv4 too
  CHECK(bind_refused(web, true, 17, kLoopback6, 5353));     // ::1 only IPv6
  CHECK_FALSE(bind_refused(web, true, 17, kMapped, 5353));  // ::ffff:127.0.0.1 only IPv4
  CHECK(bind_refused(web, true, 6, kMapped, 8083));
  // The bound address is known; bound to 0.0.0.0, any local address of the family may be reached.
  CHECK(bind_refused("dst_addr == 192.0.2.0/24", false, 6, kLoopback4, 80));
  CHECK_FALSE(bind_refused("dst_addr == 192.0.2.0/24", false, 6, kAny, 80));
  CHECK(bind_refused("dst_addr == 192.0.2.0/24", true, 6, kLoopback6, 80));
  // What differs between packets to the port never refuses: flags, established, length, the peer.
  CHECK_FALSE(bind_refused("tcp_flags == SYN", false, 6, kLoopback4, 80));
  CHECK_FALSE(bind_refused("established", false, 6, kLoopback4, 80));
  CHECK_FALSE(bind_refused("!established", false, 6, kLoopback4, 80));
  CHECK_FALSE(bind_refused("len > 1000", false, 17, kLoopback4, 80));
  CHECK_FALSE(bind_refused("src_port == 53", false, 17, kLoopback4, 80));
  CHECK(bind_refused("icmp", false, 6, kLoopback4, 80));
  CHECK_FALSE(bind_refused("icmp", false, 1, kLoopback4, 80));  // not TCP or UDP: never refused
}

TEST_CASE("bindings: on random filters and binds, every refused bind's packets are all dropped") {
  bpffw::random::Rng rng(20261206);
  bpffw::random::RandomFilterOptions options;
  options.directional = true;
  int bindings = 0, refusals = 0, packets = 0;
  for (int f = 0; f < 300; ++f) {
    auto filter =
        bpffw::Filter::parse(bpffw::random::random_filter(rng, options), {.direction = bpffw::Direction::Ingress});
    REQUIRE_MESSAGE(filter, filter.error().message);
    for (int b = 0; b < 10; ++b, ++bindings) {
      const bpffw::Binding binding = bpffw::random::random_binding(rng);
      if (!bpffw::judge_binding(*filter, binding).refuse) continue;
      ++refusals;
      for (int p = 0; p < 20; ++p, ++packets) {
        const bpffw::packet::Packet packet = bpffw::random::random_packet_to(rng, binding);
        REQUIRE_MESSAGE(!bpffw::interpret(*filter, packet.skb_protocol(), packet.bytes, packet.packet_socket()).pass,
                        filter->source());
      }
    }
  }
  CHECK(refusals > bindings / 100);
  MESSAGE(bindings << " binds, " << refusals << " refused, " << packets << " of their packets all dropped");
}
