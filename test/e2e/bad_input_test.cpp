// Bad input to --attach, detach and show: a clear error, the documented exit code (2 usage,
// 3 system, 1 invalid expression), and nothing changed — no program attached or detached, no pin
// created or replaced.
#include <doctest/doctest.h>

#include <bpf/bpf.h>
#include <linux/bpf.h>
#include <sched.h>
#include <sys/mount.h>
#include <unistd.h>

#include <fcntl.h>
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <bpffw/cgroup.hpp>
#include <bpffw/program.hpp>

#include "e2e/other_tool.hpp"
#include "e2e/processes.hpp"
#include "support/kernel_env.hpp"

using namespace bpffw::e2e;
using bpffw::Direction;

namespace {

struct State {
  std::vector<std::uint32_t> ingress, egress;  // attached program ids
  std::vector<std::string> pins;               // names in the pin directory, with their program ids
  bool operator==(const State&) const = default;
};

std::vector<std::uint32_t> attached_ids(const bpffw::Cgroup& cgroup, Direction direction) {
  auto programs = bpffw::attached_programs(cgroup, direction);
  REQUIRE(programs.has_value());
  std::vector<std::uint32_t> ids;
  for (const auto& program : *programs) ids.push_back(program.id);
  return ids;
}

State snapshot(const std::string& cgroup_path, const bpffw::test::ScopedPinDir& pins) {
  auto cgroup = bpffw::Cgroup::open(cgroup_path);
  REQUIRE(cgroup.has_value());
  State state{attached_ids(*cgroup, Direction::Ingress), attached_ids(*cgroup, Direction::Egress), {}};
  for (const auto& entry : std::filesystem::directory_iterator(pins.path())) {
    auto program = bpffw::Program::open_pinned(entry.path().string());
    REQUIRE(program.has_value());
    state.pins.push_back(entry.path().filename().string() + "=" + std::to_string(program->info().value().id));
  }
  std::sort(state.pins.begin(), state.pins.end());
  return state;
}

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

// Runs bpffwc and checks its exit code, the first line of its error, and that nothing changed.
void expect_refused(const std::vector<std::string>& args, int exit_code, const std::string& error,
                    const std::string& cgroup, const bpffw::test::ScopedPinDir& pins, const std::string& run_in = {},
                    const std::function<int()>& before_exec = {}) {
  const State before = snapshot(cgroup, pins);
  const RunResult result = run_bpffwc(args, run_in, before_exec);
  std::string command = "bpffwc";
  for (const std::string& arg : args) command += " '" + arg + "'";
  INFO(command, "\n", describe(result));
  CHECK(result.exit_code == exit_code);
  CHECK(first_line(result.err) == "bpffwc: error: " + error);
  CHECK(result.out.empty());
  CHECK(snapshot(cgroup, pins) == before);
}

// Hides /proc from the child: a private mount namespace with an empty tmpfs over it.
int hide_proc() {
  if (::unshare(CLONE_NEWNS) != 0) return 1;
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) return 2;
  return ::mount("tmpfs", "/proc", "tmpfs", 0, nullptr) == 0 ? 0 : 3;
}

}  // namespace

TEST_CASE("--attach to a missing cgroup, a cgroup v1 directory, a regular file, or not a cgroup at all") {
  bpffw::test::ensure_bpffs();
  ScratchCgroup cgroup;
  bpffw::test::ScopedPinDir pins;
  const std::string pin = pins.file("filter");
  const std::string missing = cgroup.path() + "/no-such-child";
  expect_refused({"--attach", missing, "-t", "egress", "-o", pin, "icmp"}, 2, "cgroup '" + missing + "' does not exist",
                 cgroup.path(), pins);
  expect_refused({"--attach", cgroup.name() + "/no-such-child", "-t", "ingress", "icmp"}, 2,
                 "cgroup '" + missing + "' does not exist", cgroup.path(), pins);

  CgroupV1Dir v1;
  expect_refused({"--attach", v1.path(), "-t", "egress", "-o", pin, "icmp"}, 2,
                 "'" + v1.path() + "' is a cgroup v1 directory; bpf programs attach to cgroup v2 only", cgroup.path(),
                 pins);

  const std::string file = cgroup.path() + "/cgroup.procs";
  expect_refused({"--attach", file, "-t", "egress", "icmp"}, 2,
                 "'" + file + "' is not a directory, so it is not a cgroup", cgroup.path(), pins);
  expect_refused({"--attach", "/tmp", "-t", "egress", "icmp"}, 2, "'/tmp' is not on the cgroup2 file system",
                 cgroup.path(), pins);
  expect_refused({"show", missing}, 2, "cgroup '" + missing + "' does not exist", cgroup.path(), pins);
}

TEST_CASE("show of a path on bpffs is about the pin, whether it exists or not") {
  bpffw::test::ensure_bpffs();
  ScratchCgroup cgroup;
  bpffw::test::ScopedPinDir pins;
  const std::string missing = pins.file("nope");
  expect_refused({"show", missing}, 3, "no pinned program at '" + missing + "'", cgroup.path(), pins);
  const RunResult shown = run_bpffwc({"show", missing});
  CHECK(shown.err.find("cgroup") == std::string::npos);
  CHECK(shown.err.find("bpffwc: hint: pin one with: bpffwc -o " + missing + " EXPRESSION\n") != std::string::npos);
  // A name with '.' is one -o refuses: no hint to pin it.
  const std::string dotted = pins.file("maps.debug");
  const RunResult dotted_shown = run_bpffwc({"show", dotted});
  CHECK(dotted_shown.exit_code == 3);
  CHECK(dotted_shown.err ==
        "bpffwc: error: no pinned program at '" + dotted +
            "'\n"
            "bpffwc: hint: a pin's name never contains '.' (bpffs refuses it), so no program is pinned there\n");
  // In a directory that does not exist either, and the pin directory itself.
  const std::string deeper = pins.file("no-dir/nope");
  expect_refused({"show", deeper}, 3, "no pinned program at '" + deeper + "'", cgroup.path(), pins);
  expect_refused({"show", pins.path()}, 2, "'" + pins.path() + "' is a directory, not a pinned program", cgroup.path(),
                 pins);
}

TEST_CASE("every option the compile command would ignore is a usage error, with --attach as without") {
  bpffw::test::ensure_bpffs();
  ScratchCgroup cgroup;
  bpffw::test::ScopedPinDir pins;
  const std::string pin = pins.file("filter");
  const std::string& cg = cgroup.path();
  const std::string out = "/tmp/bpffw-e2e-never-written-" + std::to_string(::getpid());
  struct Combination {
    std::vector<std::string> options;  // before the expression 'icmp'
    std::string error;
  };
  const Combination table[] = {
      // --force needs -o PIN to replace.
      {{"--force", "--check"}, "--force only applies to -o PIN"},
      {{"--force", "--emit", "asm"}, "--force only applies to -o PIN"},
      {{"--attach", cg, "-t", "egress", "--force"}, "--force only applies to -o PIN"},
      {{"--attach", cg, "-t", "egress", "--replace", pin, "--force"},
       "--force only applies to -o PIN; --replace always replaces the pin"},
      // -O FILE needs --emit to write.
      {{"-O", out, "--check"}, "-O FILE only applies to --emit"},
      {{"-O", out, "-o", pin}, "-O FILE only applies to --emit"},
      {{"--attach", cg, "-t", "egress", "-O", out}, "-O FILE only applies to --emit"},
      {{"--attach", cg, "-t", "egress", "-o", pin, "-O", out}, "-O FILE only applies to --emit"},
      {{"--attach", cg, "-t", "egress", "--replace", pin, "-O", out}, "-O FILE only applies to --emit"},
      // --replace needs --attach (-t alone is the direction the program is compiled for).
      {{"--replace", pin, "-o", pin}, "--replace only applies to --attach"},
      {{"--replace", pin, "--emit", "asm"}, "--replace only applies to --attach"},
      // --allow-host-wide confirms an attach.
      {{"--allow-host-wide", "-o", pin}, "--allow-host-wide only applies to --attach"},
      {{"--allow-host-wide", "--check"}, "--allow-host-wide only applies to --attach"},
      // --attach loads: nothing to emit or check.
      {{"--attach", cg, "-t", "egress", "--emit", "asm"}, "--attach cannot be combined with --emit or --check"},
      {{"--attach", cg, "-t", "egress", "--emit", "obj", "-O", out},
       "--attach cannot be combined with --emit or --check"},
      {{"--attach", cg, "-t", "egress", "--check"}, "--attach cannot be combined with --emit or --check"},
      {{"--attach", cg, "-t", "egress", "-o", pin, "--check"}, "--attach cannot be combined with --emit or --check"},
      {{"--attach", cg, "-t", "egress", "--replace", pin, "-o", pin}, "--replace PIN already names the pin; drop -o"},
      {{"--attach", cg}, "--attach needs a direction: -t ingress or -t egress"},
      // Without --attach, one of -o, --emit, --check.
      {{}, "nothing to do: give -o PIN, --attach CGROUP, --emit KIND or --check"},
      {{"--param", "x=1", "--no-counters"}, "nothing to do: give -o PIN, --attach CGROUP, --emit KIND or --check"},
      {{"-o", pin, "--check"}, "-o, --replace-everywhere, --emit and --check cannot be combined; give one of them"},
      {{"-o", pin, "--emit", "asm"},
       "-o, --replace-everywhere, --emit and --check cannot be combined; give one of them"},
      {{"--emit", "asm", "--check"},
       "-o, --replace-everywhere, --emit and --check cannot be combined; give one of them"},
      {{"--replace-everywhere", pin, "-o", pin},
       "-o, --replace-everywhere, --emit and --check cannot be combined; give one of them"},
      {{"--replace-everywhere", pin, "--attach", cg, "-t", "egress"},
       "--replace-everywhere finds the cgroups itself; it does not combine with --attach"},
  };
  for (const Combination& combination : table) {
    std::vector<std::string> args = combination.options;
    args.push_back("icmp");
    expect_refused(args, 2, combination.error, cg, pins);
    CHECK(::access(out.c_str(), F_OK) != 0);
  }
}

TEST_CASE("a missing or unknown -t, and option combinations that make no sense") {
  bpffw::test::ensure_bpffs();
  ScratchCgroup cgroup;
  bpffw::test::ScopedPinDir pins;
  const std::string pin = pins.file("filter");
  const std::string& cg = cgroup.path();
  expect_refused({"--attach", cg, "icmp"}, 2, "--attach needs a direction: -t ingress or -t egress", cg, pins);
  expect_refused({"--attach", cg, "-o", pin, "icmp"}, 2, "--attach needs a direction: -t ingress or -t egress", cg,
                 pins);
  expect_refused({"--attach", cg, "-t", "sideways", "icmp"}, 2, "unknown direction 'sideways'", cg, pins);
  expect_refused({"--attach", cg, "-t", "Egress", "icmp"}, 2, "unknown direction 'Egress'", cg, pins);
  expect_refused({"-t", "sideways", "-o", pin, "icmp"}, 2, "unknown direction 'sideways'", cg, pins);
  expect_refused({"--replace", pin, "icmp"}, 2, "--replace only applies to --attach", cg, pins);
  expect_refused({"--attach", cg, "-t", "egress", "--check", "icmp"}, 2,
                 "--attach cannot be combined with --emit or --check", cg, pins);
  expect_refused({"--attach", cg, "-t", "egress", "--replace", pin, "-o", pin, "icmp"}, 2,
                 "--replace PIN already names the pin; drop -o", cg, pins);
  expect_refused({"--attach", cg, "-t", "egress"}, 2, "missing EXPRESSION or -f FILE", cg, pins);
  expect_refused({"detach", cg, pin}, 2, "detach needs a direction: -t ingress or -t egress", cg, pins);
  expect_refused({"detach", cg, "-t", "up", "--all"}, 2, "unknown direction 'up'", cg, pins);
  expect_refused({"detach", cg, "-t", "egress"}, 2, "detach needs PIN or --all", cg, pins);
  expect_refused({"detach", cg, "-t", "egress", pin, "--all"}, 2, "give either PIN or --all, not both", cg, pins);
}

TEST_CASE("an invalid expression with --attach attaches nothing (exit 1)") {
  bpffw::test::ensure_bpffs();
  ScratchCgroup cgroup;
  bpffw::test::ScopedPinDir pins;
  expect_refused({"--attach", cgroup.path(), "-t", "egress", "-o", pins.file("filter"), "dst_prot == 80"}, 1,
                 "1:1: unknown variable 'dst_prot' (did you mean 'dst_port'?)", cgroup.path(), pins);
}

TEST_CASE("detaching a pinned program that is not attached is an error") {
  bpffw::test::ensure_bpffs();
  ScratchCgroup cgroup;
  bpffw::test::ScopedPinDir pins;
  const std::string pin = pins.file("filter");
  auto pinned = run_bpffwc({"-o", pin, "icmp"});
  REQUIRE_MESSAGE(pinned.exit_code == 0, describe(pinned));
  const auto id = bpffw::Program::open_pinned(pin).value().info().value().id;

  expect_refused({"detach", cgroup.path(), "-t", "egress", pin}, 2,
                 "program " + std::to_string(id) + " is not attached to " + cgroup.path() + " egress", cgroup.path(),
                 pins);
  expect_refused({"detach", cgroup.path(), "-t", "egress", pins.file("none")}, 3,
                 "no pinned program at '" + pins.file("none") + "'", cgroup.path(), pins);
  // --replace of a pin whose program is not attached here: nothing swapped, the pin untouched.
  expect_refused(
      {"--attach", cgroup.path(), "-t", "egress", "--replace", pin, "udp"}, 2,
      "the program to replace (id " + std::to_string(id) + ") is not attached to " + cgroup.path() + " egress",
      cgroup.path(), pins);
}

TEST_CASE("detach --all with no bpffw program attached: exit 0 and a note, nothing changed") {
  bpffw::test::ensure_bpffs();
  ScratchCgroup cgroup;
  bpffw::test::ScopedPinDir pins;
  // Another tool's program stays where it is and does not count as ours.
  OtherToolsProgram other(cgroup.path(), BPF_CGROUP_INET_INGRESS);
  for (const char* direction : {"ingress", "egress"}) {
    CAPTURE(direction);
    const State before = snapshot(cgroup.path(), pins);
    for (int again = 0; again < 2; ++again) {  // idempotent: the second run says the same
      const RunResult result = run_bpffwc({"detach", cgroup.path(), "-t", direction, "--all"});
      INFO(describe(result));
      CHECK(result.exit_code == 0);
      CHECK(result.out.empty());
      CHECK(result.err == "bpffwc: note: no bpffw program was attached to " + cgroup.path() + " " + direction +
                              "; nothing to detach\n");
      CHECK(snapshot(cgroup.path(), pins) == before);
    }
  }
  // After a real detach --all, a second one is a no-op too.
  auto attached = run_bpffwc({"--attach", cgroup.path(), "-t", "egress", "icmp"});
  REQUIRE_MESSAGE(attached.exit_code == 0, describe(attached));
  auto first = run_bpffwc({"detach", cgroup.path(), "-t", "egress", "--all"});
  CHECK(first.exit_code == 0);
  CHECK(first.err.empty());
  auto second = run_bpffwc({"detach", cgroup.path(), "-t", "egress", "--all"});
  CHECK(second.exit_code == 0);
  CHECK(second.err.find("no bpffw program was attached") != std::string::npos);
  REQUIRE(other.detach());
}

TEST_CASE("an existing pin without --force: the program attached for it is detached again") {
  bpffw::test::ensure_bpffs();
  ScratchCgroup cgroup;
  bpffw::test::ScopedPinDir pins;
  const std::string pin = pins.file("filter");
  auto pinned = run_bpffwc({"-o", pin, "icmp"});
  REQUIRE_MESSAGE(pinned.exit_code == 0, describe(pinned));
  expect_refused({"--attach", cgroup.path(), "-t", "egress", "-o", pin, "udp"}, 2,
                 "pin '" + pin + "' already exists; use --force to replace it", cgroup.path(), pins);
}

TEST_CASE("self when /proc cannot be read: a system error, nothing attached") {
  bpffw::test::ensure_bpffs();
  ScratchCgroup cgroup;
  bpffw::test::ScopedPinDir pins;
  const std::string error = "cannot read /proc/self/cgroup to find the cgroup of self: No such file or directory";
  // Run from inside the scratch cgroup, so that `self` would have been it.
  expect_refused({"--attach", "self", "-t", "egress", "-o", pins.file("filter"), "icmp"}, 3, error, cgroup.path(), pins,
                 cgroup.path(), hide_proc);
  expect_refused({"show", "self"}, 3, error, cgroup.path(), pins, cgroup.path(), hide_proc);
  expect_refused({"detach", "self", "-t", "egress", "--all"}, 3, error, cgroup.path(), pins, cgroup.path(), hide_proc);
  // The hint says what to do.
  auto result = run_bpffwc({"show", "self"}, cgroup.path(), hide_proc);
  CHECK(result.err.find("bpffwc: hint: mount /proc (mount -t proc proc /proc), or name the cgroup by its path") !=
        std::string::npos);
}

TEST_CASE("another tool's program: detach --all leaves it, detach by its pin refuses, show tells it apart") {
  bpffw::test::ensure_bpffs();
  ScratchCgroup cgroup;
  bpffw::test::ScopedPinDir pins;
  OtherToolsProgram other(cgroup.path(), BPF_CGROUP_INET_EGRESS);
  REQUIRE(bpf_obj_pin(other.fd(), pins.file("other").c_str()) == 0);
  bpf_prog_info info{};
  __u32 length = sizeof info;
  REQUIRE(bpf_obj_get_info_by_fd(other.fd(), &info, &length) == 0);

  for (const char* filter : {"icmp", "udp"}) {
    auto attached = run_bpffwc({"--attach", cgroup.path(), "-t", "egress", filter});
    REQUIRE_MESSAGE(attached.exit_code == 0, describe(attached));
  }
  auto shown = run_bpffwc({"show", cgroup.path()});
  REQUIRE_MESSAGE(shown.exit_code == 0, describe(shown));
  CHECK(shown.out.find("(other tools' programs: " + std::to_string(info.id) + " other_tool)") != std::string::npos);

  expect_refused({"detach", cgroup.path(), "-t", "egress", pins.file("other")}, 2,
                 "program " + std::to_string(info.id) +
                     " is named 'other_tool', not 'bpffw_filter': bpffwc does "
                     "not detach another tool's program",
                 cgroup.path(), pins);

  auto detached = run_bpffwc({"detach", cgroup.path(), "-t", "egress", "--all"});
  REQUIRE_MESSAGE(detached.exit_code == 0, describe(detached));
  auto opened = bpffw::Cgroup::open(cgroup.path());
  REQUIRE(opened.has_value());
  CHECK(attached_ids(*opened, Direction::Egress) == std::vector<std::uint32_t>{info.id});

  REQUIRE(other.detach());
}
