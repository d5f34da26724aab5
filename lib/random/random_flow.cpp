#include "random/random_flow.hpp"

#include <algorithm>

#include "random/addresses.hpp"
#include "random/random_packet.hpp"

namespace bpffw::random {

Flow random_flow(Rng& rng) {
  Flow flow;
  flow.ipv6 = rng.chance(1, 2);
  flow.protocol = rng.chance(1, 2) ? 6 : 17;
  flow.connected = flow.protocol == 6 || rng.chance(1, 2);
  flow.remote_addr = random_address(rng, flow.ipv6).bytes;
  flow.remote_port = random_port(rng);
  return flow;
}

namespace {

// An IP header from `source` to `destination` of the family, the rest at random.
void random_ip_header(Rng& rng, packet::PacketBuilder& builder, bool ipv6, const std::array<std::uint8_t, 16>& source,
                      const std::array<std::uint8_t, 16>& destination, bool first_fragment) {
  using namespace packet;
  if (ipv6) {
    Ipv6Fields ip;
    ip.src = source;
    ip.dst = destination;
    ip.hop_limit = static_cast<std::uint8_t>(rng.below(256));
    ip.traffic_class = static_cast<std::uint8_t>(rng.below(256));
    ip.flow_label = static_cast<std::uint32_t>(rng.below(1u << 20));
    builder.ipv6(ip);
  } else {
    Ipv4Fields ip;
    std::copy_n(source.begin(), 4, ip.src.begin());
    std::copy_n(destination.begin(), 4, ip.dst.begin());
    ip.ttl = static_cast<std::uint8_t>(rng.below(256));
    ip.tos = static_cast<std::uint8_t>(rng.below(256));
    ip.more_fragments = first_fragment;
    builder.ipv4(ip);
  }
}

}  // namespace

packet::Packet random_packet_of(Rng& rng, const Flow& flow) {
  using namespace packet;
  PacketBuilder builder;
  const std::uint16_t local_port = random_port(rng);
  const std::array<std::uint8_t, 16> local = random_address(rng, flow.ipv6).bytes;
  // A datagram's first fragment now and then.
  random_ip_header(rng, builder, flow.ipv6, local, flow.remote_addr, flow.protocol == 17 && rng.chance(1, 4));
  if (flow.protocol == 6) builder.tcp(local_port, flow.remote_port, rng.chance(1, 2) ? tcp_flag::kSyn : 0xc2);
  else builder.udp(local_port, flow.remote_port);
  builder.payload(static_cast<std::size_t>(rng.below(200)));
  Packet packet = builder.build();
  packet.socket = flow.protocol == 6 ? SocketState::TcpSynSent
                  : flow.connected   ? SocketState::UdpConnected
                                     : SocketState::UdpUnconnected;
  packet.uid = rng.chance(1, 2) ? 0 : static_cast<std::uint32_t>(rng.below(70000));
  return packet;
}

Binding random_binding(Rng& rng) {
  Binding binding;
  binding.ipv6 = rng.chance(1, 2);
  binding.protocol = rng.chance(1, 2) ? 6 : 17;
  binding.local_port = rng.chance(1, 16) ? 0 : random_port(rng);
  const unsigned kind = static_cast<unsigned>(rng.below(binding.ipv6 ? 4 : 3));
  if (kind == 0) return binding;  // 0.0.0.0 or ::
  if (kind == 3) {                // ::ffff:a.b.c.d
    binding.local_addr[10] = binding.local_addr[11] = 0xff;
    std::array<std::uint8_t, 16> ipv4 = random_address(rng, false).bytes;
    std::copy_n(ipv4.begin(), 4, binding.local_addr.begin() + 12);
    return binding;
  }
  binding.local_addr = random_address(rng, binding.ipv6).bytes;
  return binding;
}

packet::Packet random_packet_to(Rng& rng, const Binding& binding) {
  using namespace packet;
  const auto& bound = binding.local_addr;
  const bool wildcard = std::all_of(bound.begin(), bound.end(), [](std::uint8_t b) { return b == 0; });
  const bool mapped = binding.ipv6 &&
                      std::all_of(bound.begin(), bound.begin() + 10, [](std::uint8_t b) { return b == 0; }) &&
                      bound[10] == 0xff && bound[11] == 0xff;
  const bool ipv6 = binding.ipv6 && !mapped && (!wildcard || rng.chance(1, 2));
  std::array<std::uint8_t, 16> destination = bound;
  if (mapped) {
    destination = {};
    std::copy_n(bound.begin() + 12, 4, destination.begin());
  }
  const bool any_address =
      std::all_of(destination.begin(), destination.begin() + (ipv6 ? 16 : 4), [](std::uint8_t b) { return b == 0; });
  if (any_address) destination = random_address(rng, ipv6).bytes;
  PacketBuilder builder;
  random_ip_header(rng, builder, ipv6, random_address(rng, ipv6).bytes, destination, false);
  const bool tcp = binding.protocol == 6;
  const std::uint16_t port = binding.local_port != 0 ? binding.local_port : random_port(rng);
  if (tcp) builder.tcp(random_port(rng), port, static_cast<std::uint8_t>(rng.below(256)));
  else builder.udp(random_port(rng), port);
  builder.payload(static_cast<std::size_t>(rng.below(200)));
  Packet packet = builder.build();
  static constexpr SocketState kTcpStates[] = {SocketState::TcpListen, SocketState::TcpEstablished,
                                               SocketState::TcpSynSent, SocketState::TcpClosed};
  static constexpr SocketState kUdpStates[] = {SocketState::UdpUnconnected, SocketState::UdpConnected};
  packet.socket = tcp ? kTcpStates[rng.below(4)] : kUdpStates[rng.below(2)];
  packet.uid = rng.chance(1, 2) ? 0 : static_cast<std::uint32_t>(rng.below(70000));
  return packet;
}

}  // namespace bpffw::random
