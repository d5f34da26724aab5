// The one account of what a socket hook can decide (docs/filter-language.md §10): an egress
// filter rewritten into a condition on what a connect() or sendmsg() hook knows of the flow, which
// is 0 only when the filter drops every first packet the flow can send. The interpreter's
// judge_flow evaluates it on a Flow; the socket programs (codegen/socket_module.hpp) compile it.
#pragma once

#include "parser/ast.hpp"

namespace bpffw::flow {

// The variables a socket hook knows, the only ones may_pass's condition reads: ip, ipv6, tcp,
// udp, dst_port, dst_addr and established. Parameters and named sets are read as they are.
bool known_at_socket(ast::Variable variable);

// Non-zero when some first packet of the flow (a TCP SYN, with or without ECN's flags; a UDP
// datagram's only or first fragment) may pass `filter`, judged on egress, whatever the flow leaves
// open; 0 only when every such packet is dropped. Unknowns are evaluated three-valued: a value is
// one of a few expressions of known variables (up to 64), or, where a condition holds, any integer.
// A filter whose condition would grow past a bound gets the constant 1: never refused.
ast::ExprPtr may_pass(const ast::Expr& filter);

}  // namespace bpffw::flow
