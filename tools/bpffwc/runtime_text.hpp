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

// True when `argument` is a path on bpffs, so that `show` tells pins from cgroups: an absolute path
// whose nearest existing directory is on bpffs (a pin, whether it exists or not), or an existing
// relative path on bpffs (a relative path that does not exist is a cgroup under the cgroup2 mount).
bool is_bpffs_path(const std::string& argument);

// bpffwc show PIN: the program's self-description. Returns the exit code.
int show_pin(const std::string& pin);

}  // namespace bpffwc
