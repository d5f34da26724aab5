// The drop log with real loopback traffic (issue 12): a logging filter on a scratch cgroup, UDP
// from a process in it, `bpffwc log --json` following the pin: every dropped datagram within the
// limit is a record with the right addresses, ports, direction and reason, no passed one is; over
// the limit every drop is logged or suppressed.
// The socket programs are left out (--no-socket-programs): these are the packet program's records;
// socket_refusal_test.cpp has the refusals'.
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <bpffw/program.hpp>
#include <bpffw/runtime.hpp>

#include "e2e/log_follower.hpp"
#include "e2e/processes.hpp"
#include "e2e/traffic.hpp"
#include "support/kernel_env.hpp"

using namespace bpffw::e2e;

namespace {

TEST_CASE(
    "loopback UDP from a cgroup: each dropped datagram is a record in bpffwc log --json with the part that decided, no "
    "passed one") {
  bpffw::test::ensure_bpffs();
  ScratchCgroup cgroup;
  bpffw::test::ScopedPinDir pins;
  const std::string pin = pins.file("logged");
  std::uint16_t allowed = free_port(), blocked = free_port(), source = free_port();
  while (blocked == allowed) blocked = free_port();
  auto attached =
      run_bpffwc({"--attach", cgroup.path(), "-t", "egress", "--no-socket-programs", "-o", pin, "--log-limit",
                  "rate=1000/s,burst=1000", "!udp || dst_port == " + std::to_string(allowed)});
  REQUIRE_MESSAGE(attached.exit_code == 0, describe(attached));

  LogFollower follower(pin, output_file("logged"));
  send_datagrams(cgroup.path(), source, allowed, 4);
  send_datagrams(cgroup.path(), source, blocked, 7);
  const std::string record =
      "\"direction\":\"egress\",\"reason\":\"filter\",\"family\":4,\"protocol\":\"udp\","
      "\"src_addr\":\"127.0.0.1\",\"dst_addr\":\"127.0.0.1\",\"src_port\":" +
      std::to_string(source) + ",\"dst_port\":" + std::to_string(blocked) + ",\"length\":29";
  std::string out = follower.stop_after(7, record);
  INFO("bpffwc log --json printed:\n", out);
  CHECK(LogFollower::occurrences(out, record) == 7);
  CHECK(LogFollower::occurrences(out, "\"dst_port\":" + std::to_string(allowed)) == 0);
  CHECK(LogFollower::occurrences(out, "\"cgroup\":\"/" + cgroup.name() + "\"") == 7);
  // Every operand of the || was false: the last one decided (issue 27, item 5).
  const std::string decider = "dst_port == " + std::to_string(allowed);
  CHECK(LogFollower::occurrences(out, "\"decided_by\":{\"text\":\"" + decider +
                                          "\",\"line\":1,\"column\":9,\"length\":" + std::to_string(decider.size()) +
                                          "}}") == 7);

  auto detached = run_bpffwc({"detach", cgroup.path(), "-t", "egress", pin});
  REQUIRE_MESSAGE(detached.exit_code == 0, describe(detached));
}

TEST_CASE("loopback UDP over the log's limit: sent = logged + suppressed, and bpffwc log shows the logged") {
  bpffw::test::ensure_bpffs();
  ScratchCgroup cgroup;
  bpffw::test::ScopedPinDir pins;
  const std::string pin = pins.file("limited");
  std::uint16_t port = free_port(), source = free_port();
  auto attached = run_bpffwc({"--attach", cgroup.path(), "-t", "egress", "--no-socket-programs", "-o", pin,
                              "--log-limit", "rate=1/s,burst=3", "!udp"});
  REQUIRE_MESSAGE(attached.exit_code == 0, describe(attached));

  LogFollower follower(pin, output_file("limited"));
  constexpr int kSent = 40;
  send_datagrams(cgroup.path(), source, port, kSent);
  auto program = bpffw::Program::open_pinned(pin);
  REQUIRE(program.has_value());
  auto counters = bpffw::read_log_counters(*program);
  REQUIRE(counters.has_value());
  CHECK(counters->logged >= 3);
  CHECK(counters->suppressed > 0);
  CHECK(counters->lost == 0);
  CHECK(counters->logged + counters->suppressed == kSent);
  std::string out = follower.stop_after(counters->logged, "\"dst_port\":" + std::to_string(port));
  INFO("bpffwc log --json printed:\n", out);
  CHECK(LogFollower::occurrences(out, "\"dst_port\":" + std::to_string(port)) == counters->logged);

  auto detached = run_bpffwc({"detach", cgroup.path(), "-t", "egress", pin});
  REQUIRE_MESSAGE(detached.exit_code == 0, describe(detached));
}

TEST_CASE("bpffwc log --all: programs loaded after it started, each ring read once across --force, gone at the end") {
  bpffw::test::ensure_bpffs();
  ScratchCgroup first, second;
  bpffw::test::ScopedPinDir pins;
  const std::string first_pin = pins.file("first"), second_pin = pins.file("second");
  std::uint16_t allowed = free_port(), blocked = free_port(), source = free_port();
  while (blocked == allowed) blocked = free_port();
  const std::string filter = "!udp || dst_port == " + std::to_string(allowed);

  LogFollower follower("--all", output_file("all"));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // started before any program
  for (const auto& [cgroup, pin] : {std::pair{&first, first_pin}, std::pair{&second, second_pin}}) {
    auto attached =
        run_bpffwc({"--attach", cgroup->path(), "-t", "egress", "--no-socket-programs", "-o", pin, "--log", filter});
    REQUIRE_MESSAGE(attached.exit_code == 0, describe(attached));
  }
  send_datagrams(first.path(), source, blocked, 3);
  send_datagrams(second.path(), source, blocked, 4);
  send_datagrams(first.path(), source, allowed, 2);
  const std::string in_first = "\"cgroup\":\"/" + first.name() + "\"";
  const std::string in_second = "\"cgroup\":\"/" + second.name() + "\"";
  follower.wait_for(3, in_first);
  follower.wait_for(4, in_second);

  // A replacement at the first pin shares the old program's ring, which stays attached and
  // records: one reader for both, so each record once.
  auto replaced = run_bpffwc({"-o", first_pin, "--force", "--log", filter + " || dst_port == 9"});
  REQUIRE_MESSAGE(replaced.exit_code == 0, describe(replaced));
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // one scan of the loaded programs
  send_datagrams(first.path(), source, blocked, 5);
  std::string out = follower.wait_for(8, in_first);
  INFO("bpffwc log --all --json printed:\n", out);
  CHECK(LogFollower::occurrences(out, in_first) == 8);
  CHECK(LogFollower::occurrences(out, in_second) == 4);
  CHECK(LogFollower::occurrences(out, "\"dst_port\":" + std::to_string(allowed)) == 0);

  std::vector<std::string> gone;  // the newest program of each ring
  for (const std::string& pin : {first_pin, second_pin}) {
    auto program = bpffw::Program::open_pinned(pin);
    REQUIRE(program.has_value());
    gone.push_back("{\"event\":\"gone\",\"program_id\":" + std::to_string(program->info()->id) + "}");
  }
  for (const auto& [cgroup, pin] : {std::pair{&first, first_pin}, std::pair{&second, second_pin}}) {
    auto detached = run_bpffwc({"detach", cgroup->path(), "-t", "egress", "--all"});
    REQUIRE_MESSAGE(detached.exit_code == 0, describe(detached));
    REQUIRE(::unlink(pin.c_str()) == 0);
  }
  follower.wait_for(1, gone[0]);
  out = follower.stop_after(1, gone[1]);
  CHECK(LogFollower::occurrences(out, gone[0]) == 1);
  CHECK(LogFollower::occurrences(out, gone[1]) == 1);
}

TEST_CASE("bpffwc log --journal without a journal to write to: exit 3, and it says what is missing") {
  bpffw::test::ensure_bpffs();
  ScratchCgroup cgroup;
  bpffw::test::ScopedPinDir pins;
  const std::string pin = pins.file("journal");
  auto attached =
      run_bpffwc({"--attach", cgroup.path(), "-t", "egress", "--no-socket-programs", "-o", pin, "--log", "!udp"});
  REQUIRE_MESSAGE(attached.exit_code == 0, describe(attached));

  // A mount namespace with an empty /run: no journald socket, whatever the host runs.
  const std::string output = output_file("journal");
  pid_t follower = spawn("", [&] {
    if (::unshare(CLONE_NEWNS) != 0 || ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
        ::mount("none", "/run", "tmpfs", 0, nullptr) != 0)
      return 101;
    int fd = ::open(output.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return 102;
    ::dup2(fd, STDERR_FILENO);
    std::string program = BPFFWC_PATH, log = "log", journal = "--journal", path = pin;
    char* argv[] = {program.data(), log.data(), journal.data(), path.data(), nullptr};
    ::execv(program.c_str(), argv);
    return 103;
  });
  CHECK(wait_child(follower) == 3);
  std::ifstream in(output);
  std::stringstream text;
  text << in.rdbuf();
  ::unlink(output.c_str());
  INFO("bpffwc log --journal printed:\n", text.str());
  CHECK(text.str().find("no journal to write to: /run/systemd/journal/socket is missing") != std::string::npos);
  CHECK(text.str().find("systemd-journald") != std::string::npos);

  auto detached = run_bpffwc({"detach", cgroup.path(), "-t", "egress", pin});
  REQUIRE_MESSAGE(detached.exit_code == 0, describe(detached));
}

}  // namespace
