// Set files (docs/filter-language.md §9): sets.cpp reads the common line (one address, prefix or
// integer, blanks, a comment) on a fast path of its own and every other line with the grammar. The
// fast path must be invisible: for every file, the items, or the error with its line, column and
// caret, must be what the grammar makes of the file line by line.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "parser/parse_helpers.hpp"

namespace bpffw::test {
namespace {

std::string error_text(const Error& error, std::string_view text) {
  return std::to_string(error.span->line) + ":" + std::to_string(error.span->column) + ": " + error.message + "\n" +
         render_source_excerpt(error, text);
}

std::string items_text(const SetItems& items) {
  return (items.element == SetElement::Address ? "addresses: " : "integers: ") + format_set_items(items);
}

// The grammar alone: each line's items (before any '#') through parse_set_items, the errors placed
// in the file. Every line of `text` must hold items of one type.
std::string by_grammar(std::string_view text) {
  SetItems all;
  std::size_t line_start = 0;
  for (unsigned line = 1; line_start <= text.size(); ++line) {
    std::size_t line_end = std::min(text.find('\n', line_start), text.size());
    std::string_view items = text.substr(line_start, line_end - line_start);
    items = items.substr(0, items.find('#'));
    auto parsed = parse_set_items(items);
    if (!parsed) {
      Error error = parsed.error();
      error.span->offset += line_start;
      error.span->line = line;
      return error_text(error, text);
    }
    if (!parsed->empty()) all.element = parsed->element;
    all.ranges.insert(all.ranges.end(), parsed->ranges.begin(), parsed->ranges.end());
    all.prefixes.insert(all.prefixes.end(), parsed->prefixes.begin(), parsed->prefixes.end());
    line_start = line_end + 1;
  }
  return items_text(all);
}

std::string by_reader(std::string_view text) {
  auto items = parse_set_file_text(text);
  return items ? items_text(*items) : error_text(items.error(), text);
}

// The same file fed in pieces of about `piece` bytes cut at a line's end: the same items, or the
// error at the same line and column.
std::string by_pieces(std::string_view text, std::size_t piece) {
  SetFileParser parser;
  while (!text.empty()) {
    std::size_t end = text.find('\n', std::min(piece, text.size() - 1));
    end = end == std::string_view::npos ? text.size() : end + 1;
    auto fed = parser.feed(text.substr(0, end));
    if (!fed) {
      const Error& error = fed.error();
      return std::to_string(error.span->line) + ":" + std::to_string(error.span->column) + ": " + error.message;
    }
    text.remove_prefix(end);
  }
  return items_text(parser.finish());
}

// The first line of an error text (its place and message, without the excerpt).
std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

const std::vector<std::string> kAddressLines = {
    "10.0.0.1",
    "  10.0.0.2",
    "10.0.0.3   ",
    "\t10.0.0.4\t",
    "10.0.0.5\r",
    " 10.0.0.6 \r",
    "10.0.0.7 # office",
    "10.0.0.8#no blank",
    "# a comment",
    "",
    "   ",
    "\r",
    "\t# indented comment",
    "0.0.0.0",
    "255.255.255.255",
    "10.0.0.0/8",
    "10.0.0.0/08",
    "0.0.0.0/0",
    "192.0.2.1/32",
    "192.0.2.128/25",
    "::",
    "::1",
    "::/0",
    "::ffff:192.0.2.1",
    "64:ff9b::198.51.100.7/128",
    "2001:db8::/32",
    "2001:DB8:0:0:0:0:0:1",
    "2001:db8::a:b:c:d",
    "1:2:3:4:5:6:7:8",
    "fe80::/10",
    "2001:db8::1 # v6 comment",
    "192.0.2.9, 192.0.2.10",
    "192.0.2.11 ,2001:db8::9",
    "2001:db8:0:0:0:0:0.0.0.1",
};
const std::vector<std::string> kIntegerLines = {
    "22",
    " 80 ",
    "\t443\r",
    "0",
    "8000..8100",
    "1..5 # a range",
    "007",
    "0x16",
    "65535 # all",
    "123456789012345678",
    "1234567890123456789",
    "",
    "# comment",
    "9, 10, 11..12",
};
const std::vector<std::string> kBadAddressLines = {
    "10.0.0.1/8",
    "10.0.0.256",
    "010.0.0.1",
    "1.2.3",
    "1.2.3.4.5",
    "1..2.3",
    "10.0.0.0/33",
    "10.0.0.0/",
    "10.0.0.0/x",
    "2001:db8::1/64",
    "1:::2",
    "fd00::1/129",
    "10.0.0.1 10.0.0.2",
    "10.0.0.1,",
    "fe80::1%eth0",
    "\v10.0.0.1",
    "10.0.0.1\f",
    "1:2:3:4:5:6:7:8:9",
    "g::1",
    "12345::1",
    "::1/",
    "10.0.0.1/8/8",
    "10.0.0.1 x",
    "  2001:db8::/3x",
};
const std::vector<std::string> kBadIntegerLines = {"-5", "22 23", "22,", "99999999999999999999", "08", "1..", "22a"};

std::string joined(const std::vector<std::string>& lines, const char* end = "\n") {
  std::string text;
  for (const std::string& line : lines) text += line + end;
  return text;
}

TEST_CASE("a set file reads as the grammar reads it line by line: blanks, comments, CRLF, forms of addresses") {
  for (const auto* lines : {&kAddressLines, &kIntegerLines}) {
    for (const char* end : {"\n", "\r\n"}) {
      std::string text = joined(*lines, end);
      INFO(text);
      CHECK(by_reader(text) == by_grammar(text));
      CHECK(by_pieces(text, 16) == by_grammar(text));
      // Without the final newline, and each line alone.
      CHECK(by_reader(text.substr(0, text.size() - 1)) == by_grammar(text.substr(0, text.size() - 1)));
    }
    for (const std::string& line : *lines) {
      INFO(line);
      CHECK(by_reader(line) == by_grammar(line));
    }
  }
}

TEST_CASE("a bad line among good ones is refused as the grammar refuses it, at its line and column") {
  for (const auto& [good, bad] : {std::pair{&kAddressLines, &kBadAddressLines}, {&kIntegerLines, &kBadIntegerLines}}) {
    for (const std::string& line : *bad) {
      std::string text = joined(*good) + line + "\n" + joined(*good);
      INFO(line);
      std::string expected = by_grammar(text);
      REQUIRE(expected.find(": ") != std::string::npos);
      CHECK(by_reader(text) == expected);
      CHECK(by_pieces(text, 64) == first_line(expected));
      CHECK(by_reader(line) == by_grammar(line));
    }
  }
}

TEST_CASE("a large set file: the items in order, and a bad line in the middle refused at its line") {
  std::string text;
  for (unsigned i = 0; i < 100000; ++i) {
    text += i % 2 ? "10." + std::to_string(i >> 16 & 255) + "." + std::to_string(i >> 8 & 255) + "." +
                        std::to_string(i & 255) + "\n"
                  : "2001:db8::" + std::to_string(i % 10000) + ":" + std::to_string(i / 10000) + "\n";
  }
  CHECK(by_reader(text) == by_grammar(text));
  CHECK(by_pieces(text, 1 << 16) == by_grammar(text));
  std::size_t at = 0;
  for (unsigned line = 1; line < 54321; ++line) at = text.find('\n', at) + 1;
  std::string bad = text.substr(0, at) + "  10.1.2.3/16  # host bits\n" + text.substr(at);
  std::string expected = by_grammar(bad);
  CHECK(expected.starts_with("54321:3: '10.1.2.3/16' has bits set after its /16 prefix"));
  CHECK(by_reader(bad) == expected);
  CHECK(by_pieces(bad, 1 << 16) == first_line(expected));
}

}  // namespace
}  // namespace bpffw::test
