// Error messages for the places where the grammar requires something (every must<>), in the style
// of PEGTL's error_message control (its json_errors example): a table from rule to what was
// expected, and a control class whose raise() turns it into a message for users. A rule name is
// never shown.
#pragma once

#include <optional>
#include <string_view>

#include <tao/pegtl.hpp>

#include "parser/grammar.hpp"
#include "parser/parse_state.hpp"

namespace bpffw::parser {

enum class Expected { Nothing, Operand, CloseParen, Colon, End, SetBrace, SetValue, SetEnd, SetItemsEnd };

template <class Rule>
inline constexpr Expected expectation = Expected::Nothing;
template <>
inline constexpr Expected expectation<grammar::operand_primary> = Expected::Operand;
template <>
inline constexpr Expected expectation<grammar::paren_close> = Expected::CloseParen;
template <>
inline constexpr Expected expectation<grammar::conditional_colon> = Expected::Colon;
template <>
inline constexpr Expected expectation<grammar::end_of_expression> = Expected::End;
template <>
inline constexpr Expected expectation<grammar::set_brace> = Expected::SetBrace;
template <>
inline constexpr Expected expectation<grammar::set_value_expected> = Expected::SetValue;
template <>
inline constexpr Expected expectation<grammar::set_end> = Expected::SetEnd;
template <>
inline constexpr Expected expectation<grammar::end_of_set_items> = Expected::SetItemsEnd;

// The one error for a must<> that failed at `at`: says what was expected, or names the character
// that cannot start any token, or the '=' of an attempted assignment.
SyntaxError explain_failure(Expected what, SourceSpan at, const ParseState& state);

// The error for a tcpdump word at `offset` (`and`, `or`, `not`, `port 80`, `host A`, `dst port 80`),
// saying what bpffw writes instead, if the word there is one.
std::optional<SyntaxError> tcpdump_word_advice(std::string_view source, std::size_t offset);

// The span of the token that starts at `offset` (0 bytes long at the end of the input).
SourceSpan token_span_at(std::string_view source, const SourceSpan& at);

template <class Rule>
struct control : tao::pegtl::normal<Rule> {
  template <class ParseInput>
  [[noreturn]] static void raise(const ParseInput& in, ParseState& state) {
    static_assert(expectation<Rule> != Expected::Nothing, "every must<> needs a message for users");
    const auto position = in.position();
    SourceSpan at{position.byte, 0, static_cast<unsigned>(position.line), static_cast<unsigned>(position.column)};
    throw explain_failure(expectation<Rule>, at, state);
  }
};

}  // namespace bpffw::parser
