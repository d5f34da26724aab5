// --json on every command that prints data (docs/bpffwc.md, "JSON output"): show PIN, show CGROUP
// with bpffw's and another tool's programs, watch's events and test's verdicts, each checked
// against the documented keys and values.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include <bpffw/program.hpp>
#include <bpffw/version.hpp>

#include "e2e/other_tool.hpp"
#include "e2e/processes.hpp"
#include "support/kernel_env.hpp"

using namespace bpffw::e2e;
using bpffw::test::pinned_id;

namespace {

// What the kernel says it checked (a number), or null where it does not say (before 5.16).
std::string verified_json(const std::string& pin) {
  auto program = bpffw::Program::open_pinned(pin);
  REQUIRE(program.has_value());
  auto verified = program->info().value().verified_instructions;
  return verified ? std::to_string(*verified) : "null";
}

std::string other_id(const OtherToolsProgram& other) {
  bpf_prog_info info{};
  __u32 length = sizeof info;
  REQUIRE(bpf_obj_get_info_by_fd(other.fd(), &info, &length) == 0);
  return std::to_string(info.id);
}

const std::string kZeroCounters =
    R"({"passed_packets":0,"dropped_packets":0,"passed_bytes":0,"dropped_bytes":0,"would_drop_packets":0,)"
    R"("would_drop_bytes":0})";

}  // namespace

TEST_CASE("show --json PIN: the program's self-description as one object") {
  bpffw::test::ensure_bpffs();
  bpffw::test::ScopedPinDir pins;
  const std::string pin = pins.file("mtu");
  REQUIRE(run_bpffwc({"-o", pin, "-t", "egress", "--param", "mtu=1500", "--param", "low=-1", "len <= mtu"}).exit_code ==
          0);
  RunResult shown = run_bpffwc({"show", "--json", pin});
  REQUIRE_MESSAGE(shown.exit_code == 0, describe(shown));
  CHECK(shown.out == R"({"pin":")" + pin + R"(","program":{"id":)" + pinned_id(pin) +
                         R"(,"name":"bpffw_filter","bpffw_version":")" + bpffw::kVersion +
                         R"(","verified_instructions":)" + verified_json(pin) +
                         R"(,"expression":"len <= mtu","direction":"egress","audit":false,"parameters":{"mtu":1500,)"
                         R"("low":-1},)"
                         R"("counters":)" +
                         kZeroCounters + "}}\n");

  const std::string bare = pins.file("bare");
  REQUIRE(run_bpffwc({"-o", bare, "--no-counters", "tcp # \"quoted\"\n"}).exit_code == 0);
  RunResult plain = run_bpffwc({"show", "--json", bare});
  CHECK(
      plain.out.find(
          R"("expression":"tcp # \"quoted\"\u000a","direction":null,"audit":false,"parameters":{},"counters":null}})") !=
      std::string::npos);
}

TEST_CASE("show --json CGROUP: per direction, bpffw's programs described and other tools' named") {
  bpffw::test::ensure_bpffs();
  ScratchCgroup cgroup;
  OtherToolsProgram other(cgroup.path(), BPF_CGROUP_INET_INGRESS);
  RunResult attached = run_bpffwc({"--attach", cgroup.path(), "-t", "ingress", "udp"});
  REQUIRE_MESSAGE(attached.exit_code == 0, describe(attached));
  RunResult shown = run_bpffwc({"show", "--json", cgroup.path()});
  REQUIRE_MESSAGE(shown.exit_code == 0, describe(shown));
  const std::string& out = shown.out;
  CHECK(out.rfind(R"({"cgroup":")" + cgroup.path() + R"(","ingress":[{"id":)" + other_id(other) +
                      R"(,"name":"other_tool","bpffw":false},{"bpffw":true,"id":)",
                  0) == 0);
  CHECK(out.find(R"(,"name":"bpffw_filter","bpffw_version":")" + std::string(bpffw::kVersion) +
                 R"(","verified_instructions":)") != std::string::npos);
  CHECK(out.find(R"(,"expression":"udp","direction":"ingress","audit":false,"parameters":{},"counters":)") !=
        std::string::npos);
  const std::string end =
      R"(}}],"egress":[],"sockets":{"connect4":[],"connect6":[],"sendmsg4":[],"sendmsg6":[],"bind4":[],"bind6":[]}})"
      "\n";  // the counters, the program, the list, no socket programs, the object
  CHECK(out.size() > end.size());
  CHECK(out.substr(out.size() - end.size()) == end);
  CHECK(run_bpffwc({"detach", cgroup.path(), "-t", "ingress", "--all"}).exit_code == 0);
}

TEST_CASE("watch --json: a start event, then samples with counters, rates and parameters") {
  bpffw::test::ensure_bpffs();
  bpffw::test::ScopedPinDir pins;
  const std::string pin = pins.file("w");
  REQUIRE(run_bpffwc({"-o", pin, "--param", "open=1", "open != 0"}).exit_code == 0);
  const std::string id = pinned_id(pin);
  RunResult watched = run_bpffwc({"watch", "--json", "--interval", "0.05", "--count", "2", pin});
  REQUIRE_MESSAGE(watched.exit_code == 0, describe(watched));
  const std::string start = R"({"event":"start","program":")" + pin + R"(","id":)" + id +
                            R"(,"expression":"open != 0"})"
                            "\n";
  const std::string first = R"({"event":"sample","id":)" + id + R"(,"seconds":0.000,"counters":)" + kZeroCounters +
                            R"(,"rates":null,"parameters":{"open":1}})"
                            "\n";
  CHECK(watched.out.rfind(start + first, 0) == 0);
  CHECK(watched.out.find(R"(,"rates":{"passed_packets":0.000,"dropped_packets":0.000,"passed_bytes":0.000,)"
                         R"("dropped_bytes":0.000},"parameters":{"open":1}})") != std::string::npos);
}

TEST_CASE("test --json: the engine and every packet's verdict") {
  bpffw::test::ensure_bpffs();
  RunResult judged = run_bpffwc({"test", "--json", "-p", "ipv4 tcp dport=22", "-p", "ipv4 udp", "-p",
                                 "tcp sock=tcp-established", "tcp && dst_port == 22"});
  REQUIRE_MESSAGE(judged.exit_code == 0, describe(judged));
  CHECK(judged.out == R"({"judged_by":"kernel","why":"BPF_PROG_TEST_RUN","packets":[)"
                      R"({"packet":"ipv4 tcp 12345 -> 22, 40 bytes","verdict":"pass","note":null,)"
                      R"("decided_by":{"text":"dst_port == 22","line":1,"column":8,"length":14}},)"
                      R"({"packet":"ipv4 udp 12345 -> 80, 28 bytes","verdict":"drop","note":null,)"
                      R"("decided_by":{"text":"tcp","line":1,"column":1,"length":3}},)"
                      R"({"packet":"ipv4 tcp 12345 -> 80, 40 bytes, socket tcp-established","verdict":"drop",)"
                      R"("note":"interpreter: the kernel's test run has no socket",)"
                      R"("decided_by":{"text":"dst_port == 22","line":1,"column":8,"length":14}}]})"
                      "\n");
  RunResult interpreted = run_bpffwc({"test", "--json", "--interpret", "-p", "ipv4 tcp", "tcp"});
  CHECK(interpreted.out == R"({"judged_by":"interpreter","why":"--interpret","packets":[)"
                           R"({"packet":"ipv4 tcp 12345 -> 80, 40 bytes","verdict":"pass","note":null,)"
                           R"("decided_by":{"text":"tcp","line":1,"column":1,"length":3}}]})"
                           "\n");
}
