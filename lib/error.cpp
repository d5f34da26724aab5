#include <bpffw/error.hpp>

#include <algorithm>

namespace bpffw {

std::string render_source_excerpt(const Error& error, std::string_view source) {
  if (!error.span) return {};
  const SourceSpan& span = *error.span;
  std::size_t offset = std::min(span.offset, source.size());
  std::size_t line_start = source.rfind('\n', offset == 0 ? std::string_view::npos : offset - 1);
  line_start = line_start == std::string_view::npos ? 0 : line_start + 1;
  if (offset > 0 && offset <= source.size() && offset == line_start && source[offset - 1] == '\n' &&
      offset == source.size()) {
    // A span at the very end after a newline: point just past the last line instead.
    line_start = source.rfind('\n', offset - 2 < offset ? offset - 2 : 0);
    line_start = line_start == std::string_view::npos ? 0 : line_start + 1;
    offset -= 1;
  }
  std::size_t line_end = source.find('\n', line_start);
  if (line_end == std::string_view::npos) line_end = source.size();

  std::string line, caret;
  for (std::size_t i = line_start; i < line_end; ++i) {
    unsigned char c = static_cast<unsigned char>(source[i]);
    bool printable = c == '\t' || (c >= 0x20 && c < 0x7f);
    char shown = printable ? static_cast<char>(c) : '?';
    if (c == '\r') shown = ' ';
    line += shown;
    if (i < offset) caret += shown == '\t' ? '\t' : ' ';
  }
  std::size_t marked = std::max<std::size_t>(1, std::min(span.length, line_end > offset ? line_end - offset : 1));
  caret += '^';
  caret.append(marked - 1, '~');
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
