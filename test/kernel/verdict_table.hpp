// Table-driven kernel tests: each row a filter, a packet and the verdict the spec gives, written
// by hand. Each row is run in the kernel (BPF_PROG_TEST_RUN) and in the reference interpreter;
// both must give the expected verdict.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <bpffw/direction.hpp>

#include "packet/packet_builder.hpp"

namespace bpffw::test {

inline constexpr bool kPass = true;
inline constexpr bool kDrop = false;

struct VerdictRow {
  std::string what;  // the rule the row checks, shown on failure
  std::string filter;
  packet::Packet packet;
  bool pass;
  // The direction the filter is compiled for (local_* and remote_* need one, §4.6).
  std::optional<Direction> direction = std::nullopt;
};

// Runs every row. Filters are compiled and loaded once each. A packet whose IPv4/IPv6 fixed header
// is cut short is judged in the kernel where BPF_PROG_TEST_RUN takes it (5.10), else by the
// interpreter alone.
void check_rows(const std::vector<VerdictRow>& rows);

// The packet a `bpffwc test -p` SPEC describes (packet/packet_spec.hpp); fails the test if it
// does not parse.
packet::Packet packet_of(const std::string& spec);

}  // namespace bpffw::test
