// The one account of what a socket hook can decide (docs/filter-language.md §10): an egress
// filter rewritten into a condition on what a connect() or sendmsg() hook knows of the flow, which
// is 0 only when the filter drops every first packet the flow can send; an ingress filter into one
// on what a bind() hook knows, 0 only when it drops every packet that could reach the socket. The interpreter's
// judge_flow evaluates it on a Flow; the socket programs (codegen/socket_module.hpp) compile it.
#pragma once

#include "parser/ast.hpp"

namespace bpffw::flow {

// Which packets the condition is about, and what the hook knows of them.
enum class Judged {
  // Egress, at connect() or a send: the flow's first packets (a TCP SYN, with or without ECN's
  // flags; a UDP datagram's only or first fragment). Known: ip, ipv6, tcp, udp, dst_port,
  // dst_addr, established.
  FirstPacketsOut,
  // Ingress, at bind(): every packet that can reach the socket. Known: ip, ipv6, tcp, udp,
  // dst_port (the port bound) and dst_addr (the address bound); ToBoundWildcard: not dst_addr,
  // bound to 0.0.0.0 or ::, which any local address of the family reaches.
  ToBoundAddress,
  ToBoundWildcard,
};

// The variables the condition for `judged` reads (parameters and named sets are read as they are).
bool known_at_socket(ast::Variable variable, Judged judged = Judged::FirstPacketsOut);

// Non-zero when some packet of those `judged` names may pass `filter`, whatever the flow leaves
// open; 0 only when every such packet is dropped. Unknowns are evaluated three-valued: a value is
// one of a few expressions of known variables (up to 64), or, where a condition holds, any integer.
// A filter whose condition would grow past a bound gets the constant 1: never refused.
ast::ExprPtr may_pass(const ast::Expr& filter, Judged judged = Judged::FirstPacketsOut);

}  // namespace bpffw::flow
