#include "parser/diagnostics.hpp"

#include <algorithm>
#include <cstdio>
#include <string>

namespace bpffw::parser {
namespace {

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// Characters that can be part of some token or of whitespace; anything else is never valid.
// A '.' is only valid as part of a set's "..": alone, it is reported as a character.
bool is_language_char(char c) {
  return is_name_char(c) || std::string_view(" \t\r\n!~-+*/%<>=&^|?:(){},").find(c) != std::string_view::npos;
}

std::string describe_char(char c) {
  unsigned char byte = static_cast<unsigned char>(c);
  if (byte >= 0x20 && byte < 0x7f) return std::string(1, c);
  char hex[8];
  std::snprintf(hex, sizeof hex, "\\x%02x", byte);
  return hex;
}

// "column 3" on the error's own line, "line 2, column 3" otherwise.
std::string where(const SourceSpan& opener, const SourceSpan& at) {
  std::string column = "column " + std::to_string(opener.column);
  return opener.line == at.line ? column : "line " + std::to_string(opener.line) + ", " + column;
}

bool is_blank(std::string_view text) { return text.find_first_not_of(" \t\r\n") == std::string_view::npos; }

const Opener* innermost(const ParseState& state, char symbol) {
  for (auto it = state.openers.rbegin(); it != state.openers.rend(); ++it) {
    if (it->symbol == symbol) return &*it;
  }
  return nullptr;
}

// The line and column of a byte offset (only on the error path, so a scan is fine).
SourceSpan span_at_offset(std::string_view source, std::size_t offset) {
  SourceSpan span{offset, 0, 1, 1};
  for (std::size_t i = 0; i < offset; ++i) {
    if (source[i] == '\n') {
      ++span.line;
      span.column = 1;
    } else {
      ++span.column;
    }
  }
  return span;
}

// The name that starts at `offset`, empty if none does.
std::string_view name_at(std::string_view source, std::size_t offset) {
  std::size_t end = offset;
  while (end < source.size() && is_name_char(source[end])) ++end;
  return source.substr(offset, end - offset);
}

// Where the name ending right before `offset` (blanks skipped) starts, or npos.
std::size_t name_before(std::string_view source, std::size_t offset) {
  std::size_t end = offset;
  while (end > 0 && std::string_view(" \t\r\n").find(source[end - 1]) != std::string_view::npos) --end;
  std::size_t begin = end;
  while (begin > 0 && is_name_char(source[begin - 1])) --begin;
  return begin == end ? std::string_view::npos : begin;
}

// The token after the word at [offset, offset + length), blanks skipped: "80", "10.0.0.1".
std::string token_after(std::string_view source, std::size_t offset, std::size_t length) {
  std::size_t begin = source.find_first_not_of(" \t\r\n", offset + length);
  if (begin == std::string_view::npos) return {};
  std::size_t end = source.find_first_of(" \t\r\n()", begin);
  return std::string(source.substr(begin, end == std::string_view::npos ? std::string_view::npos : end - begin));
}

bool starts_with_digit(std::string_view text) { return !text.empty() && text[0] >= '0' && text[0] <= '9'; }

}  // namespace

std::optional<SyntaxError> tcpdump_word_advice(std::string_view source, std::size_t offset) {
  std::string_view word = name_at(source, offset);
  // `dst port 80` fails at `port`: the advice is about both words.
  if (word == "port" || word == "host") {
    std::size_t before = name_before(source, offset);
    if (before != std::string_view::npos && (name_at(source, before) == "src" || name_at(source, before) == "dst"))
      return tcpdump_word_advice(source, before);
  }
  SourceSpan span = span_at_offset(source, offset);
  span.length = word.size();
  std::string next = token_after(source, offset, word.size());
  // `and`, `or`, `not`: the same expression with the one word replaced is the hint.
  auto replaced = [&](std::string_view with, bool glue) {
    std::size_t rest = offset + word.size();
    if (glue) rest = std::min(source.size(), source.find_first_not_of(" \t\r\n", rest));
    return "write: " + std::string(source.substr(0, offset)) + std::string(with) + std::string(source.substr(rest));
  };
  if (word == "and") return SyntaxError{"bpffw writes '&&' for 'and' (a tcpdump word)", span, replaced("&&", false)};
  if (word == "or") return SyntaxError{"bpffw writes '||' for 'or' (a tcpdump word)", span, replaced("||", false)};
  if (word == "not") return SyntaxError{"bpffw writes '!' for 'not' (a tcpdump word)", span, replaced("!", true)};
  // `src port 80`, `dst host 10.0.0.1`: one direction.
  std::string_view side;
  std::string_view what = word;
  std::string value = next;
  std::size_t length = word.size();
  if (word == "src" || word == "dst") {
    side = word;
    std::size_t second = source.find_first_not_of(" \t\r\n", offset + word.size());
    if (second == std::string_view::npos) return std::nullopt;
    what = name_at(source, second);
    if (what != "port" && what != "host") return std::nullopt;
    value = token_after(source, second, what.size());
    length = second + what.size() - offset;
  }
  span.length = length;
  std::string written = std::string(source.substr(offset, length));
  if (what == "port") {
    std::string port = starts_with_digit(value) ? value : "80";
    std::string hint = side.empty() ? "write 'dst_port == " + port + "' (the destination) or 'src_port == " + port +
                                          "' (the source), e.g. 'tcp && dst_port == " + port + "'"
                                    : "write '" + std::string(side) + "_port == " + port + "'";
    return SyntaxError{"bpffw has no '" + written + "' (tcpdump words): compare a port variable", span, hint};
  }
  if (what == "host") {
    std::string address = starts_with_digit(value) || value.find(':') != std::string::npos ? value : "10.0.0.1";
    std::string hint = side.empty() ? "write 'src_addr == " + address + " || dst_addr == " + address + "'"
                                    : "write '" + std::string(side) + "_addr == " + address + "'";
    return SyntaxError{"bpffw has no '" + written + "' (tcpdump words): compare an address variable", span, hint};
  }
  return std::nullopt;
}

SourceSpan token_span_at(std::string_view source, const SourceSpan& at) {
  SourceSpan span = at;
  std::size_t i = at.offset;
  if (i >= source.size() || std::string_view(" \t\r\n").find(source[i]) != std::string_view::npos) {
    span.length = 0;
    return span;
  }
  if (is_name_char(source[i])) {
    std::size_t end = i;
    while (end < source.size() && is_name_char(source[end])) ++end;
    span.length = end - i;
    return span;
  }
  static constexpr std::string_view kTwoCharOperators[] = {"<<", ">>", "<=", ">=", "==", "!=", "&&", "||", ".."};
  for (std::string_view op : kTwoCharOperators) {
    if (source.substr(i, 2) == op) {
      span.length = 2;
      return span;
    }
  }
  span.length = 1;
  return span;
}

SyntaxError explain_failure(Expected what, SourceSpan at, const ParseState& state) {
  std::string_view source = state.source;
  bool at_end = at.offset >= source.size();
  if (at_end) {
    // Point just past the last token, where the missing piece belongs, not past trailing blanks.
    std::size_t last = source.find_last_not_of(" \t\r\n");
    at = span_at_offset(source, last == std::string_view::npos ? 0 : last + 1);
  }
  SourceSpan token = token_span_at(source, at);
  char next = at_end ? '\0' : source[at.offset];

  if (!at_end && !is_language_char(next)) { return {"unexpected character '" + describe_char(next) + "'", token}; }
  // After a complete operand, a lone '=' is someone writing C's assignment for a comparison.
  bool lone_equals = next == '=' && source.substr(at.offset, 2) != "==";
  if (what != Expected::Operand && lone_equals) { return {"assignment is not supported (did you mean '=='?)", token}; }

  switch (what) {
    case Expected::Operand:
      if (state.last_token.empty()) {
        if (is_blank(source)) return {"empty expression", token};
        return {"expected an expression", token};
      }
      if (state.last_token == "(") return {"expected an expression after '('", token};
      return {"expected an operand after '" + std::string(state.last_token) + "'", token};
    case Expected::CloseParen: {
      const Opener* paren = innermost(state, '(');
      std::string opener = paren ? " to close the '(' at " + where(paren->span, at) : "";
      if (at_end) return {"missing ')'" + opener, token};
      return {"expected an operator or ')'" + opener, token};
    }
    case Expected::Colon: {
      const Opener* question = innermost(state, '?');
      std::string opener = question ? " for the '?' at " + where(question->span, at) : "";
      if (at_end) return {"missing ':'" + opener, token};
      return {"expected an operator or ':'" + opener, token};
    }
    case Expected::End: {
      if (next == ')') return {"unmatched ')'", token};
      // tcpdump's words: `tcp and udp`, `tcp port 80` fail here at the word; `not udp`, `port 80`,
      // `host 10.0.0.1` one token later, after a word that is no name of the language.
      if (!at_end && !state.names.resolve(name_at(source, at.offset)))
        if (auto advice = tcpdump_word_advice(source, at.offset)) return *advice;
      std::size_t before = name_before(source, at.offset);
      if (before != std::string_view::npos && !state.names.resolve(name_at(source, before)))
        if (auto advice = tcpdump_word_advice(source, before)) return *advice;
      return {"expected an operator or the end of the expression", token};
    }
      return {"expected an operator or the end of the expression", token};
    case Expected::SetBrace: return {"expected '{' or a set's name after 'in'", token};
    case Expected::SetItemsEnd:
      return {"expected ',' between items (set items are integer constants, ranges lo..hi, addresses or prefixes)",
              token};
    case Expected::SetValue:
      if (state.last_token == "{" && next == '}') return {"empty set: list at least one value in '{ }'", token};
      if (state.last_token == "{") return {"expected a number or an address after '{'", token};
      if (state.last_token == "..") return {"expected a number after '..'", token};
      if (state.last_token.empty()) return {"expected a number, a range lo..hi, an address or a prefix", token};
      return {"expected a number or an address after '" + std::string(state.last_token) + "'", token};
    case Expected::SetEnd: {
      const Opener* brace = innermost(state, '{');
      std::string opener = brace ? " to close the '{' at " + where(brace->span, at) : "";
      if (at_end) return {"missing '}'" + opener, token};
      return {"expected ',' or '}'" + opener + " (set items are integer constants, addresses or prefixes)", token};
    }
    case Expected::Nothing: break;
  }
  return {"invalid expression", token};
}

}  // namespace bpffw::parser
