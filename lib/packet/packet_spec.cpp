#include "packet/packet_spec.hpp"

#include <charconv>
#include <cstdio>
#include <optional>
#include <vector>

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
      d.family = d.ethertype == kEthertypeIpv4 ? Family::Ipv4 : d.ethertype == kEthertypeIpv6 ? Family::Ipv6 : Family::Other;
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
      d.transport = name == "tcp" ? Transport::Tcp : name == "udp" ? Transport::Udp
                  : name == "icmp" ? Transport::Icmp : Transport::Icmpv6;
    }
    return {};
  }
  if (name == "sport" || name == "dport") {
    auto port = number(65535);
    if (!port) return error;
    (name == "sport" ? d.src_port : d.dst_port) = static_cast<std::uint16_t>(*port);
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
    case Transport::Tcp: builder.tcp(src, dst); break;
    case Transport::Udp: builder.udp(src, dst); break;
    case Transport::Icmp: builder.icmp(); break;
    case Transport::Icmpv6: builder.icmpv6(); break;
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

}  // namespace

Result<Packet> parse_packet_spec(std::string_view spec) {
  std::vector<std::string_view> words = split_words(spec);
  if (words.empty()) return spec_error(spec, "empty packet description");
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
  return build(description);
}

std::string describe_packet(const Packet& packet) {
  interpreter::PacketFacts facts = interpreter::read_packet(packet.skb_protocol(), packet.bytes);
  std::string text;
  if (facts.ip || facts.ipv6) {
    text = facts.ip ? "ipv4" : "ipv6";
    if (facts.malformed) {
      text += " malformed";
    } else {
      if (facts.extension_headers > 0) text += " +" + std::to_string(facts.extension_headers) + " ext";
      if (facts.tcp || facts.udp) text += facts.tcp ? " tcp" : " udp";
      else if (facts.icmp) text += facts.ip ? " icmp" : " icmpv6";
      else text += " proto " + std::to_string(facts.transport_protocol);
      if (facts.non_first_fragment) text += " non-first fragment";
      else if (facts.tcp || facts.udp) text += " " + std::to_string(facts.src_port) + " -> " + std::to_string(facts.dst_port);
    }
  } else {
    char ethertype[8];
    std::snprintf(ethertype, sizeof ethertype, "0x%04x", static_cast<unsigned>(packet.ethertype));
    text = std::string("ethertype ") + ethertype;
  }
  return text + ", " + std::to_string(packet.bytes.size()) + " bytes";
}

std::string_view packet_spec_words() {
  return "ipv4|ipv6|arp|ethertype=N, ipv4: ihl=N options=N frag=N mf version=N, "
         "ipv6: hbh[=N] routing[=N] dstopts[=N] frag[=N] ah[=N] version=N, "
         "tcp|udp|icmp|icmpv6|esp|nonext|proto=N, sport=N dport=N payload=N len=N cut=N; or hex:BYTES";
}

}  // namespace bpffw::packet
