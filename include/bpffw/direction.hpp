// Which way packets go through a cgroup_skb program: received by the cgroup (ingress) or sent by
// it (egress). A filter that reads local_* or remote_* is compiled for one direction.
#pragma once

#include <string_view>

#include <bpffw/error.hpp>

namespace bpffw {

enum class Direction { Ingress, Egress };

// "ingress" or "egress".
const char* to_string(Direction direction);
// Parses "ingress" or "egress"; anything else is ErrorKind::Usage.
Result<Direction> parse_direction(std::string_view text);

}  // namespace bpffw
