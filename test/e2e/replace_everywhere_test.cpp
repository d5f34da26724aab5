// bpffwc --replace-everywhere PIN (what `systemctl reload bpffw@NAME` runs): the new program takes
// the old one's place at the pin and in every cgroup where it is attached, nested ones included,
// keeping counters and parameters; traffic is judged by the new rules at once; a swap that cannot
// be done anywhere changes nothing anywhere.
#include <doctest/doctest.h>

#include <dirent.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include <bpffw/cgroup.hpp>
#include <bpffw/program.hpp>
#include <bpffw/runtime.hpp>

#include "e2e/processes.hpp"
#include "e2e/traffic.hpp"
#include "support/kernel_env.hpp"

using namespace bpffw::e2e;
using bpffw::Direction;

namespace {

std::uint32_t pinned_id(const std::string& pin) {
  auto program = bpffw::Program::open_pinned(pin);
  REQUIRE(program.has_value());
  return program->info().value().id;
}

// The ids of the bpffw programs attached to `cgroup` in `direction`.
std::vector<std::uint32_t> bpffw_ids(const std::string& cgroup, Direction direction) {
  return attached_ids(cgroup, direction, Whose::Bpffw);
}

std::vector<std::string> directory_entries(const std::string& path) {
  std::vector<std::string> names;
  DIR* dir = ::opendir(path.c_str());
  REQUIRE(dir != nullptr);
  while (const dirent* entry = ::readdir(dir))
    if (entry->d_name[0] != '.') names.push_back(entry->d_name);
  ::closedir(dir);
  return names;
}

// A cgroup directory below another, removed at the end (after its programs are detached).
class ChildCgroup {
 public:
  ChildCgroup(const std::string& parent, const std::string& name) : path_(parent + "/" + name) {
    REQUIRE(::mkdir(path_.c_str(), 0755) == 0);
  }
  ~ChildCgroup() {
    run_bpffwc({"detach", path_, "-t", "ingress", "--all"});
    run_bpffwc({"detach", path_, "-t", "egress", "--all"});
    ::rmdir(path_.c_str());
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// A datagram socket in place of systemd's notification socket: bpffwc run with $NOTIFY_SOCKET naming
// it (as systemd runs the commands of a unit with NotifyAccess=) sends it what sd_notify sends.
class NotifySocket {
 public:
  NotifySocket() {
    char dir[] = "/tmp/bpffw-test-notify.XXXXXX";
    REQUIRE(::mkdtemp(dir) != nullptr);
    dir_ = dir;
    path_ = dir_ + "/notify";
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::snprintf(address.sun_path, sizeof address.sun_path, "%s", path_.c_str());
    REQUIRE(::bind(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0);
  }
  ~NotifySocket() {
    ::close(fd_);
    ::unlink(path_.c_str());
    ::rmdir(dir_.c_str());
  }
  NotifySocket(const NotifySocket&) = delete;
  NotifySocket& operator=(const NotifySocket&) = delete;

  // For run_bpffwc's before_exec: the child gets NOTIFY_SOCKET.
  std::function<int()> environment() const {
    return [path = path_] { return ::setenv("NOTIFY_SOCKET", path.c_str(), 1); };
  }

  // The messages received since the last call.
  std::vector<std::string> received() {
    std::vector<std::string> messages;
    char buffer[8192];
    for (;;) {
      ssize_t size = ::recv(fd_, buffer, sizeof buffer, MSG_DONTWAIT);
      if (size < 0) break;
      messages.emplace_back(buffer, static_cast<std::size_t>(size));
    }
    return messages;
  }

 private:
  std::string dir_, path_;
  int fd_ = -1;
};

bool starts_with(const std::string& text, const std::string& prefix) { return text.rfind(prefix, 0) == 0; }
bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

TEST_CASE("--replace-everywhere: at the pin and in every cgroup it is attached to, traffic follows") {
  bpffw::test::ensure_bpffs();
  bpffw::test::ScopedPinDir pins;
  const std::string pin = pins.file("web");
  ScratchCgroup service;  // sends: filtered on egress
  ScratchCgroup other;
  ChildCgroup nested(other.path(), "worker");
  const std::uint16_t port_a = free_port(), port_b = free_port();
  auto only = [](std::uint16_t port) { return "udp && dst_port == " + std::to_string(port); };

  RunResult first = run_bpffwc({"--replace-everywhere", pin, "--param", "spare=7", only(port_a) + " && spare > 0"});
  REQUIRE_MESSAGE(first.exit_code == 0, describe(first));
  CHECK(first.out == pin + ": program " + std::to_string(pinned_id(pin)) + " pinned; there was none to replace\n");
  const std::uint32_t old_id = pinned_id(pin);
  for (const auto& [cgroup, direction] :
       {std::pair{service.path(), "egress"}, std::pair{other.path(), "ingress"}, std::pair{nested.path(), "egress"}})
    REQUIRE(run_bpffwc({"attach", cgroup, "-t", direction, pin}).exit_code == 0);
  CHECK(udp_exchange(Family::V4, port_a, {service.path(), ""}));
  CHECK_FALSE(udp_exchange(Family::V4, port_b, {service.path(), ""}));

  RunResult reloaded = run_bpffwc({"--replace-everywhere", pin, "--param", "spare", only(port_b) + " && spare > 0"});
  REQUIRE_MESSAGE(reloaded.exit_code == 0, describe(reloaded));
  const std::uint32_t new_id = pinned_id(pin);
  CHECK(new_id != old_id);
  CHECK(reloaded.out.rfind(pin + ": program " + std::to_string(new_id) + " replaces " + std::to_string(old_id) +
                               " at the pin and in 3 cgroups: ",
                           0) == 0);
  for (const std::string& place :
       {other.path() + " (ingress)", nested.path() + " (egress)", service.path() + " (egress)"})
    CHECK(reloaded.out.find(place) != std::string::npos);
  CHECK(bpffw_ids(service.path(), Direction::Egress) == std::vector{new_id});
  CHECK(bpffw_ids(other.path(), Direction::Ingress) == std::vector{new_id});
  CHECK(bpffw_ids(nested.path(), Direction::Egress) == std::vector{new_id});
  CHECK(bpffw_ids(nested.path(), Direction::Ingress).empty());
  // The running "service" is filtered by the new rules, with no restart and no re-attach.
  CHECK_FALSE(udp_exchange(Family::V4, port_a, {service.path(), ""}));
  CHECK(udp_exchange(Family::V4, port_b, {service.path(), ""}));
  // Counters continue (3 datagrams judged before, 2 after) and `--param spare` kept its value.
  auto program = bpffw::Program::open_pinned(pin);
  REQUIRE(program.has_value());
  auto counters = bpffw::read_counters(*program);
  REQUIRE(counters.has_value());
  CHECK(counters->passed_packets + counters->dropped_packets == 4);
  CHECK(bpffw::read_parameters(*program).value() == std::vector<bpffw::Parameter>{{"spare", 7}});

  for (const std::string& cgroup : {service.path(), other.path()}) {
    run_bpffwc({"detach", cgroup, "-t", "ingress", "--all"});
    run_bpffwc({"detach", cgroup, "-t", "egress", "--all"});
  }
}

TEST_CASE("--replace-everywhere: a swap refused in one cgroup leaves the old program everywhere and at the pin") {
  bpffw::test::ensure_bpffs();
  bpffw::test::ScopedPinDir pins;
  const std::string pin = pins.file("dir");
  ScratchCgroup in, out;
  REQUIRE(run_bpffwc({"-o", pin, "udp"}).exit_code == 0);
  const std::uint32_t old_id = pinned_id(pin);
  REQUIRE(run_bpffwc({"attach", in.path(), "-t", "ingress", pin}).exit_code == 0);
  REQUIRE(run_bpffwc({"attach", out.path(), "-t", "egress", pin}).exit_code == 0);
  // Compiled for ingress: the kernel would run it on egress too, so bpffwc refuses that swap, and
  // the ingress one done before it is undone.
  RunResult refused = run_bpffwc({"--replace-everywhere", pin, "-t", "ingress", "udp && local_port == 53"});
  CHECK(refused.exit_code == 2);
  CHECK(refused.err.find("cannot swap the new program in at ") != std::string::npos);
  CHECK(refused.err.find("nothing changed: the pin and every cgroup keep program " + std::to_string(old_id)) !=
        std::string::npos);
  CHECK(pinned_id(pin) == old_id);
  CHECK(bpffw_ids(in.path(), Direction::Ingress) == std::vector{old_id});
  CHECK(bpffw_ids(out.path(), Direction::Egress) == std::vector{old_id});
  CHECK(directory_entries(pins.path()) == std::vector<std::string>{"dir"});  // no temporary pin left

  // A broken expression: nothing is loaded, the error has the caret, nothing changes.
  RunResult broken = run_bpffwc({"--replace-everywhere", pin, "udp &&"});
  CHECK(broken.exit_code == 1);
  CHECK(broken.err.find("^") != std::string::npos);
  CHECK(pinned_id(pin) == old_id);

  run_bpffwc({"detach", in.path(), "-t", "ingress", "--all"});
  run_bpffwc({"detach", out.path(), "-t", "egress", "--all"});
}

TEST_CASE("-o PIN --force on an attached program replaces it in its cgroups too: pin and cgroups never part") {
  // Issue 27: after one hand-run `--force -o`, the cgroups kept running the old program, which the
  // pin no longer led to, and every later reload changed nothing that filtered.
  bpffw::test::ensure_bpffs();
  bpffw::test::ScopedPinDir pins;
  const std::string pin = pins.file("web");
  ScratchCgroup service;
  const std::uint16_t port_a = free_port(), port_b = free_port();
  auto only = [](std::uint16_t port) { return "udp && dst_port == " + std::to_string(port); };
  REQUIRE(run_bpffwc({"-o", pin, only(port_a)}).exit_code == 0);
  const std::uint32_t old_id = pinned_id(pin);
  REQUIRE(run_bpffwc({"attach", service.path(), "-t", "egress", pin}).exit_code == 0);
  CHECK(udp_exchange(Family::V4, port_a, {service.path(), ""}));

  RunResult forced = run_bpffwc({"-o", pin, "--force", only(port_b)});
  REQUIRE_MESSAGE(forced.exit_code == 0, describe(forced));
  const std::uint32_t new_id = pinned_id(pin);
  CHECK(new_id != old_id);
  CHECK(forced.out == pin + ": program " + std::to_string(new_id) + " replaces " + std::to_string(old_id) +
                          " at the pin and in 1 cgroup: " + service.path() + " (egress)\n");
  CHECK(bpffw_ids(service.path(), Direction::Egress) == std::vector{new_id});
  CHECK_FALSE(udp_exchange(Family::V4, port_a, {service.path(), ""}));
  CHECK(udp_exchange(Family::V4, port_b, {service.path(), ""}));

  // And a reload after it reaches the service.
  RunResult reloaded = run_bpffwc({"--replace-everywhere", pin, only(port_a)});
  REQUIRE_MESSAGE(reloaded.exit_code == 0, describe(reloaded));
  CHECK(bpffw_ids(service.path(), Direction::Egress) == std::vector{pinned_id(pin)});
  CHECK(udp_exchange(Family::V4, port_a, {service.path(), ""}));

  // Attached nowhere: --force stays silent, as it always was.
  const std::string lone = pins.file("lone");
  REQUIRE(run_bpffwc({"-o", lone, "udp"}).exit_code == 0);
  RunResult quiet = run_bpffwc({"-o", lone, "--force", "tcp"});
  CHECK(quiet.exit_code == 0);
  CHECK(quiet.out.empty());
  CHECK(quiet.err.empty());
  run_bpffwc({"detach", service.path(), "-t", "egress", "--all"});
}

// bpffw@.service (NotifyAccess=exec): `systemctl status` shows the unit's status, which bpffwc sets;
// a failed reload leaves the unit active, and this line is what says it failed
// (test/systemd/systemd_test.sh shows it under systemd 252).
TEST_CASE(
    "--replace-everywhere under a unit with NOTIFY_SOCKET: the outcome is the unit's status, a failure included") {
  bpffw::test::ensure_bpffs();
  bpffw::test::ScopedPinDir pins;
  const std::string pin = pins.file("web");
  NotifySocket notify;

  RunResult broken = run_bpffwc({"--replace-everywhere", pin, "udp &&"}, {}, notify.environment());
  CHECK_MESSAGE(broken.exit_code == 1, describe(broken));
  std::vector<std::string> status = notify.received();
  REQUIRE(status.size() == 1);
  CHECK_MESSAGE(starts_with(status[0], "STATUS=FAILED, nothing changed: 1:"), status[0]);
  CHECK_MESSAGE(status[0].find("expected an operand after '&&'") != std::string::npos, status[0]);
  CHECK_MESSAGE(ends_with(status[0], "(no program is pinned at " + pin + ")"), status[0]);

  RunResult first = run_bpffwc({"--replace-everywhere", pin, "udp"}, {}, notify.environment());
  REQUIRE_MESSAGE(first.exit_code == 0, describe(first));
  const std::string first_id = std::to_string(pinned_id(pin));
  CHECK(notify.received() ==
        std::vector<std::string>{"STATUS=program " + first_id + " pinned; there was none to replace"});

  broken = run_bpffwc({"--replace-everywhere", pin, "udp &&"}, {}, notify.environment());
  CHECK_MESSAGE(broken.exit_code == 1, describe(broken));
  status = notify.received();
  REQUIRE(status.size() == 1);
  CHECK_MESSAGE(ends_with(status[0], "(in force: program " + first_id + ", as before)"), status[0]);
  CHECK(std::to_string(pinned_id(pin)) == first_id);

  RunResult second = run_bpffwc({"--replace-everywhere", pin, "tcp"}, {}, notify.environment());
  REQUIRE_MESSAGE(second.exit_code == 0, describe(second));
  CHECK(notify.received() == std::vector<std::string>{"STATUS=program " + std::to_string(pinned_id(pin)) +
                                                      " replaces " + first_id + " at the pin and in no cgroup"});

  // Only --replace-everywhere speaks to systemd: -o PIN --force, the one-liner's --attach, ... do not.
  RunResult forced = run_bpffwc({"-o", pin, "--force", "icmp"}, {}, notify.environment());
  REQUIRE_MESSAGE(forced.exit_code == 0, describe(forced));
  CHECK(notify.received().empty());
}
