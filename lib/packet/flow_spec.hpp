// Flows in words, for `bpffwc test EXPRESSION --packet SPEC` (docs/filter-language.md §10): what a
// socket hook sees of a connect() or a send, judged as the socket programs judge it:
//   connect tcp dst=192.0.2.1 dport=443        connect udp dst=2001:db8::53 dport=53
//   sendto udp dst=::ffff:192.0.2.1 dport=53   (an unconnected send; IPv4-mapped: an IPv4 flow)
#pragma once

#include <string>
#include <string_view>

#include <bpffw/error.hpp>
#include <bpffw/interpreter.hpp>

namespace bpffw::packet {

// Whether SPEC describes a flow (its first word is connect or sendto) rather than a packet.
bool is_flow_spec(std::string_view spec);

// Parses a flow SPEC. Errors are ErrorKind::Usage with a one-line message and a hint.
Result<Flow> parse_flow_spec(std::string_view spec);

// "connect tcp 192.0.2.1 port 443", "sendto udp 2001:db8::53 port 53".
std::string describe_flow(const Flow& flow);

}  // namespace bpffw::packet
