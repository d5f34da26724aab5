#include "parser/types.hpp"

#include <string>
#include <utility>

#include "parser/addresses.hpp"

namespace bpffw::parser {
namespace {

constexpr const char* kAddressesAllow =
    "addresses allow only '==', '!=' and 'in {...}', with addresses or prefixes such as 192.0.2.1, "
    "10.0.0.0/8 or fd00::/8";

// A refused use, thrown inside the walk and returned as the check's error.
struct TypeError {
  std::string message;
  SourceSpan span;
};

bool is_address_variable(const ast::Expr& expr) {
  const auto* ref = std::get_if<ast::VariableRef>(&expr.node);
  return ref != nullptr && fields::field(ref->variable).type == fields::Type::Address;
}
bool is_address_literal(const ast::Expr& expr) { return std::holds_alternative<ast::AddressLiteral>(expr.node); }
bool is_address(const ast::Expr& expr) { return is_address_variable(expr) || is_address_literal(expr); }

// How an address operand is named in a message: 'src_addr', or the literal as written.
std::string describe(const ast::Expr& expr) {
  if (const auto* ref = std::get_if<ast::VariableRef>(&expr.node))
    return "'" + std::string(ast::variable_name(ref->variable)) + "'";
  if (const auto* literal = std::get_if<ast::AddressLiteral>(&expr.node))
    return "the address " + format_prefix(literal->prefix);
  return "the address";
}

[[noreturn]] void refuse_address(const ast::Expr& expr, const std::string& what) {
  throw TypeError{describe(expr) + " is an address: " + what + "; " + kAddressesAllow, expr.span};
}

class Checker {
 public:
  Checker(std::optional<Direction> direction, std::vector<std::optional<SetElement>>& set_elements)
      : direction_(direction), set_elements_(set_elements) {}

  // Checks `expr`, which stands where an integer (or a truth value) is expected, and rewrites
  // the address comparisons under it.
  void integer(ast::ExprPtr& expr) {
    if (is_address(*expr)) refuse_address(*expr, context_);
    std::visit(ast::overloaded{
                   [&](ast::VariableRef& ref) { check_direction(ref.variable, expr->span); },
                   [](ast::Literal&) {},
                   [](ast::ParameterRef&) {},
                   [&](ast::Unary& unary) {
                     with_context("'" + std::string(ast::op_symbol(unary.op)) + "' does not apply to it",
                                  [&] { integer(unary.operand); });
                   },
                   [&](ast::Binary& binary) { binary_operands(binary, expr); },
                   [&](ast::Logical& logical) {
                     for (ast::ExprPtr& operand : logical.operands)
                       with_context("it is not a truth value for '" + std::string(ast::op_symbol(logical.op)) + "'",
                                    [&] { integer(operand); });
                   },
                   [&](ast::Conditional& conditional) {
                     with_context("it is not a truth value for '?'", [&] { integer(conditional.condition); });
                     with_context("'?:' chooses between integers only", [&] {
                       integer(conditional.if_true);
                       integer(conditional.if_false);
                     });
                   },
                   [&](ast::SetMember& set) { set_member(set, expr); },
                   [](ast::AddressLiteral&) {},
                   [](ast::AddressMatch&) {},
                   [](ast::AddressEqual&) {},
                   [&](ast::NamedSetMember& set) { named_set_member(set, expr); },
                   [](ast::AddressSetMatch&) {},
               },
               expr->node);
  }

 private:
  template <class F>
  void with_context(std::string context, F&& check) {
    std::string saved = std::exchange(context_, std::move(context));
    check();
    context_ = std::move(saved);
  }

  void check_direction(ast::Variable variable, const SourceSpan& span) {
    if (fields::field(variable).guard != fields::Guard::Direction || direction_) return;
    throw TypeError{"'" + std::string(ast::variable_name(variable)) +
                        "' needs the direction the program is for: compile with -t ingress or -t egress",
                    span};
  }

  void binary_operands(ast::Binary& binary, ast::ExprPtr& expr) {
    bool equality = binary.op == ast::BinaryOp::Eq || binary.op == ast::BinaryOp::Ne;
    const std::string symbol(ast::op_symbol(binary.op));
    if (!equality || (!is_address(*binary.lhs) && !is_address(*binary.rhs))) {
      with_context("'" + symbol + "' does not apply to addresses", [&] {
        integer(binary.lhs);
        integer(binary.rhs);
      });
      return;
    }
    ast::Expr& lhs = *binary.lhs;
    ast::Expr& rhs = *binary.rhs;
    if (!is_address(lhs) || !is_address(rhs)) {
      // An address misused inside the other side (`10.0.0.0 / 8`) is the error to name first.
      with_context("'" + symbol + "' does not apply to addresses",
                   [&] { integer(is_address(lhs) ? binary.rhs : binary.lhs); });
      const ast::Expr& address = is_address(lhs) ? lhs : rhs;
      throw TypeError{describe(address) + " is an address and cannot be compared with an integer; " + kAddressesAllow,
                      address.span};
    }
    if (is_address_literal(lhs) && is_address_literal(rhs))
      throw TypeError{"both sides of '" + symbol +
                          "' are constant addresses: compare src_addr, dst_addr, local_addr or remote_addr",
                      expr->span};
    ast::Node match;
    if (is_address_variable(lhs) && is_address_variable(rhs)) {
      ast::Variable a = std::get<ast::VariableRef>(lhs.node).variable;
      ast::Variable b = std::get<ast::VariableRef>(rhs.node).variable;
      check_direction(a, lhs.span);
      check_direction(b, rhs.span);
      match = ast::AddressEqual{a, b};
    } else {
      const ast::Expr& variable = is_address_variable(lhs) ? lhs : rhs;
      const ast::Expr& literal = is_address_variable(lhs) ? rhs : lhs;
      ast::Variable v = std::get<ast::VariableRef>(variable.node).variable;
      check_direction(v, variable.span);
      match = ast::AddressMatch{v, {std::get<ast::AddressLiteral>(literal.node).prefix}};
    }
    replace(expr, std::move(match), binary.op == ast::BinaryOp::Ne);
  }

  void set_member(ast::SetMember& set, ast::ExprPtr& expr) {
    if (!set.prefixes.empty() && !set.ranges.empty())
      throw TypeError{"a set holds integers or addresses, not both", expr->span};
    if (set.prefixes.empty()) {
      with_context("it is tested against integers", [&] { integer(set.value); });
      return;
    }
    if (!is_address_variable(*set.value)) {
      if (is_address_literal(*set.value))
        throw TypeError{describe(*set.value) +
                            " is a constant: test src_addr, dst_addr, local_addr or remote_addr "
                            "against the set",
                        set.value->span};
      throw TypeError{
          "the set holds addresses, but its value is an integer: test src_addr, dst_addr, local_addr "
          "or remote_addr against it",
          set.value->span};
    }
    ast::Variable v = std::get<ast::VariableRef>(set.value->node).variable;
    check_direction(v, set.value->span);
    replace(expr, ast::AddressMatch{v, std::move(set.prefixes)}, false);
  }

  // docs/filter-language.md §9: the set's element type, from its items or else from this use.
  void named_set_member(ast::NamedSetMember& set, ast::ExprPtr& expr) {
    std::optional<SetElement>& element = set_elements_.at(set.set);
    if (!element) element = is_address_variable(*set.value) ? SetElement::Address : SetElement::Integer;
    if (*element == SetElement::Integer) {
      with_context("the set holds integers", [&] { integer(set.value); });
      return;
    }
    if (!is_address_variable(*set.value)) {
      throw TypeError{"the set holds addresses, but its value is " +
                          std::string(is_address_literal(*set.value) ? "a constant" : "an integer") +
                          ": test src_addr, dst_addr, local_addr or remote_addr against it",
                      set.value->span};
    }
    ast::Variable v = std::get<ast::VariableRef>(set.value->node).variable;
    check_direction(v, set.value->span);
    replace(expr, ast::AddressSetMatch{v, set.set}, false);
  }

  // `expr` becomes `node`, or `!node`, with expr's span; the depth only shrinks.
  static void replace(ast::ExprPtr& expr, ast::Node node, bool negate) {
    SourceSpan span = expr->span;
    auto match = std::make_unique<ast::Expr>(ast::Expr{std::move(node), span, 1});
    if (!negate) {
      expr = std::move(match);
      return;
    }
    expr = std::make_unique<ast::Expr>(ast::Expr{ast::Unary{ast::UnaryOp::LogicalNot, std::move(match)}, span, 2});
  }

  std::optional<Direction> direction_;
  std::vector<std::optional<SetElement>>& set_elements_;
  std::string context_ = "the filter's value must be an integer (non-zero passes)";
};

}  // namespace

Result<ast::ExprPtr> check_types(ast::ExprPtr root, std::optional<Direction> direction,
                                 std::vector<std::optional<SetElement>>& set_elements) {
  try {
    Checker(direction, set_elements).integer(root);
  } catch (const TypeError& error) {
    return tl::unexpected(Error{ErrorKind::InvalidExpression, error.message, error.span, 0, {}, {}});
  }
  return root;
}

}  // namespace bpffw::parser
