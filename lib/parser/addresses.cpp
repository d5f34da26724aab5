#include "parser/addresses.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <cstring>

namespace bpffw::parser {
namespace {

using Unexpected = tl::unexpected<AddressError>;

Unexpected fail(std::string message, std::string hint = {}) {
  return Unexpected(AddressError{std::move(message), std::move(hint)});
}

std::string quoted(std::string_view text) { return "'" + std::string(text) + "'"; }

// Splits off `/n`: the address text, and the length (or the family's full length).
struct Split {
  std::string_view address;
  unsigned length;
};
tl::expected<Split, AddressError> split_length(std::string_view text, unsigned bits, const char* family) {
  std::size_t slash = text.find('/');
  if (slash == std::string_view::npos) return Split{text, bits};
  std::string_view digits = text.substr(slash + 1);
  if (digits.empty() || digits.size() > 3 || !std::all_of(digits.begin(), digits.end(), ::isdigit))
    return fail("invalid prefix length in " + quoted(text) + ": write /0 to /" + std::to_string(bits));
  unsigned length = static_cast<unsigned>(std::stoul(std::string(digits)));
  if (length > bits)
    return fail("prefix length /" + std::to_string(length) + " is longer than an " + family + " address (" +
                std::to_string(bits) + " bits)");
  return Split{text.substr(0, slash), length};
}

// Host bits set (10.0.0.1/8) are an error: the hint gives the masked prefix.
tl::expected<ast::Prefix, AddressError> finish(std::string_view text, ast::Prefix prefix) {
  ast::Prefix masked = prefix;
  unsigned bits = ast::address_bits(prefix.family);
  for (unsigned bit = prefix.length; bit < bits; ++bit)
    masked.bytes[bit / 8] &= static_cast<std::uint8_t>(~(0x80u >> (bit % 8)));
  if (masked.bytes != prefix.bytes)
    return fail(quoted(text) + " has bits set after its /" + std::to_string(prefix.length) + " prefix",
                "did you mean " + format_prefix(masked) + "?");
  return prefix;
}

// The value of 1 to 3 decimal digits (a set file's 10^6 addresses are read here: no std::string).
unsigned small_decimal(std::string_view digits) {
  unsigned value = 0;
  for (char digit : digits) value = value * 10 + static_cast<unsigned>(digit - '0');
  return value;
}

}  // namespace

tl::expected<ast::Prefix, AddressError> parse_ipv4_literal(std::string_view text) {
  auto split = split_length(text, 32, "IPv4");
  if (!split) return tl::unexpected(split.error());
  ast::Prefix prefix;
  prefix.family = ast::Family::Ipv4;
  prefix.length = split->length;
  std::string_view rest = split->address;
  int parts = 0;
  while (true) {
    std::size_t dot = rest.find('.');
    std::string_view part = rest.substr(0, dot);
    if (part.empty() || !std::all_of(part.begin(), part.end(), ::isdigit))
      return fail(quoted(split->address) + " is not an IPv4 address: write four numbers 0 to 255, as in 192.0.2.1");
    if (part.size() > 1 && part[0] == '0')
      return fail("leading zero in " + quoted(split->address) + ": IPv4 address parts are decimal, write " +
                  std::to_string(std::stoul(std::string(part))) + " for " + std::string(part));
    if (part.size() > 3 || small_decimal(part) > 255)
      return fail(std::string(part) + " in " + quoted(split->address) + " is not 0 to 255");
    if (parts < 4) prefix.bytes[static_cast<std::size_t>(parts)] = static_cast<std::uint8_t>(small_decimal(part));
    ++parts;
    if (dot == std::string_view::npos) break;
    rest = rest.substr(dot + 1);
  }
  if (parts != 4)
    return fail("an IPv4 address has four parts, " + quoted(split->address) + " has " + std::to_string(parts));
  return finish(text, prefix);
}

tl::expected<ast::Prefix, AddressError> parse_ipv6_literal(std::string_view text) {
  auto split = split_length(text, 128, "IPv6");
  if (!split) return tl::unexpected(split.error());
  std::string_view address = split->address;
  // The common mistakes, named; inet_pton (RFC 4291 §2.2, all forms) decides the rest.
  std::size_t first = address.find("::");
  if (first != std::string_view::npos && address.find("::", first + 1) != std::string_view::npos)
    return fail(quoted(address) + " is not an IPv6 address: '::' may appear only once");
  if (address.find(":::") != std::string_view::npos) return fail(quoted(address) + " is not an IPv6 address: ':::'");
  std::size_t group_start = 0;
  for (std::size_t i = 0; i <= address.size(); ++i) {
    if (i == address.size() || address[i] == ':') {
      std::string_view group = address.substr(group_start, i - group_start);
      if (group.find('.') == std::string_view::npos && group.size() > 4)
        return fail(quoted(address) + " is not an IPv6 address: a group has at most 4 hex digits, '" +
                    std::string(group) + "' has " + std::to_string(group.size()));
      group_start = i + 1;
    }
  }
  ast::Prefix prefix;
  prefix.family = ast::Family::Ipv6;
  prefix.length = split->length;
  std::string copy(address);
  if (inet_pton(AF_INET6, copy.c_str(), prefix.bytes.data()) != 1)
    return fail(quoted(address) +
                " is not an IPv6 address: 8 groups of hex digits, or fewer with one '::', "
                "the last two may be an IPv4 address (RFC 4291)");
  return finish(text, prefix);
}

std::string format_prefix(const ast::Prefix& prefix) {
  char text[INET6_ADDRSTRLEN] = {};
  bool v4 = prefix.family == ast::Family::Ipv4;
  inet_ntop(v4 ? AF_INET : AF_INET6, prefix.bytes.data(), text, sizeof text);
  std::string result = text;
  if (prefix.length != ast::address_bits(prefix.family)) result += "/" + std::to_string(prefix.length);
  return result;
}

}  // namespace bpffw::parser
