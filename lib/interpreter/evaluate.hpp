// The interpreter's evaluation of one expression on one packet's facts, for judge_flow, which
// evaluates another expression than the filter's root (flow/may_pass.hpp).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include <bpffw/direction.hpp>
#include <bpffw/interpreter.hpp>

#include "interpreter/packet_facts.hpp"
#include "parser/ast.hpp"

namespace bpffw::interpreter {

std::int64_t evaluate_expression(const ast::Expr& expr, const PacketFacts& facts,
                                 std::span<const std::int64_t> parameters, std::optional<Direction> direction,
                                 PacketSocket socket, const std::vector<NamedSet>& sets);

}  // namespace bpffw::interpreter
