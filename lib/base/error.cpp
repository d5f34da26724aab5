#include <bpffw/error.hpp>

#include <algorithm>

namespace bpffw {

namespace {

// Lines longer than this are shown as a window around the span, so that an error in a
// 20,000-character expression prints a readable excerpt rather than the whole line.
constexpr std::size_t kMaxShownLine = 100;
constexpr std::size_t kContextBefore = 40;

char shown_byte(unsigned char c) {
  return c == '\t' || (c >= 0x20 && c < 0x7f) ? static_cast<char>(c) : c == '\r' ? ' ' : '?';
}

}  // namespace

std::string render_source_excerpt(const Error& error, std::string_view source) {
  if (!error.span) return {};
  const SourceSpan& span = *error.span;
  // The line holding the span's first byte; a span at the very end points just past the last byte.
  std::size_t offset = std::min(span.offset, source.size());
  std::size_t line_start = offset == 0 ? std::string_view::npos : source.rfind('\n', offset - 1);
  line_start = line_start == std::string_view::npos ? 0 : line_start + 1;
  std::size_t line_end = std::min(source.find('\n', offset), source.size());

  // The window of the line that is shown: all of it when short, else a slice around the span.
  std::size_t shown_start = line_start, shown_end = line_end;
  if (line_end - line_start > kMaxShownLine) {
    shown_start = std::max(line_start, offset > kContextBefore ? offset - kContextBefore : 0);
    shown_end = std::min(line_end, shown_start + kMaxShownLine);
  }
  std::string before = shown_start > line_start ? "..." : "";
  std::string after = shown_end < line_end ? "..." : "";

  // Columns count bytes, so every byte gets exactly one character (a tab stays a tab) and the caret
  // lines up: control bytes and non-ASCII bytes are shown as '?', CR as a space.
  std::string line = before, caret(before.size(), ' ');
  for (std::size_t i = shown_start; i < shown_end; ++i) {
    char shown = shown_byte(static_cast<unsigned char>(source[i]));
    line += shown;
    if (i < offset) caret += shown == '\t' ? '\t' : ' ';
  }
  line += after;
  // The span is underlined to the end of the shown part of its first line, and always by at least
  // the caret itself.
  std::size_t underlined =
      std::clamp<std::size_t>(span.length, 1, std::max<std::size_t>(1, shown_end > offset ? shown_end - offset : 1));
  caret += '^';
  caret.append(underlined - 1, '~');
  return "  " + line + "\n  " + caret + "\n";
}

int exit_code_for(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::InvalidExpression: return 1;
    case ErrorKind::Usage: return 2;
    case ErrorKind::System:
    case ErrorKind::Permission:
    case ErrorKind::Verifier:
    case ErrorKind::Internal: return 3;
  }
  return 3;
}

}  // namespace bpffw
