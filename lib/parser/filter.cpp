#include <bpffw/filter.hpp>

#include "parser/ast_dump.hpp"
#include "parser/filter_access.hpp"
#include "parser/parse.hpp"

namespace bpffw {

struct Filter::Impl {
  std::string source;
  ast::ExprPtr root;
  bool reads_packet = false;
};

Filter::Filter(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}

Result<Filter> Filter::parse(std::string_view expression, const ParseOptions& options) {
  auto root = parser::parse_expression(expression, options);
  if (!root) return tl::unexpected(std::move(root.error()));
  auto impl = std::make_shared<Impl>();
  impl->source = std::string(expression);
  impl->reads_packet = parser::reads_packet(**root);
  impl->root = std::move(*root);
  return Filter(std::move(impl));
}

const std::string& Filter::source() const { return impl_->source; }

std::string Filter::dump_ast() const { return parser::dump_ast(*impl_->root); }

bool Filter::reads_packet() const { return impl_->reads_packet; }

const ast::Expr& detail::FilterAccess::root(const Filter& filter) { return *filter.impl_->root; }

}  // namespace bpffw
