#include "parser/literals.hpp"

#include <cctype>
#include <limits>

namespace bpffw::parser {
namespace {

int digit_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return 99;
}

std::string quoted(std::string_view text) { return "'" + std::string(text) + "'"; }

}  // namespace

tl::expected<std::int64_t, std::string> parse_integer_literal(std::string_view text) {
  unsigned base = 10;
  std::size_t digits_begin = 0;
  if (text.size() >= 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    base = 16;
    digits_begin = 2;
  } else if (text.size() >= 2 && text[0] == '0') {
    base = 8;
    digits_begin = 1;
  }

  std::size_t end = digits_begin;
  while (end < text.size() && digit_value(text[end]) < static_cast<int>(base)) ++end;

  if (base == 16 && end == digits_begin) {
    return tl::unexpected("hexadecimal literal " + quoted(text) + " has no digits");
  }
  if (base == 8 && end < text.size() && (text[end] == '8' || text[end] == '9')) {
    return tl::unexpected("invalid digit '" + std::string(1, text[end]) + "' in octal literal " + quoted(text));
  }
  if (end < text.size()) {
    return tl::unexpected("invalid suffix " + quoted(text.substr(end)) + " on integer literal " + quoted(text));
  }

  constexpr std::uint64_t kMax = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  std::uint64_t value = 0;
  for (std::size_t i = digits_begin; i < end; ++i) {
    std::uint64_t digit = static_cast<std::uint64_t>(digit_value(text[i]));
    if (value > (kMax - digit) / base) {
      return tl::unexpected("integer literal " + quoted(text) + " is out of range (the maximum is " +
                            std::to_string(kMax) + ")");
    }
    value = value * base + digit;
  }
  return static_cast<std::int64_t>(value);
}

}  // namespace bpffw::parser
