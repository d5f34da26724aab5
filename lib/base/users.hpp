// The users of this host, for `uid` (docs/filter-language.md §4.8): a name in a filter or a packet
// description is resolved when it is read, with the system's user database (getpwnam_r: files,
// and whatever else nsswitch.conf names).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace bpffw::base {

// The uid of the user called `name`, if there is one.
std::optional<std::uint32_t> user_id(const std::string& name);

}  // namespace bpffw::base
