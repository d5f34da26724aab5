// judge_flow (issue 29, docs/filter-language.md §10): a flow is refused only when the filter drops
// every first packet it can send. Verdicts written by hand, then soundness on random filters and
// flows: every refusal is checked against the interpreter's verdicts on random packets of the flow.
#include <doctest/doctest.h>

#include <string>

#include <bpffw/filter.hpp>
#include <bpffw/interpreter.hpp>

#include "packet/packet_builder.hpp"
#include "packet/packet_spec.hpp"
#include "random/addresses.hpp"
#include "random/random_filter.hpp"
#include "random/random_packet.hpp"

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

namespace {

// A first packet of the flow, with what the flow leaves open drawn at random.
bpffw::packet::Packet packet_of(bpffw::random::Rng& rng, const Flow& flow) {
  using namespace bpffw::packet;
  PacketBuilder builder;
  const std::uint16_t local_port = bpffw::random::random_port(rng);
  const std::array<std::uint8_t, 16> local = bpffw::random::random_address(rng, flow.ipv6).bytes;
  if (flow.ipv6) {
    Ipv6Fields ip;
    ip.src = local;
    ip.dst = flow.remote_addr;
    ip.hop_limit = static_cast<std::uint8_t>(rng.below(256));
    ip.traffic_class = static_cast<std::uint8_t>(rng.below(256));
    ip.flow_label = static_cast<std::uint32_t>(rng.below(1u << 20));
    builder.ipv6(ip);
  } else {
    Ipv4Fields ip;
    std::copy_n(local.begin(), 4, ip.src.begin());
    std::copy_n(flow.remote_addr.begin(), 4, ip.dst.begin());
    ip.ttl = static_cast<std::uint8_t>(rng.below(256));
    ip.tos = static_cast<std::uint8_t>(rng.below(256));
    ip.more_fragments = flow.protocol == 17 && rng.chance(1, 4);  // a datagram's first fragment
    builder.ipv4(ip);
  }
  if (flow.protocol == 6) builder.tcp(local_port, flow.remote_port, rng.chance(1, 2) ? tcp_flag::kSyn : 0xc2);
  else builder.udp(local_port, flow.remote_port);
  builder.payload(static_cast<std::size_t>(rng.below(200)));
  Packet packet = builder.build();
  packet.socket = flow.protocol == 6 ? bpffw::SocketState::TcpSynSent
                  : flow.connected   ? bpffw::SocketState::UdpConnected
                                     : bpffw::SocketState::UdpUnconnected;
  packet.uid = rng.chance(1, 2) ? 0 : static_cast<std::uint32_t>(rng.below(70000));
  return packet;
}

Flow random_flow(bpffw::random::Rng& rng) {
  Flow flow;
  flow.ipv6 = rng.chance(1, 2);
  flow.protocol = rng.chance(1, 2) ? 6 : 17;
  flow.connected = flow.protocol == 6 || rng.chance(1, 2);
  flow.remote_addr = bpffw::random::random_address(rng, flow.ipv6).bytes;
  flow.remote_port = bpffw::random::random_port(rng);
  return flow;
}

}  // namespace

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
      const Flow flow = random_flow(rng);
      ++flows;
      if (!bpffw::judge_flow(*filter, flow).refuse) continue;
      ++refusals;
      for (int p = 0; p < 20; ++p) {
        const bpffw::packet::Packet packet = packet_of(rng, flow);
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
