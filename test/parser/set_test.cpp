// Set membership, docs/filter-language.md §7: the AST of `x in {...}` and the errors for malformed sets.
#include <doctest/doctest.h>

#include <string>

#include <bpffw/filter.hpp>

#include "parse_helpers.hpp"

using bpffw::test::ast_of;
using bpffw::test::error_of;

TEST_CASE("a set keeps its items as written, after the value it tests") {
  CHECK(ast_of("dst_port in {22, 80, 8000..8100, -1, -5..-2}") ==
        "in {22, 80, 8000..8100, -1, -5..-2} 1:1\n"
        "  variable dst_port 1:1\n");
  CHECK(ast_of("x in {0x10, 017}", {.parameters = {{"x"}}}).find("in {16, 15}") == 0);
}

TEST_CASE("set membership binds like a relational operator") {
  CHECK(ast_of("tcp && dst_port in {22, 443}") ==
        "and 1:1\n"
        "  variable tcp 1:1\n"
        "  in {22, 443} 1:8\n"
        "    variable dst_port 1:8\n");
  CHECK(ast_of("len + 1 in {5} == 1") ==
        "binary == 1:1\n"
        "  in {5} 1:1\n"
        "    binary + 1:1\n"
        "      variable len 1:1\n"
        "      literal 1 1:7\n"
        "  literal 1 1:19\n");
  CHECK(ast_of("a < b in {1}", {.parameters = {{"a"}, {"b"}}}).find("in {1} 1:1\n  binary < 1:1\n") == 0);
}

TEST_CASE("whitespace is free around the parts of a set") {
  CHECK(ast_of("dst_port in{1,2}") == ast_of("dst_port  in  {  1 ,  2  }"));
  CHECK(ast_of("len in {1 .. 5}") == "in {1..5} 1:1\n  variable len 1:1\n");
  CHECK(ast_of("len in {\n- 5\n}") == "in {-5} 1:1\n  variable len 1:1\n");
}

TEST_CASE("malformed sets") {
  CHECK(error_of("dst_port in {}") ==
        "1:14: empty set: list at least one value in '{ }'\n"
        "  dst_port in {}\n"
        "               ^\n");
  CHECK(error_of("dst_port in {22, 80") ==
        "1:20: missing '}' to close the '{' at column 13\n"
        "  dst_port in {22, 80\n"
        "                     ^\n");
  CHECK(error_of("dst_port in {22 80}") ==
        "1:17: expected ',' or '}' to close the '{' at column 13 (set items are integer constants, addresses or "
        "prefixes)\n"
        "  dst_port in {22 80}\n"
        "                  ^~\n");
  CHECK(error_of("dst_port in {22,}") ==
        "1:17: expected a number or an address after ','\n"
        "  dst_port in {22,}\n"
        "                  ^\n");
  CHECK(error_of("dst_port in 22") ==
        "1:13: expected '{' or a set's name after 'in'\n"
        "  dst_port in 22\n"
        "              ^~\n");
  CHECK(error_of("dst_port in {10..5}") ==
        "1:14: empty range 10..5: the lower end is greater than the upper end\n"
        "  dst_port in {10..5}\n"
        "               ^~~~~\n");
  CHECK(error_of("dst_port in {1..}") ==
        "1:17: expected a number after '..'\n"
        "  dst_port in {1..}\n"
        "                  ^\n");
  CHECK(error_of("dst_port in {src_port}") ==
        "1:14: expected a number or an address after '{'\n"
        "  dst_port in {src_port}\n"
        "               ^~~~~~~~\n");
  CHECK(error_of("dst_port in {1 + 2}") ==
        "1:16: expected ',' or '}' to close the '{' at column 13 (set items are integer constants, addresses or "
        "prefixes)\n"
        "  dst_port in {1 + 2}\n"
        "                 ^\n");
  CHECK(error_of("dst_port in {99999999999999999999}") ==
        "1:14: integer literal '99999999999999999999' is out of range (the maximum is 9223372036854775807)\n"
        "  dst_port in {99999999999999999999}\n"
        "               ^~~~~~~~~~~~~~~~~~~~\n");
  CHECK(error_of("dst_port in {-53u}") ==
        "1:15: invalid suffix 'u' on integer literal '53u'\n"
        "  dst_port in {-53u}\n"
        "                ^~~\n");
  // `in` is not a name: a set needs a value before it.
  CHECK(error_of("in {1}") ==
        "1:4: expected an operator or the end of the expression\n"
        "  in {1}\n"
        "     ^\n");
  CHECK(error_of("dst_port in {1...5}") ==
        "1:17: unexpected character '.'\n"
        "  dst_port in {1...5}\n"
        "                  ^\n");
  CHECK(error_of("dst_port index {1}").find("expected an operator or the end of the expression") != std::string::npos);
}

TEST_CASE("a set of 10,000 items parses without deep recursion") {
  std::string text = "dst_port in {";
  for (int i = 0; i < 10000; ++i) text += (i > 0 ? "," : "") + std::to_string(i * 3);
  text += "}";
  auto filter = bpffw::Filter::parse(text);
  REQUIRE(filter);
  // So many items go into a map (§7.3).
  REQUIRE(filter->sets().size() == 1);
  CHECK(filter->sets()[0].items.ranges.size() == 10000);
  CHECK(filter->sets()[0].items.ranges.back().lo == 29997);
}
