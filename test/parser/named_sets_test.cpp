// Named sets (docs/filter-language.md §9): declarations, set files, `in NAME`, and the type check.
#include <doctest/doctest.h>

#include "parser/parse_helpers.hpp"

namespace bpffw::test {
namespace {

ParseOptions sets(std::vector<std::pair<std::string, std::string>> declared) {
  ParseOptions options;
  for (auto& [name, text] : declared) {
    auto items = parse_set_items(text);
    REQUIRE_MESSAGE(items.has_value(), text);
    options.sets.push_back({name, std::move(*items)});
  }
  return options;
}

std::string items_error(std::string_view text, bool file = false) {
  auto items = file ? parse_set_file_text(text) : parse_set_items(text);
  if (items) return "unexpected success";
  const Error& error = items.error();
  return std::to_string(error.span->line) + ":" + std::to_string(error.span->column) + ": " + error.message + "\n" +
         render_source_excerpt(error, text);
}

TEST_CASE("set items use the inline syntax, without braces, possibly none") {
  auto ports = parse_set_items(" 22, 80,8000..8100 ");
  REQUIRE(ports.has_value());
  CHECK(ports->element == SetElement::Integer);
  CHECK(format_set_items(*ports) == "22, 80, 8000..8100");
  CHECK(ports->entry_count() == 103);
  auto addresses = parse_set_items("10.0.0.0/8, ::1, 2001:db8::/32");
  REQUIRE(addresses.has_value());
  CHECK(addresses->element == SetElement::Address);
  CHECK(format_set_items(*addresses) == "10.0.0.0/8, ::1, 2001:db8::/32");
  auto none = parse_set_items("  ");
  REQUIRE(none.has_value());
  CHECK(none->empty());
  CHECK(items_error("22 80") ==
        "1:4: expected ',' between items (set items are integer constants, ranges lo..hi, "
        "addresses or prefixes)\n  22 80\n     ^~\n");
  CHECK(items_error("22, 10.0.0.1").find("a set holds integers or addresses, not both") != std::string::npos);
}

TEST_CASE("a set file: items per line, # comments, errors at the file's line and column") {
  auto items = parse_set_file_text("# blocklist\n10.0.0.0/8   # office\n\n192.0.2.1, 192.0.2.2\n");
  REQUIRE(items.has_value());
  CHECK(format_set_items(*items) == "10.0.0.0/8, 192.0.2.1, 192.0.2.2");
  CHECK(items_error("10.0.0.1\n# fine\n  10.0.0.300\n", true) ==
        "3:3: 300 in '10.0.0.300' is not 0 to 255\n    10.0.0.300\n    ^~~~~~~~~~\n");
  CHECK(items_error("10.0.0.1\n22\n", true).starts_with("2:1: a set holds integers or addresses, not both"));
}

TEST_CASE("a set file fed in pieces reads as the whole file, errors at the file's line") {
  std::string text = "# list\n10.0.0.0/8\n\n192.0.2.1, 192.0.2.2  # two\n2001:db8::/32\n198.51.100.1";
  auto whole = parse_set_file_text(text);
  REQUIRE(whole.has_value());
  // Every split at a line's end: the pieces as a reader of a large file gives them.
  for (std::size_t end = text.find('\n'); end != std::string::npos; end = text.find('\n', end + 1)) {
    SetFileParser parser;
    REQUIRE(parser.feed(std::string_view(text).substr(0, end + 1)).has_value());
    REQUIRE(parser.feed(std::string_view(text).substr(end + 1)).has_value());
    CHECK(parser.finish() == *whole);
  }
  SetFileParser parser;
  REQUIRE(parser.feed("10.0.0.1\n# a\n").has_value());
  REQUIRE(parser.feed("\n").has_value());
  auto refused = parser.feed("10.0.0.2\n  10.0.0.300\n");
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().span->line == 5);
  CHECK(refused.error().span->offset == 11);  // within the piece fed
  SetFileParser mixed;
  REQUIRE(mixed.feed("10.0.0.1\n").has_value());
  auto typed = mixed.feed("22\n");
  REQUIRE_FALSE(typed.has_value());
  CHECK(typed.error().message.starts_with("a set holds integers or addresses, not both"));
  CHECK(typed.error().span->line == 2);
}

TEST_CASE("a set file's one-item lines, read without the grammar, mean what the grammar reads") {
  // sets.cpp reads a line of one plain item (a decimal integer, an address or prefix) without the
  // grammar; for every line the result, or the refusal, must be the grammar's.
  for (const char* line : {"0",
                           "22",
                           "65535",
                           "007",
                           "0x16",
                           "123456789012345678",
                           "1234567890123456789",
                           "99999999999999999999",
                           "192.0.2.1",
                           "  192.0.2.1\t",
                           "10.0.0.0/8",
                           "10.0.0.1/8",
                           "10.0.0.0/33",
                           "10.0.0.0/",
                           "10.0.0.0/x",
                           "1.2.3",
                           "1.2.3.4.5",
                           "01.2.3.4",
                           "256.0.0.1",
                           "1..2",
                           "1.2.3.4/08",
                           "::",
                           "::1",
                           "2001:db8::/32",
                           "2001:DB8::1",
                           "fd00::1/129",
                           "::ffff:192.0.2.1",
                           "1:2:3:4:5:6:7:8",
                           "1:2:3:4:5:6:7:8:9",
                           "1:::2",
                           "abcd::",
                           "ab:cd",
                           "g::1",
                           "::1/",
                           "-5",
                           "22,",
                           "22 23",
                           "1.2.3.4 5"}) {
    auto grammar = parse_set_items(line);
    auto file = parse_set_file_text(line);
    INFO(line);
    REQUIRE(grammar.has_value() == file.has_value());
    if (grammar) CHECK(*grammar == *file);
    else CHECK(grammar.error().message == file.error().message);
  }
}

TEST_CASE("`in NAME` names a declared set and is type-checked against its element type") {
  ParseOptions options = sets({{"ports", "22, 80"}, {"blocklist", "10.0.0.0/8"}, {"later", ""}});
  CHECK(ast_of("dst_port in ports", options) == "in set #0 1:1\n  variable dst_port 1:1\n");
  CHECK(ast_of("src_addr in blocklist", options) == "address src_addr in set #1 1:1\n");
  CHECK(error_of("src_addr in ports", options).starts_with("1:1: 'src_addr' is an address"));
  CHECK(error_of("dst_port in blocklist", options) ==
        "1:1: the set holds addresses, but its value is an integer: test src_addr, dst_addr, local_addr or "
        "remote_addr against it\n  dst_port in blocklist\n  ^~~~~~~~\n");
  CHECK(error_of("dst_port in prots", options) ==
        "1:13: unknown set 'prots' (did you mean 'ports'?)\n  dst_port in prots\n              ^~~~~\n");
  // A set declared without items takes its type from its use.
  auto filter = Filter::parse("dst_addr in later", options);
  REQUIRE(filter.has_value());
  CHECK(filter->sets()[2].items.element == SetElement::Address);
}

TEST_CASE("set declarations are checked like parameters'") {
  auto refused = [](ParseOptions options) {
    auto filter = Filter::parse("1", options);
    return filter ? std::string("unexpected success") : filter.error().message;
  };
  CHECK(refused(sets({{"tcp", "1"}})) == "set name 'tcp' is a built-in name of the language");
  CHECK(refused(sets({{"a", "1"}, {"a", "2"}})) == "set 'a' is declared twice");
  CHECK(refused(sets({{"9a", "1"}})) == "set name '9a' is not an identifier");
  ParseOptions both = sets({{"mtu", "1"}});
  both.parameters = {{"mtu", 1500}};
  CHECK(refused(both) == "'mtu' is declared both as a parameter and as a set");
}

}  // namespace
}  // namespace bpffw::test
