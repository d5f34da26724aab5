#include "parser/names.hpp"

#include <algorithm>

namespace bpffw::parser {
namespace {

std::string lowercase(std::string_view text) {
  std::string lowered(text);
  for (char& c : lowered)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return lowered;
}

}  // namespace

NameScope::NameScope() {
  for (ast::Variable variable : ast::kAllVariables) {
    entries_.push_back({std::string(ast::variable_name(variable)), ast::VariableRef{variable}});
  }
  entries_.push_back({"true", ast::Literal{1}});
  entries_.push_back({"false", ast::Literal{0}});
  for (const fields::NamedConstant& constant : fields::named_constants())
    entries_.push_back({std::string(constant.name), ast::Literal{constant.value}});
}

NameScope::NameScope(const std::vector<std::string>& parameter_names) : NameScope() {
  for (std::size_t i = 0; i < parameter_names.size(); ++i)
    entries_.push_back({parameter_names[i], ast::ParameterRef{static_cast<std::uint32_t>(i)}});
}

NameScope::NameScope(const std::vector<std::string>& parameter_names, std::vector<std::string> set_names)
    : NameScope(parameter_names) {
  set_names_ = std::move(set_names);
}

bool NameScope::is_builtin(std::string_view name) {
  if (ast::variable_by_name(name).has_value() || name == "true" || name == "false") return true;
  for (const fields::NamedConstant& constant : fields::named_constants())
    if (constant.name == name) return true;
  return false;
}

std::optional<ast::Node> NameScope::resolve(std::string_view name) const {
  for (const Entry& entry : entries_) {
    if (entry.name == name) return std::visit([](auto leaf) { return ast::Node(leaf); }, entry.meaning);
  }
  return std::nullopt;
}

std::optional<std::string> NameScope::nearest(std::string_view name) const {
  std::vector<std::string> candidates;
  for (const Entry& entry : entries_) candidates.push_back(entry.name);
  return nearest_name(name, candidates);
}

std::optional<std::uint32_t> NameScope::resolve_set(std::string_view name) const {
  for (std::size_t i = 0; i < set_names_.size(); ++i)
    if (set_names_[i] == name) return static_cast<std::uint32_t>(i);
  return std::nullopt;
}

std::optional<std::string> nearest_name(std::string_view name, const std::vector<std::string>& candidates) {
  // A suggestion is only useful when it is plausibly what was meant: allow about one edit per
  // three characters, at least one.
  // Case does not count: `TCP` is `tcp`, `Dst_Port` is `dst_port` (every built-in name is lowercase).
  std::size_t allowed = std::max<std::size_t>(1, name.size() / 3);
  const std::string* best = nullptr;
  std::size_t best_distance = allowed + 1;
  std::string lowered = lowercase(name);
  for (const std::string& candidate : candidates) {
    if (candidate == name) continue;
    std::size_t distance = lowered == lowercase(candidate) ? 0 : edit_distance(lowered, lowercase(candidate));
    if (distance < best_distance) {
      best = &candidate;
      best_distance = distance;
    }
  }
  if (best == nullptr) return std::nullopt;
  return *best;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  // Optimal string alignment distance; the names are short, so the full table is fine.
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

}  // namespace bpffw::parser
