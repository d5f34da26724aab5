// Shrinking a failing (filter, packet) pair to a small one that still fails, so that a report
// reads like a minimal test case. Generic over "still fails": the caller decides what failing
// means (kernel != interpreter in bpffw-difftest; anything at all in the shrinker's own tests).
#pragma once

#include <functional>
#include <string>

#include <bpffw/error.hpp>
#include <bpffw/filter.hpp>

#include "packet/packet_builder.hpp"

namespace bpffw::difftest {

// True when the candidate still shows the failure. An error (say, the kernel refused a test
// run) stops the shrinking and is passed on.
using FilterStillFails = std::function<Result<bool>(const std::string& filter)>;
using PacketStillFails = std::function<Result<bool>(const packet::Packet& packet)>;

// Greedily replaces subexpressions of `filter` by one of their operands or by 0 or 1, and drops
// operands of && / || chains, while the result still fails; every accepted step has fewer AST
// nodes or, with as many, a shorter text. `filter` must parse with `options` (its direction,
// for local_* and remote_*) and fail.
Result<std::string> shrink_filter(const std::string& filter, const FilterStillFails& still_fails,
                                  const ParseOptions& options = {});

// Cuts the packet as short as possible, then deletes single bytes, then zeroes bytes, while it
// still fails. Candidates BPF_PROG_TEST_RUN cannot take (Packet::fits_test_run()) are skipped.
Result<packet::Packet> shrink_packet(const packet::Packet& packet, const PacketStillFails& still_fails);

// The number of AST nodes of a filter that parses with `options` (a && b && c counts as 4), else 0.
std::size_t filter_size(const std::string& filter, const ParseOptions& options = {});

}  // namespace bpffw::difftest
