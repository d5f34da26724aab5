#include "flows.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <optional>
#include <vector>

#include <bpffw/bpffw.hpp>

#include "judge.hpp"
#include "random/random_flow.hpp"

namespace bpffw::difftest {
namespace {

// One call the worker makes on a new socket: TCP connect(), UDP connect() then send(), or UDP
// sendto(), to `address` (AF_INET: its first 4 bytes) and `port`. Plain data: it crosses to the
// worker as bytes.
struct Call {
  int family = AF_INET;
  std::uint8_t protocol = 6;
  bool connected = true;
  bool bind = false;  // bind() to address and port instead
  std::array<std::uint8_t, 16> address{};
  std::uint16_t port = 0;
};

Call call_for(const Binding& binding) {
  return Call{binding.ipv6 ? AF_INET6 : AF_INET, binding.protocol, false, true, binding.local_addr, binding.local_port};
}

Binding binding_of(const Call& call) {
  return Binding{call.family == AF_INET6, call.protocol, call.address, call.port};
}

bool is_v4_mapped(const std::array<std::uint8_t, 16>& address) {
  static constexpr std::uint8_t kPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  return std::equal(std::begin(kPrefix), std::end(kPrefix), address.begin());
}

// How a flow is made: IPv6 flows and one IPv4 flow in three on an AF_INET6 socket, the latter to
// the IPv4-mapped address.
Call call_for(random::Rng& rng, const Flow& flow) {
  Call call{flow.ipv6 ? AF_INET6 : AF_INET, flow.protocol, flow.connected, false, flow.remote_addr, flow.remote_port};
  if (!flow.ipv6 && rng.chance(1, 3)) {
    call.family = AF_INET6;
    call.address = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    std::copy_n(flow.remote_addr.begin(), 4, call.address.begin() + 12);
  }
  return call;
}

// The flow a socket hook sees of the call: an IPv4-mapped destination is IPv4 (§10), also when the
// random IPv6 address happens to be one.
Flow flow_at_hook(const Call& call) {
  Flow flow;
  flow.connected = call.connected;
  flow.protocol = call.protocol;
  flow.remote_port = call.port;
  flow.ipv6 = call.family == AF_INET6 && !is_v4_mapped(call.address);
  flow.remote_addr = call.address;
  if (call.family == AF_INET6 && !flow.ipv6) {
    flow.remote_addr = {};
    std::copy_n(call.address.begin() + 12, 4, flow.remote_addr.begin());
  }
  return flow;
}

// The flow as its packets carry it: from an unbound socket (the worker's are) the kernel sends to
// an unspecified destination (0.0.0.0, ::, ::ffff:0.0.0.0) on the loopback address of the family
// (ip_route_connect, tcp_v6_connect, udpv6_sendmsg), after the hooks have seen the unspecified one.
Flow flow_on_wire(const Flow& at_hook) {
  Flow flow = at_hook;
  if (std::all_of(flow.remote_addr.begin(), flow.remote_addr.end(), [](std::uint8_t byte) { return byte == 0; })) {
    if (flow.ipv6) flow.remote_addr[15] = 1;
    else flow.remote_addr = {127, 0, 0, 1};
  }
  return flow;
}

std::string address_text(int family, const std::array<std::uint8_t, 16>& address) {
  char text[INET6_ADDRSTRLEN];
  ::inet_ntop(family, address.data(), text, sizeof text);
  return text;
}

// "udp connect() then send() on an AF_INET6 socket to [::ffff:10.0.0.1]:53"
std::string describe_call(const Call& call) {
  const char* how = call.bind            ? (call.protocol == 6 ? "tcp bind()" : "udp bind()")
                    : call.protocol == 6 ? "tcp connect()"
                    : call.connected     ? "udp connect() then send()"
                                         : "udp sendto()";
  const bool v6 = call.family == AF_INET6;
  const std::string address = address_text(call.family, call.address);
  return std::string(how) + " on an " + (v6 ? "AF_INET6" : "AF_INET") + " socket to " +
         (v6 ? "[" + address + "]" : address) + ":" + std::to_string(call.port);
}

// "ipv4 udp unconnected, remote 10.0.0.1 port 53"
std::string describe_flow(const Flow& flow) {
  return std::string(flow.ipv6 ? "ipv6" : "ipv4") + (flow.protocol == 6 ? " tcp" : " udp") +
         (flow.connected ? " connected" : " unconnected") + ", remote " +
         address_text(flow.ipv6 ? AF_INET6 : AF_INET, flow.remote_addr) + " port " + std::to_string(flow.remote_port);
}

// In the worker: the call on a new non-blocking socket (nothing waits: a connect() in progress is
// EINPROGRESS). Its errno, 0 on success; minus errno when there is no socket.
int make_call(const Call& call) {
  sockaddr_storage to{};
  socklen_t length = 0;
  if (call.family == AF_INET) {
    auto* in = reinterpret_cast<sockaddr_in*>(&to);
    in->sin_family = AF_INET;
    in->sin_port = htons(call.port);
    std::memcpy(&in->sin_addr, call.address.data(), 4);
    length = sizeof *in;
  } else {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&to);
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(call.port);
    std::memcpy(&in6->sin6_addr, call.address.data(), 16);
    length = sizeof *in6;
  }
  const int type = (call.protocol == 6 ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC | SOCK_NONBLOCK;
  const int fd = ::socket(call.family, type, 0);
  if (fd < 0) return -errno;
  const char byte = 'x';
  const auto* address = reinterpret_cast<const sockaddr*>(&to);
  int rc = 0;
  if (call.bind) {
    rc = ::bind(fd, address, length);
  } else if (call.connected) {
    rc = ::connect(fd, address, length);
    if (rc == 0 && call.protocol == 17) rc = ::send(fd, &byte, 1, 0) == 1 ? 0 : -1;
  } else {
    rc = ::sendto(fd, &byte, 1, 0, address, length) == 1 ? 0 : -1;
  }
  const int error = rc == 0 ? 0 : errno;
  ::close(fd);
  return error;
}

bool read_all(int fd, void* data, std::size_t size) {
  auto* bytes = static_cast<char*>(data);
  while (size > 0) {
    const ssize_t n = ::read(fd, bytes, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

bool write_all(int fd, const void* data, std::size_t size) {
  const auto* bytes = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t n = ::send(fd, bytes, size, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

// What the worker reports once set up: the step that failed (0: none) and its errno.
struct WorkerStart {
  int step = 0;
  int error = 0;
};
constexpr const char* kWorkerSteps[] = {"", "joining the scratch cgroup", "unshare(CLONE_NEWNET)", "bringing lo up"};

// The worker's life: into the cgroup, into a network namespace of its own with `lo` up, then
// batches of calls (a count, the calls) answered with their errnos, until the parent hangs up.
int serve(int fd, const std::string& cgroup) {
  WorkerStart start;
  const int procs = ::open((cgroup + "/cgroup.procs").c_str(), O_WRONLY | O_CLOEXEC);
  if (procs < 0 || ::write(procs, "0\n", 2) != 2) start = {1, errno};
  if (procs >= 0) ::close(procs);
  if (start.step == 0 && ::unshare(CLONE_NEWNET) != 0) start = {2, errno};
  if (start.step == 0) {
    ifreq request{};
    std::strncpy(request.ifr_name, "lo", IFNAMSIZ - 1);
    const int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0 || ::ioctl(s, SIOCGIFFLAGS, &request) != 0) start = {3, errno};
    request.ifr_flags |= IFF_UP;
    if (start.step == 0 && ::ioctl(s, SIOCSIFFLAGS, &request) != 0) start = {3, errno};
    if (s >= 0) ::close(s);
  }
  if (!write_all(fd, &start, sizeof start) || start.step != 0) return 1;
  for (;;) {
    std::uint32_t count = 0;
    if (!read_all(fd, &count, sizeof count)) return 0;  // the parent is done
    std::vector<Call> calls(count);
    if (!read_all(fd, calls.data(), count * sizeof(Call))) return 1;
    std::vector<int> errors;
    for (const Call& call : calls) errors.push_back(make_call(call));
    if (!write_all(fd, errors.data(), errors.size() * sizeof(int))) return 1;
  }
}

// A scratch cgroup <cgroup2 mount>/bpffw-difftest-flows-<pid> with the worker in it; the worker
// exits and the cgroup is removed when it goes.
class FlowLab {
 public:
  FlowLab() = default;
  FlowLab(const FlowLab&) = delete;
  FlowLab& operator=(const FlowLab&) = delete;
  ~FlowLab() {
    if (fd_ >= 0) ::close(fd_);  // the worker reads the end and exits
    if (pid_ > 0) {
      int status = 0;
      while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {}
    }
    if (cgroup_)
      for (Direction direction : {Direction::Egress, Direction::Ingress})
        (void)detach_bpffw_socket_programs(*cgroup_, direction);
    programs_.clear();
    cgroup_.reset();
    if (!path_.empty()) ::rmdir(path_.c_str());
  }

  Result<void> start() {
    Result<std::string> mount = find_cgroup2_mount();
    if (!mount) return tl::unexpected(mount.error());
    const std::string path = *mount + "/bpffw-difftest-flows-" + std::to_string(::getpid());
    if (::mkdir(path.c_str(), 0755) != 0) {
      const int error = errno;
      return make_error(error == EACCES || error == EPERM ? ErrorKind::Permission : ErrorKind::System,
                        "cannot create the scratch cgroup " + path + ": " + std::strerror(error), error,
                        "--flows needs root");
    }
    path_ = path;
    Result<Cgroup> cgroup = Cgroup::open(path_);
    if (!cgroup) return tl::unexpected(cgroup.error());
    cgroup_.emplace(std::move(*cgroup));
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
      return make_error(ErrorKind::System, std::string("socketpair: ") + std::strerror(errno), errno);
    std::fflush(nullptr);
    pid_ = ::fork();
    if (pid_ < 0) return make_error(ErrorKind::System, std::string("fork: ") + std::strerror(errno), errno);
    if (pid_ == 0) {
      ::close(fds[0]);
      ::_exit(serve(fds[1], path_));
    }
    ::close(fds[1]);
    fd_ = fds[0];
    WorkerStart started;
    if (!read_all(fd_, &started, sizeof started))
      return make_error(ErrorKind::System, "the flow worker died before it was set up");
    if (started.step != 0) {
      return make_error(
          started.error == EPERM ? ErrorKind::Permission : ErrorKind::System,
          std::string("the flow worker failed ") + kWorkerSteps[started.step] + ": " + std::strerror(started.error),
          started.error);
    }
    return {};
  }

  // Attaches these socket programs in place of the last ones.
  Result<void> attach_only(std::vector<SocketProgram> programs) {
    for (Direction direction : {Direction::Egress, Direction::Ingress}) {
      Result<std::size_t> detached = detach_bpffw_socket_programs(*cgroup_, direction);
      if (!detached) return tl::unexpected(detached.error());
    }
    programs_ = std::move(programs);
    return attach(programs_, *cgroup_);
  }

  // The errno of each call (0: it worked).
  Result<std::vector<int>> make(const std::vector<Call>& calls) {
    const auto count = static_cast<std::uint32_t>(calls.size());
    std::vector<int> errors(calls.size());
    if (!write_all(fd_, &count, sizeof count) || !write_all(fd_, calls.data(), count * sizeof(Call)) ||
        !read_all(fd_, errors.data(), errors.size() * sizeof(int)))
      return make_error(ErrorKind::System, "the flow worker died");
    for (std::size_t i = 0; i < calls.size(); ++i)
      if (errors[i] < 0)
        return make_error(ErrorKind::System, "the flow worker cannot make a socket for " + describe_call(calls[i]) +
                                                 ": " + std::strerror(-errors[i]));
    return errors;
  }

 private:
  std::string path_;
  std::optional<Cgroup> cgroup_;
  pid_t pid_ = -1;
  int fd_ = -1;
  std::vector<SocketProgram> programs_;
};

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

const char* refusal_word(bool refused) { return refused ? "refuses" : "allows"; }

// The filter's socket programs, loaded beside its packet program; none when compile_socket_programs
// finds nothing to refuse. An error says which step failed: any is a bpffw bug (§8, §10).
struct Loaded {
  std::optional<Program> packet_program;
  std::vector<SocketProgram> socket_programs;
};
Result<Loaded> load_socket_programs(const Result<Filter>& filter) {
  auto failed = [](const char* step, Error error) {
    error.message = std::string(step) + ": " + error.message;
    return tl::unexpected(std::move(error));
  };
  if (!filter) return failed("it does not parse", filter.error());
  Result<std::optional<ObjectFile>> socket_object = compile_socket_programs(*filter);
  if (!socket_object) return failed("its socket programs do not compile", socket_object.error());
  Loaded loaded;
  if (!socket_object->has_value()) return loaded;
  Result<ObjectFile> object = compile(*filter);
  if (!object) return failed("its packet program does not compile", object.error());
  Result<Program> packet_program = Program::load(*object);
  if (!packet_program) return failed("its packet program does not load", packet_program.error());
  loaded.packet_program.emplace(std::move(*packet_program));
  Result<std::vector<SocketProgram>> programs = Program::load_socket_programs(**socket_object, *loaded.packet_program);
  if (!programs) return failed("its socket programs do not load", programs.error());
  loaded.socket_programs = std::move(*programs);
  return loaded;
}

// What the calls of one kind are judged by: connect() and sends (an egress filter's socket
// programs, judge_flow, their first packets) or bind() (an ingress filter's, judge_binding, the
// packets that could reach the socket).
struct CallKind {
  Direction direction;
  const char* judge_name;
  const char* packets;  // what the interpreter judges of a refused call
  std::function<bool(const Filter&, const Call&)> judge;
  std::function<packet::Packet(random::Rng&, const Call&)> packet_of;
  std::function<std::string(const Call&)> describe;
};

const CallKind kFlows{
    Direction::Egress,
    "judge_flow",
    "this first packet of it",
    [](const Filter& filter, const Call& call) { return judge_flow(filter, flow_at_hook(call)).refuse; },
    [](random::Rng& rng, const Call& call) { return random::random_packet_of(rng, flow_on_wire(flow_at_hook(call))); },
    [](const Call& call) { return "flow: " + describe_flow(flow_at_hook(call)); }};
const CallKind kBindings{
    Direction::Ingress,
    "judge_binding",
    "this packet to it",
    [](const Filter& filter, const Call& call) { return judge_binding(filter, binding_of(call)).refuse; },
    [](random::Rng& rng, const Call& call) { return random::random_packet_to(rng, binding_of(call)); },
    [](const Call&) { return std::string(); }};

}  // namespace

Result<FlowsStats> run_flows(const FlowsOptions& options, const LineSink& out) {
  const auto start = std::chrono::steady_clock::now();
  FlowLab lab;
  if (Result<void> started = lab.start(); !started) return tl::unexpected(started.error());
  random::Rng rng(options.seed);
  random::RandomFilterOptions filter_options = options.filter_options;
  filter_options.directional = true;
  const unsigned per_filter = std::max(1u, options.flows_per_filter);
  const unsigned per_flow = std::max(1u, options.packets_per_flow);
  // Refusals in fewer than one flow in 20 fail the run: no need to go on past the flows that would
  // have given the pairs with that many.
  const std::uint64_t most_flows = options.pairs * 20 / per_flow + per_filter;
  FlowsStats stats;
  // Failures shown in full so far, mismatches and violations each up to max_reports.
  unsigned mismatches_shown = 0, violations_shown = 0;
  auto report = [&](unsigned& shown, const std::string& what, const std::vector<std::string>& details) {
    if (shown++ >= options.max_reports) return;
    out(what);
    for (const std::string& detail : details) out("  " + detail);
  };
  // The filter's calls of one kind: in the kernel against the judge, each refused one's random
  // packets against the interpreter.
  auto check = [&](const CallKind& kind, const std::string& text, const std::string& where,
                   const std::vector<Call>& calls) -> Result<void> {
    const bool bindings = kind.direction == Direction::Ingress;
    (bindings ? stats.bindings : stats.flows) += calls.size();
    Result<Filter> filter = Filter::parse(text, {.direction = kind.direction});
    Result<Loaded> loaded = load_socket_programs(filter);
    if (!loaded) {
      if (loaded.error().kind == ErrorKind::Permission) return tl::unexpected(loaded.error());
      // Every filter that parses must compile and load (§8), and so must its socket programs (§10):
      // its calls count as mismatches.
      ++stats.unloadable;
      stats.mismatches += calls.size();
      std::vector<std::string> details = {"filter: " + text + " (" + to_string(kind.direction) + ")"};
      if (const std::string& log = loaded.error().verifier_log; !log.empty())
        details.insert(details.begin(), "verifier: " + log.substr(0, log.find('\n')));
      report(mismatches_shown, where + ": " + loaded.error().message, details);
      return {};
    }
    if (Result<void> attached = lab.attach_only(std::move(loaded->socket_programs)); !attached)
      return tl::unexpected(attached.error());
    Result<std::vector<int>> errors = lab.make(calls);
    if (!errors) return tl::unexpected(errors.error());
    for (std::size_t k = 0; k < calls.size(); ++k) {
      const Call& call = calls[k];
      // A datagram to port 0 is refused (EINVAL) before the sendmsg hooks run: no flow to judge.
      if (!call.bind && !call.connected && call.port == 0 && (*errors)[k] == EINVAL) {
        ++stats.to_port_0;
        continue;
      }
      const bool refused = (*errors)[k] == EPERM;
      const bool judged = kind.judge(*filter, call);
      (bindings ? stats.binding_refusals : stats.refusals) += refused;
      const std::string which = where + (bindings ? ", bind #" : ", flow #") + std::to_string(k);
      std::vector<std::string> details = {"call: " + describe_call(call)};
      if (std::string flow = kind.describe(call); !flow.empty()) details.push_back(flow);
      details.push_back("filter: " + text + " (" + to_string(kind.direction) + ")");
      if (refused != judged) {
        ++stats.mismatches;
        report(mismatches_shown,
               "mismatch #" + std::to_string(stats.mismatches) + " (" + which + "): the kernel " +
                   refusal_word(refused) + " (" + ((*errors)[k] == 0 ? "success" : std::strerror((*errors)[k])) +
                   "), " + kind.judge_name + " " + refusal_word(judged),
               details);
      }
      if (!refused) continue;
      // Sound: refusing changes no outcome only if the filter drops every packet judged.
      const std::uint64_t first_violation = stats.violations;
      for (unsigned p = 0; p < per_flow; ++p) {
        const packet::Packet packet = kind.packet_of(rng, call);
        ++stats.pairs;
        if (!interpret(*filter, packet.skb_protocol(), packet.bytes, packet.packet_socket()).pass) continue;
        // Shown once per call: its other packets say little more.
        if (stats.violations++ > first_violation) continue;
        std::vector<std::string> shown = details;
        shown.insert(shown.end() - 1, "packet: " + describe_packet_hex(packet));
        report(violations_shown,
               "violation #" + std::to_string(stats.violations) + " (" + which + ", packet #" + std::to_string(p) +
                   "): the kernel refuses the call, the interpreter passes " + kind.packets,
               shown);
      }
    }
    return {};
  };
  while (stats.pairs < options.pairs && stats.flows < most_flows) {
    const std::uint64_t filter_index = stats.filters++;
    const std::string text = random::random_filter(rng, filter_options);
    const std::string where = "seed " + std::to_string(options.seed) + ", filter #" + std::to_string(filter_index);
    std::vector<Call> flows, binds;
    for (unsigned k = 0; k < per_filter; ++k) flows.push_back(call_for(rng, random::random_flow(rng)));
    // The same text as an ingress filter, with --refuse-bind's programs: a bind() for every other flow.
    for (unsigned k = 0; k < (per_filter + 1) / 2; ++k) binds.push_back(call_for(random::random_binding(rng)));
    if (Result<void> checked = check(kFlows, text, where, flows); !checked) return tl::unexpected(checked.error());
    if (Result<void> checked = check(kBindings, text, where, binds); !checked) return tl::unexpected(checked.error());
  }
  stats.seconds = seconds_since(start);
  return stats;
}

}  // namespace bpffw::difftest
