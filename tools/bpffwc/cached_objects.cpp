#include "cached_objects.hpp"

#include <cstdlib>
#include <utility>

#include <bpffw/object_bundle.hpp>

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
  auto stored = objects.cache->find(objects.key);
  if (!stored) return objects;
  auto bundle = bpffw::read_object_bundle(*stored);
  // The key matched whole; the bundle must hold too, and be of this very filter.
  if (!bundle || bundle->metadata.expression != filter.source()) {
    objects.cache->forget(objects.key);
    return objects;
  }
  objects.found = true;
  objects.packet = std::move(bundle->packet);
  objects.sockets = std::move(bundle->sockets);
  if (objects.sockets) objects.sockets->sets = filter.sets();
  objects.packet.sets = bpffw::detail::FilterAccess::take_sets(std::move(filter));
  return objects;
}

void CachedObjects::store() {
  if (!cache) return;
  // Without the sets' items: they come with the filter, and may change between starts.
  std::vector<bpffw::NamedSet> packet_sets = std::move(packet.sets);
  std::vector<bpffw::NamedSet> socket_sets = sockets ? std::move(sockets->sets) : std::vector<bpffw::NamedSet>{};
  packet.sets.clear();
  if (sockets) sockets->sets.clear();
  // Not kept when it cannot be written: the next start compiles again, as without a cache.
  (void)cache->store(key, bpffw::save_object_bundle(packet, sockets ? &*sockets : nullptr));
  packet.sets = std::move(packet_sets);
  if (sockets) sockets->sets = std::move(socket_sets);
}

}  // namespace bpffwc
