// ASTs for every precedence level and associativity of docs/filter-language.md §3, literal forms of §2, and spans.
#include <doctest/doctest.h>

#include <bpffw/filter.hpp>

#include "parse_helpers.hpp"
#include "parser/ast.hpp"
#include "parser/filter_access.hpp"

using bpffw::test::ast_of;

TEST_CASE("the issue's example F1 parses into a flat or with two ands") {
  CHECK(ast_of("icmp || (udp && dst_port == 53) || (tcp && dst_port == 80)") ==
        "or 1:1\n"
        "  variable icmp 1:1\n"
        "  and 1:10\n"
        "    variable udp 1:10\n"
        "    binary == 1:17\n"
        "      variable dst_port 1:17\n"
        "      literal 53 1:29\n"
        "  and 1:37\n"
        "    variable tcp 1:37\n"
        "    binary == 1:44\n"
        "      variable dst_port 1:44\n"
        "      literal 80 1:56\n");
}

TEST_CASE("binary operators are left-associative") {
  CHECK(ast_of("1 - 2 - 3") == "binary - 1:1\n  binary - 1:1\n    literal 1 1:1\n    literal 2 1:5\n  literal 3 1:9\n");
  CHECK(ast_of("8 / 4 / 2") == "binary / 1:1\n  binary / 1:1\n    literal 8 1:1\n    literal 4 1:5\n  literal 2 1:9\n");
  CHECK(ast_of("1 << 2 >> 3") ==
        "binary >> 1:1\n  binary << 1:1\n    literal 1 1:1\n    literal 2 1:6\n  literal 3 1:11\n");
  CHECK(ast_of("1 == 2 != 3") ==
        "binary != 1:1\n  binary == 1:1\n    literal 1 1:1\n    literal 2 1:6\n  literal 3 1:11\n");
  CHECK(ast_of("1 < 2 >= 3") ==
        "binary >= 1:1\n  binary < 1:1\n    literal 1 1:1\n    literal 2 1:5\n  literal 3 1:10\n");
}

TEST_CASE("each level binds tighter than the next, as in C") {
  // multiplicative over additive
  CHECK(ast_of("1 + 2 * 3") == "binary + 1:1\n  literal 1 1:1\n  binary * 1:5\n    literal 2 1:5\n    literal 3 1:9\n");
  CHECK(ast_of("1 * 2 + 3") == "binary + 1:1\n  binary * 1:1\n    literal 1 1:1\n    literal 2 1:5\n  literal 3 1:9\n");
  // additive over shift
  CHECK(ast_of("1 << 2 + 3") ==
        "binary << 1:1\n  literal 1 1:1\n  binary + 1:6\n    literal 2 1:6\n    literal 3 1:10\n");
  // shift over relational
  CHECK(ast_of("1 < 2 << 3") ==
        "binary < 1:1\n  literal 1 1:1\n  binary << 1:5\n    literal 2 1:5\n    literal 3 1:10\n");
  // relational over equality
  CHECK(ast_of("1 < 2 == 3 > 4") ==
        "binary == 1:1\n  binary < 1:1\n    literal 1 1:1\n    literal 2 1:5\n"
        "  binary > 1:10\n    literal 3 1:10\n    literal 4 1:14\n");
  // equality over bitwise and: `&` binds looser than `==`, C's famous trap
  CHECK(ast_of("1 & 2 == 3") ==
        "binary & 1:1\n  literal 1 1:1\n  binary == 1:5\n    literal 2 1:5\n    literal 3 1:10\n");
  // and over xor, xor over or
  CHECK(ast_of("1 ^ 2 & 3") == "binary ^ 1:1\n  literal 1 1:1\n  binary & 1:5\n    literal 2 1:5\n    literal 3 1:9\n");
  CHECK(ast_of("1 | 2 ^ 3") == "binary | 1:1\n  literal 1 1:1\n  binary ^ 1:5\n    literal 2 1:5\n    literal 3 1:9\n");
  // bitwise or over logical and, logical and over logical or
  CHECK(ast_of("1 && 2 | 3") == "and 1:1\n  literal 1 1:1\n  binary | 1:6\n    literal 2 1:6\n    literal 3 1:10\n");
  CHECK(ast_of("1 || 2 && 3") == "or 1:1\n  literal 1 1:1\n  and 1:6\n    literal 2 1:6\n    literal 3 1:11\n");
  // logical or over the conditional
  CHECK(ast_of("ip || tcp ? 1 : 2") ==
        "conditional 1:1\n  or 1:1\n    variable ip 1:1\n    variable tcp 1:7\n"
        "  literal 1 1:13\n  literal 2 1:17\n");
}

TEST_CASE("the conditional is right-associative and takes a full expression in the middle") {
  CHECK(ast_of("ip ? 1 : 2 ? 3 : 4") ==
        "conditional 1:1\n  variable ip 1:1\n  literal 1 1:6\n"
        "  conditional 1:10\n    literal 2 1:10\n    literal 3 1:14\n    literal 4 1:18\n");
  CHECK(ast_of("ip ? ipv6 ? 1 : 2 : 3") ==
        "conditional 1:1\n  variable ip 1:1\n"
        "  conditional 1:6\n    variable ipv6 1:6\n    literal 1 1:13\n    literal 2 1:17\n"
        "  literal 3 1:21\n");
}

TEST_CASE("prefix operators bind tightest and apply right to left") {
  CHECK(ast_of("-len * 2") == "binary * 1:1\n  unary - 1:1\n    variable len 1:2\n  literal 2 1:8\n");
  CHECK(ast_of("!ip == 0") == "binary == 1:1\n  unary ! 1:1\n    variable ip 1:2\n  literal 0 1:8\n");
  CHECK(ast_of("- - ~ ! + 1") ==
        "unary - 1:1\n  unary - 1:3\n    unary ~ 1:5\n      unary ! 1:7\n        unary + 1:9\n"
        "          literal 1 1:11\n");
  CHECK(ast_of("1 - -1") == "binary - 1:1\n  literal 1 1:1\n  unary - 1:5\n    literal 1 1:6\n");
  CHECK(ast_of("1--1") == "binary - 1:1\n  literal 1 1:1\n  unary - 1:3\n    literal 1 1:4\n");
  CHECK(ast_of("!!ip") == "unary ! 1:1\n  unary ! 1:2\n    variable ip 1:3\n");
}

TEST_CASE("operators that share a first character are told apart") {
  CHECK(ast_of("1&&2&3") == "and 1:1\n  literal 1 1:1\n  binary & 1:4\n    literal 2 1:4\n    literal 3 1:6\n");
  CHECK(ast_of("1||2|3") == "or 1:1\n  literal 1 1:1\n  binary | 1:4\n    literal 2 1:4\n    literal 3 1:6\n");
  CHECK(ast_of("1<=2") == "binary <= 1:1\n  literal 1 1:1\n  literal 2 1:4\n");
  CHECK(ast_of("1<<2") == "binary << 1:1\n  literal 1 1:1\n  literal 2 1:4\n");
  CHECK(ast_of("1>=2") == "binary >= 1:1\n  literal 1 1:1\n  literal 2 1:4\n");
  CHECK(ast_of("1>>2") == "binary >> 1:1\n  literal 1 1:1\n  literal 2 1:4\n");
  CHECK(ast_of("1!=!2") == "binary != 1:1\n  literal 1 1:1\n  unary ! 1:4\n    literal 2 1:5\n");
  CHECK(ast_of("1%2") == "binary % 1:1\n  literal 1 1:1\n  literal 2 1:3\n");
}

TEST_CASE("integer literals: decimal, hexadecimal, octal, up to INT64_MAX") {
  CHECK(ast_of("0x35") == "literal 53 1:1\n");
  CHECK(ast_of("0XFF") == "literal 255 1:1\n");
  CHECK(ast_of("0xfF") == "literal 255 1:1\n");
  CHECK(ast_of("017") == "literal 15 1:1\n");
  CHECK(ast_of("0") == "literal 0 1:1\n");
  CHECK(ast_of("00") == "literal 0 1:1\n");
  CHECK(ast_of("53") == "literal 53 1:1\n");
  CHECK(ast_of("9223372036854775807") == "literal 9223372036854775807 1:1\n");
  CHECK(ast_of("0x7fffffffffffffff") == "literal 9223372036854775807 1:1\n");
  CHECK(ast_of("0777777777777777777777") == "literal 9223372036854775807 1:1\n");
  CHECK(ast_of("0x0000000000000000000001") == "literal 1 1:1\n");
  // The minus sign is an operator, so INT64_MIN is written as an expression.
  CHECK(ast_of("-9223372036854775807 - 1") ==
        "binary - 1:1\n  unary - 1:1\n    literal 9223372036854775807 1:2\n  literal 1 1:24\n");
}

TEST_CASE("true and false are the literals 1 and 0, every variable has its name") {
  CHECK(ast_of("true && !false") == "and 1:1\n  literal 1 1:1\n  unary ! 1:9\n    literal 0 1:10\n");
  for (bpffw::ast::Variable variable : bpffw::ast::kAllVariables) {
    std::string name(bpffw::ast::variable_name(variable));
    CHECK(bpffw::ast::variable_by_name(name) == variable);
    // Addresses are no values of their own, local_* and remote_* need a direction (types_test.cpp).
    const bpffw::fields::PacketField& row = bpffw::fields::field(variable);
    if (row.type == bpffw::fields::Type::Address || row.guard == bpffw::fields::Guard::Direction) continue;
    CHECK(ast_of(name) == "variable " + name + " 1:1\n");
  }
  CHECK_FALSE(bpffw::ast::variable_by_name("port").has_value());
  CHECK_FALSE(bpffw::ast::variable_by_name("true").has_value());
}

TEST_CASE("chains of the same logical operator are one node, parentheses keep a group") {
  CHECK(ast_of("tcp && udp && icmp || ip && ipv6") ==
        "or 1:1\n  and 1:1\n    variable tcp 1:1\n    variable udp 1:8\n    variable icmp 1:15\n"
        "  and 1:23\n    variable ip 1:23\n    variable ipv6 1:29\n");
  CHECK(ast_of("(tcp || udp) || icmp") ==
        "or 1:1\n  or 1:2\n    variable tcp 1:2\n    variable udp 1:9\n  variable icmp 1:17\n");
  CHECK(ast_of("tcp || (udp || icmp)") ==
        "or 1:1\n  variable tcp 1:1\n  or 1:9\n    variable udp 1:9\n    variable icmp 1:16\n");
}

TEST_CASE("whitespace: space, tab, CR and LF anywhere between tokens, lines and columns 1-based") {
  CHECK(ast_of(" \t\r\n ip \n") == "variable ip 2:2\n");
  CHECK(ast_of("tcp &&\n  dst_port == 22") ==
        "and 1:1\n  variable tcp 1:1\n  binary == 2:3\n    variable dst_port 2:3\n    literal 22 2:15\n");
  CHECK(ast_of("len\t%\r\n2") == "binary % 1:1\n  variable len 1:1\n  literal 2 2:1\n");
}

TEST_CASE("spans cover the whole subexpression, parentheses included for the parent") {
  auto filter = bpffw::Filter::parse(" (tcp || udp) && dst_port == 0x35\n");
  REQUIRE(filter);
  const bpffw::ast::Expr& root = bpffw::detail::FilterAccess::root(*filter);
  CHECK(root.span.offset == 1);
  CHECK(root.span.length == 32);
  CHECK(root.span.line == 1);
  CHECK(root.span.column == 2);
  CHECK(root.depth == 3);
  const auto& chain = std::get<bpffw::ast::Logical>(root.node);
  REQUIRE(chain.operands.size() == 2);
  const bpffw::ast::Expr& group = *chain.operands[0];
  CHECK(group.span.offset == 2);  // the node itself starts inside the parentheses
  CHECK(group.span.length == 10);
  CHECK(group.depth == 2);
  const bpffw::ast::Expr& comparison = *chain.operands[1];
  CHECK(comparison.span.offset == 17);
  CHECK(comparison.span.length == 16);
  const auto& binary = std::get<bpffw::ast::Binary>(comparison.node);
  CHECK(binary.rhs->span.offset == 29);
  CHECK(binary.rhs->span.length == 4);
  CHECK(std::get<bpffw::ast::Literal>(binary.rhs->node).value == 0x35);

  auto unary = bpffw::Filter::parse("-(1)");
  REQUIRE(unary);
  CHECK(bpffw::detail::FilterAccess::root(*unary).span.length == 4);
}

TEST_CASE("a filter remembers its source and whether it reads the packet") {
  auto filter = bpffw::Filter::parse("2 > 1");
  REQUIRE(filter);
  CHECK(filter->source() == "2 > 1");
  CHECK_FALSE(filter->reads_packet());
  CHECK_FALSE(bpffw::Filter::parse("true ? 0 : -1")->reads_packet());
  CHECK(bpffw::Filter::parse("0 && len")->reads_packet());
  CHECK(bpffw::Filter::parse("1 ? 2 : src_port")->reads_packet());
  bpffw::Filter copy = *filter;
  CHECK(copy.dump_ast() == filter->dump_ast());
}

TEST_CASE("op_symbol names every operator") {
  CHECK(bpffw::ast::op_symbol(bpffw::ast::UnaryOp::BitNot) == "~");
  CHECK(bpffw::ast::op_symbol(bpffw::ast::BinaryOp::Shr) == ">>");
  CHECK(bpffw::ast::op_symbol(bpffw::ast::BinaryOp::BitXor) == "^");
  CHECK(bpffw::ast::op_symbol(bpffw::ast::LogicalOp::Or) == "||");
}
