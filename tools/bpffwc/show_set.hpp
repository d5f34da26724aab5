// bpffwc show PIN --set NAME [--match VALUE] [--json]: a named set's live items, or the entry a
// value meets (docs/bpffwc.md, "Inspecting a set").
#pragma once

#include <optional>
#include <string>

namespace bpffwc {

// Lists the set's items, one per line as a set file takes them (or a JSON array of those
// strings), printed batch by batch as they are read. With `match`, prints the entry a packet's
// value meets and returns 0, or says that none does and returns 1. Returns the exit code.
int show_set(const std::string& program, const std::string& name, const std::optional<std::string>& match, bool json);

}  // namespace bpffwc
