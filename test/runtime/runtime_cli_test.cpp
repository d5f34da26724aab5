// bpffwc's runtime control end to end: -o --param, stats --json, set, show PIN, watch, --force
// keeping counters and parameters, --no-counters. Packets go through the pinned program with
// BPF_PROG_TEST_RUN from this process; bpffwc runs as a child.
#include <cstdio>

#include <sys/stat.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include "cli/run_process.hpp"
#include "e2e/processes.hpp"
#include "runtime/runtime_test_support.hpp"
#include "support/kernel_env.hpp"

namespace bpffw::test {
namespace {

std::string describe(const ProcessResult& result) {
  return "exit " + std::to_string(result.exit_code) + "\nstdout: " + result.out + "\nstderr: " + result.err;
}

void bpffwc_ok(const std::vector<std::string>& args) {
  ProcessResult result = run_bpffwc(args);
  REQUIRE_MESSAGE(result.exit_code == 0, describe(result));
}

Program open_or_fail(const std::string& pin) {
  auto program = Program::open_pinned(pin);
  REQUIRE_MESSAGE(program.has_value(), (program ? "" : program.error().message));
  return std::move(*program);
}

std::uint32_t id_of(const std::string& pin) {
  auto info = open_or_fail(pin).info();
  REQUIRE(info.has_value());
  return info->id;
}

TEST_CASE("bpffwc stats --json reports exactly the packets run through the pinned program") {
  require_root();
  ensure_bpffs();
  ScopedPinDir pins;
  std::string pin = pins.file("dns");
  bpffwc_ok({"-o", pin, "udp && dst_port == 53"});
  {
    Program program = open_or_fail(pin);
    for (int i = 0; i < 11; ++i) REQUIRE(passes(program, udp_packet(53, 10)));       // 38 bytes each
    for (int i = 0; i < 4; ++i) REQUIRE_FALSE(passes(program, udp_packet(123, 2)));  // 30 bytes each
  }
  ProcessResult stats = run_bpffwc({"stats", pin, "--json"});
  REQUIRE_MESSAGE(stats.exit_code == 0, describe(stats));
  CHECK(stats.out ==
        "{\"passed_packets\":11,\"dropped_packets\":4,\"passed_bytes\":418,\"dropped_bytes\":120,\"would_drop_"
        "packets\":0,\"would_drop_bytes\":0,\"audit\":false}\n");
  ProcessResult text = run_bpffwc({"stats", pin});
  CHECK(text.out == "passed   11 packets  418 bytes\ndropped  4 packets  120 bytes\n");
}

TEST_CASE("bpffwc set flips verdicts with the program id unchanged") {
  require_root();
  ensure_bpffs();
  ScopedPinDir pins;
  std::string pin = pins.file("mtu");
  bpffwc_ok({"-o", pin, "--param", "mtu=1500", "len <= mtu"});
  std::uint32_t id = id_of(pin);
  packet::Packet packet = udp_packet(53, 100);  // 128 bytes
  CHECK(passes(open_or_fail(pin), packet));

  bpffwc_ok({"set", pin, "mtu=50"});
  CHECK_FALSE(passes(open_or_fail(pin), packet));
  CHECK(id_of(pin) == id);
  bpffwc_ok({"set", pin, "mtu=0x80"});
  CHECK(passes(open_or_fail(pin), packet));
  CHECK(id_of(pin) == id);

  // Errors change nothing: an unknown name, a bad value, a bad value after a good one.
  ProcessResult unknown = run_bpffwc({"set", pin, "mut=1"});
  CHECK(unknown.exit_code == 2);
  CHECK(unknown.err ==
        "bpffwc: error: the program has no parameter 'mut' (did you mean 'mtu'?)\n"
        "bpffwc: hint: its parameters: mtu\n");
  ProcessResult bad = run_bpffwc({"set", pin, "mtu=1", "mtu=lots"});
  CHECK(bad.exit_code == 2);
  CHECK(bad.err.find("bad value for parameter 'mtu': 'lots' is not an integer") != std::string::npos);
  ProcessResult show = run_bpffwc({"show", pin});
  REQUIRE_MESSAGE(show.exit_code == 0, describe(show));
  CHECK(show.out.find("parameters  mtu=128\n") != std::string::npos);
  CHECK(passes(open_or_fail(pin), packet));
}

TEST_CASE("--force keeps the counters, and the parameter values named without a value") {
  require_root();
  ensure_bpffs();
  ScopedPinDir pins;
  std::string pin = pins.file("f");
  bpffwc_ok({"-o", pin, "--param", "mtu=1500", "--param", "floor=20", "len <= mtu && len >= floor"});
  {
    Program program = open_or_fail(pin);
    for (int i = 0; i < 6; ++i) REQUIRE(passes(program, udp_packet(53, 12)));  // 40 bytes
  }
  bpffwc_ok({"set", pin, "mtu=900"});
  std::uint32_t old_id = id_of(pin);

  bpffwc_ok({"-o", pin, "--force", "--param", "mtu", "--param", "floor=30", "len <= mtu && len > floor"});
  CHECK(id_of(pin) != old_id);
  auto parameters = read_parameters(open_or_fail(pin));
  REQUIRE(parameters.has_value());
  CHECK(*parameters == std::vector<Parameter>{{"mtu", 900}, {"floor", 30}});
  {
    Program program = open_or_fail(pin);
    REQUIRE_FALSE(passes(program, udp_packet(53, 2)));  // 30 bytes: not > floor
  }
  ProcessResult stats = run_bpffwc({"stats", pin, "--json"});
  CHECK(stats.out ==
        "{\"passed_packets\":6,\"dropped_packets\":1,\"passed_bytes\":240,\"dropped_bytes\":30,\"would_drop_packets\":"
        "0,\"would_drop_bytes\":0,\"audit\":false}\n");

  // NAME without a value needs a replaced program that has it.
  ProcessResult missing = run_bpffwc({"-o", pin, "--force", "--param", "ceiling", "len < ceiling"});
  CHECK(missing.exit_code == 2);
  CHECK(missing.err.find("parameter 'ceiling' has no value") != std::string::npos);
  ProcessResult fresh = run_bpffwc({"-o", pins.file("g"), "--param", "mtu", "len < mtu"});
  CHECK(fresh.exit_code == 2);
  CHECK(id_of(pin) != old_id);
}

TEST_CASE("bpffwc show PIN counts a rule list's entries, and says nothing of them without one") {
  require_root();
  ensure_bpffs();
  ScopedPinDir pins;
  std::string rules;
  for (int i = 0; i < 70; ++i)
    rules += (i ? " || " : "") + std::string("(tcp && dst_port in {") + std::to_string(i) + ", 8080})";
  std::string pin = pins.file("r");
  bpffwc_ok({"-o", pin, rules});
  ProcessResult shown = run_bpffwc({"show", pin});
  REQUIRE_MESSAGE(shown.exit_code == 0, describe(shown));
  // 70 ports and 8080 once: 71 entries.
  CHECK(shown.out.find("\nrule lists  71 entries, looked up per packet (docs/filter-language.md §7.4)\n") !=
        std::string::npos);
  ProcessResult json = run_bpffwc({"show", "--json", pin});
  CHECK(json.out.find(",\"rule_entries\":71,") != std::string::npos);
  std::string plain = pins.file("p");
  bpffwc_ok({"-o", plain, "tcp"});
  CHECK(run_bpffwc({"show", plain}).out.find("rule lists") == std::string::npos);
  CHECK(run_bpffwc({"show", "--json", plain}).out.find("rule_entries") == std::string::npos);
}

TEST_CASE("bpffwc show PIN describes the program from the pin alone") {
  require_root();
  ensure_bpffs();
  ScopedPinDir pins;
  std::string pin = pins.file("s");
  bpffwc_ok({"-o", pin, "--param", "mtu=1500", "len <= mtu || icmp"});
  REQUIRE_FALSE(passes(open_or_fail(pin), packet::PacketBuilder().ipv4().tcp(1, 2).payload(1500).build()));
  ProcessResult show = run_bpffwc({"show", pin});
  REQUIRE_MESSAGE(show.exit_code == 0, describe(show));
  std::string expected = pin + "\nprogram     " + std::to_string(id_of(pin)) + " bpffw_filter, compiled by bpffw " +
                         kVersion + "\nexpression  len <= mtu || icmp\n" + verifier_line(id_of(pin)) +
                         "direction   either (compiled without -t)\n" + "parameters  mtu=1500\n" +
                         "counters    passed 0 packets (0 bytes), dropped 1 packets (1540 bytes)\n";
  CHECK(show.out == expected);

  // -t records the direction the program is for (local_* and remote_* need one).
  std::string egress = pins.file("e");
  bpffwc_ok({"-o", egress, "-t", "egress", "--no-counters", "tcp && local_port == 8080"});
  ProcessResult shown = run_bpffwc({"show", egress});
  CHECK(shown.out.find("\nexpression  tcp && local_port == 8080\n" + verifier_line(id_of(egress)) +
                       "direction   egress\n") != std::string::npos);

  std::string quiet = pins.file("q");
  bpffwc_ok({"-o", quiet, "--no-counters", "tcp"});
  ProcessResult no_counters = run_bpffwc({"show", quiet});
  CHECK(no_counters.out.find("counters    none (compiled with --no-counters)\n") != std::string::npos);
  ProcessResult stats = run_bpffwc({"stats", quiet});
  CHECK(stats.exit_code == 2);
  CHECK(stats.err.find("compiled with --no-counters") != std::string::npos);
}

TEST_CASE("bpffwc watch samples counters with rates and parameters") {
  require_root();
  ensure_bpffs();
  ScopedPinDir pins;
  std::string pin = pins.file("w");
  bpffwc_ok({"-o", pin, "--param", "mtu=1500", "len <= mtu"});
  REQUIRE(passes(open_or_fail(pin), udp_packet(53, 12)));
  ProcessResult watch = run_bpffwc({"watch", pin, "--count", "3", "--interval", "0.05"});
  REQUIRE_MESSAGE(watch.exit_code == 0, describe(watch));
  CHECK(watch.out.starts_with(pin + ": len <= mtu\npassed 1 (-) 40 B (-)  dropped 0 (-) 0 B (-)  mtu=1500\n"));
  CHECK(watch.out.find("passed 1 (+0/s) 40 B (+0 B/s)  dropped 0 (+0/s) 0 B (+0 B/s)  mtu=1500\n") !=
        std::string::npos);
  std::size_t lines = 0;
  for (char c : watch.out) lines += c == '\n';
  CHECK(lines == 4);
}

TEST_CASE("bad --param declarations are usage errors before anything is loaded") {
  ProcessResult builtin = run_bpffwc({"--check", "--param", "tcp=1", "tcp"});
  CHECK(builtin.exit_code == 2);
  CHECK(builtin.err ==
        "bpffwc: error: parameter name 'tcp' is a built-in name of the language\n"
        "bpffwc: hint: choose another name, e.g. max_tcp\n");
  ProcessResult value = run_bpffwc({"--check", "--param", "mtu=1e3", "len < mtu"});
  CHECK(value.exit_code == 2);
  ProcessResult typo = run_bpffwc({"--check", "--param", "mtu=1", "len < mtv"});
  CHECK(typo.exit_code == 1);
  CHECK(typo.err.find("unknown variable 'mtv' (did you mean 'mtu'?)") != std::string::npos);
}

}  // namespace
}  // namespace bpffw::test

namespace bpffw::test {
namespace {

TEST_CASE("--attach --replace keeps the counters and a parameter named without a value") {
  require_root();
  ensure_bpffs();
  ScopedPinDir pins;
  e2e::ScratchCgroup cgroup;
  std::string pin = pins.file("live");
  bpffwc_ok({"--attach", cgroup.path(), "-t", "ingress", "-o", pin, "--param", "mtu=1000", "len <= mtu"});
  {
    Program program = open_or_fail(pin);
    for (int i = 0; i < 5; ++i) REQUIRE(passes(program, udp_packet(53, 12)));  // 40 bytes
  }
  bpffwc_ok({"set", pin, "mtu=700"});
  std::uint32_t old_id = id_of(pin);
  bpffwc_ok({"--attach", cgroup.path(), "-t", "ingress", "--replace", pin, "--param", "mtu", "len < mtu"});
  CHECK(id_of(pin) != old_id);
  auto parameters = read_parameters(open_or_fail(pin));
  REQUIRE(parameters.has_value());
  CHECK(*parameters == std::vector<Parameter>{{"mtu", 700}});
  ProcessResult stats = run_bpffwc({"stats", pin, "--json"});
  CHECK(stats.out ==
        "{\"passed_packets\":5,\"dropped_packets\":0,\"passed_bytes\":200,\"dropped_bytes\":0,\"would_drop_packets\":0,"
        "\"would_drop_bytes\":0,\"audit\":false}\n");

  auto opened = Cgroup::open(cgroup.path());
  REQUIRE(opened.has_value());
  auto detached = detach_all_bpffw(*opened, Direction::Ingress);
  CHECK(detached.has_value());
}

TEST_CASE("bpffwc named sets: --set and --set-file, set +=, -=, =@FILE, show, stats, --force keeping them") {
  require_root();
  ensure_bpffs();
  ScopedPinDir pins;
  std::string pin = pins.file("web");
  std::string list = "/tmp/bpffw-sets-test-" + std::to_string(::getpid()) + ".txt";
  {
    std::FILE* out = std::fopen(list.c_str(), "w");
    REQUIRE(out != nullptr);
    std::fputs("# blocked\n10.0.0.0/8  # office\n\n2001:db8::/32\n", out);
    std::fclose(out);
  }
  bpffwc_ok({"-o", pin, "--set", "ports=22,80", "--set-file", "blocklist=" + list,
             "dst_port in ports && !(src_addr in blocklist)"});
  std::uint32_t id = id_of(pin);
  packet::Packet listed = packet::PacketBuilder().ipv4({.src = {198, 51, 100, 7}}).udp(1, 80).build();
  CHECK(passes(open_or_fail(pin), listed));
  bpffwc_ok({"set", pin, "blocklist+=198.51.100.7"});
  CHECK_FALSE(passes(open_or_fail(pin), listed));
  bpffwc_ok({"set", pin, "ports-=80"});
  bpffwc_ok({"set", pin, "blocklist=@" + list});
  bpffwc_ok({"set", pin, "ports=80"});
  CHECK(passes(open_or_fail(pin), listed));
  CHECK(id_of(pin) == id);

  ProcessResult show = run_bpffwc({"show", pin});
  REQUIRE_MESSAGE(show.exit_code == 0, describe(show));
  CHECK(show.out.find("sets        ports (1 integers), blocklist (2 prefixes)\n") != std::string::npos);
  ProcessResult stats = run_bpffwc({"stats", "--json", pin});
  REQUIRE_MESSAGE(stats.exit_code == 0, describe(stats));
  CHECK(stats.out.find("\"sets\":{\"ports\":1,\"blocklist\":2}") != std::string::npos);

  ProcessResult unknown = run_bpffwc({"set", pin, "blocklst+=1.2.3.4"});
  CHECK(unknown.exit_code == 2);
  CHECK(unknown.err.find("the program has no set 'blocklst'") != std::string::npos);
  CHECK(unknown.err.find("its sets: ports, blocklist") != std::string::npos);
  ProcessResult wrong = run_bpffwc({"set", pin, "ports+=10.0.0.1"});
  CHECK(wrong.exit_code == 2);
  CHECK(passes(open_or_fail(pin), listed));

  // --force with a bare --set NAME keeps the old program's contents.
  bpffwc_ok(
      {"-o", pin, "--force", "--set", "ports", "--set", "blocklist", "dst_port in ports && src_addr in blocklist"});
  CHECK_FALSE(passes(open_or_fail(pin), listed));
  bpffwc_ok({"set", pin, "blocklist+=198.51.100.0/24"});
  CHECK(passes(open_or_fail(pin), listed));

  {
    std::FILE* out = std::fopen(list.c_str(), "w");
    REQUIRE(out != nullptr);
    std::fputs("10.0.0.0/8\n  10.0.0.300\n", out);
    std::fclose(out);
  }
  ProcessResult bad_file = run_bpffwc({"--check", "--set-file", "b=" + list, "src_addr in b"});
  CHECK(bad_file.exit_code == 1);
  CHECK(bad_file.err.find("bpffwc: error: " + list + ":2:3: ") == 0);
  CHECK(bad_file.err.find("  10.0.0.300\n    ^~~~~~~~~~\n") != std::string::npos);
  std::remove(list.c_str());
}

TEST_CASE("bpffwc runs set itself, without LLVM, every other command in bpffwc-full") {
  // A copy of bpffwc alone, without the bpffwc-full it hands other commands to: `set` still
  // works (so it links no LLVM and starts fast), the others say what is missing.
  require_root();
  ensure_bpffs();
  ScopedPinDir pins;
  std::string pin = pins.file("front");
  bpffwc_ok({"-o", pin, "--set", "ports=22", "--param", "limit=1", "dst_port in ports && len > limit"});
  std::string dir = "/tmp/bpffw-front-test-" + std::to_string(::getpid());
  std::string alone = dir + "/bpffwc";
  REQUIRE(::mkdir(dir.c_str(), 0700) == 0);
  ProcessResult copied = run_process("/bin/cp", {BPFFWC_PATH, alone});
  REQUIRE_MESSAGE(copied.exit_code == 0, describe(copied));

  ProcessResult set = run_process(alone, {"set", pin, "ports+=80", "limit=2"});
  CHECK_MESSAGE(set.exit_code == 0, describe(set));
  CHECK(passes(open_or_fail(pin), udp_packet(80, 4)));
  ProcessResult refused = run_process(alone, {"set", pin, "prots+=1"});
  CHECK(refused.exit_code == 2);
  CHECK(refused.err.find("the program has no set 'prots'") != std::string::npos);
  ProcessResult other = run_process(alone, {"--version"});
  CHECK(other.exit_code == 3);
  CHECK(other.err.find("bpffwc: error: cannot run " + dir + "/") == 0);
  CHECK(other.err.find("bpffwc: hint: bpffwc is installed incompletely") != std::string::npos);
  std::remove(alone.c_str());
  ::rmdir(dir.c_str());
}

}  // namespace
}  // namespace bpffw::test
