#include <bpffw/filter.hpp>

#include "parser/ast_dump.hpp"
#include "parser/filter_access.hpp"
#include "parser/large_sets.hpp"
#include "parser/parse.hpp"
#include "parser/ranges.hpp"

namespace bpffw {

struct Filter::Impl {
  std::string source;
  ast::ExprPtr root;
  bool reads_packet = false;
  std::vector<Parameter> parameters;
  std::vector<NamedSet> sets;
  std::optional<Direction> direction;
  std::vector<Warning> warnings;
};

namespace {

bool is_identifier(std::string_view name) {
  auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; };
  if (name.empty() || !alpha(name[0])) return false;
  for (char c : name)
    if (!alpha(c) && !(c >= '0' && c <= '9')) return false;
  return true;
}

// Declarations come from the caller (bpffwc --param), not from the expression: Usage errors.
Result<std::vector<std::string>> checked_parameter_names(const std::vector<Parameter>& parameters) {
  std::vector<std::string> names;
  for (const Parameter& parameter : parameters) {
    const std::string& name = parameter.name;
    if (!is_identifier(name))
      return make_error(ErrorKind::Usage, "parameter name '" + name + "' is not an identifier", 0,
                        "use letters, digits and '_', not starting with a digit, e.g. --param mtu=1500");
    if (parser::NameScope::is_builtin(name))
      return make_error(ErrorKind::Usage, "parameter name '" + name + "' is a built-in name of the language", 0,
                        "choose another name, e.g. max_" + name);
    for (const std::string& earlier : names)
      if (earlier == name) return make_error(ErrorKind::Usage, "parameter '" + name + "' is declared twice");
    names.push_back(name);
  }
  return names;
}

// Named sets, docs/filter-language.md §9: declared by the caller (bpffwc --set), Usage errors too.
Result<std::vector<std::string>> checked_set_names(const std::vector<NamedSet>& sets,
                                                   const std::vector<std::string>& parameter_names) {
  std::vector<std::string> names;
  for (const NamedSet& set : sets) {
    const std::string& name = set.name;
    if (!is_identifier(name))
      return make_error(ErrorKind::Usage, "set name '" + name + "' is not an identifier", 0,
                        "use letters, digits and '_', not starting with a digit, e.g. --set allowed_ports=22,80");
    if (parser::NameScope::is_builtin(name))
      return make_error(ErrorKind::Usage, "set name '" + name + "' is a built-in name of the language", 0,
                        "choose another name, e.g. " + name + "_set");
    for (const std::string& parameter : parameter_names)
      if (parameter == name)
        return make_error(ErrorKind::Usage, "'" + name + "' is declared both as a parameter and as a set");
    for (const std::string& earlier : names)
      if (earlier == name) return make_error(ErrorKind::Usage, "set '" + name + "' is declared twice");
    bool integers = set.items.element == SetElement::Integer;
    if ((integers && !set.items.prefixes.empty()) || (!integers && !set.items.ranges.empty()))
      return make_error(ErrorKind::Usage, "set '" + name + "' holds items of another type than its element type");
    names.push_back(name);
  }
  return names;
}

}  // namespace

Filter::Filter(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}

Result<Filter> Filter::parse(std::string_view expression, const ParseOptions& options) {
  return parse(expression, ParseOptions(options));
}

Result<Filter> Filter::parse(std::string_view expression, ParseOptions&& options) {
  auto names = checked_parameter_names(options.parameters);
  if (!names) return tl::unexpected(std::move(names.error()));
  auto set_names = checked_set_names(options.sets, *names);
  if (!set_names) return tl::unexpected(std::move(set_names.error()));
  std::vector<std::optional<SetElement>> set_elements;
  for (const NamedSet& set : options.sets)
    set_elements.push_back(set.items.empty() ? std::nullopt : std::optional<SetElement>(set.items.element));
  auto root =
      parser::parse_expression(expression, options, parser::NameScope(*names, std::move(*set_names)), set_elements);
  if (!root) return tl::unexpected(std::move(root.error()));
  auto impl = std::make_shared<Impl>();
  impl->source = std::string(expression);
  impl->reads_packet = parser::reads_packet(**root);
  impl->warnings = parser::range_warnings(**root);
  impl->root = std::move(*root);
  impl->parameters = options.parameters;
  impl->sets = std::move(options.sets);
  for (std::size_t i = 0; i < impl->sets.size(); ++i)
    impl->sets[i].items.element = set_elements[i].value_or(SetElement::Integer);
  parser::move_large_sets_to_maps(impl->root, impl->sets);
  impl->direction = options.direction;
  return Filter(std::move(impl));
}

const std::string& Filter::source() const { return impl_->source; }

std::string Filter::dump_ast() const {
  std::vector<std::string> names;
  for (const Parameter& parameter : impl_->parameters) names.push_back(parameter.name);
  return parser::dump_ast(*impl_->root, names);
}

bool Filter::reads_packet() const { return impl_->reads_packet; }

const std::vector<Parameter>& Filter::parameters() const { return impl_->parameters; }

const std::vector<NamedSet>& Filter::sets() const { return impl_->sets; }

const std::vector<Warning>& Filter::warnings() const { return impl_->warnings; }

std::optional<Direction> Filter::direction() const { return impl_->direction; }

const ast::Expr& detail::FilterAccess::root(const Filter& filter) { return *filter.impl_->root; }

std::vector<NamedSet> detail::FilterAccess::take_sets(Filter&& filter) {
  if (filter.impl_.use_count() != 1) return filter.impl_->sets;
  // Sole holder: no one else can see the state change. The Impl was made non-const (parse).
  std::vector<NamedSet> sets = std::move(const_cast<Filter::Impl&>(*filter.impl_).sets);
  filter.impl_.reset();
  return sets;
}

}  // namespace bpffw
