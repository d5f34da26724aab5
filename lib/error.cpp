#include <bpffw/error.hpp>

#include <algorithm>

namespace bpffw {

std::string render_source_excerpt(const Error& error, std::string_view source) {
  if (!error.span) return {};
  const SourceSpan& span = *error.span;
  // The line holding the span's first byte; a span at the very end points just past the last byte.
  std::size_t offset = std::min(span.offset, source.size());
  std::size_t line_start = offset == 0 ? std::string_view::npos : source.rfind('\n', offset - 1);
  line_start = line_start == std::string_view::npos ? 0 : line_start + 1;
  std::size_t line_end = std::min(source.find('\n', offset), source.size());

  // Columns count bytes, so every byte gets exactly one character (a tab stays a tab) and the caret
  // lines up: control bytes and non-ASCII bytes are shown as '?', CR as a space.
  std::string line, caret;
  for (std::size_t i = line_start; i < line_end; ++i) {
    unsigned char c = static_cast<unsigned char>(source[i]);
    char shown = c == '\t' || (c >= 0x20 && c < 0x7f) ? static_cast<char>(c) : c == '\r' ? ' ' : '?';
    line += shown;
    if (i < offset) caret += shown == '\t' ? '\t' : ' ';
  }
  // The span is underlined to the end of its first line, and always by at least the caret itself.
  std::size_t underlined = std::clamp<std::size_t>(span.length, 1, std::max<std::size_t>(1, line_end - offset));
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
