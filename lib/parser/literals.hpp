// Integer literals as in C (docs/filter-language.md §2): decimal, 0x/0X hexadecimal, 0-prefixed octal; no suffixes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <tl/expected.hpp>

namespace bpffw::parser {

// `text` is everything the grammar took as one literal: a digit and the letters, digits and
// underscores after it. Returns the value, or the message saying what is wrong with it.
tl::expected<std::int64_t, std::string> parse_integer_literal(std::string_view text);

}  // namespace bpffw::parser
