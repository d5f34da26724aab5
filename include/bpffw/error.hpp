// Errors are values: every fallible call returns Result<T>, never throws and never prints.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include <tl/expected.hpp>

namespace bpffw {

// A range of bytes in the filter expression. Line and column are 1-based and count bytes.
struct SourceSpan {
  std::size_t offset = 0;
  std::size_t length = 0;
  unsigned line = 1;
  unsigned column = 1;
};

enum class ErrorKind {
  InvalidExpression,  // the filter text is refused (exit code 1)
  Usage,              // the caller asked for something that cannot be done as asked (exit code 2)
  System,             // the kernel or the system refused (exit code 3)
  Permission,         // missing privileges (exit code 3)
  Verifier,           // the kernel verifier refused a generated program: a bpffw bug (exit code 3)
  Internal,           // a bug in bpffw (exit code 3)
};

struct Error {
  ErrorKind kind = ErrorKind::Internal;
  std::string message;             // one line, no trailing period
  std::optional<SourceSpan> span;  // where in the expression, for InvalidExpression
  int sys_errno = 0;               // errno of the failing system call, 0 if none
  std::string hint;                // what the user can do about it, may be empty
  std::string verifier_log;        // the kernel verifier's log, for Verifier
};

template <class T>
using Result = tl::expected<T, Error>;

inline tl::unexpected<Error> make_error(ErrorKind kind, std::string message, int sys_errno = 0, std::string hint = {}) {
  return tl::unexpected<Error>(Error{kind, std::move(message), std::nullopt, sys_errno, std::move(hint), {}});
}

// The source line holding error.span and a caret line under it, for example
//   "  dst_prot == 80\n  ^~~~~~~~\n". Empty when the error has no span.
// Control characters are shown as '?' so that the caret stays aligned.
std::string render_source_excerpt(const Error& error, std::string_view source);

// The exit code bpffwc uses for an error of this kind (1, 2 or 3).
int exit_code_for(ErrorKind kind);

}  // namespace bpffw
