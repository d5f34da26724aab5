// Packet descriptions in words, for `bpffwc test EXPRESSION --packet SPEC`:
//   ipv4 udp dport=53          ipv6 hbh tcp sport=1 dport=80       ipv4 frag=185 udp
//   len=1400                   arp                                 hex:4500001c...
//   ipv4 src=192.0.2.1 tcp dport=22 flags=syn                      ipv6 dst=fd00::1 icmpv6 type=128
//   ipv4 tcp sock=tcp-established   (the socket, for the interpreter: the kernel's test run has none)
//   ipv4 udp uid=www-data           (its owner, for the interpreter: the test run's socket is root's)
// See packet_spec_words() for the vocabulary. No network word means ipv4; ports default to
// 12345 -> 80, addresses to 10.0.0.1 -> 10.0.0.2 and fd00::1 -> fd00::2, TCP flags to SYN, ICMP to
// an echo request (type 8 or 128, code 0); frag=N is the fragment offset in 8-byte units, as in
// the header; hbh=N, routing=N, dstopts=N and ah=N set the header's length byte (hdr[1]); len=N
// pads or cuts the packet to N bytes from the IP header on, cut=N only cuts. A packet cut inside its IPv4/IPv6 fixed
// header cannot go through BPF_PROG_TEST_RUN (Packet::fits_test_run()).
#pragma once

#include <string>
#include <string_view>

#include <bpffw/error.hpp>

#include "packet/packet_builder.hpp"

namespace bpffw::packet {

// Parses SPEC into a packet. Errors are ErrorKind::Usage with a one-line message and a hint.
Result<Packet> parse_packet_spec(std::string_view spec);

// The vocabulary, one line, for --help and error hints.
std::string_view packet_spec_words();

// One line saying what the filter language sees in the packet, for example
// "ipv4 udp 12345 -> 53, 36 bytes", "ipv6 malformed, 39 bytes",
// "ipv4 192.0.2.1 -> 10.0.0.2 tcp 12345 -> 22 flags syn,ack, 40 bytes, socket tcp-established".
std::string describe_packet(const Packet& packet);

// The sock= word of a socket state: "none", "tcp-listen", ..., "udp-connected", "other".
std::string_view socket_word(SocketState socket);

}  // namespace bpffw::packet
