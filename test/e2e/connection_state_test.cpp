// `established` and local_*/remote_* (docs/filter-language.md §4.5, §4.6) on real loopback traffic,
// the filter attached to a scratch cgroup that one side runs in:
// - ingress `established || (tcp && local_port == A)`: the cgroup's own outgoing TCP connections and
//   connected-UDP exchanges complete (their replies are established), a server in it is reachable
//   on A only, and an unconnected UDP socket gets no reply;
// - egress `tcp && local_port == A`: a server on A in the cgroup answers (its replies leave from A),
//   while the same filter written with dst_port drops those replies.
#include <doctest/doctest.h>

#include <optional>
#include <string>

#include <bpffw/bpffw.hpp>

#include "e2e/attached_filter.hpp"
#include "e2e/processes.hpp"
#include "e2e/traffic.hpp"
#include "support/kernel_env.hpp"

using namespace bpffw::e2e;
using bpffw::Direction;

namespace {

struct TwoPorts {
  std::uint16_t allowed = free_port();
  std::uint16_t other = 0;
  TwoPorts() {
    do other = free_port();
    while (other == allowed);
  }
};

}  // namespace

TEST_CASE("established on ingress: own connections complete, inbound ones only to the allowed port") {
  bpffw::test::require_root();
  ScratchCgroup cgroup;
  TwoPorts ports;
  AttachedFilter filter(cgroup.path(), Direction::Ingress,
                        "established || (tcp && local_port == " + std::to_string(ports.allowed) + ")");
  for (Family family : {Family::V4, Family::V6}) {
    INFO(loopback(family), " allowed ", ports.allowed, ", other ", ports.other);
    // The cgroup's client connects out: the SYN-ACK and all that follows answer its own socket.
    CHECK(tcp_connects(family, ports.other, {cgroup.path(), ""}));
    CHECK(udp_exchange(family, ports.other, {cgroup.path(), ""}, UdpClient::Connected));
    // An unconnected UDP socket accepts datagrams from anyone: its reply is not established.
    CHECK_FALSE(udp_exchange(family, ports.other, {cgroup.path(), ""}, UdpClient::Unconnected));
    // A server in the cgroup: only the allowed port takes connections.
    CHECK(tcp_connects(family, ports.allowed, {"", cgroup.path()}));
    CHECK_FALSE(tcp_connects(family, ports.other, {"", cgroup.path()}));
  }
}

// A server's replies to a connection: UDP's reply datagram, TCP's SYN-ACK. (Kernels 5.10 and 6.1
// run no cgroup egress program on the SYN-ACK of a listener, which a request socket sends, so a
// TCP connect shows only that replies get out, not that they can be stopped: UDP shows that.)
TEST_CASE("local_port on egress lets a server's replies out, dst_port there would not") {
  bpffw::test::require_root();
  ScratchCgroup cgroup;
  TwoPorts ports;
  const std::string allowed = std::to_string(ports.allowed);
  {
    AttachedFilter filter(cgroup.path(), Direction::Egress, "(tcp || udp) && local_port == " + allowed);
    for (Family family : {Family::V4, Family::V6}) {
      INFO(loopback(family));
      CHECK(tcp_connects(family, ports.allowed, {"", cgroup.path()}));
      CHECK(udp_exchange(family, ports.allowed, {"", cgroup.path()}));
      CHECK_FALSE(udp_exchange(family, ports.other, {"", cgroup.path()}));
      // The cgroup's own connections out leave from an ephemeral port: dropped.
      CHECK_FALSE(tcp_connects(family, ports.allowed, {cgroup.path(), ""}));
    }
  }
  AttachedFilter written_for_ingress(cgroup.path(), Direction::Egress, "(tcp || udp) && dst_port == " + allowed);
  CHECK_FALSE(udp_exchange(Family::V4, ports.allowed, {"", cgroup.path()}));
}

TEST_CASE("remote_addr on ingress is the peer: loopback's own address") {
  bpffw::test::require_root();
  ScratchCgroup cgroup;
  TwoPorts ports;
  AttachedFilter filter(cgroup.path(), Direction::Ingress, "remote_addr in {127.0.0.0/8, ::1}");
  CHECK(tcp_connects(Family::V4, ports.allowed, {"", cgroup.path()}));
  CHECK(tcp_connects(Family::V6, ports.allowed, {"", cgroup.path()}));
  AttachedFilter other(cgroup.path(), Direction::Ingress, "remote_addr != ::1");
  CHECK(tcp_connects(Family::V4, ports.allowed, {"", cgroup.path()}));
  CHECK_FALSE(tcp_connects(Family::V6, ports.allowed, {"", cgroup.path()}));
}
