// Random flows (docs/filter-language.md §10) and random first packets of them, for judge_flow's
// tests and bpffw-difftest --flows (and random bind()s, and packets to them, for judge_binding's): a flow is what a
// socket hook sees of a connect() or a send, and its first packets (a SYN, a datagram's only or first fragment) are
// drawn with everything the flow leaves open (local address and port, TTL, DSCP, ECN, length, the owner's uid) at
// random.
#pragma once

#include <bpffw/interpreter.hpp>

#include "packet/packet_builder.hpp"
#include "random/rng.hpp"

namespace bpffw::random {

// TCP (connected) or UDP, connected or not, IPv4 or IPv6, to a pool address (random/addresses.hpp)
// and a random port (random_port).
Flow random_flow(Rng& rng);

// A first packet the flow may send: a SYN (plain, or with ECN's flags) or a UDP datagram (on IPv4
// now and then a first fragment), from a random local address and port, carrying the socket state
// the cgroup hook would see (TcpSynSent, UdpConnected or UdpUnconnected) and a random uid.
packet::Packet random_packet_of(Rng& rng, const Flow& flow);

// A bind() (judge_binding): TCP or UDP, an IPv4 or IPv6 socket, to a pool address, a wildcard
// (0.0.0.0, ::) or, on an IPv6 socket, an IPv4-mapped pool address, and a random port (0 now and then).
Binding random_binding(Rng& rng);

// A packet that can reach a socket bound so, ingress: to the address bound (a wildcard: a random
// address of a family the socket receives) and port, from a random address and port, with random
// TCP flags, TTL, DSCP, ECN, flow label, length, socket state of its protocol and owner.
packet::Packet random_packet_to(Rng& rng, const Binding& binding);

}  // namespace bpffw::random
