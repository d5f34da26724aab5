// The filter language's grammar (docs/filter-language.md §2 and §3) as PEGTL rules, one rule per line.
//
// Every binary level is `operand (op operand)*` (iterative, so a 10,000-term chain does not recurse),
// and every token after which the next thing is mandatory commits with must<>: the parser never
// backtracks over a token whose action has run, which is what lets the actions build the AST on an
// explicit operand stack. Only parentheses and `?:` recurse; the actions count their nesting and stop
// at ParseOptions::max_depth, so the parser's own stack stays bounded.
//
// Set membership (docs/filter-language.md §7) is one more alternative in relational_tail; runtime parameters and
// named constants are identifiers, resolved by the actions (parser/names.hpp), so they need no
// grammar change. Addresses (§2.4) are primaries and set items of their own.
#pragma once

#include <tao/pegtl.hpp>

namespace bpffw::parser::grammar {

namespace pegtl = tao::pegtl;
using pegtl::eof;
using pegtl::must;
using pegtl::not_at;
using pegtl::one;
using pegtl::opt;
using pegtl::seq;
using pegtl::sor;
using pegtl::star;
using pegtl::string;
using pegtl::success;

// Whitespace separates tokens and is otherwise ignored: space, tab, CR, LF, and comments, from
// `#` to the end of the line (docs/filter-language.md §2.1), so a filter file can explain itself.
struct comment : seq<one<'#'>, star<pegtl::not_one<'\n'>>> {};
struct whitespace : star<sor<one<' ', '\t', '\r', '\n'>, comment>> {};
// A token followed by the whitespace after it, so every rule starts at a non-blank byte.
template <class Rule>
struct token : seq<Rule, whitespace> {};

// An integer literal: a digit and everything that could continue it; the action checks the form.
struct integer_literal : seq<pegtl::digit, star<pegtl::identifier_other>> {};

// Address literals (docs/filter-language.md §2.4); the actions check the form (parser/addresses.hpp).
// `/` and what could be a length, right after an address: a prefix (`10.0.0.0 / 8` divides).
struct prefix_length : seq<one<'/'>, star<pegtl::identifier_other>> {};
// A hex digit, colon or dot: what IPv6 text is made of.
struct ipv6_char : sor<pegtl::xdigit, one<':', '.'>> {};
// Two colons among IPv6 characters: IPv6 text has at least two, `c ? a:b` has one.
struct two_colons : seq<star<sor<pegtl::xdigit, one<'.'>>>, one<':'>, star<sor<pegtl::xdigit, one<'.'>>>, one<':'>> {};
// An IPv6 address or prefix: `::1`, `fd00::/8`, `::ffff:192.0.2.1`.
struct ipv6_literal : seq<pegtl::at<two_colons>, pegtl::plus<ipv6_char>, opt<prefix_length>> {};
// An IPv4 address or prefix: digits with dots, each dot followed by a digit (`1..5` is a range).
struct ipv4_literal
    : seq<pegtl::plus<pegtl::digit>, pegtl::plus<one<'.'>, pegtl::plus<pegtl::digit>>, opt<prefix_length>> {};
// An address or prefix of either family.
struct address_literal : sor<ipv6_literal, ipv4_literal> {};
// An address literal as an operand.
struct address_operand : address_literal {};
// A name: [A-Za-z_][A-Za-z0-9_]*, a variable, `true`/`false` or (later) a runtime parameter.
struct identifier : pegtl::identifier {};
// A user name in quotes, for names an identifier cannot spell (`"www-data"`): only `uid` is
// compared with one (docs/filter-language.md §4.8), which the action checks.
struct quoted_name : seq<one<'"'>, pegtl::plus<pegtl::not_one<'"', '\n', '\r'>>, one<'"'>> {};
// A quoted name as an operand.
struct quoted_user_name : quoted_name {};
// An opening parenthesis; its action counts the nesting.
struct open_paren : one<'('> {};
// A closing parenthesis.
struct close_paren : one<')'> {};

struct expression;
// What must close a '(': a ')'.
struct paren_close : token<close_paren> {};
// A parenthesized expression.
struct parenthesized : seq<token<open_paren>, expression, must<paren_close>> {};
// The innermost operands: a literal, an address, a name, or an expression in parentheses.
struct primary
    : sor<token<address_operand>, token<integer_literal>, token<identifier>, token<quoted_user_name>, parenthesized> {};

// A prefix operator: `!` (but not `!=`), `~`, `-`, `+`.
struct unary_operator : sor<seq<one<'!'>, not_at<one<'='>>>, one<'~', '-', '+'>> {};
// Marks where an operand's prefix operators begin.
struct unary_begin : success {};
// What must follow prefix operators, a binary operator, '(', '?' or ':': a primary.
struct operand_primary : primary {};
// A primary with its prefix operators, parsed as a loop rather than by recursion.
struct operand : seq<unary_begin, star<token<unary_operator>>, must<operand_primary>> {};

// `*`, `/`, `%`.
struct multiplicative_operator : one<'*', '/', '%'> {};
// `+`, `-`.
struct additive_operator : one<'+', '-'> {};
// `<<`, `>>`.
struct shift_operator : sor<string<'<', '<'>, string<'>', '>'>> {};
// `<=`, `>=`, `<`, `>` (a `<<` or `>>` was taken by the shift level already).
struct relational_operator : sor<string<'<', '='>, string<'>', '='>, one<'<'>, one<'>'>> {};
// `==`, `!=`.
struct equality_operator : sor<string<'=', '='>, string<'!', '='>> {};
// `&` but not `&&`.
struct bitand_operator : seq<one<'&'>, not_at<one<'&'>>> {};
// `^`.
struct bitxor_operator : one<'^'> {};
// `|` but not `||`.
struct bitor_operator : seq<one<'|'>, not_at<one<'|'>>> {};
// `&&`.
struct and_operator : string<'&', '&'> {};
// `||`.
struct or_operator : string<'|', '|'> {};

// Left-associative binary levels, tightest first: each is `lower (operator lower)*`. An operand
// never fails without raising an error, so a tail needs no must<> to commit after its operator.
// One `* x`, `/ x` or `% x`.
struct multiplicative_tail : seq<token<multiplicative_operator>, operand> {};
// Multiplicative level.
struct multiplicative : seq<operand, star<multiplicative_tail>> {};
// One `+ x` or `- x`.
struct additive_tail : seq<token<additive_operator>, multiplicative> {};
// Additive level.
struct additive : seq<multiplicative, star<additive_tail>> {};
// One `<< x` or `>> x`.
struct shift_tail : seq<token<shift_operator>, additive> {};
// Shift level.
struct shift : seq<additive, star<shift_tail>> {};
// One `< x`, `<= x`, `> x` or `>= x`.
struct comparison_tail : seq<token<relational_operator>, shift> {};

// Set membership, docs/filter-language.md §7: `x in {22, 80, 8000..8100, -1}`. Items are constants, so the set is
// read without recursion however long it is.
// The keyword `in`, not the start of a longer name.
struct in_keyword : seq<string<'i', 'n'>, not_at<pegtl::identifier_other>> {};
// The `{` that opens a set; its action remembers where, for "missing '}'".
struct set_open : one<'{'> {};
// What must follow `in`: a `{`.
struct set_brace : token<set_open> {};
// A minus sign before an item.
struct set_minus : one<'-'> {};
// The digits of an item, checked by the action like an integer literal.
struct set_literal : seq<pegtl::digit, star<pegtl::identifier_other>> {};
// An item's constant: an optional minus sign and a literal.
struct set_value : seq<opt<set_minus, whitespace>, set_literal> {};
// What must start every item, and follow `..` and `,`: a constant.
struct set_value_expected : token<set_value> {};
// `..` between the ends of a range.
struct set_dots : string<'.', '.'> {};
// `..` and the upper end of a range.
struct set_range_end : seq<token<set_dots>, must<set_value_expected>> {};
// An address or prefix as an item (§7.2).
struct set_address : address_literal {};
// A user name as an item, bare or quoted: only `uid in {...}` takes them (§4.8).
struct set_user_name : sor<pegtl::identifier, quoted_name> {};
// One item: an address or prefix, a user name, a constant, or a range `lo..hi`.
struct set_item : sor<token<set_address>, token<set_user_name>, seq<must<set_value_expected>, opt<set_range_end>>> {};
// `,` between items.
struct set_comma : one<','> {};
// The items, separated by commas.
struct set_items : seq<set_item, star<token<set_comma>, set_item>> {};
// The `}` that closes a set.
struct set_close : one<'}'> {};
// What must follow the items: a `}`.
struct set_end : token<set_close> {};
// A named set (docs/filter-language.md §9): `in allowed_ports`, resolved by the action.
struct set_name : pegtl::identifier {};
// `{ items }` after `in`.
struct inline_set : seq<must<set_brace>, set_items, must<set_end>> {};
// `in { items }` or `in NAME`.
struct set_tail : seq<token<in_keyword>, sor<token<set_name>, inline_set>> {};
// One relational operator and its operand, or a set membership test.
struct relational_tail : sor<comparison_tail, set_tail> {};
// Relational level.
struct relational : seq<shift, star<relational_tail>> {};
// One `== x` or `!= x`.
struct equality_tail : seq<token<equality_operator>, relational> {};
// Equality level.
struct equality : seq<relational, star<equality_tail>> {};
// One `& x`.
struct bitand_tail : seq<token<bitand_operator>, equality> {};
// Bitwise-and level.
struct bitand_level : seq<equality, star<bitand_tail>> {};
// One `^ x`.
struct bitxor_tail : seq<token<bitxor_operator>, bitand_level> {};
// Bitwise-xor level.
struct bitxor_level : seq<bitand_level, star<bitxor_tail>> {};
// One `| x`.
struct bitor_tail : seq<token<bitor_operator>, bitxor_level> {};
// Bitwise-or level.
struct bitor_level : seq<bitxor_level, star<bitor_tail>> {};
// One `&& x`; a whole chain becomes one Logical node.
struct and_tail : seq<token<and_operator>, bitor_level> {};
// Logical-and level.
struct logical_and : seq<bitor_level, star<and_tail>> {};
// One `|| x`; a whole chain becomes one Logical node.
struct or_tail : seq<token<or_operator>, logical_and> {};
// Logical-or level.
struct logical_or : seq<logical_and, star<or_tail>> {};

// The `?` of a conditional; its action counts the nesting, like '('.
struct question : one<'?'> {};
// The `:` of a conditional.
struct colon : one<':'> {};
// What must follow `c ? a`: a ':'.
struct conditional_colon : token<colon> {};
struct conditional;
// `? a : b`, right-associative: the else branch is itself a conditional.
struct conditional_tail : seq<token<question>, expression, must<conditional_colon>, conditional> {};
// Conditional level, the loosest.
struct conditional : seq<logical_or, opt<conditional_tail>> {};
// A whole expression.
struct expression : conditional {};
// What must follow a set declaration's items: nothing.
struct end_of_set_items : eof {};
// What must follow a complete expression: nothing.
struct end_of_expression : eof {};
// The filter: optional leading whitespace, one expression, the end of the input.
struct filter : seq<whitespace, expression, must<end_of_expression>> {};

// A named set's items on their own (--set NAME=ITEMS, one line of a set file): the items of an
// inline set without the braces, possibly none.
struct set_items_only : seq<whitespace, sor<eof, seq<set_items, must<end_of_set_items>>>> {};

}  // namespace bpffw::parser::grammar
