// No input crashes, hangs or exhausts the stack: deep nesting is refused at a bounded depth, long
// chains stay flat, random bytes always end in a Filter or exactly one located error.
#include <doctest/doctest.h>

#include <chrono>
#include <random>
#include <string>

#include <tao/pegtl/contrib/analyze.hpp>

#include <bpffw/filter.hpp>

#include "parse_helpers.hpp"
#include "parser/filter_access.hpp"
#include "parser/grammar.hpp"

namespace {

std::string repeat(std::string_view text, std::size_t times) {
  std::string out;
  out.reserve(text.size() * times);
  for (std::size_t i = 0; i < times; ++i) out += text;
  return out;
}

double seconds_to_parse(std::string_view source) {
  auto start = std::chrono::steady_clock::now();
  auto filter = bpffw::Filter::parse(source);
  (void)filter;
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

TEST_CASE("the grammar has no cycles without progress (pegtl::analyze)") {
  CHECK(tao::pegtl::analyze<bpffw::parser::grammar::filter>() == 0);
}

TEST_CASE("10,000 nested parentheses are refused at the paren past the limit, quickly") {
  std::string source = repeat("(", 10000) + "1" + repeat(")", 10000);
  CHECK(seconds_to_parse(source) < 1.0);
  auto filter = bpffw::Filter::parse(source);
  REQUIRE_FALSE(filter);
  CHECK(filter.error().message == "expression nested too deeply (the limit is 512 levels)");
  CHECK(filter.error().span->column == 513);
  CHECK(filter.error().span->length == 1);
  // Unclosed as well: the depth error comes first, not a stack overflow.
  CHECK_FALSE(bpffw::Filter::parse(repeat("(", 100000)));
}

TEST_CASE("nesting up to the limit parses and the limit is configurable") {
  CHECK(bpffw::test::ast_of(repeat("(", 512) + "len" + repeat(")", 512)) == "variable len 1:513\n");
  bpffw::ParseOptions tight;
  tight.max_depth = 3;
  CHECK(bpffw::test::ast_of("((1))", tight) == "literal 1 1:3\n");
  CHECK(bpffw::test::ast_of("(((1)))", tight) == "literal 1 1:4\n");
  CHECK(bpffw::test::error_of("((((1))))", tight) ==
        "1:4: expression nested too deeply (the limit is 3 levels)\n  ((((1))))\n     ^\n");
  CHECK(bpffw::test::ast_of("-(-1)", tight) == "unary - 1:1\n  unary - 1:3\n    literal 1 1:4\n");
  CHECK(bpffw::test::error_of("1 + 2 + 3 + 4", tight) ==
        "1:1: expression nested too deeply (the limit is 3 levels)\n  1 + 2 + 3 + 4\n  ^~~~~~~~~~~~~\n");
  CHECK(bpffw::test::error_of("ip ? 1 : ip ? 2 : ip ? 3 : ip ? 4 : 5", tight) ==
        "1:31: expression nested too deeply (the limit is 3 levels)\n"
        "  ip ? 1 : ip ? 2 : ip ? 3 : ip ? 4 : 5\n"
        "                                ^\n");
}

TEST_CASE("a 10,000-term || chain parses fast into one flat node") {
  // `>` tests: `==` tests of one variable would become one set (§7.3).
  std::string source = "dst_port > 0";
  for (int i = 1; i < 10000; ++i) source += " || dst_port > " + std::to_string(i);
  CHECK(seconds_to_parse(source) < 1.0);
  auto filter = bpffw::Filter::parse(source);
  REQUIRE(filter);
  const bpffw::ast::Expr& root = bpffw::detail::FilterAccess::root(*filter);
  CHECK(root.depth == 3);
  CHECK(std::get<bpffw::ast::Logical>(root.node).operands.size() == 10000);
  CHECK(root.span.length == source.size());
}

TEST_CASE("long chains of left-associative operators are bounded by the depth limit") {
  CHECK_FALSE(bpffw::Filter::parse("1" + repeat(" + 1", 10000)));
  CHECK(bpffw::Filter::parse("1" + repeat(" + 1", 511)));
}

TEST_CASE("10,000 prefix operators: refused at the node past the limit, no crash") {
  std::string source = repeat("!", 10000) + "tcp";
  CHECK(seconds_to_parse(source) < 1.0);
  auto filter = bpffw::Filter::parse(source);
  REQUIRE_FALSE(filter);
  CHECK(filter.error().message == "expression nested too deeply (the limit is 512 levels)");
  CHECK(filter.error().span->offset == 10000 - 512);
  CHECK(bpffw::Filter::parse(repeat("!", 511) + "tcp"));
  CHECK_FALSE(bpffw::Filter::parse(repeat("- ~", 10000) + "1"));
}

TEST_CASE("random garbage never crashes: a Filter, or one error with a span inside the input") {
  // Fixed seed so that a failure reproduces. Half the inputs are drawn from the language's own
  // characters (they often parse), half from all bytes.
  std::mt19937 random(20240602);
  const std::string_view alphabet = "()!~-+*/%<>=&^|?: \t\n0123456789xXabcdefip_tcudposrnlvh";
  int parsed = 0;
  for (int i = 0; i < 4000; ++i) {
    std::size_t size = random() % 40;
    std::string source;
    for (std::size_t j = 0; j < size; ++j) {
      source += i % 2 == 0 ? alphabet[random() % alphabet.size()] : static_cast<char>(random() % 256);
    }
    auto filter = bpffw::Filter::parse(source);
    if (filter) {
      ++parsed;
      CHECK(!filter->dump_ast().empty());
      continue;
    }
    INFO("input: " << source);
    const bpffw::Error& error = filter.error();
    CHECK(error.kind == bpffw::ErrorKind::InvalidExpression);
    REQUIRE(error.span.has_value());
    CHECK(error.span->offset <= source.size());
    CHECK(error.span->offset + error.span->length <= source.size());
    CHECK(!error.message.empty());
    CHECK(error.message.find('\n') == std::string::npos);
    CHECK(!bpffw::render_source_excerpt(error, source).empty());
  }
  CHECK(parsed > 0);  // the generator does reach valid filters
}
