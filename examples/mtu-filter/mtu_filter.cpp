// mtu-filter: the seed's interactive MTU filter (standalone/load_and_control_filter), rebuilt on
// libbpffw. It loads `len <= mtu` with a runtime parameter `mtu`, pins it, optionally attaches it
// to a cgroup, and shows one live line of counters; + and - change the MTU by 50 in the loaded
// program (no reload), q quits. The filter stays pinned (and attached) after it exits, as in the seed.
//
//   mtu-filter [-m MTU] [-t ingress|egress] [-c CGROUP] PIN
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>

#include <poll.h>
#include <termios.h>
#include <unistd.h>

#include <bpffw/bpffw.hpp>

namespace {

constexpr std::int64_t kStep = 50;
volatile std::sig_atomic_t g_stop = 0;

void on_signal(int) { g_stop = 1; }

int fail(const bpffw::Error& error) {
  std::fprintf(stderr, "mtu-filter: error: %s\n", error.message.c_str());
  if (!error.hint.empty()) std::fprintf(stderr, "mtu-filter: hint: %s\n", error.hint.c_str());
  return bpffw::exit_code_for(error.kind);
}

int usage(const char* message) {
  std::fprintf(stderr, "mtu-filter: error: %s\nusage: mtu-filter [-m MTU] [-t ingress|egress] [-c CGROUP] PIN\n",
               message);
  return 2;
}

// Raw keys without echo while it runs; the terminal as it was when it ends, whatever the reason.
class RawTerminal {
 public:
  RawTerminal() {
    if (::tcgetattr(STDIN_FILENO, &saved_) != 0) return;  // not a terminal: keys still work from a pipe
    termios raw = saved_;
    raw.c_lflag &= ~static_cast<tcflag_t>(ICANON | ECHO);
    raw.c_cc[VMIN] = 0;
    raw.c_cc[VTIME] = 0;
    active_ = ::tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
  }
  ~RawTerminal() {
    if (active_) ::tcsetattr(STDIN_FILENO, TCSANOW, &saved_);
  }
  RawTerminal(const RawTerminal&) = delete;
  RawTerminal& operator=(const RawTerminal&) = delete;

 private:
  termios saved_{};
  bool active_ = false;
};

struct Options {
  std::optional<std::int64_t> mtu;
  bpffw::Direction direction = bpffw::Direction::Ingress;
  std::optional<std::string> cgroup;
  std::string pin;
};

// The MTU to start with: -m, else the value in a filter this program pinned there before, else 1500.
std::int64_t initial_mtu(const Options& options, const std::optional<bpffw::Program>& previous) {
  if (options.mtu) return *options.mtu;
  if (previous) {
    if (auto parameters = bpffw::read_parameters(*previous)) {
      for (const bpffw::Parameter& parameter : *parameters)
        if (parameter.name == "mtu") return parameter.value;
    }
  }
  return 1500;
}

void print_status(const bpffw::Program& program, std::int64_t mtu) {
  auto counters = bpffw::read_counters(program);
  if (!counters) return;
  // \r and "erase line": one line, redrawn in place.
  std::printf(
      "\r\033[Kcgroup dropped %llu packets, forwarded %llu packets, MTU is %lld bytes "
      "(Press +/- to change, q to quit)",
      static_cast<unsigned long long>(counters->dropped_packets),
      static_cast<unsigned long long>(counters->passed_packets), static_cast<long long>(mtu));
  std::fflush(stdout);
}

int run(const Options& options) {
  // A filter left at PIN by an earlier run is replaced, and its counters carry on.
  std::optional<bpffw::Program> previous;
  if (auto old = bpffw::Program::open_pinned(options.pin)) previous.emplace(std::move(*old));
  std::int64_t mtu = initial_mtu(options, previous);

  bpffw::ParseOptions parse_options;
  parse_options.parameters = {{"mtu", mtu}};
  auto filter = bpffw::Filter::parse("len <= mtu", parse_options);
  if (!filter) return fail(filter.error());
  auto object = bpffw::compile(*filter);
  if (!object) return fail(object.error());
  bpffw::LoadOptions load_options;
  if (previous) load_options.keep_counters_of = &*previous;
  auto program = bpffw::Program::load(*object, load_options);
  if (!program) return fail(program.error());
  if (options.cgroup) {
    auto cgroup = bpffw::Cgroup::open(*options.cgroup);
    if (!cgroup) return fail(cgroup.error());
    if (auto attached = bpffw::attach(*program, *cgroup, options.direction); !attached) return fail(attached.error());
  }
  auto pinned = program->pin(options.pin, bpffw::PinMode::Replace);
  if (!pinned) return fail(pinned.error());

  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  RawTerminal terminal;
  while (!g_stop) {
    print_status(*program, mtu);
    pollfd keys{STDIN_FILENO, POLLIN, 0};
    int ready = ::poll(&keys, 1, 250);  // redraw at least four times a second
    if (ready <= 0) continue;
    char key = 0;
    ssize_t n = ::read(STDIN_FILENO, &key, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0 || key == 'q' || key == 'Q') break;  // q, or the end of the input (a hangup)
    std::int64_t wanted = key == '+' ? mtu + kStep : key == '-' ? mtu - kStep : mtu;
    if (wanted < 0) wanted = 0;
    if (wanted == mtu) continue;
    if (auto set = bpffw::set_parameters(*program, {{"mtu", wanted}}); !set) return fail(set.error());
    mtu = wanted;
  }
  print_status(*program, mtu);
  std::printf("\n");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  int option;
  while ((option = ::getopt(argc, argv, "m:t:c:h")) != -1) {
    switch (option) {
      case 'm': {
        auto mtu = bpffw::parse_parameter_value(optarg);
        if (!mtu || *mtu < 0) return usage("-m wants a number of bytes, e.g. -m 1500");
        options.mtu = *mtu;
        break;
      }
      case 't': {
        auto direction = bpffw::parse_direction(optarg);
        if (!direction) return usage("-t wants ingress or egress");
        options.direction = *direction;
        break;
      }
      case 'c': options.cgroup = optarg; break;
      case 'h': std::printf("usage: mtu-filter [-m MTU] [-t ingress|egress] [-c CGROUP] PIN\n"); return 0;
      default: return usage("unknown option");
    }
  }
  if (optind != argc - 1) return usage("give exactly one PIN, e.g. /sys/fs/bpf/mtu");
  options.pin = argv[optind];
  return run(options);
}
