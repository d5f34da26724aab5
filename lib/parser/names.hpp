// Which identifiers an expression may use, and the nearest one to suggest for a typo.
// The packet variables (§4, fields/packet_fields.hpp), `true`/`false`, the named constants (§4.4:
// TCP flags, ICMP types), and the runtime parameters (§6.3) declared when the filter is compiled;
// the parser only calls resolve() and nearest().
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "parser/ast.hpp"

namespace bpffw::parser {

class NameScope {
 public:
  // The built-in names only.
  NameScope();
  // The built-in names and these parameters, which become ParameterRef{index in the list}.
  // The caller has checked the names (Filter::parse does).
  explicit NameScope(const std::vector<std::string>& parameter_names);
  // ... and these named sets (docs/filter-language.md §9), which only `in` may name.
  NameScope(const std::vector<std::string>& parameter_names, std::vector<std::string> set_names);

  // True for a name the language gives a meaning itself (a variable, a constant, true, false).
  static bool is_builtin(std::string_view name);

  // The node a name stands for (a VariableRef, or a Literal for true/false), if it is known.
  std::optional<ast::Node> resolve(std::string_view name) const;

  // The known name closest to `name` by edit distance, if one is close enough to be a likely typo.
  std::optional<std::string> nearest(std::string_view name) const;

  // The index of the named set called `name`, if one is declared.
  std::optional<std::uint32_t> resolve_set(std::string_view name) const;
  const std::vector<std::string>& set_names() const { return set_names_; }

 private:
  // What a name stands for: a leaf, so it can be copied into every use (Node itself is move-only).
  using Meaning = std::variant<ast::Literal, ast::VariableRef, ast::ParameterRef>;
  struct Entry {
    std::string name;
    Meaning meaning;
  };
  std::vector<Entry> entries_;
  std::vector<std::string> set_names_;
};

// The candidate closest to `name` by edit distance (case does not count), if one is close enough
// to be a likely typo: about one edit per three characters, at least one.
std::optional<std::string> nearest_name(std::string_view name, const std::vector<std::string>& candidates);

// Edit distance with adjacent transpositions counted as one edit ("prot" -> "port" is 1).
std::size_t edit_distance(std::string_view a, std::string_view b);

}  // namespace bpffw::parser
