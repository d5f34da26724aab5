// Comments, docs/filter-language.md §2.1: from '#' to the end of the line, counted as whitespace;
// errors after them keep their line and column.
#include <doctest/doctest.h>

#include <string>

#include "parse_helpers.hpp"

using namespace bpffw::test;

namespace {

// The same text with each comment blanked out: spans in the AST stay comparable.
std::string without_comments(std::string text) {
  bool in_comment = false;
  for (char& c : text) {
    if (c == '#') in_comment = true;
    if (c == '\n') in_comment = false;
    if (in_comment) c = ' ';
  }
  return text;
}

}  // namespace

TEST_CASE("comments: a commented filter over several lines means what it says without them") {
  const std::string commented =
      "# what the web server may receive\n"
      "tcp && dst_port in {80, 443}   # HTTP and HTTPS, # inside a comment\n"
      "  || icmp                      # ping\n"
      "# the end, without a newline";
  const std::string dump = ast_of(commented);
  CHECK(dump.find("unexpected error") == std::string::npos);
  CHECK(dump == ast_of(without_comments(commented)));
  CHECK(dump.find("dst_port 2:8") != std::string::npos);
}

TEST_CASE("comments: what follows '#' on its line is not read, the next line is") {
  CHECK(ast_of("tcp # && udp") == ast_of("tcp"));
  CHECK(ast_of("tcp # && udp\n&& udp") == ast_of("tcp          \n&& udp"));
  CHECK(error_of("# only a comment\n") ==
        "1:17: expected an expression\n"
        "  # only a comment\n"
        "                  ^\n");
  CHECK(error_of("tcp && # the right side is missing") ==
        "1:35: expected an operand after '&&'\n"
        "  tcp && # the right side is missing\n"
        "                                    ^\n");
}

TEST_CASE("comments: an error after comment lines points at its own line and column") {
  CHECK(error_of("# allow DNS\n# and nothing else\nudp && dst_prot == 53\n") ==
        "3:8: unknown variable 'dst_prot' (did you mean 'dst_port'?)\n"
        "  udp && dst_prot == 53\n"
        "         ^~~~~~~~\n");
}
