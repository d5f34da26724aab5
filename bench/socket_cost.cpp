// The cost of an egress filter's socket programs (issue 29, docs/filter-language.md §10), on the
// host's loopback, as root:
//   bpffw-bench-sockets [--connects N] [--rounds R] [--samples S] [--hang-seconds T] [--terms K]
//                       [--cpu C] [--quick] [--rows]
//   defaults: N 20,000, R 21, S 1,000, T 3 (two tries), K 1,000, C 0; --quick: N 2,000, R 3, S 100,
//   one try. The whole process (the listener's thread, every child) runs on CPU C (--cpu -1: no
//   pinning): with the listener on another CPU a connect() to it takes ~23 or ~36 µs from one run
//   to the next on a 2-vCPU VM, on one CPU ~36 µs every time.
// 1. ns per connect(): N TCP connect() calls (socket, connect, close) to 127.0.0.1 from a child
//    process in a scratch cgroup, to a closed port (ECONNREFUSED at once) and to a port with a
//    listener that accepts (the client closes with SO_LINGER 0: an RST, no TIME_WAIT), each
//    iteration timed and the run's median iteration taken (its mean is shown too). Five
//    cgroups: none (no program), and for a small filter (`tcp && dst_port in {80, 443, L, C}`) and
//    a K-term rule list (`(tcp && dst_port == P && dst_addr == A) || ...`, two terms letting L and
//    C through) the packet program alone, and the packet program with the socket programs. Every
//    round measures every cgroup once, in an order rotated per round; reported are the medians over
//    rounds and the medians of the per-round differences and ratios.
// 2. Time to fail: connect() and an unconnected UDP sendto() to a port the filters refuse (it has a
//    listener that would answer), with the socket programs (EPERM) and with the packet program alone
//    (connect() hangs: SO_SNDTIMEO of T seconds; sendto() gets EPERM from the dropped datagram).
// 3. The packet program per packet (BPF_PROG_TEST_RUN, repeat 100,000; 41 rounds, 3 with --quick)
//    in the cgroup without socket programs and in the one with them (loaded beside it, sharing its
//    maps, attached), back to back per packet shape, the order alternating;
//    and compile()'s bytes before and after compile_socket_programs, and those of both cgroups.
// 4. The kernel's own run-time statistics (BPF_ENABLE_STATS, on only for this part): ns per run of
//    the connect4 program and of the packet program during N connects.
// --rows prints the rows of bench/run-all's table (part s) instead of the tables.
// Everything it makes goes when it ends (also on SIGINT/SIGTERM): the children (reaped; killed by
// PID after a timeout), the programs (detached) and the cgroups (removed).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <bpf/bpf.h>
#include <linux/bpf.h>

#include <bpffw/bpffw.hpp>

#include "packet/packet_builder.hpp"

namespace {

using Clock = std::chrono::steady_clock;
constexpr std::uint32_t kRepeat = 100000;

struct Options {
  int connects = 20000;
  int rounds = 21;
  int samples = 1000;
  int hang_seconds = 3;
  int hang_tries = 2;
  int terms = 1000;
  int test_run_rounds = 41;
  bool rows = false;
  int cpu = 0;
};

double median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  std::size_t n = values.size();
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}
double quantile(std::vector<double> values, double q) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  return values[static_cast<std::size_t>(q * static_cast<double>(values.size() - 1) + 0.5)];
}
std::string fmt(const char* format, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}
std::string range(const std::vector<double>& v, const char* format) {
  if (v.empty()) return "-";
  auto [lo, hi] = std::minmax_element(v.begin(), v.end());
  return fmt(format, *lo) + "–" + fmt(format, *hi);
}

// ---- What to clean up on a signal: only async-signal-safe calls there (kill, waitpid, rmdir).
constexpr int kMaxCgroups = 8;
char g_cgroup_paths[kMaxCgroups][512];
std::atomic<int> g_cgroup_count{0};
volatile sig_atomic_t g_child = 0;

// Kills the running child (by its PID) and removes the cgroups; a cgroup goes with its programs
// attached (the kernel releases them with it).
void emergency_cleanup() {
  if (g_child > 0) {
    ::kill(g_child, SIGKILL);
    ::waitpid(g_child, nullptr, 0);
    g_child = 0;
  }
  for (int i = 0; i < g_cgroup_count.load(); ++i)
    if (g_cgroup_paths[i][0]) ::rmdir(g_cgroup_paths[i]);
}

void on_signal(int signal) {
  emergency_cleanup();
  ::_exit(128 + signal);
}

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "bpffw-bench-sockets: %s\n", what.c_str());
  emergency_cleanup();
  std::_Exit(3);
}
[[noreturn]] void die(const std::string& what, const bpffw::Error& error) {
  fail(what + ": " + error.message + (error.verifier_log.empty() ? "" : "\n" + error.verifier_log.substr(0, 3000)));
}

// A scratch cgroup <cgroup2 mount>/bpffw-bench-sockets-<pid>-<name>, held open; what is attached is
// detached and the directory removed when it goes.
class Arm {
 public:
  Arm(const std::string& mount, const std::string& name) : name_(name) {
    path_ = mount + "/bpffw-bench-sockets-" + std::to_string(::getpid()) + "-" + name;
    if (::mkdir(path_.c_str(), 0755) != 0) fail("mkdir " + path_ + ": " + std::strerror(errno));
    int slot = g_cgroup_count.load();
    if (slot < kMaxCgroups) {
      std::snprintf(g_cgroup_paths[slot], sizeof g_cgroup_paths[slot], "%s", path_.c_str());
      g_cgroup_count = slot + 1;
      slot_ = slot;
    }
    auto cgroup = bpffw::Cgroup::open(path_);
    if (!cgroup) die("open " + path_, cgroup.error());
    cgroup_.emplace(std::move(*cgroup));
  }
  ~Arm() {
    if (cgroup_) {
      if (!sockets_.empty()) {
        auto detached = bpffw::detach_bpffw_socket_programs(*cgroup_);
        if (!detached) std::fprintf(stderr, "bpffw-bench-sockets: detach: %s\n", detached.error().message.c_str());
      }
      if (packet_) {
        auto detached = bpffw::detach(*cgroup_, bpffw::Direction::Egress, *packet_);
        if (!detached) std::fprintf(stderr, "bpffw-bench-sockets: detach: %s\n", detached.error().message.c_str());
      }
      cgroup_.reset();
    }
    if (::rmdir(path_.c_str()) != 0)
      std::fprintf(stderr, "bpffw-bench-sockets: cannot remove %s: %s\n", path_.c_str(), std::strerror(errno));
    if (slot_ >= 0) g_cgroup_paths[slot_][0] = 0;
  }
  Arm(const Arm&) = delete;
  Arm& operator=(const Arm&) = delete;

  void attach_packet(const bpffw::ObjectFile& object) {
    auto program = bpffw::Program::load(object);
    if (!program) die("load the packet program", program.error());
    packet_.emplace(std::move(*program));
    auto attached = bpffw::attach(*packet_, *cgroup_, bpffw::Direction::Egress);
    if (!attached) die("attach to " + path_, attached.error());
  }
  void attach_sockets(const bpffw::ObjectFile& object) {
    auto programs = bpffw::Program::load_socket_programs(object, *packet_);
    if (!programs) die("load the socket programs", programs.error());
    sockets_ = std::move(*programs);
    auto attached = bpffw::attach(sockets_, *cgroup_);
    if (!attached) die("attach the socket programs to " + path_, attached.error());
  }

  const std::string& name() const { return name_; }
  const std::string& path() const { return path_; }
  const bpffw::Program* packet() const { return packet_ ? &*packet_ : nullptr; }
  const std::vector<bpffw::SocketProgram>& sockets() const { return sockets_; }

 private:
  std::string name_, path_;
  int slot_ = -1;
  std::optional<bpffw::Cgroup> cgroup_;
  std::optional<bpffw::Program> packet_;
  std::vector<bpffw::SocketProgram> sockets_;
};

// ---- Children in a cgroup, their results (doubles) back through a pipe.

bool write_all(int fd, const void* data, std::size_t size) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    ssize_t n = ::write(fd, p, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

// Forks a child that moves itself into `cgroup` and runs body; returns what it returned. A child
// that does not finish within timeout_s is killed (SIGKILL, by its PID) and the program ends.
std::vector<double> in_cgroup(const std::string& cgroup, const std::function<std::vector<double>()>& body,
                              int timeout_s = 300) {
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) fail(std::string("pipe: ") + std::strerror(errno));
  pid_t pid = ::fork();
  if (pid < 0) fail(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    ::close(pipe_fds[0]);
    ::signal(SIGINT, SIG_DFL);
    ::signal(SIGTERM, SIG_DFL);
    int fd = ::open((cgroup + "/cgroup.procs").c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0 || ::write(fd, "0\n", 2) != 2) ::_exit(100);
    ::close(fd);
    std::vector<double> values = body();
    std::uint64_t count = values.size();
    bool ok = write_all(pipe_fds[1], &count, sizeof count) &&
              write_all(pipe_fds[1], values.data(), values.size() * sizeof(double));
    ::_exit(ok ? 0 : 101);
  }
  g_child = pid;
  ::close(pipe_fds[1]);
  std::vector<char> bytes;
  const auto deadline = Clock::now() + std::chrono::seconds(timeout_s);
  for (;;) {
    pollfd p{pipe_fds[0], POLLIN, 0};
    int left = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count());
    if (left <= 0 || ::poll(&p, 1, left) == 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
      g_child = 0;
      fail("a child in " + cgroup + " took more than " + std::to_string(timeout_s) + " s: killed");
    }
    char buf[65536];
    ssize_t n = ::read(pipe_fds[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    bytes.insert(bytes.end(), buf, buf + n);
  }
  ::close(pipe_fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  g_child = 0;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    fail("a child in " + cgroup + " failed (status " + std::to_string(status) + ")");
  std::uint64_t count = 0;
  if (bytes.size() < sizeof count) fail("a child in " + cgroup + " sent nothing");
  std::memcpy(&count, bytes.data(), sizeof count);
  if (bytes.size() != sizeof count + count * sizeof(double)) fail("a child in " + cgroup + " sent a short result");
  std::vector<double> values(count);
  std::memcpy(values.data(), bytes.data() + sizeof count, count * sizeof(double));
  return values;
}

sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(port);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return to;
}

enum class Target { Refused, Accepted };
const char* to_string(Target target) {
  return target == Target::Refused ? "closed port (ECONNREFUSED)" : "listener (accepts)";
}

// In the child: `warmup` untimed connects, then n timed ones, each iteration (socket, connect,
// close) timed on its own. Returns {mean ns, iterations that ended otherwise than expected, the
// first such errno, the slowest iteration in µs, iterations slower than 1 ms, median ns}. The
// median is what part 1 reports: on a shared machine a few iterations wait for the CPU (up to
// hundreds of ms) and move the mean.
std::vector<double> connect_loop(Target target, std::uint16_t port, int n, int warmup) {
  const sockaddr_in to = loopback(port);
  const int expected = target == Target::Refused ? ECONNREFUSED : 0;
  double unexpected = 0, first_errno = 0, stalls = 0;
  std::vector<double> iteration_ns(static_cast<std::size_t>(n));
  Clock::time_point start{};
  Clock::time_point last{};
  for (int i = -warmup; i < n; ++i) {
    if (i == 0) start = last = Clock::now();
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) ::_exit(102);
    if (target == Target::Accepted) {
      linger abort{1, 0};  // close() resets: no TIME_WAIT, no ephemeral ports used up
      ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &abort, sizeof abort);
    }
    int rc = ::connect(fd, reinterpret_cast<const sockaddr*>(&to), sizeof to);
    int error = rc == 0 ? 0 : errno;
    ::close(fd);
    if (error != expected) {
      if (unexpected == 0) first_errno = error;
      ++unexpected;
    }
    if (i >= 0) {
      Clock::time_point now = Clock::now();
      iteration_ns[static_cast<std::size_t>(i)] = std::chrono::duration<double, std::nano>(now - last).count();
      if (iteration_ns[static_cast<std::size_t>(i)] > 1e6) ++stalls;
      last = now;
    }
  }
  const double total = std::chrono::duration<double, std::nano>(last - start).count();
  const double slowest = *std::max_element(iteration_ns.begin(), iteration_ns.end());
  return {total / n, unexpected, first_errno, slowest / 1000, stalls, median(std::move(iteration_ns))};
}

// In the child: `samples` calls, each from a new socket, each timed: {errno of the first, then the
// µs of each; a call ending with another errno than the first's makes the errno -1}.
enum class Call { TcpConnect, UdpSendto };
std::vector<double> timed_calls(Call call, std::uint16_t port, int samples, int timeout_s) {
  const sockaddr_in to = loopback(port);
  std::vector<double> out{0};
  out.reserve(static_cast<std::size_t>(samples) + 1);
  for (int i = 0; i < samples; ++i) {
    int fd = ::socket(AF_INET, (call == Call::TcpConnect ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC, 0);
    if (fd < 0) ::_exit(102);
    timeval patience{timeout_s, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &patience, sizeof patience);
    if (call == Call::TcpConnect) {
      linger abort{1, 0};
      ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &abort, sizeof abort);
    }
    const char byte = 'x';
    auto start = Clock::now();
    int rc = call == Call::TcpConnect
                 ? ::connect(fd, reinterpret_cast<const sockaddr*>(&to), sizeof to)
                 : (::sendto(fd, &byte, 1, 0, reinterpret_cast<const sockaddr*>(&to), sizeof to) == 1 ? 0 : -1);
    int error = rc == 0 ? 0 : errno;
    double us = std::chrono::duration<double, std::micro>(Clock::now() - start).count();
    ::close(fd);
    if (i == 0) out[0] = error;
    else if (out[0] != error) out[0] = -1;
    out.push_back(us);
  }
  return out;
}

std::string errno_name(double e) {
  int error = static_cast<int>(e);
  switch (error) {
    case 0: return "success";
    case -1: return "mixed errnos";
    case EPERM: return "EPERM";
    case ECONNREFUSED: return "ECONNREFUSED";
    case EINPROGRESS: return "EINPROGRESS (SO_SNDTIMEO expired)";
    case ETIMEDOUT: return "ETIMEDOUT";
    default: return std::string("errno ") + std::to_string(error) + " (" + std::strerror(error) + ")";
  }
}

// A TCP listener on 127.0.0.1:port, outside the cgroups; `accepting` runs a thread that accepts and
// closes until it goes.
class Listener {
 public:
  Listener(std::uint16_t port, bool accepting) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in at = loopback(port);
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&at), sizeof at) != 0 || ::listen(fd_, 4096) != 0)
      fail("listen on 127.0.0.1:" + std::to_string(port) + ": " + std::strerror(errno));
    if (accepting)
      thread_ = std::thread([this] {
        while (!stop_) {
          pollfd p{fd_, POLLIN, 0};
          if (::poll(&p, 1, 100) <= 0) continue;
          int fd = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
          if (fd >= 0) ::close(fd);
        }
      });
  }
  ~Listener() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    ::close(fd_);
  }
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

 private:
  int fd_ = -1;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// Loopback ports outside the ephemeral range (a connect() to 127.0.0.1:P from ephemeral port P
// would connect the socket to itself), free for TCP and UDP now.
std::vector<std::uint16_t> free_ports(int count) {
  int low = 32768, high = 60999;
  std::ifstream("/proc/sys/net/ipv4/ip_local_port_range") >> low >> high;
  std::mt19937 random(static_cast<unsigned>(::getpid()));
  std::vector<std::uint16_t> ports;
  auto pick = [&]() -> int {
    // Below the range if there is room there, else above it.
    if (low > 12000) return 10000 + static_cast<int>(random() % static_cast<unsigned>(low - 10000));
    if (high < 63000) return high + 1 + static_cast<int>(random() % static_cast<unsigned>(65535 - high));
    fail("no loopback port outside the ephemeral range " + std::to_string(low) + "-" + std::to_string(high));
  };
  for (int attempt = 0; attempt < 1000 && static_cast<int>(ports.size()) < count; ++attempt) {
    auto port = static_cast<std::uint16_t>(pick());
    if (port == 80 || port == 443 || std::find(ports.begin(), ports.end(), port) != ports.end()) continue;
    bool free = true;
    for (int type : {SOCK_STREAM, SOCK_DGRAM}) {
      int fd = ::socket(AF_INET, type | SOCK_CLOEXEC, 0);
      sockaddr_in at = loopback(port);
      if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&at), sizeof at) != 0) free = false;
      if (fd >= 0) ::close(fd);
    }
    if (free) ports.push_back(port);
  }
  if (static_cast<int>(ports.size()) < count) fail("no free loopback ports");
  return ports;
}

// The K-term rule list: K - 2 terms for other addresses (IPv4 10.x.y.1 and IPv6 2001:db8::x,
// alternately) and ports, then the two that let 127.0.0.1:L and :C through.
std::string rule_list(int terms, std::uint16_t listen_port, std::uint16_t closed_port, std::uint16_t denied_port) {
  std::string text;
  for (int i = 0; i < terms - 2; ++i) {
    int port = 1 + i * 7919 % 65535;
    while (port == listen_port || port == closed_port || port == denied_port) ++port;
    char address[64];
    if (i % 2 == 0) std::snprintf(address, sizeof address, "10.%d.%d.1", i / 2 / 256 % 256, i / 2 % 256);
    else std::snprintf(address, sizeof address, "2001:db8::%x", i / 2 + 1);
    text += "(tcp && dst_port == " + std::to_string(port) + " && dst_addr == " + address + ") || ";
  }
  text += "(tcp && dst_port == " + std::to_string(listen_port) + " && dst_addr == 127.0.0.1) || ";
  text += "(tcp && dst_port == " + std::to_string(closed_port) + " && dst_addr == 127.0.0.1)";
  return text;
}

bpffw::Filter parse_or_die(const std::string& text) {
  auto filter = bpffw::Filter::parse(text, {.max_depth = 100000, .direction = bpffw::Direction::Egress});
  if (!filter) die("parse", filter.error());
  return *filter;
}

// One filter's two cgroups, its objects, and what is measured about it.
struct FilterCase {
  std::string label;  // "small", "rules 1000"
  std::string text;
  std::optional<bpffw::Filter> filter;
  bpffw::ObjectFile packet_object;  // compile() before compile_socket_programs
  bpffw::ObjectFile packet_object_after;
  bpffw::ObjectFile packet_object_sockets_arm;  // compiled for the cgroup with socket programs
  bpffw::ObjectFile socket_object;
  Arm* packet_only = nullptr;
  Arm* with_sockets = nullptr;
};

bpffw::ObjectFile compile_or_die(const bpffw::Filter& filter) {
  auto object = bpffw::compile(filter);
  if (!object) die("compile", object.error());
  return *object;
}

std::string info_line(const bpffw::Program& program) {
  auto info = program.info();
  if (!info) return "?";
  std::string s = std::to_string(info->xlated_bytes) + " B xlated";
  if (info->verified_instructions) s += ", " + std::to_string(*info->verified_instructions) + " insns verified";
  return s;
}

struct ProgramStats {
  std::uint64_t run_time_ns = 0, run_cnt = 0;
};
ProgramStats stats_of(int fd) {
  bpf_prog_info info{};
  std::uint32_t length = sizeof info;
  if (bpf_obj_get_info_by_fd(fd, &info, &length) != 0)
    fail(std::string("BPF_OBJ_GET_INFO_BY_FD: ") + std::strerror(errno));
  return {info.run_time_ns, info.run_cnt};
}

double run_ns(const bpffw::Program& program, const std::vector<unsigned char>& frame) {
  auto start = Clock::now();
  auto run = program.test_run(frame, kRepeat);
  double elapsed = std::chrono::duration<double, std::nano>(Clock::now() - start).count();
  if (!run) die("test_run", run.error());
  return elapsed / kRepeat;
}

std::string load_average() {
  std::ifstream in("/proc/loadavg");
  std::string a, b, c;
  in >> a >> b >> c;
  return a + " / " + b + " / " + c;
}

void usage() {
  std::fprintf(stderr,
               "usage: bpffw-bench-sockets [--connects N] [--rounds R] [--samples S] [--hang-seconds T] "
               "[--terms K] [--cpu C] [--quick] [--rows]\n");
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> int {
      if (i + 1 >= argc) usage();
      return std::atoi(argv[++i]);
    };
    if (a == "--connects") o.connects = value();
    else if (a == "--rounds") o.rounds = value();
    else if (a == "--samples") o.samples = value();
    else if (a == "--hang-seconds") o.hang_seconds = value();
    else if (a == "--terms") o.terms = value();
    else if (a == "--rows") o.rows = true;
    else if (a == "--cpu") o.cpu = value();
    else if (a == "--quick") o.connects = 2000, o.rounds = 3, o.samples = 100, o.hang_tries = 1, o.test_run_rounds = 3;
    else usage();
  }
  if (o.connects <= 0 || o.rounds <= 0 || o.samples <= 0 || o.hang_seconds <= 0 || o.terms < 2) usage();
  if (::geteuid() != 0) fail("run as root (it loads BPF programs and makes cgroups)");
  if (o.cpu >= 0) {  // before any thread or child: they inherit it
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(o.cpu, &set);
    if (::sched_setaffinity(0, sizeof set, &set) != 0) fail("cannot run on CPU " + std::to_string(o.cpu));
  }

  struct sigaction action{};
  action.sa_handler = on_signal;
  ::sigaction(SIGINT, &action, nullptr);
  ::sigaction(SIGTERM, &action, nullptr);
  ::sigaction(SIGHUP, &action, nullptr);

  utsname host{};
  ::uname(&host);
  const std::string load_before = load_average();
  const auto wall_start = Clock::now();
  char started[64];
  std::time_t now = std::time(nullptr);
  std::strftime(started, sizeof started, "%Y-%m-%d %H:%M UTC", std::gmtime(&now));

  auto mount = bpffw::find_cgroup2_mount();
  if (!mount) die("cgroup2", mount.error());

  // L: a listener that accepts; C: closed; D: refused by both filters, with a listener that would
  // answer (so only the filter stops the SYN).
  const auto ports = free_ports(3);
  const std::uint16_t listen_port = ports[0], closed_port = ports[1], denied_port = ports[2];
  Listener accepting(listen_port, true);
  Listener would_answer(denied_port, false);

  std::vector<FilterCase> cases(2);
  cases[0].label = "small";
  cases[0].text =
      "tcp && dst_port in {80, 443, " + std::to_string(listen_port) + ", " + std::to_string(closed_port) + "}";
  cases[1].label = "rules " + std::to_string(o.terms);
  cases[1].text = rule_list(o.terms, listen_port, closed_port, denied_port);

  std::fprintf(stderr, "bench: compiling and attaching (ports: listener %u, closed %u, refused %u)\n", listen_port,
               closed_port, denied_port);
  Arm none(*mount, "none");
  std::vector<std::unique_ptr<Arm>> owned;
  for (FilterCase& c : cases) {
    c.filter.emplace(parse_or_die(c.text));
    c.packet_object = compile_or_die(*c.filter);
    auto sockets = bpffw::compile_socket_programs(*c.filter);
    if (!sockets) die("compile_socket_programs", sockets.error());
    c.socket_object = *sockets;
    c.packet_object_after = compile_or_die(*c.filter);
    c.packet_object_sockets_arm = compile_or_die(parse_or_die(c.text));
    const std::string tag = c.label == "small" ? "small" : "rules";
    owned.push_back(std::make_unique<Arm>(*mount, tag + "-packet"));
    c.packet_only = owned.back().get();
    c.packet_only->attach_packet(c.packet_object);
    owned.push_back(std::make_unique<Arm>(*mount, tag + "-sockets"));
    c.with_sockets = owned.back().get();
    c.with_sockets->attach_packet(c.packet_object_sockets_arm);
    c.with_sockets->attach_sockets(c.socket_object);
  }

  // Every arm lets the connects of part 1 through: check once before timing anything.
  std::vector<Arm*> arms{&none, cases[0].packet_only, cases[0].with_sockets, cases[1].packet_only,
                         cases[1].with_sockets};
  for (Arm* arm : arms)
    for (Target target : {Target::Refused, Target::Accepted}) {
      auto r = in_cgroup(arm->path(), [&] {
        return connect_loop(target, target == Target::Refused ? closed_port : listen_port, 100, 0);
      });
      if (r[1] != 0)
        fail("a connect() in " + arm->name() + " to the " + to_string(target) + " ended with " + errno_name(r[2]) +
             " (" + fmt("%.0f", r[1]) + " of 100)");
    }

  // ---- Part 1: ns per connect, rounds of every arm, the order rotated per round.
  std::fprintf(stderr, "bench: 1. %d rounds of %d connects per cgroup and target\n", o.rounds, o.connects);
  // (target, arm) -> per round: the median iteration, and the mean
  std::map<std::pair<int, std::string>, std::vector<double>> ns, ns_mean;
  double unexpected_total = 0, stalls_total = 0, slowest_us = 0;
  std::string unexpected_what;
  for (int round = 0; round < o.rounds; ++round) {
    for (int t = 0; t < 2; ++t) {
      Target target = (t + round) % 2 ? Target::Accepted : Target::Refused;
      for (std::size_t k = 0; k < arms.size(); ++k) {
        Arm* arm = arms[(k + static_cast<std::size_t>(round)) % arms.size()];
        auto r = in_cgroup(arm->path(), [&] {
          return connect_loop(target, target == Target::Refused ? closed_port : listen_port, o.connects, 500);
        });
        ns[{static_cast<int>(target), arm->name()}].push_back(r[5]);
        ns_mean[{static_cast<int>(target), arm->name()}].push_back(r[0]);
        if (r[1] != 0 && unexpected_what.empty())
          unexpected_what = arm->name() + ", " + to_string(target) + ": " + errno_name(r[2]);
        unexpected_total += r[1];
        stalls_total += r[4];
        slowest_us = std::max(slowest_us, r[3]);
      }
    }
    std::fprintf(stderr, "bench:   round %d/%d done\n", round + 1, o.rounds);
  }

  // ---- Part 2: time to fail.
  std::fprintf(stderr, "bench: 2. time to fail (%d samples; %d x %d s without socket programs)\n", o.samples,
               o.hang_tries, o.hang_seconds);
  struct FailRow {
    std::string call, arm, outcome;
    std::vector<double> us;
    std::vector<double> pass_medians = {};
  };
  std::vector<FailRow> fails;
  auto fail_row = [&](const std::string& call_name, Call call, Arm* arm, std::uint16_t port, int samples,
                      int timeout_s) {
    auto r =
        in_cgroup(arm->path(), [&] { return timed_calls(call, port, samples, timeout_s); }, samples * timeout_s + 60);
    FailRow row{call_name, arm->name(), errno_name(r[0]), {r.begin() + 1, r.end()}};
    fails.push_back(row);
  };
  const std::string to_refused = " to 127.0.0.1:" + std::to_string(denied_port);
  const std::string to_allowed = " to 127.0.0.1:" + std::to_string(listen_port);
  for (int pass = 0; pass < 2; ++pass) {  // twice, interleaved, to see the spread
    fail_row("TCP connect()" + to_allowed + " (allowed)", Call::TcpConnect, &none, listen_port, o.samples, 10);
    for (FilterCase& c : cases) {
      fail_row("TCP connect()" + to_allowed + " (allowed)", Call::TcpConnect, c.with_sockets, listen_port, o.samples,
               10);
      fail_row("TCP connect()" + to_refused, Call::TcpConnect, c.with_sockets, denied_port, o.samples, 10);
    }
    fail_row("UDP sendto()" + to_refused + " (not filtered)", Call::UdpSendto, &none, denied_port, o.samples, 10);
    for (FilterCase& c : cases) {
      fail_row("UDP sendto()" + to_refused, Call::UdpSendto, c.with_sockets, denied_port, o.samples, 10);
      fail_row("UDP sendto()" + to_refused, Call::UdpSendto, c.packet_only, denied_port, o.samples, 10);
    }
  }
  fail_row("TCP connect()" + to_refused, Call::TcpConnect, cases[0].packet_only, denied_port, o.hang_tries,
           o.hang_seconds);

  // ---- Part 3: the packet program per packet, with and without socket programs beside it.
  std::fprintf(stderr, "bench: 3. the packet program per packet, %d rounds\n", o.test_run_rounds);
  using bpffw::packet::PacketBuilder;
  bpffw::packet::Ipv4Fields v4;
  v4.src = {127, 0, 0, 1};
  v4.dst = {127, 0, 0, 1};
  bpffw::packet::Ipv6Fields v6;
  v6.src = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  v6.dst = v6.src;
  struct Shape {
    std::string name;
    std::vector<unsigned char> frame;
  };
  const std::vector<Shape> shapes = {
      {"IPv4 TCP SYN → C", PacketBuilder().ipv4(v4).tcp(40000, closed_port).build().ethernet_frame()},
      {"IPv4 TCP SYN → D", PacketBuilder().ipv4(v4).tcp(40000, denied_port).build().ethernet_frame()},
      {"IPv4 UDP → D", PacketBuilder().ipv4(v4).udp(40000, denied_port).payload(1).build().ethernet_frame()},
      {"IPv6 TCP SYN → C", PacketBuilder().ipv6(v6).tcp(40000, closed_port).build().ethernet_frame()},
  };
  struct PerPacket {
    std::vector<std::vector<double>> alone, with;  // per shape, per round
    std::vector<std::uint32_t> verdicts_alone, verdicts_with;
  };
  std::vector<PerPacket> per_packet(cases.size());
  for (std::size_t f = 0; f < cases.size(); ++f) {
    PerPacket& p = per_packet[f];
    p.alone.assign(shapes.size(), {});
    p.with.assign(shapes.size(), {});
    for (const Shape& shape : shapes) {
      auto a = cases[f].packet_only->packet()->test_run(shape.frame);
      auto w = cases[f].with_sockets->packet()->test_run(shape.frame);
      if (!a || !w) fail("test_run");
      p.verdicts_alone.push_back(a->verdict);
      p.verdicts_with.push_back(w->verdict);
    }
  }
  for (int round = 0; round < o.test_run_rounds; ++round)
    for (std::size_t f = 0; f < cases.size(); ++f)
      for (std::size_t i = 0; i < shapes.size(); ++i) {
        if ((round + static_cast<int>(i)) % 2) {
          per_packet[f].alone[i].push_back(run_ns(*cases[f].packet_only->packet(), shapes[i].frame));
          per_packet[f].with[i].push_back(run_ns(*cases[f].with_sockets->packet(), shapes[i].frame));
        } else {
          per_packet[f].with[i].push_back(run_ns(*cases[f].with_sockets->packet(), shapes[i].frame));
          per_packet[f].alone[i].push_back(run_ns(*cases[f].packet_only->packet(), shapes[i].frame));
        }
      }

  // ---- Part 4: the kernel's run-time statistics, on only here.
  std::fprintf(stderr, "bench: 4. BPF_ENABLE_STATS over %d connects per cgroup\n", o.connects);
  struct KernelStat {
    std::string arm, program;
    double ns_per_run = 0, runs_per_connect = 0;
  };
  std::vector<KernelStat> kernel_stats;
  std::string stats_error;
  {
    int stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
    if (stats_fd < 0) {
      stats_error = std::string("BPF_ENABLE_STATS: ") + std::strerror(errno);
    } else {
      for (FilterCase& c : cases)
        for (Arm* arm : {c.packet_only, c.with_sockets}) {
          std::vector<std::pair<std::string, int>> programs{{"packet (egress)", arm->packet()->fd()}};
          for (const bpffw::SocketProgram& s : arm->sockets())
            if (s.hook == bpffw::SocketHook::Connect4) programs.emplace_back("connect4", s.program.fd());
          std::vector<ProgramStats> before;
          for (auto& [name, fd] : programs) before.push_back(stats_of(fd));
          in_cgroup(arm->path(), [&] { return connect_loop(Target::Refused, closed_port, o.connects, 0); });
          for (std::size_t i = 0; i < programs.size(); ++i) {
            ProgramStats after = stats_of(programs[i].second);
            double runs = static_cast<double>(after.run_cnt - before[i].run_cnt);
            double time = static_cast<double>(after.run_time_ns - before[i].run_time_ns);
            kernel_stats.push_back({arm->name(), programs[i].first, runs > 0 ? time / runs : 0, runs / o.connects});
          }
        }
      ::close(stats_fd);
    }
  }

  const double minutes = std::chrono::duration<double>(Clock::now() - wall_start).count() / 60;
  const std::string load_after = load_average();
  std::string cpu;
  {
    std::ifstream in("/proc/cpuinfo");
    std::string line;
    while (std::getline(in, line))
      if (line.rfind("model name", 0) == 0) {
        cpu = line.substr(line.find(':') + 2);
        break;
      }
  }

  // ---- Report.
  auto series = [&](Target target, const std::string& arm) -> const std::vector<double>& {
    return ns[{static_cast<int>(target), arm}];
  };
  auto per_round = [](const std::vector<double>& a, const std::vector<double>& b, bool ratio) {
    std::vector<double> r;
    for (std::size_t i = 0; i < a.size(); ++i) r.push_back(ratio ? a[i] / b[i] : a[i] - b[i]);
    return r;
  };
  const Target targets[] = {Target::Refused, Target::Accepted};

  // Part 2's two passes together.
  std::map<std::pair<std::string, std::string>, FailRow> merged;
  std::vector<std::pair<std::string, std::string>> order;
  for (const FailRow& f : fails) {
    auto key = std::make_pair(f.call, f.arm);
    auto it = merged.find(key);
    if (it == merged.end()) {
      it = merged.emplace(key, f).first;
      order.push_back(key);
    } else {
      if (it->second.outcome != f.outcome) it->second.outcome += " / " + f.outcome;
      it->second.us.insert(it->second.us.end(), f.us.begin(), f.us.end());
    }
    it->second.pass_medians.push_back(median(f.us));
  }
  if (o.rows) {
    auto row = [](const std::string& what, const std::string& value, const std::string& note) {
      std::printf("| s | %s | %s | %s |\n", what.c_str(), value.c_str(), note.c_str());
    };
    for (Target target : targets) {
      row("connect() to a " + std::string(to_string(target)) + ", no program, ns",
          fmt("%.0f", median(series(target, "none"))),
          "median of " + std::to_string(o.rounds) + " rotated rounds of " + std::to_string(o.connects));
      for (FilterCase& c : cases) {
        const auto& b = series(target, c.packet_only->name());
        const auto& s = series(target, c.with_sockets->name());
        row("connect() to a " + std::string(to_string(target)) + ", " + c.label + ": packet / + socket programs, ns",
            fmt("%.0f", median(b)) + " / " + fmt("%.0f", median(s)),
            "socket programs' cost **" + fmt("%+.0f", median(per_round(s, b, false))) + " ns** (" +
                fmt("%.3f", median(per_round(s, b, true))) + "x; per-round " + range(per_round(s, b, false), "%+.0f") +
                ")");
      }
    }
    for (const auto& key : order) {
      const FailRow& f = merged.at(key);
      row("time to fail: " + f.call + ", " + f.arm + ", µs", fmt("%.1f", median(f.us)),
          f.outcome + " (p90 " + fmt("%.1f", quantile(f.us, 0.9)) + ", " + std::to_string(f.us.size()) + " calls)");
    }
    for (std::size_t f = 0; f < cases.size(); ++f) {
      std::vector<double> a, w, r;
      for (std::size_t i = 0; i < shapes.size(); ++i) {
        a.push_back(median(per_packet[f].alone[i]));
        w.push_back(median(per_packet[f].with[i]));
        r.push_back(median(per_round(per_packet[f].with[i], per_packet[f].alone[i], true)));
      }
      double sa = 0, sw = 0;
      for (std::size_t i = 0; i < shapes.size(); ++i) sa += a[i], sw += w[i];
      const bool same = cases[f].packet_object.bytes == cases[f].packet_object_after.bytes &&
                        cases[f].packet_object.bytes == cases[f].packet_object_sockets_arm.bytes;
      row("packet program per packet, " + cases[f].label + ", without / with socket programs, ns (mean of " +
              std::to_string(shapes.size()) + " shapes)",
          fmt("%.2f", sa / static_cast<double>(shapes.size())) + " / " +
              fmt("%.2f", sw / static_cast<double>(shapes.size())),
          "per-shape ratios " + range(r, "%.3f") + "; object " + std::to_string(cases[f].packet_object.bytes.size()) +
              " B, " + (same ? "identical" : "**differs**"));
    }
    for (const KernelStat& k : kernel_stats)
      row("BPF_ENABLE_STATS: " + k.program + " in " + k.arm + ", ns per run", fmt("%.1f", k.ns_per_run),
          fmt("%.2f", k.runs_per_connect) + " runs per connect");
    return 0;
  }

  std::printf("bpffw-bench-sockets, %s, %.1f min, %ld CPUs (%s), kernel %s, load average before %s, after %s; %s\n\n",
              started, minutes, ::sysconf(_SC_NPROCESSORS_ONLN), cpu.c_str(), host.release, load_before.c_str(),
              load_after.c_str(), o.cpu >= 0 ? ("everything on CPU " + std::to_string(o.cpu)).c_str() : "not pinned");
  std::printf(
      "Ports on 127.0.0.1: L = %u (listener, accepts), C = %u (closed), D = %u (listener, refused by both "
      "filters).\nsmall = `%s`\nrules %d = %d terms `(tcp && dst_port == P && dst_addr == A) || ...`, the last "
      "two for L and C.\n\n",
      listen_port, closed_port, denied_port, cases[0].text.c_str(), o.terms, o.terms);

  auto part1_table = [&](const std::map<std::pair<int, std::string>, std::vector<double>>& values) {
    auto get = [&](Target target, const std::string& arm) { return values.at({static_cast<int>(target), arm}); };
    std::printf(
        "| target | no program (a) | filter | packet program (b) | + socket programs (c) | (c) − (b), ns | (c) ÷ "
        "(b) | (b) − (a), ns |\n|---|---:|---|---:|---:|---:|---:|---:|\n");
    for (Target target : targets)
      for (FilterCase& c : cases) {
        const auto a = get(target, "none");
        const auto b = get(target, c.packet_only->name());
        const auto s = get(target, c.with_sockets->name());
        std::printf("| %s | %.0f | %s | %.0f | %.0f | **%+.0f** (%s) | %.3f (%s) | %+.0f (%s) |\n", to_string(target),
                    median(a), c.label.c_str(), median(b), median(s), median(per_round(s, b, false)),
                    range(per_round(s, b, false), "%+.0f").c_str(), median(per_round(s, b, true)),
                    range(per_round(s, b, true), "%.3f").c_str(), median(per_round(b, a, false)),
                    range(per_round(b, a, false), "%+.0f").c_str());
      }
  };
  std::printf(
      "### 1. ns per connect (socket + connect + close), %d rounds of %d per cgroup and target, order rotated per "
      "round\n\nThe median iteration of each run; medians over rounds. (c) − (b), (c) ÷ (b) and (b) − (a): medians of "
      "the per-round values, their range over rounds in parentheses.\n\n",
      o.rounds, o.connects);
  part1_table(ns);
  std::printf("\nThe same with each run's mean (every iteration, also those that waited for the CPU):\n\n");
  part1_table(ns_mean);
  std::printf(
      "\nConnects ending otherwise than expected: %.0f%s; iterations slower than 1 ms: %.0f of %.0f; slowest: %.0f "
      "µs.\n",
      unexpected_total, unexpected_what.empty() ? "" : (" (first: " + unexpected_what + ")").c_str(), stalls_total,
      2.0 * static_cast<double>(arms.size()) * o.rounds * o.connects, slowest_us);
  std::printf("\nPer round (the median iteration, ns):\n\n| target | cgroup |");
  for (int r = 0; r < o.rounds; ++r) std::printf(" %d |", r + 1);
  std::printf("\n|---|---|");
  for (int r = 0; r < o.rounds; ++r) std::printf("---:|");
  std::printf("\n");
  for (Target target : targets)
    for (Arm* arm : arms) {
      std::printf("| %s | %s |", target == Target::Refused ? "C" : "L", arm->name().c_str());
      for (double v : series(target, arm->name())) std::printf(" %.0f |", v);
      std::printf("\n");
    }

  std::printf("\n### 2. Time to fail (and to succeed), µs per call from a new socket, both passes together\n\n");
  std::printf(
      "| call | cgroup | outcome | median | p10–p90 | max | calls | median per pass "
      "|\n|---|---|---|---:|---:|---:|---:|---:|\n");
  for (const auto& key : order) {
    const FailRow& f = merged.at(key);
    const double mx = *std::max_element(f.us.begin(), f.us.end());
    std::string passes;
    for (double m : f.pass_medians) passes += (passes.empty() ? "" : ", ") + fmt("%.1f", m);
    std::printf("| %s | %s | %s | %.1f | %.1f–%.1f | %.1f | %zu | %s |\n", f.call.c_str(), f.arm.c_str(),
                f.outcome.c_str(), median(f.us), quantile(f.us, 0.1), quantile(f.us, 0.9), mx, f.us.size(),
                passes.c_str());
  }

  std::printf("\n### 3. The packet program per packet (BPF_PROG_TEST_RUN, repeat %u), median of %d rounds\n\n", kRepeat,
              o.test_run_rounds);
  std::printf(
      "| filter | packet | verdict | without socket programs, ns | with, ns | with ÷ without (per-round "
      "median, range) |\n|---|---|---|---:|---:|---:|\n");
  for (std::size_t f = 0; f < cases.size(); ++f)
    for (std::size_t i = 0; i < shapes.size(); ++i) {
      const auto& a = per_packet[f].alone[i];
      const auto& w = per_packet[f].with[i];
      std::string verdict = per_packet[f].verdicts_alone[i] == per_packet[f].verdicts_with[i]
                                ? (per_packet[f].verdicts_alone[i] ? "pass" : "drop")
                                : "**differ**";
      std::printf("| %s | %s | %s | %.2f | %.2f | %.3f (%s) |\n", cases[f].label.c_str(), shapes[i].name.c_str(),
                  verdict.c_str(), median(a), median(w), median(per_round(w, a, true)),
                  range(per_round(w, a, true), "%.3f").c_str());
    }
  std::printf(
      "\n| filter | packet object, bytes | compile() before = after compile_socket_programs | = the object in the "
      "cgroup with socket programs | packet program | socket programs (one object) |\n|---|---:|---|---|---|---|\n");
  for (FilterCase& c : cases) {
    std::string sockets;
    for (const bpffw::SocketProgram& s : c.with_sockets->sockets())
      sockets += std::string(sockets.empty() ? "" : "; ") + bpffw::to_string(s.hook) + " " + info_line(s.program);
    std::printf("| %s | %zu | %s | %s | %s | %zu B object: %s |\n", c.label.c_str(), c.packet_object.bytes.size(),
                c.packet_object.bytes == c.packet_object_after.bytes ? "identical" : "**differs**",
                c.packet_object.bytes == c.packet_object_sockets_arm.bytes ? "identical" : "**differs**",
                info_line(*c.packet_only->packet()).c_str(), c.socket_object.bytes.size(), sockets.c_str());
  }

  std::printf("\n### 4. The kernel's run-time statistics (BPF_ENABLE_STATS), %d connects to C per cgroup\n\n",
              o.connects);
  if (!stats_error.empty()) std::printf("Not available: %s\n", stats_error.c_str());
  else {
    std::printf("| cgroup | program | ns per run | runs per connect |\n|---|---|---:|---:|\n");
    for (const KernelStat& k : kernel_stats)
      std::printf("| %s | %s | %.1f | %.2f |\n", k.arm.c_str(), k.program.c_str(), k.ns_per_run, k.runs_per_connect);
  }
  return 0;
}
