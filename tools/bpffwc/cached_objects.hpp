// The compile command's use of the compile cache (<bpffw/compile_cache.hpp>, docs/bpffwc.md "The
// compile cache"): the objects of a filter found there, or, after a compile, stored there. The
// cache is BPFFW_CACHE_DIR (default /var/cache/bpffw), bounded by BPFFW_CACHE_MAX_BYTES (default 64
// MiB). A cache that cannot be used is a note, never an error: the filter is compiled.
#pragma once

#include <optional>
#include <string>

#include <bpffw/compile_cache.hpp>
#include <bpffw/compiler.hpp>
#include <bpffw/filter.hpp>

#include "compiler_backend.hpp"

namespace bpffwc {

// The options from the environment.
bpffw::CompileCacheOptions compile_cache_options();

struct CachedObjects {
  bool found = false;
  bpffw::ObjectFile packet;
  std::optional<bpffw::ObjectFile> sockets;
  // Where store() puts them: no cache, no key, when none is used.
  std::optional<bpffw::CompileCache> cache;
  std::string key;
  // Stores the compiled objects (without their sets' items, which are the filter's); a note when
  // it cannot.
  void store();
};

// The objects of `filter` from the cache, with the filter's sets (taken from it); found is false
// on a miss (a damaged entry is removed and is a miss).
CachedObjects find_cached_objects(bpffw::Filter& filter, const bpffw::CompileOptions& options, bool sockets_wanted,
                                  CompilerBackend& backend);

}  // namespace bpffwc
