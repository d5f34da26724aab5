// Named sets' items (docs/filter-language.md §9): the inline-set item syntax without braces, and
// set files of one or more items per line with `#` comments.
#include <bpffw/sets.hpp>

#include "parser/addresses.hpp"
#include "parser/parse.hpp"

namespace bpffw {
namespace {

void append(SetItems& to, SetItems&& from) {
  to.ranges.insert(to.ranges.end(), from.ranges.begin(), from.ranges.end());
  to.prefixes.insert(to.prefixes.end(), from.prefixes.begin(), from.prefixes.end());
}

}  // namespace

Result<SetItems> parse_set_items(std::string_view text) { return parser::parse_set_items_text(text); }

Result<SetItems> parse_set_file_text(std::string_view text) {
  SetItems all;
  bool typed = false;
  std::size_t line_start = 0;
  for (unsigned line_number = 1; line_start <= text.size(); ++line_number) {
    std::size_t line_end = text.find('\n', line_start);
    if (line_end == std::string_view::npos) line_end = text.size();
    std::string_view line = text.substr(line_start, line_end - line_start);
    std::string_view items = line.substr(0, line.find('#'));
    auto parsed = parser::parse_set_items_text(items);
    if (!parsed) {
      // The span is within the line: make it one within the file.
      Error error = std::move(parsed.error());
      if (error.span) {
        error.span->offset += line_start;
        error.span->line = line_number;
      }
      return tl::unexpected(std::move(error));
    }
    if (!parsed->empty()) {
      if (typed && parsed->element != all.element) {
        std::size_t first = items.find_first_not_of(" \t\r");
        SourceSpan span{line_start + first, items.find_last_not_of(" \t\r") + 1 - first, line_number,
                        static_cast<unsigned>(first + 1)};
        return tl::unexpected(Error{ErrorKind::InvalidExpression,
                                    std::string("a set holds integers or addresses, not both: this line has ") +
                                        (parsed->element == SetElement::Address ? "addresses" : "integers") +
                                        ", the lines before it " +
                                        (all.element == SetElement::Address ? "addresses" : "integers"),
                                    span,
                                    0,
                                    {},
                                    {}});
      }
      all.element = parsed->element;
      typed = true;
      append(all, std::move(*parsed));
    }
    line_start = line_end + 1;
  }
  return all;
}

std::string format_set_items(const SetItems& items) {
  std::string out;
  for (const SetIntegerRange& range : items.ranges) {
    if (!out.empty()) out += ", ";
    out += std::to_string(range.lo);
    if (range.hi != range.lo) out += ".." + std::to_string(range.hi);
  }
  for (const SetPrefix& prefix : items.prefixes) {
    if (!out.empty()) out += ", ";
    out += parser::format_prefix(
        ast::Prefix{prefix.ipv6 ? ast::Family::Ipv6 : ast::Family::Ipv4, prefix.bytes, prefix.length});
  }
  return out;
}

}  // namespace bpffw
