// A parsed and checked filter expression (docs/filter-language.md).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <bpffw/error.hpp>

namespace bpffw {

namespace detail {
struct FilterAccess;
}

struct ParseOptions {
  // Deeper nesting (parentheses, operator chains) is refused with an error, so that no input can
  // exhaust the stack of the parser or the code generator.
  unsigned max_depth = 512;
};

// Immutable once parsed; cheap to copy and safe to share between threads.
class Filter {
 public:
  // Parses and checks an expression. Errors are ErrorKind::InvalidExpression with a span.
  static Result<Filter> parse(std::string_view expression, const ParseOptions& options = {});

  const std::string& source() const;

  // The AST as an indented tree, one node per line with its span, for --emit ast and tests.
  std::string dump_ast() const;

  // True when the filter reads any packet variable (spec §5: only then are malformed packets dropped).
  bool reads_packet() const;

 private:
  struct Impl;
  explicit Filter(std::shared_ptr<const Impl> impl);
  std::shared_ptr<const Impl> impl_;
  friend struct detail::FilterAccess;
};

}  // namespace bpffw
