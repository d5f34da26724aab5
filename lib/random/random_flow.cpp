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

packet::Packet random_packet_of(Rng& rng, const Flow& flow) {
  using namespace packet;
  PacketBuilder builder;
  const std::uint16_t local_port = random_port(rng);
  const std::array<std::uint8_t, 16> local = random_address(rng, flow.ipv6).bytes;
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
  packet.socket = flow.protocol == 6 ? SocketState::TcpSynSent
                  : flow.connected   ? SocketState::UdpConnected
                                     : SocketState::UdpUnconnected;
  packet.uid = rng.chance(1, 2) ? 0 : static_cast<std::uint32_t>(rng.below(70000));
  return packet;
}

}  // namespace bpffw::random
