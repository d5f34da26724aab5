// The operations of docs/filter-language.md §4–§6 on concrete values, shared by the interpreter's
// judgement of packets (interpreter.cpp) and of flows (flow.cpp).
#pragma once

#include <cstdint>
#include <optional>

#include <bpffw/direction.hpp>
#include <bpffw/interpreter.hpp>

#include "interpreter/packet_facts.hpp"
#include "parser/ast.hpp"

namespace bpffw::interpreter {

// §4.6: local_* is dst_* on ingress and src_* on egress, remote_* the other one.
ast::Variable resolve(ast::Variable variable, std::optional<Direction> direction);

// §4.5: `established` for a socket in this state.
bool established(SocketState socket);

// §4.2, §7.2: the address lies in the prefix (of its family only).
bool in_prefix(const IpAddress& address, const ast::Prefix& prefix);

// §6.1: the operators on int64 values, wrapping as the spec says.
std::int64_t binary(ast::BinaryOp op, std::int64_t a, std::int64_t b);
std::int64_t unary(ast::UnaryOp op, std::int64_t a);

}  // namespace bpffw::interpreter
