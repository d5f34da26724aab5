// compile(filter, options, cache) (<bpffw/compile_cache.hpp>): the stored bundle of the same key,
// or a compile whose bundle is then stored. The key names this very build of the compiler: the
// binary (executable or libbpffw.so) that holds compile().
#include <bpffw/compile_cache.hpp>
#include <bpffw/object_bundle.hpp>

#include "cache/build_id.hpp"

namespace bpffw {

Result<ObjectFile> compile(const Filter& filter, const CompileOptions& options, const CompileCache& cache) {
  static const std::string compiler =
      cache::build_id_of_binary_holding(reinterpret_cast<const void*>(&compile_socket_programs));
  const std::string key = compile_cache_key(filter, options, false, compiler);
  if (auto stored = cache.find(key)) {
    if (auto bundle = read_object_bundle(*stored); bundle && bundle->metadata.expression == filter.source()) {
      bundle->packet.sets = filter.sets();
      return std::move(bundle->packet);
    }
    cache.forget(key);  // damaged: compiled again, never loaded
  }
  auto object = compile(filter, options);
  if (!object) return object;
  // Stored without the sets' items: they are the filter's, given again with it.
  std::vector<NamedSet> sets = std::move(object->sets);
  object->sets.clear();
  (void)cache.store(key, save_object_bundle(*object, nullptr));
  object->sets = std::move(sets);
  return object;
}

}  // namespace bpffw
