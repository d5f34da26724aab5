#include "capture.hpp"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <pcap/pcap.h>
#include <pcap/sll.h>

#include <algorithm>
#include <cstring>
#include <memory>

#include <bpffw/drop_log.hpp>

namespace bpffwc {
namespace {

constexpr std::uint16_t kEthertypeIpv4 = 0x0800, kEthertypeIpv6 = 0x86DD, kEthertypeVlan = 0x8100,
                        kEthertypeQinQ = 0x88A8;
// The packet types of Linux cooked captures (<linux/if_packet.h>): to this host, and sent by it.
constexpr std::uint16_t kPacketHost = 0, kPacketOutgoing = 4;

std::uint16_t big_endian_16(const unsigned char* bytes) { return static_cast<std::uint16_t>(bytes[0] << 8 | bytes[1]); }

struct PcapClose {
  void operator()(pcap_t* handle) const { pcap_close(handle); }
};

// Where the IP header starts in a frame of `link_type`, its ethertype, and what the link layer says
// of its direction; std::nullopt for a frame that carries no IPv4 or IPv6 packet.
struct IpStart {
  std::size_t offset;
  std::uint16_t ethertype;
  std::optional<bpffw::Direction> said;
};
std::optional<IpStart> ip_start(int link_type, const unsigned char* frame, std::size_t captured) {
  std::size_t offset = 0;
  std::uint16_t ethertype = 0;
  std::optional<bpffw::Direction> said;
  auto packet_type = [&](std::uint16_t type) {
    if (type == kPacketHost) said = bpffw::Direction::Ingress;
    if (type == kPacketOutgoing) said = bpffw::Direction::Egress;
  };
  switch (link_type) {
    case DLT_EN10MB:
      if (captured < 14) return std::nullopt;
      offset = 14;
      ethertype = big_endian_16(frame + 12);
      // 802.1Q and 802.1ad tags, one or two.
      while ((ethertype == kEthertypeVlan || ethertype == kEthertypeQinQ) && captured >= offset + 4) {
        ethertype = big_endian_16(frame + offset + 2);
        offset += 4;
      }
      break;
    case DLT_RAW:
    case DLT_IPV4:
    case DLT_IPV6:
      if (captured < 1) return std::nullopt;
      ethertype = (frame[0] >> 4) == 6 ? kEthertypeIpv6 : kEthertypeIpv4;
      break;
    case DLT_LINUX_SLL:
      if (captured < SLL_HDR_LEN) return std::nullopt;
      offset = SLL_HDR_LEN;
      packet_type(big_endian_16(frame));
      ethertype = big_endian_16(frame + 14);
      break;
    case DLT_LINUX_SLL2:
      if (captured < SLL2_HDR_LEN) return std::nullopt;
      offset = SLL2_HDR_LEN;
      ethertype = big_endian_16(frame);
      packet_type(frame[10]);
      break;
    default: return std::nullopt;
  }
  if (ethertype != kEthertypeIpv4 && ethertype != kEthertypeIpv6) return std::nullopt;
  return IpStart{offset, ethertype, said};
}

bool is_read_link_type(int link_type) {
  return link_type == DLT_EN10MB || link_type == DLT_RAW || link_type == DLT_IPV4 || link_type == DLT_IPV6 ||
         link_type == DLT_LINUX_SLL || link_type == DLT_LINUX_SLL2;
}

}  // namespace

bool LocalPrefix::holds(int address_family, const std::uint8_t* address) const {
  if (address_family != family) return false;
  unsigned bits = length;
  for (std::size_t i = 0; bits > 0; ++i, bits = bits >= 8 ? bits - 8 : 0) {
    const std::uint8_t mask = bits >= 8 ? 0xff : static_cast<std::uint8_t>(0xff << (8 - bits));
    if ((address[i] & mask) != (bytes[i] & mask)) return false;
  }
  return true;
}

bpffw::Result<LocalPrefix> parse_local_prefix(const std::string& text) {
  LocalPrefix prefix;
  const std::size_t slash = text.find('/');
  const std::string address = text.substr(0, slash);
  if (::inet_pton(AF_INET, address.c_str(), prefix.bytes.data()) == 1) {
    prefix.family = 4;
    prefix.length = 32;
  } else if (::inet_pton(AF_INET6, address.c_str(), prefix.bytes.data()) == 1) {
    prefix.family = 6;
    prefix.length = 128;
  } else {
    return bpffw::make_error(bpffw::ErrorKind::Usage, "--local '" + text + "' is not an address or prefix", 0,
                             "give one as 192.0.2.0/24 or 2001:db8::/32");
  }
  if (slash != std::string::npos) {
    const std::string bits = text.substr(slash + 1);
    const unsigned most = prefix.length;
    if (bits.empty() || bits.size() > 3 || !std::all_of(bits.begin(), bits.end(), ::isdigit) ||
        static_cast<unsigned>(std::stoi(bits)) > most)
      return bpffw::make_error(bpffw::ErrorKind::Usage,
                               "--local '" + text + "': the prefix length must be 0 to " + std::to_string(most));
    prefix.length = static_cast<unsigned>(std::stoi(bits));
  }
  return prefix;
}

std::vector<LocalPrefix> host_addresses() {
  std::vector<LocalPrefix> local;
  ifaddrs* addresses = nullptr;
  if (::getifaddrs(&addresses) != 0) return local;
  for (ifaddrs* at = addresses; at != nullptr; at = at->ifa_next) {
    if (at->ifa_addr == nullptr) continue;
    LocalPrefix prefix;
    if (at->ifa_addr->sa_family == AF_INET) {
      std::memcpy(prefix.bytes.data(), &reinterpret_cast<sockaddr_in*>(at->ifa_addr)->sin_addr, 4);
    } else if (at->ifa_addr->sa_family == AF_INET6) {
      prefix.family = 6;
      prefix.length = 128;
      std::memcpy(prefix.bytes.data(), &reinterpret_cast<sockaddr_in6*>(at->ifa_addr)->sin6_addr, 16);
    } else {
      continue;
    }
    local.push_back(prefix);
  }
  ::freeifaddrs(addresses);
  return local;
}

bpffw::Result<void> read_capture(const std::string& path, const std::function<void(CapturedPacket&&)>& each,
                                 std::uint64_t& skipped) {
  char error[PCAP_ERRBUF_SIZE] = "";
  std::unique_ptr<pcap_t, PcapClose> capture(pcap_open_offline(path.c_str(), error));
  if (!capture)
    return bpffw::make_error(bpffw::ErrorKind::Usage, "cannot read the capture " + path + ": " + error, 0,
                             "give a pcap or pcapng file, as tcpdump -w or Wireshark write them");
  const int link_type = pcap_datalink(capture.get());
  if (!is_read_link_type(link_type)) {
    const char* name = pcap_datalink_val_to_name(link_type);
    return bpffw::make_error(
        bpffw::ErrorKind::Usage,
        "the capture " + path + " is of link type " + (name != nullptr ? name : "?") + ", which bpffwc does not read",
        0, "capture on an Ethernet interface, on 'any' (Linux cooked), or as raw IP");
  }
  pcap_pkthdr* header = nullptr;
  const unsigned char* frame = nullptr;
  int rc = 0;
  while ((rc = pcap_next_ex(capture.get(), &header, &frame)) == 1) {
    auto start = ip_start(link_type, frame, header->caplen);
    if (!start || header->caplen <= start->offset || header->len <= start->offset) {
      ++skipped;
      continue;
    }
    CapturedPacket packet;
    packet.packet.ethertype = start->ethertype;
    packet.packet.bytes.assign(frame + start->offset, frame + header->caplen);
    packet.wire_length = header->len - static_cast<std::uint32_t>(start->offset);
    packet.cut = header->caplen < header->len;
    packet.said = start->said;
    each(std::move(packet));
  }
  if (rc == PCAP_ERROR)
    return bpffw::make_error(bpffw::ErrorKind::Usage,
                             "the capture " + path + " is damaged: " + pcap_geterr(capture.get()));
  return {};
}

bpffw::Result<void> for_each_packet(const std::string& path, bpffw::Direction direction,
                                    const std::vector<LocalPrefix>& local,
                                    const std::function<bool(const CapturedPacket&)>& each, CaptureCounts& counts) {
  const std::vector<LocalPrefix> host = local.empty() ? host_addresses() : std::vector<LocalPrefix>();
  bool going = true;
  auto take = [&](CapturedPacket&& packet) {
    if (!going) return;
    ++counts.read;
    const bool this_way =
        packet.said || !local.empty() ? went(packet, direction, local) : went(packet, direction, host);
    if (!this_way) {
      ++counts.other_way;
      return;
    }
    // What the capture did not keep the program would read: such a packet is not judged.
    if (packet.cut) {
      ++counts.cut;
      return;
    }
    going = each(packet);
  };
  auto read = read_capture(path, take, counts.not_ip);
  counts.read += counts.not_ip;
  return read;
}

std::string flow_text(const bpffw::packet::Packet& packet) {
  const auto& b = packet.bytes;
  const bool ipv6 = packet.ethertype == kEthertypeIpv6;
  const std::size_t length = ipv6 ? 16 : 4, source = ipv6 ? 8 : 12, destination = ipv6 ? 24 : 16;
  if (b.size() < destination + length) return ipv6 ? "ipv6 (cut short)" : "ipv4 (cut short)";
  char from[INET6_ADDRSTRLEN] = "", to[INET6_ADDRSTRLEN] = "";
  ::inet_ntop(ipv6 ? AF_INET6 : AF_INET, b.data() + source, from, sizeof from);
  ::inet_ntop(ipv6 ? AF_INET6 : AF_INET, b.data() + destination, to, sizeof to);
  // The transport header right after a header without options or extension headers; else no ports.
  const std::uint8_t protocol = ipv6 ? b[6] : b[9];
  const std::size_t transport = ipv6 ? 40 : static_cast<std::size_t>(b[0] & 0x0f) * 4;
  const bool first_fragment = ipv6 || (((b[6] & 0x1f) << 8) | b[7]) == 0;
  auto endpoint = [&](const char* address, std::size_t at) {
    if ((protocol != 6 && protocol != 17) || !first_fragment || b.size() < transport + 4) return std::string(address);
    const std::string host = ipv6 ? "[" + std::string(address) + "]" : std::string(address);
    return host + ":" + std::to_string(b[transport + at] << 8 | b[transport + at + 1]);
  };
  return bpffw::protocol_name(protocol) + " " + endpoint(from, 0) + " -> " + endpoint(to, 2);
}

void FlowCounts::add(const bpffw::packet::Packet& packet) {
  // The IP header and the transport header's first 4 bytes (the ports): what flow_text reads.
  const auto& b = packet.bytes;
  const bool ipv6 = packet.ethertype == kEthertypeIpv6;
  const std::size_t header = ipv6 ? 40 : (b.empty() ? 20 : static_cast<std::size_t>(b[0] & 0x0f) * 4);
  std::string key(1, ipv6 ? '6' : '4');
  key.append(reinterpret_cast<const char*>(b.data()), std::min(b.size(), header + 4));
  // Of an IPv4 header, the version and length, fragment offset, protocol and addresses name the
  // flow; of an IPv6 one the next header and addresses.
  if (!ipv6 && key.size() > 20) {
    for (std::size_t i : {2, 3, 4, 5, 6, 9, 11, 12}) key[i] = 0;
  } else if (ipv6 && key.size() > 8) {
    for (std::size_t i : {1, 2, 3, 4, 5, 6, 8}) key[i] = 0;
  }
  // Ports only for TCP and UDP (flow_text shows no more of the others).
  const std::uint8_t protocol = b.size() > 9 ? b[ipv6 ? 6 : 9] : 0;
  if (protocol != 6 && protocol != 17)
    for (std::size_t i = 1 + header; i < key.size(); ++i) key[i] = 0;
  ++counts_[key];
}

std::vector<std::pair<std::string, std::uint64_t>> FlowCounts::most(std::size_t top) const {
  std::vector<std::pair<const std::string*, std::uint64_t>> sorted;
  for (const auto& [key, packets] : counts_) sorted.emplace_back(&key, packets);
  // Most packets first; among equals, by key, so that the list is the same on every run.
  std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : *a.first < *b.first;
  });
  if (sorted.size() > top) sorted.resize(top);
  std::vector<std::pair<std::string, std::uint64_t>> out;
  for (const auto& [key, packets] : sorted) {
    bpffw::packet::Packet headers;
    headers.ethertype = (*key)[0] == '6' ? kEthertypeIpv6 : kEthertypeIpv4;
    headers.bytes.assign(key->begin() + 1, key->end());
    out.emplace_back(flow_text(headers), packets);
  }
  return out;
}

bool went(const CapturedPacket& packet, bpffw::Direction direction, const std::vector<LocalPrefix>& local) {
  if (local.empty()) return packet.said == direction;
  const auto& bytes = packet.packet.bytes;
  const bool ipv6 = packet.packet.ethertype == kEthertypeIpv6;
  const std::size_t length = ipv6 ? 16 : 4, source = ipv6 ? 8 : 12, destination = ipv6 ? 24 : 16;
  if (bytes.size() < destination + length) return false;  // cut before its addresses: no way is known
  const std::size_t at = direction == bpffw::Direction::Ingress ? destination : source;
  return std::any_of(local.begin(), local.end(),
                     [&](const LocalPrefix& prefix) { return prefix.holds(ipv6 ? 6 : 4, bytes.data() + at); });
}

}  // namespace bpffwc
