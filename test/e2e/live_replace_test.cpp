// bpffwc --attach CG -t egress --replace PIN under a live UDP stream: every datagram is judged by
// the old filter or the new one, none by neither.
//
// The sender (in the cgroup) sends triples i -> port A, i -> port B, i -> port C. The old filter
// passes only A, the new one only B, neither passes C. So a datagram on A was judged by the old
// filter, one on B by the new filter, and one on C by no filter at all (a gap during the swap).
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <functional>
#include <sstream>
#include <thread>
#include <vector>

#include <bpffw/cgroup.hpp>
#include <bpffw/program.hpp>
#include <bpffw/runtime.hpp>

#include "e2e/processes.hpp"
#include "e2e/traffic.hpp"
#include "support/kernel_env.hpp"

using namespace bpffw::e2e;

namespace {

constexpr int kTriplesPerBurst = 40;  // then a 1 ms pause: ~20,000 triples/s, within a receiver's pace

struct Summary {
  std::uint32_t sent = 0;
  std::uint32_t old_judged = 0;     // datagrams received on A
  std::uint32_t new_judged = 0;     // on B
  std::uint32_t unfiltered = 0;     // on C: judged by neither
  std::uint32_t lost = 0;           // triples with nothing on A nor B
  std::uint32_t both = 0;           // triples with A and B (the swap fell between the two)
  std::uint32_t old_after_new = 0;  // A datagrams after the first B one: not a single swap
  std::uint32_t new_after_gap = 0;  // B datagrams after a triple without one: B did not stop once
  std::uint32_t overflow = 0;       // datagrams the receiving sockets dropped (SO_RXQ_OVFL)
};

sockaddr_in loopback_v4(std::uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

int receiving_socket(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  const int size = 16 << 20, one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size);
  ::setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof one);
  const sockaddr_in a = loopback_v4(port);
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0) return -1;
  return fd;
}

// Receives on A, B, C until told how many triples were sent and then quiet for 300 ms; writes
// the Summary to `result`.
int receive(const std::uint16_t ports[3], int ready, int control, int result) {
  int fds[3];
  for (int i = 0; i < 3; ++i)
    if ((fds[i] = receiving_socket(ports[i])) < 0) return 10;
  if (::write(ready, "r", 1) != 1) return 11;
  std::vector<std::uint8_t> seen;  // bit 1: on A, bit 2: on B
  Summary summary;
  bool told = false;
  for (;;) {
    pollfd p[4] = {{fds[0], POLLIN, 0}, {fds[1], POLLIN, 0}, {fds[2], POLLIN, 0}, {control, POLLIN, 0}};
    const int n = ::poll(p, told ? 3 : 4, told ? 300 : 10000);
    if (n <= 0) break;
    if (!told && p[3].revents) {
      told = ::read(control, &summary.sent, sizeof summary.sent) == sizeof summary.sent;
      if (!told) return 12;
    }
    for (int i = 0; i < 3; ++i) {
      if (!p[i].revents) continue;
      std::uint32_t seq = 0;
      char control_buffer[CMSG_SPACE(sizeof(std::uint32_t))];
      iovec iov{&seq, sizeof seq};
      msghdr message{};
      message.msg_iov = &iov;
      message.msg_iovlen = 1;
      message.msg_control = control_buffer;
      message.msg_controllen = sizeof control_buffer;
      if (::recvmsg(fds[i], &message, 0) != sizeof seq) return 13;
      for (cmsghdr* c = CMSG_FIRSTHDR(&message); c; c = CMSG_NXTHDR(&message, c))
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL) {
          std::uint32_t drops = 0;
          std::memcpy(&drops, CMSG_DATA(c), sizeof drops);
          summary.overflow = std::max(summary.overflow, drops);
        }
      if (seq >= seen.size()) seen.resize(seq + 1024, 0);
      if (i == 2) ++summary.unfiltered;
      else seen[seq] |= static_cast<std::uint8_t>(1u << i);
    }
  }
  if (!told) return 14;
  bool new_seen = false, new_missed = false;
  for (std::uint32_t seq = 0; seq < summary.sent; ++seq) {
    const std::uint8_t bits = seq < seen.size() ? seen[seq] : 0;
    if ((bits & 2) && new_missed) ++summary.new_after_gap;
    if (!(bits & 2)) new_missed = true;
    if (bits & 1) ++summary.old_judged;
    if (bits & 2) ++summary.new_judged;
    if (bits == 0) ++summary.lost;
    if (bits == 3) ++summary.both;
    if ((bits & 1) && new_seen) ++summary.old_after_new;
    if (bits & 2) new_seen = true;
  }
  return ::write(result, &summary, sizeof summary) == sizeof summary ? 0 : 15;
}

// Sends triples until `stop` is readable, reporting once it is under way and, at the end, how
// many triples it sent.
int send_stream(const std::uint16_t ports[3], int ready, int stop, int result) {
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 10;
  sockaddr_in targets[3];
  for (int i = 0; i < 3; ++i) targets[i] = loopback_v4(ports[i]);
  std::uint32_t seq = 0;
  for (;; ++seq) {
    for (const sockaddr_in& target : targets)  // EPERM for what the egress filter drops
      ::sendto(fd, &seq, sizeof seq, 0, reinterpret_cast<const sockaddr*>(&target), sizeof target);
    if (seq == 200 && ::write(ready, "r", 1) != 1) return 11;
    if (seq % kTriplesPerBurst == kTriplesPerBurst - 1) {
      pollfd p{stop, POLLIN, 0};
      if (::poll(&p, 1, 0) == 1) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  const std::uint32_t sent = seq + 1;
  return ::write(result, &sent, sizeof sent) == sizeof sent ? 0 : 12;
}

struct Pipe {
  int fd[2] = {-1, -1};
  Pipe() { REQUIRE(::pipe2(fd, O_CLOEXEC) == 0); }
  ~Pipe() {
    for (int f : fd)
      if (f >= 0) ::close(f);
  }
  int read_end() const { return fd[0]; }
  int write_end() const { return fd[1]; }
};

template <class T>
bool read_value(int fd, T& value, int timeout_ms) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, timeout_ms) == 1 && ::read(fd, &value, sizeof value) == sizeof value;
}

struct Stream {
  std::uint16_t ports[3] = {0, 0, 0};
  std::string old_filter, new_filter;
  Stream() {
    ports[0] = free_port();
    do ports[1] = free_port();
    while (ports[1] == ports[0]);
    do ports[2] = free_port();
    while (ports[2] == ports[0] || ports[2] == ports[1]);
    old_filter = "udp && dst_port == " + std::to_string(ports[0]);
    new_filter = "udp && dst_port == " + std::to_string(ports[1]);
  }
};

// Streams triples from inside `cgroup` while `swap` runs, and counts what arrived where.
Summary stream_during(const std::string& cgroup, const Stream& stream, const std::function<void()>& swap) {
  Pipe receiver_ready, receiver_control, receiver_result;
  const pid_t receiver = spawn("", [&] {
    return receive(stream.ports, receiver_ready.write_end(), receiver_control.read_end(), receiver_result.write_end());
  });
  char byte = 0;
  REQUIRE(read_value(receiver_ready.read_end(), byte, 5000));

  Pipe sender_ready, sender_stop, sender_result;
  const pid_t sender = spawn(cgroup, [&] {
    return send_stream(stream.ports, sender_ready.write_end(), sender_stop.read_end(), sender_result.write_end());
  });
  REQUIRE(read_value(sender_ready.read_end(), byte, 5000));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  swap();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));

  REQUIRE(::write(sender_stop.write_end(), "s", 1) == 1);
  std::uint32_t sent = 0;
  const bool sender_reported = read_value(sender_result.read_end(), sent, 10000);
  const int sender_code = wait_child(sender);
  REQUIRE(::write(receiver_control.write_end(), &sent, sizeof sent) == sizeof sent);
  Summary summary;
  const bool receiver_reported = read_value(receiver_result.read_end(), summary, 20000);
  const int receiver_code = wait_child(receiver);
  REQUIRE_MESSAGE((sender_reported && sender_code == 0), "sender exit " << sender_code);
  REQUIRE_MESSAGE((receiver_reported && receiver_code == 0), "receiver exit " << receiver_code);
  REQUIRE_MESSAGE(summary.overflow == 0,
                  "the receiver's sockets dropped " << summary.overflow << " datagrams: the counts are not exact");
  return summary;
}

std::string describe(const Summary& summary) {
  std::ostringstream out;
  out << summary.sent << " triples sent; judged by the old filter " << summary.old_judged << ", by the new filter "
      << summary.new_judged << ", by neither " << summary.unfiltered
      << "; triples passed by both (swap between A and B) " << summary.both << ", lost " << summary.lost;
  return out.str();
}

}  // namespace

TEST_CASE("live replace under a UDP stream: every datagram judged by the old or the new filter") {
  bpffw::test::ensure_bpffs();
  ScratchCgroup cgroup;
  bpffw::test::ScopedPinDir pins;
  const std::string pin = pins.file("stream");
  const Stream stream;
  auto attached = run_bpffwc({"--attach", cgroup.path(), "-t", "egress", "-o", pin, stream.old_filter});
  REQUIRE_MESSAGE(attached.exit_code == 0, describe(attached));

  RunResult replaced;
  long long swap_ms = 0;
  const Summary summary = stream_during(cgroup.path(), stream, [&] {
    const auto start = std::chrono::steady_clock::now();
    replaced = run_bpffwc({"--attach", cgroup.path(), "-t", "egress", "--replace", pin, stream.new_filter});
    swap_ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
  });
  REQUIRE_MESSAGE(replaced.exit_code == 0, describe(replaced));
  MESSAGE("live replace: " << describe(summary) << "; bpffwc --replace took " << swap_ms << " ms");
  CHECK(summary.unfiltered == 0);
  CHECK(summary.lost == 0);
  CHECK(summary.old_after_new == 0);
  CHECK(summary.both <= 1);
  CHECK(summary.old_judged > 100);  // the swap happened mid-stream, not before or after it
  CHECK(summary.new_judged > 100);
  CHECK(summary.old_judged + summary.new_judged == summary.sent + summary.both);

  // Afterwards one bpffw program is attached, and it is the one now pinned.
  auto opened = bpffw::Cgroup::open(cgroup.path());
  REQUIRE(opened.has_value());
  auto programs = bpffw::attached_programs(*opened, bpffw::Direction::Egress);
  REQUIRE(programs.has_value());
  REQUIRE(programs->size() == 1);
  auto pinned = bpffw::Program::open_pinned(pin);
  REQUIRE(pinned.has_value());
  CHECK(pinned->info().value().id == programs->front().id);
}

// The control: the same count over a detach followed by an attach (the seed's rm-then-load) does
// see datagrams judged by neither filter, so the zero above is a measurement, not a blind spot.
TEST_CASE("the stream count detects the gap of a detach followed by an attach") {
  bpffw::test::ensure_bpffs();
  ScratchCgroup cgroup;
  bpffw::test::ScopedPinDir pins;
  const std::string pin = pins.file("stream");
  const Stream stream;
  auto attached = run_bpffwc({"--attach", cgroup.path(), "-t", "egress", "-o", pin, stream.old_filter});
  REQUIRE_MESSAGE(attached.exit_code == 0, describe(attached));

  RunResult detached, reattached;
  const Summary summary = stream_during(cgroup.path(), stream, [&] {
    detached = run_bpffwc({"detach", cgroup.path(), "-t", "egress", pin});
    reattached = run_bpffwc({"--attach", cgroup.path(), "-t", "egress", stream.new_filter});
  });
  REQUIRE_MESSAGE(detached.exit_code == 0, describe(detached));
  REQUIRE_MESSAGE(reattached.exit_code == 0, describe(reattached));
  MESSAGE("detach then attach: " << describe(summary));
  CHECK(summary.unfiltered > 0);
  CHECK(summary.both > 1);
}

// Audit mode then enforcing (issue 31): the egress filter passes only A. In audit mode it passes
// A, B and C, counting B and C as would-drop; the switch is one --replace under the stream, after
// which B and C stop at once and for good: B arrives for a first stretch of the triples and never
// after, and A always. The counters, kept across the switch, hold exactly what passed as
// would-drop, and the drops (at the packet program or refused at sendto) are the rest.
TEST_CASE("audit mode under a UDP stream passes what it would drop, and the switch to enforcing stops it at once") {
  bpffw::test::ensure_bpffs();
  ScratchCgroup cgroup;
  bpffw::test::ScopedPinDir pins;
  const std::string pin = pins.file("audit");
  const Stream stream;
  auto attached = run_bpffwc({"--attach", cgroup.path(), "-t", "egress", "-o", pin, "--audit", stream.old_filter});
  REQUIRE_MESSAGE(attached.exit_code == 0, describe(attached));
  RunResult shown = run_bpffwc({"show", pin});
  CHECK(shown.out.find("mode        audit: passes every packet") != std::string::npos);

  RunResult replaced;
  const Summary summary = stream_during(cgroup.path(), stream, [&] {
    replaced = run_bpffwc({"--attach", cgroup.path(), "-t", "egress", "--replace", pin, stream.old_filter});
  });
  REQUIRE_MESSAGE(replaced.exit_code == 0, describe(replaced));
  CHECK(replaced.err.find("was in audit mode; the new one enforces its filter") != std::string::npos);
  MESSAGE("audit, then enforcing: " << describe(summary) << "; C (would-drop, then dropped) arrived "
                                    << summary.unfiltered << " times");
  CHECK(summary.old_judged == summary.sent);  // A: passed throughout
  CHECK(summary.lost == 0);
  CHECK(summary.new_judged > 100);                      // B passed in audit mode ...
  CHECK(summary.new_judged + 100 < summary.sent);       // ... and was dropped after the switch
  CHECK(summary.new_after_gap == 0);                    // never again once stopped, and not one missing before
  CHECK(summary.unfiltered + 1 >= summary.new_judged);  // C went as B did, give or take the triple of the switch
  CHECK(summary.unfiltered <= summary.new_judged + 1);

  auto program = bpffw::Program::open_pinned(pin);
  REQUIRE(program.has_value());
  auto counters = bpffw::read_counters(*program);
  REQUIRE(counters.has_value());
  CHECK(counters->passed_packets == summary.sent);
  CHECK(counters->would_drop_packets == summary.new_judged + summary.unfiltered);
  auto sockets = bpffw::open_pinned_socket_programs(pin);
  REQUIRE(sockets.has_value());
  std::uint64_t refused = 0;
  for (const bpffw::SocketProgram& socket : *sockets) refused += bpffw::read_refusals(socket).value_or(0);
  CHECK(counters->dropped_packets + refused == 2ull * summary.sent - counters->would_drop_packets);
  RunResult stats = run_bpffwc({"stats", pin});
  CHECK(stats.out.find("would drop  " + std::to_string(counters->would_drop_packets) + " packets") !=
        std::string::npos);
  CHECK(stats.out.find("mode") == std::string::npos);  // enforcing now
}
