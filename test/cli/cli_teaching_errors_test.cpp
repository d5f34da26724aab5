// Errors that teach (issue 15): tcpdump words, a name in the wrong case, an expression the shell
// split, a misspelt subcommand, an expression read as options, pin paths off bpffs, and the
// warning for a comparison that is always false. Exact stderr, exit codes.
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include <bpffw/cgroup.hpp>

#include "cli/run_process.hpp"
#include "fields/packet_fields.hpp"

using namespace bpffw::test;

namespace {

struct Expected {
  std::vector<std::string> args;
  int exit_code;
  std::string stderr_text;
};

void check_all(const std::vector<Expected>& cases) {
  for (const Expected& expected : cases) {
    std::string joined;
    for (const std::string& arg : expected.args) joined += "[" + arg + "] ";
    CAPTURE(joined);
    ProcessResult result = run_bpffwc(expected.args);
    CHECK(result.exit_code == expected.exit_code);
    CHECK(result.err == expected.stderr_text);
  }
}

const std::string help = "bpffwc: hint: try 'bpffwc --help'\n";

// Every variable of the field table, in its order: "ip, ipv6, ...".
std::string variable_names() {
  std::string names;
  for (const bpffw::fields::PacketField& row : bpffw::fields::kPacketFields)
    names += (names.empty() ? "" : ", ") + std::string(row.name);
  return names;
}

}  // namespace

TEST_CASE("tcpdump's words: what bpffw writes instead, with the caret on the word") {
  check_all({
      {{"--check", "tcp and dst_port == 443"}, 1,
       "bpffwc: error: 1:5: bpffw writes '&&' for 'and' (a tcpdump word)\n"
       "  tcp and dst_port == 443\n"
       "      ^~~\n"
       "bpffwc: hint: write: tcp && dst_port == 443\n"},
      {{"--check", "tcp or udp"}, 1,
       "bpffwc: error: 1:5: bpffw writes '||' for 'or' (a tcpdump word)\n"
       "  tcp or udp\n"
       "      ^~\n"
       "bpffwc: hint: write: tcp || udp\n"},
      {{"--check", "not udp"}, 1,
       "bpffwc: error: 1:1: bpffw writes '!' for 'not' (a tcpdump word)\n"
       "  not udp\n"
       "  ^~~\n"
       "bpffwc: hint: write: !udp\n"},
      {{"--check", "tcp port 80"}, 1,
       "bpffwc: error: 1:5: bpffw has no 'port' (tcpdump words): compare a port variable\n"
       "  tcp port 80\n"
       "      ^~~~\n"
       "bpffwc: hint: write 'dst_port == 80' (the destination) or 'src_port == 80' (the source), e.g. "
       "'tcp && dst_port == 80'\n"},
      {{"--check", "port 80"}, 1,
       "bpffwc: error: 1:1: bpffw has no 'port' (tcpdump words): compare a port variable\n"
       "  port 80\n"
       "  ^~~~\n"
       "bpffwc: hint: write 'dst_port == 80' (the destination) or 'src_port == 80' (the source), e.g. "
       "'tcp && dst_port == 80'\n"},
      {{"--check", "host 10.0.0.1"}, 1,
       "bpffwc: error: 1:1: bpffw has no 'host' (tcpdump words): compare an address variable\n"
       "  host 10.0.0.1\n"
       "  ^~~~\n"
       "bpffwc: hint: write 'src_addr == 10.0.0.1 || dst_addr == 10.0.0.1'\n"},
      {{"--check", "tcp && dst port 22"}, 1,
       "bpffwc: error: 1:8: bpffw has no 'dst port' (tcpdump words): compare a port variable\n"
       "  tcp && dst port 22\n"
       "         ^~~~~~~~\n"
       "bpffwc: hint: write 'dst_port == 22'\n"},
  });
}

TEST_CASE("an unknown name: case-insensitive suggestions, else the list of variables") {
  check_all({
      {{"--check", "TCP"}, 1,
       "bpffwc: error: 1:1: unknown variable 'TCP' (did you mean 'tcp'?)\n"
       "  TCP\n"
       "  ^~~\n"},
      {{"--check", "Dst_Port == 22"}, 1,
       "bpffwc: error: 1:1: unknown variable 'Dst_Port' (did you mean 'dst_port'?)\n"
       "  Dst_Port == 22\n"
       "  ^~~~~~~~\n"},
      {{"--check", "proto == 6"}, 1,
       "bpffwc: error: 1:1: unknown variable 'proto'\n"
       "  proto == 6\n"
       "  ^~~~~\n"
       "bpffwc: hint: the variables are " + variable_names() + " (docs/filter-language.md §4)\n"},
  });
}

TEST_CASE("an expression the shell split: say to quote it") {
  check_all({
      {{"--check", "dst_port", "==", "443"}, 2,
       "bpffwc: error: the expression is split over 3 arguments: dst_port == 443\n"
       "bpffwc: hint: quote it as one argument: bpffwc --check 'dst_port == 443'\n" +
           help},
      {{"test", "-p", "ipv4 udp", "udp", "||", "tcp"}, 2,
       "bpffwc: error: the expression is split over 3 arguments: udp || tcp\n"
       "bpffwc: hint: quote it as one argument: bpffwc test -p 'ipv4 udp' 'udp || tcp'\n"
       "bpffwc: hint: try 'bpffwc test --help'\n"},
  });
}

TEST_CASE("a misspelt subcommand: the nearest one, or the option of that name") {
  check_all({
      {{"shwo"}, 2, "bpffwc: error: 'shwo' is not a subcommand (did you mean 'show'?)\n" + help},
      {{"stat", "/sys/fs/bpf/x"}, 2, "bpffwc: error: 'stat' is not a subcommand (did you mean 'stats'?)\n" + help},
      {{"detch", "self"}, 2, "bpffwc: error: 'detch' is not a subcommand (did you mean 'detach'?)\n" + help},
      {{"Show", "-o", "/sys/fs/bpf/x"}, 2, "bpffwc: error: 'Show' is not a subcommand (did you mean 'show'?)\n" + help},
      {{"show_"}, 2, "bpffwc: error: 'show_' is not a subcommand (did you mean 'show'?)\n" + help},
      {{"check", "tcp"}, 2, "bpffwc: error: 'check' is not a subcommand (did you mean the option '--check'?)\n" + help},
      // A word that is an expression, or close to a variable, stays the expression.
      {{"tcp"}, 2, "bpffwc: error: nothing to do: give -o PIN, --attach CGROUP, --emit KIND or --check\n" + help},
  });
}

TEST_CASE("an expression after '-' and a letter needs '--'") {
  check_all({
      {{"--check", "-tcp"}, 2,
       "bpffwc: error: '-tcp' would be read as options ('-t cp'); an expression that starts with '-' needs '--' "
       "before it\n"
       "bpffwc: hint: bpffwc --check -- -tcp\n" +
           help},
      {{"--check", "--", "-tcp"}, 0, ""},
      {{"--check", "-1 < len"}, 0, ""},
  });
}

TEST_CASE("a comparison outside the variable's range: a warning with caret, the exit status stays") {
  check_all({
      {{"--check", "tcp && dst_port == 70000"}, 0,
       "bpffwc: warning: 1:8: this comparison is always false: dst_port is 0..65535\n"
       "  tcp && dst_port == 70000\n"
       "         ^~~~~~~~~~~~~~~~~\n"},
      {{"--check", "icmp_type > 255"}, 0,
       "bpffwc: warning: 1:1: this comparison is always false: icmp_type is 0..255, or -1 when absent\n"
       "  icmp_type > 255\n"
       "  ^~~~~~~~~~~~~~~\n"},
      {{"--emit", "ast", "70000 != src_port"}, 0,
       "bpffwc: warning: 1:1: this comparison is always true: src_port is 0..65535\n"
       "  70000 != src_port\n"
       "  ^~~~~~~~~~~~~~~~~\n"},
      {{"--check", "dst_port == 65535 || icmp_type == -1 || -1 < len"}, 0, ""},
  });
}

TEST_CASE("'show .' prints the cgroup2 mount on its first line (examples/port-firewall uses it)") {
  auto mount = bpffw::find_cgroup2_mount();
  REQUIRE(mount);
  ProcessResult shown = run_bpffwc({"show", "."});
  CHECK(shown.exit_code == 0);
  CHECK(shown.out.substr(0, shown.out.find('\n')) == *mount);
}
