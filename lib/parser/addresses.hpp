// IPv4 and IPv6 address and prefix literals (docs/filter-language.md §2.4): `192.0.2.1`,
// `10.0.0.0/8`, `2001:db8::/32`, `::ffff:192.0.2.1`. Text in, a Prefix or a message out; the
// grammar (grammar.hpp) decides what text is an address literal, this decides whether it is a
// good one.
#pragma once

#include <string>
#include <string_view>

#include <tl/expected.hpp>

#include "parser/ast.hpp"

namespace bpffw::parser {

// What is wrong with a literal: a message, and a hint when there is a likely fix.
struct AddressError {
  std::string message;
  std::string hint;
};

// `a.b.c.d` or `a.b.c.d/n`: four decimal numbers 0..255 without leading zeros, n in 0..32.
tl::expected<ast::Prefix, AddressError> parse_ipv4_literal(std::string_view text);
// Every textual form of RFC 4291 §2.2 (any case), optionally `/n` with n in 0..128.
tl::expected<ast::Prefix, AddressError> parse_ipv6_literal(std::string_view text);

// The canonical text: dotted quad, RFC 5952 for IPv6 (lower case, the longest run of zero groups
// as ::), with /n unless it is a single address.
std::string format_prefix(const ast::Prefix& prefix);

}  // namespace bpffw::parser
