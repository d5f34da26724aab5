#include "packet/packet_spec.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdio>
#include <optional>
#include <utility>
#include <vector>

#include "base/users.hpp"
#include "interpreter/packet_facts.hpp"

namespace bpffw::packet {
namespace {

constexpr std::uint16_t kDefaultSourcePort = 12345;
constexpr std::uint16_t kDefaultDestinationPort = 80;

tl::unexpected<Error> spec_error(std::string_view spec, const std::string& what) {
  return make_error(ErrorKind::Usage, "packet '" + std::string(spec) + "': " + what, 0,
                    "describe a packet with: " + std::string(packet_spec_words()));
}

std::optional<std::uint64_t> parse_number(std::string_view text) {
  int base = 10;
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    text.remove_prefix(2);
    base = 16;
  }
  std::uint64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value, base);
  if (text.empty() || error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<std::vector<unsigned char>> parse_hex(std::string_view text) {
  std::vector<unsigned char> bytes;
  if (text.size() % 2 != 0) return std::nullopt;
  for (std::size_t i = 0; i < text.size(); i += 2) {
    unsigned value = 0;
    auto [end, error] = std::from_chars(text.data() + i, text.data() + i + 2, value, 16);
    if (error != std::errc() || end != text.data() + i + 2) return std::nullopt;
    bytes.push_back(static_cast<unsigned char>(value));
  }
  return bytes;
}

std::vector<std::string_view> split_words(std::string_view spec) {
  std::vector<std::string_view> words;
  std::size_t at = 0;
  while (at < spec.size()) {
    std::size_t start = spec.find_first_not_of(" \t\r\n", at);
    if (start == std::string_view::npos) break;
    std::size_t end = spec.find_first_of(" \t\r\n", start);
    if (end == std::string_view::npos) end = spec.size();
    words.push_back(spec.substr(start, end - start));
    at = end;
  }
  return words;
}

enum class Family { Unset, Ipv4, Ipv6, Other };

// The words of sock=, in the order of SocketState.
constexpr std::pair<std::string_view, SocketState> kSocketWords[] = {
    {"none", SocketState::None},
    {"tcp-listen", SocketState::TcpListen},
    {"tcp-syn-sent", SocketState::TcpSynSent},
    {"tcp-established", SocketState::TcpEstablished},
    {"tcp-closed", SocketState::TcpClosed},
    {"udp", SocketState::UdpUnconnected},
    {"udp-connected", SocketState::UdpConnected},
    {"other", SocketState::Other},
};

// The TCP flag names of flags=, lowest bit first (docs/filter-language.md §4.3).
constexpr std::array<std::string_view, 8> kFlagNames = {"fin", "syn", "rst", "psh", "ack", "urg", "ece", "cwr"};

// `syn,ack`, `0x12`, or a mix such as `syn,0x10`: the OR of the items.
std::optional<std::uint8_t> parse_flags(std::string_view text) {
  unsigned flags = 0;
  while (true) {
    std::size_t comma = text.find(',');
    std::string_view item = text.substr(0, comma);
    bool named = false;
    for (std::size_t bit = 0; bit < kFlagNames.size(); ++bit) {
      if (item == kFlagNames[bit]) {
        flags |= 1u << bit;
        named = true;
      }
    }
    if (!named) {
      std::optional<std::uint64_t> number = parse_number(item);
      if (!number || *number > 0xff) return std::nullopt;
      flags |= static_cast<unsigned>(*number);
    }
    if (comma == std::string_view::npos) return static_cast<std::uint8_t>(flags);
    text.remove_prefix(comma + 1);
  }
}

// An address for a packet of `family` (4 or 6), in any form inet_pton takes.
template <std::size_t N>
bool parse_address(std::string_view text, std::array<std::uint8_t, N>& out) {
  std::string copy(text);  // inet_pton wants a terminated string
  return ::inet_pton(N == 4 ? AF_INET : AF_INET6, copy.c_str(), out.data()) == 1;
}

std::string format_address(const interpreter::IpAddress& address) {
  char text[INET6_ADDRSTRLEN];
  ::inet_ntop(address.family == 4 ? AF_INET : AF_INET6, address.bytes.data(), text, sizeof text);
  return text;
}
enum class Transport { None, Tcp, Udp, Icmp, Icmpv6, Raw };

// Everything the words said, gathered before the packet is built.
struct Description {
  Family family = Family::Unset;
  std::uint16_t ethertype = 0;
  Ipv4Fields ipv4;
  Ipv6Fields ipv6;
  std::vector<ExtensionHeader> extensions;
  Transport transport = Transport::None;
  std::uint8_t raw_protocol = 0;
  std::optional<std::uint16_t> src_port, dst_port;
  std::optional<std::uint8_t> icmp_type, icmp_code, tcp_flags;
  std::size_t payload = 0;
  std::optional<std::size_t> total_size, cut;
};

// The value of `name=N`, checked against max; nullopt (and an error message) when invalid.
std::optional<std::uint64_t> word_value(std::string_view value, std::uint64_t max, std::string& error,
                                        std::string_view word) {
  std::optional<std::uint64_t> number = parse_number(value);
  if (!number || *number > max) {
    error = "'" + std::string(word) + "' needs a number from 0 to " + std::to_string(max);
    return std::nullopt;
  }
  return number;
}

// Applies one word to the description; returns an error message, empty when the word is fine.
std::string apply_word(Description& d, std::string_view word) {
  std::size_t equals = word.find('=');
  std::string_view name = word.substr(0, equals);
  std::optional<std::string_view> value;
  if (equals != std::string_view::npos) value = word.substr(equals + 1);
  std::string error;
  auto number = [&](std::uint64_t max) -> std::optional<std::uint64_t> {
    if (!value) {
      error = "'" + std::string(word) + "' needs a value: " + std::string(name) + "=N";
      return std::nullopt;
    }
    return word_value(*value, max, error, word);
  };
  auto optional_number = [&](std::uint64_t fallback, std::uint64_t max) -> std::optional<std::uint64_t> {
    return value ? word_value(*value, max, error, word) : std::optional<std::uint64_t>(fallback);
  };
  bool network_done = d.family != Family::Unset || !d.extensions.empty() || d.transport != Transport::None;
  bool v6 = d.family == Family::Ipv6;

  if (name == "ipv4" || name == "ip4" || name == "ip" || name == "ipv6" || name == "ip6" || name == "arp" ||
      name == "ethertype") {
    if (network_done) return "'" + std::string(word) + "' must be the first word";
    if (name == "ethertype") {
      auto ethertype = number(0xffff);
      if (!ethertype) return error;
      d.ethertype = static_cast<std::uint16_t>(*ethertype);
      d.family = d.ethertype == kEthertypeIpv4   ? Family::Ipv4
                 : d.ethertype == kEthertypeIpv6 ? Family::Ipv6
                                                 : Family::Other;
    } else if (name == "arp") {
      d.family = Family::Other;
      d.ethertype = kEthertypeArp;
    } else {
      d.family = name.back() == '6' ? Family::Ipv6 : Family::Ipv4;
      d.ethertype = d.family == Family::Ipv6 ? kEthertypeIpv6 : kEthertypeIpv4;
    }
    return {};
  }
  if (d.family == Family::Unset) {  // no network word: IPv4
    d.family = Family::Ipv4;
    d.ethertype = kEthertypeIpv4;
  }
  v6 = d.family == Family::Ipv6;
  bool after_transport = d.transport != Transport::None;

  if (name == "ihl" || name == "options" || name == "mf" || (name == "frag" && !v6)) {
    if (d.family != Family::Ipv4) return "'" + std::string(word) + "' needs ipv4";
    if (name == "ihl") {
      auto ihl = number(15);
      if (!ihl) return error;
      d.ipv4.ihl = static_cast<std::uint8_t>(*ihl);
    } else if (name == "options") {
      auto size = number(40);
      if (!size) return error;
      d.ipv4.options.assign(*size, 0x01);  // NOPs
    } else if (name == "mf") {
      d.ipv4.more_fragments = true;
    } else {
      auto offset = number(0x1fff);
      if (!offset) return error;
      d.ipv4.fragment_offset = static_cast<std::uint16_t>(*offset);
    }
    return {};
  }
  // The IP header's hop limit, DSCP and ECN (the same words for both families), and the flow label.
  if (name == "ttl" || name == "dscp" || name == "ecn" || name == "flow") {
    if (d.family == Family::Other) return "'" + std::string(word) + "' needs ipv4 or ipv6";
    if (name == "flow" && !v6) return "'" + std::string(word) + "' needs ipv6: IPv4 has no flow label";
    auto field = number(name == "ttl" ? 255 : name == "dscp" ? 63 : name == "ecn" ? 3 : 0xfffff);
    if (!field) return error;
    const auto byte = static_cast<std::uint8_t>(*field);
    std::uint8_t& tos = v6 ? d.ipv6.traffic_class : d.ipv4.tos;
    if (name == "ttl") (v6 ? d.ipv6.hop_limit : d.ipv4.ttl) = byte;
    if (name == "dscp") tos = static_cast<std::uint8_t>((tos & 0x03) | byte << 2);
    if (name == "ecn") tos = static_cast<std::uint8_t>((tos & 0xfc) | byte);
    if (name == "flow") d.ipv6.flow_label = static_cast<std::uint32_t>(*field);
    return {};
  }
  if (name == "version") {
    auto version = number(15);
    if (!version) return error;
    if (d.family == Family::Ipv4) d.ipv4.version = static_cast<std::uint8_t>(*version);
    else if (v6) d.ipv6.version = static_cast<std::uint8_t>(*version);
    else return "'" + std::string(word) + "' needs ipv4 or ipv6";
    return {};
  }
  if (name == "hbh" || name == "routing" || name == "dstopts" || name == "frag" || name == "ah") {
    if (!v6) return "'" + std::string(name) + "' is an IPv6 extension header: start with ipv6";
    if (after_transport) return "'" + std::string(word) + "' must come before the transport protocol";
    ExtensionHeader header;
    header.type = name == "hbh"       ? proto::kHopByHop
                  : name == "routing" ? proto::kRouting
                  : name == "dstopts" ? proto::kDestinationOptions
                  : name == "frag"    ? proto::kFragment
                                      : proto::kAuthentication;
    auto field = name == "frag" ? optional_number(0, 0x1fff) : optional_number(name == "ah" ? 1 : 0, 255);
    if (!field) return error;
    if (name == "frag") header.fragment_offset = static_cast<std::uint16_t>(*field);
    else header.length_field = static_cast<std::uint8_t>(*field);
    d.extensions.push_back(header);
    return {};
  }
  if (name == "tcp" || name == "udp" || name == "icmp" || name == "icmpv6" || name == "esp" || name == "nonext" ||
      name == "proto") {
    if (d.family == Family::Other) return "'" + std::string(word) + "' needs ipv4 or ipv6";
    if (after_transport) return "only one transport protocol, '" + std::string(word) + "' is a second one";
    if (name == "proto") {
      auto protocol = number(255);
      if (!protocol) return error;
      d.transport = Transport::Raw;
      d.raw_protocol = static_cast<std::uint8_t>(*protocol);
    } else if (name == "esp" || name == "nonext") {
      d.transport = Transport::Raw;
      d.raw_protocol = name == "esp" ? proto::kEsp : proto::kNoNextHeader;
    } else {
      d.transport = name == "tcp"    ? Transport::Tcp
                    : name == "udp"  ? Transport::Udp
                    : name == "icmp" ? Transport::Icmp
                                     : Transport::Icmpv6;
    }
    return {};
  }
  if (name == "sport" || name == "dport") {
    auto port = number(65535);
    if (!port) return error;
    (name == "sport" ? d.src_port : d.dst_port) = static_cast<std::uint16_t>(*port);
    return {};
  }
  if (name == "src" || name == "dst") {
    if (d.family == Family::Other) return "'" + std::string(word) + "' needs ipv4 or ipv6";
    bool parsed = !value ? false
                  : v6   ? parse_address(*value, name == "src" ? d.ipv6.src : d.ipv6.dst)
                         : parse_address(*value, name == "src" ? d.ipv4.src : d.ipv4.dst);
    if (!parsed)
      return "'" + std::string(word) + "' needs an " + (v6 ? "IPv6" : "IPv4") + " address, as the packet is " +
             (v6 ? "ipv6" : "ipv4");
    return {};
  }
  if (name == "type" || name == "code") {
    auto field = number(255);
    if (!field) return error;
    (name == "type" ? d.icmp_type : d.icmp_code) = static_cast<std::uint8_t>(*field);
    return {};
  }
  if (name == "flags") {
    std::optional<std::uint8_t> flags = value ? parse_flags(*value) : std::nullopt;
    if (!flags)
      return "'" + std::string(word) + "' needs TCP flags: names fin,syn,rst,psh,ack,urg,ece,cwr or a number 0 to 255";
    d.tcp_flags = *flags;
    return {};
  }
  if (name == "payload" || name == "len" || name == "cut") {
    auto size = number(65535);
    if (!size) return error;
    if (name == "payload") d.payload = *size;
    else (name == "len" ? d.total_size : d.cut) = *size;
    return {};
  }
  return "unknown word '" + std::string(word) + "'";
}

Packet build(const Description& d) {
  PacketBuilder builder;
  if (d.family == Family::Ipv4) builder.ipv4(d.ipv4);
  if (d.family == Family::Ipv6) builder.ipv6(d.ipv6);
  builder.ethertype(d.ethertype);
  for (const ExtensionHeader& header : d.extensions) builder.extension(header);
  std::uint16_t src = d.src_port.value_or(kDefaultSourcePort);
  std::uint16_t dst = d.dst_port.value_or(kDefaultDestinationPort);
  switch (d.transport) {
    case Transport::None: break;
    case Transport::Tcp: builder.tcp(src, dst, d.tcp_flags.value_or(kDefaultTcpFlags)); break;
    case Transport::Udp: builder.udp(src, dst); break;
    case Transport::Icmp:
    case Transport::Icmpv6: {
      IcmpFields icmp;
      if (d.transport == Transport::Icmpv6) icmp.v6 = true;
      icmp.type = d.icmp_type;
      icmp.code = d.icmp_code.value_or(0);
      builder.icmp(icmp);
      break;
    }
    case Transport::Raw: builder.transport(d.raw_protocol); break;
  }
  if (d.payload > 0) builder.payload(d.payload);
  if (d.total_size) builder.total_size(*d.total_size);
  if (d.cut) builder.truncate(*d.cut);
  return builder.build();
}

// `hex:BYTES`, optionally after `ethertype=N`; without it the version nibble picks IPv4 or IPv6.
Result<Packet> parse_hex_spec(std::string_view spec, const std::vector<std::string_view>& words) {
  Packet packet;
  std::string_view hex_word = words.back();
  if (words.size() > 2 || (words.size() == 2 && words[0].substr(0, 10) != "ethertype=")) {
    return spec_error(spec, "hex: takes the whole packet from the IP header on (only ethertype=N may come before it)");
  }
  std::optional<std::vector<unsigned char>> bytes = parse_hex(hex_word.substr(4));
  if (!bytes) return spec_error(spec, "hex: needs an even number of hexadecimal digits");
  packet.bytes = std::move(*bytes);
  if (words.size() == 2) {
    std::optional<std::uint64_t> ethertype = parse_number(words[0].substr(10));
    if (!ethertype || *ethertype > 0xffff) return spec_error(spec, "'ethertype=' needs a number from 0 to 65535");
    packet.ethertype = static_cast<std::uint16_t>(*ethertype);
  } else if (!packet.bytes.empty() && (packet.bytes[0] >> 4) == 6) {
    packet.ethertype = kEthertypeIpv6;
  } else if (!packet.bytes.empty() && (packet.bytes[0] >> 4) == 4) {
    packet.ethertype = kEthertypeIpv4;
  } else {
    return spec_error(spec, "hex: bytes start with neither version 4 nor 6: say which with ethertype=N before hex:");
  }
  return packet;
}

Result<Packet> parse_words(std::string_view spec, const std::vector<std::string_view>& words) {
  for (std::size_t i = 0; i < words.size(); ++i) {
    if (words[i].substr(0, 4) == "hex:") {
      if (i + 1 != words.size()) return spec_error(spec, "hex: must be the last word");
      return parse_hex_spec(spec, words);
    }
  }
  Description description;
  for (std::string_view word : words) {
    std::string error = apply_word(description, word);
    if (!error.empty()) return spec_error(spec, error);
  }
  bool has_ports = description.transport == Transport::Tcp || description.transport == Transport::Udp;
  if ((description.src_port || description.dst_port) && !has_ports) {
    return spec_error(spec, "sport= and dport= need tcp or udp");
  }
  bool is_icmp = description.transport == Transport::Icmp || description.transport == Transport::Icmpv6;
  if ((description.icmp_type || description.icmp_code) && !is_icmp) {
    return spec_error(spec, "type= and code= need icmp or icmpv6");
  }
  if (description.tcp_flags && description.transport != Transport::Tcp) return spec_error(spec, "flags= needs tcp");
  return build(description);
}

// "syn,ack"; "none" for 0.
std::string flag_names(std::uint64_t flags) {
  std::string text;
  for (std::size_t bit = 0; bit < kFlagNames.size(); ++bit) {
    if ((flags >> bit & 1) == 0) continue;
    if (!text.empty()) text += ',';
    text += kFlagNames[bit];
  }
  return text.empty() ? "none" : text;
}

// Whether the packet has the addresses the words give when src= and dst= are not said.
bool default_addresses(const interpreter::PacketFacts& facts) {
  auto equal = [](const interpreter::IpAddress& address, const auto& bytes) {
    return std::equal(bytes.begin(), bytes.end(), address.bytes.begin());
  };
  if (facts.ip) return equal(facts.src_addr, kIpv4Source) && equal(facts.dst_addr, kIpv4Destination);
  return equal(facts.src_addr, kIpv6Source) && equal(facts.dst_addr, kIpv6Destination);
}

}  // namespace

Result<Packet> parse_packet_spec(std::string_view spec) {
  std::vector<std::string_view> words = split_words(spec);
  if (words.empty()) return spec_error(spec, "empty packet description");
  // sock= and uid= describe the socket, not the bytes: they may come anywhere, also before hex:.
  std::optional<SocketState> socket;
  std::optional<std::uint32_t> uid;
  for (auto word = words.begin(); word != words.end();) {
    if (word->substr(0, 4) == "uid=") {
      if (uid) return spec_error(spec, "only one uid= word");
      std::string name(word->substr(4));
      std::optional<std::uint64_t> number = parse_number(name);
      uid = number && *number <= 0xffffffff ? std::optional<std::uint32_t>(static_cast<std::uint32_t>(*number))
                                            : base::user_id(name);
      if (!uid)
        return spec_error(spec, "'" + std::string(*word) + "' needs a uid (0 to 4294967295) or a user of this host");
      word = words.erase(word);
      continue;
    }
    if (word->substr(0, 5) != "sock=") {
      ++word;
      continue;
    }
    if (socket) return spec_error(spec, "only one sock= word");
    for (const auto& [name, state] : kSocketWords)
      if (word->substr(5) == name) socket = state;
    if (!socket) {
      return spec_error(spec, "'" + std::string(*word) +
                                  "' needs one of none, tcp-listen, tcp-syn-sent, tcp-established, tcp-closed, udp, "
                                  "udp-connected, other");
    }
    word = words.erase(word);
  }
  if (words.empty()) return spec_error(spec, std::string(socket ? "sock=" : "uid=") + " needs a packet to go with it");
  Result<Packet> packet = parse_words(spec, words);
  if (packet && socket) packet->socket = *socket;
  if (packet && uid) packet->uid = *uid;
  return packet;
}

// Addresses, the IP header's TTL, DSCP, ECN and flow label, TCP flags and ICMP type and code are
// shown where they differ from what the words give by default (10.0.0.1 -> 10.0.0.2 or fd00::1 ->
// fd00::2, TTL 64, 0, SYN, echo request code 0), so that the plain descriptions stay short.
std::string describe_packet(const Packet& packet) {
  interpreter::PacketFacts facts = interpreter::read_packet(packet.skb_protocol(), packet.bytes);
  std::string text;
  if (facts.ip || facts.ipv6) {
    text = facts.ip ? "ipv4" : "ipv6";
    if (facts.malformed) {
      text += " malformed";
    } else {
      if (!default_addresses(facts))
        text += " " + format_address(facts.src_addr) + " -> " + format_address(facts.dst_addr);
      if (facts.ttl != kDefaultTtl) text += " ttl " + std::to_string(facts.ttl);
      if (facts.dscp != 0) text += " dscp " + std::to_string(facts.dscp);
      if (facts.ecn != 0) text += " ecn " + std::to_string(facts.ecn);
      if (facts.flow_label > 0) text += " flow " + std::to_string(facts.flow_label);
      if (facts.extension_headers > 0) text += " +" + std::to_string(facts.extension_headers) + " ext";
      if (facts.tcp || facts.udp) text += facts.tcp ? " tcp" : " udp";
      else if (facts.icmp) text += facts.ip ? " icmp" : " icmpv6";
      else text += " proto " + std::to_string(facts.transport_protocol);
      if (facts.non_first_fragment) {
        text += " non-first fragment";
      } else if (facts.tcp || facts.udp) {
        text += " " + std::to_string(facts.src_port) + " -> " + std::to_string(facts.dst_port);
        if (facts.tcp && facts.tcp_flags != kDefaultTcpFlags) text += " flags " + flag_names(facts.tcp_flags);
      } else if (facts.icmp) {
        std::int64_t echo_request = facts.ip ? kIcmpEchoRequest : kIcmpv6EchoRequest;
        if (facts.icmp_type != echo_request || facts.icmp_code != 0)
          text += " type " + std::to_string(facts.icmp_type) + " code " + std::to_string(facts.icmp_code);
      }
    }
  } else {
    char ethertype[8];
    std::snprintf(ethertype, sizeof ethertype, "0x%04x", static_cast<unsigned>(packet.ethertype));
    text = std::string("ethertype ") + ethertype;
  }
  text += ", " + std::to_string(packet.bytes.size()) + " bytes";
  if (packet.socket != SocketState::None) text += ", socket " + std::string(socket_word(packet.socket));
  if (packet.uid != 0) text += ", socket uid " + std::to_string(packet.uid);
  return text;
}

std::string_view socket_word(SocketState socket) {
  for (const auto& [name, state] : kSocketWords)
    if (state == socket) return name;
  return "none";
}

std::string_view packet_spec_words() {
  return "ipv4|ipv6|arp|ethertype=N, ipv4: ihl=N options=N frag=N mf version=N, "
         "ipv6: hbh[=N] routing[=N] dstopts[=N] frag[=N] ah[=N] version=N flow=N, ttl=N dscp=N ecn=N, src=ADDR "
         "dst=ADDR, "
         "tcp|udp|icmp|icmpv6|esp|nonext|proto=N, sport=N dport=N, flags=syn,ack|N (tcp), type=N code=N (icmp), "
         "payload=N len=N cut=N, sock=none|tcp-listen|tcp-syn-sent|tcp-established|tcp-closed|udp|udp-connected|other, "
         "uid=N|USER; "
         "or hex:BYTES";
}

}  // namespace bpffw::packet
