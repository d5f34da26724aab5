// bpffwc test --pcap (issue 31, item 2) against the live program: real TCP, UDP and ICMP traffic of
// both families reaches a scratch cgroup through an ingress filter while tcpdump captures it on
// loopback; the capture replayed with the same filter gives what the live program counted, packet
// for packet and byte for byte.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <regex>
#include <string>
#include <thread>

#include "e2e/log_follower.hpp"
#include "e2e/processes.hpp"
#include "e2e/traffic.hpp"
#include "support/kernel_env.hpp"

using namespace bpffw::e2e;

namespace {

// tcpdump -i lo writing `path` the packets `expression` selects, until it goes.
class Capture {
 public:
  Capture(const std::string& path, const std::string& expression) : path_(path) {
    const char* tcpdump = "/usr/bin/tcpdump";
    REQUIRE_MESSAGE(::access(tcpdump, X_OK) == 0, "tcpdump is missing: apt-get install tcpdump");
    pid_ = spawn("", [&] {
      const int null = ::open("/dev/null", O_WRONLY);
      ::dup2(null, STDOUT_FILENO);
      ::dup2(null, STDERR_FILENO);
      // -Z root: the file stays root's; --immediate-mode and -U: each packet read and written as it
      // comes (else the last second's may still be in the kernel's buffer when it stops).
      ::execl(tcpdump, "tcpdump", "-i", "lo", "-n", "--immediate-mode", "-U", "-Z", "root", "-w", path_.c_str(),
              expression.c_str(), static_cast<char*>(nullptr));
      return 127;
    });
    // The file header is written once the capture is running.
    struct stat st{};
    for (int i = 0; i < 100 && !(::stat(path_.c_str(), &st) == 0 && st.st_size >= 24); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    REQUIRE_MESSAGE(st.st_size >= 24, "tcpdump did not start capturing on lo");
  }
  ~Capture() { stop(); }
  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    wait_child(pid_);
    pid_ = -1;
  }

 private:
  std::string path_;
  pid_t pid_ = -1;
};

// The number after "key": in a JSON text, from `from` on.
std::uint64_t json_number(const std::string& json, const std::string& key, std::size_t from = 0) {
  std::size_t at = json.find("\"" + key + "\":", from);
  REQUIRE_MESSAGE(at != std::string::npos, key << " is not in " << json);
  return std::stoull(json.substr(at + key.size() + 3));
}

}  // namespace

TEST_CASE("test --pcap: a capture of live traffic replayed gives what the live program counted, packet for packet") {
  bpffw::test::require_root();
  bpffw::test::ensure_bpffs();
  bpffw::test::ScopedPinDir pins;
  ScratchCgroup cgroup;
  const std::uint16_t tcp_port = free_port(), open_udp = free_port(), closed_udp = free_port();
  const std::string pin = pins.file("replayed");
  const std::string filter = "!(udp && dst_port == " + std::to_string(closed_udp) + ")";
  RunResult attached = run_bpffwc({"--attach", cgroup.path(), "-t", "ingress", "-o", pin, filter});
  REQUIRE_MESSAGE(attached.exit_code == 0, describe(attached));

  // What reaches the cgroup's sockets: TCP and UDP to its servers, echo replies to its pings.
  const std::string capture = output_file("replay.pcap");
  const std::string selected = "tcp dst port " + std::to_string(tcp_port) + " or udp dst port " +
                               std::to_string(open_udp) + " or udp dst port " + std::to_string(closed_udp) +
                               " or icmp[icmptype] == icmp-echoreply or (icmp6 and ip6[40] == 129)";
  {
    Capture capturing(capture, selected);
    const Sides into{"", cgroup.path()};
    for (Family family : {Family::V4, Family::V6}) {
      CHECK(tcp_conversation(family, tcp_port, into));
      CHECK(udp_exchange(family, open_udp, into));
      CHECK_FALSE(udp_exchange(family, closed_udp, into));
      CHECK(ping_replies(family, cgroup.path()));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the last packets are written
    capturing.stop();
  }
  RunResult live = run_bpffwc({"stats", pin, "--json"});
  REQUIRE_MESSAGE(live.exit_code == 0, describe(live));
  RunResult replayed = run_bpffwc(
      {"test", "-t", "ingress", "--pcap", capture, "--local", "127.0.0.1", "--local", "::1", "--json", filter});
  REQUIRE_MESSAGE(replayed.exit_code == 0, describe(replayed));
  INFO("live: " << live.out << "replayed: " << replayed.out);
  const std::size_t passed = replayed.out.find("\"passed\""), dropped = replayed.out.find("\"dropped\"");
  CHECK(json_number(replayed.out, "packets", passed) == json_number(live.out, "passed_packets"));
  CHECK(json_number(replayed.out, "bytes", passed) == json_number(live.out, "passed_bytes"));
  CHECK(json_number(replayed.out, "packets", dropped) == json_number(live.out, "dropped_packets"));
  CHECK(json_number(replayed.out, "bytes", dropped) == json_number(live.out, "dropped_bytes"));
  CHECK(json_number(live.out, "dropped_packets") == 2);  // a datagram to the closed port, each family
  CHECK(json_number(replayed.out, "in_kernel") == json_number(replayed.out, "judged"));
  CHECK(replayed.out.find("udp 127.0.0.1:") != std::string::npos);
  CHECK(replayed.out.find("\"part\":\"'dst_port == " + std::to_string(closed_udp) + "' at 1:10-") != std::string::npos);

  // diff: one clause more, and exactly the flows it decides change: the two TCP connections.
  const std::string stricter = filter + " && !(tcp && dst_port == " + std::to_string(tcp_port) + ")";
  RunResult diffed = run_bpffwc(
      {"diff", "-t", "ingress", pin, stricter, "--pcap", capture, "--local", "127.0.0.1", "--local", "::1", "--json"});
  INFO("diff: " << diffed.out << diffed.err);
  CHECK(diffed.exit_code == 1);  // verdicts differ
  CHECK(json_number(diffed.out, "packets", diffed.out.find("\"newly_passed\"")) == 0);
  const std::string flows = diffed.out.substr(diffed.out.find("\"newly_dropped\""));
  CHECK(LogFollower::occurrences(flows.substr(0, flows.find("\"newly_passed\"")), "\"flow\":\"tcp ") == 2);
  CHECK(LogFollower::occurrences(diffed.out, "\"flow\":") == 2);
  CHECK(flows.find("\"flow\":\"tcp 127.0.0.1:") != std::string::npos);
  CHECK(flows.find("\"flow\":\"tcp [::1]:") != std::string::npos);
  CHECK(LogFollower::occurrences(flows, ":" + std::to_string(tcp_port) + "\"") == 2);
  RunResult same = run_bpffwc({"diff", "-t", "ingress", pin, filter, "--pcap", capture, "--local", "127.0.0.1"});
  CHECK_MESSAGE(same.exit_code == 0, describe(same));
  ::unlink(capture.c_str());
}
