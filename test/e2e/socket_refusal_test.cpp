// Socket programs (docs/filter-language.md §10, issue 29) on real sockets: an egress filter's
// socket programs, attached with its packet program to a scratch cgroup, refuse with EPERM at once
// every connect() and send whose first packet the filter drops, and leave the others alone.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <liburing.h>

#include <bpffw/bpffw.hpp>

#include "e2e/log_follower.hpp"
#include "e2e/processes.hpp"
#include "e2e/traffic.hpp"
#include "support/kernel_env.hpp"

using namespace bpffw::e2e;

namespace {

// A filter's packet and socket programs, attached to a cgroup until it goes.
class AttachedGroup {
 public:
  AttachedGroup(const std::string& cgroup_path, const std::string& text, bool with_socket_programs,
                const bpffw::CompileOptions& options = {}) {
    auto filter = bpffw::Filter::parse(text, {.direction = bpffw::Direction::Egress});
    REQUIRE_MESSAGE(filter, filter.error().message);
    auto object = bpffw::compile(*filter, options);
    REQUIRE_MESSAGE(object, object.error().message);
    auto packet = bpffw::Program::load(*object);
    REQUIRE_MESSAGE(packet, packet.error().message);
    auto cgroup = bpffw::Cgroup::open(cgroup_path);
    REQUIRE(cgroup);
    cgroup_.emplace(std::move(*cgroup));
    packet_.emplace(std::move(*packet));
    REQUIRE(bpffw::attach(*packet_, *cgroup_, bpffw::Direction::Egress));
    if (!with_socket_programs) return;
    auto socket_object = bpffw::compile_socket_programs(*filter, options);
    REQUIRE_MESSAGE(socket_object, socket_object.error().message);
    auto sockets = bpffw::Program::load_socket_programs(*socket_object, *packet_);
    REQUIRE_MESSAGE(sockets, sockets.error().message << "\n" << sockets.error().verifier_log.substr(0, 3000));
    sockets_ = std::move(*sockets);
    auto attached = bpffw::attach(sockets_, *cgroup_);
    REQUIRE_MESSAGE(attached, attached.error().message);
  }
  ~AttachedGroup() {
    if (!cgroup_) return;
    (void)bpffw::detach_bpffw_socket_programs(*cgroup_);
    if (packet_) (void)bpffw::detach(*cgroup_, bpffw::Direction::Egress, *packet_);
  }
  AttachedGroup(const AttachedGroup&) = delete;
  AttachedGroup& operator=(const AttachedGroup&) = delete;
  const bpffw::Program& packet_program() const { return *packet_; }

 private:
  std::optional<bpffw::Cgroup> cgroup_;
  std::optional<bpffw::Program> packet_;
  std::vector<bpffw::SocketProgram> sockets_;
};

sockaddr_storage destination(int family, const char* address, std::uint16_t port, socklen_t& length) {
  sockaddr_storage storage{};
  if (family == AF_INET) {
    auto* in = reinterpret_cast<sockaddr_in*>(&storage);
    in->sin_family = AF_INET;
    in->sin_port = htons(port);
    ::inet_pton(AF_INET, address, &in->sin_addr);
    length = sizeof *in;
  } else {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&storage);
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(port);
    ::inet_pton(AF_INET6, address, &in6->sin6_addr);
    length = sizeof *in6;
  }
  return storage;
}

// How a call ended: its errno (0 for success) and how long it took.
struct Outcome {
  int error = 0;
  double milliseconds = 0;
};

// UdpConnect: connect(), then send(). IoUringConnect: a TCP connect through io_uring
// (IORING_OP_CONNECT), which runs the same hook as connect().
enum class Call { TcpConnect, UdpConnect, UdpSendto, UdpSendmsg, TcpFastOpen, IoUringConnect };

// connect() as an io_uring request; the result as a call's: 0, or -1 with errno.
int io_uring_connect(int fd, const sockaddr* to, socklen_t length) {
  io_uring ring{};
  // Every kernel of the matrix has io_uring (5.5 and later): without it (ENOSYS, or EPERM where
  // sysctl kernel.io_uring_disabled says so) the allowed connect's check fails with that errno.
  if (int rc = io_uring_queue_init(2, &ring, 0); rc < 0) {
    errno = -rc;
    return -1;
  }
  io_uring_prep_connect(io_uring_get_sqe(&ring), fd, to, length);
  io_uring_cqe* completion = nullptr;
  __kernel_timespec patience{2, 0};
  int rc = io_uring_submit(&ring);
  if (rc == 1) rc = io_uring_wait_cqe_timeout(&ring, &completion, &patience);
  if (rc == 0) rc = completion->res;
  io_uring_queue_exit(&ring);
  if (rc >= 0) return 0;
  errno = -rc;
  return -1;
}

// In the calling process: one call of `call` to address:port from a new socket.
Outcome make_call(Call call, int family, const char* address, std::uint16_t port) {
  socklen_t length = 0;
  sockaddr_storage to = destination(family, address, port, length);
  const bool tcp = call == Call::TcpConnect || call == Call::TcpFastOpen || call == Call::IoUringConnect;
  int fd = ::socket(family, (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC, 0);
  if (fd < 0) return {errno, 0};
  // A connect() whose SYN is dropped waits for retransmissions: give up after 2 s (EINPROGRESS).
  timeval patience{2, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &patience, sizeof patience);
  const char byte = 'x';
  auto start = std::chrono::steady_clock::now();
  int rc = 0;
  switch (call) {
    case Call::TcpConnect: rc = ::connect(fd, reinterpret_cast<sockaddr*>(&to), length); break;
    case Call::IoUringConnect: rc = io_uring_connect(fd, reinterpret_cast<sockaddr*>(&to), length); break;
    // UDP's connect() is allowed (it sends nothing; ping uses it to learn its source address); the
    // send after it fails at once when the packet program drops it.
    case Call::UdpConnect:
      rc = ::connect(fd, reinterpret_cast<sockaddr*>(&to), length);
      if (rc == 0) rc = ::send(fd, &byte, 1, 0) == 1 ? 0 : -1;
      break;
    case Call::UdpSendto: rc = ::sendto(fd, &byte, 1, 0, reinterpret_cast<sockaddr*>(&to), length) == 1 ? 0 : -1; break;
    case Call::UdpSendmsg: {
      iovec data{const_cast<char*>(&byte), 1};
      msghdr message{};
      message.msg_name = &to;
      message.msg_namelen = length;
      message.msg_iov = &data;
      message.msg_iovlen = 1;
      rc = ::sendmsg(fd, &message, 0) == 1 ? 0 : -1;
      break;
    }
    case Call::TcpFastOpen:
      rc = ::sendto(fd, &byte, 1, MSG_FASTOPEN, reinterpret_cast<sockaddr*>(&to), length) == 1 ? 0 : -1;
      break;
  }
  Outcome outcome{rc == 0 ? 0 : errno};
  outcome.milliseconds = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  ::close(fd);
  return outcome;
}

// The same in a child inside `cgroup`: its exit code is the errno (0 success), 99 when slower
// than `limit_ms`.
int call_in(const std::string& cgroup, Call call, int family, const char* address, std::uint16_t port,
            double limit_ms = 100) {
  pid_t child = spawn(cgroup, [=] {
    Outcome outcome = make_call(call, family, address, port);
    if (outcome.milliseconds > limit_ms) return 99;
    return outcome.error;
  });
  return wait_child(child);
}

// A listener on both loopbacks, outside the cgroup: TCP (backlog only, never accepting) and UDP.
struct Listeners {
  explicit Listeners(std::uint16_t port) {
    for (int family : {AF_INET, AF_INET6})
      for (int type : {SOCK_STREAM, SOCK_DGRAM}) {
        socklen_t length = 0;
        sockaddr_storage at = destination(family, family == AF_INET ? "127.0.0.1" : "::1", port, length);
        int fd = ::socket(family, type | SOCK_CLOEXEC, 0);
        REQUIRE(fd >= 0);
        int one = 1;
        ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (family == AF_INET6) ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
        REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&at), length) == 0);
        if (type == SOCK_STREAM) {
          ::setsockopt(fd, IPPROTO_TCP, TCP_FASTOPEN, &one, sizeof one);
          REQUIRE(::listen(fd, 64) == 0);
        }
        fds.push_back(fd);
      }
  }
  ~Listeners() {
    for (int fd : fds) ::close(fd);
  }
  std::vector<int> fds;
};

}  // namespace

TEST_CASE("socket programs: connect() and sends the filter refuses fail at once with EPERM, the others work") {
  bpffw::test::require_root();
  ScratchCgroup cgroup;
  const std::uint16_t open = free_port(), closed = free_port();
  Listeners listeners(open);
  AttachedGroup group(cgroup.path(), "(tcp || udp) && dst_port == " + std::to_string(open), true);

  struct Destination {
    int family;
    const char* address;
  };
  const Destination destinations[] = {{AF_INET, "127.0.0.1"}, {AF_INET6, "::1"}, {AF_INET6, "::ffff:127.0.0.1"}};
  for (const Destination& to : destinations) {
    for (Call call : {Call::TcpConnect, Call::UdpConnect, Call::UdpSendto, Call::UdpSendmsg, Call::TcpFastOpen,
                      Call::IoUringConnect}) {
      CAPTURE(to.address);
      CAPTURE(static_cast<int>(call));
      CHECK(call_in(cgroup.path(), call, to.family, to.address, closed) == EPERM);
      // Fast Open's sendto() without a cookie sends a plain SYN and reports EINPROGRESS on a
      // non-blocking socket; on a blocking one it connects.
      CHECK(call_in(cgroup.path(), call, to.family, to.address, open) == 0);
    }
  }
}

TEST_CASE("socket programs: without them a refused connect() hangs, with them it fails at once") {
  bpffw::test::require_root();
  ScratchCgroup cgroup;
  const std::uint16_t open = free_port(), closed = free_port();
  Listeners listeners(closed);  // a listener that would answer: only the filter stops the SYN
  const std::string filter = "tcp && dst_port == " + std::to_string(open);
  {
    AttachedGroup packets_only(cgroup.path(), filter, false);
    // The SYN is dropped at egress: connect() waits for retransmissions, past this bound.
    CHECK(call_in(cgroup.path(), Call::TcpConnect, AF_INET, "127.0.0.1", closed, 1500) == 99);
  }
  AttachedGroup with_sockets(cgroup.path(), filter, true);
  CHECK(call_in(cgroup.path(), Call::TcpConnect, AF_INET, "127.0.0.1", closed, 1500) == EPERM);
}

TEST_CASE("socket programs: an allowed connection's and datagrams' bytes all arrive, as without them") {
  bpffw::test::require_root();
  ScratchCgroup cgroup;
  const std::uint16_t open = free_port();
  AttachedGroup group(cgroup.path(), "(tcp || udp) && dst_port == " + std::to_string(open), true);
  socklen_t length = 0;
  sockaddr_storage at = destination(AF_INET, "127.0.0.1", open, length);
  int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0),
      receiver = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  REQUIRE((listener >= 0 && receiver >= 0));
  REQUIRE(::bind(listener, reinterpret_cast<sockaddr*>(&at), length) == 0);
  REQUIRE(::listen(listener, 4) == 0);
  REQUIRE(::bind(receiver, reinterpret_cast<sockaddr*>(&at), length) == 0);

  // From the cgroup: a connection carrying 256 KiB, then three datagrams with sendto().
  constexpr std::size_t kStreamBytes = 256 * 1024;
  constexpr int kDatagrams = 3;
  pid_t child = spawn(cgroup.path(), [&] {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&at), length) != 0) return 10;
    std::vector<char> bytes(kStreamBytes);
    for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>(i * 7);
    for (std::size_t sent = 0; sent < bytes.size();) {
      ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, 0);
      if (n <= 0) return 11;
      sent += static_cast<std::size_t>(n);
    }
    ::close(fd);
    int datagram = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    for (int i = 0; i < kDatagrams; ++i) {
      char payload[100] = {static_cast<char>(i)};
      if (::sendto(datagram, payload, sizeof payload, 0, reinterpret_cast<sockaddr*>(&at), length) != sizeof payload)
        return 12;
    }
    return 0;
  });
  timeval patience{5, 0};
  int connection = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
  REQUIRE(connection >= 0);
  ::setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &patience, sizeof patience);
  ::setsockopt(receiver, SOL_SOCKET, SO_RCVTIMEO, &patience, sizeof patience);
  std::vector<char> received;
  char buffer[65536];
  for (ssize_t n; (n = ::recv(connection, buffer, sizeof buffer, 0)) > 0;)
    received.insert(received.end(), buffer, buffer + n);
  int datagrams = 0;
  for (int i = 0; i < kDatagrams; ++i) datagrams += ::recv(receiver, buffer, sizeof buffer, 0) == 100 ? 1 : 0;
  CHECK(wait_child(child) == 0);
  REQUIRE(received.size() == kStreamBytes);
  bool intact = true;
  for (std::size_t i = 0; i < received.size(); ++i) intact = intact && received[i] == static_cast<char>(i * 7);
  CHECK(intact);
  CHECK(datagrams == kDatagrams);
  for (int fd : {connection, listener, receiver}) ::close(fd);
}

TEST_CASE("socket programs with the drop log: each refusal is a record naming the hook, the caller and the decider") {
  bpffw::test::require_root();
  ScratchCgroup cgroup;
  const std::uint16_t open = free_port(), closed = free_port();
  Listeners listeners(open);
  const std::string filter = "(tcp || udp) && dst_port == " + std::to_string(open);
  AttachedGroup group(cgroup.path(), filter, true, {.log = bpffw::LogLimit{}});
  std::vector<bpffw::DropRecord> records;
  // Shared, as `bpffwc log` reads: a `bpffwc log --all` running meanwhile takes nothing from it.
  auto log =
      bpffw::SharedDropLog::open(group.packet_program(), [&](const bpffw::DropRecord& r) { records.push_back(r); });
  REQUIRE_MESSAGE(log, log.error().message);

  // Three refused calls, each from a child of its own name, and one allowed connect().
  struct Refused {
    Call call;
    int family;
    const char* address;
    const char* command;
    bpffw::SocketHook hook;
    int record_family;
    const char* destination;
  };
  const Refused refused[] = {
      {Call::TcpConnect, AF_INET, "127.0.0.1", "refused-tcp4", bpffw::SocketHook::Connect4, 4, "127.0.0.1"},
      {Call::UdpSendto, AF_INET6, "::1", "refused-udp6", bpffw::SocketHook::Sendmsg6, 6, "::1"},
      {Call::TcpConnect, AF_INET6, "::ffff:127.0.0.1", "refused-mapped", bpffw::SocketHook::Connect6, 4, "127.0.0.1"},
  };
  std::vector<pid_t> callers;
  for (const Refused& r : refused) {
    pid_t child = spawn(cgroup.path(), [&] {
      ::prctl(PR_SET_NAME, r.command);
      return make_call(r.call, r.family, r.address, closed).error;
    });
    callers.push_back(child);
    CHECK(wait_child(child) == EPERM);
  }
  CHECK(call_in(cgroup.path(), Call::TcpConnect, AF_INET, "127.0.0.1", open) == 0);
  for (int round = 0; round < 20 && records.size() < std::size(refused); ++round) REQUIRE(log->poll(100));

  REQUIRE(records.size() == std::size(refused));  // the allowed connect() and its packets left none
  for (std::size_t i = 0; i < std::size(refused); ++i) {
    const bpffw::DropRecord& record = records[i];
    CAPTURE(refused[i].command);
    CHECK(record.reason == bpffw::DropReason::Refused);
    CHECK(record.direction == bpffw::Direction::Egress);
    REQUIRE(record.hook.has_value());
    CHECK(*record.hook == refused[i].hook);
    CHECK(record.pid == static_cast<std::uint32_t>(callers[i]));
    CHECK(record.command == refused[i].command);
    CHECK(record.uid == ::getuid());
    CHECK(record.family == refused[i].record_family);
    CHECK(record.protocol == (refused[i].call == Call::TcpConnect ? IPPROTO_TCP : IPPROTO_UDP));
    CHECK(record.destination == refused[i].destination);
    CHECK(record.destination_port == closed);
    CHECK(record.source.empty());  // an unbound socket: no source yet
    CHECK(record.length == 0);
    // The decider is the filter's: the port test makes every packet of these flows dropped.
    auto span = bpffw::locate_decider(record, filter);
    REQUIRE(span.has_value());
    CHECK(filter.substr(span->offset, span->length) == "dst_port == " + std::to_string(open));
  }
  auto counters = bpffw::read_log_counters(group.packet_program());
  REQUIRE(counters);
  CHECK(counters->logged == std::size(refused));
}

TEST_CASE("socket programs through bpffwc with --log: `bpffwc log` shows the refusal with pid and command") {
  bpffw::test::require_root();
  bpffw::test::ensure_bpffs();
  bpffw::test::ScopedPinDir pins;
  ScratchCgroup cgroup;
  const std::uint16_t open = free_port(), closed = free_port();
  Listeners listeners(open);
  const std::string pin = pins.file("logged");
  RunResult attached = run_bpffwc(
      {"--log", "--attach", cgroup.path(), "-t", "egress", "-o", pin, "tcp && dst_port == " + std::to_string(open)});
  REQUIRE_MESSAGE(attached.exit_code == 0, describe(attached));
  for (bpffw::SocketHook hook : bpffw::socket_hooks(bpffw::Direction::Egress))
    CHECK(bpffw::Program::open_pinned(bpffw::socket_pin_path(pin, hook)).has_value());
  std::string lines;
  {
    LogFollower follower(pin, output_file("refusal-json"));
    ::usleep(300'000);  // it is reading
    pid_t child = spawn(cgroup.path(), [&] {
      ::prctl(PR_SET_NAME, "refused-cli");
      return make_call(Call::TcpConnect, AF_INET, "127.0.0.1", closed).error;
    });
    CHECK(wait_child(child) == EPERM);
    lines = follower.stop_after(1, "\"reason\":\"refused\"");
    INFO(lines);
    CHECK(lines.find("\"hook\":\"connect4\"") != std::string::npos);
    CHECK(lines.find("\"pid\":" + std::to_string(child)) != std::string::npos);
    CHECK(lines.find("\"command\":\"refused-cli\"") != std::string::npos);
    CHECK(lines.find("\"dst_port\":" + std::to_string(closed)) != std::string::npos);
    CHECK(lines.find("\"decided_by\":{\"text\":\"dst_port == " + std::to_string(open)) != std::string::npos);
  }
  RunResult detached = run_bpffwc({"detach", cgroup.path(), "-t", "egress", pin});
  CHECK_MESSAGE(detached.exit_code == 0, describe(detached));
}

// Audit mode (issue 31): the socket programs refuse nothing; they count and record what they would
// have refused, and the packet program passes the flow's packets as would-drops.
TEST_CASE("socket programs in audit mode: the connect() goes ahead, counted and logged as a would-be refusal") {
  bpffw::test::require_root();
  bpffw::test::ensure_bpffs();
  bpffw::test::ScopedPinDir pins;
  ScratchCgroup cgroup;
  const std::uint16_t open = free_port(), closed = free_port();
  Listeners listeners(open), others(closed);
  const std::string pin = pins.file("audited");
  RunResult attached = run_bpffwc({"--audit", "--log", "--attach", cgroup.path(), "-t", "egress", "-o", pin,
                                   "tcp && dst_port == " + std::to_string(open)});
  REQUIRE_MESSAGE(attached.exit_code == 0, describe(attached));
  std::string lines;
  {
    LogFollower follower(pin, output_file("audit-json"));
    ::usleep(300'000);  // it is reading
    // Success is what counts here, not speed (a guest's first logged packets can take a while).
    CHECK(call_in(cgroup.path(), Call::TcpConnect, AF_INET, "127.0.0.1", closed, 5000) == 0);
    lines = follower.stop_after(1, "\"reason\":\"refused\"");
  }
  INFO(lines);
  CHECK(lines.find("\"reason\":\"refused\",\"audit\":true") != std::string::npos);
  CHECK(lines.find("\"reason\":\"filter\",\"audit\":true") != std::string::npos);  // its packets, passed
  CHECK(lines.find("\"audit\":false") == std::string::npos);
  auto connect4 = bpffw::Program::open_pinned(bpffw::socket_pin_path(pin, bpffw::SocketHook::Connect4));
  REQUIRE(connect4.has_value());
  const bpffw::SocketProgram socket{bpffw::SocketHook::Connect4, std::move(*connect4)};
  CHECK(bpffw::read_refusals(socket).value_or(99) == 0);
  CHECK(bpffw::read_would_refusals(socket).value_or(0) == 1);
  RunResult stats = run_bpffwc({"stats", pin});
  CHECK_MESSAGE(stats.out.find("would refuse  connect4 1 connect6 0 sendmsg4 0 sendmsg6 0\n") != std::string::npos,
                stats.out);
  RunResult detached = run_bpffwc({"detach", cgroup.path(), "-t", "egress", pin});
  CHECK_MESSAGE(detached.exit_code == 0, describe(detached));
}

namespace {

std::size_t count_of(const std::string& text, const std::string& word) {
  std::size_t count = 0;
  for (std::size_t at = text.find(word); at != std::string::npos; at = text.find(word, at + 1)) ++count;
  return count;
}

}  // namespace

TEST_CASE("socket programs through bpffwc: attached, pinned, replaced and detached with the egress filter") {
  bpffw::test::require_root();
  bpffw::test::ensure_bpffs();
  bpffw::test::ScopedPinDir pins;
  ScratchCgroup cgroup;
  const std::uint16_t open = free_port(), closed = free_port();
  Listeners listeners(open);
  const std::string pin = pins.file("web");
  const std::string allow_open = "tcp && dst_port == " + std::to_string(open);

  // --attach -t egress with -o: the packet program and its four socket programs, pins beside.
  RunResult attached = run_bpffwc({"--attach", cgroup.path(), "-t", "egress", "-o", pin, allow_open});
  REQUIRE_MESSAGE(attached.exit_code == 0, describe(attached));
  for (bpffw::SocketHook hook : bpffw::socket_hooks(bpffw::Direction::Egress))
    CHECK(bpffw::Program::open_pinned(bpffw::socket_pin_path(pin, hook)).has_value());
  RunResult shown = run_bpffwc({"show", cgroup.path()});
  CHECK(count_of(shown.out, "connect4 ") == 1);
  CHECK(count_of(shown.out, "sendmsg6 ") == 1);
  RunResult json = run_bpffwc({"show", cgroup.path(), "--json"});
  CHECK(json.out.find("\"sockets\":{\"connect4\":[") != std::string::npos);
  CHECK(call_in(cgroup.path(), Call::TcpConnect, AF_INET, "127.0.0.1", closed) == EPERM);
  CHECK(call_in(cgroup.path(), Call::TcpConnect, AF_INET, "127.0.0.1", open) == 0);
  CHECK(call_in(cgroup.path(), Call::UdpSendto, AF_INET6, "::1", closed) == EPERM);
  shown = run_bpffwc({"show", cgroup.path()});
  CHECK_MESSAGE(shown.out.find("connect4 ") != std::string::npos, shown.out);
  CHECK_MESSAGE(shown.out.find(" (1 refused), connect6 ") != std::string::npos, shown.out);
  CHECK_MESSAGE(shown.out.find("sendmsg6 ") != std::string::npos, shown.out);
  CHECK(bpffw::read_refusals(
            {bpffw::SocketHook::Sendmsg6,
             std::move(*bpffw::Program::open_pinned(bpffw::socket_pin_path(pin, bpffw::SocketHook::Sendmsg6)))})
            .value_or(0) == 1);

  RunResult stats = run_bpffwc({"stats", pin});
  CHECK_MESSAGE(stats.out.find("refused  connect4 1 connect6 0 sendmsg4 0 sendmsg6 1\n") != std::string::npos,
                stats.out);
  RunResult stats_json = run_bpffwc({"stats", "--json", pin});
  CHECK_MESSAGE(
      stats_json.out.find(R"(,"refusals":{"connect4":1,"connect6":0,"sendmsg4":0,"sendmsg6":1},"would_refuse":{)") !=
          std::string::npos,
      stats_json.out);

  // --replace-everywhere PIN (bpffw@NAME's reload): the socket programs follow the packet program
  // into the cgroup where it is attached, and their pins beside PIN.
  RunResult everywhere = run_bpffwc({"-t", "egress", "--replace-everywhere", pin,
                                     "tcp && dst_port == " + std::to_string(open) + " && dst_addr == ::1"});
  REQUIRE_MESSAGE(everywhere.exit_code == 0, describe(everywhere));
  CHECK(call_in(cgroup.path(), Call::TcpConnect, AF_INET, "127.0.0.1", open) == EPERM);
  CHECK(call_in(cgroup.path(), Call::TcpConnect, AF_INET6, "::1", open) == 0);
  shown = run_bpffwc({"show", cgroup.path()});
  CHECK_MESSAGE(count_of(shown.out, "connect4 ") == 1, shown.out);
  CHECK(bpffw::read_refusals(
            {bpffw::SocketHook::Connect4,
             std::move(*bpffw::Program::open_pinned(bpffw::socket_pin_path(pin, bpffw::SocketHook::Connect4)))})
            .value_or(0) == 1);

  // --replace-all swaps the group: the new filter's verdicts at the socket, one program per hook.
  RunResult replaced = run_bpffwc(
      {"--attach", cgroup.path(), "-t", "egress", "--replace-all", "tcp && dst_port == " + std::to_string(closed)});
  REQUIRE_MESSAGE(replaced.exit_code == 0, describe(replaced));
  shown = run_bpffwc({"show", cgroup.path()});
  CHECK(count_of(shown.out, "connect6 ") == 1);
  CHECK(call_in(cgroup.path(), Call::TcpConnect, AF_INET, "127.0.0.1", open) == EPERM);

  // --no-socket-programs with --replace-all: the old socket programs go too.
  RunResult without =
      run_bpffwc({"--attach", cgroup.path(), "-t", "egress", "--replace-all", "--no-socket-programs", allow_open});
  REQUIRE_MESSAGE(without.exit_code == 0, describe(without));
  shown = run_bpffwc({"show", cgroup.path()});
  CHECK(shown.out.find("sockets") == std::string::npos);
  CHECK(run_bpffwc({"--attach", cgroup.path(), "-t", "ingress", "--no-socket-programs", "tcp"}).exit_code == 2);

  // detach --all takes the socket programs with the packet programs.
  REQUIRE(run_bpffwc({"--attach", cgroup.path(), "-t", "egress", allow_open}).exit_code == 0);
  RunResult detached = run_bpffwc({"detach", cgroup.path(), "-t", "egress", "--all"});
  REQUIRE_MESSAGE(detached.exit_code == 0, describe(detached));
  auto opened = bpffw::Cgroup::open(cgroup.path());
  REQUIRE(opened);
  for (bpffw::SocketHook hook : bpffw::kSocketHooks) CHECK(bpffw::attached_programs(*opened, hook)->empty());
  CHECK(bpffw::attached_programs(*opened, bpffw::Direction::Egress)->empty());
}

namespace {

// In a child inside `cgroup`: bind() a new socket to address:port; its errno (0 success).
int bind_in(const std::string& cgroup, int family, int type, const char* address, std::uint16_t port) {
  pid_t child = spawn(cgroup, [=] {
    socklen_t length = 0;
    sockaddr_storage at = destination(family, address, port, length);
    int fd = ::socket(family, type | SOCK_CLOEXEC, 0);
    if (fd < 0) return 100;
    int rc = ::bind(fd, reinterpret_cast<sockaddr*>(&at), length) == 0 ? 0 : errno;
    ::close(fd);
    return rc;
  });
  return wait_child(child);
}

}  // namespace

TEST_CASE("bind programs (--refuse-bind): a bind() no packet could reach through the ingress filter fails with EPERM") {
  bpffw::test::require_root();
  bpffw::test::ensure_bpffs();
  bpffw::test::ScopedPinDir pins;
  ScratchCgroup cgroup;
  const std::uint16_t open = free_port(), closed = free_port();
  const std::string pin = pins.file("served");
  const std::string filter = "tcp && local_port == " + std::to_string(open) + " || udp && src_addr == 10.0.0.1";
  RunResult attached = run_bpffwc({"--attach", cgroup.path(), "-t", "ingress", "--refuse-bind", "-o", pin, filter});
  REQUIRE_MESSAGE(attached.exit_code == 0, describe(attached));
  for (bpffw::SocketHook hook : {bpffw::SocketHook::Bind4, bpffw::SocketHook::Bind6})
    CHECK(bpffw::Program::open_pinned(bpffw::socket_pin_path(pin, hook)).has_value());
  CHECK_FALSE(bpffw::Program::open_pinned(bpffw::socket_pin_path(pin, bpffw::SocketHook::Connect4)).has_value());

  CHECK(bind_in(cgroup.path(), AF_INET, SOCK_STREAM, "127.0.0.1", open) == 0);
  CHECK(bind_in(cgroup.path(), AF_INET, SOCK_STREAM, "127.0.0.1", closed) == EPERM);
  CHECK(bind_in(cgroup.path(), AF_INET, SOCK_STREAM, "0.0.0.0", 0) == 0);  // the kernel picks the port
  CHECK(bind_in(cgroup.path(), AF_INET6, SOCK_STREAM, "::", open) == 0);
  CHECK(bind_in(cgroup.path(), AF_INET6, SOCK_STREAM, "::", closed) == EPERM);
  CHECK(bind_in(cgroup.path(), AF_INET6, SOCK_STREAM, "::ffff:127.0.0.1", closed) == EPERM);
  // 10.0.0.1 may send to any UDP port, over IPv4: a socket that receives IPv4 may bind.
  CHECK(bind_in(cgroup.path(), AF_INET, SOCK_DGRAM, "0.0.0.0", closed) == 0);
  CHECK(bind_in(cgroup.path(), AF_INET6, SOCK_DGRAM, "::", closed) == 0);
  CHECK(bind_in(cgroup.path(), AF_INET6, SOCK_DGRAM, "::1", closed) == EPERM);

  RunResult shown = run_bpffwc({"show", cgroup.path()});
  CHECK(shown.out.find("bind4") != std::string::npos);
  CHECK(shown.out.find("(3 refused)") != std::string::npos);  // bind6: ::, ::ffff:127.0.0.1, ::1
  // Without --refuse-bind, a replacement takes the old bind programs off: they would refuse by the old filter.
  RunResult replaced = run_bpffwc({"--attach", cgroup.path(), "-t", "ingress", "--replace-all", "tcp"});
  REQUIRE_MESSAGE(replaced.exit_code == 0, describe(replaced));
  CHECK(bind_in(cgroup.path(), AF_INET, SOCK_STREAM, "127.0.0.1", closed) == 0);
  shown = run_bpffwc({"show", cgroup.path()});
  CHECK(shown.out.find("sockets") == std::string::npos);
  // attach PIN puts the pinned group back; detach takes it off with the packet program.
  RunResult again = run_bpffwc({"attach", cgroup.path(), "-t", "ingress", "--replace-all", pin});
  REQUIRE_MESSAGE(again.exit_code == 0, describe(again));
  CHECK(bind_in(cgroup.path(), AF_INET, SOCK_STREAM, "127.0.0.1", closed) == EPERM);
  RunResult detached = run_bpffwc({"detach", cgroup.path(), "-t", "ingress", pin});
  CHECK_MESSAGE(detached.exit_code == 0, describe(detached));
  CHECK(bind_in(cgroup.path(), AF_INET, SOCK_STREAM, "127.0.0.1", closed) == 0);
  // --refuse-bind belongs to ingress filters.
  RunResult wrong = run_bpffwc({"--attach", cgroup.path(), "-t", "egress", "--refuse-bind", "tcp"});
  CHECK(wrong.exit_code == 2);
  CHECK(wrong.err.find("--refuse-bind only applies to -t ingress") != std::string::npos);
}
