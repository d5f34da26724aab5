// The AST as text, for `bpffwc --emit ast` and the parser tests. One node per line, indented two
// spaces per level, each line "<kind> [<detail>] <line>:<column>":
//   or 1:1
//     variable icmp 1:1
//     and 1:10
//       variable udp 1:10
//       binary == 1:17
//         variable dst_port 1:17
//         literal 53 1:29
// Kinds: literal N, variable NAME, unary OP, binary OP, and, or (one line for a whole chain),
// conditional (condition, then value, else value).
#pragma once

#include <string>

#include "parser/ast.hpp"

namespace bpffw::parser {

std::string dump_ast(const ast::Expr& root);

// True when any node below `root` is a packet variable.
bool reads_packet(const ast::Expr& root);

}  // namespace bpffw::parser
