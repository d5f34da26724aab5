// compile(filter, options, cache) (<bpffw/compile_cache.hpp>): the stored bundle of the same key,
// or a compile whose bundle is then stored. The key names this very build of the compiler: the
// binary (executable or libbpffw.so) that holds compile().
#include <bpffw/compile_cache.hpp>

#include "cache/build_id.hpp"
#include "cache/cached_bundles.hpp"

namespace bpffw {

Result<ObjectFile> compile(const Filter& filter, const CompileOptions& options, const CompileCache& cache) {
  static const std::string compiler =
      cache::build_id_of_binary_holding(reinterpret_cast<const void*>(&compile_socket_programs));
  const std::string key = compile_cache_key(filter, options, false, compiler);
  if (auto bundle = cache::find_bundle(cache, key, filter.source())) {
    bundle->packet.sets = filter.sets();
    return std::move(bundle->packet);
  }
  auto object = compile(filter, options);
  if (object) cache::store_bundle(cache, key, *object, nullptr);
  return object;
}

}  // namespace bpffw
