#include "packet/packet_builder.hpp"

#include <algorithm>

namespace bpffw::packet {
namespace {

void put16(std::vector<unsigned char>& out, std::size_t at, std::uint16_t value) {
  out[at] = static_cast<unsigned char>(value >> 8);
  out[at + 1] = static_cast<unsigned char>(value & 0xff);
}
void put32(std::vector<unsigned char>& out, std::size_t at, std::uint32_t value) {
  put16(out, at, static_cast<std::uint16_t>(value >> 16));
  put16(out, at + 2, static_cast<std::uint16_t>(value & 0xffff));
}

std::uint16_t ipv4_checksum(const unsigned char* header, std::size_t size) {
  std::uint32_t sum = 0;
  for (std::size_t i = 0; i + 1 < size; i += 2) sum += static_cast<std::uint32_t>((header[i] << 8) | header[i + 1]);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum & 0xffff);
}

std::size_t padded_options_size(const Ipv4Fields& fields) { return (fields.options.size() + 3) / 4 * 4; }

// The number a previous header's next-header field names this layer by; none for payload.
std::optional<std::uint8_t> layer_protocol(const Layer& layer, bool in_ipv6) {
  return std::visit(
      [&](const auto& l) -> std::optional<std::uint8_t> {
        using T = std::decay_t<decltype(l)>;
        if constexpr (std::is_same_v<T, Ipv4Fields>) return 4;   // IP in IP
        if constexpr (std::is_same_v<T, Ipv6Fields>) return 41;  // IPv6 in IP
        if constexpr (std::is_same_v<T, ExtensionHeader>) return l.type;
        if constexpr (std::is_same_v<T, TcpFields>) return proto::kTcp;
        if constexpr (std::is_same_v<T, UdpFields>) return proto::kUdp;
        if constexpr (std::is_same_v<T, IcmpFields>) return l.v6.value_or(in_ipv6) ? proto::kIcmpv6 : proto::kIcmp;
        if constexpr (std::is_same_v<T, RawTransport>) return l.protocol;
        if constexpr (std::is_same_v<T, Payload>) return std::nullopt;
      },
      layer);
}

ExtensionHeader extension_header(std::uint8_t type, std::uint8_t length_field) {
  ExtensionHeader header;
  header.type = type;
  header.length_field = length_field;
  return header;
}

}  // namespace

std::size_t layer_size(const Layer& layer) {
  return std::visit(
      [](const auto& l) -> std::size_t {
        using T = std::decay_t<decltype(l)>;
        if constexpr (std::is_same_v<T, Ipv4Fields>) return 20 + padded_options_size(l);
        if constexpr (std::is_same_v<T, Ipv6Fields>) return 40;
        if constexpr (std::is_same_v<T, ExtensionHeader>) return l.size();
        if constexpr (std::is_same_v<T, TcpFields>) return 20;
        if constexpr (std::is_same_v<T, UdpFields>) return 8;
        if constexpr (std::is_same_v<T, IcmpFields>) return 8;
        if constexpr (std::is_same_v<T, RawTransport> || std::is_same_v<T, Payload>) return l.bytes.size();
      },
      layer);
}

std::size_t ExtensionHeader::size() const {
  if (type == proto::kFragment) return 8;
  if (type == proto::kAuthentication) return (length_field + std::size_t{2}) * 4;
  return (length_field + std::size_t{1}) * 8;
}

std::uint16_t Packet::skb_protocol() const {
  if (ethertype >= 0x0600) return ethertype;
  // eth_type_trans(): a raw 802.3 frame starts with 0xFFFF (IPX), anything else is 802.2 LLC.
  if (bytes.size() >= 2 && bytes[0] == 0xff && bytes[1] == 0xff) return 0x0001;
  return 0x0004;
}

std::vector<unsigned char> Packet::ethernet_frame() const {
  std::vector<unsigned char> frame = {0x02, 0, 0, 0, 0, 0x02,   // destination MAC
                                      0x02, 0, 0, 0, 0, 0x01};  // source MAC
  frame.push_back(static_cast<unsigned char>(ethertype >> 8));
  frame.push_back(static_cast<unsigned char>(ethertype & 0xff));
  frame.insert(frame.end(), bytes.begin(), bytes.end());
  return frame;
}

bool Packet::fits_test_run() const {
  if (ethertype == kEthertypeIpv4) return bytes.size() >= 20;
  if (ethertype == kEthertypeIpv6) return bytes.size() >= 40;
  return true;
}

PacketBuilder& PacketBuilder::ipv4(Ipv4Fields fields) { layers_.emplace_back(std::move(fields)); return *this; }
PacketBuilder& PacketBuilder::ipv6(Ipv6Fields fields) { layers_.emplace_back(std::move(fields)); return *this; }
PacketBuilder& PacketBuilder::extension(ExtensionHeader header) { layers_.emplace_back(header); return *this; }
PacketBuilder& PacketBuilder::hop_by_hop(std::uint8_t length_field) {
  return extension(extension_header(proto::kHopByHop, length_field));
}
PacketBuilder& PacketBuilder::routing(std::uint8_t length_field) {
  return extension(extension_header(proto::kRouting, length_field));
}
PacketBuilder& PacketBuilder::destination_options(std::uint8_t length_field) {
  return extension(extension_header(proto::kDestinationOptions, length_field));
}
PacketBuilder& PacketBuilder::fragment(std::uint16_t offset, bool more_fragments) {
  ExtensionHeader header = extension_header(proto::kFragment, 0);
  header.fragment_offset = offset;
  header.more_fragments = more_fragments;
  return extension(header);
}
PacketBuilder& PacketBuilder::authentication(std::uint8_t length_field) {
  return extension(extension_header(proto::kAuthentication, length_field));
}
PacketBuilder& PacketBuilder::tcp(std::uint16_t src, std::uint16_t dst, std::uint8_t flags) {
  layers_.emplace_back(TcpFields{src, dst, flags});
  return *this;
}
PacketBuilder& PacketBuilder::udp(std::uint16_t src, std::uint16_t dst) { layers_.emplace_back(UdpFields{src, dst}); return *this; }
PacketBuilder& PacketBuilder::icmp() { layers_.emplace_back(IcmpFields{}); return *this; }
PacketBuilder& PacketBuilder::icmpv6() { layers_.emplace_back(IcmpFields{true}); return *this; }
PacketBuilder& PacketBuilder::icmp(IcmpFields fields) { layers_.emplace_back(fields); return *this; }
PacketBuilder& PacketBuilder::transport(std::uint8_t protocol, std::vector<unsigned char> bytes) {
  layers_.emplace_back(RawTransport{protocol, std::move(bytes)});
  return *this;
}
PacketBuilder& PacketBuilder::payload(std::size_t size, unsigned char fill) {
  layers_.emplace_back(Payload{std::vector<unsigned char>(size, fill)});
  return *this;
}
PacketBuilder& PacketBuilder::bytes(std::span<const unsigned char> bytes) {
  layers_.emplace_back(Payload{{bytes.begin(), bytes.end()}});
  return *this;
}
PacketBuilder& PacketBuilder::ethertype(std::uint16_t ethertype) { ethertype_ = ethertype; return *this; }
PacketBuilder& PacketBuilder::socket(SocketState socket) { socket_ = socket; return *this; }
PacketBuilder& PacketBuilder::uid(std::uint32_t uid) { uid_ = uid; return *this; }
PacketBuilder& PacketBuilder::truncate(std::size_t size) { truncate_ = size; return *this; }
PacketBuilder& PacketBuilder::total_size(std::size_t size) { total_size_ = size; return *this; }

Packet PacketBuilder::build() const {
  Packet packet;
  packet.socket = socket_;
  packet.uid = uid_;
  bool in_ipv6 = !layers_.empty() && std::holds_alternative<Ipv6Fields>(layers_.front());
  bool in_ipv4 = !layers_.empty() && std::holds_alternative<Ipv4Fields>(layers_.front());
  packet.ethertype = ethertype_.value_or(in_ipv4 ? kEthertypeIpv4 : in_ipv6 ? kEthertypeIpv6 : kEthertypeArp);

  std::vector<std::size_t> starts;
  std::size_t total = 0;
  for (const Layer& layer : layers_) {
    starts.push_back(total);
    total += layer_size(layer);
  }
  std::vector<unsigned char>& out = packet.bytes;
  out.assign(total, 0);

  for (std::size_t i = 0; i < layers_.size(); ++i) {
    // The next header is the first following layer that has a protocol number.
    std::optional<std::uint8_t> next;
    for (std::size_t j = i + 1; j < layers_.size() && !next; ++j) next = layer_protocol(layers_[j], in_ipv6);
    std::size_t at = starts[i];
    std::size_t rest = total - at;  // this layer and everything after it
    unsigned char* p = out.data() + at;
    std::visit(
        [&](const auto& l) {
          using T = std::decay_t<decltype(l)>;
          if constexpr (std::is_same_v<T, Ipv4Fields>) {
            std::size_t header = 20 + padded_options_size(l);
            p[0] = static_cast<unsigned char>((l.version << 4) | (l.ihl.value_or(header / 4) & 0x0f));
            put16(out, at + 2, l.total_length.value_or(static_cast<std::uint16_t>(rest)));
            put16(out, at + 4, 0x1234);  // identification
            put16(out, at + 6, static_cast<std::uint16_t>((l.more_fragments ? 0x2000 : 0) | (l.fragment_offset & 0x1fff)));
            p[1] = l.tos;
            p[8] = l.ttl;
            p[9] = l.protocol.value_or(next.value_or(proto::kReserved));
            std::copy(l.src.begin(), l.src.end(), p + 12);
            std::copy(l.dst.begin(), l.dst.end(), p + 16);
            std::fill(p + 20, p + header, 0x01);  // NOP padding
            std::copy(l.options.begin(), l.options.end(), p + 20);
            put16(out, at + 10, ipv4_checksum(p, header));
          } else if constexpr (std::is_same_v<T, Ipv6Fields>) {
            // Version, traffic class and flow label share the first 4 bytes: 4, 8 and 20 bits.
            put32(out, at, static_cast<std::uint32_t>(l.version) << 28 | static_cast<std::uint32_t>(l.traffic_class) << 20 |
                               (l.flow_label & 0xfffff));
            put16(out, at + 4, l.payload_length.value_or(static_cast<std::uint16_t>(rest - 40)));
            p[6] = l.next_header.value_or(next.value_or(proto::kNoNextHeader));
            p[7] = l.hop_limit;
            std::copy(l.src.begin(), l.src.end(), p + 8);
            std::copy(l.dst.begin(), l.dst.end(), p + 24);
          } else if constexpr (std::is_same_v<T, ExtensionHeader>) {
            p[0] = l.next_header.value_or(next.value_or(proto::kNoNextHeader));
            if (l.type == proto::kFragment) {
              put16(out, at + 2, static_cast<std::uint16_t>((l.fragment_offset << 3) | (l.more_fragments ? 1 : 0)));
              put16(out, at + 4, 0xbeef);  // identification
            } else {
              p[1] = l.length_field;
              // Options area: PadN, so that HBH/DestOpts stay well-formed to a real parser.
              bool has_options = l.type == proto::kHopByHop || l.type == proto::kDestinationOptions;
              if (has_options && l.size() > 2) {
                p[2] = 1;
                p[3] = static_cast<unsigned char>(l.size() - 4);
              }
            }
          } else if constexpr (std::is_same_v<T, TcpFields>) {
            put16(out, at, l.src_port);
            put16(out, at + 2, l.dst_port);
            p[12] = 5 << 4;  // data offset: 20 bytes
            p[13] = l.flags;
            put16(out, at + 14, 65535);  // window
          } else if constexpr (std::is_same_v<T, UdpFields>) {
            put16(out, at, l.src_port);
            put16(out, at + 2, l.dst_port);
            put16(out, at + 4, static_cast<std::uint16_t>(rest));
          } else if constexpr (std::is_same_v<T, IcmpFields>) {
            p[0] = l.type.value_or(l.v6.value_or(in_ipv6) ? kIcmpv6EchoRequest : kIcmpEchoRequest);
            p[1] = l.code;
            put16(out, at + 4, 0x4242);  // identifier
            put16(out, at + 6, 1);       // sequence
          } else {  // RawTransport, Payload
            std::copy(l.bytes.begin(), l.bytes.end(), p);
          }
        },
        layers_[i]);
  }
  if (total_size_) out.resize(*total_size_, 0xab);
  if (truncate_ && *truncate_ < out.size()) out.resize(*truncate_);
  return packet;
}

}  // namespace bpffw::packet
