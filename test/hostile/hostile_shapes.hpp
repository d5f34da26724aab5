// The hostile-packet corpus: malformed and edge-case packets, each with what the spec (§5) says
// the filter language sees in it, written by hand.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "packet/packet_builder.hpp"

namespace bpffw::test {

enum class Transport { None, Tcp, Udp, Other };

// What spec §5 makes of a packet. `dst_port` is the value of the variable (0 for a non-first
// fragment); `len` is the packet's size.
struct SpecView {
  bool malformed = false;
  Transport transport = Transport::None;
  std::uint16_t dst_port = 0;
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
