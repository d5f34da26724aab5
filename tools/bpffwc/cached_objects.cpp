#include "cached_objects.hpp"

#include <cstdlib>
#include <utility>

#include "cache/cached_bundles.hpp"
#include "diagnostics.hpp"
#include "parser/filter_access.hpp"

namespace bpffwc {

bpffw::CompileCacheOptions compile_cache_options() {
  bpffw::CompileCacheOptions options;
  if (const char* directory = std::getenv("BPFFW_CACHE_DIR"); directory != nullptr && *directory != '\0')
    options.directory = directory;
  if (const char* bytes = std::getenv("BPFFW_CACHE_MAX_BYTES"); bytes != nullptr && *bytes != '\0') {
    char* end = nullptr;
    unsigned long long most = std::strtoull(bytes, &end, 10);
    if (end != nullptr && *end == '\0') options.max_bytes = most;
    else
      report_note("BPFFW_CACHE_MAX_BYTES='" + std::string(bytes) + "' is not a number of bytes; using " +
                  std::to_string(options.max_bytes));
  }
  return options;
}

CachedObjects find_cached_objects(bpffw::Filter& filter, const bpffw::CompileOptions& options, bool sockets_wanted,
                                  CompilerBackend& backend) {
  CachedObjects objects;
  auto cache = bpffw::CompileCache::open(compile_cache_options());
  // One that others could have written to is worth a note; one that cannot be created (a read-only
  // file system, a sandboxed unit) is only slower: `bpffwc cache show` says why.
  if (!cache) {
    if (cache.error().kind == bpffw::ErrorKind::Permission)
      report_note(cache.error().message + " (" + cache.error().hint + ")");
    return objects;
  }
  const std::string compiler = backend.identity();
  if (compiler.empty()) return objects;  // no build id: no way to tell its objects from another build's
  objects.key = bpffw::compile_cache_key(filter, options, sockets_wanted, compiler);
  objects.cache.emplace(std::move(*cache));
  auto bundle = bpffw::cache::find_bundle(*objects.cache, objects.key, filter.source());
  if (!bundle) return objects;
  objects.found = true;
  objects.packet = std::move(bundle->packet);
  objects.sockets = std::move(bundle->sockets);
  if (objects.sockets) objects.sockets->sets = filter.sets();
  objects.packet.sets = bpffw::detail::FilterAccess::take_sets(std::move(filter));
  return objects;
}

void CachedObjects::store() {
  if (cache) bpffw::cache::store_bundle(*cache, key, packet, sockets ? &*sockets : nullptr);
}

}  // namespace bpffwc
