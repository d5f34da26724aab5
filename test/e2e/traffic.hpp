// Real traffic over loopback, each side in a cgroup of the test's choosing: UDP request/reply,
// TCP connect, ping. A filtered side is a child process moved into the cgroup before it opens its
// socket, since a socket belongs to the cgroup of the process that created it.
#pragma once

#include <cstdint>
#include <string>

namespace bpffw::e2e {

enum class Family { V4, V6 };
const char* loopback(Family family);  // "127.0.0.1" or "::1"

// Which cgroup each side runs in; empty = the test process's own cgroup (unfiltered).
struct Sides {
  std::string client;
  std::string server;
};

// How the UDP client sends: with sendto() on an unconnected socket, or after connect().
enum class UdpClient { Unconnected, Connected };

// True when a datagram to `port` reached the server and its reply reached the client.
bool udp_exchange(Family family, std::uint16_t port, const Sides& sides, UdpClient how = UdpClient::Unconnected);
// True when a TCP connection to `port` was established and accepted.
bool tcp_connects(Family family, std::uint16_t port, const Sides& sides);
// True when a TCP connection to `port` carried "hello" to the server and closed, the client first
// and the server once it read the end: each packet the client sends meets the server's socket
// (none arrives after it is gone, as a TIME_WAIT's would: cgroup programs never see those).
bool tcp_conversation(Family family, std::uint16_t port, const Sides& sides);
// True when `ping -c 1` run inside `cgroup` got its echo reply.
bool ping_replies(Family family, const std::string& cgroup);

// A port that is free for both UDP and TCP on both loopback addresses right now.
std::uint16_t free_port();

}  // namespace bpffw::e2e
