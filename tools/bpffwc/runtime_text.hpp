// How stats, set, show PIN and watch print counters and parameters (one place, one format).
#pragma once

#include <string>
#include <vector>

#include <bpffw/runtime.hpp>

namespace bpffwc {

// "passed 10 packets (1200 bytes), dropped 2 packets (80 bytes)"
std::string counters_text(const bpffw::Counters& counters);

// {"passed_packets":10,"dropped_packets":2,"passed_bytes":1200,"dropped_bytes":80}
std::string counters_json(const bpffw::Counters& counters);

// "mtu=1500 limit=-1", or "none"
std::string parameters_text(const std::vector<bpffw::Parameter>& parameters);

// A JSON string literal.
std::string json_string(const std::string& text);

// True when `argument` names a file on bpffs (a pin), so that `show` tells pins from cgroups.
bool is_bpffs_pin(const std::string& argument);

// bpffwc show PIN: the program's self-description. Returns the exit code.
int show_pin(const std::string& pin);

}  // namespace bpffwc
