// Every refused filter gets exactly one message, with its line:column and the caret line the CLI prints.
#include <doctest/doctest.h>

#include <bpffw/filter.hpp>

#include "fields/packet_fields.hpp"
#include "parse_helpers.hpp"

using bpffw::test::ast_of;
using bpffw::test::error_of;

TEST_CASE("the issue's list of bad inputs") {
  CHECK(error_of("tcp &&") ==
        "1:7: expected an operand after '&&'\n"
        "  tcp &&\n"
        "        ^\n");
  CHECK(error_of("dst_prot == 80") ==
        "1:1: unknown variable 'dst_prot' (did you mean 'dst_port'?)\n"
        "  dst_prot == 80\n"
        "  ^~~~~~~~\n");
  CHECK(error_of("99999999999999999999") ==
        "1:1: integer literal '99999999999999999999' is out of range (the maximum is 9223372036854775807)\n"
        "  99999999999999999999\n"
        "  ^~~~~~~~~~~~~~~~~~~~\n");
  CHECK(error_of("53u") ==
        "1:1: invalid suffix 'u' on integer literal '53u'\n"
        "  53u\n"
        "  ^~~\n");
  CHECK(error_of("a = 1") ==
        "1:3: assignment is not supported (did you mean '=='?)\n"
        "  a = 1\n"
        "    ^\n");
  CHECK(error_of("") ==
        "1:1: empty expression\n"
        "  \n"
        "  ^\n");
  CHECK(error_of("tcp || || udp") ==
        "1:8: expected an operand after '||'\n"
        "  tcp || || udp\n"
        "         ^~\n");
  CHECK(error_of("(udp") ==
        "1:5: missing ')' to close the '(' at column 1\n"
        "  (udp\n"
        "      ^\n");
  CHECK(error_of("0x") ==
        "1:1: hexadecimal literal '0x' has no digits\n"
        "  0x\n"
        "  ^~\n");
  CHECK(error_of("tcp\x01") ==
        "1:4: unexpected character '\\x01'\n"
        "  tcp?\n"
        "     ^\n");
}

TEST_CASE("blank input is an empty expression") {
  CHECK(error_of(" \t\r\n ") == "1:1: empty expression\n   \t \n  ^\n");
  CHECK(error_of("\n\n") == "1:1: empty expression\n  \n  ^\n");
}

TEST_CASE("unknown names suggest the nearest known one when it is close") {
  CHECK(error_of("src_prt > 1024") ==
        "1:1: unknown variable 'src_prt' (did you mean 'src_port'?)\n  src_prt > 1024\n  ^~~~~~~\n");
  CHECK(error_of("ipv4") == "1:1: unknown variable 'ipv4' (did you mean 'ipv6'?)\n  ipv4\n  ^~~~\n");
  CHECK(error_of("tcp || ture") ==
        "1:8: unknown variable 'ture' (did you mean 'true'?)\n  tcp || ture\n         ^~~~\n");
  // tcpdump's word, and a name in the wrong case: see the tests below.
  CHECK(error_of("port == 22") ==
        "1:1: bpffw has no 'port' (tcpdump words): compare a port variable\n  port == 22\n  ^~~~\n");
  CHECK(error_of("TCP") == "1:1: unknown variable 'TCP' (did you mean 'tcp'?)\n  TCP\n  ^~~\n");
  // The first unknown name is the one reported.
  CHECK(error_of("tcp && foo || bar") == "1:8: unknown variable 'foo'\n  tcp && foo || bar\n         ^~~\n");
}

TEST_CASE("a syntax error is reported before an unknown name") {
  CHECK(error_of("foo == 1 +") == "1:11: expected an operand after '+'\n  foo == 1 +\n            ^\n");
}

TEST_CASE("literal forms that C refuses") {
  CHECK(error_of("08") == "1:1: invalid digit '8' in octal literal '08'\n  08\n  ^~\n");
  CHECK(error_of("0779") == "1:1: invalid digit '9' in octal literal '0779'\n  0779\n  ^~~~\n");
  CHECK(error_of("0xg") == "1:1: hexadecimal literal '0xg' has no digits\n  0xg\n  ^~~\n");
  CHECK(error_of("0x1fz") == "1:1: invalid suffix 'z' on integer literal '0x1fz'\n  0x1fz\n  ^~~~~\n");
  CHECK(error_of("1 + 10UL") == "1:5: invalid suffix 'UL' on integer literal '10UL'\n  1 + 10UL\n      ^~~~\n");
  CHECK(error_of("9223372036854775808") ==
        "1:1: integer literal '9223372036854775808' is out of range (the maximum is 9223372036854775807)\n"
        "  9223372036854775808\n  ^~~~~~~~~~~~~~~~~~~\n");
  CHECK(error_of("0x8000000000000000") ==
        "1:1: integer literal '0x8000000000000000' is out of range (the maximum is 9223372036854775807)\n"
        "  0x8000000000000000\n  ^~~~~~~~~~~~~~~~~~\n");
  CHECK(error_of("1_000") == "1:1: invalid suffix '_000' on integer literal '1_000'\n  1_000\n  ^~~~~\n");
  CHECK(error_of("1.5") == "1:1: an IPv4 address has four parts, '1.5' has 2\n  1.5\n  ^~~\n");
}

TEST_CASE("assignment is refused wherever a comparison could have been meant") {
  CHECK(error_of("(dst_port = 1)") ==
        "1:11: assignment is not supported (did you mean '=='?)\n  (dst_port = 1)\n            ^\n");
  CHECK(error_of("ip ? len = 1 : 2") ==
        "1:10: assignment is not supported (did you mean '=='?)\n  ip ? len = 1 : 2\n           ^\n");
  CHECK(error_of("dst_port === 1") == "1:12: expected an operand after '=='\n  dst_port === 1\n             ^\n");
}

TEST_CASE("missing operands name the operator before them") {
  CHECK(error_of("1 +") == "1:4: expected an operand after '+'\n  1 +\n     ^\n");
  CHECK(error_of("~") == "1:2: expected an operand after '~'\n  ~\n   ^\n");
  CHECK(error_of("len >> = 1") == "1:8: expected an operand after '>>'\n  len >> = 1\n         ^\n");
  CHECK(error_of("()") == "1:2: expected an expression after '('\n  ()\n   ^\n");
  CHECK(error_of("&& tcp") == "1:1: expected an expression\n  && tcp\n  ^~\n");
  CHECK(error_of("ip ? 1 : ") == "1:9: expected an operand after ':'\n  ip ? 1 : \n          ^\n");
  // Trailing blanks and newlines do not move the caret: it points just past the last token.
  CHECK(error_of("tcp &&  \n") == "1:7: expected an operand after '&&'\n  tcp &&  \n        ^\n");
}

TEST_CASE("unbalanced parentheses and conditionals point back at the opener") {
  CHECK(error_of("((udp)") == "1:7: missing ')' to close the '(' at column 1\n  ((udp)\n        ^\n");
  CHECK(error_of("(\nudp\n") == "2:4: missing ')' to close the '(' at line 1, column 1\n  udp\n     ^\n");
  CHECK(error_of("(tcp udp)") ==
        "1:6: expected an operator or ')' to close the '(' at column 1\n  (tcp udp)\n       ^~~\n");
  CHECK(error_of("tcp)") == "1:4: unmatched ')'\n  tcp)\n     ^\n");
  CHECK(error_of("ip ? 1") == "1:7: missing ':' for the '?' at column 4\n  ip ? 1\n        ^\n");
  CHECK(error_of("ip ? 1 2") == "1:8: expected an operator or ':' for the '?' at column 4\n  ip ? 1 2\n         ^\n");
}

TEST_CASE("trailing tokens and characters outside the language") {
  CHECK(error_of("tcp udp") == "1:5: expected an operator or the end of the expression\n  tcp udp\n      ^~~\n");
  CHECK(error_of("tcp && dst_port on {22}") ==
        "1:17: expected an operator or the end of the expression\n  tcp && dst_port on {22}\n                  ^~\n");
  CHECK(error_of("$") == "1:1: unexpected character '$'\n  $\n  ^\n");
  CHECK(error_of("\x7f") == "1:1: unexpected character '\\x7f'\n  ?\n  ^\n");
  CHECK(error_of("dst_port == \xc3\xa9") == "1:13: unexpected character '\\xc3'\n  dst_port == ??\n              ^\n");
  CHECK(error_of("tcp &&\x00 udp") == "1:7: expected an operand after '&&'\n  tcp &&\n        ^\n");
  CHECK(error_of(std::string_view("tcp &&\x00 udp", 11)) ==
        "1:7: unexpected character '\\x00'\n  tcp &&? udp\n        ^\n");
}

TEST_CASE("excerpts show the error's own line, keep tabs and align the caret") {
  CHECK(error_of("tcp &&\n\tudp ||\n\t\tfoo") == "3:3: unknown variable 'foo'\n  \t\tfoo\n  \t\t^~~\n");
  CHECK(error_of("\ttcp\t&&") == "1:8: expected an operand after '&&'\n  \ttcp\t&&\n  \t   \t  ^\n");
  CHECK(error_of("a\r\n= 1") == "2:1: assignment is not supported (did you mean '=='?)\n  = 1\n  ^\n");
}

TEST_CASE("render_source_excerpt clamps spans to the line and the input") {
  bpffw::Error error{bpffw::ErrorKind::InvalidExpression, "x", bpffw::SourceSpan{4, 100, 1, 5}, 0, {}, {}};
  CHECK(bpffw::render_source_excerpt(error, "tcp && udp\nlen") == "  tcp && udp\n      ^~~~~~\n");
  error.span = bpffw::SourceSpan{999, 0, 1, 1000};
  CHECK(bpffw::render_source_excerpt(error, "tcp") == "  tcp\n     ^\n");
  error.span.reset();
  CHECK(bpffw::render_source_excerpt(error, "tcp").empty());
}

TEST_CASE("every error is an InvalidExpression with a span inside the input") {
  for (std::string_view bad : {"tcp &&", "(", ")", "?", ":", "1 ? 2 :", "--", "!!", "0x", "a", "a b", "=="}) {
    auto filter = bpffw::Filter::parse(bad);
    REQUIRE_FALSE(filter);
    CHECK(filter.error().kind == bpffw::ErrorKind::InvalidExpression);
    REQUIRE(filter.error().span.has_value());
    CHECK(filter.error().span->offset + filter.error().span->length <= bad.size());
    CHECK(filter.error().message.find('\n') == std::string::npos);
    CHECK(filter.error().message.back() != '.');
  }
}

TEST_CASE("a very long line is shown as a window around the error") {
  std::string source = std::string(10000, '(') + "1" + std::string(10000, ')');
  bpffw::Error error{bpffw::ErrorKind::InvalidExpression, "nested", bpffw::SourceSpan{512, 1, 1, 513}, 0, {}, {}};
  std::string excerpt = bpffw::render_source_excerpt(error, source);
  std::string expected_line = "  ..." + std::string(100, '(') + "...\n";
  std::string expected_caret = "  " + std::string(3 + 40, ' ') + "^\n";
  CHECK(excerpt == expected_line + expected_caret);
  // The start of a long line is shown without a leading ellipsis.
  error.span = bpffw::SourceSpan{0, 1, 1, 1};
  CHECK(bpffw::render_source_excerpt(error, source) == "  " + std::string(100, '(') + "...\n  ^\n");
}

TEST_CASE("tcpdump's words are refused with what bpffw writes, the caret on the word") {
  CHECK(error_of("tcp and dst_port == 443") ==
        "1:5: bpffw writes '&&' for 'and' (a tcpdump word)\n  tcp and dst_port == 443\n      ^~~\n");
  CHECK(error_of("udp or\ntcp") == "1:5: bpffw writes '||' for 'or' (a tcpdump word)\n  udp or\n      ^~\n");
  CHECK(error_of("tcp && not udp") ==
        "1:8: bpffw writes '!' for 'not' (a tcpdump word)\n  tcp && not udp\n         ^~~\n");
  CHECK(error_of("not (udp)") == "1:1: bpffw writes '!' for 'not' (a tcpdump word)\n  not (udp)\n  ^~~\n");
  CHECK(error_of("port 80") ==
        "1:1: bpffw has no 'port' (tcpdump words): compare a port variable\n  port 80\n  ^~~~\n");
  CHECK(error_of("src host 10.0.0.1") ==
        "1:1: bpffw has no 'src host' (tcpdump words): compare an address variable\n"
        "  src host 10.0.0.1\n  ^~~~~~~~\n");
  auto hint_of = [](std::string_view source) {
    auto filter = bpffw::Filter::parse(source);
    return filter ? std::string("parsed") : filter.error().hint;
  };
  CHECK(hint_of("tcp and dst_port == 443") == "write: tcp && dst_port == 443");
  CHECK(hint_of("not udp") == "write: !udp");
  CHECK(hint_of("host 10.0.0.1") == "write 'src_addr == 10.0.0.1 || dst_addr == 10.0.0.1'");
  CHECK(hint_of("host fd00::1") == "write 'src_addr == fd00::1 || dst_addr == fd00::1'");
  CHECK(hint_of("dst port 53") == "write 'dst_port == 53'");
  // A runtime parameter named like a tcpdump word is that parameter.
  bpffw::ParseOptions with_port{.parameters = {{"port", 80}}};
  CHECK(error_of("port 80", with_port) ==
        "1:6: expected an operator or the end of the expression\n  port 80\n       ^~\n");
  CHECK(ast_of("dst_port == port", with_port).rfind("unexpected", 0) != 0);
}

TEST_CASE("unknown names: case does not count for the suggestion, without one, the variables are listed") {
  CHECK(error_of("TCP") == "1:1: unknown variable 'TCP' (did you mean 'tcp'?)\n  TCP\n  ^~~\n");
  CHECK(error_of("udp && SRC_PORT == 53") ==
        "1:8: unknown variable 'SRC_PORT' (did you mean 'src_port'?)\n  udp && SRC_PORT == 53\n         ^~~~~~~~\n");
  auto filter = bpffw::Filter::parse("proto == 6");
  REQUIRE_FALSE(filter);
  CHECK(filter.error().message == "unknown variable 'proto'");
  std::string names;
  for (const bpffw::fields::PacketField& row : bpffw::fields::kPacketFields)
    names += (names.empty() ? "" : ", ") + std::string(row.name);
  CHECK(names.rfind("ip, ipv6, tcp, udp, icmp, src_port, dst_port, len, ", 0) == 0);
  CHECK(filter.error().hint == "the variables are " + names + " (docs/filter-language.md §4)");
}

TEST_CASE("comparisons outside a variable's range are warned about, the filter stays valid") {
  auto warnings_of = [](std::string_view source) {
    auto filter = bpffw::Filter::parse(source);
    REQUIRE(filter);
    std::string text;
    for (const bpffw::Warning& warning : filter->warnings())
      text += std::to_string(warning.span.column) + "+" + std::to_string(warning.span.length) + ": " + warning.message +
              "\n";
    return text;
  };
  CHECK(warnings_of("dst_port == 70000") == "1+17: this comparison is always false: dst_port is 0..65535\n");
  CHECK(warnings_of("70000 != src_port") == "1+17: this comparison is always true: src_port is 0..65535\n");
  CHECK(warnings_of("tcp && len < 0") == "8+7: this comparison is always false: len is 0..4294967295\n");
  CHECK(warnings_of("icmp_type >= 256 || icmp_code == -2") ==
        "1+16: this comparison is always false: icmp_type is 0..255, or -1 when absent\n"
        "21+15: this comparison is always false: icmp_code is 0..255, or -1 when absent\n");
  CHECK(warnings_of("tcp == 2") == "1+8: this comparison is always false: tcp is 0..1\n");
  CHECK(warnings_of("-1 < len") == "");
  CHECK(warnings_of("icmp_type == -1 || dst_port == 65535 || dst_port > 0 || len >= 0") == "");
  CHECK(warnings_of("dst_port + 1 == 70000") == "");  // not a variable alone: not judged
}
