// bpffwc's answers to bad expressions and bad command lines: exit codes and the exact stderr.
#include <string>

#include <doctest/doctest.h>

#include "cli/run_process.hpp"

using namespace bpffw::test;

namespace {

struct BadExpression {
  std::string expression;
  std::string stderr_text;
};

}  // namespace

TEST_CASE("invalid expressions: exit 1, position, source line and caret") {
  const BadExpression cases[] = {
      {"tcp &&",
       "bpffwc: error: 1:7: expected an operand after '&&'\n"
       "  tcp &&\n"
       "        ^\n"},
      {"dst_prot == 80",
       "bpffwc: error: 1:1: unknown variable 'dst_prot' (did you mean 'dst_port'?)\n"
       "  dst_prot == 80\n"
       "  ^~~~~~~~\n"},
      {"99999999999999999999",
       "bpffwc: error: 1:1: integer literal '99999999999999999999' is out of range (the maximum is "
       "9223372036854775807)\n"
       "  99999999999999999999\n"
       "  ^~~~~~~~~~~~~~~~~~~~\n"},
      {"53u",
       "bpffwc: error: 1:1: invalid suffix 'u' on integer literal '53u'\n"
       "  53u\n"
       "  ^~~\n"},
      {"a = 1",
       "bpffwc: error: 1:3: assignment is not supported (did you mean '=='?)\n"
       "  a = 1\n"
       "    ^\n"},
      {"",
       "bpffwc: error: 1:1: empty expression\n"
       "  \n"
       "  ^\n"},
      {"tcp || || udp",
       "bpffwc: error: 1:8: expected an operand after '||'\n"
       "  tcp || || udp\n"
       "         ^~\n"},
      {"(udp",
       "bpffwc: error: 1:5: missing ')' to close the '(' at column 1\n"
       "  (udp\n"
       "      ^\n"},
      {"0x",
       "bpffwc: error: 1:1: hexadecimal literal '0x' has no digits\n"
       "  0x\n"
       "  ^~\n"},
      {"tcp\x01 && udp",
       "bpffwc: error: 1:4: unexpected character '\\x01'\n"
       "  tcp? && udp\n"
       "     ^\n"},
      {"\x1b[31m",
       "bpffwc: error: 1:1: unexpected character '\\x1b'\n"
       "  ?[31m\n"
       "  ^\n"},
  };
  for (const BadExpression& bad : cases) {
    for (const char* mode : {"--check", "--emit=asm"}) {
      CAPTURE(bad.expression);
      CAPTURE(mode);
      ProcessResult result = run_bpffwc({mode, "--", bad.expression});
      CHECK(result.exit_code == 1);
      CHECK(result.err == bad.stderr_text);
      CHECK(result.out.empty());
    }
  }
}

TEST_CASE("an invalid expression given to -o fails before anything is loaded or pinned") {
  ProcessResult result = run_bpffwc({"-o", "/sys/fs/bpf/bpffw-never-created", "tcp &&"});
  CHECK(result.exit_code == 1);
  CHECK(result.err.rfind("bpffwc: error: 1:7: expected an operand after '&&'\n", 0) == 0);
}

TEST_CASE("10,000 nested parentheses: a clear error, exit 1, no crash") {
  std::string deep = std::string(10000, '(') + "1" + std::string(10000, ')');
  ProcessResult result = run_bpffwc({"--check", deep});
  CHECK(result.signal == 0);
  CHECK(result.exit_code == 1);
  CHECK(result.err.rfind("bpffwc: error: 1:513: expression nested too deeply (the limit is 512 levels)\n", 0) == 0);

  std::string unary = std::string(10000, '!') + "1";
  ProcessResult unary_result = run_bpffwc({"--check", unary});
  CHECK(unary_result.signal == 0);
  CHECK(unary_result.exit_code == 1);
}

TEST_CASE("an expression starting with '-' passes after --") {
  ProcessResult result = run_bpffwc({"--check", "--", "-1 < len"});
  CHECK(result.exit_code == 0);
  CHECK(result.err.empty());
  ProcessResult bare = run_bpffwc({"--check", "--", "-(tcp)"});
  CHECK(bare.exit_code == 0);
  CHECK(bare.err.empty());
  // CLI11 takes a lone negative number as a positional even without --.
  ProcessResult number = run_bpffwc({"--check", "-1"});
  CHECK(number.exit_code == 0);
  CHECK(number.err.empty());
}

TEST_CASE("usage errors: exit 2, one line, and a pointer to --help") {
  struct Usage {
    std::vector<std::string> args;
    std::string stderr_text;
  };
  const std::string help = "bpffwc: hint: try 'bpffwc --help'\n";
  const Usage cases[] = {
      {{}, "bpffwc: error: missing EXPRESSION or -f FILE\n" + help},
      {{"--check"}, "bpffwc: error: missing EXPRESSION or -f FILE\n" + help},
      {{"tcp"}, "bpffwc: error: nothing to do: give -o PIN, --attach CGROUP, --emit KIND or --check\n" + help},
      {{"--bogus", "tcp"}, "bpffwc: error: the following argument was not expected: --bogus\n" + help},
      {{"--emit", "bogus", "tcp"},
       "bpffwc: error: unknown --emit kind 'bogus'; expected ast, llvm, asm, obj or bundle\n" + help},
      {{"--emit"}, "bpffwc: error: --emit: 1 required KIND missing\n" + help},
      {{"-o", "/sys/fs/bpf/x", "--emit", "asm", "tcp"},
       "bpffwc: error: -o, --replace-everywhere, --emit and --check cannot be combined; give one of them\n" + help},
      {{"--check", "--emit", "asm", "tcp"},
       "bpffwc: error: -o, --replace-everywhere, --emit and --check cannot be combined; give one of them\n" + help},
      {{"--force", "--check", "tcp"}, "bpffwc: error: --force only applies to -o PIN\n" + help},
      {{"-O", "/tmp/x", "--check", "tcp"}, "bpffwc: error: -O FILE only applies to --emit\n" + help},
      {{"--check", "tcp", "udp"},
       "bpffwc: error: the expression is split over 2 arguments: tcp udp\n"
       "bpffwc: hint: quote it as one argument: bpffwc --check 'tcp udp'\n" +
           help},
      {{"--check", "-(tcp)"},
       "bpffwc: error: the following argument was not expected: -(tcp)\n"
       "bpffwc: hint: put '--' after the options, before an expression that starts with '-': bpffwc "
       "--check -- '-(tcp)'\n" +
           help},
  };
  for (const Usage& usage : cases) {
    std::string joined;
    for (const std::string& arg : usage.args) joined += "[" + arg + "] ";
    CAPTURE(joined);
    ProcessResult result = run_bpffwc(usage.args);
    CHECK(result.exit_code == 2);
    CHECK(result.err == usage.stderr_text);
    CHECK(result.out.empty());
  }
}

TEST_CASE("--emit obj refuses a terminal, and writes to -O FILE") {
  ProcessResult tty = run_bpffwc({"--emit", "obj", "tcp"}, ProcessOptions{.stdout_is_tty = true});
  CHECK(tty.exit_code == 2);
  CHECK(tty.err ==
        "bpffwc: error: refusing to write a binary object to a terminal\n"
        "bpffwc: hint: redirect standard output, or give -O FILE\n"
        "bpffwc: hint: try 'bpffwc --help'\n");

  // Text is fine on a terminal.
  ProcessResult text_on_tty = run_bpffwc({"--emit", "asm", "tcp"}, ProcessOptions{.stdout_is_tty = true});
  CHECK(text_on_tty.exit_code == 0);
  CHECK(text_on_tty.err.empty());
}

TEST_CASE("--help documents the exit codes, --version names bpffwc, LLVM and libbpf") {
  ProcessResult help = run_bpffwc({"--help"});
  CHECK(help.exit_code == 0);
  CHECK(help.out.find("Usage: bpffwc") != std::string::npos);
  CHECK(help.out.find("  0  success\n  1  invalid expression\n  2  usage error") != std::string::npos);
  CHECK(help.out.find("  3  system or kernel failure") != std::string::npos);
  for (const char* option : {"-o,--pin PIN", "--force", "--emit KIND", "-O,--output FILE", "--check"})
    CHECK(help.out.find(option) != std::string::npos);

  ProcessResult version = run_bpffwc({"--version"});
  CHECK(version.exit_code == 0);
  CHECK(version.out.rfind("bpffwc 0.1.0 (LLVM 19.", 0) == 0);
  CHECK(version.out.find(", libbpf 1.") != std::string::npos);
  CHECK(version.out.back() == '\n');
}
