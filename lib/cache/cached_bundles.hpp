// Compiled objects in the compile cache, as bundles (<bpffw/object_bundle.hpp>): the steps the
// library's compile(filter, options, cache) and bpffwc's compile command share. An entry holds
// the objects without their sets' items: those are the filter's, given again on each hit, so a
// set file that changed between two starts is still a hit.
#pragma once

#include <optional>
#include <string_view>

#include <bpffw/compile_cache.hpp>
#include <bpffw/object_bundle.hpp>

namespace bpffw::cache {

// The bundle stored under `key`, when it holds and was compiled from `expression`; its objects
// have no sets yet. An entry that does not hold is removed: compiled again, never loaded.
std::optional<ObjectBundle> find_bundle(const CompileCache& cache, std::string_view key, std::string_view expression);

// Stores `packet` and `sockets` (nullptr: none) under `key`, without their sets' items, which they
// get back. Not kept when it cannot be written: the next start compiles again.
void store_bundle(const CompileCache& cache, std::string_view key, ObjectFile& packet, ObjectFile* sockets);

}  // namespace bpffw::cache
