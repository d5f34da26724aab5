// Several bpffw programs on one cgroup and direction (issue 15): attaching where bpffw programs are
// already attached warns and names them; --replace-all (and `attach --replace-all`) puts the new
// program in their place and leaves other tools' programs alone; `show CGROUP` describes each
// program; stats, set and watch name a program by id or by CGROUP -t DIR; watch follows its pin.
#include <doctest/doctest.h>

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include <bpffw/cgroup.hpp>
#include <bpffw/program.hpp>

#include "e2e/other_tool.hpp"
#include "e2e/processes.hpp"
#include "e2e/traffic.hpp"
#include "support/kernel_env.hpp"

using namespace bpffw::e2e;
using bpffw::Direction;

namespace {

std::vector<bpffw::AttachedProgram> attached(const std::string& cgroup, Direction direction) {
  auto opened = bpffw::Cgroup::open(cgroup);
  REQUIRE(opened.has_value());
  auto programs = bpffw::attached_programs(*opened, direction);
  REQUIRE(programs.has_value());
  return *programs;
}

std::vector<std::uint32_t> bpffw_ids(const std::string& cgroup, Direction direction) {
  return attached_ids(cgroup, direction, Whose::Bpffw);
}

std::uint32_t pinned_id(const std::string& pin) {
  auto program = bpffw::Program::open_pinned(pin);
  REQUIRE(program.has_value());
  return program->info().value().id;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("attaching beside bpffw programs warns and names them, --replace-all puts the new one in their place") {
  bpffw::test::ensure_bpffs();
  ScratchCgroup cgroup;
  ScratchCgroup server;  // an unfiltered server side that is not the test process
  const std::uint16_t port_a = free_port(), port_b = free_port();
  const std::string only_a = "udp && dst_port == " + std::to_string(port_a);
  const std::string a_or_b =
      "udp && (dst_port == " + std::to_string(port_a) + " || dst_port == " + std::to_string(port_b) + ")";
  OtherToolsProgram other(cgroup.path(), BPF_CGROUP_INET_EGRESS);  // like systemd's sd_fw_egress

  auto first = run_bpffwc({"--attach", cgroup.path(), "-t", "egress", only_a});
  REQUIRE_MESSAGE(first.exit_code == 0, describe(first));
  CHECK(first.err.empty());  // another tool's program alone is no reason to warn
  const std::vector<std::uint32_t> first_ids = bpffw_ids(cgroup.path(), Direction::Egress);
  REQUIRE(first_ids.size() == 1);

  // The second attach stacks, and says so: the old narrower filter stays in force.
  auto second = run_bpffwc({"--attach", cgroup.path(), "-t", "egress", a_or_b});
  REQUIRE_MESSAGE(second.exit_code == 0, describe(second));
  MESSAGE("stacking warning:\n" << second.err);
  CHECK(second.err == "bpffwc: warning: bpffw programs are already attached to " + cgroup.path() +
                          " egress; the new one is added beside them, and every attached program must pass a "
                          "packet:\nbpffwc: warning:   program " +
                          std::to_string(first_ids[0]) + ": " + only_a +
                          "\nbpffwc: hint: to put the new program in their place: bpffwc --attach " + cgroup.path() +
                          " -t egress --replace-all EXPRESSION\n");
  REQUIRE(bpffw_ids(cgroup.path(), Direction::Egress).size() == 2);
  CHECK(udp_exchange(Family::V4, port_a, {cgroup.path(), server.path()}));
  CHECK_FALSE(udp_exchange(Family::V4, port_b, {cgroup.path(), server.path()}));

  // stats/set/watch by CGROUP -t DIR refuse to guess between the two, and list them.
  auto ambiguous = run_bpffwc({"stats", cgroup.path(), "-t", "egress"});
  MESSAGE("ambiguous: " << ambiguous.err);
  CHECK(ambiguous.exit_code == 2);
  CHECK(contains(ambiguous.err, "bpffwc: error: 2 bpffw programs are attached to " + cgroup.path() +
                                    " egress:\n  program " + std::to_string(first_ids[0]) + ": " + only_a + "\n"));

  // --replace-all: the new program in place of both; the other tool's program stays.
  auto replaced = run_bpffwc({"--attach", cgroup.path(), "-t", "egress", "--replace-all", a_or_b});
  REQUIRE_MESSAGE(replaced.exit_code == 0, describe(replaced));
  MESSAGE("--replace-all: " << replaced.err);
  CHECK(contains(replaced.err,
                 "bpffwc: note: replaced program " + std::to_string(first_ids[0]) + " in place and detached "));
  const std::vector<bpffw::AttachedProgram> after = attached(cgroup.path(), Direction::Egress);
  REQUIRE(after.size() == 2);
  CHECK(after[0].name == "other_tool");  // in attach order: the other tool's first, still there
  CHECK(after[1].is_bpffw);
  CHECK(after[1].id != first_ids[0]);
  CHECK(udp_exchange(Family::V4, port_a, {cgroup.path(), server.path()}));
  CHECK(udp_exchange(Family::V4, port_b, {cgroup.path(), server.path()}));

  // Again: idempotent, one bpffw program stays (the unit restarted in the same cgroup).
  auto again = run_bpffwc({"--attach", cgroup.path(), "-t", "egress", "--replace-all", a_or_b});
  REQUIRE_MESSAGE(again.exit_code == 0, describe(again));
  CHECK(again.err ==
        "bpffwc: note: replaced program " + std::to_string(after[1].id) + " (" + cgroup.path() + " egress)\n");
  CHECK(bpffw_ids(cgroup.path(), Direction::Egress).size() == 1);

  // With nothing of ours there, --replace-all simply attaches (ingress here), without a word.
  auto fresh = run_bpffwc({"--attach", cgroup.path(), "-t", "ingress", "--replace-all", "udp"});
  REQUIRE_MESSAGE(fresh.exit_code == 0, describe(fresh));
  CHECK(fresh.err.empty());
  CHECK(bpffw_ids(cgroup.path(), Direction::Ingress).size() == 1);

  CHECK(other.detach());
  auto cleaned = run_bpffwc({"detach", cgroup.path(), "-t", "egress", "--all"});
  CHECK(cleaned.exit_code == 0);
  cleaned = run_bpffwc({"detach", cgroup.path(), "-t", "ingress", "--all"});
  CHECK(cleaned.exit_code == 0);
}

TEST_CASE("--replace-all: bad combinations are usage errors, and a failed attach leaves nothing") {
  bpffw::test::ensure_bpffs();
  ScratchCgroup cgroup;
  bpffw::test::ScopedPinDir pins;
  auto without_attach = run_bpffwc({"--replace-all", "-o", pins.file("x"), "udp"});
  CHECK(without_attach.exit_code == 2);
  CHECK(contains(without_attach.err, "bpffwc: error: --replace-all only applies to --attach\n"));
  auto with_replace =
      run_bpffwc({"--attach", cgroup.path(), "-t", "egress", "--replace-all", "--replace", pins.file("x"), "udp"});
  CHECK(with_replace.exit_code == 2);
  CHECK(contains(with_replace.err, "bpffwc: error: give either --replace PIN or --replace-all, not both\n"));
  auto with_force =
      run_bpffwc({"--attach", cgroup.path(), "-t", "egress", "--replace-all", "-o", pins.file("x"), "--force", "udp"});
  CHECK(with_force.exit_code == 2);

  // -o PIN with --replace-all: pinned and attached; an existing pin is refused before anything is
  // attached.
  const std::string pin = pins.file("web");
  auto pinned = run_bpffwc({"--attach", cgroup.path(), "-t", "egress", "--replace-all", "-o", pin, "udp"});
  REQUIRE_MESSAGE(pinned.exit_code == 0, describe(pinned));
  CHECK(bpffw_ids(cgroup.path(), Direction::Egress) == std::vector<std::uint32_t>{pinned_id(pin)});
  auto existing = run_bpffwc({"--attach", cgroup.path(), "-t", "egress", "--replace-all", "-o", pin, "tcp"});
  CHECK(existing.exit_code == 2);
  CHECK(bpffw_ids(cgroup.path(), Direction::Egress) == std::vector<std::uint32_t>{pinned_id(pin)});
  CHECK(run_bpffwc({"detach", cgroup.path(), "-t", "egress", "--all"}).exit_code == 0);
}

TEST_CASE("show CGROUP describes each bpffw program, stats, set and watch take id:N and CGROUP -t DIR") {
  bpffw::test::ensure_bpffs();
  ScratchCgroup cgroup;
  auto attached_now = run_bpffwc({"--attach", cgroup.path(), "-t", "egress", "--param", "mtu=1500", "len <= mtu"});
  REQUIRE_MESSAGE(attached_now.exit_code == 0, describe(attached_now));
  const std::vector<std::uint32_t> ids = bpffw_ids(cgroup.path(), Direction::Egress);
  REQUIRE(ids.size() == 1);
  const std::string id = std::to_string(ids[0]);

  // The egress filter's socket programs (docs/filter-language.md §10), one per hook, none refused.
  auto opened = bpffw::Cgroup::open(cgroup.path());
  REQUIRE(opened);
  std::string sockets = "sockets ";
  for (bpffw::SocketHook hook : bpffw::socket_hooks(bpffw::Direction::Egress)) {
    auto at_hook = bpffw::attached_programs(*opened, hook);
    REQUIRE(at_hook);
    REQUIRE(at_hook->size() == 1);
    sockets += std::string(hook == bpffw::SocketHook::Connect4 ? "" : ", ") + bpffw::to_string(hook) + " " +
               std::to_string(at_hook->front().id) + " (0 refused)";
  }

  auto shown = run_bpffwc({"show", cgroup.path()});
  REQUIRE_MESSAGE(shown.exit_code == 0, describe(shown));
  MESSAGE("show CGROUP:\n" << shown.out);
  CHECK(shown.out == cgroup.path() + "\ningress none\negress  " + id +
                         "  bpffw_filter\n"
                         "          expression  len <= mtu\n"
                         "          " +
                         bpffw::test::verifier_line(ids[0]) +
                         "          direction   egress\n"
                         "          parameters  mtu=1500\n"
                         "          counters    passed 0 packets (0 bytes), dropped 0 packets (0 bytes)\n" +
                         sockets + "\n");

  // set by CGROUP -t DIR, stats and show by id: the same program, no pin anywhere.
  auto set = run_bpffwc({"set", cgroup.path(), "-t", "egress", "mtu=576"});
  REQUIRE_MESSAGE(set.exit_code == 0, describe(set));
  auto by_id = run_bpffwc({"show", "id:" + id});
  REQUIRE_MESSAGE(by_id.exit_code == 0, describe(by_id));
  CHECK(contains(by_id.out, "parameters  mtu=576\n"));
  auto stats = run_bpffwc({"stats", "--json", "id:" + id});
  REQUIRE_MESSAGE(stats.exit_code == 0, describe(stats));
  CHECK(stats.out ==
        "{\"passed_packets\":0,\"dropped_packets\":0,\"passed_bytes\":0,\"dropped_bytes\":0,\"would_drop_packets\":0,"
        "\"would_drop_bytes\":0,\"audit\":false}\n");
  auto watched = run_bpffwc({"watch", "--count", "1", cgroup.path(), "-t", "egress"});
  REQUIRE_MESSAGE(watched.exit_code == 0, describe(watched));
  CHECK(contains(watched.out, "mtu=576"));

  auto bad_id = run_bpffwc({"stats", "id:x1"});
  CHECK(bad_id.exit_code == 2);
  CHECK(contains(bad_id.err, "bpffwc: error: 'id:x1' is not a program id\n"));
  auto none = run_bpffwc({"stats", cgroup.path(), "-t", "ingress"});
  CHECK(none.exit_code == 2);
  CHECK(contains(none.err, "bpffwc: error: no bpffw program is attached to " + cgroup.path() + " ingress\n"));
  CHECK(run_bpffwc({"detach", cgroup.path(), "-t", "egress", "--all"}).exit_code == 0);
}

TEST_CASE("attach CGROUP -t DIR PIN attaches a pinned program, and detach takes it off") {
  bpffw::test::ensure_bpffs();
  ScratchCgroup cgroup;
  bpffw::test::ScopedPinDir pins;
  const std::string pin = pins.file("web"), other_pin = pins.file("web2");
  REQUIRE(run_bpffwc({"-t", "egress", "-o", pin, "tcp"}).exit_code == 0);
  REQUIRE(run_bpffwc({"-t", "egress", "-o", other_pin, "udp"}).exit_code == 0);

  auto attach = run_bpffwc({"attach", cgroup.path(), "-t", "egress", pin});
  REQUIRE_MESSAGE(attach.exit_code == 0, describe(attach));
  CHECK(attach.err.empty());
  CHECK(bpffw_ids(cgroup.path(), Direction::Egress) == std::vector<std::uint32_t>{pinned_id(pin)});
  // The same program twice: refused, not stacked on itself.
  auto twice = run_bpffwc({"attach", cgroup.path(), "-t", "egress", pin});
  CHECK(twice.exit_code == 2);
  CHECK(contains(twice.err, "bpffwc: error: cannot attach on " + cgroup.path() +
                                " egress: this program is already attached there\n"));
  // The direction it was compiled for is checked as with --attach.
  auto wrong = run_bpffwc({"attach", cgroup.path(), "-t", "ingress", pin});
  CHECK(wrong.exit_code == 2);
  CHECK(contains(wrong.err, "the program was compiled for egress"));
  // A second one warns; with --replace-all it takes the first one's place.
  auto replaced = run_bpffwc({"attach", cgroup.path(), "-t", "egress", "--replace-all", other_pin});
  REQUIRE_MESSAGE(replaced.exit_code == 0, describe(replaced));
  CHECK(replaced.err ==
        "bpffwc: note: replaced program " + std::to_string(pinned_id(pin)) + " (" + cgroup.path() + " egress)\n");
  CHECK(bpffw_ids(cgroup.path(), Direction::Egress) == std::vector<std::uint32_t>{pinned_id(other_pin)});
  auto stacked = run_bpffwc({"attach", cgroup.path(), "-t", "egress", pin});
  REQUIRE_MESSAGE(stacked.exit_code == 0, describe(stacked));
  CHECK(contains(stacked.err, "bpffwc: warning:   program " + std::to_string(pinned_id(other_pin)) + ": udp\n"));
  CHECK(run_bpffwc({"detach", cgroup.path(), "-t", "egress", pin}).exit_code == 0);
  CHECK(run_bpffwc({"detach", cgroup.path(), "-t", "egress", other_pin}).exit_code == 0);
  CHECK(bpffw_ids(cgroup.path(), Direction::Egress).empty());
}

TEST_CASE("watch PIN follows the pin: new parameter values, a replaced program, and it ends when the pin goes") {
  bpffw::test::ensure_bpffs();
  bpffw::test::ScopedPinDir pins;
  const std::string pin = pins.file("mtu");
  REQUIRE(run_bpffwc({"-o", pin, "--param", "mtu=1500", "len <= mtu"}).exit_code == 0);
  const std::uint32_t old_id = pinned_id(pin);

  RunResult watched;
  std::thread watcher([&] { watched = run_bpffwc({"watch", "--interval", "0.05", pin}); });
  auto pause = [] { std::this_thread::sleep_for(std::chrono::milliseconds(400)); };
  pause();
  const RunResult set = run_bpffwc({"set", pin, "mtu=576"});
  pause();
  const RunResult forced = run_bpffwc({"--force", "-o", pin, "--param", "mtu", "len < mtu"});
  pause();
  const std::uint32_t new_id = forced.exit_code == 0 ? pinned_id(pin) : 0;
  const auto removed_at = std::chrono::steady_clock::now();
  ::unlink(pin.c_str());
  watcher.join();
  const auto ended_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - removed_at).count();
  REQUIRE_MESSAGE(set.exit_code == 0, describe(set));
  REQUIRE_MESSAGE(forced.exit_code == 0, describe(forced));
  MESSAGE("watch output (last lines): ..."
          << watched.out.substr(watched.out.size() > 400 ? watched.out.size() - 400 : 0) << "ended " << ended_ms
          << " ms after the pin was removed");
  CHECK(watched.exit_code == 0);
  CHECK(watched.err.empty());
  CHECK(watched.out.rfind(pin + ": len <= mtu\n", 0) == 0);
  const std::size_t first_576 = watched.out.find("mtu=576\n");
  const std::size_t changed = watched.out.find(pin + ": now program " + std::to_string(new_id) + " (was " +
                                               std::to_string(old_id) + "): len < mtu\n");
  CHECK(watched.out.find("mtu=1500\n") < first_576);
  CHECK(first_576 != std::string::npos);
  CHECK(changed != std::string::npos);
  CHECK(first_576 < changed);
  CHECK(watched.out.find("mtu=576\n", changed) != std::string::npos);  // --param mtu kept the value
  const std::string gone = pin + ": the pin is gone; watch ends\n";
  CHECK(watched.out.size() >= gone.size());
  CHECK(watched.out.substr(watched.out.size() - gone.size()) == gone);
  CHECK(ended_ms < 2000);
}
