#include "cache/cached_bundles.hpp"

#include <utility>
#include <vector>

namespace bpffw::cache {

std::optional<ObjectBundle> find_bundle(const CompileCache& cache, std::string_view key, std::string_view expression) {
  auto stored = cache.find(key);
  if (!stored) return std::nullopt;
  // The key matched whole; the bundle must hold too, and be of this very filter.
  auto bundle = read_object_bundle(*stored);
  if (!bundle || bundle->metadata.expression != expression) {
    cache.forget(key);
    return std::nullopt;
  }
  return std::move(*bundle);
}

void store_bundle(const CompileCache& cache, std::string_view key, ObjectFile& packet, ObjectFile* sockets) {
  std::vector<NamedSet> packet_sets = std::exchange(packet.sets, {});
  std::vector<NamedSet> socket_sets = sockets != nullptr ? std::exchange(sockets->sets, {}) : std::vector<NamedSet>{};
  (void)cache.store(key, save_object_bundle(packet, sockets));
  packet.sets = std::move(packet_sets);
  if (sockets != nullptr) sockets->sets = std::move(socket_sets);
}

}  // namespace bpffw::cache
