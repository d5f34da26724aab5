// Address and prefix literals (docs/filter-language.md §2.4): every RFC 4291 text form, prefixes,
// and each malformed literal refused with its caret; compared with inet_pton's reading.
#include <arpa/inet.h>

#include <doctest/doctest.h>

#include "parse_helpers.hpp"
#include "parser/addresses.hpp"

using bpffw::test::ast_of;
using bpffw::test::error_of;

namespace {

std::string hint_of(std::string_view source) {
  auto filter = bpffw::Filter::parse(source);
  return filter ? "unexpected success" : filter.error().hint;
}

}  // namespace

TEST_CASE("addresses: IPv6 in every textual form of RFC 4291, any case, as inet_pton reads it") {
  for (const char* text : {"::", "::1", "fd00::", "2001:db8::1", "2001:DB8::1", "2001:db8:0:0:0:0:0:1",
                           "FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF", "::ffff:192.0.2.1", "64:ff9b::192.0.2.33",
                           "1::", "1:2:3:4:5:6:7::", "::2:3:4:5:6:7:8", "fe80::1:2"}) {
    INFO(text);
    auto prefix = bpffw::parser::parse_ipv6_literal(text);
    REQUIRE(prefix.has_value());
    unsigned char expected[16];
    REQUIRE(inet_pton(AF_INET6, text, expected) == 1);
    CHECK(std::equal(prefix->bytes.begin(), prefix->bytes.end(), expected));
    CHECK(prefix->length == 128);
    CHECK(prefix->family == bpffw::ast::Family::Ipv6);
  }
}

TEST_CASE("addresses: the AST shows each in its canonical form, a v4-mapped address is IPv6") {
  CHECK(ast_of("src_addr == 192.0.2.1") == "address src_addr in {192.0.2.1} 1:1\n");
  CHECK(ast_of("dst_addr == 2001:DB8:0:0::1") == "address dst_addr in {2001:db8::1} 1:1\n");
  CHECK(ast_of("src_addr == ::ffff:192.0.2.1") == "address src_addr in {::ffff:192.0.2.1} 1:1\n");
  CHECK(ast_of("dst_addr in {10.0.0.0/8, 172.16.0.0/12, fd00::/8, ::1}") ==
        "address dst_addr in {10.0.0.0/8, 172.16.0.0/12, fd00::/8, ::1} 1:1\n");
  CHECK(ast_of("src_addr != 0.0.0.0/0") == "unary ! 1:1\n  address src_addr in {0.0.0.0/0} 1:1\n");
  CHECK(ast_of("10.0.0.0/8 == dst_addr") == "address dst_addr in {10.0.0.0/8} 1:1\n");
  CHECK(ast_of("src_addr == dst_addr") == "address src_addr == dst_addr 1:1\n");
  // With spaces, `/` divides: an error, since addresses take no arithmetic.
  CHECK(error_of("src_addr == 10.0.0.0 / 8").find("is an address: '/' does not apply to addresses") !=
        std::string::npos);
}

TEST_CASE("addresses: malformed literals, with the caret under the literal") {
  CHECK(error_of("src_addr == 1.2.3") ==
        "1:13: an IPv4 address has four parts, '1.2.3' has 3\n"
        "  src_addr == 1.2.3\n"
        "              ^~~~~\n");
  CHECK(error_of("src_addr == 1.2.3.256").rfind("1:13: 256 in '1.2.3.256' is not 0 to 255\n", 0) == 0);
  CHECK(error_of("src_addr == 1.2.3.4.5").rfind("1:13: an IPv4 address has four parts, '1.2.3.4.5' has 5", 0) == 0);
  CHECK(error_of("src_addr == 010.0.0.1").rfind("1:13: leading zero in '010.0.0.1'", 0) == 0);
  CHECK(error_of("src_addr == 10.0.0.0/33") ==
        "1:13: prefix length /33 is longer than an IPv4 address (32 bits)\n"
        "  src_addr == 10.0.0.0/33\n"
        "              ^~~~~~~~~~~\n");
  CHECK(error_of("src_addr == ::/129").rfind("1:13: prefix length /129 is longer than an IPv6 address (128 bits)", 0) ==
        0);
  CHECK(error_of("src_addr == ::1::") ==
        "1:13: '::1::' is not an IPv6 address: '::' may appear only once\n"
        "  src_addr == ::1::\n"
        "              ^~~~~\n");
  CHECK(error_of("src_addr == 1:2:3:4:5:6:7:8:9").rfind("1:13: '1:2:3:4:5:6:7:8:9' is not an IPv6 address", 0) == 0);
  CHECK(error_of("src_addr == 12345::").rfind("1:13: '12345::' is not an IPv6 address: a group has at most 4", 0) == 0);
  CHECK(error_of("src_addr == 10.0.0.0/8x").rfind("1:13: invalid prefix length in '10.0.0.0/8x'", 0) == 0);
}

TEST_CASE("addresses: host bits after the prefix are an error whose hint is the masked prefix") {
  CHECK(error_of("src_addr == 10.0.0.1/8") ==
        "1:13: '10.0.0.1/8' has bits set after its /8 prefix\n"
        "  src_addr == 10.0.0.1/8\n"
        "              ^~~~~~~~~~\n");
  CHECK(hint_of("src_addr == 10.0.0.1/8") == "did you mean 10.0.0.0/8?");
  CHECK(hint_of("dst_addr in {2001:db8::1/32}") == "did you mean 2001:db8::/32?");
  CHECK(hint_of("dst_addr in {192.168.1.77/20}") == "did you mean 192.168.0.0/20?");
}

TEST_CASE("addresses: the canonical text round-trips") {
  for (const char* text : {"0.0.0.0/0", "192.0.2.1", "10.0.0.0/8", "::", "::1", "2001:db8::/32", "fd00::/8",
                           "::ffff:192.0.2.1", "2001:db8::1:0:0:1"}) {
    std::string_view view(text);
    auto prefix = view.find(':') != std::string_view::npos ? bpffw::parser::parse_ipv6_literal(view)
                                                           : bpffw::parser::parse_ipv4_literal(view);
    REQUIRE(prefix.has_value());
    CHECK(bpffw::parser::format_prefix(*prefix) == text);
  }
}
