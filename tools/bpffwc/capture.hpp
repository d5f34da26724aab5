// A capture file (pcap or pcapng, read with libpcap) as the packets a cgroup program would see:
// each from its IP header on, with the ethertype the kernel would give it, and which way it went
// (docs/bpffwc.md, "Replaying a capture").
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <bpffw/direction.hpp>
#include <bpffw/error.hpp>

#include "packet/packet_builder.hpp"

namespace bpffwc {

// An address prefix of this host's own (--local): a packet to one is received, from one sent.
struct LocalPrefix {
  int family = 4;
  std::array<std::uint8_t, 16> bytes{};
  unsigned length = 32;
  bool holds(int family, const std::uint8_t* address) const;
};
// "192.0.2.0/24", "2001:db8::1": ErrorKind::Usage when it is neither.
bpffw::Result<LocalPrefix> parse_local_prefix(const std::string& text);
// The addresses of this host's interfaces (getifaddrs), each a whole-address prefix.
std::vector<LocalPrefix> host_addresses();

struct CapturedPacket {
  bpffw::packet::Packet packet;   // from the IP header on, its ethertype
  std::uint32_t wire_length = 0;  // the length on the wire, from the IP header on
  bool cut = false;               // the capture kept less than the packet (its snap length)
  // The way the capture's link layer says it went (Linux cooked captures: incoming, outgoing).
  std::optional<bpffw::Direction> said;
};

// Hands each IPv4 or IPv6 packet of the file to `each`, in order; counts the others (ARP, ...) in
// `skipped`. ErrorKind::Usage for a file libpcap cannot read or of a link type other than Ethernet,
// raw IP and Linux cooked (SLL, SLL2).
bpffw::Result<void> read_capture(const std::string& path, const std::function<void(CapturedPacket&&)>& each,
                                 std::uint64_t& skipped);

// Whether a packet went `direction`: received (ingress) when its destination is local, sent
// (egress) when its source is, so that a packet between two local addresses went both ways; with no
// local prefix, as the capture's link layer says, if it says.
bool went(const CapturedPacket& packet, bpffw::Direction direction, const std::vector<LocalPrefix>& local);

// What a capture held besides the packets judged.
struct CaptureCounts {
  std::uint64_t read = 0;       // every frame of the file
  std::uint64_t not_ip = 0;     // not IPv4 or IPv6 (ARP, ...)
  std::uint64_t other_way = 0;  // IP, but not of `direction`
  std::uint64_t cut = 0;        // of `direction`, but cut short by the capture's snap length: not judged
};

// Hands each whole IPv4 or IPv6 packet of the capture that went `direction` to `each`, in order
// (`local` as for went(); empty: the capture's packet types where it has them, else this
// machine's addresses). `each` returns false to stop. The errors of read_capture.
bpffw::Result<void> for_each_packet(const std::string& path, bpffw::Direction direction,
                                    const std::vector<LocalPrefix>& local,
                                    const std::function<bool(const CapturedPacket&)>& each, CaptureCounts& counts);

// A packet's flow: "tcp 192.0.2.7:40000 -> 10.0.0.2:22", "icmp 192.0.2.7 -> 10.0.0.2".
std::string flow_text(const bpffw::packet::Packet& packet);

// Counts per flow, kept by the bytes of its header that name it (formatting each packet's flow
// would cost more than judging it); texts on demand, most packets first.
class FlowCounts {
 public:
  void add(const bpffw::packet::Packet& packet);
  std::uint64_t flows() const { return counts_.size(); }
  std::vector<std::pair<std::string, std::uint64_t>> most(std::size_t top) const;

 private:
  // The key: the family (4 or 6), then the headers' bytes that name the flow, the others zeroed.
  std::unordered_map<std::string, std::uint64_t> counts_;
};

}  // namespace bpffwc
