// examples/mtu-filter under a pseudo-terminal (forkpty): real ping traffic from a process in a
// scratch cgroup; `-` below the ping's packet size makes the dropped count rise, `q` quits and
// leaves the filter pinned. The example attaches to the cgroup itself (-c).
#include <pty.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>
#include <poll.h>
#include <chrono>
#include <cstdio>
#include <regex>
#include <string>
#include <thread>

#include <doctest/doctest.h>

#include <bpffw/bpffw.hpp>

#include "e2e/processes.hpp"
#include "support/kernel_env.hpp"

namespace bpffw::test {
namespace {

struct Status {
  unsigned long long dropped = 0;
  unsigned long long forwarded = 0;
  long long mtu = -1;
};

// The example on the slave side of a pseudo-terminal; the test holds the master.
class PtyChild {
 public:
  explicit PtyChild(const std::vector<std::string>& args) {
    std::fflush(nullptr);
    pid_ = ::forkpty(&master_, nullptr, nullptr, nullptr);
    REQUIRE_MESSAGE(pid_ >= 0, "forkpty failed");
    if (pid_ == 0) {
      std::vector<char*> argv;
      for (const std::string& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
  }
  ~PtyChild() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (master_ >= 0) ::close(master_);
  }

  void press(char key) { REQUIRE(::write(master_, &key, 1) == 1); }

  // Reads what the example printed until `done(latest status)` or the timeout; the latest status.
  template <class Done>
  Status read_until(Done done, int timeout_ms = 10000) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    Status latest;
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd in{master_, POLLIN, 0};
      if (::poll(&in, 1, 100) > 0) {
        char buffer[4096];
        ssize_t n = ::read(master_, buffer, sizeof buffer);
        if (n <= 0) break;
        output_.append(buffer, static_cast<std::size_t>(n));
      }
      latest = last_status();
      if (done(latest)) return latest;
    }
    return latest;
  }

  // Waits for the example to exit; its exit code, or -1 after the timeout.
  int wait_exit(int timeout_ms = 5000) {
    int code = e2e::wait_child(pid_, timeout_ms);
    pid_ = -1;
    return code;
  }

  const std::string& output() const { return output_; }

 private:
  Status last_status() const {
    static const std::regex line(
        "cgroup dropped (\\d+) packets, forwarded (\\d+) packets, MTU is (-?\\d+) bytes \\(Press \\+/- to change, q to "
        "quit\\)");
    Status status;
    for (auto it = std::sregex_iterator(output_.begin(), output_.end(), line); it != std::sregex_iterator(); ++it) {
      status.dropped = std::stoull((*it)[1]);
      status.forwarded = std::stoull((*it)[2]);
      status.mtu = std::stoll((*it)[3]);
    }
    return status;
  }

  pid_t pid_ = -1;
  int master_ = -1;
  std::string output_;
};

pid_t start_ping(const std::string& cgroup) {
  const char* ping = ::access("/usr/bin/ping", X_OK) == 0 ? "/usr/bin/ping" : "/bin/ping";
  REQUIRE_MESSAGE(::access(ping, X_OK) == 0, "ping is missing: apt-get install iputils-ping");
  return e2e::spawn(cgroup, [ping] {
    int null = ::open("/dev/null", O_WRONLY);
    ::dup2(null, STDOUT_FILENO);
    ::dup2(null, STDERR_FILENO);
    // 56 bytes of data: 84-byte IPv4 packets, between the MTUs of 100 and 50 used below.
    ::execl(ping, "ping", "-4", "-n", "-i", "0.1", "-W", "1", "127.0.0.1", static_cast<char*>(nullptr));
    return 127;
  });
}

TEST_CASE("mtu-filter under a pseudo-terminal: minus below the ping size raises the dropped count, q quits") {
  require_root();
  ensure_bpffs();
  ScopedPinDir pins;
  e2e::ScratchCgroup cgroup;
  std::string pin = pins.file("mtu");
  pid_t ping = start_ping(cgroup.path());
  struct Reap {
    pid_t pid;
    ~Reap() {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
  } reap{ping};

  {
    PtyChild example({MTU_FILTER_PATH, "-m", "100", "-t", "ingress", "-c", cgroup.path(), pin});
    Status start = example.read_until([](const Status& s) { return s.forwarded >= 3; });
    INFO("output so far: " << example.output());
    REQUIRE(start.mtu == 100);
    REQUIRE(start.forwarded >= 3);
    unsigned long long dropped_before = start.dropped;

    example.press('-');
    Status lowered =
        example.read_until([&](const Status& s) { return s.mtu == 50 && s.dropped >= dropped_before + 3; });
    CHECK(lowered.mtu == 50);
    CHECK(lowered.dropped >= dropped_before + 3);

    example.press('+');
    example.press('+');
    Status raised = example.read_until([](const Status& s) { return s.mtu == 150; });
    CHECK(raised.mtu == 150);

    example.press('q');
    CHECK(example.wait_exit() == 0);
  }

  // The filter stays loaded and pinned, with the MTU it was left at and its counters.
  auto program = Program::open_pinned(pin);
  REQUIRE(program.has_value());
  auto parameters = read_parameters(*program);
  REQUIRE(parameters.has_value());
  CHECK(*parameters == std::vector<Parameter>{{"mtu", 150}});
  auto counters = read_counters(*program);
  REQUIRE(counters.has_value());
  CHECK(counters->dropped_packets >= 3);

  auto opened = Cgroup::open(cgroup.path());
  REQUIRE(opened.has_value());
  auto detached = detach_all_bpffw(*opened, Direction::Ingress);
  CHECK(detached.has_value());
}

TEST_CASE("mtu-filter refuses bad options with usage errors") {
  for (std::vector<std::string> args : {std::vector<std::string>{MTU_FILTER_PATH},
                                        std::vector<std::string>{MTU_FILTER_PATH, "-m", "big", "/sys/fs/bpf/x"},
                                        std::vector<std::string>{MTU_FILTER_PATH, "-t", "sideways", "/sys/fs/bpf/x"}}) {
    PtyChild example(args);
    example.read_until([](const Status&) { return false; });  // until it exits and the pty closes
    CHECK(example.wait_exit() == 2);
    CHECK(example.output().find("mtu-filter: error: ") != std::string::npos);
  }
}

}  // namespace
}  // namespace bpffw::test
