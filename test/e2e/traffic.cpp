#include "e2e/traffic.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <functional>
#include <random>

#include <doctest/doctest.h>

#include "e2e/processes.hpp"

namespace bpffw::e2e {
namespace {

// How long a side waits for a packet that a filter may have dropped. Loopback answers in
// microseconds, so this only bounds the cost of each blocked case.
constexpr int kWaitMs = 400;

struct Address {
  sockaddr_storage storage{};
  socklen_t length = 0;
  int domain = AF_INET;
};

Address address(Family family, std::uint16_t port) {
  Address a;
  if (family == Family::V4) {
    auto* in = reinterpret_cast<sockaddr_in*>(&a.storage);
    in->sin_family = AF_INET;
    in->sin_port = htons(port);
    in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.length = sizeof(sockaddr_in);
    a.domain = AF_INET;
  } else {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&a.storage);
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(port);
    in6->sin6_addr = in6addr_loopback;
    a.length = sizeof(sockaddr_in6);
    a.domain = AF_INET6;
  }
  return a;
}

const sockaddr* raw(const Address& a) { return reinterpret_cast<const sockaddr*>(&a.storage); }

bool readable(int fd, int timeout_ms) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, timeout_ms) == 1;
}

// The server tells the parent it is bound through `ready`; the parent then starts the client.
bool wait_ready(int fd) {
  char byte = 0;
  return readable(fd, 5000) && ::read(fd, &byte, 1) == 1 && byte == 'r';
}

int bound_socket(const Address& a, int type) {
  const int fd = ::socket(a.domain, type | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(fd, raw(a), a.length) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// A server and a client, each in its side's cgroup: the server gets the write end of a pipe to say
// it is ready ("r"), the client starts then. Fails the test when the server does not start or
// either exits above its `worst` (its code for "the traffic did not get through"); true when
// both exit 0.
bool exchange(const Sides& sides, const char* what, const std::function<int(int ready)>& serve, int worst_server,
              const std::function<int()>& call, int worst_client) {
  int ready[2];
  REQUIRE(::pipe2(ready, O_CLOEXEC) == 0);
  const pid_t server = spawn(sides.server, [&] { return serve(ready[1]); });
  ::close(ready[1]);
  const bool server_ready = wait_ready(ready[0]);
  ::close(ready[0]);
  const int client_code = server_ready ? wait_child(spawn(sides.client, call)) : -1;
  const int server_code = wait_child(server);
  REQUIRE_MESSAGE(server_ready, "the " << what << " server did not start (exit " << server_code << ")");
  REQUIRE_MESSAGE(server_code <= worst_server, "the " << what << " server failed with exit " << server_code);
  REQUIRE_MESSAGE(client_code <= worst_client, "the " << what << " client failed with exit " << client_code);
  return server_code == 0 && client_code == 0;
}

}  // namespace

const char* loopback(Family family) { return family == Family::V4 ? "127.0.0.1" : "::1"; }

bool udp_exchange(Family family, std::uint16_t port, const Sides& sides, UdpClient how) {
  const Address server_address = address(family, port);
  auto serve = [&](int ready) -> int {
    const int fd = bound_socket(server_address, SOCK_DGRAM);
    if (fd < 0) return 10;
    if (::write(ready, "r", 1) != 1) return 11;
    if (!readable(fd, kWaitMs)) return 1;  // the request never arrived
    char buffer[64];
    sockaddr_storage peer{};
    socklen_t peer_length = sizeof peer;
    const ssize_t n = ::recvfrom(fd, buffer, sizeof buffer, 0, reinterpret_cast<sockaddr*>(&peer), &peer_length);
    if (n <= 0) return 12;
    ::sendto(fd, buffer, static_cast<std::size_t>(n), 0, reinterpret_cast<sockaddr*>(&peer), peer_length);
    return 0;
  };
  auto call = [&]() -> int {
    const int fd = ::socket(server_address.domain, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return 10;
    if (how == UdpClient::Connected && ::connect(fd, raw(server_address), server_address.length) != 0) return 11;
    // An egress filter makes this fail with EPERM; the reply wait below then decides.
    ::sendto(fd, "ping", 4, 0, how == UdpClient::Connected ? nullptr : raw(server_address),
             how == UdpClient::Connected ? 0 : server_address.length);
    if (!readable(fd, kWaitMs)) return 2;
    char buffer[64];
    return ::recv(fd, buffer, sizeof buffer, 0) == 4 && std::memcmp(buffer, "ping", 4) == 0 ? 0 : 3;
  };
  return exchange(sides, "UDP", serve, 1, call, 3);
}

bool tcp_connects(Family family, std::uint16_t port, const Sides& sides) {
  const Address server_address = address(family, port);
  auto serve = [&](int ready) -> int {
    const int fd = bound_socket(server_address, SOCK_STREAM);
    if (fd < 0 || ::listen(fd, 4) != 0) return 10;
    if (::write(ready, "r", 1) != 1) return 11;
    if (!readable(fd, kWaitMs)) return 1;  // no connection completed
    const int accepted = ::accept(fd, nullptr, nullptr);
    return accepted >= 0 ? 0 : 12;
  };
  auto call = [&]() -> int {
    const int fd = ::socket(server_address.domain, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return 10;
    if (::connect(fd, raw(server_address), server_address.length) == 0) return 0;
    if (errno != EINPROGRESS) return 2;  // EPERM from an egress filter
    pollfd p{fd, POLLOUT, 0};
    if (::poll(&p, 1, kWaitMs) != 1) return 3;
    int error = 0;
    socklen_t length = sizeof error;
    ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length);
    return error == 0 ? 0 : 4;
  };
  return exchange(sides, "TCP", serve, 1, call, 4);
}

bool tcp_conversation(Family family, std::uint16_t port, const Sides& sides) {
  const Address server_address = address(family, port);
  auto serve = [&](int ready) -> int {
    const int fd = bound_socket(server_address, SOCK_STREAM);
    if (fd < 0 || ::listen(fd, 4) != 0) return 10;
    if (::write(ready, "r", 1) != 1) return 11;
    if (!readable(fd, kWaitMs)) return 1;
    const int accepted = ::accept(fd, nullptr, nullptr);
    if (accepted < 0) return 12;
    char buffer[16];
    std::size_t got = 0;
    for (ssize_t n; readable(accepted, kWaitMs) && (n = ::recv(accepted, buffer + got, sizeof buffer - got, 0)) > 0;)
      got += static_cast<std::size_t>(n);
    ::close(accepted);  // after the client's FIN: the server's socket outlives every packet of the client's
    return got == 5 && std::memcmp(buffer, "hello", 5) == 0 ? 0 : 2;
  };
  auto call = [&]() -> int {
    const int fd = ::socket(server_address.domain, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return 10;
    if (::connect(fd, raw(server_address), server_address.length) != 0) return 2;
    if (::send(fd, "hello", 5, 0) != 5) return 3;
    ::shutdown(fd, SHUT_WR);
    char byte;
    const bool closed = readable(fd, kWaitMs) && ::recv(fd, &byte, 1, 0) == 0;  // the server's FIN
    ::close(fd);
    return closed ? 0 : 4;
  };
  return exchange(sides, "TCP", serve, 2, call, 4);
}

bool ping_replies(Family family, const std::string& cgroup) {
  const char* ping = ::access("/usr/bin/ping", X_OK) == 0 ? "/usr/bin/ping" : "/bin/ping";
  REQUIRE_MESSAGE(::access(ping, X_OK) == 0, "ping is missing: apt-get install iputils-ping");
  const pid_t child = spawn(cgroup, [&]() -> int {
    const int null = ::open("/dev/null", O_WRONLY);
    ::dup2(null, STDOUT_FILENO);
    ::dup2(null, STDERR_FILENO);
    ::execl(ping, "ping", family == Family::V4 ? "-4" : "-6", "-n", "-c", "1", "-W", "0.4", loopback(family),
            static_cast<char*>(nullptr));
    return 127;
  });
  const int code = wait_child(child);
  // iputils ping: 0 = a reply, 1 = no reply, 2 = an error (EPERM from an egress filter).
  REQUIRE_MESSAGE((code == 0 || code == 1 || code == 2), "ping failed with exit " << code);
  return code == 0;
}

std::uint16_t free_port() {
  static std::mt19937 random{static_cast<unsigned>(::getpid())};
  for (int attempt = 0; attempt < 100; ++attempt) {
    const auto port = static_cast<std::uint16_t>(20000 + random() % 30000);
    bool free = true;
    for (Family family : {Family::V4, Family::V6})
      for (int type : {SOCK_DGRAM, SOCK_STREAM}) {
        const int fd = bound_socket(address(family, port), type);
        if (fd < 0) free = false;
        else ::close(fd);
      }
    if (free) return port;
  }
  FAIL("no free loopback port found");
  return 0;
}

}  // namespace bpffw::e2e
