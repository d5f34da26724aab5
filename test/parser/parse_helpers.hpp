// Shared helpers for the parser tests: a filter's AST dump, or its error as the CLI shows it.
#pragma once

#include <string>
#include <string_view>

#include <bpffw/filter.hpp>

namespace bpffw::test {

// The dump of a filter that must parse; on an error, the error text (so the failure explains itself).
inline std::string ast_of(std::string_view source, const ParseOptions& options = {}) {
  auto filter = Filter::parse(source, options);
  if (!filter) return "unexpected error: " + filter.error().message;
  return filter->dump_ast();
}

// "LINE:COL: MESSAGE\n" and the excerpt with the caret, for a filter that must be refused.
inline std::string error_of(std::string_view source, const ParseOptions& options = {}) {
  auto filter = Filter::parse(source, options);
  if (filter) return "unexpected success:\n" + filter->dump_ast();
  const Error& error = filter.error();
  if (error.kind != ErrorKind::InvalidExpression) return "wrong error kind: " + error.message;
  if (!error.span) return "no span: " + error.message;
  return std::to_string(error.span->line) + ":" + std::to_string(error.span->column) + ": " + error.message + "\n" +
         render_source_excerpt(error, source);
}

}  // namespace bpffw::test
