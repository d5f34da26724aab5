// The hostile-packet corpus: malformed and edge-case packets, each with what the spec (§5) says
// the filter language sees in it, written by hand.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "packet/packet_builder.hpp"

namespace bpffw::test {

// None: not IP (no address either); Other: IP, but neither TCP, UDP nor the family's ICMP.
enum class Transport { None, Tcp, Udp, Icmp, Other };

// What docs/filter-language.md §4-§5 make of a packet. `dst_port`, `icmp_type` and `tcp_flags`
// are the values of the variables (0, -1 and 0 for a non-first fragment); `len` is the packet's size.
struct SpecView {
  bool malformed = false;
  Transport transport = Transport::None;
  std::uint16_t dst_port = 0;
  int icmp_type = -1;
  std::uint8_t tcp_flags = 0;
  bool default_source = true;  // an IP packet's src_addr is the builder's 10.0.0.1 or fd00::1
};

struct HostileShape {
  std::string name;
  packet::Packet packet;
  SpecView view;
};

// Every shape: hand-written ones, and every cut of a few complete packets at and just before each
// header boundary.
std::vector<HostileShape> hostile_shapes();

}  // namespace bpffw::test
