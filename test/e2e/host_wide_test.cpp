// No accidental host-wide filter (issue 27): bpffwc refuses to attach to the root cgroup, however
// it is named (self from a process in the root cgroup, the mount's path, `.`), and `self` when it is
// a login session (session-N.scope, user@UID.service), with exit 2, an error naming the cgroup and a
// hint naming --allow-host-wide; nothing is compiled, pinned or attached. With --allow-host-wide it
// attaches (tried on a scratch cgroup named like a session only: a filter on this host's real root
// cgroup would judge every process of the machine). Services and scratch cgroups work as before.
#include <doctest/doctest.h>

#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include <bpffw/cgroup.hpp>
#include <bpffw/program.hpp>

#include "e2e/processes.hpp"
#include "e2e/traffic.hpp"
#include "support/kernel_env.hpp"

using namespace bpffw::e2e;
using bpffw::Direction;

namespace {

std::vector<std::uint32_t> attached_ids(const std::string& cgroup, Direction direction) {
  return bpffw::e2e::attached_ids(cgroup, direction, Whose::Any);
}

struct Attached {
  std::vector<std::uint32_t> ingress, egress;
  bool operator==(const Attached&) const = default;
};

Attached attached_to(const std::string& cgroup) {
  return {attached_ids(cgroup, Direction::Ingress), attached_ids(cgroup, Direction::Egress)};
}

// Watches the root cgroup: what is attached there when a test starts, and on the way out (a test
// that failed because bpffwc did attach) every bpffw program attached since is detached again.
class RootWatch {
 public:
  RootWatch() : path_(cgroup2_mount()), before_(attached_to(path_)) {}
  ~RootWatch() {
    auto root = bpffw::Cgroup::open(path_);
    if (!root) return;
    for (Direction direction : {Direction::Ingress, Direction::Egress}) {
      const auto& before = direction == Direction::Ingress ? before_.ingress : before_.egress;
      auto programs = bpffw::attached_programs(*root, direction);
      if (!programs) continue;
      for (const bpffw::AttachedProgram& program : *programs) {
        if (!program.is_bpffw || std::find(before.begin(), before.end(), program.id) != before.end()) continue;
        auto opened = bpffw::Program::open_id(program.id);
        if (opened && bpffw::detach(*root, direction, *opened)) MESSAGE("detached program " << program.id << " again");
      }
    }
  }
  RootWatch(const RootWatch&) = delete;
  RootWatch& operator=(const RootWatch&) = delete;

  const std::string& path() const { return path_; }
  bool unchanged() const { return attached_to(path_) == before_; }

 private:
  std::string path_;
  Attached before_;
};

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

std::string command_line(const std::vector<std::string>& args) {
  std::string command = "bpffwc";
  for (const std::string& arg : args) command += " '" + arg + "'";
  return command;
}

// bpffwc args, run in `run_in`, refuses with exit 2 and an error starting with `error`, whose hint
// says how to confirm; nothing on standard output.
void expect_refused(const std::vector<std::string>& args, const std::string& run_in, const std::string& error) {
  const RunResult result = run_bpffwc(args, run_in);
  INFO(command_line(args), " in ", run_in, "\n", describe(result));
  CHECK(result.exit_code == 2);
  CHECK(first_line(result.err).rfind("bpffwc: error: " + error, 0) == 0);
  CHECK(contains(result.err, "\nbpffwc: hint: "));
  CHECK(contains(result.err, "confirm with --allow-host-wide"));
  CHECK(result.out.empty());
}

const char* const kRootDanger =
    "the root cgroup, so the filter would judge the traffic of every process on this host (every service and every "
    "login, SSH included)";

}  // namespace

TEST_CASE("self in the root cgroup: refused with exit 2, and nothing is pinned or attached to the root") {
  bpffw::test::ensure_bpffs();
  RootWatch root;
  bpffw::test::ScopedPinDir pins;
  const std::string pin = pins.file("filter");
  const std::string refused = "refusing to attach to self: it resolved to " + root.path() + ", " + kRootDanger;

  // `true` passes everything: were it attached by mistake, the host would not notice.
  expect_refused({"--attach", "self", "-t", "egress", "true"}, root.path(), refused);
  expect_refused({"--attach", "self", "-t", "ingress", "-o", pin, "true"}, root.path(), refused);
  CHECK(::access(pin.c_str(), F_OK) != 0);
  expect_refused({"--attach", "self", "-t", "ingress", "--replace-all", "true"}, root.path(), refused);
  // The hint says what self is for.
  const RunResult result = run_bpffwc({"--attach", "self", "-t", "egress", "true"}, root.path());
  CHECK(contains(result.err, "bpffwc: hint: self is the cgroup bpffwc runs in, meant for a service's ExecStartPre="));

  // The attach subcommand, with a program pinned before.
  const RunResult pinned = run_bpffwc({"-t", "egress", "-o", pin, "true"});
  REQUIRE_MESSAGE(pinned.exit_code == 0, describe(pinned));
  expect_refused({"attach", "self", "-t", "egress", pin}, root.path(), refused);
  expect_refused({"attach", "self", "-t", "egress", "--replace-all", pin}, root.path(), refused);

  CHECK(root.unchanged());
  // bpffwc show says the same: no bpffw program on the root in either direction.
  const RunResult shown = run_bpffwc({"show", root.path()});
  REQUIRE_MESSAGE(shown.exit_code == 0, describe(shown));
  CHECK_FALSE(contains(shown.out, "bpffw_filter"));
}

TEST_CASE("the root cgroup named by path, however spelled: refused, nothing attached") {
  bpffw::test::ensure_bpffs();
  RootWatch root;
  ScratchCgroup cgroup;  // bpffwc runs here: self is not involved
  bpffw::test::ScopedPinDir pins;
  const std::string pin = pins.file("filter");
  const RunResult pinned = run_bpffwc({"-t", "ingress", "-o", pin, "true"});
  REQUIRE_MESSAGE(pinned.exit_code == 0, describe(pinned));

  for (const std::string& spelled : {root.path(), root.path() + "/", cgroup.path() + "/..", std::string(".")}) {
    // `.` is resolved against the mount, and the error names the directory.
    const std::string named = spelled == "." ? root.path() : spelled;
    const std::string refused = "refusing to attach to " + named + ": it is " + kRootDanger;
    expect_refused({"--attach", spelled, "-t", "ingress", "true"}, cgroup.path(), refused);
    expect_refused({"--attach", spelled, "-t", "ingress", "-o", pins.file("new"), "true"}, cgroup.path(), refused);
    expect_refused({"attach", spelled, "-t", "ingress", pin}, cgroup.path(), refused);
  }
  CHECK(::access(pins.file("new").c_str(), F_OK) != 0);
  CHECK(root.unchanged());
}

TEST_CASE("self in a login session: refused, and with --allow-host-wide it attaches and filters") {
  bpffw::test::ensure_bpffs();
  ScratchCgroup parent;
  ScratchCgroup session(parent, "session-99999.scope");
  bpffw::test::ScopedPinDir pins;
  const std::string pin = pins.file("filter");
  const std::string refused = "refusing to attach to self: it resolved to " + session.path() +
                              ", part of a login session (session-99999.scope), so the filter would judge the "
                              "traffic of this shell";
  const Attached nothing = attached_to(session.path());

  expect_refused({"--attach", "self", "-t", "egress", "!icmp"}, session.path(), refused);
  expect_refused({"--attach", "self", "-t", "egress", "--replace-all", "-o", pins.file("new"), "!icmp"}, session.path(),
                 refused);
  CHECK(::access(pins.file("new").c_str(), F_OK) != 0);
  const RunResult pinned = run_bpffwc({"-t", "egress", "-o", pin, "!icmp"});
  REQUIRE_MESSAGE(pinned.exit_code == 0, describe(pinned));
  expect_refused({"attach", "self", "-t", "egress", pin}, session.path(), refused);
  CHECK(attached_to(session.path()) == nothing);
  CHECK(ping_replies(Family::V4, session.path()));

  // Confirmed: attached, and it filters the session's traffic.
  const RunResult confirmed =
      run_bpffwc({"--attach", "self", "-t", "egress", "--allow-host-wide", "!icmp"}, session.path());
  REQUIRE_MESSAGE(confirmed.exit_code == 0, describe(confirmed));
  CHECK(confirmed.err.empty());
  CHECK(attached_ids(session.path(), Direction::Egress).size() == 1);
  CHECK_FALSE(ping_replies(Family::V4, session.path()));
  // The subcommand takes it too (and --replace-all puts the pinned one in place of the first).
  const RunResult subcommand =
      run_bpffwc({"attach", "self", "-t", "egress", "--replace-all", "--allow-host-wide", pin}, session.path());
  REQUIRE_MESSAGE(subcommand.exit_code == 0, describe(subcommand));
  CHECK(attached_ids(session.path(), Direction::Egress).size() == 1);

  // Named by its path, a session was chosen on purpose: no confirmation needed.
  const RunResult detached = run_bpffwc({"detach", session.path(), "-t", "egress", "--all"});
  REQUIRE_MESSAGE(detached.exit_code == 0, describe(detached));
  const RunResult by_path = run_bpffwc({"--attach", session.name(), "-t", "egress", "!icmp"});
  REQUIRE_MESSAGE(by_path.exit_code == 0, describe(by_path));
  CHECK_FALSE(ping_replies(Family::V4, session.path()));
  CHECK(run_bpffwc({"detach", session.path(), "-t", "egress", "--all"}).exit_code == 0);
  CHECK(ping_replies(Family::V4, session.path()));
}

TEST_CASE("self anywhere below a user's service manager (user@UID.service) is a login session too") {
  bpffw::test::ensure_bpffs();
  ScratchCgroup parent;
  ScratchCgroup manager(parent, "user@99999.service");
  ScratchCgroup terminal(manager, "app.slice");
  const Attached nothing = attached_to(terminal.path());
  expect_refused({"--attach", "self", "-t", "ingress", "!icmp"}, terminal.path(),
                 "refusing to attach to self: it resolved to " + terminal.path() +
                     ", part of a login session (user@99999.service)");
  CHECK(attached_to(terminal.path()) == nothing);
}

TEST_CASE("self in a service's cgroup, as in ExecStartPre=, and a scratch cgroup by path work as before") {
  bpffw::test::ensure_bpffs();
  ScratchCgroup slice;
  ScratchCgroup service(slice, "bpffw-test.service");
  const RunResult attached = run_bpffwc({"--attach", "self", "-t", "egress", "--replace-all", "!icmp"}, service.path());
  REQUIRE_MESSAGE(attached.exit_code == 0, describe(attached));
  CHECK(attached.err.empty());
  CHECK_FALSE(ping_replies(Family::V4, service.path()));
  CHECK(run_bpffwc({"detach", "self", "-t", "egress", "--all"}, service.path()).exit_code == 0);

  ScratchCgroup cgroup;
  const RunResult by_path = run_bpffwc({"--attach", cgroup.path(), "-t", "egress", "!icmp"});
  REQUIRE_MESSAGE(by_path.exit_code == 0, describe(by_path));
  CHECK(by_path.err.empty());
  CHECK_FALSE(ping_replies(Family::V4, cgroup.path()));
  CHECK(run_bpffwc({"detach", cgroup.path(), "-t", "egress", "--all"}).exit_code == 0);
  CHECK(ping_replies(Family::V4, cgroup.path()));
}
