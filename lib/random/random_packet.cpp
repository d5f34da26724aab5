#include "random/random_packet.hpp"

#include <array>

#include "random/addresses.hpp"

namespace bpffw::random {

constexpr std::array<std::uint16_t, 12> kPorts = {0, 1, 22, 53, 80, 123, 443, 1023, 1024, 8080, 65534, 65535};

std::uint16_t random_port(Rng& rng) {
  return rng.chance(3, 4) ? kPorts[rng.below(kPorts.size())] : static_cast<std::uint16_t>(rng.below(65536));
}

namespace {

using packet::PacketBuilder;
namespace proto = packet::proto;

constexpr std::array<std::uint8_t, 5> kExtensionTypes = {proto::kHopByHop, proto::kRouting, proto::kFragment,
                                                         proto::kAuthentication, proto::kDestinationOptions};

std::vector<unsigned char> random_bytes(Rng& rng, std::size_t size) {
  std::vector<unsigned char> bytes(size);
  for (unsigned char& byte : bytes) byte = static_cast<unsigned char>(rng.below(256));
  return bytes;
}

std::uint16_t random_fragment_offset(Rng& rng) {
  if (rng.chance(2, 3)) return 0;
  return rng.chance(1, 2) ? static_cast<std::uint16_t>(rng.between(1, 3))
                          : static_cast<std::uint16_t>(rng.below(0x2000));
}

// A TCP flags byte: the usual combinations, or any.
std::uint8_t random_tcp_flags(Rng& rng) {
  constexpr std::array<std::uint8_t, 8> kCommon = {0x02, 0x12, 0x10, 0x04, 0x11, 0x18, 0x14, 0x00};
  return rng.chance(1, 2) ? kCommon[rng.below(kCommon.size())] : static_cast<std::uint8_t>(rng.below(256));
}

// An ICMP or ICMPv6 type: every value 0..255, the named ones (docs/filter-language.md §4.4) often.
std::uint8_t random_icmp_type(Rng& rng) {
  constexpr std::array<std::uint8_t, 14> kNamed = {0, 3, 5, 8, 11, 1, 2, 3, 128, 129, 133, 134, 135, 136};
  return rng.chance(1, 2) ? kNamed[rng.below(kNamed.size())] : static_cast<std::uint8_t>(rng.below(256));
}

// A hop limit (IPv4 TTL): the usual starting values and the edges often, else any.
std::uint8_t random_ttl(Rng& rng) {
  constexpr std::array<std::uint8_t, 7> kCommon = {64, 128, 255, 0, 1, 2, 63};
  return rng.chance(1, 2) ? kCommon[rng.below(kCommon.size())] : static_cast<std::uint8_t>(rng.below(256));
}

// IPv4's TOS or IPv6's traffic class (DSCP and ECN): 0 often, else any.
std::uint8_t random_tos(Rng& rng) { return rng.chance(1, 3) ? 0 : static_cast<std::uint8_t>(rng.below(256)); }

// The family's ICMP (`v6` unset: the network layer's), or the other family's number: a full
// 8-byte header, or 0 to 8 bytes of one, around the 4 that §5.4 asks for. Returns false when
// nothing may follow (a short header must end the packet to be short).
bool add_icmp(Rng& rng, PacketBuilder& builder, std::optional<bool> v6) {
  std::uint8_t type = random_icmp_type(rng);
  std::uint8_t code = rng.chance(1, 2) ? 0 : static_cast<std::uint8_t>(rng.below(256));
  if (rng.chance(2, 3)) {
    builder.icmp(packet::IcmpFields{v6, type, code});
    return true;
  }
  bool in_ipv6 = std::holds_alternative<packet::Ipv6Fields>(builder.layers().front());
  std::vector<unsigned char> header = random_bytes(rng, rng.below(9));
  if (!header.empty()) header[0] = type;
  if (header.size() > 1) header[1] = code;
  builder.transport(v6.value_or(in_ipv6) ? proto::kIcmpv6 : proto::kIcmp, header);
  return false;
}

// The transport layer: TCP, UDP, ICMP of either family, or a protocol number without a header.
void add_transport(Rng& rng, PacketBuilder& builder) {
  bool may_follow = true;
  switch (rng.below(9)) {
    case 0:
    case 1: builder.udp(random_port(rng), random_port(rng)); break;
    case 2:
    case 3: builder.tcp(random_port(rng), random_port(rng), random_tcp_flags(rng)); break;
    case 4:
    case 8: may_follow = add_icmp(rng, builder, std::nullopt); break;
    case 5: may_follow = add_icmp(rng, builder, rng.chance(1, 2)); break;  // maybe the other family's
    case 6: {
      constexpr std::array<std::uint8_t, 4> kOthers = {proto::kEsp, proto::kNoNextHeader, 132 /* SCTP */, 4};
      builder.transport(kOthers[rng.below(kOthers.size())], random_bytes(rng, rng.below(24)));
      break;
    }
    default: builder.transport(static_cast<std::uint8_t>(rng.below(256)), random_bytes(rng, rng.below(24))); break;
  }
  if (may_follow && rng.chance(1, 2)) builder.payload(rng.chance(9, 10) ? rng.below(64) : rng.between(64, 1400));
}

// §4.2: addresses from the pool shared with the random filters, sometimes the same twice.
template <class Fields>
void set_addresses(Rng& rng, Fields& fields, bool v6) {
  auto copy = [&](auto& out) {
    RandomAddress address = random_address(rng, v6);
    std::copy(address.bytes.begin(), address.bytes.begin() + out.size(), out.begin());
  };
  copy(fields.src);
  if (rng.chance(1, 8)) fields.dst = fields.src;
  else copy(fields.dst);
}

PacketBuilder random_ipv4(Rng& rng) {
  PacketBuilder builder;
  packet::Ipv4Fields fields;
  if (rng.chance(1, 3)) fields.options = random_bytes(rng, rng.below(41));
  fields.fragment_offset = random_fragment_offset(rng);
  fields.more_fragments = rng.chance(1, 3);
  if (rng.chance(1, 6)) fields.ihl = static_cast<std::uint8_t>(rng.below(16));  // a lie, maybe
  if (rng.chance(1, 25)) fields.version = static_cast<std::uint8_t>(rng.below(16));
  if (rng.chance(1, 10)) fields.total_length = static_cast<std::uint16_t>(rng.below(65536));
  fields.ttl = random_ttl(rng);
  fields.tos = random_tos(rng);
  set_addresses(rng, fields, false);
  builder.ipv4(fields);
  add_transport(rng, builder);
  return builder;
}

PacketBuilder random_ipv6(Rng& rng) {
  PacketBuilder builder;
  packet::Ipv6Fields fields;
  if (rng.chance(1, 25)) fields.version = static_cast<std::uint8_t>(rng.below(16));
  fields.hop_limit = random_ttl(rng);
  fields.traffic_class = random_tos(rng);
  if (rng.chance(1, 2))
    fields.flow_label = static_cast<std::uint32_t>(rng.chance(1, 4) ? 0xfffff : rng.below(0x100000));
  set_addresses(rng, fields, true);
  builder.ipv6(fields);
  // Chains around the limit of 8 are the interesting ones.
  std::size_t chain = rng.chance(1, 3) ? rng.below(3) : rng.between(6, 10);
  if (rng.chance(1, 4)) chain = rng.below(11);
  for (std::size_t i = 0; i < chain; ++i) {
    packet::ExtensionHeader header;
    header.type = kExtensionTypes[rng.below(kExtensionTypes.size())];
    header.length_field = static_cast<std::uint8_t>(rng.chance(7, 8) ? rng.below(4) : rng.below(256));
    if (header.type == proto::kFragment) {
      header.fragment_offset = random_fragment_offset(rng);
      header.more_fragments = rng.chance(1, 2);
    }
    builder.extension(header);
  }
  add_transport(rng, builder);
  return builder;
}

// Cut at a header boundary (or one byte around it), inside a transport header where a field the
// language reads ends (TCP's flags byte 13, ICMP's 4 bytes), or anywhere.
void maybe_truncate(Rng& rng, PacketBuilder& builder, std::size_t built_size) {
  if (!rng.chance(1, 4) || built_size == 0) return;
  std::vector<std::size_t> boundaries;
  std::size_t at = 0;
  for (const packet::Layer& layer : builder.layers()) {
    if (std::holds_alternative<packet::TcpFields>(layer)) boundaries.push_back(at + 14);
    if (std::holds_alternative<packet::IcmpFields>(layer)) boundaries.push_back(at + 4);
    at += packet::layer_size(layer);
    boundaries.push_back(at);
  }
  std::size_t cut = rng.chance(3, 4) ? boundaries[rng.below(boundaries.size())] : rng.below(built_size + 1);
  if (rng.chance(1, 2)) cut = cut + rng.between(0, 2) - 1;  // one byte before, at or after
  builder.truncate(cut);
}

}  // namespace

packet::Packet random_packet(Rng& rng, const RandomPacketOptions& options) {
  PacketBuilder builder;
  switch (rng.below(10)) {
    case 0: {  // not IP: every variable but len is 0
      constexpr std::array<std::uint16_t, 5> kEthertypes = {packet::kEthertypeArp, 0x88cc, 0x8100, 0x86dc, 0x0801};
      std::uint16_t ethertype = rng.chance(3, 4) ? kEthertypes[rng.below(kEthertypes.size())]
                                                 : static_cast<std::uint16_t>(rng.between(0x0600, 0xffff));
      // A random draw of 0x0800 or 0x86DD would make these bytes a (maybe cut) IP packet, which
      // BPF_PROG_TEST_RUN may refuse: bpffw-difftest met one after about 695,000 packets.
      if (ethertype == packet::kEthertypeIpv4 || ethertype == packet::kEthertypeIpv6) ethertype = packet::kEthertypeArp;
      builder.ethertype(ethertype).bytes(random_bytes(rng, rng.below(100)));
      break;
    }
    case 1: {  // random bytes behind an IP ethertype, sometimes with the right version nibble
      bool v6 = rng.chance(1, 2);
      std::vector<unsigned char> bytes = random_bytes(rng, rng.between(v6 ? 40 : 20, 120));
      if (rng.chance(2, 3)) bytes[0] = static_cast<unsigned char>((v6 ? 0x60 : 0x40) | (bytes[0] & 0x0f));
      builder.ethertype(v6 ? packet::kEthertypeIpv6 : packet::kEthertypeIpv4).bytes(bytes);
      break;
    }
    case 2:
    case 3:
    case 4:
    case 5: builder = random_ipv4(rng); break;
    default: builder = random_ipv6(rng); break;
  }
  packet::Packet whole = builder.build();
  maybe_truncate(rng, builder, whole.bytes.size());
  packet::Packet packet = builder.build();
  if (options.kernel_only && !packet.fits_test_run()) packet = whole;  // cut into the fixed header
  // Long extension headers (length 255 is 2 KiB) can make a packet too big for one test run.
  if (packet.bytes.size() > options.max_size) packet.bytes.resize(options.max_size);
  return packet;
}

}  // namespace bpffw::random
