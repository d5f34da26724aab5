// A parsed and checked filter expression (docs/filter-language.md).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <bpffw/direction.hpp>
#include <bpffw/error.hpp>
#include <bpffw/sets.hpp>

namespace bpffw {

namespace detail {
struct FilterAccess;
}

// A runtime parameter (docs/filter-language.md §6.3): a name the expression may use like a
// variable, whose 64-bit value lives in a map of the loaded program and can be changed there
// without recompiling (set_parameter in <bpffw/runtime.hpp>). `value` is its initial value.
struct Parameter {
  std::string name;
  std::int64_t value = 0;
  bool operator==(const Parameter&) const = default;
};

// Something the language accepts but that is almost certainly not meant, e.g. `dst_port == 70000`
// (always false: ports are 0..65535). The filter is valid; bpffwc prints these like errors, on
// stderr with the caret, and its exit status does not change.
struct Warning {
  std::string message;  // one line, no trailing period
  SourceSpan span;
  std::string hint;  // may be empty
};

struct ParseOptions {
  // Deeper nesting (parentheses, operator chains) is refused with an error, so that no input can
  // exhaust the stack of the expression parser or the code generator.
  unsigned max_depth = 512;
  // The runtime parameters the expression may use, in this order. A name must be an identifier,
  // not a built-in name (ip, tcp, len, true, ...) and not declared twice: ErrorKind::Usage.
  std::vector<Parameter> parameters = {};  // "= {}": designated initializers may leave it out
  // The named sets the expression may test with `in NAME` (docs/filter-language.md §9). A name
  // must be an identifier, not a built-in name, not a parameter's, and not declared twice:
  // ErrorKind::Usage.
  std::vector<NamedSet> sets = {};
  // The direction the program is for. local_addr, remote_addr, local_port and remote_port need
  // it (they mean dst_* on ingress and src_* on egress); without it they are an error.
  std::optional<Direction> direction = std::nullopt;
};

// Immutable once parsed; cheap to copy and safe to share between threads.
class Filter {
 public:
  // Parses and checks an expression. Errors are ErrorKind::InvalidExpression with a span.
  static Result<Filter> parse(std::string_view expression, const ParseOptions& options = {});
  // The same, taking the sets' items instead of copying them (a set file may hold 10^6 items).
  static Result<Filter> parse(std::string_view expression, ParseOptions&& options);

  const std::string& source() const;

  // The AST as an indented tree, one node per line with its span, for --emit ast and tests.
  std::string dump_ast() const;

  // True when the filter reads any packet variable or runtime parameter (docs/filter-language.md §5.6: only then are
  // malformed packets dropped).
  bool reads_packet() const;

  // The declared runtime parameters (ParseOptions::parameters), with their initial values.
  const std::vector<Parameter>& parameters() const;

  // The declared named sets with their initial contents; a set declared without items has the
  // element type its use gives it (Integer when unused).
  const std::vector<NamedSet>& sets() const;

  // Comparisons whose answer is known before any packet arrives (docs/filter-language.md §8).
  const std::vector<Warning>& warnings() const;

  // ParseOptions::direction, as given.
  std::optional<Direction> direction() const;

 private:
  struct Impl;
  explicit Filter(std::shared_ptr<const Impl> impl);
  std::shared_ptr<const Impl> impl_;
  friend struct detail::FilterAccess;
};

}  // namespace bpffw
