// The reference interpreter: docs/filter-language.md §4–§6 in plain C++, with no kernel and no code shared with the
// code generator. The tests judge the kernel's verdicts against it.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>

#include <bpffw/filter.hpp>

namespace bpffw {

struct InterpretResult {
  bool pass = false;       // the verdict
  bool malformed = false;  // the packet was dropped as malformed (docs/filter-language.md §5.6) before the filter ran
  // The part of the expression that decided the verdict, as a span of Filter::source(): the operand
  // of && or || evaluated last (they stop at the first false or true one), under any `!`, down to a
  // comparison, a set test or a lone variable. For `!(src_addr in blocklist) && tcp && dst_port ==
  // 8080`, "src_addr in blocklist" when the source is listed, else "tcp" or "dst_port == 8080".
  // Empty for a malformed packet.
  std::optional<SourceSpan> decided_by = std::nullopt;
};

// The socket a packet belongs to, as the cgroup hook sees it (docs/filter-language.md §4.5):
// `established` is 1 for TcpSynSent, TcpEstablished and UdpConnected, else 0. None is a packet
// with no socket, as in the kernel's BPF_PROG_TEST_RUN.
enum class SocketState { None, TcpListen, TcpSynSent, TcpEstablished, TcpClosed, UdpUnconnected, UdpConnected, Other };

// What the cgroup hook knows of the socket a packet belongs to: its state (`established`, §4.5) and
// its owner (`uid`, §4.8). The defaults are what the kernel's BPF_PROG_TEST_RUN gives a program: a
// socket of root's (uid 0) that is no TCP or UDP one.
struct PacketSocket {
  PacketSocket(SocketState state = SocketState::None, std::uint32_t uid = 0) : state(state), uid(uid) {}  // NOLINT
  SocketState state;
  std::uint32_t uid;
  // Whether BPF_PROG_TEST_RUN gives a program this socket (then the kernel can judge the packet).
  bool as_in_test_run() const { return state == SocketState::None && uid == 0; }
};

// skb_protocol is the ethertype in host byte order (0x0800, 0x86DD, ...); packet starts at the
// IP header, as a cgroup_skb program sees it. local_* and remote_* follow Filter::direction().
// Runtime parameters take their declared initial values (Filter::parameters()), named sets the
// contents in Filter::sets().
InterpretResult interpret(const Filter& filter, std::uint16_t skb_protocol, std::span<const unsigned char> packet,
                          PacketSocket socket = {});

// The same with the runtime parameters' current values, in declaration order (as
// read_parameters in <bpffw/runtime.hpp> returns them). A missing value counts as 0.
InterpretResult interpret(const Filter& filter, std::uint16_t skb_protocol, std::span<const unsigned char> packet,
                          std::span<const std::int64_t> parameter_values, PacketSocket socket = {});

// A flow as a cgroup socket hook sees it when a program connects or sends (docs/filter-language.md
// §10): what every first packet of it will carry. Egress only. What the hooks do not read (the
// local address and port, the uid: see §10) is left open.
struct Flow {
  // connect(), else a UDP send that names its destination (an unconnected socket's sendto(),
  // sendmsg()). A UDP connect() sends nothing and is never refused (§10): its sends are judged.
  bool connected = true;
  bool ipv6 = false;                           // the packets' family: an IPv4-mapped IPv6 destination is IPv4
  std::uint8_t protocol = 6;                   // 6 TCP or 17 UDP; any other is never refused
  std::array<std::uint8_t, 16> remote_addr{};  // network byte order; IPv4 in the first 4
  std::uint16_t remote_port = 0;
};

// Whether the filter, compiled for egress, drops every packet that decides whether the flow gets
// anywhere: TCP's SYN (with or without ECN's flags; if it is dropped, no other packet follows), a
// UDP datagram's only or first fragment (without it the datagram is never delivered) — whatever
// their length, TTL, DSCP, ECN, flow label, local address and port. When it does, refusing the
// call with EPERM changes no outcome, only makes it fast. The judgement is the socket programs'
// (compile_socket_programs in <bpffw/compiler.hpp>): both evaluate the same condition.
struct FlowVerdict {
  bool refuse = false;
};
FlowVerdict judge_flow(const Filter& filter, const Flow& flow);

// A bind() as a cgroup's bind4 or bind6 hook sees it (docs/filter-language.md §10): the socket's
// family, protocol, and the address and port it is bound to.
struct Binding {
  // An AF_INET6 socket: bound to ::ffff:a.b.c.d it receives IPv4 only, bound to :: both families
  // (unless IPV6_V6ONLY, which the hook cannot see), else IPv6.
  bool ipv6 = false;
  std::uint8_t protocol = 6;                  // 6 TCP or 17 UDP; any other is never refused
  std::array<std::uint8_t, 16> local_addr{};  // network byte order; IPv4 in the first 4; zero: any
  std::uint16_t local_port = 0;               // 0: the kernel picks one, never refused
};

// Whether the filter, compiled for ingress, drops every packet that could reach a socket bound so
// (new connections and replies to its own, from any peer, whatever their other fields): then its
// bind() can be refused with EPERM, like systemd's SocketBindDeny=. The bind programs'
// judgement (compile_socket_programs of an ingress filter).
FlowVerdict judge_binding(const Filter& filter, const Binding& binding);

}  // namespace bpffw
