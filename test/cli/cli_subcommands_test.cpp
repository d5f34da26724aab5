// How bpffwc tells subcommands from expressions, and what each subcommand's --help and usage
// errors say: its own footer, readable value names, and a pointer to its own --help.
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "cli/run_process.hpp"

using namespace bpffw::test;

namespace {

const std::vector<std::string> kSubcommands = {"attach", "detach", "show", "test", "stats", "set", "watch"};

}  // namespace

TEST_CASE("a subcommand is only the first argument: elsewhere its name is the expression") {
  // The expression 'test' is the declared parameter; no subcommand runs.
  ProcessResult parameter = run_bpffwc({"--check", "--param", "test=1", "test"});
  CHECK(parameter.exit_code == 0);
  CHECK(parameter.err.empty());
  CHECK(parameter.out.empty());
  ProcessResult emitted = run_bpffwc({"--emit", "ast", "--param", "show=2", "show"});
  CHECK(emitted.exit_code == 0);
  CHECK(emitted.out == "parameter show 1:1\n");
  // '--' still works, and is needed for nothing here.
  ProcessResult dashed = run_bpffwc({"--check", "--param", "test=1", "--", "test"});
  CHECK(dashed.exit_code == 0);
  CHECK(dashed.err.empty());
  // Undeclared, the word is an unknown variable of the expression, not a subcommand.
  ProcessResult unknown = run_bpffwc({"--check", "stats"});
  CHECK(unknown.exit_code == 1);
  CHECK(unknown.err.rfind("bpffwc: error: 1:1: unknown variable 'stats'\n", 0) == 0);
  // Inside a subcommand, another subcommand's name is an argument too.
  ProcessResult inside = run_bpffwc({"test", "--interpret", "--param", "set=7", "-p", "ipv4 udp", "set"});
  CHECK(inside.exit_code == 0);
  CHECK(inside.err.empty());
  CHECK(inside.out == "pass  ipv4 udp 12345 -> 80, 28 bytes\njudged by the reference interpreter (--interpret)\n");
}

TEST_CASE("usage errors inside a subcommand point at that subcommand's --help") {
  struct Usage {
    std::vector<std::string> args;
    std::string stderr_text;
  };
  const Usage cases[] = {
      {{"stats"}, "bpffwc: error: PIN is required, or --all\nbpffwc: hint: try 'bpffwc stats --help'\n"},
      {{"watch", "--interval", "0", "/sys/fs/bpf/x"},
       "bpffwc: error: --interval must be between 0.01 and 3600 seconds, not 0\nbpffwc: hint: try 'bpffwc watch "
       "--help'\n"},
      {{"test", "tcp", "-p", "arp", "--check"},
       "bpffwc: error: the following argument was not expected: --check\nbpffwc: hint: try 'bpffwc test --help'\n"},
      {{"test", "-p", "arp", "-(tcp)"},
       "bpffwc: error: the following argument was not expected: -(tcp)\n"
       "bpffwc: hint: put '--' after the options, before an expression that starts with '-': bpffwc test -p "
       "SPEC -- '-(tcp)'\n"
       "bpffwc: hint: try 'bpffwc test --help'\n"},
      {{"detach", "self", "/sys/fs/bpf/x"},
       "bpffwc: error: detach needs a direction: -t ingress or -t egress\nbpffwc: hint: try 'bpffwc detach --help'\n"},
      {{"attach", "self", "/sys/fs/bpf/x"},
       "bpffwc: error: attach needs a direction: -t ingress or -t egress\nbpffwc: hint: try 'bpffwc attach --help'\n"},
      {{"set", "/sys/fs/bpf/x"}, "bpffwc: error: ASSIGNMENT is required\nbpffwc: hint: try 'bpffwc set --help'\n"},
      {{"show", "a", "b"},
       "bpffwc: error: the following argument was not expected: b\nbpffwc: hint: try 'bpffwc show --help'\n"},
  };
  for (const Usage& usage : cases) {
    std::string joined;
    for (const std::string& arg : usage.args) joined += "[" + arg + "] ";
    CAPTURE(joined);
    ProcessResult result = run_bpffwc(usage.args);
    CHECK(result.exit_code == 2);
    CHECK(result.out.empty());
    CHECK(result.err == usage.stderr_text);
  }
  // A usage error of the command itself, after its own hint.
  ProcessResult no_packet = run_bpffwc({"test", "tcp"});
  CHECK(no_packet.exit_code == 2);
  CHECK(no_packet.err.rfind("bpffwc: error: test needs at least one --packet SPEC\nbpffwc: hint: describe a packet",
                            0) == 0);
  CHECK(no_packet.err.size() > 40);
  CHECK(no_packet.err.substr(no_packet.err.size() - 40) == "\nbpffwc: hint: try 'bpffwc test --help'\n");
}

TEST_CASE("each subcommand's --help ends with its own short footer, not the top-level one") {
  ProcessResult top = run_bpffwc({"--help"});
  REQUIRE(top.exit_code == 0);
  CHECK(top.out.find("Exit codes:\n") != std::string::npos);
  CHECK(top.out.find("bpffwc --emit asm 'udp && dst_port == 53'") != std::string::npos);
  for (const std::string& sub : kSubcommands) {
    CAPTURE(sub);
    ProcessResult help = run_bpffwc({sub, "--help"});
    REQUIRE(help.exit_code == 0);
    CHECK(help.out.find("\nUsage: bpffwc " + sub + " ") != std::string::npos);
    CHECK(help.out.find("Exit codes:") == std::string::npos);
    CHECK(help.out.find("--emit asm") == std::string::npos);
    CHECK(help.out.find("\nExample") != std::string::npos);
    CHECK(help.out.find("bpffwc " + sub + " ") != std::string::npos);  // its examples are its own
  }
}

TEST_CASE("--help names every value in words: no CLI11 type names or validator ranges") {
  std::vector<std::vector<std::string>> helps = {{"--help"}};
  for (const std::string& sub : kSubcommands) helps.push_back({sub, "--help"});
  for (const std::vector<std::string>& args : helps) {
    CAPTURE(args[0]);
    ProcessResult help = run_bpffwc(args);
    REQUIRE(help.exit_code == 0);
    for (const char* cli11_name : {" TEXT", " FLOAT", " UINT", " INT", ":FLOAT", " in ["})
      CHECK_MESSAGE(help.out.find(cli11_name) == std::string::npos, "'" << cli11_name << "' in:\n" << help.out);
  }
  ProcessResult watch = run_bpffwc({"watch", "--help"});
  CHECK(watch.out.find("--interval SECONDS") != std::string::npos);
  CHECK(watch.out.find("--count N") != std::string::npos);
}
