// A small packet builder for tests, tools and `bpffwc test`: IPv4/IPv6, IPv6 extension headers,
// TCP/UDP/ICMP, fragments, header-field lies and truncation, and the Ethernet frame that
// BPF_PROG_TEST_RUN wants. Internal to bpffw (not a public header).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <variant>
#include <vector>

#include <bpffw/interpreter.hpp>

namespace bpffw::packet {

inline constexpr std::uint16_t kEthertypeIpv4 = 0x0800;
inline constexpr std::uint16_t kEthertypeIpv6 = 0x86DD;
inline constexpr std::uint16_t kEthertypeArp = 0x0806;
inline constexpr std::size_t kEthernetHeaderSize = 14;

// IP protocol / IPv6 next-header numbers.
namespace proto {
inline constexpr std::uint8_t kHopByHop = 0;
inline constexpr std::uint8_t kIcmp = 1;
inline constexpr std::uint8_t kTcp = 6;
inline constexpr std::uint8_t kUdp = 17;
inline constexpr std::uint8_t kRouting = 43;
inline constexpr std::uint8_t kFragment = 44;
inline constexpr std::uint8_t kEsp = 50;
inline constexpr std::uint8_t kAuthentication = 51;
inline constexpr std::uint8_t kIcmpv6 = 58;
inline constexpr std::uint8_t kNoNextHeader = 59;
inline constexpr std::uint8_t kDestinationOptions = 60;
inline constexpr std::uint8_t kReserved = 255;
}  // namespace proto

// A packet as a cgroup_skb program sees it: skb->protocol, and the bytes from the IP header on.
struct Packet {
  std::uint16_t ethertype = 0;
  std::vector<unsigned char> bytes;
  // The socket the packet belongs to (docs/filter-language.md §4.5), for the interpreter only:
  // BPF_PROG_TEST_RUN gives the program no socket, so a kernel test run always sees None.
  SocketState socket = SocketState::None;
  // Its owner (docs/filter-language.md §4.8), for the interpreter: the test run's socket is root's.
  std::uint32_t uid = 0;
  PacketSocket packet_socket() const { return {socket, uid}; }

  // skb->protocol as the kernel's eth_type_trans() derives it from the ethertype: values below
  // 0x0600 are 802.3 lengths, which become ETH_P_802_3 (0x0001) or ETH_P_802_2 (0x0004).
  std::uint16_t skb_protocol() const;
  // The input of BPF_PROG_TEST_RUN: a 14-byte Ethernet header carrying the ethertype, then bytes.
  std::vector<unsigned char> ethernet_frame() const;
  // BPF_PROG_TEST_RUN refuses (EINVAL) an IPv4/IPv6 packet whose fixed header (20/40 bytes) is cut
  // short; such packets can only be judged by the interpreter.
  bool fits_test_run() const;
};

// The addresses a packet gets unless told otherwise: 10.0.0.1 -> 10.0.0.2, fd00::1 -> fd00::2.
inline constexpr std::array<std::uint8_t, 4> kIpv4Source = {10, 0, 0, 1};
inline constexpr std::array<std::uint8_t, 4> kIpv4Destination = {10, 0, 0, 2};
inline constexpr std::array<std::uint8_t, 16> kIpv6Source = {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
inline constexpr std::array<std::uint8_t, 16> kIpv6Destination = {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};

// TCP flag bits (byte 13 of the header), and the flags a TCP header gets unless told otherwise.
namespace tcp_flag {
inline constexpr std::uint8_t kFin = 0x01, kSyn = 0x02, kRst = 0x04, kPsh = 0x08, kAck = 0x10, kUrg = 0x20, kEce = 0x40,
                              kCwr = 0x80;
}  // namespace tcp_flag
inline constexpr std::uint8_t kDefaultTcpFlags = tcp_flag::kSyn;
// Echo request: the ICMP type a header gets unless told otherwise.
inline constexpr std::uint8_t kIcmpEchoRequest = 8;
inline constexpr std::uint8_t kIcmpv6EchoRequest = 128;

// The hop limit (IPv4 TTL) a packet gets unless told otherwise.
inline constexpr std::uint8_t kDefaultTtl = 64;

struct Ipv4Fields {
  std::uint8_t version = 4;
  std::uint8_t tos = 0;  // DSCP in the high 6 bits, ECN in the low 2 (RFC 2474, RFC 3168)
  std::uint8_t ttl = kDefaultTtl;
  std::optional<std::uint8_t> ihl;     // the header-length nibble; default: the real size / 4
  std::vector<unsigned char> options;  // after the fixed 20 bytes, padded with NOPs to 4 bytes
  std::uint16_t fragment_offset = 0;   // in 8-byte units (13 bits)
  bool more_fragments = false;
  std::optional<std::uint8_t> protocol;       // default: the next layer's protocol
  std::optional<std::uint16_t> total_length;  // default: the real length before truncation
  std::array<std::uint8_t, 4> src = kIpv4Source;
  std::array<std::uint8_t, 4> dst = kIpv4Destination;
};

struct Ipv6Fields {
  std::uint8_t version = 6;
  std::uint8_t traffic_class = 0;  // DSCP and ECN, as IPv4's TOS
  std::uint32_t flow_label = 0;    // 20 bits
  std::uint8_t hop_limit = kDefaultTtl;
  std::optional<std::uint8_t> next_header;      // default: the next layer's protocol
  std::optional<std::uint16_t> payload_length;  // default: the real length before truncation
  std::array<std::uint8_t, 16> src = kIpv6Source;
  std::array<std::uint8_t, 16> dst = kIpv6Destination;
};

// One IPv6 extension header. Its size follows its type: Fragment (44) 8 bytes, Authentication (51)
// (length_field + 2) * 4, any other type (length_field + 1) * 8.
struct ExtensionHeader {
  std::uint8_t type = proto::kHopByHop;
  std::uint8_t length_field = 0;            // hdr[1] (unused by Fragment, written anyway as 0)
  std::uint16_t fragment_offset = 0;        // Fragment only, in 8-byte units
  bool more_fragments = false;              // Fragment only
  std::optional<std::uint8_t> next_header;  // default: the next layer's protocol

  std::size_t size() const;
};

struct TcpFields {
  std::uint16_t src_port = 0;
  std::uint16_t dst_port = 0;
  std::uint8_t flags = kDefaultTcpFlags;
};
struct UdpFields {
  std::uint16_t src_port = 0;
  std::uint16_t dst_port = 0;
};
// An 8-byte ICMP (protocol 1) or ICMPv6 (58) header; v6 unset means "the one of the network
// layer", type unset an echo request of that family.
struct IcmpFields {
  std::optional<bool> v6;
  std::optional<std::uint8_t> type;
  std::uint8_t code = 0;
};
// A transport header the builder does not know (ESP, No Next Header, anything): its protocol
// number for the previous header's next-header field, and its bytes.
struct RawTransport {
  std::uint8_t protocol = proto::kNoNextHeader;
  std::vector<unsigned char> bytes;
};
// Bytes that belong to no header (payload); invisible to next-header chaining.
struct Payload {
  std::vector<unsigned char> bytes;
};

using Layer =
    std::variant<Ipv4Fields, Ipv6Fields, ExtensionHeader, TcpFields, UdpFields, IcmpFields, RawTransport, Payload>;

// The bytes a layer takes in the packet.
std::size_t layer_size(const Layer& layer);

class PacketBuilder {
 public:
  PacketBuilder& ipv4(Ipv4Fields fields = {});
  PacketBuilder& ipv6(Ipv6Fields fields = {});
  PacketBuilder& extension(ExtensionHeader header);
  PacketBuilder& hop_by_hop(std::uint8_t length_field = 0);
  PacketBuilder& routing(std::uint8_t length_field = 0);
  PacketBuilder& destination_options(std::uint8_t length_field = 0);
  PacketBuilder& fragment(std::uint16_t offset = 0, bool more_fragments = false);
  PacketBuilder& authentication(std::uint8_t length_field = 1);
  PacketBuilder& tcp(std::uint16_t src_port, std::uint16_t dst_port, std::uint8_t flags = kDefaultTcpFlags);
  PacketBuilder& udp(std::uint16_t src_port, std::uint16_t dst_port);
  PacketBuilder& icmp();    // ICMP in IPv4, ICMPv6 in IPv6 (decided by the network layer)
  PacketBuilder& icmpv6();  // always next-header 58
  PacketBuilder& icmp(IcmpFields fields);
  PacketBuilder& transport(std::uint8_t protocol, std::vector<unsigned char> bytes = {});
  PacketBuilder& payload(std::size_t size, unsigned char fill = 0xab);
  PacketBuilder& bytes(std::span<const unsigned char> bytes);
  // skb->protocol; default: 0x0800 / 0x86DD from the first layer, else ARP.
  PacketBuilder& ethertype(std::uint16_t ethertype);
  // The socket the packet belongs to, for the interpreter (Packet::socket).
  PacketBuilder& socket(SocketState socket);
  // The socket's owner, for the interpreter (Packet::uid).
  PacketBuilder& uid(std::uint32_t uid);
  // Cut the packet (from the IP header on) to at most `size` bytes, after all lengths are computed.
  PacketBuilder& truncate(std::size_t size);
  // Pad with payload bytes, or cut, so that the packet is exactly `size` bytes.
  PacketBuilder& total_size(std::size_t size);

  const std::vector<Layer>& layers() const { return layers_; }
  Packet build() const;

 private:
  std::vector<Layer> layers_;
  std::optional<std::uint16_t> ethertype_;
  SocketState socket_ = SocketState::None;
  std::uint32_t uid_ = 0;
  std::optional<std::size_t> truncate_;
  std::optional<std::size_t> total_size_;
};

}  // namespace bpffw::packet
