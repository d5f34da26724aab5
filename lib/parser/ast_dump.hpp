// The AST as text, for `bpffwc --emit ast` and the parser tests. One node per line, indented two
// spaces per level, each line "<kind> [<detail>] <line>:<column>":
//   or 1:1
//     variable icmp 1:1
//     and 1:10
//       variable udp 1:10
//       binary == 1:17
//         variable dst_port 1:17
//         literal 53 1:29
// Kinds: literal N, variable NAME, parameter NAME (or #INDEX without names), unary OP, binary OP, and, or (one line for
// a whole chain), conditional (condition, then value, else value), in {ITEMS} (the items as written, then the tested
// value).
#pragma once

#include <string>
#include <vector>

#include "parser/ast.hpp"

namespace bpffw::parser {

// parameter_names: the declared runtime parameters, to print their names.
std::string dump_ast(const ast::Expr& root, const std::vector<std::string>& parameter_names = {});

// True when any node below `root` is a packet variable or a runtime parameter (docs/filter-language.md §5.6).
bool reads_packet(const ast::Expr& root);

}  // namespace bpffw::parser
