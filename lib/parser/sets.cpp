// Named sets' items (docs/filter-language.md §9): the inline-set item syntax without braces, and
// set files of one or more items per line with `#` comments.
#include <algorithm>
#include <cstdint>
#include <optional>

#include <bpffw/sets.hpp>

#include "parser/addresses.hpp"
#include "parser/literals.hpp"
#include "parser/parse.hpp"

namespace bpffw {
namespace {

void append(SetItems& to, SetItems&& from) {
  to.ranges.insert(to.ranges.end(), from.ranges.begin(), from.ranges.end());
  to.prefixes.insert(to.prefixes.end(), from.prefixes.begin(), from.prefixes.end());
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_hex_digit(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

// `text` without an optional `/digits` at its end; false when the part after `/` is not digits.
bool strip_prefix_length(std::string_view& text) {
  std::size_t slash = text.rfind('/');
  if (slash == std::string_view::npos) return true;
  std::string_view length = text.substr(slash + 1);
  if (length.empty() || length.size() > 3 || !std::all_of(length.begin(), length.end(), is_digit)) return false;
  text = text.substr(0, slash);
  return true;
}

// A set-file line of one plain item, a decimal integer or an address, read without the grammar:
// the grammar would take the same text as one literal (grammar.hpp, ipv4_literal and
// ipv6_literal) and check it with the same function. Anything else, and any item the check
// refuses, goes to the grammar, which says what is wrong and where.
struct PlainItem {
  bool blank = false;
  SetElement element = SetElement::Integer;
  std::int64_t value = 0;
  SetPrefix prefix;
};

std::optional<PlainItem> plain_item(std::string_view line) {
  std::size_t first = line.find_first_not_of(" \t\r");
  if (first == std::string_view::npos) return PlainItem{true};
  std::string_view item = line.substr(first, line.find_last_not_of(" \t\r") + 1 - first);
  PlainItem plain;
  if (std::all_of(item.begin(), item.end(), is_digit)) {
    if (item.size() > 18 || (item.size() > 1 && item[0] == '0')) return std::nullopt;  // long or octal
    auto value = parser::parse_integer_literal(item);
    if (!value) return std::nullopt;
    plain.value = *value;
    return plain;
  }
  std::string_view address = item;
  if (!strip_prefix_length(address) || address.empty()) return std::nullopt;
  bool ipv6 =
      std::count(address.begin(), address.end(), ':') >= 2 &&
      std::all_of(address.begin(), address.end(), [](char c) { return is_hex_digit(c) || c == ':' || c == '.'; });
  bool ipv4 = !ipv6 && is_digit(address.front()) && is_digit(address.back()) &&
              address.find("..") == std::string_view::npos && address.find('.') != std::string_view::npos &&
              std::all_of(address.begin(), address.end(), [](char c) { return is_digit(c) || c == '.'; });
  if (!ipv6 && !ipv4) return std::nullopt;
  auto prefix = ipv6 ? parser::parse_ipv6_literal(item) : parser::parse_ipv4_literal(item);
  if (!prefix) return std::nullopt;
  plain.element = SetElement::Address;
  plain.prefix = {ipv6, prefix->bytes, prefix->length};
  return plain;
}

const char* element_name(SetElement element) { return element == SetElement::Address ? "addresses" : "integers"; }

}  // namespace

Result<SetItems> parse_set_items(std::string_view text) { return parser::parse_set_items_text(text); }

Result<SetItems> parse_set_file_text(std::string_view text) {
  SetFileParser parser;
  if (auto fed = parser.feed(text); !fed) return tl::unexpected(std::move(fed.error()));
  return parser.finish();
}

Result<void> SetFileParser::feed(std::string_view text) {
  if (text.empty()) return {};
  // Room for an item per line, growing at least twice as large each time: exact room per piece would
  // copy everything read so far at every piece of a large file.
  std::size_t lines = std::count(text.begin(), text.end(), '\n') + 1;
  auto make_room = [lines](auto& items) {
    if (items.capacity() - items.size() < lines) items.reserve(std::max(items.size() + lines, 2 * items.capacity()));
  };
  if (!typed_ || items_.element == SetElement::Address) make_room(items_.prefixes);
  if (!typed_ || items_.element == SetElement::Integer) make_room(items_.ranges);
  std::size_t line_start = 0;
  for (unsigned& line_number = next_line_; line_start <= text.size(); ++line_number) {
    std::size_t line_end = text.find('\n', line_start);
    if (line_end == std::string_view::npos) line_end = text.size();
    std::string_view line = text.substr(line_start, line_end - line_start);
    std::string_view items = line.substr(0, line.find('#'));
    // Items of the other type than the lines before: refused with the line's place.
    auto mixed = [&](SetElement element) {
      std::size_t first = items.find_first_not_of(" \t\r");
      SourceSpan span{line_start + first, items.find_last_not_of(" \t\r") + 1 - first, line_number,
                      static_cast<unsigned>(first + 1)};
      return tl::unexpected(Error{ErrorKind::InvalidExpression,
                                  std::string("a set holds integers or addresses, not both: this line has ") +
                                      element_name(element) + ", the lines before it " + element_name(items_.element),
                                  span,
                                  0,
                                  {},
                                  {}});
    };
    if (std::optional<PlainItem> plain = plain_item(items)) {
      if (!plain->blank) {
        if (typed_ && plain->element != items_.element) return mixed(plain->element);
        items_.element = plain->element;
        typed_ = true;
        if (plain->element == SetElement::Address) items_.prefixes.push_back(plain->prefix);
        else items_.ranges.push_back({plain->value, plain->value});
      }
      line_start = line_end + 1;
      continue;
    }
    auto parsed = parser::parse_set_items_text(items);
    if (!parsed) {
      // The span is within the line: make it one within the text.
      Error error = std::move(parsed.error());
      if (error.span) {
        error.span->offset += line_start;
        error.span->line = line_number;
      }
      return tl::unexpected(std::move(error));
    }
    if (!parsed->empty()) {
      if (typed_ && parsed->element != items_.element) return mixed(parsed->element);
      items_.element = parsed->element;
      typed_ = true;
      append(items_, std::move(*parsed));
    }
    line_start = line_end + 1;
  }
  // The loop counted the empty "line" after a final newline; the next feed() starts it.
  if (text.back() == '\n') --next_line_;
  return {};
}

SetItems SetFileParser::finish() {
  SetItems all = std::move(items_);
  // The other type's room goes; the kept items are not copied into a tighter vector (room never
  // written costs no memory).
  if (all.element == SetElement::Address) std::vector<SetIntegerRange>().swap(all.ranges);
  else std::vector<SetPrefix>().swap(all.prefixes);
  *this = SetFileParser();
  return all;
}

std::vector<SetIntegerRange> merge_set_ranges(std::vector<SetIntegerRange> ranges) {
  std::sort(ranges.begin(), ranges.end(), [](const auto& a, const auto& b) { return a.lo < b.lo; });
  std::vector<SetIntegerRange> merged;
  for (const SetIntegerRange& range : ranges) {
    if (!merged.empty() && (merged.back().hi == INT64_MAX || range.lo <= merged.back().hi + 1))
      merged.back().hi = std::max(merged.back().hi, range.hi);
    else merged.push_back(range);
  }
  return merged;
}

std::string format_set_range(const SetIntegerRange& range) {
  std::string out = std::to_string(range.lo);
  if (range.hi != range.lo) out += ".." + std::to_string(range.hi);
  return out;
}

std::string format_set_prefix(const SetPrefix& prefix) {
  return parser::format_prefix(
      ast::Prefix{prefix.ipv6 ? ast::Family::Ipv6 : ast::Family::Ipv4, prefix.bytes, prefix.length});
}

std::string format_set_items(const SetItems& items) {
  std::string out;
  for (const SetIntegerRange& range : items.ranges) out += (out.empty() ? "" : ", ") + format_set_range(range);
  for (const SetPrefix& prefix : items.prefixes) out += (out.empty() ? "" : ", ") + format_set_prefix(prefix);
  return out;
}

}  // namespace bpffw
