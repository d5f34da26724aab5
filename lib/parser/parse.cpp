#include "parser/parse.hpp"

#include <algorithm>
#include <cctype>

#include <tao/pegtl.hpp>

#include "base/users.hpp"
#include "parser/addresses.hpp"
#include "parser/diagnostics.hpp"
#include "parser/grammar.hpp"
#include "parser/literals.hpp"
#include "parser/parse_state.hpp"
#include "parser/types.hpp"

namespace bpffw::parser {
namespace {

namespace pegtl = tao::pegtl;
namespace g = grammar;

// The span of what an action matched (its text never includes trailing whitespace here).
template <class ActionInput>
SourceSpan span_of(const ActionInput& in) {
  const auto position = in.position();
  return SourceSpan{position.byte, in.size(), static_cast<unsigned>(position.line),
                    static_cast<unsigned>(position.column)};
}

void enter_nesting(ParseState& state, char symbol, const SourceSpan& span) {
  if (++state.nesting > state.max_depth) throw SyntaxError{too_deep_message(state.max_depth), span};
  state.openers.push_back({symbol, span});
}

template <class Rule>
struct action : pegtl::nothing<Rule> {};

template <>
struct action<g::integer_literal> {
  template <class ActionInput>
  static void apply(const ActionInput& in, ParseState& state) {
    auto value = parse_integer_literal(in.string_view());
    if (!value) throw SyntaxError{value.error(), span_of(in)};
    state.builder.push_leaf(ast::Literal{*value}, span_of(in));
  }
};

// An address or prefix literal, IPv6 when it has a colon.
template <class ActionInput>
ast::Prefix address_of(const ActionInput& in) {
  std::string_view text = in.string_view();
  auto prefix = text.find(':') != std::string_view::npos ? parse_ipv6_literal(text) : parse_ipv4_literal(text);
  if (!prefix) throw SyntaxError{prefix.error().message, span_of(in), prefix.error().hint};
  return *prefix;
}

template <>
struct action<g::address_operand> {
  template <class ActionInput>
  static void apply(const ActionInput& in, ParseState& state) {
    state.builder.push_leaf(ast::AddressLiteral{address_of(in)}, span_of(in));
  }
};

template <>
struct action<g::set_address> {
  template <class ActionInput>
  static void apply(const ActionInput& in, ParseState& state) {
    state.set_prefixes.push_back(address_of(in));
    state.last_token = "address";
  }
};

// §4.8: a user name stands for its uid where `uid` is compared with it (`uid == postgres`, `uid in
// {postgres, "www-data"}`), resolved now, on the compiling host.
bool compares_uid(const ParseState& state) {
  static constexpr ast::BinaryOp kComparisons[] = {ast::BinaryOp::Eq, ast::BinaryOp::Ne, ast::BinaryOp::Lt,
                                                   ast::BinaryOp::Le, ast::BinaryOp::Gt, ast::BinaryOp::Ge};
  return !state.binary_ops.empty() && std::ranges::find(kComparisons, state.binary_ops.back()) != std::end(kComparisons) &&
         state.builder.top_is(ast::Variable::Uid);
}
std::int64_t user_uid(std::string_view name, const SourceSpan& span, std::string_view source) {
  std::optional<std::uint32_t> uid = base::user_id(std::string(name));
  if (uid) return *uid;
  // `uid == www-data` reads as www minus data: name the whole word in the hint.
  std::size_t end = span.offset + span.length;
  auto in_name = [&](std::size_t at) {
    return at < source.size() && (std::isalnum(static_cast<unsigned char>(source[at])) || source[at] == '_' ||
                                  source[at] == '-' || source[at] == '.');
  };
  if (end < source.size() && source[end] == '-' && in_name(end + 1)) {
    while (in_name(end)) ++end;
    std::string whole(source.substr(span.offset, end - span.offset));
    throw SyntaxError{"unknown user '" + std::string(name) + "'", span,
                      "a user name with '-' goes in quotes: uid == \"" + whole + "\" (docs/filter-language.md §4.8)"};
  }
  throw SyntaxError{"unknown user '" + std::string(name) + "'", span,
                    "uid takes a user of this host (getent passwd " + std::string(name) +
                        " finds none) or a number (docs/filter-language.md §4.8)"};
}
// The name inside the quotes, and its span.
std::pair<std::string_view, SourceSpan> unquoted(std::string_view text, SourceSpan span) {
  ++span.offset;
  ++span.column;
  span.length -= 2;
  return {text.substr(1, text.size() - 2), span};
}

template <>
struct action<g::quoted_user_name> {
  template <class ActionInput>
  static void apply(const ActionInput& in, ParseState& state) {
    if (!compares_uid(state)) {
      throw SyntaxError{"a quoted name is a user name: only uid is compared with one", span_of(in),
                        "write uid == \"www-data\" or uid in {postgres, \"www-data\"} (docs/filter-language.md §4.8)"};
    }
    auto [name, span] = unquoted(in.string_view(), span_of(in));
    state.builder.push_leaf(ast::Literal{user_uid(name, span, state.source)}, span_of(in));
  }
};

template <>
struct action<g::set_user_name> {
  template <class ActionInput>
  static void apply(const ActionInput& in, ParseState& state) {
    std::string_view text = in.string_view();
    SourceSpan span = span_of(in);
    if (!state.builder.top_is(ast::Variable::Uid)) {
      throw SyntaxError{"expected a number or an address after '" + std::string(state.last_token) + "'", span,
                        "a name in a set is a user name, for uid in {...} only (docs/filter-language.md §4.8)"};
    }
    auto [name, name_span] = text.front() == '"' ? unquoted(text, span) : std::pair{text, span};
    std::int64_t uid = user_uid(name, name_span, state.source);
    state.set_items.push_back({uid, uid});
    state.set_item_spans.push_back(span);
    state.last_token = "user name";
  }
};

template <>
struct action<g::identifier> {
  template <class ActionInput>
  static void apply(const ActionInput& in, ParseState& state) {
    std::string_view name = in.string_view();
    std::optional<ast::Node> node = state.names.resolve(name);
    if (!node && compares_uid(state)) node = ast::Literal{user_uid(name, span_of(in), state.source)};
    if (!node) {
      // Keep parsing with a stand-in, so that a later syntax error still wins (see ParseState).
      if (!state.first_unknown_name) state.first_unknown_name = UnknownName{std::string(name), span_of(in)};
      node = ast::Literal{0};
    }
    state.builder.push_leaf(std::move(*node), span_of(in));
  }
};

template <>
struct action<g::open_paren> {
  template <class ActionInput>
  static void apply(const ActionInput& in, ParseState& state) {
    enter_nesting(state, '(', span_of(in));
    state.last_token = "(";
  }
};

template <>
struct action<g::close_paren> {
  template <class ActionInput>
  static void apply(const ActionInput& in, ParseState& state) {
    state.openers.pop_back();
    --state.nesting;
    state.last_close_paren_end = in.position().byte + 1;
  }
};

template <>
struct action<g::parenthesized> {
  template <class ActionInput>
  static void apply(const ActionInput& in, ParseState& state) {
    SourceSpan outer = span_of(in);
    outer.length = state.last_close_paren_end - outer.offset;
    state.builder.mark_parenthesized(outer);
  }
};

template <>
struct action<g::unary_begin> {
  static void apply0(ParseState& state) { state.unary_frames.push_back(state.unary_ops.size()); }
};

template <>
struct action<g::unary_operator> {
  template <class ActionInput>
  static void apply(const ActionInput& in, ParseState& state) {
    static constexpr ast::UnaryOp kOps[] = {ast::UnaryOp::LogicalNot, ast::UnaryOp::BitNot,
                                            ast::UnaryOp::Negate, ast::UnaryOp::Plus};
    std::size_t index = std::string_view("!~-+").find(in.peek_char());
    state.unary_ops.push_back({kOps[index], span_of(in)});
    state.last_token = in.string_view();
  }
};

template <>
struct action<g::operand> {
  static void apply0(ParseState& state) {
    std::size_t frame = state.unary_frames.back();
    state.unary_frames.pop_back();
    // Prefix operators bind right to left: the one nearest the operand applies first.
    while (state.unary_ops.size() > frame) {
      PendingUnary pending = state.unary_ops.back();
      state.unary_ops.pop_back();
      state.builder.apply_unary(pending.op, pending.span);
    }
  }
};

// A binary operator token: remember which operator it is until its right operand is complete.
template <class Rule>
struct binary_operator_action {
  template <class ActionInput>
  static void apply(const ActionInput& in, ParseState& state) {
    static constexpr std::pair<std::string_view, ast::BinaryOp> kOps[] = {
        {"*", ast::BinaryOp::Mul},  {"/", ast::BinaryOp::Div},    {"%", ast::BinaryOp::Mod},
        {"+", ast::BinaryOp::Add},  {"-", ast::BinaryOp::Sub},    {"<<", ast::BinaryOp::Shl},
        {">>", ast::BinaryOp::Shr}, {"<", ast::BinaryOp::Lt},     {"<=", ast::BinaryOp::Le},
        {">", ast::BinaryOp::Gt},   {">=", ast::BinaryOp::Ge},    {"==", ast::BinaryOp::Eq},
        {"!=", ast::BinaryOp::Ne},  {"&", ast::BinaryOp::BitAnd}, {"^", ast::BinaryOp::BitXor},
        {"|", ast::BinaryOp::BitOr}};
    for (const auto& [symbol, op] : kOps) {
      if (symbol == in.string_view()) state.binary_ops.push_back(op);
    }
    state.last_token = in.string_view();
  }
};
template <> struct action<g::multiplicative_operator> : binary_operator_action<g::multiplicative_operator> {};
template <> struct action<g::additive_operator> : binary_operator_action<g::additive_operator> {};
template <> struct action<g::shift_operator> : binary_operator_action<g::shift_operator> {};
template <> struct action<g::relational_operator> : binary_operator_action<g::relational_operator> {};
template <> struct action<g::equality_operator> : binary_operator_action<g::equality_operator> {};
template <> struct action<g::bitand_operator> : binary_operator_action<g::bitand_operator> {};
template <> struct action<g::bitxor_operator> : binary_operator_action<g::bitxor_operator> {};
template <> struct action<g::bitor_operator> : binary_operator_action<g::bitor_operator> {};

// A binary level's `operator operand` is complete: combine it with the operand before it.
struct reduce_binary_action {
  static void apply0(ParseState& state) {
    ast::BinaryOp op = state.binary_ops.back();
    state.binary_ops.pop_back();
    state.builder.reduce_binary(op);
  }
};
template <> struct action<g::multiplicative_tail> : reduce_binary_action {};
template <> struct action<g::additive_tail> : reduce_binary_action {};
template <> struct action<g::shift_tail> : reduce_binary_action {};
template <> struct action<g::comparison_tail> : reduce_binary_action {};
template <> struct action<g::equality_tail> : reduce_binary_action {};
template <> struct action<g::bitand_tail> : reduce_binary_action {};
template <> struct action<g::bitxor_tail> : reduce_binary_action {};
template <> struct action<g::bitor_tail> : reduce_binary_action {};

// `&&`, `||`, `:`: only remembered for messages.
struct remember_token_action {
  template <class ActionInput>
  static void apply(const ActionInput& in, ParseState& state) { state.last_token = in.string_view(); }
};
template <> struct action<g::and_operator> : remember_token_action {};
template <> struct action<g::or_operator> : remember_token_action {};

template <>
struct action<g::and_tail> {
  static void apply0(ParseState& state) { state.builder.reduce_logical(ast::LogicalOp::And); }
};
template <>
struct action<g::or_tail> {
  static void apply0(ParseState& state) { state.builder.reduce_logical(ast::LogicalOp::Or); }
};

template <>
struct action<g::question> {
  template <class ActionInput>
  static void apply(const ActionInput& in, ParseState& state) {
    enter_nesting(state, '?', span_of(in));
    state.last_token = "?";
  }
};

template <>
struct action<g::colon> {
  template <class ActionInput>
  static void apply(const ActionInput&, ParseState& state) {
    state.openers.pop_back();
    state.last_token = ":";
  }
};

template <>
struct action<g::conditional_tail> {
  static void apply0(ParseState& state) {
    --state.nesting;  // the else branch, parsed by recursion, is complete
    state.builder.reduce_conditional();
  }
};

// Set membership (docs/filter-language.md §7).
template <>
struct action<g::in_keyword> {
  template <class ActionInput>
  static void apply(const ActionInput&, ParseState& state) { state.last_token = "in"; }
};

template <>
struct action<g::set_open> {
  template <class ActionInput>
  static void apply(const ActionInput& in, ParseState& state) {
    state.openers.push_back({'{', span_of(in)});
    state.set_items.clear();
    state.set_item_spans.clear();
    state.set_prefixes.clear();
    state.last_token = "{";
  }
};

template <>
struct action<g::set_value> {
  template <class ActionInput>
  static void apply(const ActionInput& in, ParseState& state) {
    std::string_view text = in.string_view();
    bool negative = text.front() == '-';
    std::string_view digits = text.substr(text.find_first_of("0123456789"));
    SourceSpan span = span_of(in);
    auto value = parse_integer_literal(digits);
    if (!value) {
      SourceSpan literal = span;
      literal.offset += text.size() - digits.size();
      literal.column += static_cast<unsigned>(text.size() - digits.size());
      literal.length = digits.size();
      throw SyntaxError{value.error(), literal};
    }
    // 0 - v cannot overflow: v <= INT64_MAX.
    std::int64_t item = negative ? -*value : *value;
    state.set_items.push_back({item, item});
    state.set_item_spans.push_back(span);
  }
};

template <>
struct action<g::set_dots> {
  template <class ActionInput>
  static void apply(const ActionInput&, ParseState& state) { state.last_token = ".."; }
};

template <>
struct action<g::set_range_end> {
  static void apply0(ParseState& state) {
    // The last two values read are the range's ends.
    ast::SetRange hi = state.set_items.back();
    SourceSpan hi_span = state.set_item_spans.back();
    state.set_items.pop_back();
    state.set_item_spans.pop_back();
    ast::SetRange& range = state.set_items.back();
    SourceSpan& span = state.set_item_spans.back();
    span = span_between(span, hi_span);
    if (range.lo > hi.lo) {
      throw SyntaxError{"empty range " + std::to_string(range.lo) + ".." + std::to_string(hi.lo) +
                            ": the lower end is greater than the upper end",
                        span};
    }
    range.hi = hi.lo;
  }
};

template <>
struct action<g::set_comma> {
  template <class ActionInput>
  static void apply(const ActionInput&, ParseState& state) { state.last_token = ","; }
};

template <>
struct action<g::set_close> {
  template <class ActionInput>
  static void apply(const ActionInput& in, ParseState& state) {
    state.openers.pop_back();
    state.last_set_close_end = in.position().byte + 1;
  }
};

// `in NAME` (docs/filter-language.md §9).
template <>
struct action<g::set_name> {
  template <class ActionInput>
  static void apply(const ActionInput& in, ParseState& state) {
    std::string_view name = in.string_view();
    std::optional<std::uint32_t> set = state.names.resolve_set(name);
    if (!set) {
      std::string message = "unknown set '" + std::string(name) + "'";
      std::string hint;
      if (auto suggestion = nearest_name(name, state.names.set_names())) {
        message += " (did you mean '" + *suggestion + "'?)";
      } else if (state.names.set_names().empty()) {
        hint = "declare it when compiling, e.g. --set " + std::string(name) + "=22,80 or --set-file " +
               std::string(name) + "=FILE";
      } else {
        hint = "the declared sets are";
        for (const std::string& known : state.names.set_names()) hint += " " + known + ",";
        hint.pop_back();
      }
      throw SyntaxError{std::move(message), span_of(in), std::move(hint)};
    }
    state.builder.apply_named_set(*set, in.position().byte + in.size());
  }
};

template <>
struct action<g::inline_set> {
  static void apply0(ParseState& state) {
    state.builder.apply_set(std::move(state.set_items), std::move(state.set_prefixes), state.last_set_close_end);
    state.set_items.clear();
    state.set_item_spans.clear();
    state.set_prefixes.clear();
  }
};

Error invalid(std::string message, SourceSpan span, std::string hint = {}) {
  Error error{ErrorKind::InvalidExpression, std::move(message), span, 0, std::move(hint), {}};
  return error;
}

}  // namespace

Result<SetItems> parse_set_items_text(std::string_view text) {
  NameScope no_names;
  ParseState state(text, no_names, 1);
  pegtl::memory_input<pegtl::tracking_mode::eager, pegtl::eol::lf_crlf> input(text.data(), text.size(), "set");
  try {
    pegtl::parse<g::set_items_only, action, control>(input, state);
  } catch (const SyntaxError& error) {
    return tl::unexpected(invalid(error.message, error.span, error.hint));
  }
  SetItems items;
  if (!state.set_items.empty() && !state.set_prefixes.empty()) {
    return tl::unexpected(invalid("a set holds integers or addresses, not both",
                                  SourceSpan{0, text.size(), 1, 1}));
  }
  items.element = state.set_prefixes.empty() ? SetElement::Integer : SetElement::Address;
  for (const ast::SetRange& range : state.set_items) items.ranges.push_back({range.lo, range.hi});
  for (const ast::Prefix& prefix : state.set_prefixes)
    items.prefixes.push_back({prefix.family == ast::Family::Ipv6, prefix.bytes, prefix.length});
  return items;
}

Result<ast::ExprPtr> parse_expression(std::string_view source, const ParseOptions& options,
                                      const NameScope& names) {
  std::vector<std::optional<SetElement>> no_sets;
  return parse_expression(source, options, names, no_sets);
}

Result<ast::ExprPtr> parse_expression(std::string_view source, const ParseOptions& options, const NameScope& names,
                                      std::vector<std::optional<SetElement>>& set_elements) {
  ParseState state(source, names, options.max_depth);
  pegtl::memory_input<pegtl::tracking_mode::eager, pegtl::eol::lf_crlf> input(source.data(), source.size(),
                                                                             "expression");
  try {
    pegtl::parse<g::filter, action, control>(input, state);
  } catch (const SyntaxError& error) {
    return tl::unexpected(invalid(error.message, error.span, error.hint));
  } catch (const pegtl::parse_error& error) {
    // Not reached: every must<> raises a SyntaxError through control<>. Kept so that a grammar
    // change that forgets a message still yields an error rather than an exception.
    const auto& position = error.positions().front();
    return tl::unexpected(invalid("invalid expression",
                                  SourceSpan{position.byte, 0, static_cast<unsigned>(position.line),
                                             static_cast<unsigned>(position.column)}));
  }
  if (state.first_unknown_name) {
    const UnknownName& unknown = *state.first_unknown_name;
    // `tcp && not udp`... parses (as names) up to the unknown word: say what bpffw writes.
    if (auto advice = tcpdump_word_advice(source, unknown.span.offset))
      return tl::unexpected(invalid(advice->message, advice->span, advice->hint));
    std::string message = "unknown variable '" + unknown.name + "'";
    std::string hint;
    if (auto suggestion = names.nearest(unknown.name)) {
      message += " (did you mean '" + *suggestion + "'?)";
    } else if (base::user_id(unknown.name)) {
      hint = "'" + unknown.name + "' is a user of this host: compare it with uid, as uid == " + unknown.name +
             " (docs/filter-language.md §4.8)";
    } else {
      hint = "the variables are";
      for (ast::Variable variable : ast::kAllVariables) hint += std::string(" ") + std::string(ast::variable_name(variable)) + ",";
      hint.back() = ' ';
      hint += "(docs/filter-language.md §4)";
    }
    return tl::unexpected(invalid(std::move(message), unknown.span, std::move(hint)));
  }
  return check_types(state.builder.finish(), options.direction, set_elements);
}

}  // namespace bpffw::parser
