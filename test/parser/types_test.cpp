// The type check (docs/filter-language.md §6.2): addresses allow only ==, != and in {...}; every
// other use is refused at the address with a message saying so. local_* and remote_* need the
// direction (§4.6). Named constants (§4.4) are numbers.
#include <doctest/doctest.h>

#include "parse_helpers.hpp"

using bpffw::test::ast_of;
using bpffw::test::error_of;

namespace {

constexpr const char* kAllows =
    "addresses allow only '==', '!=' and 'in {...}', with addresses or prefixes such as 192.0.2.1, "
    "10.0.0.0/8 or fd00::/8";

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

}  // namespace

TEST_CASE("types: every misuse of an address is refused at the address, saying what addresses allow") {
  const std::pair<const char*, std::string> cases[] = {
      {"src_addr + 1", "1:1: 'src_addr' is an address: '+' does not apply to addresses; "},
      {"1 + 10.0.0.1", "1:5: the address 10.0.0.1 is an address: '+' does not apply to addresses; "},
      {"src_addr < 10.0.0.1", "1:1: 'src_addr' is an address: '<' does not apply to addresses; "},
      {"src_addr == 5", "1:1: 'src_addr' is an address and cannot be compared with an integer; "},
      {"len == 10.0.0.1", "1:8: the address 10.0.0.1 is an address and cannot be compared with an integer; "},
      {"src_addr && tcp", "1:1: 'src_addr' is an address: it is not a truth value for '&&'; "},
      {"!dst_addr", "1:2: 'dst_addr' is an address: '!' does not apply to it; "},
      {"src_addr ? 1 : 0", "1:1: 'src_addr' is an address: it is not a truth value for '?'; "},
      {"tcp ? src_addr : dst_addr", "1:7: 'src_addr' is an address: '?:' chooses between integers only; "},
      {"src_addr", "1:1: 'src_addr' is an address: the filter's value must be an integer (non-zero passes); "},
      {"10.0.0.1",
       "1:1: the address 10.0.0.1 is an address: the filter's value must be an integer (non-zero passes); "},
  };
  for (const auto& [filter, start] : cases) {
    INFO(filter);
    CHECK(first_line(error_of(filter)) == start + kAllows);
  }
}

TEST_CASE("types: comparisons that cannot be about a packet, and sets of the wrong kind") {
  CHECK(first_line(error_of("10.0.0.1 == 10.0.0.1")) ==
        "1:1: both sides of '==' are constant addresses: compare src_addr, dst_addr, local_addr or remote_addr");
  CHECK(first_line(error_of("dst_addr in {10.0.0.0/8, 53}")) == "1:1: a set holds integers or addresses, not both");
  CHECK(first_line(error_of("dst_port in {10.0.0.0/8}")) ==
        "1:1: the set holds addresses, but its value is an integer: test src_addr, dst_addr, local_addr or remote_addr "
        "against it");
  CHECK(first_line(error_of("dst_addr in {53, 80}"))
            .rfind("1:1: 'dst_addr' is an address: it is tested against integers", 0) == 0);
  CHECK(first_line(error_of("10.0.0.1 in {10.0.0.0/8}")) ==
        "1:1: the address 10.0.0.1 is a constant: test src_addr, dst_addr, local_addr or remote_addr against the set");
}

TEST_CASE("types: addresses where they belong, inside any expression") {
  CHECK(ast_of("tcp && dst_port == 22 && src_addr in {198.51.100.0/24, 2001:db8::/32}") ==
        "and 1:1\n  variable tcp 1:1\n  binary == 1:8\n    variable dst_port 1:8\n    literal 22 1:20\n"
        "  address src_addr in {198.51.100.0/24, 2001:db8::/32} 1:26\n");
  CHECK(ast_of("(src_addr == 192.0.2.1) + 1").rfind("binary + 1:1\n  address src_addr in {192.0.2.1} 1:2\n", 0) == 0);
}

TEST_CASE("types: local and remote need a direction, and keep their names") {
  CHECK(error_of("local_port == 443") ==
        "1:1: 'local_port' needs the direction the program is for: compile with -t ingress or -t egress\n"
        "  local_port == 443\n"
        "  ^~~~~~~~~~\n");
  CHECK(first_line(error_of("remote_addr in {10.0.0.0/8}")) ==
        "1:1: 'remote_addr' needs the direction the program is for: compile with -t ingress or -t egress");
  bpffw::ParseOptions egress;
  egress.direction = bpffw::Direction::Egress;
  CHECK(ast_of("local_port == 8080", egress) == "binary == 1:1\n  variable local_port 1:1\n  literal 8080 1:15\n");
  CHECK(ast_of("remote_addr == local_addr", egress) == "address remote_addr == local_addr 1:1\n");
}

TEST_CASE("types: named constants are numbers, a typo of one is suggested") {
  CHECK(ast_of("tcp_flags & SYN") == "binary & 1:1\n  variable tcp_flags 1:1\n  literal 2 1:13\n");
  CHECK(ast_of("icmp_type == ICMPV6_ECHO_REQUEST") == "binary == 1:1\n  variable icmp_type 1:1\n  literal 128 1:14\n");
  CHECK(first_line(error_of("tcp_flags & SNY")) == "1:13: unknown variable 'SNY' (did you mean 'SYN'?)");
  CHECK(first_line(error_of("icmp_type == ICMP_ECHO_REQEST")) ==
        "1:14: unknown variable 'ICMP_ECHO_REQEST' (did you mean 'ICMP_ECHO_REQUEST'?)");
  // A parameter may not take a constant's name.
  auto refused = bpffw::Filter::parse("1", {.parameters = {{"SYN", 1}}});
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().kind == bpffw::ErrorKind::Usage);
}
